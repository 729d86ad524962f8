// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The priority orders of a slice (see SelectSlice.h): S(M) is the first M experts of the order
// (the expert-parallel policy walks it greedily). C++17; nvcc compiles this file.

#include "moe/slice/SliceBaseline.h"

namespace deltascope::moe::slice {

/// Batch greedy: the warm-up experts by decreasing utility, then the rest by decreasing utility,
/// ties to the lower id.
template <class X> DELTASCOPE_HD void batchOrder(const X& x, const SliceView& v, const Work& w)
{
    const int N = v.experts;
    const int nt = x.threads();
    x.phase([&](int tid) {
        for (int e = tid; e < N; e += nt) {
            const std::uint8_t we = w.warm[e];
            const double ue = w.utility[e];
            int r = 0;
            for (int f = 0; f < N; ++f) {
                const std::uint8_t wf = w.warm[f];
                const double uf = w.utility[f];
                r += (wf > we || (wf == we && (uf > ue || (uf == ue && f < e)))) ? 1 : 0;
            }
            w.rank[e] = r;
            w.order[r] = e;
        }
        if (tid == 0)
            w.uniform[uUnion] = N;
    });
}

/// Speculative: each request keeps its m best experts by its own utility (a request with one
/// token and m within its list keeps the head of that list); the union, by batch utility (the sum
/// of the utilities of the requests that kept the expert), comes first; the other experts follow
/// by plain utility, so that a budget larger than the union is filled (M = N gives top-k).
template <class X> DELTASCOPE_HD void speculativeOrder(const X& x, const SliceView& v, const Work& w, int list)
{
    const int N = v.experts;
    const int nt = x.threads();
    const float unknown = unknownScore();
    const int m = v.requestExperts > 0 ? v.requestExperts : v.topK;
    const std::int64_t g0 = v.groupFirst;
    const std::int64_t g1 = v.groupLast;
    auto single = [&](std::int64_t g) {
        return v.groupStart[g + 1] - v.groupStart[g] == 1 && m <= w.kOf[v.groupTokens[v.groupStart[g]]];
    };
    // Requests with several tokens (or m beyond a token's list) rank their own utilities.
    for (std::int64_t g = g0; g < g1; ++g) {
        if (single(g))
            continue;
        const std::int64_t a = v.groupStart[g];
        const std::int64_t b = v.groupStart[g + 1];
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                double u = 0;
                std::uint8_t seen = 0;
                for (std::int64_t q = a; q < b; ++q) {
                    const float s = w.rowPtr[v.groupTokens[q]][e] + 0.0f;
                    if (s != unknown) {
                        u += static_cast<double>(s);
                        seen = 1;
                    }
                }
                w.requestUtility[e] = u;
                w.seen[e] = seen;
            }
        });
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                std::uint8_t keep = 0;
                if (w.seen[e]) {
                    const double ue = w.requestUtility[e];
                    int r = 0;
                    for (int f = 0; f < N; ++f)
                        r += (w.seen[f] && (w.requestUtility[f] > ue || (w.requestUtility[f] == ue && f < e))) ? 1 : 0;
                    keep = r < m ? 1 : 0;
                }
                w.keep[(g - g0) * N + e] = keep;
            }
        });
    }
    // Batch utilities, adding the requests in ascending id.
    x.phase([&](int tid) {
        for (int e = tid; e < N; e += nt) {
            double bu = 0;
            std::uint8_t member = 0;
            for (std::int64_t g = g0; g < g1; ++g) {
                const std::int64_t a = v.groupStart[g];
                const std::int64_t b = v.groupStart[g + 1];
                const int t0 = v.groupTokens[a];
                if (single(g)) {
                    for (int q = 0; q < m; ++q)
                        if (w.topIds[t0 * list + q] == e) {
                            bu += static_cast<double>(w.topScores[t0 * list + q]);
                            member = 1;
                        }
                } else if (w.keep[(g - g0) * N + e]) {
                    double u = 0;
                    for (std::int64_t q = a; q < b; ++q) {
                        const float s = w.rowPtr[v.groupTokens[q]][e] + 0.0f;
                        if (s != unknown)
                            u += static_cast<double>(s);
                    }
                    bu += u;
                    member = 1;
                }
            }
            w.batchUtility[e] = bu;
            w.inUnion[e] = member;
            if (member)
                addInt(w.uniform + uUnion, 1);
        }
    });
    // The union by batch utility, then the rest by plain utility.
    x.phase([&](int tid) {
        const int members = w.uniform[uUnion];
        for (int e = tid; e < N; e += nt) {
            int r = 0;
            if (w.inUnion[e]) {
                const double ue = w.batchUtility[e];
                for (int f = 0; f < N; ++f)
                    r += (w.inUnion[f] && (w.batchUtility[f] > ue || (w.batchUtility[f] == ue && f < e))) ? 1 : 0;
            } else {
                const double ue = w.utility[e];
                r = members;
                for (int f = 0; f < N; ++f)
                    r += (!w.inUnion[f] && (w.utility[f] > ue || (w.utility[f] == ue && f < e))) ? 1 : 0;
            }
            w.rank[e] = r;
            w.order[r] = e;
        }
    });
    x.phase([&](int tid) {
        if (tid == 0)
            w.uniform[uUnion] = N;
    });
}

} // namespace deltascope::moe::slice
