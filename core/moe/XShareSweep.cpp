// SPDX-License-Identifier: GPL-3.0-or-later
// The one-pass sweep of the nested policies (batch greedy, speculative): every budget of a slice
// from one walk of each token over the priority order. A fast path of the shared slice template
// (moe/slice), tested against it.
#include "moe/RowKernels.h"
#include "moe/SlicePrepare.h"
#include "moe/SweepKernels.h"
#include "moe/XShare.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if DELTASCOPE_AVX2_DISPATCH
#include <immintrin.h>
#endif

namespace deltascope::moe {

using namespace detail;
using namespace rows;

namespace {

// What a token's walk adds to, as differences per budget. A walk keeps the token's k best experts
// of the prefix as keys sorted best first (higher score, then lower id, through the score's bits,
// never negative here, above the inverted id), so the worst is the last entry.
struct Walk {
    const int* order;
    const int* deviceAt; ///< [position] the device of the expert there
    const int* deviceOf; ///< [expert] its device
    double* diffMass;
    int* devTokenDiff; ///< [budget][device]
    int* maxEnd;
    int* expertDiff; ///< [expert][budget], with replicated experts only
    int* joined; ///< [budget] experts the vector walk adds at the budget's new position (device by position)
    int* leftExpert; ///< [event] an expert the vector walk displaced (room for 16 past the last)
    int* leftAt; ///< [event] the budget it left at
    int* left; ///< events so far
    std::size_t stride;
    std::size_t devices;
    bool replicated;
    int k;
};

inline float scoreOfKey(std::uint64_t key)
{
    const auto bits = static_cast<std::uint32_t>(key >> 32);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// A known score at position p, expert e, that reaches the token's worst (or the token holds fewer
// than k): it joins unless it loses the tie on the id. At budget p + 1 the worst entry leaves (its
// score subtracted before the newcomer's is added) and the newcomer takes its place in order.
inline void take(const Walk& c, std::uint64_t* hk, int& size, float& worst, int p, int e, float sc)
{
    const int k = c.k;
    const std::uint64_t key = keyOf(sc, e);
    const auto M = static_cast<std::size_t>(p + 1);
    if (size < k) {
        int i = size++;
        while (i > 0 && hk[i - 1] < key) {
            hk[i] = hk[i - 1];
            --i;
        }
        hk[i] = key;
        if (size == k)
            worst = scoreOfKey(hk[k - 1]);
    } else {
        const std::uint64_t last = hk[k - 1];
        if (key <= last)
            return;
        const int w = idOfKey(last);
        const auto wz = static_cast<std::size_t>(w);
        c.diffMass[M] -= static_cast<double>(scoreOfKey(last));
        c.maxEnd[wz] = std::max(c.maxEnd[wz], static_cast<int>(M));
        c.devTokenDiff[M * c.devices + static_cast<std::size_t>(c.deviceOf[wz])] -= 1;
        if (c.replicated)
            c.expertDiff[wz * c.stride + M] -= 1;
        // A fixed number of compares and conditional moves, no branch on the data.
        int pos = 0;
        for (int j = 0; j + 1 < k; ++j)
            pos += hk[j] > key ? 1 : 0;
        for (int j = k - 1; j > 0; --j)
            hk[j] = j > pos ? hk[j - 1] : hk[j];
        hk[pos] = key;
        worst = scoreOfKey(hk[k - 1]);
    }
    c.diffMass[M] += static_cast<double>(sc);
    c.devTokenDiff[M * c.devices + static_cast<std::size_t>(c.deviceAt[p])] += 1;
    if (c.replicated)
        c.expertDiff[static_cast<std::size_t>(e) * c.stride + M] += 1;
}

// The experts a token still holds after its walk stay active to the last budget.
inline void finish(const Walk& c, const std::uint64_t* hk, int size, int N)
{
    for (int i = 0; i < size; ++i)
        c.maxEnd[static_cast<std::size_t>(idOfKey(hk[i]))] = N + 1;
}

// The plain walk of one token over the first `limit` positions: once it holds k experts, only a
// score reaching its worst one can change anything, and that float test settles most positions.
inline void walkPortable(const Walk& c, const float* row, int limit, int N, std::uint64_t* hk)
{
    int size = 0;
    float worst = kUnknown;
    for (int p = 0; p < limit; ++p) {
        const int e = c.order[p];
        const float sc = row[e];
        if (!(sc >= worst) || sc == kUnknown)
            continue;
        take(c, hk, size, worst, p, e, sc);
    }
    finish(c, hk, size, N);
}

#if DELTASCOPE_AVX2_DISPATCH
// GCC 12's AVX-512 headers start some conversions from an undefined register and warn about it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

bool hasAvx512()
{
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi")
        && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    return yes && avx512Allowed(); // DELTASCOPE_CPU_KERNELS=avx2 or scalar turns it off too
}

// The vector walk over slices of at most 32 * P experts and k <= 8: the row sits in 2P registers
// and each group of 16 positions takes its scores from them by permutes (indices and table masks
// made once per slice). A compare with the token's worst score at the start of the group leaves
// the positions that may join; their keys pass one by one, in order, through the token's 8 best
// keys of the prefix held sorted in one register (zero for an empty place, below every key), an
// insertion without branches: new[j] = max(old[j], min(old[j - 1], key)). Lane k - 1 before each
// insertion is the worst entry the key must beat (and displaces). The group's masses are then
// updated in vector lanes, one budget a lane (the displaced score subtracted before the
// newcomer's is added, as walkPortable does), joins are counted per budget, and the displaced
// experts go to a list the slice adds up after its walks: bit for bit what walkPortable gives.
struct VectorOrder {
    std::vector<std::int32_t> index; ///< [group][16] expert ids (0 past the order)
    std::vector<std::uint16_t> table; ///< [group][3] lanes whose expert lies in table 1, 2, 3
};

template <int P>
__attribute__((target("avx512f,bmi,bmi2,popcnt"))) void walkVector(
    const Walk& c, const VectorOrder& vo, const float* row, int limit, int N)
{
    __m512 r[2 * P];
    for (int j = 0; j < 2 * P; ++j) {
        const int left = N - 16 * j;
        const auto lanes = left >= 16 ? static_cast<__mmask16>(0xffff)
            : left > 0                ? static_cast<__mmask16>((1u << left) - 1)
                                      : static_cast<__mmask16>(0);
        r[j] = _mm512_maskz_loadu_ps(lanes, row + 16 * j);
    }
    const int k = c.k;
    const __m512 unknown = _mm512_set1_ps(kUnknown);
    const __m512i ones = _mm512_set1_epi64(-1);
    const __m512i lastLane = _mm512_set1_epi64(k - 1);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i allBits = _mm512_set1_epi32(-1);
    alignas(64) std::uint64_t keys[16];
    __m512i best = _mm512_setzero_si512();
    for (int base = 0, g = 0; base < limit; base += 16, ++g) {
        const __m512i idx = _mm512_loadu_si512(vo.index.data() + 16 * g);
        __m512 v = _mm512_permutex2var_ps(r[0], idx, r[1]);
        if constexpr (P > 1)
            v = _mm512_mask_mov_ps(v, vo.table[3 * g], _mm512_permutex2var_ps(r[2], idx, r[3]));
        if constexpr (P > 2)
            v = _mm512_mask_mov_ps(v, vo.table[3 * g + 1], _mm512_permutex2var_ps(r[4], idx, r[5]));
        if constexpr (P > 3)
            v = _mm512_mask_mov_ps(v, vo.table[3 * g + 2], _mm512_permutex2var_ps(r[6], idx, r[7]));
        const int left = limit - base;
        const auto inside = static_cast<__mmask16>(left >= 16 ? 0xffffu : (1u << left) - 1);
        const auto last = static_cast<std::uint64_t>(
            _mm_cvtsi128_si64(_mm512_castsi512_si128(_mm512_permutexvar_epi64(lastLane, best))));
        const float worst = last == 0 ? kUnknown : scoreOfKey(last);
        const __mmask16 m = _mm512_mask_cmp_ps_mask(
            _mm512_mask_cmp_ps_mask(inside, v, unknown, _CMP_GT_OQ), v, _mm512_set1_ps(worst), _CMP_GE_OQ);
        if (m == 0)
            continue;
        const __m512i bits = _mm512_maskz_compress_epi32(m, _mm512_castps_si512(v));
        const __m512i ids = _mm512_maskz_compress_epi32(m, _mm512_xor_si512(idx, allBits));
        const __m512i keyLo
            = _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(bits)), 32),
                _mm512_cvtepu32_epi64(_mm512_castsi512_si256(ids)));
        const __m512i keyHi
            = _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(bits, 1)), 32),
                _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(ids, 1)));
        _mm512_store_si512(keys, keyLo);
        _mm512_store_si512(keys + 8, keyHi);
        const int count = __builtin_popcount(m);
        // Lane k - 1 of the best keys before candidate j: lane j of last (kept in registers: a
        // wide load after narrow stores would wait for them).
        __m512i lastLo = _mm512_setzero_si512();
        __m512i lastHi = _mm512_setzero_si512();
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) {
            if (j == count)
                break;
            if (j < 8)
                lastLo = _mm512_mask_permutexvar_epi64(lastLo, static_cast<__mmask8>(1u << j), lastLane, best);
            else
                lastHi = _mm512_mask_permutexvar_epi64(lastHi, static_cast<__mmask8>(1u << (j - 8)), lastLane, best);
            const __m512i key = _mm512_set1_epi64(static_cast<long long>(keys[j]));
            best = _mm512_max_epu64(best, _mm512_min_epu64(_mm512_alignr_epi64(best, ones, 7), key));
        }
        const auto countMask = static_cast<__mmask16>((1u << count) - 1);
        const unsigned join = countMask
            & (static_cast<unsigned>(_mm512_cmpgt_epu64_mask(keyLo, lastLo))
                | static_cast<unsigned>(_mm512_cmpgt_epu64_mask(keyHi, lastHi)) << 8);
        const unsigned full = static_cast<unsigned>(_mm512_test_epi64_mask(lastLo, lastLo))
            | static_cast<unsigned>(_mm512_test_epi64_mask(lastHi, lastHi)) << 8;
        const unsigned displace = join & full;
        const auto joinLanes = static_cast<__mmask16>(_pdep_u32(join, m));
        const auto displaceLanes = static_cast<__mmask16>(_pdep_u32(displace, m));
        // The mass of budgets base + 1 ... base + 16: each budget its own lane, the displaced
        // score subtracted before the newcomer's is added.
        const __m256i lostLo = _mm512_cvtepi64_epi32(_mm512_srli_epi64(lastLo, 32));
        const __m256i lostHi = _mm512_cvtepi64_epi32(_mm512_srli_epi64(lastHi, 32));
        const __m512 lost = _mm512_castsi512_ps(
            _mm512_maskz_expand_epi32(m, _mm512_inserti64x4(_mm512_castsi256_si512(lostLo), lostHi, 1)));
        double* mass = c.diffMass + base + 1;
        const auto in0 = static_cast<__mmask8>(inside);
        const auto in1 = static_cast<__mmask8>(inside >> 8);
        __m512d m0 = _mm512_maskz_loadu_pd(in0, mass);
        __m512d m1 = _mm512_maskz_loadu_pd(in1, mass + 8);
        m0 = _mm512_mask_sub_pd(
            m0, static_cast<__mmask8>(displaceLanes), m0, _mm512_cvtps_pd(_mm512_castps512_ps256(lost)));
        m1 = _mm512_mask_sub_pd(m1, static_cast<__mmask8>(displaceLanes >> 8), m1,
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lost), 1))));
        m0 = _mm512_mask_add_pd(m0, static_cast<__mmask8>(joinLanes), m0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
        m1 = _mm512_mask_add_pd(m1, static_cast<__mmask8>(joinLanes >> 8), m1,
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
        _mm512_mask_storeu_pd(mass, in0, m0);
        _mm512_mask_storeu_pd(mass + 8, in1, m1);
        int* joined = c.joined + base + 1;
        _mm512_mask_storeu_epi32(joined, inside,
            _mm512_mask_add_epi32(_mm512_maskz_loadu_epi32(inside, joined), joinLanes,
                _mm512_maskz_loadu_epi32(inside, joined), _mm512_set1_epi32(1)));
        // The displaced experts and the budgets they leave at, added after the slice's walks
        // (one long loop instead of a short one per group).
        const __m512i gone = _mm512_xor_si512(
            _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(lastLo)), _mm512_cvtepi64_epi32(lastHi), 1),
            allBits);
        const __m512i at = _mm512_add_epi32(_mm512_maskz_compress_epi32(m, iota), _mm512_set1_epi32(base + 1));
        _mm512_storeu_si512(
            c.leftExpert + *c.left, _mm512_maskz_compress_epi32(static_cast<__mmask16>(displace), gone));
        _mm512_storeu_si512(c.leftAt + *c.left, _mm512_maskz_compress_epi32(static_cast<__mmask16>(displace), at));
        *c.left += __builtin_popcount(displace);
        if (c.replicated)
            for (unsigned e = joinLanes; e != 0; e &= e - 1) {
                const int p = base + static_cast<int>(_tzcnt_u32(e));
                c.expertDiff[static_cast<std::size_t>(c.order[p]) * c.stride + static_cast<std::size_t>(p + 1)] += 1;
            }
    }
    alignas(64) std::uint64_t held[8];
    _mm512_store_si512(held, best);
    for (int j = 0; j < k; ++j)
        if (held[j] != 0)
            c.maxEnd[static_cast<std::size_t>(idOfKey(held[j]))] = N + 1;
}

#pragma GCC diagnostic pop

void makeVectorOrder(const std::vector<int>& order, int steps, VectorOrder& vo)
{
    const int groups = (steps + 15) / 16;
    vo.index.assign(static_cast<std::size_t>(groups) * 16, 0);
    vo.table.assign(static_cast<std::size_t>(groups) * 3, 0);
    for (int p = 0; p < steps; ++p) {
        const int e = order[static_cast<std::size_t>(p)];
        const auto g = static_cast<std::size_t>(p / 16);
        vo.index[static_cast<std::size_t>(p)] = e;
        if (e >= 32)
            vo.table[3 * g + static_cast<std::size_t>(e / 32 - 1)] |= static_cast<std::uint16_t>(1u << (p % 16));
    }
}
#endif

// The metrics at every budget from the differences: an expert is active for M in
// [rank + 1, maxEnd), as every token that ever takes it does so when it enters the selection.
void sweepTotals(SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int G,
    const std::vector<int>& expertDiff, SliceSweep& out)
{
    const int N = static_cast<int>(s.maxEnd.size());
    const auto Nz = static_cast<std::size_t>(N);
    const std::size_t stride = Nz + 2;
    s.diff.assign(Nz + 2, 0);
    const auto Gz = static_cast<std::size_t>(G);
    s.devDiff.assign(Gz * (Nz + 2), 0); // [budget][device], like devTokenDiff
    for (int e = 0; e < N; ++e) {
        const int end = s.maxEnd[static_cast<std::size_t>(e)];
        if (end == 0)
            continue;
        const auto start = static_cast<std::size_t>(s.rank[static_cast<std::size_t>(e)] + 1);
        const auto stop = static_cast<std::size_t>(std::min(end, N + 1));
        s.diff[start] += 1;
        s.diff[stop] -= 1;
        const auto d = static_cast<std::size_t>(device[static_cast<std::size_t>(e)]);
        s.devDiff[start * Gz + d] += 1;
        s.devDiff[stop * Gz + d] -= 1;
    }
    int active = 0;
    double mass = 0;
    int overlapSum = 0;
    int unchangedSum = 0;
    std::vector<int> devActive(static_cast<std::size_t>(G), 0);
    std::vector<int> devTokens(static_cast<std::size_t>(G), 0);
    if (out.deviceLoads) {
        out.deviceActive.assign((Nz + 1) * Gz, 0);
        out.deviceTokens.assign((Nz + 1) * Gz, 0);
    }
    for (std::size_t m = 0; m <= Nz; ++m) {
        active += s.diff[m];
        mass += s.diffMass[m];
        overlapSum += s.diffOverlap[m];
        unchangedSum += s.diffUnchanged[m];
        int peak = 0;
        int peakTokens = 0;
        const int* da = s.devDiff.data() + m * Gz;
        const int* dt = s.devTokenDiff.data() + m * Gz;
        for (std::size_t g = 0; g < Gz; ++g) {
            devActive[g] += da[g];
            devTokens[g] += dt[g];
            peak = std::max(peak, devActive[g]);
            peakTokens = std::max(peakTokens, devTokens[g]);
        }
        if (out.deviceLoads) {
            std::copy(
                devActive.begin(), devActive.end(), out.deviceActive.begin() + static_cast<std::ptrdiff_t>(m * Gz));
            std::copy(
                devTokens.begin(), devTokens.end(), out.deviceTokens.begin() + static_cast<std::ptrdiff_t>(m * Gz));
        }
        out.activated[m] = active;
        out.mass[m] = mass;
        out.overlap[m] = overlapSum;
        out.unchanged[m] = unchangedSum;
        out.peak[m] = peak;
        out.peakTokens[m] = peakTokens;
    }
    if (!config.replicas.empty()) {
        std::vector<int> counts(Nz, 0);
        for (std::size_t m = 0; m <= Nz; ++m) {
            for (std::size_t e = 0; e < Nz; ++e)
                counts[e] += expertDiff[e * stride + m];
            devicePeaks(counts, device, config.replicas, G, out.peak[m], out.peakTokens[m]);
        }
    }
}

} // namespace

namespace detail {

bool sweepVectorWalk()
{
#if DELTASCOPE_AVX2_DISPATCH
    return hasAvx512();
#else
    return false;
#endif
}

bool sweepSliceWith(
    const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s, SweepWalk walk)
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
        baselineEveryBudget(s, out);
        return true;
    }

    if (config.policy == Policy::Speculative)
        speculativeInto(in, s, config.requestExperts, maxBudget, out.order);
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
    const std::size_t stride = Nz + 2;

    // A baseline expert of a token is among the k best of every prefix of the order that holds it
    // (nothing in the prefix beats it that does not beat it in the whole row), so it joins at its
    // position and never leaves: the overlap gains each expert's baseline tokens at its position,
    // and a token is unchanged from the budget after the last of its experts, where its walk
    // stops.
    for (std::size_t e = 0; e < Nz; ++e) {
        const int r = s.rank[e];
        if (r >= 0 && r < steps)
            s.diffOverlap[static_cast<std::size_t>(r) + 1] += s.baseCount[e];
    }

    // With replicated experts the per-device loads depend on each expert's token count, kept per
    // budget as differences.
    const bool replicated = !config.replicas.empty();
    std::vector<int> expertDiff(replicated ? Nz * stride : 0, 0);
    std::vector<int> deviceOf(Nz);
    for (std::size_t e = 0; e < Nz; ++e)
        deviceOf[e] = device[e];
    std::vector<int> deviceAt(static_cast<std::size_t>(steps));
    for (int p = 0; p < steps; ++p)
        deviceAt[static_cast<std::size_t>(p)]
            = deviceOf[static_cast<std::size_t>(out.order[static_cast<std::size_t>(p)])];
    std::vector<int> joined(stride, 0);
    int tables = 0; // the vector walk's register pairs, 0 for the portable walk
#if DELTASCOPE_AVX2_DISPATCH
    if (walk == SweepWalk::Best && N <= 128 && k >= 1 && k <= 8 && hasAvx512())
        tables = (N + 31) / 32;
#else
    (void)walk;
#endif
    // The vector walk's displacements: at most one per token and position, and room for 16 past
    // the last (only that walk uses them).
    static thread_local std::vector<int> leftExpert;
    static thread_local std::vector<int> leftAt;
    const std::size_t room
        = tables > 0 ? static_cast<std::size_t>(in.tokens) * static_cast<std::size_t>(steps) + 16 : 0;
    if (leftExpert.size() < room) {
        leftExpert.resize(room);
        leftAt.resize(room);
    }
    int left = 0;
    const Walk c { out.order.data(), deviceAt.data(), deviceOf.data(), s.diffMass.data(), s.devTokenDiff.data(),
        s.maxEnd.data(), expertDiff.data(), joined.data(), leftExpert.data(), leftAt.data(), &left, stride,
        static_cast<std::size_t>(G), replicated, k };
    std::vector<std::uint64_t> heap(static_cast<std::size_t>(std::max(k, 1)));
    std::uint64_t* hk = heap.data();

#if DELTASCOPE_AVX2_DISPATCH
    VectorOrder vo;
    if (tables > 0)
        makeVectorOrder(out.order, steps, vo);
#endif
    for (int t = 0; t < in.tokens; ++t) {
        const auto tz = static_cast<std::size_t>(t);
        const int kt = s.kOf[tz];
        if (kt <= 0)
            continue;
        const int* ids = s.topIds.data() + tz * static_cast<std::size_t>(k);
        int last = 0; // one past the rank of the token's last baseline expert (N + 1 when one is not in the order)
        for (int j = 0; j < kt; ++j) {
            const int r = s.rank[static_cast<std::size_t>(ids[j])];
            last = std::max(last, r < 0 ? N + 1 : r + 1);
        }
        if (last <= steps)
            s.diffUnchanged[static_cast<std::size_t>(last)] += 1;
        const int limit = std::min(last, steps);
        const float* row = rowOf(in, t);
        switch (tables) {
#if DELTASCOPE_AVX2_DISPATCH
        case 1:
            walkVector<1>(c, vo, row, limit, N);
            break;
        case 2:
            walkVector<2>(c, vo, row, limit, N);
            break;
        case 3:
            walkVector<3>(c, vo, row, limit, N);
            break;
        case 4:
            walkVector<4>(c, vo, row, limit, N);
            break;
#endif
        default:
            walkPortable(c, row, limit, N, hk);
        }
    }
    for (int i = 0; i < left; ++i) {
        const auto wz = static_cast<std::size_t>(leftExpert[static_cast<std::size_t>(i)]);
        const auto M = static_cast<std::size_t>(leftAt[static_cast<std::size_t>(i)]);
        s.maxEnd[wz] = std::max(s.maxEnd[wz], static_cast<int>(M));
        s.devTokenDiff[M * static_cast<std::size_t>(G) + static_cast<std::size_t>(device[wz])] -= 1;
        if (replicated)
            expertDiff[wz * stride + M] -= 1;
    }
    for (int p = 0; p < steps; ++p) {
        const auto M = static_cast<std::size_t>(p + 1);
        s.devTokenDiff[M * static_cast<std::size_t>(G)
            + static_cast<std::size_t>(deviceAt[static_cast<std::size_t>(p)])]
            += joined[M];
    }
    sweepTotals(s, device, config, G, expertDiff, out);
    return true;
}

} // namespace detail

bool sweepSlice(const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s)
{
    return sweepSliceWith(in, config, maxBudget, out, s, SweepWalk::Best);
}

} // namespace deltascope::moe
