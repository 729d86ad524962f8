// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "eval/EvalRun.h"
#include "eval/Pairing.h"
#include "stats/Aggregate.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::report {

/// What a task's row says (DESIGN 3.3). It never contradicts the comparison's verdict.
enum class TaskFlag {
    Ok, ///< not shown to be worse
    Suggestive, ///< its own p is below alpha, but that alone does not decide the comparison
    Worse, ///< the comparison is degraded and this task's Holm-adjusted p is below alpha
    NoPairs, ///< nothing to test
};

/// "ok", "suggestive", "worse", "no pairs": the words every output uses.
const char* flagWord(TaskFlag flag);

/// A non-inferiority margin as the user gave it (DESIGN 3.6).
struct Margin {
    /// Points for binary tasks (1 = one accuracy point), metric units for continuous ones; with
    /// `relative`, a fraction of the baseline's corpus metric (0.01 for "1%").
    double value = 0.0;
    bool relative = false;
    bool operator==(const Margin&) const = default;
};

/// The margins of a comparison: one for every task, and/or per task ("TASK" or "TASK,FILTER").
struct MarginRequest {
    std::optional<Margin> all;
    std::vector<std::pair<std::string, Margin>> perTask;

    bool empty() const { return !all && perTask.empty(); }
    bool operator==(const MarginRequest&) const = default;
};

/// How a task's samples are clustered (questions sharing a passage or a subject).
struct ClusterInfo {
    std::string key; ///< the column or field path; empty: samples are independent
    std::int64_t clusters = 0;
    double designEffect = 1.0; ///< sum_c S_c^2 / sum_i d_i^2: how much clustering inflates the variance
};

/// One row of the comparison: a (task, filter) with its paired test.
struct TaskResult {
    std::string task;
    std::string filter;
    std::string metric;
    bool continuous = false;
    std::int64_t n = 0;
    std::int64_t b = 0; ///< regressions (binary); pairs where the candidate scores worse (continuous)
    std::int64_t c = 0; ///< improvements
    double accBase = 0.0; ///< mean baseline score
    double accCand = 0.0;
    double delta = 0.0; ///< mean oriented drop (positive: the candidate is worse)
    double flipRate = 0.0;
    double ciLow = 0.0;
    double ciHigh = 0.0;
    double pValue = 1.0; ///< one-sided, degradation
    double pTwoSided = 1.0;
    double pHolm = 1.0;
    double lnP = 0.0; ///< ln pValue: finite where pValue underflows (below about 1e-308)
    double lnPHolm = 0.0;
    TaskFlag flag = TaskFlag::Ok;
    std::string intervalMethod; ///< how ciLow/ciHigh were made: "Tango score" or "Student t, mean difference"
    double upperBound = 0.0; ///< one-sided upper confidence bound of the drop at 1 - alpha
    bool monteCarlo = false; ///< pValue is a sign-flip permutation p-value
    bool exhaustive = false; ///< ... computed over every sign pattern (no Monte Carlo error)
    double pMcLow = 0.0; ///< 99% Monte Carlo interval of pValue (monteCarlo only)
    double pMcHigh = 1.0;
    std::string corpusMetric; ///< word_perplexity, byte_perplexity or bits_per_byte: scores are log-likelihoods
    double corpusBase = 0.0; ///< the corpus metric of each side, aggregated as lm-eval does (corpusMetric only)
    double corpusCand = 0.0;
    bool audit = false; ///< samples the keep-list excluded, tested so a regression there is seen
    bool hasMargin = false;
    /// The margin of the drop in the units of `delta` (a fraction for binary tasks); with
    /// marginRelative, the fraction of the baseline's corpus metric.
    double margin = 0.0;
    bool marginRelative = false;
    double pNonInferiority = 1.0; ///< p of H0 "drop >= margin" (Tango's score test, or sign-flip)
    /// Pairs for 80% power of the non-inferiority test at the observed drop (with a margin), or of
    /// the degradation test otherwise is not shown; -1 when no number would do (drop >= margin).
    std::int64_t samplesNeeded = -1;
    ClusterInfo cluster;
    std::int64_t noiseFlips = -1; ///< samples the first two baseline runs disagree on; -1: no reruns
    std::int64_t worstBase = 0; ///< samples kept with an infinitely bad score
    std::int64_t worstCand = 0;
    std::int64_t unmatchedBase = 0;
    std::int64_t unmatchedCand = 0;
    std::int64_t duplicates = 0;
    std::int64_t hashMismatches = 0;
    std::int64_t missingScores = 0;
    std::vector<Diagnostic> warnings;

    /// "task [filter]", as the tables write it
    std::string label() const
    {
        const std::string k = filter == "none" ? task : task + " [" + filter + "]";
        return audit ? k + " (excluded by the keep-list)" : k;
    }
    std::string key() const
    {
        const std::string k = filter == "none" ? task : task + "," + filter;
        return audit ? k + " (excluded by the keep-list)" : k;
    }
};

/// One of the three tests that decide a comparison (pooled, Fisher, max-drop; DESIGN 3.3).
struct DecisionTest {
    std::string name; ///< "pooled", "Fisher", "max-drop"
    std::string statisticName; ///< "b - c", "Stouffer Z", "X", "max z"
    double statistic = 0.0;
    std::string detail; ///< e.g. "b = 120, c = 20", "df = 4", "task gsm8k [strict-match]"
    std::string task; ///< max-drop: the key of the task with the largest z (TaskResult::key)
    double pValue = 1.0;
    double lnP = 0.0; ///< ln pValue, finite where pValue underflows
    bool monteCarlo = false; ///< a permutation p-value (studentized sign-flip combination)
    double pMcLow = 0.0; ///< its 99% Monte Carlo interval
    double pMcHigh = 1.0;
};

struct PermutationSummary {
    bool present = false;
    std::uint64_t permutations = 0; ///< permutations actually run (after any extension)
    std::uint64_t requested = 0; ///< the number asked for
    std::uint64_t maxPermutations = 0; ///< the most the extension may run
    bool exhaustive = false; ///< every sign pattern was enumerated: the p-values are exact
    std::uint64_t seed = 0;
    bool stable = true; ///< no Monte Carlo interval of a deciding p-value straddles its level
    std::vector<DecisionTest> tests; ///< the studentized combination: pooled (Stouffer), Fisher, max
    double pValue = 1.0; ///< the smallest of tests' p-values
    double pMcLow = 0.0; ///< its 99% Monte Carlo interval
    double pMcHigh = 1.0;
    std::vector<std::pair<std::string, double>> perTask; ///< each task's own sign-flip p-value
};

struct CompareSettings {
    double alpha = 0.05;
    std::uint64_t permutations = 10000;
    std::uint64_t maxPermutations = 1000000; ///< extension limit while a p-value's interval straddles its level
    std::uint64_t seed = 0;
    bool permutationRequested = false; ///< run it even when every task is binary
    unsigned threads = 0;
    Progress progress;
    const backend::ComputeBackend* backend = nullptr; ///< where the permutation test runs; null: CPU
    MarginRequest margins; ///< non-inferiority margins (none: the verdict is degraded or no evidence)
};

/// Everything a comparison concluded, ready for any writer or view.
struct ComparisonReport {
    double alpha = 0.05;
    eval::RunInfo baseline;
    eval::RunInfo candidate;
    std::vector<TaskResult> tasks;
    stats::AggregateResult aggregate; ///< the exact tests over the binary tasks
    PermutationSummary permutation;
    bool hasContinuous = false;
    /// "exact" (every task binary: exact binomial tests) or "sign-flip, studentized" (a continuous
    /// task present: the three tests combine the tasks' studentized statistics over the same
    /// sign-flip permutations).
    std::string method = "exact";
    double decisionLevel = 0.05 / 3.0; ///< alpha / 3, or alpha when one task is tested
    std::vector<DecisionTest> decision; ///< the three tests that decided (pooled, Fisher, max-drop)
    bool stable = true; ///< the verdict does not depend on the permutation seed (see permutation)
    bool degraded = false;
    bool hasMargin = false;
    /// Baseline tasks with no tested pair (the candidate lacks them, or no pair had scores on both
    /// sides): with a margin they make the verdict inconclusive.
    std::vector<std::string> untested;
    /// "degraded", "no_worse_than_margin" (every task clears its margin), "inconclusive" (with a
    /// margin, neither), or "no_evidence" (no margin, not degraded).
    std::string verdict = "no_evidence";
    std::string decisionBasis; ///< one sentence: which test decided and why
    std::vector<Diagnostic> warnings;
    bool cancelled = false;
    backend::RanOn ranOn; ///< where the permutation test ran (the CPU when none ran)
    std::optional<Diagnostic> failure; ///< the permutation test could not run; the rest is incomplete
};

/// Whether the task is shown no worse than its margin: it has pairs, a margin, and its
/// non-inferiority p below alpha. The margin verdict needs this of every task.
bool withinMargin(const ComparisonReport& r, const TaskResult& t);

/// A binary task with so few differing pairs (below 25, the usual bound for McNemar's
/// large-sample test) that Tango's interval and margin test, score tests, can claim more than the
/// data hold; its p-value is exact.
bool fewDiffer(const TaskResult& t);

/// A p-value for people: four decimals from 0.001, else three significant digits ("3.95e-254");
/// "< 1e-300" below 1e-300 (lnP tells); never "-0".
std::string formatP(double p, double lnP);

ComparisonReport buildReport(const eval::EvalRun& base, const eval::EvalRun& cand, const eval::PairedRuns& paired,
    const CompareSettings& settings);

} // namespace deltascope::report
