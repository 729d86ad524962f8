#pragma once

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "eval/EvalRun.h"
#include "eval/RunDiscovery.h"
#include "eval/TableLoader.h"

#include <map>
#include <string>
#include <vector>

namespace deltascope::eval {

struct LoadOptions {
    enum class Format { Auto, LmEval, Table, Inspect };
    Format format = Format::Auto;
    std::map<std::string, std::string> metrics; ///< task -> metric to compare
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

/// Decides whether a path is an lm-eval output, an Inspect log or a generic score table (a folder
/// is lm-eval's: its runs, Inspect logs among them, are found by discoverRuns).
LoadOptions::Format detectFormat(const std::string& path);

/// Chooses the run to load among several found in one folder: the one with the requested
/// timestamp, else the newest when they all belong to one model. Errors when models differ.
Result<RunCandidate> chooseRun(
    const std::vector<RunCandidate>& runs, const std::string& path, const std::string& timestamp);

/// Loads an lm-eval run (folder or file), an Inspect log or a score table, samples files in parallel.
Result<EvalRun> loadRun(const std::string& path, const LoadOptions& options);

/// Loads a chosen lm-eval run (or Inspect log).
Result<EvalRun> loadCandidate(const RunCandidate& run, const std::string& path, const LoadOptions& options);

} // namespace deltascope::eval
