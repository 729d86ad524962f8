#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "report/Disagreements.h"

#include <QString>
#include <memory>
#include <vector>

namespace deltascope::ui {

class JobControl;

/// One side of a comparison as the user chose it.
struct SideSpec {
    QString path;
    eval::LoadOptions options; ///< format, table columns, run timestamp (progress is set by the loader)
};

/// Everything one comparison holds. Immutable once built: views share it, and a new alpha or a
/// permutation run makes a new one that shares the loaded runs.
struct Comparison {
    SideSpec baseSpec;
    SideSpec candSpec;
    std::shared_ptr<const eval::EvalRun> base;
    std::shared_ptr<const eval::EvalRun> cand;
    std::shared_ptr<const eval::PairedRuns> paired;
    std::shared_ptr<const std::vector<report::Disagreement>> flips; ///< pairs whose scores differ
    std::vector<Diagnostic> loadNotes; ///< warnings of loading, kept with every new test
    report::ComparisonReport report;
    double loadSeconds = 0.0;
    double pairSeconds = 0.0;

    std::size_t pairCount() const;
};

using ComparisonPtr = std::shared_ptr<const Comparison>;

/// Settings of the statistics, captured by value when a job starts.
struct StatsSettings {
    double alpha = 0.05;
    std::uint64_t permutations = 10000;
    std::uint64_t seed = 0;
    bool runPermutation = false; ///< also for all-binary comparisons
};

/// Loads both sides, pairs them and tests. The error names the file and line at fault.
Result<ComparisonPtr> loadComparison(
    const SideSpec& base, const SideSpec& cand, const StatsSettings& stats, JobControl* control);

/// The same runs and pairs, tested again with other settings.
ComparisonPtr retest(const ComparisonPtr& from, const StatsSettings& stats, JobControl* control);

} // namespace deltascope::ui
