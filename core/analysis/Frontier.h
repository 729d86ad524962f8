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
    std::string verdict; ///< the candidate's verdict at the full alpha (see runFrontier)
    bool passes = false; ///< its own verdict meets FrontierResult::criterion
    /// Chosen by the walk from the largest budget down: it passes, and so does every larger budget.
    bool acceptable = false;
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
    /// Budgets below the first failing one that pass their own test: the walk stopped before them
    /// (a non-monotone outcome the user should look at), largest first.
    std::vector<int> passingBelow;
    std::string answer; ///< one sentence: the budget and what it saves, or why none qualifies
};

/// Whether a verdict meets the frontier's criterion ("no_worse_than_margin" with a margin, anything
/// but "degraded" without one).
bool frontierAcceptable(const std::string& verdict, bool hasMargin);

/// Walks `points` from the largest budget down, marking each acceptable while it and every larger
/// budget pass; returns the smallest acceptable one (points need not be sorted).
std::optional<std::size_t> smallestAcceptable(std::vector<FrontierPoint>& points);

/// Reads the budget the results file of a run records (see FrontierRequest::budgets), or nothing.
/// `runTimestamp` picks one run in a folder of several (as LoadOptions::runTimestamp).
std::optional<int> budgetFromResults(const std::string& runPath, const std::string& runTimestamp = {});

/// The budget of each candidate of a matrix: FrontierRequest::budgets by name or path, else its
/// results file. Fails naming the first candidate with neither.
Result<std::vector<int>> candidateBudgets(const FrontierRequest& request, const MatrixResult& matrix);

/// Runs the matrix, reads every candidate's budget, sweeps the trace once at those budgets and
/// picks the smallest acceptable budget. The budgets are ordered hypotheses, so they are tested in
/// a fixed sequence instead of being corrected across candidates: each candidate's verdict is
/// taken at the full alpha (MatrixRequest::alphaPerCandidate is forced), and the walk goes from
/// the largest budget down, stopping at the first budget that fails the criterion. A claim about
/// the chosen budget then keeps the family-wise error rate at alpha, and the answer is the one a
/// loop over separate comparisons finds whenever the verdicts are monotone in the budget.
/// Progress: 0..0.8 the matrix, then the sweep.
Result<FrontierResult> runFrontier(
    const FrontierRequest& request, const backend::ComputeBackend& compute, const Progress& progress = {});

} // namespace deltascope::analysis
