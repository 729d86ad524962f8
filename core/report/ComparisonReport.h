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
    std::int64_t unmatchedBase = 0;
    std::int64_t unmatchedCand = 0;
    std::int64_t duplicates = 0;
    std::int64_t hashMismatches = 0;
    std::int64_t missingScores = 0;
    std::vector<Diagnostic> warnings;

    std::string key() const { return filter == "none" ? task : task + "," + filter; }
};

struct PermutationSummary {
    bool present = false;
    std::uint64_t permutations = 0;
    std::uint64_t seed = 0;
    double statistic = 0.0;
    double pValue = 1.0;
    std::vector<std::pair<std::string, double>> perTask;
};

struct CompareSettings {
    double alpha = 0.05;
    std::uint64_t permutations = 10000;
    std::uint64_t seed = 0;
    bool permutationRequested = false; ///< run it even when every task is binary
    unsigned threads = 0;
    Progress progress;
    const backend::ComputeBackend* backend = nullptr; ///< where the permutation test runs; null: CPU
};

/// Everything a comparison concluded, ready for any writer or view.
struct ComparisonReport {
    double alpha = 0.05;
    eval::RunInfo baseline;
    eval::RunInfo candidate;
    std::vector<TaskResult> tasks;
    stats::AggregateResult aggregate; ///< over the binary tasks
    PermutationSummary permutation;
    bool hasContinuous = false;
    bool degraded = false;
    std::string decisionBasis; ///< one sentence: which test decided and why
    std::vector<Diagnostic> warnings;
    bool cancelled = false;
    backend::RanOn ranOn; ///< where the permutation test ran (the CPU when none ran)
    std::optional<Diagnostic> failure; ///< the permutation test could not run; the rest is incomplete
};

ComparisonReport buildReport(const eval::EvalRun& base, const eval::EvalRun& cand, const eval::PairedRuns& paired,
    const CompareSettings& settings);

} // namespace deltascope::report
