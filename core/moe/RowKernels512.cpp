// SPDX-License-Identifier: GPL-3.0-or-later
// The AVX-512 row kernels: a row of 16 experts per vector, its group maxima sorted in one register,
// candidates packed with the compress instructions and ranked by comparing each lane with every
// other lane. Compiled for the generic target; each function carries its own target attribute and
// runs only when vectorLevel() says the processor has AVX-512 (see RowKernels.h).
#include "moe/RowKernels.h"

#if DELTASCOPE_AVX2_DISPATCH
#include <algorithm>
#include <immintrin.h>
#include <utility>
#include <vector>

namespace deltascope::moe::rows {

namespace {

constexpr int kCandidates = 32; // at most this many candidates are ranked in registers

// The lanes that take the maximum in one step of a bitonic network on 16 lanes: lane i meets lane
// i ^ D; within blocks of B lanes that sort ascending (every block when B = 16), the lower lane
// keeps the minimum.
constexpr unsigned takesMax16(int B, int D)
{
    unsigned mask = 0;
    for (int i = 0; i < 16; ++i)
        if (((i & D) != 0) != (B < 16 && (i & B) != 0))
            mask |= 1u << i;
    return mask;
}

template <int B, int D> DELTASCOPE_AVX512 inline __m512 step16(__m512 v)
{
    const __m512i partner = _mm512_setr_epi32(0 ^ D, 1 ^ D, 2 ^ D, 3 ^ D, 4 ^ D, 5 ^ D, 6 ^ D, 7 ^ D, 8 ^ D, 9 ^ D,
        10 ^ D, 11 ^ D, 12 ^ D, 13 ^ D, 14 ^ D, 15 ^ D);
    const __m512 p = _mm512_permutexvar_ps(partner, v);
    constexpr auto upper = static_cast<__mmask16>(takesMax16(B, D));
    return _mm512_mask_blend_ps(upper, _mm512_min_ps(v, p), _mm512_max_ps(v, p));
}

// The 16 lanes in ascending order.
DELTASCOPE_AVX512 inline __m512 sort16(__m512 v)
{
    v = step16<2, 1>(v);
    v = step16<4, 1>(step16<4, 2>(v));
    v = step16<8, 1>(step16<8, 2>(step16<8, 4>(v)));
    return step16<16, 1>(step16<16, 2>(step16<16, 4>(step16<16, 8>(v))));
}

// One rotation of the ranking: every lane meets the lane R places after it (cyclically); the lanes
// it meets from before (a lower position, hence a lower id) win a tie.
template <int R> DELTASCOPE_AVX512 inline __m512i rankStep(__m512 s, __m512i rank)
{
    const __m512i rot = _mm512_setr_epi32((0 + R) & 15, (1 + R) & 15, (2 + R) & 15, (3 + R) & 15, (4 + R) & 15,
        (5 + R) & 15, (6 + R) & 15, (7 + R) & 15, (8 + R) & 15, (9 + R) & 15, (10 + R) & 15, (11 + R) & 15,
        (12 + R) & 15, (13 + R) & 15, (14 + R) & 15, (15 + R) & 15);
    const __m512 o = _mm512_permutexvar_ps(rot, s);
    constexpr auto before = static_cast<__mmask16>((0xffffu << (16 - R)) & 0xffffu);
    const __mmask16 ahead = _mm512_cmp_ps_mask(o, s, _CMP_GT_OQ) | _mm512_mask_cmp_ps_mask(before, o, s, _CMP_EQ_OQ);
    return _mm512_mask_add_epi32(rank, ahead, rank, _mm512_set1_epi32(1));
}

template <int... R> DELTASCOPE_AVX512 inline __m512i rankAll(__m512 s, std::integer_sequence<int, R...>)
{
    __m512i rank = _mm512_setzero_si512();
    ((rank = rankStep<R + 1>(s, rank)), ...);
    return rank;
}

// One rotation of the ranking on the scores' bits (non-negative floats order like their bits; the
// padding -1 is never ahead of a score): a lane is behind the lane R places after it when that one
// is larger, or equal and before it. The comparison is a subtraction whose sign bit is counted, so
// that it runs beside the shuffles instead of queueing behind them.
template <int R> DELTASCOPE_AVX512 inline __m512i rankBitsStep(__m512i s, __m512i behind)
{
    const __m512i rot = _mm512_setr_epi32((0 + R) & 15, (1 + R) & 15, (2 + R) & 15, (3 + R) & 15, (4 + R) & 15,
        (5 + R) & 15, (6 + R) & 15, (7 + R) & 15, (8 + R) & 15, (9 + R) & 15, (10 + R) & 15, (11 + R) & 15,
        (12 + R) & 15, (13 + R) & 15, (14 + R) & 15, (15 + R) & 15);
    // 1 in the lanes whose partner comes before them (a lower position): the partner wins a tie.
    const __m512i tie = _mm512_setr_epi32(0 + R >= 16, 1 + R >= 16, 2 + R >= 16, 3 + R >= 16, 4 + R >= 16, 5 + R >= 16,
        6 + R >= 16, 7 + R >= 16, 8 + R >= 16, 9 + R >= 16, 10 + R >= 16, 11 + R >= 16, 12 + R >= 16, 13 + R >= 16,
        14 + R >= 16, 15 + R >= 16);
    const __m512i o = _mm512_add_epi32(_mm512_permutexvar_epi32(rot, s), tie);
    return _mm512_add_epi32(behind, _mm512_srli_epi32(_mm512_sub_epi32(s, o), 31));
}

template <int... R> DELTASCOPE_AVX512 inline __m512i rankBits(__m512i s, std::integer_sequence<int, R...>)
{
    __m512i rank = _mm512_setzero_si512();
    ((rank = rankBitsStep<R + 1>(s, rank)), ...);
    return rank;
}

// The k best of c <= 16 candidates (score bits in ascending id order, -1 in the other lanes), best
// first: the ranks are a permutation of 0..c-1, so each of the first k is written to its place.
DELTASCOPE_AVX512 inline int rankSmall(__m512i score, __m512i id, int c, int k, int* ids)
{
    const __m512i rank = rankBits(score, std::make_integer_sequence<int, 15> {});
    const auto valid = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(c)));
    _mm512_mask_i32scatter_epi32(ids, _mm512_mask_cmplt_epi32_mask(valid, rank, _mm512_set1_epi32(k)), rank, id, 4);
    return std::min(c, k);
}

// How many lanes of b come before each lane of a: a higher score, or the same score in b when b's
// candidates have lower ids (bFirst).
DELTASCOPE_AVX512 inline __m512i countAhead(__m512 a, __m512 b, bool bFirst, __m512i rank)
{
    const __m512i one = _mm512_set1_epi32(1);
    for (int r = 0; r < 16; ++r) {
        const __m512 o = _mm512_permutexvar_ps(
            _mm512_and_si512(_mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                 _mm512_set1_epi32(r)),
                _mm512_set1_epi32(15)),
            b);
        const __mmask16 ahead = bFirst ? _mm512_cmp_ps_mask(o, a, _CMP_GE_OQ) : _mm512_cmp_ps_mask(o, a, _CMP_GT_OQ);
        rank = _mm512_mask_add_epi32(rank, ahead, rank, one);
    }
    return rank;
}

// The k best of c <= kCandidates candidates (scores in ascending id order, padded with -1 to a
// multiple of 16 lanes), best first. A candidate's rank counts those with a higher score and those
// with the same score and a lower id; the first k ranks are written out.
DELTASCOPE_AVX512 int rankCandidates512(const float* score, const int* id, int c, int k, int* ids)
{
    if (c <= 16) {
        const auto valid = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(c)));
        return rankSmall(_mm512_mask_mov_epi32(_mm512_set1_epi32(-1), valid, _mm512_load_si512(score)),
            _mm512_load_si512(id), c, k, ids);
    }
    const __m512i kk = _mm512_set1_epi32(k);
    const __m512 s0 = _mm512_load_ps(score);
    const __m512i r0 = rankAll(s0, std::make_integer_sequence<int, 15> {});
    const auto valid0 = static_cast<__mmask16>(c >= 16 ? 0xffffu : (1u << c) - 1u);
    if (c <= 16) {
        _mm512_mask_i32scatter_epi32(ids, _mm512_mask_cmplt_epi32_mask(valid0, r0, kk), r0, _mm512_load_si512(id), 4);
        return std::min(c, k);
    }
    const __m512 s1 = _mm512_load_ps(score + 16);
    __m512i r1 = rankAll(s1, std::make_integer_sequence<int, 15> {});
    const __m512i ra = countAhead(s0, s1, false, r0);
    r1 = countAhead(s1, s0, true, r1);
    const auto valid1 = static_cast<__mmask16>((1u << (c - 16)) - 1u);
    _mm512_mask_i32scatter_epi32(ids, _mm512_cmplt_epi32_mask(ra, kk), ra, _mm512_load_si512(id), 4);
    _mm512_mask_i32scatter_epi32(ids, _mm512_mask_cmplt_epi32_mask(valid1, r1, kk), r1, _mm512_load_si512(id + 16), 4);
    return std::min(c, k);
}

// The k (<= 8) best of a row of n (a multiple of 16) scores among the allowed experts (one bit per
// expert, null allows all), best first; -1 when too many scores reach the bound. The lane maxima
// over the row's vectors are the maxima of 16 disjoint groups of experts, so the k-th largest of
// them (or 0, when fewer than k groups hold an allowed expert) bounds the k-th best score from
// below; the scores reaching it are packed into at most two registers and ranked.
DELTASCOPE_AVX512 int topkRow512(const float* row, int n, int k, const std::uint16_t* allow, __m512 mx, int* ids)
{
    const int vecs = n / 16;
    const __m512 none = _mm512_set1_ps(-1.0f);
    const __m512 sorted = sort16(mx);
    const __m512 t = _mm512_max_ps(_mm512_permutexvar_ps(_mm512_set1_epi32(16 - k), sorted), _mm512_setzero_ps());
    alignas(64) float cs[kCandidates + 16];
    alignas(64) int ci[kCandidates + 16];
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int c = 0;
    for (int v = 0; v < vecs; ++v) {
        const __m512 x = _mm512_loadu_ps(row + 16 * v);
        __mmask16 m = _mm512_cmp_ps_mask(x, t, _CMP_GE_OQ);
        if (allow)
            m &= allow[v];
        _mm512_storeu_ps(cs + c, _mm512_maskz_compress_ps(m, x));
        _mm512_storeu_si512(ci + c, _mm512_maskz_compress_epi32(m, _mm512_add_epi32(lanes, _mm512_set1_epi32(16 * v))));
        c += __builtin_popcount(m);
        if (c > kCandidates)
            return -1;
    }
    _mm512_storeu_ps(cs + c, none);
    return rankCandidates512(cs, ci, c, k, ids);
}

} // namespace

bool scanRow512Fits(int n, int k)
{
    return n >= 16 && n % 16 == 0 && k >= 1 && k <= 8;
}

namespace {

// R rows (n a multiple of 16, k <= 8) scanned side by side, so that one row's long chains of
// shuffles and gathers overlap the other's: the scores are checked and added to the utilities (row
// after row, as separate calls would), then each row's k best come from its bound, the k-th
// largest of its 16 lane maxima (maxima of 16 disjoint groups of experts, so at least k scores
// reach it). With n <= 256 the scores reaching the bound have their ids packed as bytes (four
// vectors' masks at a time), gathered and ranked in one register; more than 16 of them, or wider
// rows, take the two-register or the plain ranking. False, with the utilities partly updated, for a
// score the kernels cannot order (negative, -0, NaN, infinite).
template <int R>
DELTASCOPE_AVX512 bool scanRows512(const float* const* row, int n, int k, double* util, int* const* ids, int* count)
{
    const int vecs = n / 16;
    __m512i worst = _mm512_setzero_si512();
    __m512 mx[R][2];
    for (int r = 0; r < R; ++r)
        mx[r][0] = mx[r][1] = _mm512_set1_ps(-1.0f);
    auto scan = [&](int v, int h) DELTASCOPE_AVX512 {
        double* u = util + 16 * v;
        __m512d lo = _mm512_loadu_pd(u);
        __m512d hi = _mm512_loadu_pd(u + 8);
        for (int r = 0; r < R; ++r) {
            const __m512 x = _mm512_loadu_ps(row[r] + 16 * v);
            // As unsigned integers, every score that cannot be ordered lies above the largest
            // finite float: negative ones (and -0) through the sign bit, then infinity and NaN.
            worst = _mm512_max_epu32(worst, _mm512_castps_si512(x));
            mx[r][h] = _mm512_max_ps(mx[r][h], x);
            lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
            hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
        }
        _mm512_storeu_pd(u, lo);
        _mm512_storeu_pd(u + 8, hi);
    };
    int v = 0;
    for (; v + 1 < vecs; v += 2) {
        scan(v, 0);
        scan(v + 1, 1);
    }
    if (v < vecs)
        scan(v, 0);
    if (_mm512_cmpgt_epu32_mask(worst, _mm512_set1_epi32(0x7f7fffff)))
        return false;
    // Each row's bound: its k-th largest lane maximum (the lane ranked k - 1; ranks are a
    // permutation of the lanes).
    __m512 lanesMax[R];
    __m512 t[R];
    for (int r = 0; r < R; ++r) {
        lanesMax[r] = _mm512_max_ps(mx[r][0], mx[r][1]);
        const __m512i rank = rankBits(_mm512_castps_si512(lanesMax[r]), std::make_integer_sequence<int, 15> {});
        const __m512 kth
            = _mm512_maskz_compress_ps(_mm512_cmpeq_epi32_mask(rank, _mm512_set1_epi32(k - 1)), lanesMax[r]);
        t[r] = _mm512_max_ps(_mm512_permutexvar_ps(_mm512_setzero_si512(), kth), _mm512_setzero_ps());
    }
    // The candidates' ids as bytes; the chosen ones of each group join a row's list after those held.
    const __m512i byteIds = _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45,
        44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
        16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i list[R];
    int c[R];
    for (int r = 0; r < R; ++r) {
        list[r] = _mm512_setzero_si512();
        c[r] = n <= 256 ? 0 : 17; // wider rows: no byte ids
    }
    for (int g = 0; g * 4 < vecs && n <= 256; ++g) {
        const __m512i idsOfGroup = _mm512_add_epi8(byteIds, _mm512_set1_epi8(static_cast<char>(64 * g)));
        for (int r = 0; r < R; ++r) {
            std::uint64_t m = 0;
            for (int w = 4 * g; w < std::min(vecs, 4 * g + 4); ++w)
                m |= static_cast<std::uint64_t>(_mm512_cmp_ps_mask(_mm512_loadu_ps(row[r] + 16 * w), t[r], _CMP_GE_OQ))
                    << (16 * (w - 4 * g));
            const int p = __builtin_popcountll(m);
            if (c[r] + p <= 16) {
                const __mmask64 into = _bzhi_u64(~std::uint64_t { 0 }, static_cast<unsigned>(p)) << c[r];
                list[r] = _mm512_mask_expand_epi8(list[r], into, _mm512_maskz_compress_epi8(m, idsOfGroup));
            }
            c[r] += p;
        }
    }
    __m512i id[R];
    __m512i score[R];
    for (int r = 0; r < R; ++r) {
        if (c[r] > 16)
            continue;
        const auto valid = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(c[r])));
        id[r] = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(list[r]));
        score[r] = _mm512_castps_si512(
            _mm512_mask_i32gather_ps(_mm512_castsi512_ps(_mm512_set1_epi32(-1)), valid, id[r], row[r], 4));
    }
    for (int r = 0; r < R; ++r) {
        if (c[r] <= 16) {
            count[r] = rankSmall(score[r], id[r], c[r], k, ids[r]);
        } else {
            count[r] = topkRow512(row[r], n, k, nullptr, lanesMax[r], ids[r]);
            if (count[r] < 0)
                count[r] = topkKeys(row[r], n, k, nullptr, ids[r]);
        }
    }
    return true;
}

} // namespace

// One row (n a multiple of 16, k <= 8): its k best, best first, or -1 for a score the kernels
// cannot order.
DELTASCOPE_AVX512 int scanRow512(const float* row, int n, int k, double* util, int* ids)
{
    int count = 0;
    return scanRows512<1>(&row, n, k, util, &ids, &count) ? count : -1;
}

// Two rows at once (n <= 256): the same as scanRow512 on a, then on b.
DELTASCOPE_AVX512 bool scanRowPair512(
    const float* a, const float* b, int n, int k, double* util, int* idsA, int* idsB, int& countA, int& countB)
{
    const float* rows[2] = { a, b };
    int* ids[2] = { idsA, idsB };
    int count[2] = { 0, 0 };
    if (!scanRows512<2>(rows, n, k, util, ids, count))
        return false;
    countA = count[0];
    countB = count[1];
    return true;
}

// The position of each key in decreasing order: the number of larger keys, counted eight keys at a
// time against every key. Equal keys would share a position: the positions must then be a
// permutation, which a bit per position checks.
namespace {

// Whether n positions form a permutation of 0..n-1 (n <= 1024).
bool isPermutation(const std::int32_t* position, int n)
{
    std::uint64_t seen[16] = {};
    for (int e = 0; e < n; ++e) {
        const auto p = static_cast<unsigned>(position[e]);
        if (p >= static_cast<unsigned>(n) || (seen[p >> 6] >> (p & 63) & 1u))
            return false;
        seen[p >> 6] |= std::uint64_t { 1 } << (p & 63);
    }
    return true;
}

// The same count on the upper halves of the keys, sixteen at a time: when those are distinct the
// order is the keys' order (a larger upper half means a larger key).
DELTASCOPE_AVX512 bool positionsOfDistinctUpper(const std::uint64_t* keys, int n, std::int32_t* position)
{
    thread_local std::vector<std::uint32_t> upper;
    upper.resize(static_cast<std::size_t>(n));
    for (int e = 0; e < n; ++e)
        upper[static_cast<std::size_t>(e)] = static_cast<std::uint32_t>(keys[e] >> 32);
    const std::uint32_t* u = upper.data();
    const __m512i one = _mm512_set1_epi32(1);
    for (int b = 0; b < n; b += 16) {
        const auto in = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(std::min(16, n - b))));
        const __m512i mine = _mm512_maskz_loadu_epi32(in, u + b);
        __m512i larger[2] = { _mm512_setzero_si512(), _mm512_setzero_si512() };
        for (int f = 0; f < n; f += 2) {
            const __mmask16 m0 = _mm512_cmpgt_epu32_mask(_mm512_set1_epi32(static_cast<int>(u[f])), mine);
            const __mmask16 m1 = _mm512_cmpgt_epu32_mask(_mm512_set1_epi32(static_cast<int>(u[f + 1])), mine);
            larger[0] = _mm512_mask_add_epi32(larger[0], m0, larger[0], one);
            larger[1] = _mm512_mask_add_epi32(larger[1], m1, larger[1], one);
        }
        _mm512_mask_storeu_epi32(position + b, in, _mm512_add_epi32(larger[0], larger[1]));
    }
    return isPermutation(position, n);
}

} // namespace

DELTASCOPE_AVX512 bool positionsOfDistinct512(const std::uint64_t* keys, int n, std::int32_t* position)
{
    if (positionsOfDistinctUpper(keys, n, position))
        return true;
    const __m512i one = _mm512_set1_epi64(1);
    for (int b = 0; b < n; b += 8) {
        const __m512i mine = _mm512_loadu_si512(keys + b);
        __m512i larger[2] = { _mm512_setzero_si512(), _mm512_setzero_si512() };
        for (int f = 0; f < n; f += 2) {
            const __mmask8 m0 = _mm512_cmpgt_epu64_mask(_mm512_set1_epi64(static_cast<long long>(keys[f])), mine);
            const __mmask8 m1 = _mm512_cmpgt_epu64_mask(_mm512_set1_epi64(static_cast<long long>(keys[f + 1])), mine);
            larger[0] = _mm512_mask_add_epi64(larger[0], m0, larger[0], one);
            larger[1] = _mm512_mask_add_epi64(larger[1], m1, larger[1], one);
        }
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(position + b), _mm512_cvtepi64_epi32(_mm512_add_epi64(larger[0], larger[1])));
    }
    return isPermutation(position, n);
}

// The k (<= 8) best of a checked row from its 16 lane maxima (the block kernel's rows with more than
// 16 candidates), best first.
DELTASCOPE_AVX512 int topkFromLaneMaxima512(const float* row, int n, int k, const float* laneMax, int* ids)
{
    const int count = topkRow512(row, n, k, nullptr, _mm512_loadu_ps(laneMax), ids);
    return count >= 0 ? count : topkKeys(row, n, k, nullptr, ids);
}

// The k (<= 8) best of a checked dense row among the allowed experts (bits, n a multiple of 16),
// best first.
DELTASCOPE_AVX512 int topkAllowed512(const float* row, int n, int k, const std::uint64_t* allow, int* ids)
{
    // Sixteen experts' bits at a time, cut from the 64-bit words.
    thread_local std::vector<std::uint16_t> words;
    words.resize(static_cast<std::size_t>(n / 16));
    for (int v = 0; v < n / 16; ++v)
        words[static_cast<std::size_t>(v)] = static_cast<std::uint16_t>(allow[v >> 2] >> (16 * (v & 3)));
    __m512 mx = _mm512_set1_ps(-1.0f);
    for (int v = 0; v < n / 16; ++v)
        mx = _mm512_mask_max_ps(
            mx, static_cast<__mmask16>(words[static_cast<std::size_t>(v)]), mx, _mm512_loadu_ps(row + 16 * v));
    const int count = topkRow512(row, n, k, words.data(), mx, ids);
    return count >= 0 ? count : topkKeys(row, n, k, allow, ids);
}

// The k (<= 8) best of a checked row among a list of at most 32 experts in ascending id order,
// best first.
DELTASCOPE_AVX512 int topkOfList512(const float* row, const int* list, int m, int k, int* ids)
{
    alignas(64) float cs[kCandidates];
    alignas(64) int ci[kCandidates];
    const __m512 none = _mm512_set1_ps(-1.0f);
    if (m <= 16) {
        const auto valid = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(m)));
        const __m512i idx = _mm512_maskz_loadu_epi32(valid, list);
        const __m512i score = _mm512_castps_si512(
            _mm512_mask_i32gather_ps(_mm512_castsi512_ps(_mm512_set1_epi32(-1)), valid, idx, row, 4));
        return rankSmall(score, idx, m, k, ids);
    }
    for (int h = 0; h < (m + 15) / 16; ++h) {
        const int left = std::min(16, m - 16 * h);
        const auto valid = static_cast<__mmask16>(left >= 16 ? 0xffffu : (1u << left) - 1u);
        const __m512i idx = _mm512_maskz_loadu_epi32(valid, list + 16 * h);
        _mm512_store_ps(cs + 16 * h, _mm512_mask_i32gather_ps(none, valid, idx, row, 4));
        _mm512_store_si512(ci + 16 * h, idx);
    }
    return rankCandidates512(cs, ci, m, k, ids);
}

} // namespace deltascope::moe::rows
#endif
