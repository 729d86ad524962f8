// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/SampleDetail.h"

#include <map>
#include <string>
#include <vector>

namespace deltascope::eval {

/// RunInfo::format of openai/simple-evals output.
inline constexpr const char* kSimpleEvalsFormat = "simple-evals";

/// What a simple-evals file name says: `<eval>_<model>[_<YYYYMMDD_HHMMSS>][_<suffix>]_allresults.json`.
struct SimpleEvalsName {
    std::string task; ///< the eval ("healthbench_hard"); "simple-evals" when it is not a known one
    std::string model; ///< the rest, without the timestamp ("gpt-4o-mini", "gpt-4o-mini_tta")
    std::string timestamp; ///< "20260113_121409", or empty
};

/// True for the file names simple-evals gives its full results (`*_allresults.json`).
bool isSimpleEvalsFileName(const std::string& name);

/// Splits a simple-evals file name into eval, model and timestamp.
SimpleEvalsName parseSimpleEvalsName(const std::string& path);

/// How a simple-evals file is read.
struct SimpleEvalsLoadOptions {
    /// task -> metric ("*" for every task); default "score": the per-example score.
    std::map<std::string, std::string> metrics;
    bool skipBadLines = false;
};

/// Loads a simple-evals `*_allresults.json`: one task, one sample per entry of
/// metadata.example_level_metadata, paired on prompt_id.
Result<EvalRun> loadSimpleEvals(const std::string& path, const SimpleEvalsLoadOptions& options);

/// The numeric per-example fields of a simple-evals file (metrics that can be compared).
Result<std::vector<std::string>> simpleEvalsMetrics(const std::string& path);

/// The conversation of one example: the prompt messages, the completion, and the rubric (as the
/// target) with the criteria met.
Result<SampleDetail> readSimpleEvalsSampleDetail(const EvalRun& run, const SampleRecord& record);

} // namespace deltascope::eval
