// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"

#include <string>
#include <utility>
#include <vector>

namespace deltascope::eval {

/// What a person reads about one sample: taken again from the record in its file when asked for.
struct SampleDetail {
    std::string docId;
    std::string prompt; ///< the model input (generation prompt, or the context of a scored choice)
    std::vector<std::string> choices; ///< continuations scored by log-likelihood tasks
    std::string target;
    std::string response; ///< what the model produced (or the scores it gave each choice)
    std::string filtered; ///< the answer after the task's filter
    std::vector<std::pair<std::string, std::string>> metrics; ///< per-sample metric values
    std::string docHash;
    std::string promptHash;
    std::string targetHash;
    std::string doc; ///< the dataset document, pretty-printed
    std::string raw; ///< the record as stored (score tables: the whole row)
    std::string file;
    std::int64_t line = 0;
};

/// Reads the record of a sample back from its file and picks out its fields (lm-eval records
/// of every version, Inspect samples; score-table rows are given raw).
Result<SampleDetail> readSampleDetail(const EvalRun& run, const SampleRecord& record);

/// Human-readable text of a JSON value: strings as they are, one-element lists unwrapped, longer
/// lists one item per line, objects indented.
std::string readableJson(const std::string& jsonText);

} // namespace deltascope::eval
