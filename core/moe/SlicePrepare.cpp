// SPDX-License-Identifier: GPL-3.0-or-later
// The per-slice preparation the CPU fast paths share (sweepSlice, sliceBudgets): one pass over
// the rows for the baseline and the utilities, the warm-up set, and the priority orders.
#include "moe/SlicePrepare.h"

#include "moe/RowKernels.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>

namespace deltascope::moe::detail {

using namespace rows;

bool prepare(const SliceInput& in, SliceScratch& s, SliceSweep& out, bool baseMasks)
{
    const int N = in.experts;
    const int K = in.topK;
    const auto T = static_cast<std::size_t>(in.tokens);
    const int W = maskWords(N);
    s.util.assign(static_cast<std::size_t>(N), 0.0);
    s.baseCount.assign(static_cast<std::size_t>(N), 0);
    s.topIds.resize(T * static_cast<std::size_t>(K));
    s.kOf.resize(T);
    s.tokenMass.resize(baseMasks ? T : 0);
    s.baseMask.assign(baseMasks ? T * static_cast<std::size_t>(W) : 0, 0);
    const bool unchecked = in.rows != nullptr;
#if DELTASCOPE_AVX2_DISPATCH
    const int path = rowPath(in);
#endif
    std::vector<int> top;
    out.routedTokens = 0;
    out.massBase = 0.0;
    // Rows read in place lie apart in the mapped trace (one per token): ask for a few rows ahead so
    // that their cache lines arrive while this one is ranked.
    constexpr std::size_t kAhead = 4;
    const std::size_t rowBytes = static_cast<std::size_t>(N) * sizeof(float);
    auto prefetch = [rowBytes](const float* row) {
        const char* p = reinterpret_cast<const char*>(row);
        for (std::size_t b = 0; b < rowBytes; b += 64)
            __builtin_prefetch(p + b);
    };
    auto prefetchRow = [&](std::size_t t) { prefetch(rowOf(in, static_cast<int>(t))); };
    for (std::size_t t = 0; t < std::min(T, kAhead); ++t)
        prefetchRow(t);
    // The token's baseline as bits, per-expert counts and mass, from its list (computed here when
    // no vector kernel took the row). False for a score that cannot be ordered.
    auto finish = [&](std::size_t t, int count) {
        const float* row = rowOf(in, static_cast<int>(t));
        int* ids = s.topIds.data() + t * static_cast<std::size_t>(K);
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
        double mass = 0;
        for (int j = 0; j < count; ++j) {
            const int e = ids[j];
            ++s.baseCount[static_cast<std::size_t>(e)];
            mass += static_cast<double>(row[e]);
        }
        if (baseMasks) {
            std::uint64_t* mask = s.baseMask.data() + t * static_cast<std::size_t>(W);
            for (int j = 0; j < count; ++j)
                mask[ids[j] >> 6] |= std::uint64_t { 1 } << (ids[j] & 63);
            s.tokenMass[t] = mass;
        }
        out.massBase += mass;
        return true;
    };
    const auto aheadCount = static_cast<std::size_t>(in.ahead ? in.aheadCount : 0);
    for (std::size_t t = 0; t < T;) {
        if (aheadCount == 0)
            for (std::size_t q = t + kAhead; q < std::min(T, t + kAhead + 2); ++q)
                prefetchRow(q);
        // The next slice's rows, a token or two per token of this one.
        for (std::size_t q = t; q < std::min(aheadCount, t + 2); ++q)
            prefetch(in.ahead[q]);
        int* ids = s.topIds.data() + t * static_cast<std::size_t>(K);
        int count[2] = { -1, -1 };
        std::size_t step = 1;
#if DELTASCOPE_AVX2_DISPATCH
        if (path == kAvx512 && N <= 256 && t + 16 <= T) {
            // Sixteen rows at a time: their bounds and rankings share registers.
            const float* block[16];
            for (std::size_t q = 0; q < 16; ++q) {
                block[q] = rowOf(in, static_cast<int>(t + q));
                if (aheadCount == 0 && t + 16 + q < T)
                    prefetchRow(t + 16 + q);
            }
            for (std::size_t q = t + 2; q < std::min(aheadCount, t + 17); ++q)
                prefetch(in.ahead[q]);
            if (!scanRows16x512(block, N, K, s.util.data(), ids))
                return false;
            for (std::size_t q = 0; q < 16; ++q)
                if (!finish(t + q, K))
                    return false;
            t += 16;
            continue;
        }
        if (path == kAvx512 && N <= 256 && t + 1 < T) {
            // Two rows at a time: their work overlaps.
            if (!scanRowPair512(rowOf(in, static_cast<int>(t)), rowOf(in, static_cast<int>(t + 1)), N, K, s.util.data(),
                    ids, ids + K, count[0], count[1]))
                return false;
            step = 2;
        } else if (path != kScalar) {
            const float* row = rowOf(in, static_cast<int>(t));
            count[0] = path == kAvx512 ? scanRow512(row, N, K, s.util.data(), ids)
                                       : scanRowAvx2(row, N, K, s.util.data(), ids);
            if (count[0] < 0)
                return false;
        }
#endif
        for (std::size_t q = 0; q < step; ++q)
            if (!finish(t + q, count[q]))
                return false;
        t += step;
    }
    return true;
}

// Baseline union and per-device peaks from the per-expert token counts.
void baseSummary(
    const SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int devices, SliceSweep& out)
{
    if (s.topIds.size() * 4 < s.baseCount.size()) {
        // Short slices: only their experts are visited.
        thread_local std::vector<int> experts;
        baseExperts(s, experts);
        out.activatedBase = static_cast<int>(experts.size());
        devicePeaks(s.baseCount, device, config.replicas, devices, out.peakBase, out.peakTokensBase, &experts);
        return;
    }
    out.activatedBase
        = static_cast<int>(std::count_if(s.baseCount.begin(), s.baseCount.end(), [](int c) { return c > 0; }));
    devicePeaks(s.baseCount, device, config.replicas, devices, out.peakBase, out.peakTokensBase);
}

// Top-k at every budget: the baseline (the same sums, in the same order, as re-routing every
// token onto its own experts).
void baselineEveryBudget(const SliceScratch& s, SliceSweep& out)
{
    std::fill(out.activated.begin(), out.activated.end(), out.activatedBase);
    std::fill(out.mass.begin(), out.mass.end(), out.massBase);
    std::fill(out.peak.begin(), out.peak.end(), out.peakBase);
    std::fill(out.peakTokens.begin(), out.peakTokens.end(), out.peakTokensBase);
    int overlap = 0;
    for (const int kt : s.kOf)
        overlap += kt;
    std::fill(out.overlap.begin(), out.overlap.end(), overlap);
    std::fill(out.unchanged.begin(), out.unchanged.end(), out.routedTokens);
    out.order.clear();
}

// The experts some token's top-k holds, ascending.
void baseExperts(const SliceScratch& s, std::vector<int>& out)
{
    out.clear();
    const auto N = s.baseCount.size();
    if (s.topIds.size() * 4 < N) {
        // Short slices: from the tokens' lists.
        const auto K = s.kOf.empty() ? 0 : s.topIds.size() / s.kOf.size();
        for (std::size_t t = 0; t < s.kOf.size(); ++t)
            out.insert(out.end(), s.topIds.begin() + static_cast<std::ptrdiff_t>(t * K),
                s.topIds.begin() + static_cast<std::ptrdiff_t>(t * K + static_cast<std::size_t>(s.kOf[t])));
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return;
    }
    for (std::size_t e = 0; e < N; ++e)
        if (s.baseCount[e] > 0)
            out.push_back(static_cast<int>(e));
}

// The warm-up set: each token's top-w experts (w <= k: the head of its baseline list).
const std::vector<std::uint8_t>& warmSet(const SliceInput& in, SliceScratch& s, int warmup)
{
    auto& warm = s.warm;
    warm.assign(static_cast<std::size_t>(in.experts), 0);
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
    thread_local std::vector<Key> keys;
    keys.resize(n);
    for (std::size_t e = 0; e < n; ++e) {
        std::uint64_t bits;
        std::memcpy(&bits, &u[e], sizeof bits);
        // Utilities are sums of non-negative scores: their bits order like the values; the flag
        // bit is free.
        keys[e] = { (bits & 0x7fffffffffffffffULL) | (warm[e] ? 0x8000000000000000ULL : 0),
            ~static_cast<std::uint32_t>(e) };
    }
#if DELTASCOPE_AVX2_DISPATCH
    // With distinct keys (the usual case: utilities are sums of real-valued scores), each key's
    // count of larger keys is its position: the whole order at once.
    // The count costs n * n / 16 compares: past 256 keys only when most of the order is needed.
    if (vectorLevel() >= kAvx512 && n % 8 == 0 && n >= 8 && n <= 1024
        && (n <= 256 || static_cast<std::size_t>(std::max(0, limit)) * 2 >= n)) {
        thread_local std::vector<std::uint64_t> values;
        thread_local std::vector<std::int32_t> position;
        values.resize(n);
        position.resize(n);
        for (std::size_t e = 0; e < n; ++e)
            values[e] = keys[e].value;
        if (positionsOfDistinct512(values.data(), static_cast<int>(n), position.data())) {
            order.resize(n);
            for (std::size_t e = 0; e < n; ++e)
                order[static_cast<std::size_t>(position[e])] = static_cast<int>(e);
            return;
        }
    }
#endif
    const auto head
        = static_cast<std::ptrdiff_t>(std::min<std::size_t>(n, static_cast<std::size_t>(std::max(0, limit))));
    // A budget needs the head in order: select it, then sort only the head.
    if (head * 2 >= static_cast<std::ptrdiff_t>(n)) {
        std::sort(keys.begin(), keys.end(), std::greater<>());
    } else if (head > 0) {
        std::nth_element(keys.begin(), keys.begin() + head - 1, keys.end(), std::greater<>());
        std::sort(keys.begin(), keys.begin() + head - 1, std::greater<>());
    }
    order.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = static_cast<int>(~keys[i].tail);
}

namespace {

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

} // namespace

// The speculative order from the prepared slice: the same sums, in the same order, as
// speculativePriority, but a request with one token in the slice keeps the head of that token's
// baseline list (its m <= k best) instead of ranking all experts again.
void speculativeInto(
    const SliceInput& in, const SliceScratch& s, int requestExperts, int limit, std::vector<int>& order)
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
    members.reserve(N);
    for (std::size_t e = 0; e < N; ++e)
        if (inUnion[e])
            members.push_back(static_cast<int>(e));
    // The union by batch utility, then the other experts by plain utility: a budget larger than the
    // union is filled (M = N gives top-k). Only the head a budget can reach needs ranking.
    order = byUtility(std::move(members), batchUtility);
    const auto unionSize = order.size();
    const auto need = static_cast<std::size_t>(std::max(0, limit - static_cast<int>(unionSize)));
    order.reserve(N);
    for (std::size_t e = 0; e < N; ++e)
        if (!inUnion[e])
            order.push_back(static_cast<int>(e));
    if (need > 0) {
        auto tail = byUtility(
            std::vector<int>(order.begin() + static_cast<std::ptrdiff_t>(unionSize), order.end()), s.util, need);
        std::copy(tail.begin(), tail.end(), order.begin() + static_cast<std::ptrdiff_t>(unionSize));
    }
}

void sizeArrays(SliceSweep& out, int n)
{
    // No clearing: the sweep's totals and baselineEveryBudget write every entry, and the per-budget
    // path writes those of the budgets asked for, the only ones read.
    const auto m = static_cast<std::size_t>(n + 1);
    out.activated.resize(m);
    out.mass.resize(m);
    out.overlap.resize(m);
    out.unchanged.resize(m);
    out.peak.resize(m);
    out.peakTokens.resize(m);
}

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

} // namespace deltascope::moe::detail
