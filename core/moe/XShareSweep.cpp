// SPDX-License-Identifier: GPL-3.0-or-later
// The one-pass sweep of the nested policies (batch greedy, speculative): every budget of a slice
// from one walk of each token over the priority order. A fast path of the shared slice template
// (moe/slice), tested against it.
#include "moe/RowKernels.h"
#include "moe/SlicePrepare.h"
#include "moe/XShare.h"

#include <algorithm>
#include <cstring>

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
};

// Token t enters the sweep: each selected expert, in priority order, may join its routing (a list
// of keys sorted best first, so the worst is the last entry and a newcomer is placed by shifting
// the few entries it beats; keys order like the slice order, higher score then lower id, through
// the score's bits, never negative here, above the inverted id).
inline void sweepToken(const SweepPass& c, const SliceInput& in, int t, const int* order, int steps, std::uint64_t* hk)
{
    SliceScratch& s = c.s;
    const int k = c.k;
    const int N = c.N;
    const int W = c.W;
    const std::size_t stride = c.stride;
    const bool replicated = c.replicated;
    const auto& device = c.device;
    auto& expertDiff = c.expertDiff;
    const int kt = s.kOf[static_cast<std::size_t>(t)];
    auto scoreOf = [](std::uint64_t key) {
        const auto bits = static_cast<std::uint32_t>(key >> 32);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    };
    auto idOf = [](std::uint64_t key) { return static_cast<int>(~static_cast<std::uint32_t>(key)); };
    const float* row = rowOf(in, t);
    const std::uint64_t* base = s.baseMask.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(W);
    int size = 0;
    int overlap = 0;
    // Once a token holds k experts, only a score reaching its worst one can change anything:
    // that float test settles most positions before any key is built.
    float worst = kUnknown;
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
    const SweepPass pass { s, device, expertDiff, stride, replicated, k, N, W };
    for (int t = 0; t < in.tokens; ++t)
        if (s.kOf[static_cast<std::size_t>(t)] > 0)
            sweepToken(pass, in, t, out.order.data(), steps, hk);
    sweepTotals(s, device, config, G, expertDiff, out);
    return true;
}

} // namespace deltascope::moe
