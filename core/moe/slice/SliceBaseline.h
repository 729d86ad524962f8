// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The first phases of a slice (see SelectSlice.h): each token's row and baseline top-k, the
// warm-up set, the experts' utilities, and the baseline's union, mass and per-device peaks.
// C++17; nvcc compiles this file.

#include "moe/slice/SliceWork.h"

namespace deltascope::moe::slice {

/// The warm-up width of the view's policy (only the batch and expert-parallel policies warm up).
DELTASCOPE_HD inline int warmWidth(const SliceView& v)
{
    return (v.policy == kBatch || v.policy == kExpertParallel) && v.warmup > 0 ? v.warmup : 0;
}

/// Length of each token's baseline list: k, or the warm-up width when larger.
DELTASCOPE_HD inline int listLength(const SliceView& v)
{
    const int w = warmWidth(v);
    return w > v.topK ? w : v.topK;
}

/// The k best known experts of a row among the allowed ones (all when allowed is null), best first:
/// higher score, ties to the lower id. keys and ids hold k entries; returns how many were found.
DELTASCOPE_HD inline int topOfRow(
    const float* row, int n, int k, const std::uint8_t* allowed, std::uint64_t* keys, int* ids)
{
    const float unknown = unknownScore();
    int count = 0;
    for (int e = 0; e < n; ++e) {
        if (allowed && !allowed[e])
            continue;
        const float s = row[e] + 0.0f;
        if (s != unknown)
            insertKey(keys, ids, count, k, keyOf(s, e), e);
    }
    return count;
}

/// Adds expert e's load to the per-device counts: with c tokens routed to it, its copies (the
/// placed device first) each get a round-robin share and count as active when the share is not
/// zero. Threads may call it for different experts at once.
DELTASCOPE_HD inline void addDeviceLoad(const SliceView& v, int e, int c, std::int32_t* active, std::int32_t* tokens)
{
    if (c <= 0)
        return;
    const int copies = v.replicaStart ? 1 + v.replicaStart[e + 1] - v.replicaStart[e] : 1;
    for (int q = 0; q < copies; ++q) {
        const int share = c / copies + (q < c % copies ? 1 : 0);
        if (share == 0)
            break;
        const int d = q == 0 ? v.device[e] : v.replicaDevices[v.replicaStart[e] + q - 1];
        addInt(active + d, 1);
        addInt(tokens + d, share);
    }
}

/// The largest of n counts (one thread).
DELTASCOPE_HD inline int largest(const std::int32_t* values, int n)
{
    int m = 0;
    for (int i = 0; i < n; ++i)
        m = values[i] > m ? values[i] : m;
    return m;
}

template <class X> DELTASCOPE_HD void resetSlice(const X& x, const SliceView& v, const Work& w)
{
    const int nt = x.threads();
    x.phase([&](int tid) {
        for (int e = tid; e < v.experts; e += nt) {
            w.baseCount[e] = 0;
            w.used[e] = 0;
            w.maxEnd[e] = 0;
            w.warm[e] = 0;
            w.inUnion[e] = 0;
            w.batchUtility[e] = 0.0;
        }
        for (int d = tid; d < v.devices; d += nt) {
            w.peakA[d] = 0;
            w.peakB[d] = 0;
        }
        if (tid == 0)
            for (int i = 0; i < kUniforms; ++i)
                w.uniform[i] = 0;
    });
}

/// Each token: its row, checked; its baseline list (k, or the warm-up width when larger), best
/// first; the warm-up set (each token's top-w).
template <int Cap, class X, class R, class S>
DELTASCOPE_HD void baselinePhase(const X& x, const SliceView& v, const Work& w, const R& rows, int list, S& sink)
{
    const int N = v.experts;
    const int K = v.topK;
    const int warm = warmWidth(v);
    const int nt = x.threads();
    x.phase([&](int tid) {
        for (int t = tid; t < v.tokens; t += nt) {
            const float* r = rows(t, w.rows + static_cast<std::int64_t>(t) * N);
            w.rowPtr[t] = r;
            std::uint64_t keys[Cap];
            int pos[Cap];
            int count = 0;
            for (int e = 0; e < N; ++e) {
                const float s = r[e] + 0.0f;
                const std::uint32_t bits = bitsOfFloat(s);
                if (bits >= 0x7f800000u) {
                    if (v.sparse && bits == kUnknownBits)
                        continue;
                    sink.bad(t, e, s != s ? 1 : (bits == 0x7f800000u || bits == kUnknownBits ? 2 : 3));
                    w.uniform[uBad] = 1;
                    continue;
                }
                insertKey(keys, pos, count, list, keyOf(s, e), e);
            }
            const int kt = count < K ? count : K;
            w.kOf[t] = kt;
            double mass = 0;
            for (int q = 0; q < count; ++q) {
                const int e = idOfKey(keys[q]);
                w.topIds[t * list + q] = e;
                w.topScores[t * list + q] = scoreOfKey(keys[q]);
                if (q < kt) {
                    mass += static_cast<double>(scoreOfKey(keys[q]));
                    addInt(w.baseCount + e, 1);
                }
                if (q < warm)
                    w.warm[e] = 1;
            }
            w.tokMass[t] = mass;
        }
    });
}

/// Utilities u_e = sum of the known scores, in double, in token order.
template <class X> DELTASCOPE_HD void utilityPhase(const X& x, const SliceView& v, const Work& w)
{
    const int nt = x.threads();
    const float unknown = unknownScore();
    x.phase([&](int tid) {
        for (int e = tid; e < v.experts; e += nt) {
            double u = 0;
            for (int t = 0; t < v.tokens; ++t) {
                const float s = w.rowPtr[t][e] + 0.0f;
                if (s != unknown)
                    u += static_cast<double>(s);
            }
            w.utility[e] = u;
        }
    });
}

/// Baseline union, routed tokens and per-device peaks (counts in parallel), mass in token order.
template <class X> DELTASCOPE_HD void baselineSummary(const X& x, const SliceView& v, const Work& w)
{
    const int nt = x.threads();
    x.phase([&](int tid) {
        for (int e = tid; e < v.experts; e += nt)
            if (w.baseCount[e] > 0) {
                addInt(w.uniform + uActivatedBase, 1);
                addDeviceLoad(v, e, w.baseCount[e], w.peakA, w.peakB);
            }
        for (int t = tid; t < v.tokens; t += nt)
            if (w.kOf[t] > 0)
                addInt(w.uniform + uRouted, 1);
    });
    x.phase([&](int tid) {
        if (tid != 0)
            return;
        double mass = 0;
        for (int t = 0; t < v.tokens; ++t)
            mass += w.tokMass[t];
        w.uniform[uPeakBase] = largest(w.peakA, v.devices);
        w.uniform[uPeakTokensBase] = largest(w.peakB, v.devices);
        w.uniformD[0] = mass;
    });
}

/// The baseline part of a budget's sums.
DELTASCOPE_HD inline BudgetSums baseSums(const Work& w)
{
    BudgetSums s;
    s.activatedBase = w.uniform[uActivatedBase];
    s.massBase = w.uniformD[0];
    s.routed = w.uniform[uRouted];
    s.peakBase = w.uniform[uPeakBase];
    s.peakTokensBase = w.uniform[uPeakTokensBase];
    return s;
}

} // namespace deltascope::moe::slice
