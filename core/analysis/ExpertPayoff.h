// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/ExpertSharing.h"
#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/Payoff.h"

#include <memory>
#include <string>
#include <vector>

namespace deltascope::analysis {

/// Decode tokens per step assumed with load counts, which record no batches.
inline constexpr int kDefaultCountsTokensPerStep = kDefaultBatchSize;

/// Will expert sharing pay off: a model, a GPU and either a trace (with the batching and policy of
/// an expert-sharing scenario) or expert load counts. The command line and the window fill this.
struct PayoffRequest {
    /// The trace, batching, policy and budgets, as for an expert-sharing run. Its devices are
    /// replaced by options.devices (the busiest device is what a step waits for). Empty budgets:
    /// every budget is swept, and the estimate shows defaultPayoffBudgets with the best budget and
    /// the smallest keeping the gating mass.
    ExpertScenario scenario;
    bool everyBudget = false; ///< with no budgets named: every budget k..N instead of defaultPayoffBudgets
    std::string countsPath; ///< instead of a trace: expert load counts (CSV or JSON, moe::loadExpertCounts)
    int countsTokensPerStep = 0; ///< tokens per step with counts; 0: kDefaultCountsTokensPerStep
    moe::PayoffOptions options; ///< model, GPU, devices, context length, the rule's thresholds
};

struct PayoffResult {
    moe::PayoffEstimate estimate;
    std::shared_ptr<const ExpertSharingResult> sweep; ///< the XShare sweep (null with counts)
    std::vector<Diagnostic> warnings;
};

/// The budgets a payoff estimate looks at when none are named: every budget k..N when N <= 16,
/// else k, 2k, 4k, ... below N, and N.
std::vector<int> defaultPayoffBudgets(int topK, int experts);

/// Opens the input, runs the XShare sweep on `compute` (trace only) and the per-step load pass,
/// and forms the estimate. Progress: 0..0.5 the sweep, 0.5..1 the load pass.
Result<PayoffResult> runPayoff(
    const PayoffRequest& request, const backend::ComputeBackend& compute, const Progress& progress = {});

/// The estimate from a sweep already run (the expert workspace's): only the load pass runs. The
/// sweep must have used options.devices devices. shownBudgets, when not empty, are the rows the
/// estimate keeps, with the best budget and the smallest keeping the gating mass (found over every
/// budget of the sweep).
Result<PayoffResult> payoffFromSweep(const PayoffRequest& request, const ExpertSharingResult& sweep,
    const Progress& progress = {}, const std::vector<int>& shownBudgets = {});

} // namespace deltascope::analysis
