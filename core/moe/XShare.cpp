#include "moe/XShare.h"

#include "moe/slice/SliceBaseline.h"

#include <algorithm>
#include <cstring>
#include <functional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DELTASCOPE_AVX2_DISPATCH 1
#include <immintrin.h>
#endif
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace deltascope::moe {

namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

inline const float* rowOf(const SliceInput& in, int t)
{
    return in.rows ? in.rows[t] : in.scores + static_cast<std::size_t>(t) * static_cast<std::size_t>(in.experts);
}

inline int maskWords(int experts)
{
    return (experts + 63) / 64;
}

inline bool testBit(const std::uint64_t* mask, int e)
{
    return (mask[e >> 6] >> (e & 63)) & 1u;
}

inline std::uint64_t keyOf(float score, int e)
{
    std::uint32_t bits;
    std::memcpy(&bits, &score, sizeof bits);
    return (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
}

inline int idOfKey(std::uint64_t key)
{
    return static_cast<int>(~static_cast<std::uint32_t>(key));
}

// Places key in a best-first list of at most cap keys holding count; returns the new count.
inline int insertKey(std::uint64_t* keys, int count, int cap, std::uint64_t key)
{
    int i;
    if (count < cap) {
        i = count++;
    } else {
        if (key <= keys[cap - 1])
            return count;
        i = cap - 1;
    }
    while (i > 0 && keys[i - 1] < key) {
        keys[i] = keys[i - 1];
        --i;
    }
    keys[i] = key;
    return count;
}

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
std::vector<int> byUtility(std::vector<int> experts, const std::vector<double>& u)
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
    std::sort(keys.begin(), keys.end(),
        [](const Key& a, const Key& b) { return a.value > b.value || (a.value == b.value && a.id < b.id); });
    for (std::size_t i = 0; i < keys.size(); ++i)
        experts[i] = keys[i].id;
    return experts;
}

// The most activated experts and the most token-expert assignments on one device, from the
// number of tokens routed to each expert. A replicated expert's tokens are dealt round-robin over
// its copies, the placed device first: a copy is active when it receives a token.
void devicePeaks(const std::vector<int>& counts, const std::vector<int>& device,
    const std::vector<std::vector<int>>& replicas, int devices, int& peakActive, int& peakTokens)
{
    std::vector<int> active(static_cast<std::size_t>(devices), 0);
    std::vector<int> tokens(static_cast<std::size_t>(devices), 0);
    for (std::size_t e = 0; e < counts.size(); ++e) {
        const int c = counts[e];
        if (c <= 0)
            continue;
        const auto d = static_cast<std::size_t>(device[e]);
        if (replicas.empty() || replicas[e].empty()) {
            ++active[d];
            tokens[d] += c;
            continue;
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

#if DELTASCOPE_AVX2_DISPATCH
bool haveAvx2()
{
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    return yes;
}

// Whether the slice's rows take the vector kernels: dense rows of a multiple of 8 experts, k <= 8.
bool simdRows(const SliceInput& in)
{
    return !in.hasUnknown && in.topK >= 1 && in.topK <= 8 && in.experts >= 16 && in.experts % 8 == 0 && haveAvx2();
}

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

constexpr int kRankCap = 32; // at most this many candidates are ranked without branches

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

// The per-slice work every policy shares, in one pass over the rows: per token the baseline top-k
// (best first), as bits and its mass; per expert the utility and the number of tokens routed to it.
// Returns false when in.rows is set and a row holds a score that cannot be ordered.
bool prepare(const SliceInput& in, SliceScratch& s, SliceSweep& out)
{
    const int N = in.experts;
    const int K = in.topK;
    const auto T = static_cast<std::size_t>(in.tokens);
    const int W = maskWords(N);
    s.util.assign(static_cast<std::size_t>(N), 0.0);
    s.baseCount.assign(static_cast<std::size_t>(N), 0);
    s.topIds.resize(T * static_cast<std::size_t>(K));
    s.kOf.resize(T);
    s.tokenMass.resize(T);
    s.baseMask.assign(T * static_cast<std::size_t>(W), 0);
    const bool unchecked = in.rows != nullptr;
#if DELTASCOPE_AVX2_DISPATCH
    const bool simd = simdRows(in);
#endif
    std::vector<int> top;
    out.routedTokens = 0;
    out.massBase = 0.0;
    for (std::size_t t = 0; t < T; ++t) {
        const float* row = rowOf(in, static_cast<int>(t));
        int* ids = s.topIds.data() + t * static_cast<std::size_t>(K);
        int count = -1;
#if DELTASCOPE_AVX2_DISPATCH
        if (simd) {
            count = scanRowAvx2(row, N, K, s.util.data(), ids);
            if (count < 0)
                return false;
        }
#endif
        if (count < 0) {
            if (unchecked && !rowValid(row, N))
                return false;
            addUtility(row, N, in.hasUnknown, s.util.data());
            if (K <= 64) {
                count = topOfFast(row, N, K, ids, s.topScores, s.candidates);
            } else {
                topOf(row, N, K, nullptr, top);
                count = static_cast<int>(top.size());
                std::copy(top.begin(), top.end(), ids);
            }
        }
        s.kOf[t] = count;
        out.routedTokens += count > 0 ? 1 : 0;
        std::uint64_t* mask = s.baseMask.data() + t * static_cast<std::size_t>(W);
        double mass = 0;
        for (int j = 0; j < count; ++j) {
            const int e = ids[j];
            mask[e >> 6] |= std::uint64_t { 1 } << (e & 63);
            ++s.baseCount[static_cast<std::size_t>(e)];
            mass += static_cast<double>(row[e]);
        }
        s.tokenMass[t] = mass;
        out.massBase += mass;
    }
    return true;
}

// Baseline union and per-device peaks from the per-expert token counts.
void baseSummary(
    const SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int devices, SliceSweep& out)
{
    out.activatedBase
        = static_cast<int>(std::count_if(s.baseCount.begin(), s.baseCount.end(), [](int c) { return c > 0; }));
    devicePeaks(s.baseCount, device, config.replicas, devices, out.peakBase, out.peakTokensBase);
}

// The warm-up set: each token's top-w experts (w <= k: the head of its baseline list).
std::vector<std::uint8_t> warmSet(const SliceInput& in, const SliceScratch& s, int warmup)
{
    std::vector<std::uint8_t> warm(static_cast<std::size_t>(in.experts), 0);
    if (warmup <= 0)
        return warm;
    std::vector<int> top;
    for (int t = 0; t < in.tokens; ++t) {
        if (warmup <= in.topK) {
            const int w = std::min(warmup, s.kOf[static_cast<std::size_t>(t)]);
            const int* ids = s.topIds.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(in.topK);
            for (int j = 0; j < w; ++j)
                warm[static_cast<std::size_t>(ids[j])] = 1;
        } else {
            topOf(rowOf(in, t), in.experts, warmup, nullptr, top);
            for (const int e : top)
                warm[static_cast<std::size_t>(e)] = 1;
        }
    }
    return warm;
}

// The same order as orderFrom, of which only the first `limit` entries are sorted (the rest
// follow in no particular order): a budget needs only the head of the priority order.
void priorityInto(
    const std::vector<double>& u, const std::vector<std::uint8_t>& warm, int limit, std::vector<int>& order)
{
    struct Key {
        std::uint64_t value; // the utility's bits, order-preserving, with the warm-up flag on top
        std::uint32_t tail; // the inverted id: the lower id wins a tie
        bool operator>(const Key& o) const { return value > o.value || (value == o.value && tail > o.tail); }
    };
    const auto n = u.size();
    std::vector<Key> keys(n);
    for (std::size_t e = 0; e < n; ++e) {
        std::uint64_t bits;
        std::memcpy(&bits, &u[e], sizeof bits);
        // Utilities are sums of non-negative scores: their bits order like the values; the flag
        // bit is free.
        keys[e] = { (bits & 0x7fffffffffffffffULL) | (warm[e] ? 0x8000000000000000ULL : 0),
            ~static_cast<std::uint32_t>(e) };
    }
    const auto head
        = static_cast<std::ptrdiff_t>(std::min<std::size_t>(n, static_cast<std::size_t>(std::max(0, limit))));
    if (head * 4 >= static_cast<std::ptrdiff_t>(n))
        std::sort(keys.begin(), keys.end(), std::greater<>());
    else
        std::partial_sort(keys.begin(), keys.begin() + head, keys.end(), std::greater<>());
    order.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = static_cast<int>(~keys[i].tail);
}

// One request of the speculative policy: the utilities of its tokens (given by index) over their
// known scores; its m best experts join the union and add their utility to the batch utility.
void keepRequestBest(const SliceInput& in, const int* tokens, std::size_t count, int m,
    std::vector<double>& batchUtility, std::vector<std::uint8_t>& inUnion)
{
    const auto N = static_cast<std::size_t>(in.experts);
    std::vector<double> u(N, 0.0);
    std::vector<std::uint8_t> seen(N, 0);
    for (std::size_t q = 0; q < count; ++q) {
        const float* row = rowOf(in, tokens[q]);
        for (std::size_t e = 0; e < N; ++e)
            if (row[e] != kUnknown) {
                u[e] += row[e];
                seen[e] = 1;
            }
    }
    std::vector<int> known;
    for (std::size_t e = 0; e < N; ++e)
        if (seen[e])
            known.push_back(static_cast<int>(e));
    const auto keep = std::min(known.size(), static_cast<std::size_t>(m));
    std::partial_sort(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(keep), known.end(), [&](int a, int b) {
        return u[static_cast<std::size_t>(a)] > u[static_cast<std::size_t>(b)]
            || (u[static_cast<std::size_t>(a)] == u[static_cast<std::size_t>(b)] && a < b);
    });
    for (std::size_t r = 0; r < keep; ++r) {
        const auto e = static_cast<std::size_t>(known[r]);
        inUnion[e] = 1;
        batchUtility[e] += u[e];
    }
}

// The speculative order from the prepared slice: the same sums, in the same order, as
// speculativePriority, but a request with one token in the slice keeps the head of that token's
// baseline list (its m <= k best) instead of ranking all experts again.
void speculativeInto(const SliceInput& in, const SliceScratch& s, int requestExperts, std::vector<int>& order)
{
    const int m = requestExperts > 0 ? requestExperts : in.topK;
    const auto N = static_cast<std::size_t>(in.experts);
    const auto K = static_cast<std::size_t>(in.topK);
    std::vector<std::pair<std::int32_t, int>> byRequest(static_cast<std::size_t>(in.tokens));
    for (int t = 0; t < in.tokens; ++t)
        byRequest[static_cast<std::size_t>(t)] = { in.request ? in.request[t] : 0, t };
    std::sort(byRequest.begin(), byRequest.end()); // by request, then token: stable grouping
    std::vector<double> batchUtility(N, 0.0);
    std::vector<std::uint8_t> inUnion(N, 0);
    for (std::size_t i = 0; i < byRequest.size();) {
        std::size_t j = i;
        while (j < byRequest.size() && byRequest[j].first == byRequest[i].first)
            ++j;
        const int t0 = byRequest[i].second;
        if (j - i == 1 && m <= s.kOf[static_cast<std::size_t>(t0)]) {
            const float* row = rowOf(in, t0);
            const int* ids = s.topIds.data() + static_cast<std::size_t>(t0) * K;
            for (int r = 0; r < m; ++r) {
                const auto e = static_cast<std::size_t>(ids[r]);
                inUnion[e] = 1;
                batchUtility[e] += static_cast<double>(row[e]);
            }
        } else {
            // Several tokens (or m beyond the token's list): rank the request's utilities.
            std::vector<int> group;
            for (std::size_t q = i; q < j; ++q)
                group.push_back(byRequest[q].second);
            keepRequestBest(in, group.data(), group.size(), m, batchUtility, inUnion);
        }
        i = j;
    }
    std::vector<int> members;
    std::vector<int> rest;
    for (std::size_t e = 0; e < N; ++e)
        (inUnion[e] ? members : rest).push_back(static_cast<int>(e));
    // The union by batch utility, then the other experts by plain utility: a budget larger than the
    // union is filled (M = N gives top-k).
    order = byUtility(std::move(members), batchUtility);
    const auto tail = byUtility(std::move(rest), s.util);
    order.insert(order.end(), tail.begin(), tail.end());
}

void sizeArrays(SliceSweep& out, int n)
{
    const auto m = static_cast<std::size_t>(n + 1);
    out.activated.assign(m, 0);
    out.mass.assign(m, 0.0);
    out.overlap.assign(m, 0);
    out.unchanged.assign(m, 0);
    out.peak.assign(m, 0);
    out.peakTokens.assign(m, 0);
}

} // namespace

const char* toString(Policy p)
{
    switch (p) {
    case Policy::TopK:
        return "topk";
    case Policy::Batch:
        return "batch";
    case Policy::ExpertParallel:
        return "ep";
    case Policy::Speculative:
        return "spec";
    }
    return "?";
}

bool parsePolicy(const std::string& text, Policy& out)
{
    for (const Policy p : { Policy::TopK, Policy::Batch, Policy::ExpertParallel, Policy::Speculative })
        if (text == toString(p)) {
            out = p;
            return true;
        }
    return false;
}

int deviceCount(const PolicyConfig& config)
{
    int count = std::max(1, config.devices);
    for (const int d : config.placement)
        count = std::max(count, d + 1);
    for (const auto& copies : config.replicas)
        for (const int d : copies)
            count = std::max(count, d + 1);
    return count;
}

namespace {

// The device map of a configuration, built once per scratch and reused while the
// configuration stays the same (every slice of a run).
const std::vector<int>& cachedDevices(const PolicyConfig& config, int experts, SliceScratch& s, int& count)
{
    if (s.deviceExperts != experts || s.deviceConfigured != config.devices || s.devicePlacement != config.placement) {
        s.device = devicesOf(config, experts);
        s.devicePlacement = config.placement;
        s.deviceConfigured = config.devices;
        s.deviceExperts = experts;
    }
    count = deviceCount(config); // cheap: one look at each placed copy
    return s.device;
}

} // namespace

std::vector<int> devicesOf(const PolicyConfig& config, int experts)
{
    if (!config.placement.empty())
        return config.placement;
    const int g = std::max(1, config.devices);
    std::vector<int> d(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e)
        d[static_cast<std::size_t>(e)] = static_cast<int>(static_cast<std::int64_t>(e) * g / experts);
    return d;
}

bool sweepSlice(const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    int G = 0;
    const std::vector<int>& device = cachedDevices(config, N, s, G);
    if (!prepare(in, s, out))
        return false;
    baseSummary(s, device, config, G, out);
    sizeArrays(out, N);

    if (config.policy == Policy::TopK) {
        for (int m = 0; m <= N; ++m) {
            out.activated[static_cast<std::size_t>(m)] = out.activatedBase;
            out.mass[static_cast<std::size_t>(m)] = out.massBase;
            out.peak[static_cast<std::size_t>(m)] = out.peakBase;
            out.peakTokens[static_cast<std::size_t>(m)] = out.peakTokensBase;
        }
        int overlap = 0;
        for (const int kt : s.kOf)
            overlap += kt;
        std::fill(out.overlap.begin(), out.overlap.end(), overlap);
        std::fill(out.unchanged.begin(), out.unchanged.end(), out.routedTokens);
        out.order.clear();
        return true;
    }

    if (config.policy == Policy::Speculative)
        speculativeInto(in, s, config.requestExperts, out.order);
    else
        priorityInto(s.util, warmSet(in, s, config.warmup), maxBudget, out.order);
    const int steps = std::min<int>(static_cast<int>(out.order.size()), std::max(0, maxBudget));
    s.rank.assign(Nz, -1);
    for (int p = 0; p < static_cast<int>(out.order.size()); ++p)
        s.rank[static_cast<std::size_t>(out.order[static_cast<std::size_t>(p)])] = p;
    s.maxEnd.assign(Nz, 0);
    s.diffMass.assign(Nz + 2, 0.0);
    s.diffOverlap.assign(Nz + 2, 0);
    s.diffUnchanged.assign(Nz + 2, 0);
    s.devTokenDiff.assign(static_cast<std::size_t>(G) * (Nz + 2), 0);
    const int k = in.topK;
    const int W = maskWords(N);
    // Each token keeps its current routing as a list sorted best first, so the worst is the last
    // entry and a newcomer is placed by shifting the few entries it beats. Entries are keys that
    // order like the slice order (higher score, then lower id): the score's bits (scores here are never negative) above
    // the inverted id.
    std::vector<std::uint64_t> heap(static_cast<std::size_t>(k));
    std::uint64_t* hk = heap.data();
    const std::size_t stride = Nz + 2;
    // With replicated experts the per-device loads depend on each expert's token count, kept per
    // budget as differences.
    const bool replicated = !config.replicas.empty();
    std::vector<int> expertDiff(replicated ? Nz * stride : 0, 0);
    auto scoreOf = [](std::uint64_t key) {
        const auto bits = static_cast<std::uint32_t>(key >> 32);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    };
    auto idOf = [](std::uint64_t key) { return static_cast<int>(~static_cast<std::uint32_t>(key)); };

    for (int t = 0; t < in.tokens; ++t) {
        const int kt = s.kOf[static_cast<std::size_t>(t)];
        if (kt == 0)
            continue;
        const float* row = rowOf(in, t);
        const std::uint64_t* base = s.baseMask.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(W);
        int size = 0;
        int overlap = 0;
        // Once a token holds k experts, only a score reaching its worst one can change anything:
        // that float test settles most positions before any key is built.
        float worst = kUnknown;
        const int* order = out.order.data();
        for (int p = 0; p < steps; ++p) {
            const int e = order[p];
            const float sc = row[e];
            if (!(sc >= worst) || sc == kUnknown)
                continue;
            std::uint32_t bits;
            std::memcpy(&bits, &sc, sizeof bits);
            const std::uint64_t key = (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
            const auto M = static_cast<std::size_t>(p + 1);
            if (size < k) {
                int i = size++;
                while (i > 0 && hk[i - 1] < key) {
                    hk[i] = hk[i - 1];
                    --i;
                }
                hk[i] = key;
                if (size == k)
                    worst = scoreOf(hk[k - 1]);
            } else {
                if (key <= hk[k - 1])
                    continue;
                // The worst entry leaves; the newcomer takes its place in order. Both without
                // branches on the data: a fixed number of compares and conditional moves.
                const int w = idOf(hk[k - 1]);
                s.diffMass[M] -= static_cast<double>(scoreOf(hk[k - 1]));
                s.maxEnd[static_cast<std::size_t>(w)]
                    = std::max(s.maxEnd[static_cast<std::size_t>(w)], static_cast<int>(M));
                s.devTokenDiff[static_cast<std::size_t>(device[static_cast<std::size_t>(w)]) * stride + M] -= 1;
                if (replicated)
                    expertDiff[static_cast<std::size_t>(w) * stride + M] -= 1;
                const int left = testBit(base, w) ? 1 : 0;
                overlap -= left;
                s.diffOverlap[M] -= left;
                int pos = 0;
                for (int j = 0; j + 1 < k; ++j)
                    pos += hk[j] > key ? 1 : 0;
                for (int j = k - 1; j > 0; --j)
                    hk[j] = j > pos ? hk[j - 1] : hk[j];
                hk[pos] = key;
                worst = scoreOf(hk[k - 1]);
            }
            s.diffMass[M] += static_cast<double>(sc);
            s.devTokenDiff[static_cast<std::size_t>(device[static_cast<std::size_t>(e)]) * stride + M] += 1;
            if (replicated)
                expertDiff[static_cast<std::size_t>(e) * stride + M] += 1;
            const int joined = testBit(base, e) ? 1 : 0;
            overlap += joined;
            s.diffOverlap[M] += joined;
            if (joined && overlap == kt) {
                // The token holds its own top-k again: nothing later can displace them.
                s.diffUnchanged[M] += 1;
                break;
            }
        }
        for (int i = 0; i < size; ++i)
            s.maxEnd[static_cast<std::size_t>(idOf(hk[i]))] = N + 1;
    }

    // An expert is active for M in [rank + 1, maxEnd): every token that ever takes it does so
    // when it enters the selection.
    s.diff.assign(Nz + 2, 0);
    s.devDiff.assign(static_cast<std::size_t>(G) * (Nz + 2), 0);
    for (int e = 0; e < N; ++e) {
        const int end = s.maxEnd[static_cast<std::size_t>(e)];
        if (end == 0)
            continue;
        const auto start = static_cast<std::size_t>(s.rank[static_cast<std::size_t>(e)] + 1);
        const auto stop = static_cast<std::size_t>(std::min(end, N + 1));
        s.diff[start] += 1;
        s.diff[stop] -= 1;
        const auto d = static_cast<std::size_t>(device[static_cast<std::size_t>(e)]) * (Nz + 2);
        s.devDiff[d + start] += 1;
        s.devDiff[d + stop] -= 1;
    }
    int active = 0;
    double mass = 0;
    int overlapSum = 0;
    int unchangedSum = 0;
    std::vector<int> devActive(static_cast<std::size_t>(G), 0);
    std::vector<int> devTokens(static_cast<std::size_t>(G), 0);
    for (std::size_t m = 0; m <= Nz; ++m) {
        active += s.diff[m];
        mass += s.diffMass[m];
        overlapSum += s.diffOverlap[m];
        unchangedSum += s.diffUnchanged[m];
        int peak = 0;
        int peakTokens = 0;
        for (std::size_t g = 0; g < static_cast<std::size_t>(G); ++g) {
            devActive[g] += s.devDiff[g * (Nz + 2) + m];
            devTokens[g] += s.devTokenDiff[g * (Nz + 2) + m];
            peak = std::max(peak, devActive[g]);
            peakTokens = std::max(peakTokens, devTokens[g]);
        }
        out.activated[m] = active;
        out.mass[m] = mass;
        out.overlap[m] = overlapSum;
        out.unchanged[m] = unchangedSum;
        out.peak[m] = peak;
        out.peakTokens[m] = peakTokens;
    }
    if (replicated) {
        std::vector<int> counts(Nz, 0);
        for (std::size_t m = 0; m <= Nz; ++m) {
            for (std::size_t e = 0; e < Nz; ++e)
                counts[e] += expertDiff[e * stride + m];
            devicePeaks(counts, device, config.replicas, G, out.peak[m], out.peakTokens[m]);
        }
    }
    return true;
}

bool sliceBudgets(
    const SliceInput& in, const PolicyConfig& config, const std::vector<int>& budgets, SliceSweep& out, SliceScratch& s)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    const int K = in.topK;
    const int W = maskWords(N);
    if (K > 64) {
        // Very wide routing: the plain per-budget path (its rows are always checked copies).
        for (const int budget : budgets)
            runSliceBudget(in, config, budget, out, s);
        return true;
    }
    int G = 0;
    const std::vector<int>& device = cachedDevices(config, N, s, G);
    if (!prepare(in, s, out))
        return false;
    baseSummary(s, device, config, G, out);
    if (out.activated.size() != Nz + 1)
        sizeArrays(out, N);

    out.order.clear();
    if (config.policy == Policy::Speculative)
        speculativeInto(in, s, config.requestExperts, out.order);
    else if (config.policy == Policy::Batch)
        priorityInto(s.util, warmSet(in, s, config.warmup),
            budgets.empty() ? 0 : *std::max_element(budgets.begin(), budgets.end()), out.order);
    else if (config.policy == Policy::ExpertParallel)
        priorityInto(s.util, warmSet(in, s, config.warmup), N, out.order);

#if DELTASCOPE_AVX2_DISPATCH
    const bool simd = simdRows(in);
#endif
    std::vector<int> sel;
    std::vector<int> selSorted;
    std::vector<int> perDevice;
    std::uint64_t keys[64];
    for (const int budget : budgets) {
        const int M = std::clamp(budget, 0, N);
        // The selected set.
        sel.clear();
        if (config.policy == Policy::TopK) {
            sel.resize(Nz);
            std::iota(sel.begin(), sel.end(), 0);
        } else if (config.policy == Policy::ExpertParallel) {
            const int g = std::max(1, config.devices);
            const int capacity = (M + g - 1) / g;
            perDevice.assign(static_cast<std::size_t>(g), 0);
            for (const int e : out.order) {
                if (static_cast<int>(sel.size()) >= M)
                    break;
                auto& c = perDevice[static_cast<std::size_t>(device[static_cast<std::size_t>(e)])];
                if (c < capacity) {
                    ++c;
                    sel.push_back(e);
                }
            }
        } else {
            sel.assign(out.order.begin(),
                out.order.begin()
                    + static_cast<std::ptrdiff_t>(std::min(out.order.size(), static_cast<std::size_t>(M))));
        }
        s.selMask.assign(static_cast<std::size_t>(W), 0);
        for (const int e : sel)
            s.selMask[static_cast<std::size_t>(e >> 6)] |= std::uint64_t { 1 } << (e & 63);
        const std::uint64_t* S = s.selMask.data();
#if DELTASCOPE_AVX2_DISPATCH
        if (simd) {
            // The selection as blend lanes (the sign bit of -0 marks a selected expert) and, when
            // short, as a list in id order to rank directly.
            s.selLanes.assign(Nz, 0.0f);
            for (const int e : sel)
                s.selLanes[static_cast<std::size_t>(e)] = -0.0f;
            selSorted = sel;
            std::sort(selSorted.begin(), selSorted.end());
        }
#endif

        // Re-routing: a token keeps its baseline experts that were selected (they beat every other
        // selected expert) and fills up with the best of the rest of the selection.
        s.used.assign(Nz, 0);
        double mass = 0;
        int overlap = 0;
        int unchanged = 0;
        for (int t = 0; t < in.tokens; ++t) {
            const auto tz = static_cast<std::size_t>(t);
            const int kt = s.kOf[tz];
            if (kt == 0)
                continue;
            const std::uint64_t* R = s.baseMask.data() + tz * static_cast<std::size_t>(W);
            const int* ids = s.topIds.data() + tz * static_cast<std::size_t>(K);
            int kept = 0;
            for (int j = 0; j < kt; ++j)
                kept += testBit(S, ids[j]) ? 1 : 0;
            overlap += kept;
            if (kept == kt) {
                ++unchanged;
                mass += s.tokenMass[tz];
                for (int j = 0; j < kt; ++j)
                    ++s.used[static_cast<std::size_t>(ids[j])];
                continue;
            }
            const float* row = rowOf(in, t);
#if DELTASCOPE_AVX2_DISPATCH
            if (simd) {
                // The k best within S: the token's selected baseline experts and the best of the rest.
                int routed[8];
                int c = selSorted.size() <= static_cast<std::size_t>(kRankCap)
                    ? topkOfList(row, selSorted.data(), static_cast<int>(selSorted.size()), K, routed)
                    : topkAvx2(row, N, K, s.selLanes.data(), routed);
                if (c < 0)
                    c = topkKeys(row, N, K, S, routed);
                for (int i = 0; i < c; ++i) {
                    mass += static_cast<double>(row[routed[i]]);
                    ++s.used[static_cast<std::size_t>(routed[i])];
                }
                continue;
            }
#endif
            for (int j = 0; j < kt; ++j) {
                const int e = ids[j];
                if (testBit(S, e)) {
                    mass += static_cast<double>(row[e]);
                    ++s.used[static_cast<std::size_t>(e)];
                }
            }
            const int need = std::min(K - kept, 64);
            int count = 0;
            for (int w = 0; w < W; ++w) {
                std::uint64_t bits = S[w] & ~R[w];
                while (bits) {
                    const int e = 64 * w + __builtin_ctzll(bits);
                    bits &= bits - 1;
                    const float sc = row[e];
                    if (sc != kUnknown)
                        count = insertKey(keys, count, need, keyOf(sc, e));
                }
            }
            for (int i = 0; i < count; ++i) {
                const int e = idOfKey(keys[i]);
                mass += static_cast<double>(row[e]);
                ++s.used[static_cast<std::size_t>(e)];
            }
        }
        const auto Mz = static_cast<std::size_t>(M);
        out.activated[Mz] = static_cast<int>(std::count_if(s.used.begin(), s.used.end(), [](int c) { return c > 0; }));
        out.mass[Mz] = mass;
        out.overlap[Mz] = overlap;
        out.unchanged[Mz] = unchanged;
        devicePeaks(s.used, device, config.replicas, G, out.peak[Mz], out.peakTokens[Mz]);
    }
    if (config.policy == Policy::TopK) {
        // Top-k selects no subset: the experts its baseline activates.
        out.selected.clear();
        for (std::size_t e = 0; e < Nz; ++e)
            if (s.baseCount[e] > 0)
                out.selected.push_back(static_cast<int>(e));
    } else {
        out.selected = sel;
        std::sort(out.selected.begin(), out.selected.end());
    }
    return true;
}

} // namespace deltascope::moe
