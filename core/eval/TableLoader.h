#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"

#include <atomic>
#include <string>

namespace deltascope::eval {

/// Column names of a generic id/score table. Nested JSON keys are written with dots
/// ("metadata.subject").
struct TableColumns {
    std::string id; ///< empty: "doc_id", "id", "example_id", "prompt_id", whichever exists
    std::string score; ///< empty: "score"
    std::string task; ///< empty: a "task" column when present, else the file name
    std::string filter; ///< optional column holding a filter/variant name
};

/// Loads one CSV or JSONL score table. Each row becomes a sample of the task named by the task
/// column or by the file name.
Result<EvalRun> loadScoreTable(const std::string& path, const TableColumns& columns, bool skipBadLines,
    std::atomic<std::uint64_t>* bytesDone = nullptr);

} // namespace deltascope::eval
