// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Args.h"
#include "eval/RunLoader.h"

#include <string>
#include <vector>

namespace deltascope::cli {

/// The input options compare and shrink share.
inline const std::vector<std::string> kLoadOptionNames { "task", "metric", "filter", "input-format", "id-column",
    "score-column", "task-column", "filter-column", "weight-column", "prompt-column", "response-column",
    "target-column", "cluster", "skip-bad-lines" };

/// Splits "a,b" values of repeated options into one list.
std::vector<std::string> splitList(const std::vector<std::string>& values);

/// Fills load options from --task, --metric, --filter, --input-format, the column options
/// (--weight-column among them), --cluster and --skip-bad-lines. Returns false with a message on a malformed value.
bool readLoadOptions(const Args& args, eval::LoadOptions& load, std::string& error);

/// "the baseline has: task: a, b; the candidate has: ..." for a message about an unknown metric
/// (empty when neither side can be read).
std::string metricsOfBothSides(const std::string& base, const std::string& cand, const eval::LoadOptions& load);

/// Progress on stderr when it is a terminal ("what: stage  42.0%"), nothing otherwise.
Progress stderrProgress(bool enabled, const char* what);
void clearProgress(bool enabled);

} // namespace deltascope::cli
