// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Progress.h"
#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/XShare.h"

#include <cstdint>
#include <vector>

namespace deltascope::moe {

/// How often two experts are chosen together by one token at one layer: entry (a, b) is the
/// fraction of routed tokens whose top-k holds both (the diagonal: holds a). [experts][experts]
std::vector<double> coactivation(const Trace& trace, std::int64_t layer);

/// How many token-expert assignments each expert receives under top-k routing, summed over the
/// tokens and layers of the trace: the load a balanced placement spreads. [experts]
std::vector<double> expertLoads(const Trace& trace);

/// One slice as the views draw it: the tokens' scores, the selected experts and each token's
/// baseline and re-routed experts.
struct SliceDetail {
    int tokens = 0;
    int experts = 0;
    std::vector<float> scores; ///< [tokens][experts], -infinity where unknown
    std::vector<int> selected; ///< ascending
    std::vector<std::vector<int>> baseline; ///< per token, best first
    std::vector<std::vector<int>> routed; ///< per token, within the selection

    /// [experts] 1 where at least one token routes to the expert after selection (what the charts
    /// count as activated; the budget may select more).
    std::vector<char> activated() const
    {
        std::vector<char> used(static_cast<std::size_t>(experts), 0);
        for (const auto& list : routed)
            for (const int e : list)
                used[static_cast<std::size_t>(e)] = 1;
        return used;
    }
};

/// The slice (layer, batch) under a policy and budget. Fails for a batch or layer out of range.
Result<SliceDetail> sliceDetail(const Trace& trace, const Batches& batches, std::int64_t layer, std::int64_t batch,
    const PolicyConfig& policy, int budget);

/// Mean activated experts per slice under top-k routing with replay batches of each size, next
/// to the uniform-routing expectation N (1 - (1 - k/N)^B).
struct BatchSizeCurve {
    std::vector<int> batchSize; ///< requests decoded together (replay), one token each per step
    std::vector<double> activated;
    std::vector<double> uniform;
    std::int64_t requests = 0; ///< the trace's requests: replay cannot batch more than these
    std::int64_t experts = 0; ///< N and k of the trace, for the uniform-routing expectation at any B
    std::int64_t topK = 0;
    /// The trace's own recorded batches (when it records them): their mean tokens per batch and
    /// activated experts per slice; recordedActivated < 0 when the trace records none.
    double recordedBatch = 0;
    double recordedActivated = -1;
};
/// Activated experts per slice expected under uniform routing: N (1 - (1 - k/N)^B), B tokens.
double uniformActivated(std::int64_t experts, std::int64_t topK, double batch);
BatchSizeCurve activatedByBatchSize(const Trace& trace, const std::vector<int>& sizes, const Progress& progress = {});

} // namespace deltascope::moe
