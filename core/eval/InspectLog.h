// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/RunLoader.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::eval {

/// What the header of an Inspect (inspect_ai) log says about its run.
struct InspectHeader {
    std::string task;
    std::string model;
    std::string created;
    std::string status; ///< "success", "cancelled", "error", "started"
    std::vector<std::string> scorers;
    std::vector<std::string> sampleIds; ///< the dataset's sample ids, when the log lists them
    std::int64_t totalSamples = -1; ///< samples x epochs the run set out to score; -1 when unstated
    std::int64_t completedSamples = -1;
    std::int64_t epochs = 1;
    /// "inspect_ai 0.3.128" from the eval's packages, else the log format's version ("Inspect log
    /// format 2"); empty when neither is given.
    std::string toolVersion;
};

/// True for a file name Inspect writes as a zip log (".eval").
bool isInspectEvalName(const std::string& name);

/// True when a JSON text is an object whose top-level "eval" key holds an object, as an Inspect log
/// (EvalLog) is: reads only as far as that key (head may be the first bytes of a larger file).
bool looksLikeInspectJson(std::string_view head);

/// Reads the header of an Inspect .eval or .json log (for listing runs).
Result<InspectHeader> readInspectHeader(const std::string& path);

/// Loads an Inspect log. Task = the eval's task name, docId = the sample id; epochs of one sample
/// are reruns, averaged. Each scorer is a metric: "C" (correct) = 1, "I" (incorrect) = 0,
/// "P" (partial) = 0.5, "N" (no answer) = 0, booleans 1/0, numbers as they are; a dict-valued
/// score offers each key as the metric "scorer.key". The metric comes from options.metrics for the
/// task, else options.metrics["*"] (every task), else the first scorer. Samples that ended in an
/// error or are missing (a cancelled run) are counted and named in the warnings.
Result<EvalRun> loadInspectLog(const std::string& path, const LoadOptions& options);

/// The same over a log's bytes (tests and fuzzing); `label` names it, zip or JSON by content.
Result<EvalRun> loadInspectBytes(std::string_view bytes, const std::string& label, const LoadOptions& options);

/// The metrics a log's samples offer (for messages that help choose one), in scorer order.
Result<std::vector<std::string>> inspectMetrics(const std::string& path);

} // namespace deltascope::eval
