// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/XShare.h"

#include "moe/RowKernels.h"
#include "moe/SlicePrepare.h"
#include "moe/slice/SliceBudgets.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>

namespace deltascope::moe {

using namespace detail;
using namespace rows;

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

namespace {

// The selected set of budget M under a policy, from its priority order.
void selectedSet(const PolicyConfig& config, const std::vector<int>& order, const std::vector<int>& device, int M,
    std::vector<int>& sel, std::vector<int>& perDevice)
{
    sel.clear();
    if (config.policy == Policy::ExpertParallel) {
        const int g = std::max(1, config.devices);
        perDevice.assign(static_cast<std::size_t>(g), 0);
        slice::expertParallelGreedy(order.data(), static_cast<int>(order.size()), device.data(), g, M, perDevice.data(),
            [&](int e) { sel.push_back(e); });
    } else {
        sel.assign(order.begin(),
            order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), static_cast<std::size_t>(M))));
    }
}

struct Rerouted {
    double mass = 0;
    int overlap = 0;
    int unchanged = 0;
};

#if DELTASCOPE_AVX2_DISPATCH
// rerouteWithin with the vector kernels, in two passes: first every token's new routing (the
// tokens do not depend on each other, so their kernels overlap), then the sums in token order.
Rerouted rerouteVector(const SliceInput& in, SliceScratch& s, const std::vector<int>& selSorted, int path)
{
    const int N = in.experts;
    const int K = in.topK;
    const auto T = static_cast<std::size_t>(in.tokens);
    const std::uint64_t* S = s.selMask.data();
    const int m = static_cast<int>(selSorted.size());
    // Sixteen tokens at a time pay while the pairs of experts are few: at 20 and 24 experts one
    // budget takes 12-16% less time than token by token, at 28 about the same, at 32 6% more.
    if (path == kAvx512 && m <= 28 && N <= 512) {
        Rerouted r;
        rerouteSmall512(in, selSorted.data(), m, S, s.baseMask.data(), s.kOf.data(), s.tokenMass.data(), s.used.data(),
            r.mass, r.overlap, r.unchanged);
        return r;
    }
    thread_local std::vector<int> routed;
    thread_local std::vector<int> routedCount; // -1: the token keeps its baseline
    thread_local std::vector<int> keptOf;
    routed.resize(T * 8);
    routedCount.resize(T);
    keptOf.resize(T);
    for (std::size_t t = 0; t < T; ++t) {
        const int kt = s.kOf[t];
        const int* ids = s.topIds.data() + t * static_cast<std::size_t>(K);
        int kept = 0;
        for (int j = 0; j < kt; ++j)
            kept += testBit(S, ids[j]) ? 1 : 0;
        keptOf[t] = kept;
        if (kept == kt) {
            routedCount[t] = -1;
            continue;
        }
        // The k best within S: the token's selected baseline experts and the best of the rest.
        const float* row = rowOf(in, static_cast<int>(t));
        int* out = routed.data() + t * 8;
        int c = path == kAvx512
            ? (m <= 32 ? topkOfList512(row, selSorted.data(), m, K, out) : topkAllowed512(row, N, K, S, out))
            : m <= kRankCap ? topkOfList(row, selSorted.data(), m, K, out)
                            : topkAvx2(row, N, K, s.selLanes.data(), out);
        if (c < 0)
            c = topkKeys(row, N, K, S, out);
        routedCount[t] = c;
    }
    Rerouted r;
    for (std::size_t t = 0; t < T; ++t) {
        const int kt = s.kOf[t];
        if (kt == 0)
            continue;
        r.overlap += keptOf[t];
        if (routedCount[t] < 0) {
            ++r.unchanged;
            r.mass += s.tokenMass[t];
            const int* ids = s.topIds.data() + t * static_cast<std::size_t>(K);
            for (int j = 0; j < kt; ++j)
                ++s.used[static_cast<std::size_t>(ids[j])];
            continue;
        }
        const float* row = rowOf(in, static_cast<int>(t));
        const int* out = routed.data() + t * 8;
        for (int i = 0; i < routedCount[t]; ++i) {
            r.mass += static_cast<double>(row[out[i]]);
            ++s.used[static_cast<std::size_t>(out[i])];
        }
    }
    return r;
}
#endif

// Re-routing within the selected set (s.selMask; with the vector kernels also s.selLanes and the
// sorted list): each token's k best selected experts; counts the tokens per expert in s.used.
Rerouted rerouteWithin(
    const SliceInput& in, SliceScratch& s, const std::vector<int>& selSorted, [[maybe_unused]] int path)
{
    const int N = in.experts;
    const int K = in.topK;
    const int W = maskWords(N);
    const std::uint64_t* S = s.selMask.data();
    std::uint64_t keys[64];
    // Re-routing: a token keeps its baseline experts that were selected (they beat every other
    // selected expert) and fills up with the best of the rest of the selection.
    s.used.assign(static_cast<std::size_t>(N), 0);
    Rerouted r;
#if DELTASCOPE_AVX2_DISPATCH
    if (path != kScalar)
        return rerouteVector(in, s, selSorted, path);
#endif
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
        r.overlap += kept;
        if (kept == kt) {
            ++r.unchanged;
            r.mass += s.tokenMass[tz];
            for (int j = 0; j < kt; ++j)
                ++s.used[static_cast<std::size_t>(ids[j])];
            continue;
        }
        const float* row = rowOf(in, t);
        for (int j = 0; j < kt; ++j) {
            const int e = ids[j];
            if (testBit(S, e)) {
                r.mass += static_cast<double>(row[e]);
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
            r.mass += static_cast<double>(row[e]);
            ++s.used[static_cast<std::size_t>(e)];
        }
    }
    return r;
}

} // namespace

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
    if (config.policy == Policy::TopK) {
        // Top-k re-routes nothing: every budget is the baseline, and it selects the experts its
        // baseline activates.
        baselineEveryBudget(s, out);
        s.used = s.baseCount; // for the activation maps
        baseExperts(s, out.selected);
        return true;
    }
    const int maxBudget = budgets.empty() ? 0 : *std::max_element(budgets.begin(), budgets.end());
    if (config.policy == Policy::Speculative)
        speculativeInto(in, s, config.requestExperts, maxBudget, out.order);
    else if (config.policy == Policy::Batch)
        priorityInto(s.util, warmSet(in, s, config.warmup), maxBudget, out.order);
    else if (config.policy == Policy::ExpertParallel)
        priorityInto(s.util, warmSet(in, s, config.warmup), N, out.order);

#if DELTASCOPE_AVX2_DISPATCH
    const int path = rowPath(in);
#else
    const int path = kScalar;
#endif
    std::vector<int> sel;
    std::vector<int> selSorted;
    std::vector<int> perDevice;
    for (const int budget : budgets) {
        const int M = std::clamp(budget, 0, N);
        selectedSet(config, out.order, device, M, sel, perDevice);
        s.selMask.assign(static_cast<std::size_t>(W), 0);
        for (const int e : sel)
            s.selMask[static_cast<std::size_t>(e >> 6)] |= std::uint64_t { 1 } << (e & 63);
#if DELTASCOPE_AVX2_DISPATCH
        if (path != kScalar) {
            // The selection as blend lanes (the sign bit of -0 marks a selected expert) and, when
            // short, as a list in id order to rank directly.
            if (path == kAvx2) {
                s.selLanes.assign(Nz, 0.0f);
                for (const int e : sel)
                    s.selLanes[static_cast<std::size_t>(e)] = -0.0f;
            }
            selSorted = sel;
            std::sort(selSorted.begin(), selSorted.end());
        }
#endif

        const Rerouted r = rerouteWithin(in, s, selSorted, path);
        const auto Mz = static_cast<std::size_t>(M);
        out.activated[Mz] = static_cast<int>(std::count_if(s.used.begin(), s.used.end(), [](int c) { return c > 0; }));
        out.mass[Mz] = r.mass;
        out.overlap[Mz] = r.overlap;
        out.unchanged[Mz] = r.unchanged;
        devicePeaks(s.used, device, config.replicas, G, out.peak[Mz], out.peakTokens[Mz]);
    }
    out.selected = sel;
    std::sort(out.selected.begin(), out.selected.end());
    return true;
}

} // namespace deltascope::moe
