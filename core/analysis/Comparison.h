// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "eval/EvalRun.h"
#include "eval/KeepList.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::analysis {

/// One side of a comparison: a run (folder or file) and how to read it.
struct SideRequest {
    std::string path;
    /// Format, table columns, tasks, metrics, filters, the run timestamp within a folder of several
    /// runs, bad-line handling and loader threads. Its progress callback is ignored: the comparison
    /// reports its own.
    eval::LoadOptions load;
    std::vector<std::string> reruns; ///< more runs of this side: per-sample scores are averaged
};

/// The statistics of a comparison (DESIGN 3.3, 3.4): what a retest may change without reloading.
struct StatsRequest {
    double alpha = 0.05; ///< family-wise level, in (0, 1)
    std::uint64_t permutations = 10000; ///< sign-flip permutations, at least 1
    /// While a deciding p-value's 99% Monte Carlo interval straddles its level, the permutations
    /// double (the same stream continued) up to this many. At least `permutations`.
    std::uint64_t maxPermutations = 1000000;
    std::uint64_t seed = 0; ///< seed of the permutation stream
    bool runPermutation = false; ///< run the sign-flip test even when every task is binary
    /// Non-inferiority margins (DESIGN 3.6); none: the verdict is degraded or no evidence.
    report::MarginRequest margins;
    unsigned threads = 0; ///< 0: all hardware threads

    bool operator==(const StatsRequest&) const = default;
};

/// Everything that decides a comparison. The command line and the window fill this and nothing
/// else; the defaults here are the defaults of both.
struct ComparisonRequest {
    SideRequest base;
    SideRequest cand;
    std::string keepListPath; ///< compare only the samples listed (empty: all)
    StatsRequest stats;
};

/// The loaded runs and their pairs: what a retest reuses.
struct LoadedComparison {
    std::shared_ptr<const eval::EvalRun> base;
    std::shared_ptr<const eval::EvalRun> cand;
    std::shared_ptr<const eval::PairedRuns> paired;
    std::shared_ptr<const eval::KeepList> keepList; ///< null without one
    std::vector<Diagnostic> notes; ///< warnings of loading (baseline, candidate, task alignment)
    double loadSeconds = 0.0;
    double pairSeconds = 0.0;

    std::size_t pairCount() const;
};

/// A comparison's outcome: its request, the loaded runs, and the report of the tests.
struct ComparisonResult {
    ComparisonRequest request;
    std::shared_ptr<const LoadedComparison> loaded;
    report::ComparisonReport report; ///< its warnings start with the loading notes
    backend::RanOn ranOn; ///< where the permutation test ran (the CPU when none ran)
};

/// Reads one margin as the user writes it: "1" (points for binary tasks, metric units for continuous
/// ones), "1%" (of the baseline's corpus metric), "TASK=D" or "TASK=D%" for one task. Adds it to
/// `into`; false with a message on a malformed or negative margin.
bool parseMargin(std::string_view text, report::MarginRequest& into, std::string& error);

/// The margins as the user would write them again ("1", "wikitext=1%"), one per entry.
std::vector<std::string> marginTexts(const report::MarginRequest& margins);

/// The request's problems that need no file to find (an alpha outside (0, 1), no permutations,
/// a missing input), or nothing. The messages name the setting, not a flag or a control.
std::optional<Diagnostic> checkComparisonRequest(const ComparisonRequest& request);

/// Loads both sides (with their reruns) and the keep-list, and pairs the samples. Progress runs
/// 0..0.9 with stages "baseline: ...", "candidate: ...", "pairing samples"; returning false cancels
/// (the error then says "cancelled").
Result<std::shared_ptr<const LoadedComparison>> loadComparison(
    const ComparisonRequest& request, const Progress& progress = {});

/// One side loaded, its reruns averaged: what several comparisons against one baseline share.
struct LoadedSide {
    std::shared_ptr<const eval::EvalRun> run;
    std::vector<Diagnostic> notes; ///< warnings of loading
    /// Per (task, filter): samples the first two runs of this side disagree on (the noise floor).
    std::map<std::pair<std::string, std::string>, std::int64_t> noise;
};

/// Loads the request's baseline side (with its reruns). Progress: the fraction read.
Result<LoadedSide> loadBaseline(const ComparisonRequest& request, const Progress& progress = {});

/// Loads the candidate and the keep-list and pairs them with an already loaded baseline: what
/// loadComparison does after loadBaseline (the same notes, in the same order). Progress 0..1 with
/// stages "candidate: ...", "pairing samples".
Result<std::shared_ptr<const LoadedComparison>> loadAgainstBaseline(
    const ComparisonRequest& request, const LoadedSide& base, const Progress& progress = {});

/// Tests loaded pairs with these statistics on `compute` (a cancelled test gives a report marked
/// cancelled, not an error). The report's warnings start with the
/// loading notes, then what the backend said (a fallback to the CPU).
Result<report::ComparisonReport> testComparison(const LoadedComparison& loaded, const StatsRequest& stats,
    const backend::ComputeBackend& compute, const Progress& progress = {});

/// The whole comparison: load, pair, test.
Result<ComparisonResult> runComparison(
    const ComparisonRequest& request, const backend::ComputeBackend& compute, const Progress& progress = {});

/// The same loaded runs tested again with other statistics (a new alpha, more permutations).
Result<ComparisonResult> retestComparison(const ComparisonResult& from, const StatsRequest& stats,
    const backend::ComputeBackend& compute, const Progress& progress = {});

} // namespace deltascope::analysis
