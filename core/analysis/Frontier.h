// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/ExpertSharing.h"
#include "analysis/Matrix.h"
#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/XShareRun.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deltascope::analysis {

/// The expert-budget frontier: eval runs made at several expert-sharing budgets, judged against
/// the full-routing baseline, next to what each budget saves on a router trace.
struct FrontierRequest {
    /// The baseline and the candidates (one per budget) and the statistics, as for runMatrix.
    MatrixRequest matrix;
    /// The budget of a candidate, by its name or the path given for it. A candidate not named here
    /// takes the `budget` of its lm-eval results file (config.budget, or budget in
    /// config.model_args, a dict or a "key=value,..." string).
    std::vector<std::pair<std::string, int>> budgets;
    /// The trace, batching and policy, as for an expert-sharing run; its budgets are ignored (the
    /// candidates' budgets are swept, all in one pass over the trace).
    ExpertScenario scenario;
};

/// One candidate at its budget.
struct FrontierPoint {
    int candidate = 0; ///< index into FrontierResult::matrix.candidates
    std::string name;
    int budget = 0; ///< experts per slice
    moe::BudgetResult sharing; ///< activated experts and what the budget saves against top-k
    std::string verdict; ///< the candidate's verdict in the matrix (corrected across candidates)
    bool acceptable = false; ///< meets FrontierResult::criterion
};

struct FrontierResult {
    /// The candidates' matrix. Unless the costs named it already, it gains the cost column
    /// "activated_experts": each candidate's activated experts per slice at its budget.
    MatrixResult matrix;
    ExpertSharingResult sharing; ///< the one sweep of the trace over every candidate's budget
    std::vector<FrontierPoint> points; ///< by budget, smallest first
    /// What a budget must show to be chosen: "no_worse_than_margin" with a margin, "not degraded"
    /// without one (weaker: no evidence of a loss is not evidence of no loss).
    std::string criterion;
    std::optional<std::size_t> chosen; ///< index into points: the smallest acceptable budget
    /// Larger budgets than the chosen one that are not acceptable (a non-monotone outcome the user
    /// should look at), by budget.
    std::vector<int> failingAbove;
    std::string answer; ///< one sentence: the budget and what it saves, or why none qualifies
};

/// Whether a verdict meets the frontier's criterion ("no_worse_than_margin" with a margin, anything
/// but "degraded" without one).
bool frontierAcceptable(const std::string& verdict, bool hasMargin);

/// The smallest budget among `points` that meets the criterion (points need not be sorted).
std::optional<std::size_t> smallestAcceptable(const std::vector<FrontierPoint>& points);

/// Reads the budget the results file of a run records (see FrontierRequest::budgets), or nothing.
/// `runTimestamp` picks one run in a folder of several (as LoadOptions::runTimestamp).
std::optional<int> budgetFromResults(const std::string& runPath, const std::string& runTimestamp = {});

/// The budget of each candidate of a matrix: FrontierRequest::budgets by name or path, else its
/// results file. Fails naming the first candidate with neither.
Result<std::vector<int>> candidateBudgets(const FrontierRequest& request, const MatrixResult& matrix);

/// Runs the matrix, reads every candidate's budget, sweeps the trace once at those budgets and
/// picks the smallest acceptable budget. Progress: 0..0.8 the matrix, then the sweep.
Result<FrontierResult> runFrontier(
    const FrontierRequest& request, const backend::ComputeBackend& compute, const Progress& progress = {});

} // namespace deltascope::analysis
