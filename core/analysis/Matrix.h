// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/CandidateCosts.h"
#include "analysis/Comparison.h"
#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "report/ComparisonReport.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::analysis {

/// One baseline against many candidates (quantizations, expert budgets...). The command line and
/// the window fill this and nothing else.
struct MatrixRequest {
    SideRequest base;
    /// The candidates as given: runs, files or tables. A folder that holds the runs of several
    /// models is split into one candidate per run (a run found in the baseline's folder too is
    /// left out); see expandCandidates.
    std::vector<SideRequest> candidates;
    std::string keepListPath; ///< as in ComparisonRequest, for every candidate
    StatsRequest stats; ///< as in ComparisonRequest; alpha is also the level across candidates
    /// Decide each candidate at alpha on its own, with no correction for the number of
    /// candidates (the per-candidate verdicts then equal those of separate comparisons).
    bool alphaPerCandidate = false;
    bool compareCandidates = true; ///< the pairwise tests between candidates and the tiers
    CostTable costs; ///< optional costs per candidate (by name or by the path given)
};

/// A candidate as expandCandidates resolves it.
struct NamedCandidate {
    std::string name; ///< the run's model without its path ("deepseek-moe-16b-chat-FP8"), else the file stem
    SideRequest side;
    std::string givenAs; ///< the path the user gave (a folder that was split names all its runs)
};

/// Resolves the candidates: folders holding several models' runs are split into one candidate per
/// run, runs that are the baseline's own are dropped, and every candidate gets a unique name
/// (a repeated name gets " #2", " #3"). Fails when nothing is left to compare.
Result<std::vector<NamedCandidate>> expandCandidates(const MatrixRequest& request);

/// One candidate's outcome.
struct MatrixCandidate {
    std::string name;
    std::string givenAs;
    /// Exactly what runComparison gives for this candidate alone (same request, same numbers).
    ComparisonResult comparison;
    /// The p-value that decides "degraded" for this candidate alone: the smallest p of the three
    /// deciding tests times 3 (the Bonferroni factor the comparison decides with: it is degraded when
    /// some p is below alpha/3), or the smallest p with one task, capped at 1. The comparison is
    /// degraded exactly when this is below alpha, so it is a valid p-value of the candidate's null
    /// hypothesis "no degradation", and Holm's procedure across candidates applies to it.
    double decisionP = 1.0;
    double lnDecisionP = 0.0; ///< its logarithm (finite where it underflows)
    /// Holm-adjusted across the candidates (equal to decisionP with alphaPerCandidate).
    double decisionPAdjusted = 1.0;
    double lnDecisionPAdjusted = 0.0;
    /// With a margin: the p-value of "some task drops by its margin or more", the largest p_ni of
    /// the tasks (intersection-union), 1 when a baseline task went untested. Holm-adjusted across
    /// candidates in nonInferiorityPAdjusted, so that every "no worse" claim of the matrix together
    /// is wrong with probability at most alpha.
    double nonInferiorityP = 1.0;
    double nonInferiorityPAdjusted = 1.0;
    /// "degraded", "no_worse_than_margin", "inconclusive" or "no_evidence", decided on the adjusted
    /// p-values at alpha (with alphaPerCandidate: the separate comparison's verdict).
    std::string verdict = "no_evidence";
    /// The evidence of a drop against the baseline: the Stouffer combination of the tasks'
    /// studentized drops, sum_t z_t / sqrt(T), z_t = S_t / sqrt(Q_t) (DESIGN 3.3). Positive: worse.
    double score = 0.0;
    /// Net pairwise wins: the candidates it scores better than on their shared samples, minus those
    /// it scores worse than (by the sign of each pair's statistic, significant or not).
    int wins = 0;
    int tier = 1; ///< 1 = the best tier (see MatrixResult::pairs)
    std::vector<double> costs; ///< one per MatrixResult::costColumns, NaN when not given
};

/// A cell of the tasks x candidates table.
struct MatrixCell {
    bool present = false; ///< the candidate has this task
    double delta = 0.0; ///< the drop (points as a fraction for binary tasks, metric units otherwise)
    double ciLow = 0.0; ///< 95% interval of the drop
    double ciHigh = 0.0;
    double pValue = 1.0; ///< the task's own one-sided p
    /// One-sided upper confidence bound of the drop at 1 - alpha: what a margin is tested against
    /// (NaN where none is given).
    double upper = std::numeric_limits<double>::quiet_NaN();
    /// The comparison's flag, with "worse" lowered to "suggestive" when the candidate is not
    /// degraded after the correction across candidates (a flag never contradicts the verdict).
    report::TaskFlag flag = report::TaskFlag::NoPairs;
};

struct MatrixRow {
    std::string task; ///< TaskResult::key(): "task" or "task,filter"
    std::string metric;
    bool continuous = false;
    std::vector<MatrixCell> cells; ///< one per candidate
    /// A corpus metric (word_perplexity...): tested, and its drop given, on per-document log-likelihood.
    bool logLikelihood = false;

    /// The task and what its drop is measured in, for people: "wikitext (word_perplexity; drop in
    /// per-document log-likelihood)".
    std::string label() const
    {
        return task + " (" + metric + (logLikelihood ? "; drop in per-document log-likelihood)" : ")");
    }
};

/// Two candidates against each other on the samples both share with the baseline.
/// Binary tasks only: the exact two-sided McNemar test on the pooled discordant counts. Any
/// continuous task: the two-sided sign-flip test of the pooled, per-task studentized differences
/// (each task's differences divided by sqrt(sum d^2) of that task, so no task weighs more for its
/// units; seeded by StatsRequest::seed). With clusters (--cluster), the samples of one cluster are
/// not independent: the sign-flip test flips whole clusters (the sums of their differences), binary
/// tasks included. Holm across all pairs.
struct PairTest {
    int a = 0; ///< candidate indices, a < b
    int b = 0;
    std::string method; ///< "McNemar, exact", "sign-flip, studentized" or "sign-flip over clusters"
    std::int64_t n = 0; ///< shared samples
    std::int64_t aBetter = 0; ///< samples where a scores better than b
    std::int64_t bBetter = 0;
    double statistic = 0.0; ///< b-better minus a-better (binary) or the studentized sum (positive: a is better)
    double pValue = 1.0; ///< two-sided
    double pHolm = 1.0;
    bool separated = false; ///< pHolm < alpha
};

/// The candidates a user's name for one refers to (a cost row, --cost NAME=V, --budget NAME=M): those
/// whose name, the text given for it or its path is exactly `name`; failing that, those whose name
/// ends in `name` after a separator ('-', '_', '.', '/', ' '), so "FP8" names
/// "deepseek-moe-16b-chat-FP8". More than one index: the name is ambiguous.
std::vector<std::size_t> candidatesNamed(const std::vector<MatrixCandidate>& candidates, const std::string& name);

/// The whole matrix.
struct MatrixResult {
    MatrixRequest request;
    std::vector<MatrixCandidate> candidates; ///< in the order given (after expansion)
    std::vector<MatrixRow> rows; ///< the baseline's tasks, in the first candidate's report order
    /// Every pair of candidates (when compareCandidates). Tiers: candidates are taken best first, by
    /// net pairwise wins, ties by the smaller score; a candidate's tier is 1 + the largest tier among
    /// the earlier candidates it is separated from (1 when none). So two candidates in one tier are
    /// never separated by the data, and a candidate below tier 1 is separated from some member of
    /// the tier above. The order follows the pairwise comparisons themselves, not the drops against
    /// the baseline: a candidate measured with less noise can show more evidence of a drop (a
    /// larger score) and still score better than another on their shared samples.
    std::vector<PairTest> pairs;
    int tiers = 1;
    std::vector<CostColumn> costColumns; ///< the columns of the cost table
    /// "degraded" when any candidate is, else "inconclusive" when any is, else
    /// "no_worse_than_margin" with a margin, else "no_evidence".
    std::string verdict = "no_evidence";
    std::vector<Diagnostic> warnings; ///< costs naming no candidate, and the like
    double seconds = 0.0;
};

/// The points of the cost/drop plot for one task (a MatrixRow index) and one cost column; each
/// carries the candidate index. Candidates without that cost or task are left out.
struct FrontierPlotPoint {
    int candidate = 0;
    double cost = 0.0;
    double drop = 0.0;
    double ciLow = 0.0;
    double ciHigh = 0.0;
    std::string verdict;
    bool pareto = false; ///< on the Pareto front (lower cost and lower drop; see paretoFront)
    double upper = std::numeric_limits<double>::quiet_NaN(); ///< the drop's one-sided upper bound (MatrixCell)
};
std::vector<FrontierPlotPoint> frontierPlot(const MatrixResult& result, std::size_t row, std::string_view costColumn);

/// The request's problems that need no file (no candidate, alpha out of range...), or nothing.
std::optional<Diagnostic> checkMatrixRequest(const MatrixRequest& request);

/// Loads the baseline once, compares every candidate with it through the same analysis as a
/// single comparison (loadAgainstBaseline + testComparison), corrects across candidates, tests
/// the candidates against each other and fills the table. Progress: 0..0.1 the baseline, then one
/// equal share per candidate, then the pairwise tests.
Result<MatrixResult> runMatrix(
    const MatrixRequest& request, const backend::ComputeBackend& compute, const Progress& progress = {});

/// The exit status the command line gives: 1 when any candidate is degraded, 3 when none is but
/// one is inconclusive, 0 otherwise.
int matrixExitCode(const MatrixResult& result);

} // namespace deltascope::analysis
