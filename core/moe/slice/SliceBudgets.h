// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The budgets of a slice (see SelectSlice.h): either every budget from one pass over the priority
// order (nested selected sets), or budget by budget from each selected set, with re-routing within
// it. C++17; nvcc compiles this file.

#include "moe/slice/SliceBaseline.h"

namespace deltascope::moe::slice {

/// Whether the budgets come from one sweep: nested policies (batch, speculative) without copies.
DELTASCOPE_HD inline bool sweeps(const SliceView& v)
{
    return v.sweep && (v.policy == kBatch || v.policy == kSpeculative) && v.replicaStart == nullptr;
}

/// Hands w.selected to the sink as the first budget's selected set.
template <class X, class S> DELTASCOPE_HD void handSelection(const X& x, const Work& w, S& sink)
{
    const int nt = x.threads();
    x.phase([&](int tid) { sink.selection(tid, nt, w); });
}

/// Every budget from one pass: S(M) is the first M experts of the order. A token keeps expert e
/// from the budget at which e enters S until a better one pushes it out.
template <int Cap, class X, class S>
DELTASCOPE_HD void sweepBudgets(const X& x, const SliceView& v, const Work& w, S& sink)
{
    const int N = v.experts;
    const int K = v.topK;
    const int G = v.devices;
    const int nt = x.threads();
    const int list = listLength(v);
    const float unknown = unknownScore();
    const int len = w.uniform[uUnion];
    const int span = (N + 2) * G;
    x.phase([&](int tid) {
        for (int i = tid; i < span; i += nt) {
            w.deviceActive[i] = 0;
            w.deviceTokens[i] = 0;
        }
        for (int i = tid; i < N + 2; i += nt) {
            w.massDiff[i] = 0.0;
            w.overlapDiff[i] = 0;
            w.unchangedDiff[i] = 0;
        }
    });
    x.phase([&](int tid) {
        for (int t = tid; t < v.tokens; t += nt) {
            const int kt = w.kOf[t];
            if (kt == 0)
                continue;
            const float* r = w.rowPtr[t];
            std::uint64_t keys[Cap];
            int enter[Cap];
            int count = 0;
            for (int p = 0; p < len; ++p) {
                const int e = w.order[p];
                const float s = r[e] + 0.0f;
                if (s == unknown)
                    continue;
                const std::uint64_t key = keyOf(s, e);
                if (count == K && key > keys[K - 1]) {
                    const int d = idOfKey(keys[K - 1]);
                    const int a = enter[K - 1];
                    addDouble(w.massDiff + a + 1, static_cast<double>(scoreOfKey(keys[K - 1])));
                    addDouble(w.massDiff + p + 1, -static_cast<double>(scoreOfKey(keys[K - 1])));
                    addInt(w.deviceTokens + (a + 1) * G + v.device[d], 1);
                    addInt(w.deviceTokens + (p + 1) * G + v.device[d], -1);
                    maxInt(w.maxEnd + d, p + 1);
                }
                insertKey(keys, enter, count, K, key, p);
            }
            for (int q = 0; q < count; ++q) {
                const int d = idOfKey(keys[q]);
                addDouble(w.massDiff + enter[q] + 1, static_cast<double>(scoreOfKey(keys[q])));
                addInt(w.deviceTokens + (enter[q] + 1) * G + v.device[d], 1);
                maxInt(w.maxEnd + d, N + 1);
            }
            int last = -1;
            for (int q = 0; q < kt; ++q) {
                const int rb = w.rank[w.topIds[t * list + q]];
                if (rb < len)
                    addInt(w.overlapDiff + rb + 1, 1);
                last = rb > last ? rb : last;
            }
            if (last < len)
                addInt(w.unchangedDiff + last + 1, 1);
        }
    });
    x.phase([&](int tid) {
        for (int e = tid; e < N; e += nt) {
            if (w.maxEnd[e] == 0)
                continue;
            addInt(w.deviceActive + (w.rank[e] + 1) * G + v.device[e], 1);
            if (w.maxEnd[e] <= N)
                addInt(w.deviceActive + w.maxEnd[e] * G + v.device[e], -1);
        }
    });
    x.phase([&](int tid) {
        for (int d = tid; d <= G; d += nt) {
            if (d < G) {
                for (int mb = 1; mb <= N; ++mb) {
                    w.deviceActive[mb * G + d] += w.deviceActive[(mb - 1) * G + d];
                    w.deviceTokens[mb * G + d] += w.deviceTokens[(mb - 1) * G + d];
                }
            } else {
                for (int mb = 1; mb <= N; ++mb) {
                    w.massDiff[mb] += w.massDiff[mb - 1];
                    w.overlapDiff[mb] += w.overlapDiff[mb - 1];
                    w.unchangedDiff[mb] += w.unchangedDiff[mb - 1];
                }
            }
        }
    });
    x.phase([&](int tid) {
        for (int bi = tid; bi < v.budgetCount; bi += nt) {
            const int M = v.budgets[bi];
            BudgetSums s = baseSums(w);
            for (int d = 0; d < G; ++d) {
                const int a = w.deviceActive[M * G + d];
                const int tk = w.deviceTokens[M * G + d];
                s.activated += a;
                s.peak = a > s.peak ? a : s.peak;
                s.peakTokens = tk > s.peakTokens ? tk : s.peakTokens;
            }
            s.mass = w.massDiff[M];
            s.overlap = w.overlapDiff[M];
            s.unchanged = w.unchangedDiff[M];
            sink.budget(bi, s);
        }
        if (v.records && v.budgetCount > 0)
            for (int e = tid; e < N; e += nt)
                w.selected[e] = w.rank[e] < v.budgets[0] ? 1 : 0;
    });
    if (v.records)
        handSelection(x, w, sink);
}

/// The expert-parallel greedy (every path uses it): walks the priority order and takes an expert
/// while its device holds fewer than ceil(M / G) selected ones, until M are taken; take(e) is
/// called for each. perDevice holds G counters.
template <class F>
DELTASCOPE_HD void expertParallelGreedy(
    const int* order, int n, const int* device, int G, int M, int* perDevice, F&& take)
{
    const int capacity = (M + G - 1) / G;
    for (int d = 0; d < G; ++d)
        perDevice[d] = 0;
    int taken = 0;
    for (int p = 0; p < n && taken < M; ++p) {
        const int e = order[p];
        if (perDevice[device[e]] < capacity) {
            ++perDevice[device[e]];
            take(e);
            ++taken;
        }
    }
}

/// The expert-parallel selection of budget M into w.selected (one thread).
DELTASCOPE_HD inline void expertParallelSelect(const SliceView& v, const Work& w, int M)
{
    expertParallelGreedy(w.order, v.experts, v.device, v.devices, M, w.peakA, [&](int e) { w.selected[e] = 1; });
}

/// Re-routing of each token within the selected set: its k best selected experts.
template <int Cap, class X> DELTASCOPE_HD void reroute(const X& x, const SliceView& v, const Work& w, int list)
{
    const int nt = x.threads();
    const int K = v.topK;
    x.phase([&](int tid) {
        for (int t = tid; t < v.tokens; t += nt) {
            const int kt = w.kOf[t];
            w.tokKept[t] = 0.0;
            w.tokOverlap[t] = 0;
            if (kt == 0)
                continue;
            bool all = true;
            for (int q = 0; q < kt; ++q)
                all = all && w.selected[w.topIds[t * list + q]];
            if (all) {
                for (int q = 0; q < kt; ++q)
                    addInt(w.used + w.topIds[t * list + q], 1);
                w.tokKept[t] = w.tokMass[t];
                w.tokOverlap[t] = kt;
                continue;
            }
            std::uint64_t keys[Cap];
            int ids[Cap];
            const int count = topOfRow(w.rowPtr[t], v.experts, K, w.selected, keys, ids);
            double kept = 0;
            int overlap = 0;
            for (int q = 0; q < count; ++q) {
                kept += static_cast<double>(scoreOfKey(keys[q]));
                addInt(w.used + ids[q], 1);
                for (int b = 0; b < kt; ++b)
                    overlap += w.topIds[t * list + b] == ids[q] ? 1 : 0;
            }
            w.tokKept[t] = kept;
            w.tokOverlap[t] = overlap;
        }
    });
}

/// Budget by budget, each from its selected set (top-k: once, the same for every budget).
template <int Cap, class X, class S>
DELTASCOPE_HD void budgetRounds(const X& x, const SliceView& v, const Work& w, int list, S& sink)
{
    const int N = v.experts;
    const int G = v.devices;
    const int nt = x.threads();
    const int rounds = v.policy == kTopK ? (v.budgetCount > 0 ? 1 : 0) : v.budgetCount;
    for (int round = 0; round < rounds; ++round) {
        const int M = v.budgets[round];
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                w.selected[e] = v.policy == kTopK ? 1 : (v.policy == kExpertParallel ? 0 : (w.rank[e] < M ? 1 : 0));
                w.used[e] = 0;
            }
            for (int d = tid; d < G; d += nt) {
                w.deviceActive[d] = 0;
                w.deviceTokens[d] = 0;
            }
            if (tid == 0) {
                w.uniform[uActivated] = 0;
                w.uniform[uOverlap] = 0;
                w.uniform[uUnchanged] = 0;
            }
        });
        if (v.policy == kExpertParallel)
            x.phase([&](int tid) {
                if (tid == 0)
                    expertParallelSelect(v, w, M);
            });
        reroute<Cap>(x, v, w, list);
        // Counts in parallel: experts, their devices, tokens.
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                if (w.used[e] > 0) {
                    addInt(w.uniform + uActivated, 1);
                    addDeviceLoad(v, e, w.used[e], w.deviceActive, w.deviceTokens);
                }
                if (round == 0 && v.activity)
                    sink.activity(e, w.baseCount[e], w.used[e]);
            }
            for (int t = tid; t < v.tokens; t += nt) {
                addInt(w.uniform + uOverlap, w.tokOverlap[t]);
                if (w.kOf[t] > 0 && w.tokOverlap[t] == w.kOf[t])
                    addInt(w.uniform + uUnchanged, 1);
            }
        });
        // The kept mass in token order, and this budget's sums (top-k: every budget's).
        x.phase([&](int tid) {
            if (tid == 0) {
                BudgetSums s = baseSums(w);
                for (int t = 0; t < v.tokens; ++t)
                    s.mass += w.tokKept[t];
                s.activated = w.uniform[uActivated];
                s.overlap = w.uniform[uOverlap];
                s.unchanged = w.uniform[uUnchanged];
                s.peak = largest(w.deviceActive, G);
                s.peakTokens = largest(w.deviceTokens, G);
                const int last = v.policy == kTopK ? v.budgetCount : round + 1;
                for (int bi = round; bi < last; ++bi)
                    sink.budget(bi, s);
            }
            // Top-k selects no subset: its records list the experts the baseline activates.
            if (round == 0 && v.records && v.policy == kTopK)
                for (int e = tid; e < N; e += nt)
                    w.selected[e] = w.baseCount[e] > 0 ? 1 : 0;
        });
        if (round == 0 && v.records)
            handSelection(x, w, sink);
    }
}

} // namespace deltascope::moe::slice
