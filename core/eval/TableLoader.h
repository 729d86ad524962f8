// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltascope::eval {

/// Column names of a generic id/score table. Nested JSON keys are written with dots
/// ("metadata.subject").
struct TableColumns {
    std::string id; ///< empty: "doc_id", "id", "example_id", "prompt_id", whichever exists
    std::string score; ///< empty: "score"
    std::string task; ///< empty: a "task" column when present, else the file name
    std::string filter; ///< optional column holding a filter/variant name
    /// Optional column holding the words or bytes of a corpus item: the score is then the item's
    /// log-likelihood (higher is better) and the weight is kept for the corpus metric named by
    /// the score column (word_perplexity, byte_perplexity, bits_per_byte).
    std::string weight;
    /// Optional column holding each row's cluster (a subject, a passage id): rows sharing a value are
    /// not independent and are flipped together (DESIGN 3.6). An empty or null value: a cluster of its
    /// own. Set from LoadOptions::clusterKey when empty.
    std::string cluster;
    /// Optional columns the sample view reads: the prompt, the model's response and the expected
    /// answer. Empty: the usual names are tried (prompt/input/question, response/output/completion/
    /// prediction, target/gold/answer/label).
    std::string prompt;
    std::string response;
    std::string target;
};

/// Loads one CSV or JSONL score table. Each row becomes a sample of the task named by the task
/// column or by the file name. A NaN score is an error naming the line (with skipBadLines the row is
/// left out and counted in one warning); infinite scores are kept.
Result<EvalRun> loadScoreTable(const std::string& path, const TableColumns& columns, bool skipBadLines,
    std::atomic<std::uint64_t>* bytesDone = nullptr);

/// The fields of one CSV or TSV row of a score table as (header name, value) pairs, the header read
/// from the file again; empty when the file has no header or the row cannot be split.
std::vector<std::pair<std::string, std::string>> csvRowFields(const std::string& path, std::string_view row);

/// Reads one CSV record from text at pos (quoted fields may hold the delimiter, "" and newlines)
/// into fields, moving pos past it and counting the newlines it crossed in line; false at the end.
bool splitCsvRecord(
    std::string_view text, std::size_t& pos, std::vector<std::string>& fields, std::int64_t& line, char delimiter);

} // namespace deltascope::eval
