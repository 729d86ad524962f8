// The one-pass sweep of the nested policies (batch greedy, speculative): every budget of a slice
// from one walk of each token over the priority order. A fast path of the shared slice template
// (moe/slice), tested against it.
#include "moe/RowKernels.h"
#include "moe/SlicePrepare.h"
#include "moe/XShare.h"

#include <algorithm>
#include <cstring>
#if DELTASCOPE_AVX2_DISPATCH
#include <immintrin.h>
#endif

namespace deltascope::moe {

using namespace detail;
using namespace rows;

namespace {

// Everything one token's pass over the priority order adds to, as differences per budget.
struct SweepPass {
    SliceScratch& s;
    const std::vector<int>& device;
    std::vector<int>& expertDiff; ///< [expert][budget], with replicated experts only
    std::size_t stride;
    bool replicated;
    int k;
    int N;
    int W;
    bool simd; ///< the AVX2 walk (gathers eight scores at a time)
};

// One token's walk over the priority order: each selected expert, in order, may join its routing
// (a list of keys sorted best first, so the worst is the last entry and a newcomer is placed by
// shifting the few entries it beats; keys order like the slice order, higher score then lower id,
// through the score's bits, never negative here, above the inverted id).
struct TokenWalk {
    const SweepPass& c;
    const std::uint64_t* base; ///< the token's baseline top-k as bits
    std::uint64_t* hk;
    int kt; ///< the token's own number of routed experts
    int size = 0;
    int overlap = 0;
    /// Once the token holds k experts, only a score reaching its worst one can change anything:
    /// that float test settles most positions before any key is built.
    float worst = kUnknown;

    static float scoreOf(std::uint64_t key)
    {
        const auto bits = static_cast<std::uint32_t>(key >> 32);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }
    static int idOf(std::uint64_t key) { return static_cast<int>(~static_cast<std::uint32_t>(key)); }

    // Whether expert e at position p (score sc, known, at least `worst`) needs looking at.
    static bool candidate(float sc, float worst) { return sc >= worst && sc != kUnknown; }

    // Expert e, at position p of the order with score sc (a candidate), enters the selection.
    // Returns true when nothing later in the order can change the token's routing.
    bool take(int p, int e, float sc)
    {
        SliceScratch& s = c.s;
        const int k = c.k;
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
                return false;
            // The worst entry leaves; the newcomer takes its place in order. Both without
            // branches on the data: a fixed number of compares and conditional moves.
            const int w = idOf(hk[k - 1]);
            s.diffMass[M] -= static_cast<double>(scoreOf(hk[k - 1]));
            s.maxEnd[static_cast<std::size_t>(w)] = std::max(s.maxEnd[static_cast<std::size_t>(w)], static_cast<int>(M));
            s.devTokenDiff[static_cast<std::size_t>(c.device[static_cast<std::size_t>(w)]) * c.stride + M] -= 1;
            if (c.replicated)
                c.expertDiff[static_cast<std::size_t>(w) * c.stride + M] -= 1;
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
        s.devTokenDiff[static_cast<std::size_t>(c.device[static_cast<std::size_t>(e)]) * c.stride + M] += 1;
        if (c.replicated)
            c.expertDiff[static_cast<std::size_t>(e) * c.stride + M] += 1;
        const int joined = testBit(base, e) ? 1 : 0;
        overlap += joined;
        s.diffOverlap[M] += joined;
        if (joined && overlap == kt) {
            // The token holds its own top-k again: nothing later can displace them.
            s.diffUnchanged[M] += 1;
            return true;
        }
        return false;
    }

    // The experts the token keeps up to the largest budget stay active to its end.
    void finish()
    {
        for (int i = 0; i < size; ++i)
            c.s.maxEnd[static_cast<std::size_t>(idOf(hk[i]))] = c.N + 1;
    }
};

// Positions [from, steps) of the order, one at a time.
inline void walkScalar(TokenWalk& w, const float* row, const int* order, int from, int steps)
{
    for (int p = from; p < steps; ++p) {
        const int e = order[p];
        const float sc = row[e];
        if (TokenWalk::candidate(sc, w.worst) && w.take(p, e, sc))
            return;
    }
}

#if DELTASCOPE_AVX2_DISPATCH
// The same walk, eight positions at a time: the scores of the next eight experts in order are
// gathered and compared with the token's worst kept score at once; only the positions that pass
// are looked at one by one (the worst score may rise between them). Most blocks pass none.
__attribute__((target("avx2"))) void walkAvx2(TokenWalk& w, const float* row, const int* order, int steps)
{
    int p = 0;
    for (; p + 8 <= steps; p += 8) {
        const __m256i ids = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(order + p));
        const __m256 scores = _mm256_i32gather_ps(row, ids, 4);
        auto pass = static_cast<unsigned>(
            _mm256_movemask_ps(_mm256_cmp_ps(scores, _mm256_set1_ps(w.worst), _CMP_GE_OQ)));
        while (pass) {
            const int lane = __builtin_ctz(pass);
            pass &= pass - 1;
            const int e = order[p + lane];
            const float sc = row[e];
            if (TokenWalk::candidate(sc, w.worst) && w.take(p + lane, e, sc))
                return;
        }
    }
    walkScalar(w, row, order, p, steps);
}
#endif

// Token t enters the sweep: every selected expert, in priority order, may join its routing.
inline void sweepToken(const SweepPass& c, const SliceInput& in, int t, const int* order, int steps, std::uint64_t* hk)
{
    const float* row = rowOf(in, t);
    TokenWalk w { c, c.s.baseMask.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(c.W), hk,
        c.s.kOf[static_cast<std::size_t>(t)] };
#if DELTASCOPE_AVX2_DISPATCH
    if (c.simd)
        walkAvx2(w, row, order, steps);
    else
#endif
        walkScalar(w, row, order, 0, steps);
    w.finish();
}

// Top-k at every budget: the baseline.
void sweepTopK(const SliceScratch& s, SliceSweep& out)
{
    const auto N = static_cast<int>(out.activated.size()) - 1;
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
}

// The metrics at every budget from the differences: an expert is active for M in
// [rank + 1, maxEnd), as every token that ever takes it does so when it enters the selection.
void sweepTotals(SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int G,
    const std::vector<int>& expertDiff, SliceSweep& out)
{
    const int N = static_cast<int>(s.maxEnd.size());
    const auto Nz = static_cast<std::size_t>(N);
    const std::size_t stride = Nz + 2;
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
    const auto Gz = static_cast<std::size_t>(G);
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
        for (std::size_t g = 0; g < static_cast<std::size_t>(G); ++g) {
            devActive[g] += s.devDiff[g * (Nz + 2) + m];
            devTokens[g] += s.devTokenDiff[g * (Nz + 2) + m];
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
        sweepTopK(s, out);
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
    const int W = maskWords(N);
    std::vector<std::uint64_t> heap(static_cast<std::size_t>(k));
    std::uint64_t* hk = heap.data();
    const std::size_t stride = Nz + 2;
    // With replicated experts the per-device loads depend on each expert's token count, kept per
    // budget as differences.
    const bool replicated = !config.replicas.empty();
    std::vector<int> expertDiff(replicated ? Nz * stride : 0, 0);
#if DELTASCOPE_AVX2_DISPATCH
    const bool simd = haveAvx2();
#else
    const bool simd = false;
#endif
    const SweepPass pass { s, device, expertDiff, stride, replicated, k, N, W, simd };
    for (int t = 0; t < in.tokens; ++t)
        if (s.kOf[static_cast<std::size_t>(t)] > 0)
            sweepToken(pass, in, t, out.order.data(), steps, hk);
    sweepTotals(s, device, config, G, expertDiff, out);
    return true;
}

} // namespace deltascope::moe
