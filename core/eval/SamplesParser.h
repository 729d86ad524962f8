// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/ResultsFile.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::eval {

struct SamplesParseOptions {
    std::string task;
    std::string metric; ///< empty: the results file's first metric, else the record's "metrics"[0]
    const TaskConfig* config = nullptr; ///< from the results file, when there is one
    bool skipBadLines = false; ///< report malformed records as warnings instead of failing
    /// A field path into each record ("doc.subject", "doc.passage_id", or a top-level field) whose
    /// value names the record's cluster; empty: no clusters. Read only when set.
    std::string clusterKey;
    std::uint32_t fileIndex = 0;
    std::atomic<std::uint64_t>* bytesDone = nullptr; ///< progress, in bytes of this file
    const std::atomic<bool>* cancel = nullptr;
};

/// Parses one lm-eval samples file: JSON lines (0.4.3 and later) or one indented JSON array
/// (0.4.0-0.4.2). Returns one TaskSamples per filter, in order of first appearance. Records
/// without a "filter" key (before 0.4.7) take their filter from the order in which a document
/// repeats, following the task's filter_list.
Result<std::vector<TaskSamples>> parseSamplesFile(const std::string& path, const SamplesParseOptions& options);

/// The JSON indexing kernel simdjson chose for this processor at run time (e.g. "icelake:
/// Intel/AMD AVX512"): the structural indexing that dominates the parse runs it whatever
/// instruction set this program was compiled for.
std::string jsonKernel();

} // namespace deltascope::eval
