// SPDX-License-Identifier: GPL-3.0-or-later
// The one-pass sweep of the nested policies (batch greedy, speculative): every budget of a slice
// from one walk of each token over the priority order. A fast path of the shared slice template
// (moe/slice), tested against it.
#include "moe/RowKernels.h"
#include "moe/SlicePrepare.h"
#include "moe/Sweep512.h"
#include "moe/SweepKernels.h"
#include "moe/XShare.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace deltascope::moe {

using namespace detail;
using namespace rows;

namespace {

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

// The metrics at every budget from the differences: an expert is active for M in
// [rank + 1, maxEnd), as every token that ever takes it does so when it enters the selection.
void sweepTotals(SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int G, const int* order,
    const int* deviceAt, const int* joined, int steps, const std::vector<int>& expertDiff, SliceSweep& out)
{
    const int N = static_cast<int>(s.maxEnd.size());
    const auto Nz = static_cast<std::size_t>(N);
    const std::size_t stride = Nz + 2;
    // Budgets 0..N, then a spare slot per expert.
    const auto Gz = static_cast<std::size_t>(G);
    const std::size_t budgets = Nz + 1;
    s.diff.assign(budgets + Nz, 0);
    s.devDiff.assign(Gz * budgets + Nz, 0); // [budget][device], like devTokenDiff, then the spares
    // An expert some token takes is active from the budget that adds it (its position + 1): one
    // expert per position, so plain stores. The tokens that take it there (counted by the column
    // walk in joined) add to its device's.
    for (int p = 0; p < steps; ++p) {
        const auto M = static_cast<std::size_t>(p + 1);
        const auto d = static_cast<std::size_t>(deviceAt[p]);
        const int taken = s.maxEnd[static_cast<std::size_t>(order[p])] != 0 ? 1 : 0;
        s.diff[M] = taken;
        s.devDiff[M * Gz + d] = taken;
        s.devTokenDiff[M * Gz + d] += joined[M];
    }
    // It stops at its end unless that is past the last budget (N + 1: held to the end) or it was
    // never taken (end 0): those count in its spare slot, chosen by a mask, not a branch, as which
    // experts end where follows no pattern.
    for (std::size_t e = 0; e < Nz; ++e) {
        const int end = s.maxEnd[e];
        const std::size_t ends = std::size_t { 0 } - static_cast<std::size_t>(end != 0 && end <= N);
        const auto stop = static_cast<std::size_t>(end);
        const auto d = static_cast<std::size_t>(device[e]);
        s.diff[(stop & ends) | ((budgets + e) & ~ends)] -= 1;
        s.devDiff[((stop * Gz + d) & ends) | ((Gz * budgets + e) & ~ends)] -= 1;
    }
    int active = 0;
    double mass = 0;
    int overlapSum = 0;
    int unchangedSum = 0;
    static thread_local std::vector<int> devActive;
    static thread_local std::vector<int> devTokens;
    devActive.assign(static_cast<std::size_t>(G), 0);
    devTokens.assign(static_cast<std::size_t>(G), 0);
    if (out.deviceLoads) {
        out.deviceActive.assign((Nz + 1) * Gz, 0);
        out.deviceTokens.assign((Nz + 1) * Gz, 0);
    }
    // Each device's running count per budget, and the busiest device's.
    int* peakActive = out.peak.data();
    int* peakTokens = out.peakTokens.data();
    const bool done = runningPeaks(s.devDiff.data(), s.devTokenDiff.data(), Nz + 1, Gz,
        out.deviceLoads ? out.deviceActive.data() : nullptr, out.deviceLoads ? out.deviceTokens.data() : nullptr,
        peakActive, peakTokens);
    if (!done)
        for (std::size_t m = 0; m <= Nz; ++m) {
            int peak = 0;
            int busiest = 0;
            const int* da = s.devDiff.data() + m * Gz;
            const int* dt = s.devTokenDiff.data() + m * Gz;
            for (std::size_t g = 0; g < Gz; ++g) {
                devActive[g] += da[g];
                devTokens[g] += dt[g];
                peak = std::max(peak, devActive[g]);
                busiest = std::max(busiest, devTokens[g]);
            }
            if (out.deviceLoads) {
                std::copy(
                    devActive.begin(), devActive.end(), out.deviceActive.begin() + static_cast<std::ptrdiff_t>(m * Gz));
                std::copy(
                    devTokens.begin(), devTokens.end(), out.deviceTokens.begin() + static_cast<std::ptrdiff_t>(m * Gz));
            }
            peakActive[m] = peak;
            peakTokens[m] = busiest;
        }
    // Through plain pointers: stores through out's vectors could alias the vectors themselves.
    const int* diff = s.diff.data();
    const double* diffMass = s.diffMass.data();
    const int* diffOverlap = s.diffOverlap.data();
    const int* diffUnchanged = s.diffUnchanged.data();
    int* activated = out.activated.data();
    double* massOut = out.mass.data();
    int* overlap = out.overlap.data();
    int* unchanged = out.unchanged.data();
    for (std::size_t m = 0; m <= Nz; ++m) {
        active += diff[m];
        mass += diffMass[m];
        overlapSum += diffOverlap[m];
        unchangedSum += diffUnchanged[m];
        activated[m] = active;
        massOut[m] = mass;
        overlap[m] = overlapSum;
        unchanged[m] = unchangedSum;
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
    return sweep512Available();
}

bool sweepSliceWith(
    const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s, SweepWalk walk)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    int G = 0;
    const std::vector<int>& device = cachedDevices(config, N, s, G);
    if (!prepare(in, s, out, false)) // the sweep reads no token's baseline as bits
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
    s.maxEnd.assign(Nz, 0);
    s.diffMass.assign(Nz + 2, 0.0);
    s.diffOverlap.assign(Nz + 2, 0);
    s.diffUnchanged.assign(Nz + 2, 0);
    s.devTokenDiff.assign(static_cast<std::size_t>(G) * (Nz + 2), 0);
    const int k = in.topK;
    const std::size_t stride = Nz + 2;

    // With replicated experts the per-device loads depend on each expert's token count, kept per
    // budget as differences.
    const bool replicated = !config.replicas.empty();
    // Buffers kept from slice to slice.
    static thread_local std::vector<int> expertDiff;
    static thread_local std::vector<int> deviceAt;
    static thread_local std::vector<int> joined;
    static thread_local std::vector<int> after; // [expert] one past its position, N + 1 when it is not in the order
    expertDiff.assign(replicated ? Nz * stride : 0, 0);
    deviceAt.resize(static_cast<std::size_t>(steps));
    joined.assign(stride, 0);
    after.assign(Nz, N + 1);
    s.rank.assign(Nz, -1); // read by the budget maps (XShareMaps.cpp) too
    for (std::size_t p = 0; p < out.order.size(); ++p) {
        const auto e = static_cast<std::size_t>(out.order[p]);
        s.rank[e] = static_cast<int>(p);
        after[e] = static_cast<int>(p) + 1;
    }
    // A baseline expert of a token is among the k best of every prefix of the order that holds it
    // (nothing in the prefix beats it that does not beat it in the whole row), so it joins at its
    // position and never leaves: the overlap gains each expert's baseline tokens at its position,
    // and a token is unchanged from the budget after the last of its experts, where its walk
    // stops.
    for (std::size_t p = 0; p < static_cast<std::size_t>(steps); ++p) {
        const auto e = static_cast<std::size_t>(out.order[p]);
        deviceAt[p] = device[e];
        s.diffOverlap[p + 1] = s.baseCount[e]; // one expert per position
    }
    const Walk c { out.order.data(), deviceAt.data(), device.data(), s.diffMass.data(), s.devTokenDiff.data(),
        s.maxEnd.data(), expertDiff.data(), joined.data(), stride, static_cast<std::size_t>(G), replicated, k };

    // Each token's walk stops after the position of its last baseline expert: from there it holds
    // its own k best, which nothing later beats.
    static thread_local std::vector<int> limits;
    limits.assign(static_cast<std::size_t>(std::max(in.tokens, 0)), 0);
    for (int t = 0; t < in.tokens; ++t) {
        const auto tz = static_cast<std::size_t>(t);
        const int kt = s.kOf[tz];
        if (kt <= 0)
            continue;
        const int* ids = s.topIds.data() + tz * static_cast<std::size_t>(k);
        int last = 0; // one past the rank of the token's last baseline expert
        if (kt == 8) // the common shape, unrolled
            last = std::max(std::max(std::max(after[ids[0]], after[ids[1]]), std::max(after[ids[2]], after[ids[3]])),
                std::max(std::max(after[ids[4]], after[ids[5]]), std::max(after[ids[6]], after[ids[7]])));
        else
            for (int j = 0; j < kt; ++j)
                last = std::max(last, after[static_cast<std::size_t>(ids[j])]);
        if (last <= steps)
            s.diffUnchanged[static_cast<std::size_t>(last)] += 1;
        limits[tz] = std::min(last, steps);
    }

    if (walk == SweepWalk::Best && walkColumns(in, c, limits.data(), steps)) {
        // After every position, what each token holds is its own top k: active to the end.
        if (steps >= N)
            for (std::size_t e = 0; e < Nz; ++e)
                s.maxEnd[e] = s.baseCount[e] > 0 ? N + 1 : s.maxEnd[e];
    } else {
        std::vector<std::uint64_t> heap(static_cast<std::size_t>(std::max(k, 1)));
        for (int t = 0; t < in.tokens; ++t)
            if (s.kOf[static_cast<std::size_t>(t)] > 0)
                walkPortable(c, rowOf(in, t), limits[static_cast<std::size_t>(t)], N, heap.data());
    }
    sweepTotals(s, device, config, G, out.order.data(), deviceAt.data(), joined.data(), steps, expertDiff, out);
    return true;
}

} // namespace detail

bool sweepSlice(const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s)
{
    return sweepSliceWith(in, config, maxBudget, out, s, SweepWalk::Best);
}

} // namespace deltascope::moe
