// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/RowKernels.h"

#include "moe/slice/SliceBaseline.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if DELTASCOPE_AVX2_DISPATCH
#include <immintrin.h>
#endif

namespace deltascope::moe::rows {

// The k best experts of a row among those allowed (all when allowed is null), best first: the
// shared slice code's top-k of a row.
void topOf(const float* row, int n, int k, const std::uint8_t* allowed, std::vector<int>& out)
{
    thread_local std::vector<std::uint64_t> keys;
    keys.resize(static_cast<std::size_t>(std::max(k, 1)));
    out.resize(static_cast<std::size_t>(std::max(k, 1)));
    out.resize(static_cast<std::size_t>(slice::topOfRow(row, n, k, allowed, keys.data(), out.data())));
}

// Maxima of the blocks of 8 consecutive experts (n a multiple of 8).
void blockMaxima(const float* row, int n, float* out)
{
#if defined(__SSE2__)
    for (int b = 0; b < n / 8; ++b) {
        const __m128 m = _mm_max_ps(_mm_loadu_ps(row + 8 * b), _mm_loadu_ps(row + 8 * b + 4));
        const __m128 m2 = _mm_max_ps(m, _mm_movehl_ps(m, m));
        const __m128 m1 = _mm_max_ss(m2, _mm_shuffle_ps(m2, m2, 1));
        out[b] = _mm_cvtss_f32(m1);
    }
#else
    for (int b = 0; b < n / 8; ++b) {
        float m = row[8 * b];
        for (int j = 1; j < 8; ++j)
            m = std::max(m, row[8 * b + j]);
        out[b] = m;
    }
#endif
}

// The hot-path version: the k best of a row, best first; returns how many. The k-th largest of the
// maxima of blocks of 8 experts is a lower bound of the row's k-th largest score (those k maxima
// belong to k distinct experts), so only the few blocks whose maximum reaches it are scanned.
int topOfFast(const float* row, int n, int k, int* ids, std::vector<float>& maxima, std::vector<int>& cand)
{
    const int blocks = n / 8;
    cand.clear();
    float threshold = kUnknown;
    if (blocks >= k && n % 8 == 0) {
        maxima.resize(static_cast<std::size_t>(blocks + k));
        float* m = maxima.data();
        blockMaxima(row, n, m);
        // The k-th largest block maximum, by insertion into a short descending list.
        float* best = m + blocks;
        int held = 0;
        for (int b = 0; b < blocks; ++b) {
            const float v = m[b];
            if (held == k && !(v > best[k - 1]))
                continue;
            int i = held < k ? held++ : k - 1;
            while (i > 0 && best[i - 1] < v) {
                best[i] = best[i - 1];
                --i;
            }
            best[i] = v;
        }
        threshold = best[k - 1];
    }
    if (threshold != kUnknown) {
        // Only blocks whose maximum reaches the bound can hold candidates.
        const float* m = maxima.data();
        for (int b = 0; b < blocks; ++b) {
            if (!(m[b] >= threshold))
                continue;
#if defined(__SSE2__)
            const __m128 t = _mm_set1_ps(threshold);
            unsigned mask = static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(row + 8 * b), t)))
                | static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(row + 8 * b + 4), t))) << 4;
            while (mask) {
                cand.push_back(8 * b + __builtin_ctz(mask));
                mask &= mask - 1;
            }
#else
            for (int e = 8 * b; e < 8 * b + 8; ++e)
                if (row[e] >= threshold)
                    cand.push_back(e);
#endif
        }
    } else {
        for (int e = 0; e < n; ++e)
            if (row[e] != kUnknown)
                cand.push_back(e);
    }
    // Insertion into the best-first list of keys (score bits above the inverted id, ordered like
    // the slice order, higher score then lower id, for the non-negative scores of a slice): there are only a few
    // candidates.
    std::uint64_t keys[64];
    const int cap = std::min(k, 64);
    int count = 0;
    for (const int e : cand) {
        std::uint32_t bits;
        std::memcpy(&bits, row + e, sizeof bits);
        const std::uint64_t key = (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
        int i;
        if (count < cap) {
            i = count++;
        } else {
            if (key <= keys[cap - 1])
                continue;
            i = cap - 1;
        }
        while (i > 0 && keys[i - 1] < key) {
            keys[i] = keys[i - 1];
            --i;
        }
        keys[i] = key;
    }
    for (int i = 0; i < count; ++i)
        ids[i] = static_cast<int>(~static_cast<std::uint32_t>(keys[i]));
    return count;
}

// Sorts experts by decreasing utility, ties to the lower id, through one integer key per expert:
// the utility's bits made order-preserving, then the id.
std::vector<int> byUtility(std::vector<int> experts, const std::vector<double>& u, std::size_t head)
{
    struct Key {
        std::uint64_t value;
        int id;
    };
    std::vector<Key> keys(experts.size());
    for (std::size_t i = 0; i < experts.size(); ++i) {
        const double v = u[static_cast<std::size_t>(experts[i])];
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        // Map doubles to unsigned integers whose order is the doubles' order.
        bits = (bits >> 63) ? ~bits : (bits | 0x8000000000000000ULL);
        keys[i] = { bits, experts[i] };
    }
    const auto better
        = [](const Key& a, const Key& b) { return a.value > b.value || (a.value == b.value && a.id < b.id); };
    if (head * 4 >= keys.size())
        std::sort(keys.begin(), keys.end(), better);
    else
        std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(head), keys.end(), better);
    for (std::size_t i = 0; i < keys.size(); ++i)
        experts[i] = keys[i].id;
    return experts;
}

// The most activated experts and the most token-expert assignments on one device, from the
// number of tokens routed to each expert. A replicated expert's tokens are dealt round-robin over
// its copies, the placed device first: a copy is active when it receives a token.
void devicePeaks(const std::vector<int>& counts, const std::vector<int>& device,
    const std::vector<std::vector<int>>& replicas, int devices, int& peakActive, int& peakTokens,
    const std::vector<int>* only)
{
    thread_local std::vector<int> active;
    thread_local std::vector<int> tokens;
    active.assign(static_cast<std::size_t>(devices), 0);
    tokens.assign(static_cast<std::size_t>(devices), 0);
    auto add = [&](std::size_t e) {
        const int c = counts[e];
        if (c <= 0)
            return;
        const auto d = static_cast<std::size_t>(device[e]);
        if (replicas.empty() || replicas[e].empty()) {
            ++active[d];
            tokens[d] += c;
            return;
        }
        const auto& extra = replicas[e];
        const int copies = 1 + static_cast<int>(extra.size());
        for (int j = 0; j < copies; ++j) {
            const int share = c / copies + (j < c % copies ? 1 : 0);
            if (share == 0)
                break;
            const auto dj = j == 0 ? d : static_cast<std::size_t>(extra[static_cast<std::size_t>(j - 1)]);
            ++active[dj];
            tokens[dj] += share;
        }
    };
    if (only) {
        for (const int e : *only)
            add(static_cast<std::size_t>(e));
    } else if (replicas.empty()) {
        // No copies: every expert adds its count to its device, without branches.
        for (std::size_t e = 0; e < counts.size(); ++e) {
            const auto d = static_cast<std::size_t>(device[e]);
            active[d] += counts[e] > 0 ? 1 : 0;
            tokens[d] += counts[e];
        }
    } else {
        for (std::size_t e = 0; e < counts.size(); ++e)
            add(e);
    }
    peakActive = *std::max_element(active.begin(), active.end());
    peakTokens = *std::max_element(tokens.begin(), tokens.end());
}

// True when no score of the row is negative, -0, NaN or infinite (unsigned bits below +infinity).
bool rowValid(const float* row, int n)
{
    std::uint32_t bad = 0;
    for (int e = 0; e < n; ++e) {
        std::uint32_t bits;
        std::memcpy(&bits, row + e, sizeof bits);
        bad |= static_cast<std::uint32_t>(bits >= 0x7f800000u);
    }
    return bad == 0;
}

void addUtility(const float* row, int n, bool hasUnknown, double* acc)
{
    if (hasUnknown) {
        for (int e = 0; e < n; ++e)
            acc[e] += row[e] == kUnknown ? 0.0 : static_cast<double>(row[e]);
    } else {
        for (int e = 0; e < n; ++e)
            acc[e] += static_cast<double>(row[e]);
    }
}

namespace {

int processorLevel()
{
#if DELTASCOPE_AVX2_DISPATCH
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2")
        && __builtin_cpu_supports("popcnt"))
        return kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        return kAvx2;
#endif
    return kScalar;
}

// The level asked for: the best the processor has unless DELTASCOPE_CPU_KERNELS (scalar, avx2,
// avx512; any case) or setVectorLevel asks for less.
int startRequest()
{
    const char* want = std::getenv("DELTASCOPE_CPU_KERNELS");
    if (!want || !*want)
        return kAvx512;
    std::string w = want;
    for (char& ch : w)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (w == "scalar")
        return kScalar;
    if (w == "avx2")
        return kAvx2;
    if (w == "avx512" || w == "avx-512")
        return kAvx512;
    std::fprintf(stderr, "deltascope: DELTASCOPE_CPU_KERNELS=%s is not scalar, avx2 or avx512: ignored\n", want);
    return kAvx512;
}

std::atomic<int>& requested()
{
    static std::atomic<int> level { startRequest() };
    return level;
}

} // namespace

int vectorLevel()
{
    static const int top = processorLevel();
    return std::min(requested().load(std::memory_order_relaxed), top);
}

int setVectorLevel(int level)
{
    return requested().exchange(std::clamp(level, 0, static_cast<int>(kAvx512)));
}

bool avx512Allowed()
{
    return requested().load(std::memory_order_relaxed) >= kAvx512;
}

const char* vectorLevelName(int level)
{
    switch (level) {
    case kAvx512:
        return "AVX-512";
    case kAvx2:
        return "AVX2";
    default:
        return "scalar";
    }
}

int rowPath(const SliceInput& in)
{
    if (in.hasUnknown || in.topK < 1 || in.topK > 8 || in.experts < 16 || in.experts % 8 != 0)
        return kScalar;
    const int level = vectorLevel();
#if DELTASCOPE_AVX2_DISPATCH
    if (level >= kAvx512 && scanRow512Fits(in.experts, in.topK))
        return kAvx512;
#endif
    return level >= kAvx2 ? kAvx2 : kScalar;
}

#if DELTASCOPE_AVX2_DISPATCH
namespace {

// One step of a bitonic network on the 8 lanes: lane i meets lane i ^ D; within blocks of B lanes
// that sort ascending (every block when B = 8), the lower lane keeps the minimum.
template <int B, int D> constexpr int takesMax()
{
    int mask = 0;
    for (int i = 0; i < 8; ++i)
        if (((i & D) != 0) != (B < 8 && (i & B) != 0))
            mask |= 1 << i;
    return mask;
}

template <int B, int D> __attribute__((target("avx2"))) inline __m256 bitonicStep(__m256 v)
{
    const __m256i partner = _mm256_setr_epi32(0 ^ D, 1 ^ D, 2 ^ D, 3 ^ D, 4 ^ D, 5 ^ D, 6 ^ D, 7 ^ D);
    const __m256 p = _mm256_permutevar8x32_ps(v, partner);
    constexpr int upper = takesMax<B, D>(); // a macro argument in unoptimised builds: no template commas
    return _mm256_blend_ps(_mm256_min_ps(v, p), _mm256_max_ps(v, p), upper);
}

__attribute__((target("avx2"))) inline __m256 bitonicMerge(__m256 v)
{
    return bitonicStep<8, 1>(bitonicStep<8, 2>(bitonicStep<8, 4>(v)));
}

__attribute__((target("avx2"))) inline __m256 sortLanes(__m256 v)
{
    v = bitonicStep<2, 1>(v);
    v = bitonicStep<4, 1>(bitonicStep<4, 2>(v));
    return bitonicMerge(v);
}

// Lane positions of the set bits of each 8-bit mask, packed 3 bits each in lane order: used to
// pack the lanes that pass a comparison to the front of a vector.
struct PackTable {
    std::uint32_t packed[256];
    constexpr PackTable()
        : packed {}
    {
        for (int m = 0; m < 256; ++m) {
            std::uint32_t v = 0;
            int at = 0;
            for (int lane = 0; lane < 8; ++lane)
                if (m & (1 << lane))
                    v |= static_cast<std::uint32_t>(lane) << (3 * at++);
            packed[m] = v;
        }
    }
};
constexpr PackTable kPack;

// The k best of c <= kRankCap candidates in ascending id order (scores padded with -1 to a
// multiple of 8 lanes), best first. A candidate's rank counts the candidates with a higher score
// and those with the same score before it (a lower id); the k first ranks are kept. Returns
// min(c, k).
__attribute__((target("avx2,popcnt"))) int rankCandidates(
    const float* candScore, const int* candId, int c, int k, int* ids)
{
    int slot[9];
    const int blocks = (c + 7) / 8;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int i = 0; i < c; ++i) {
        const __m256 si = _mm256_set1_ps(candScore[i]);
        const __m256i at = _mm256_set1_epi32(i);
        int rank = 0;
        for (int bl = 0; bl < blocks; ++bl) {
            const __m256 vals = _mm256_load_ps(candScore + 8 * bl);
            const __m256i before = _mm256_cmpgt_epi32(at, _mm256_add_epi32(lanes, _mm256_set1_epi32(8 * bl)));
            const __m256 ahead = _mm256_or_ps(_mm256_cmp_ps(vals, si, _CMP_GT_OQ),
                _mm256_and_ps(_mm256_cmp_ps(vals, si, _CMP_EQ_OQ), _mm256_castsi256_ps(before)));
            rank += __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(ahead)));
        }
        slot[std::min(rank, k)] = candId[i];
    }
    const int count = std::min(c, k);
    for (int i = 0; i < count; ++i)
        ids[i] = slot[i];
    return count;
}

} // namespace

// The k best among a short list of experts in ascending id order (at most kRankCap), best first.
__attribute__((target("avx2,popcnt"))) int topkOfList(const float* row, const int* list, int m, int k, int* ids)
{
    alignas(32) float candScore[kRankCap + 8];
    for (int i = 0; i < m; ++i)
        candScore[i] = row[list[i]];
    _mm256_storeu_ps(candScore + m, _mm256_set1_ps(-1.0f));
    return rankCandidates(candScore, list, m, k, ids);
}

// The k (<= 8) best of a row of n (a multiple of 8, at least 16) scores among the allowed experts
// (allow: one all-ones or zero lane per expert; null allows all), best first. Scores must be
// non-negative. The lane maxima of the even and of the odd vectors are maxima of 16 disjoint
// groups of experts, so the k-th largest of them (or 0, if fewer than k groups hold an allowed
// expert) bounds the k-th best score from below; the few scores reaching it are packed into a
// short list and ranked by counting, without data-dependent branches. Returns the count, or -1
// when too many scores tie at the bound (the caller then ranks them another way).
__attribute__((target("avx2,popcnt"))) int topkAvx2(const float* row, int n, int k, const float* allow, int* ids)
{
    const int vecs = n / 8;
    const __m256 none = _mm256_set1_ps(-1.0f);
    const auto load = [ row, allow, none ](int v) __attribute__((target("avx2")))
    {
        const __m256 x = _mm256_loadu_ps(row + 8 * v);
        return allow ? _mm256_blendv_ps(none, x, _mm256_loadu_ps(allow + 8 * v)) : x;
    };
    __m256 mx0 = load(0);
    __m256 mx1 = load(1);
    for (int v = 2; v + 1 < vecs; v += 2) {
        mx0 = _mm256_max_ps(mx0, load(v));
        mx1 = _mm256_max_ps(mx1, load(v + 1));
    }
    if (vecs & 1)
        mx0 = _mm256_max_ps(mx0, load(vecs - 1));
    // The 8 largest group maxima, ascending: with two sorted lists, the lane-wise maximum of one
    // and the other reversed holds the 8 largest of both.
    const __m256 a = sortLanes(mx0);
    const __m256 b = _mm256_permutevar8x32_ps(sortLanes(mx1), _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, bitonicMerge(_mm256_max_ps(a, b)));
    const __m256 t = _mm256_set1_ps(std::max(lanes[8 - k], 0.0f));

    alignas(32) float candScore[kRankCap + 8];
    alignas(32) int candId[kRankCap + 8];
    const __m256i shifts = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
    const __m256i seven = _mm256_set1_epi32(7);
    int c = 0;
    for (int v = 0; v < vecs; ++v) {
        const __m256 x = load(v);
        const auto mask = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(x, t, _CMP_GE_OQ)));
        const __m256i lane = _mm256_and_si256(
            _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kPack.packed[mask])), shifts), seven);
        _mm256_storeu_ps(candScore + c, _mm256_permutevar8x32_ps(x, lane));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(candId + c), _mm256_add_epi32(lane, _mm256_set1_epi32(8 * v)));
        c += __builtin_popcount(mask);
        if (c > kRankCap)
            return -1;
    }
    _mm256_storeu_ps(candScore + c, none);
    return rankCandidates(candScore, candId, c, k, ids);
}

// The scalar ranking: the k best allowed experts of the row, best first.
int topkKeys(const float* row, int n, int k, const std::uint64_t* allow, int* ids)
{
    std::uint64_t keys[64];
    int count = 0;
    const int cap = std::min(k, 64);
    for (int e = 0; e < n; ++e)
        if ((!allow || testBit(allow, e)) && row[e] != kUnknown)
            count = insertKey(keys, count, cap, keyOf(row[e], e));
    for (int i = 0; i < count; ++i)
        ids[i] = idOfKey(keys[i]);
    return count;
}

// One pass over a dense row of n (a multiple of 8, at least 16) scores, k <= 8: checks the scores
// and adds them to the utilities; then the k best experts, best first. Returns k, or -1 for a
// score the kernels cannot order (negative, -0, NaN, infinite).
__attribute__((target("avx2,popcnt"))) int scanRowAvx2(const float* row, int n, int k, double* util, int* ids)
{
    const int vecs = n / 8;
    __m256i bad = _mm256_setzero_si256();
    const __m256i limit = _mm256_set1_epi32(0x7f7fffff);
    for (int v = 0; v < vecs; ++v) {
        const __m256 x = _mm256_loadu_ps(row + 8 * v);
        const __m256i xi = _mm256_castps_si256(x);
        // The sign bit flags negative scores (and -0); the comparison flags +infinity and NaN.
        bad = _mm256_or_si256(bad, _mm256_or_si256(xi, _mm256_cmpgt_epi32(xi, limit)));
        double* u = util + 8 * v;
        _mm256_storeu_pd(u, _mm256_add_pd(_mm256_loadu_pd(u), _mm256_cvtps_pd(_mm256_castps256_ps128(x))));
        _mm256_storeu_pd(u + 4, _mm256_add_pd(_mm256_loadu_pd(u + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))));
    }
    if (_mm256_movemask_ps(_mm256_castsi256_ps(bad)))
        return -1;
    const int count = topkAvx2(row, n, k, nullptr, ids);
    return count >= 0 ? count : topkKeys(row, n, k, nullptr, ids);
}
#endif

} // namespace deltascope::moe::rows
