// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "eval/EvalRun.h"
#include "eval/RunDiscovery.h"
#include "eval/TableLoader.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::eval {

struct LoadOptions {
    enum class Format { Auto, LmEval, Table, Inspect, Helm, SimpleEvals };
    Format format = Format::Auto;
    /// task -> metric to compare; the task "*" names the metric of every task not named itself.
    std::map<std::string, std::string> metrics;
    std::vector<std::string> tasks; ///< load only these tasks (empty: all)
    std::vector<std::string> filters; ///< keep only these filters (empty: all)
    std::string runTimestamp; ///< when a folder holds several runs: the one to load
    bool skipBadLines = false;
    TableColumns columns;
    /// Items sharing a value of this key are one cluster (DESIGN 3.6): a column of a score table
    /// (a dotted path in JSONL), or a field path in lm-eval sample records ("doc.subject",
    /// "doc.passage_id", a top-level field). Empty: every item is independent.
    std::string clusterKey;
    unsigned threads = 0; ///< 0: all hardware threads
    Progress progress;
};

/// Decides whether a path is an lm-eval output, an Inspect log, a HELM run (folder, or a file in
/// it), a simple-evals *_allresults.json or a generic score table. A folder holding several runs
/// of any kind is LmEval: loadRun finds them all (discoverRuns).
LoadOptions::Format detectFormat(const std::string& path);

/// The error for a file read as lm-eval samples or a table that is an lm-eval results file under
/// another name (aggregate scores only); nothing for any other input.
std::optional<Diagnostic> aggregateOnly(const std::string& path, LoadOptions::Format format);

/// The metrics each task of a run offers (for messages that help choose one): lm-eval tasks
/// from the results file, an Inspect log's scorers, a HELM run's per-instance stats, simple-evals' numeric per-example
/// fields, a score table's score column.
Result<std::map<std::string, std::vector<std::string>>> metricsOf(const std::string& path, const LoadOptions& options);

/// Chooses the run to load among several found in one folder: the one with the requested
/// timestamp, else the newest when they all belong to one model. Errors when models differ.
Result<RunCandidate> chooseRun(
    const std::vector<RunCandidate>& runs, const std::string& path, const std::string& timestamp);

/// True when the runs found in one folder load as one run without choosing: one model's HELM runs
/// (a suite), or one model's Inspect logs of several tasks (a task per log; of several logs of
/// one task, the newest).
bool formsOneRun(const std::vector<RunCandidate>& runs);

/// Loads an lm-eval run (folder or file), an Inspect log or a score table, samples files in parallel.
Result<EvalRun> loadRun(const std::string& path, const LoadOptions& options);

/// Loads a chosen lm-eval run (or Inspect log).
Result<EvalRun> loadCandidate(const RunCandidate& run, const std::string& path, const LoadOptions& options);

} // namespace deltascope::eval
