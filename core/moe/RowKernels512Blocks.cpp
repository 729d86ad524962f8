// SPDX-License-Identifier: GPL-3.0-or-later
// The AVX-512 kernels that take sixteen rows (tokens) at once: the baseline top-k of a slice's rows
// and the re-routing within a set of at most 32 experts. Both transpose a block of sixteen
// registers so that the rows lie in the lanes, then compare each pair of places once for all
// sixteen rows instead of ranking each row's register lane against lane. Compiled for the generic
// target; each function carries its own target attribute and runs only when vectorLevel() allows
// AVX-512 (see RowKernels.h). Results are those of the one-row kernels, bit for bit.
#include "moe/RowKernels.h"

#if DELTASCOPE_AVX2_DISPATCH
#include <algorithm>
#include <array>
#include <immintrin.h>

namespace deltascope::moe::rows {

namespace {

// 16 x 16 transpose of 32-bit lanes: r[i] lane j becomes r[j] lane i.
DELTASCOPE_AVX512 inline void transpose16(__m512i* r)
{
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

// Batcher's odd-even merge sort of 16 values: 63 compare-exchange steps (lower position, higher
// position) after which the values ascend.
struct Exchange {
    int lo;
    int hi;
};
constexpr std::array<Exchange, 63> kSort16 = [] {
    std::array<Exchange, 63> steps {};
    int at = 0;
    for (int p = 1; p < 16; p <<= 1)
        for (int d = p; d >= 1; d >>= 1)
            for (int j = d % p; j + d < 16; j += 2 * d)
                for (int i = 0; i < d && i + j + d < 16; ++i)
                    if ((i + j) / (2 * p) == (i + j + d) / (2 * p))
                        steps[static_cast<std::size_t>(at++)] = { i + j, i + j + d };
    return steps;
}();

} // namespace

// Sixteen tokens' rows (n <= 256, a multiple of 16; k <= 8) at once, in four passes. The first
// checks the scores and adds them to the utilities (row after row, as separate calls would) and
// takes each row's 16 lane maxima. The second finds each row's bound, the k-th largest of its lane
// maxima, with the rows in the lanes of 16 registers (a transpose), so that one sorting network of
// minima and maxima serves all sixteen rows. The third packs the ids of the scores reaching a row's
// bound as bytes and gathers their scores (as scanRows512 does). The fourth ranks every row's
// candidates together: transposed again, each pair of candidate places is compared once for all
// rows (a higher score first; places are in id order, so the earlier place wins a tie), and the
// first k ids are turned back into rows. A row with more than 16 candidates takes the one-row
// path. False for a score the kernels cannot order.
DELTASCOPE_AVX512 bool scanRows16x512(const float* const* row, int n, int k, double* util, int* ids)
{
    constexpr int R = 16;
    const int vecs = n / 16;
    __m512i worst = _mm512_setzero_si512();
    __m512 mx[R];
    for (int r = 0; r < R; ++r)
        mx[r] = _mm512_set1_ps(-1.0f);
    for (int v = 0; v < vecs; ++v) {
        double* u = util + 16 * v;
        __m512d lo = _mm512_loadu_pd(u);
        __m512d hi = _mm512_loadu_pd(u + 8);
        for (int r = 0; r < R; ++r) {
            const __m512 x = _mm512_loadu_ps(row[r] + 16 * v);
            // As unsigned integers, every score that cannot be ordered lies above the largest
            // finite float: negative ones (and -0) through the sign bit, then infinity and NaN.
            worst = _mm512_max_epu32(worst, _mm512_castps_si512(x));
            mx[r] = _mm512_max_ps(mx[r], x);
            lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
            hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
        }
        _mm512_storeu_pd(u, lo);
        _mm512_storeu_pd(u + 8, hi);
    }
    if (_mm512_cmpgt_epu32_mask(worst, _mm512_set1_epi32(0x7f7fffff)))
        return false;

    // The bounds: row r's lane maxima sorted in lane r of the registers.
    alignas(64) float lanesMax[R][16];
    __m512i g[R];
    for (int r = 0; r < R; ++r) {
        _mm512_store_ps(lanesMax[r], mx[r]);
        g[r] = _mm512_castps_si512(mx[r]);
    }
    transpose16(g);
#pragma GCC unroll 63
    for (const Exchange& e : kSort16) {
        const __m512i a = g[e.lo];
        g[e.lo] = _mm512_min_epi32(a, g[e.hi]);
        g[e.hi] = _mm512_max_epi32(a, g[e.hi]);
    }
    alignas(64) float bound[R];
    _mm512_store_si512(bound, _mm512_max_epi32(g[16 - k], _mm512_setzero_si512()));

    // The candidates' ids as bytes; the chosen ones of each group join a row's list after those held.
    const __m512i byteIds = _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45,
        44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
        16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i score[R];
    __m512i id[R];
    int most = 0; // the longest list held
    unsigned wide = 0; // rows with more than 16 candidates
    for (int r = 0; r < R; ++r) {
        const __m512 t = _mm512_set1_ps(bound[r]);
        __m512i list = _mm512_setzero_si512();
        int c = 0;
        for (int grp = 0; grp * 4 < vecs; ++grp) {
            std::uint64_t m = 0;
            for (int w = 4 * grp; w < std::min(vecs, 4 * grp + 4); ++w)
                m |= static_cast<std::uint64_t>(_mm512_cmp_ps_mask(_mm512_loadu_ps(row[r] + 16 * w), t, _CMP_GE_OQ))
                    << (16 * (w - 4 * grp));
            const int p = __builtin_popcountll(m);
            if (c + p <= 16) {
                const __mmask64 into = _bzhi_u64(~std::uint64_t { 0 }, static_cast<unsigned>(p)) << c;
                list = _mm512_mask_expand_epi8(list, into,
                    _mm512_maskz_compress_epi8(
                        m, _mm512_add_epi8(byteIds, _mm512_set1_epi8(static_cast<char>(64 * grp)))));
            }
            c += p;
        }
        if (c > 16) {
            wide |= 1u << r;
            c = 0;
        }
        most = std::max(most, c);
        const auto valid = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(c)));
        id[r] = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(list));
        score[r] = _mm512_castps_si512(
            _mm512_mask_i32gather_ps(_mm512_castsi512_ps(_mm512_set1_epi32(-1)), valid, id[r], row[r], 4));
    }

    // Every row's candidates ranked at once: place j of every row in the lanes of score[j], id[j].
    transpose16(score);
    transpose16(id);
    const __m512i one = _mm512_set1_epi32(1);
    __m512i rank[R];
    for (int j = 0; j < most; ++j)
        rank[j] = _mm512_set1_epi32(j);
    for (int a = 0; a < most; ++a)
        for (int b = a + 1; b < most; ++b) {
            // b beats a (strictly larger): a falls one place, b rises one (the empty places, -1,
            // lose to every score).
            const __mmask16 beats = _mm512_cmpgt_epi32_mask(score[b], score[a]);
            rank[a] = _mm512_mask_add_epi32(rank[a], beats, rank[a], one);
            rank[b] = _mm512_mask_sub_epi32(rank[b], beats, rank[b], one);
        }
    // out[p]: every row's id of rank p, then turned back into rows.
    __m512i out[R];
    for (int p = 0; p < R; ++p) {
        out[p] = _mm512_setzero_si512();
        if (p >= k)
            continue;
        const __m512i pp = _mm512_set1_epi32(p);
        for (int j = 0; j < most; ++j)
            out[p] = _mm512_mask_mov_epi32(out[p], _mm512_cmpeq_epi32_mask(rank[j], pp), id[j]);
    }
    transpose16(out);
    const auto first = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(k)));
    for (int r = 0; r < R; ++r) {
        int* into = ids + r * k;
        if (wide >> r & 1u) {
            topkFromLaneMaxima512(row[r], n, k, lanesMax[r], into);
        } else {
            _mm512_mask_storeu_epi32(into, first, out[r]);
        }
    }
    return true;
}

namespace {

// Re-routing within a selected set of at most 16 * H experts (every routed expert is then one of
// them), sixteen tokens at a time. A token keeps the baseline experts whose bits lie at the set's
// positions (pext, word by word); one that keeps all of them is unchanged. The others have their
// scores at the set's positions gathered (H registers per token), and each block of sixteen
// registers is transposed so that each register holds one expert's scores, token by token: the
// ranks then come from comparing each pair of experts once for all sixteen tokens, instead of
// ranking each token's registers lane against lane. The ranks are those of the one-token kernels
// (a higher score first, the lower id on a tie); each token keeps its first k. The kept mass is
// summed as rerouteWithin sums it: token by token, each token's experts best first (an unchanged
// token adds its baseline mass).
template <int H>
DELTASCOPE_AVX512 void rerouteBlocks512(const SliceInput& in, const int* sel, int m, const std::uint64_t* selMask,
    const std::uint64_t* baseMask, const int* kOf, const double* tokenMass, int* used, double& mass, int& overlap,
    int& unchanged)
{
    constexpr int M = 16 * H;
    const int W = maskWords(in.experts);
    const int K = in.topK;
    const int T = in.tokens;
    int before[8] = {}; // the set's members in the words before each word (n <= 512)
    for (int w = 1; w < W; ++w)
        before[w] = before[w - 1] + __builtin_popcountll(selMask[w - 1]);
    __mmask16 valid[H];
    __m512i idx[H];
    for (int h = 0; h < H; ++h) {
        const int left = std::clamp(m - 16 * h, 0, 16);
        valid[h] = static_cast<__mmask16>(_bzhi_u32(0xffffu, static_cast<unsigned>(left)));
        idx[h] = _mm512_maskz_loadu_epi32(valid[h], sel + 16 * h);
    }
    const __m512i kk = _mm512_set1_epi32(K);
    const __m512i one = _mm512_set1_epi32(1);
    const int c = std::min(m, K);
    int usedAt[M] = {};
    alignas(64) float val[8][16];
    for (int t0 = 0; t0 < T; t0 += 16) {
        const int n = std::min(16, T - t0);
        __m512i x[M]; // x[16 h + i]: token i's scores of the set's h-th sixteen
        std::uint8_t state[16];
        __mmask16 rerouted = 0;
        __m512i memberCount[H];
        for (int h = 0; h < H; ++h)
            memberCount[h] = _mm512_setzero_si512();
        for (int i = 0; i < 16; ++i) {
            state[i] = 0; // 0: no routing (or past the last token), 1: unchanged, 2: re-routed
            for (int h = 0; h < H; ++h)
                x[16 * h + i] = _mm512_setzero_si512();
            if (i >= n || kOf[t0 + i] == 0)
                continue;
            const int t = t0 + i;
            const int kt = kOf[t];
            const std::uint64_t* B = baseMask + static_cast<std::size_t>(t) * static_cast<std::size_t>(W);
            std::uint64_t member = 0; // bit j: the set's j-th expert is one of the token's
            for (int w = 0; w < W; ++w)
                member |= _pext_u64(B[w], selMask[w]) << before[w];
            const int kept = __builtin_popcountll(member);
            overlap += kept;
            if (kept == kt) {
                state[i] = 1;
                for (int h = 0; h < H; ++h)
                    memberCount[h] = _mm512_mask_add_epi32(
                        memberCount[h], static_cast<__mmask16>(member >> (16 * h)), memberCount[h], one);
                continue;
            }
            state[i] = 2;
            rerouted |= static_cast<__mmask16>(1u << i);
            for (int h = 0; h < H; ++h)
                x[16 * h + i] = _mm512_castps_si512(
                    _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid[h], idx[h], rowOf(in, t), 4));
        }
        if (rerouted) {
            for (int h = 0; h < H; ++h)
                transpose16(x + 16 * h); // x[j]: the scores of the set's j-th expert, token by token
            // Expert j starts behind the j experts before it (they win a tie) and moves once per
            // pair in which the other one is strictly larger or smaller than the tie assumed.
            __m512i rank[M];
            for (int j = 0; j < m; ++j)
                rank[j] = _mm512_set1_epi32(j);
            for (int a = 0; a < m; ++a)
                for (int b = a + 1; b < m; ++b) {
                    // b beats a (strictly larger): a falls one place, b rises one.
                    const __mmask16 beats = _mm512_cmpgt_epi32_mask(x[b], x[a]);
                    rank[a] = _mm512_mask_add_epi32(rank[a], beats, rank[a], one);
                    rank[b] = _mm512_mask_sub_epi32(rank[b], beats, rank[b], one);
                }
            // The kept scores best first: val[p] holds each token's score of rank p.
            for (int p = 0; p < c; ++p) {
                __m512i v = _mm512_setzero_si512();
                const __m512i pp = _mm512_set1_epi32(p);
                for (int j = 0; j < m; ++j)
                    v = _mm512_mask_mov_epi32(v, _mm512_cmpeq_epi32_mask(rank[j], pp), x[j]);
                _mm512_store_si512(val[p], v);
            }
            for (int j = 0; j < m; ++j)
                usedAt[j] += __builtin_popcount(_mm512_mask_cmplt_epi32_mask(rerouted, rank[j], kk));
        }
        for (int i = 0; i < n; ++i) {
            if (state[i] == 1) {
                ++unchanged;
                mass += tokenMass[t0 + i];
            } else if (state[i] == 2) {
                for (int p = 0; p < c; ++p)
                    mass += static_cast<double>(val[p][i]);
            }
        }
        for (int h = 0; h < H; ++h) {
            alignas(64) int counts[16];
            _mm512_store_si512(counts, memberCount[h]);
            for (int j = 16 * h; j < std::min(m, 16 * h + 16); ++j)
                usedAt[j] += counts[j - 16 * h];
        }
    }
    for (int j = 0; j < m; ++j)
        used[sel[j]] += usedAt[j];
}

} // namespace

DELTASCOPE_AVX512 void rerouteSmall512(const SliceInput& in, const int* sel, int m, const std::uint64_t* selMask,
    const std::uint64_t* baseMask, const int* kOf, const double* tokenMass, int* used, double& mass, int& overlap,
    int& unchanged)
{
    if (m <= 16)
        rerouteBlocks512<1>(in, sel, m, selMask, baseMask, kOf, tokenMass, used, mass, overlap, unchanged);
    else
        rerouteBlocks512<2>(in, sel, m, selMask, baseMask, kOf, tokenMass, used, mass, overlap, unchanged);
}

} // namespace deltascope::moe::rows
#endif
