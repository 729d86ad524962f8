// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Comparison.h"
#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "report/Disagreements.h"

#include <QString>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

namespace deltascope::ui {

class JobControl;

/// One side of a comparison as the user chose it.
struct SideSpec {
    QString path;
    eval::LoadOptions options; ///< format, table columns, run timestamp (progress is set by the loader)
    QStringList reruns; ///< more runs of this side, averaged per sample
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
    analysis::ComparisonResult analysis; ///< the request and result this comparison shows
    backend::RanOn ranOn; ///< where the permutation test ran
    /// Why the last settings asked for were refused (a percentage margin on a right-or-wrong task,
    /// an alpha outside (0, 1)); the results shown are those of the settings before.
    std::optional<Diagnostic> refused;

    std::size_t pairCount() const;
};

using ComparisonPtr = std::shared_ptr<const Comparison>;

/// Settings of the statistics, captured by value when a job starts. Defaults: those of the
/// analysis layer.
struct StatsSettings {
    double alpha = analysis::StatsRequest {}.alpha;
    std::uint64_t permutations = analysis::StatsRequest {}.permutations;
    /// The most permutations while a p-value's Monte Carlo interval straddles its level; raised to
    /// `permutations` when below it (as the command line does).
    std::uint64_t maxPermutations = analysis::StatsRequest {}.maxPermutations;
    std::uint64_t seed = analysis::StatsRequest {}.seed;
    bool runPermutation = analysis::StatsRequest {}.runPermutation; ///< also for all-binary comparisons
    report::MarginRequest margins; ///< non-inferiority margins (none: degraded or no evidence)
};

/// The analysis request for these sides and statistics (keep-list: none).
analysis::ComparisonRequest comparisonRequest(const SideSpec& base, const SideSpec& cand, const StatsSettings& stats);

/// Loads both sides, pairs them and tests on `compute` (the CPU when null). The error names the
/// file and line at fault.
Result<ComparisonPtr> loadComparison(const SideSpec& base, const SideSpec& cand, const StatsSettings& stats,
    JobControl* control, const backend::ComputeBackend* compute = nullptr);

/// The same with a full request (keep-list, reruns, threads); the sides' specs are taken from it.
Result<ComparisonPtr> loadComparison(
    const analysis::ComparisonRequest& request, JobControl* control, const backend::ComputeBackend* compute = nullptr);

/// The same runs and pairs, tested again with other settings.
ComparisonPtr retest(const ComparisonPtr& from, const StatsSettings& stats, JobControl* control,
    const backend::ComputeBackend* compute = nullptr);

} // namespace deltascope::ui
