// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <map>
#include <string>
#include <vector>

namespace deltascope::eval {

/// What a per-task entry of an lm-eval results file says.
struct TaskConfig {
    std::vector<std::string> metrics; ///< in the order the results file lists them
    std::vector<std::string> filters; ///< filter_list names in order; {"none"} when absent
    std::map<std::string, bool> higherIsBetter;
};

/// The parts of an lm-eval results_<timestamp>.json (or 0.4.0's results.json) that matter here.
struct ResultsFile {
    std::string path;
    std::string model;
    std::string lmEvalVersion;
    std::map<std::string, TaskConfig> tasks;
    /// "group_subtasks": each group's own tasks (and groups), as the file lists them.
    std::map<std::string, std::vector<std::string>> groups;
};

/// The tasks named, with each group among them replaced by its leaf tasks (groups of groups too).
std::vector<std::string> expandGroups(const ResultsFile& results, const std::vector<std::string>& names);

/// Parses a results file; Python's bare NaN / Infinity are accepted.
Result<ResultsFile> parseResultsFile(const std::string& path);

/// Whether the file is an lm-eval results file under any name: one JSON object with a "results"
/// object beside "versions", "configs" or "config" (what every lm-eval version writes), which
/// holds aggregate scores and no per-sample record. Files over 64 MB are not read.
bool isResultsDocument(const std::string& path);

/// The error for a results file given where per-sample records are needed.
Diagnostic resultsWithoutSamples(const std::string& path);

/// The model named by a model_args value ("pretrained=org/name,dtype=..." or a dict).
std::string modelFromArgs(const std::string& modelArgs);

} // namespace deltascope::eval
