// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/TableLoader.h"

#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/ClusterKey.h"
#include "eval/JsonScalar.h"
#include "eval/ResultsFile.h"
#include "eval/ScoreValue.h"
#include "eval/TableRows.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <simdjson.h>

namespace deltascope::eval {

bool splitCsvRecord(
    std::string_view text, std::size_t& pos, std::vector<std::string>& fields, std::int64_t& line, char delimiter)
{
    fields.clear();
    std::string field;
    bool quoted = false;
    bool any = false;
    while (pos < text.size()) {
        const char ch = text[pos];
        any = true;
        if (quoted) {
            if (ch == '"') {
                if (pos + 1 < text.size() && text[pos + 1] == '"') {
                    field += '"';
                    pos += 2;
                    continue;
                }
                quoted = false;
            } else {
                if (ch == '\n')
                    ++line;
                field += ch;
            }
            ++pos;
            continue;
        }
        if (ch == '"' && field.empty()) {
            quoted = true;
        } else if (ch == delimiter) {
            fields.push_back(std::move(field));
            field.clear();
        } else if (ch == '\n') {
            ++pos;
            fields.push_back(std::move(field));
            return true;
        } else if (ch != '\r') {
            field += ch;
        }
        ++pos;
    }
    if (quoted)
        return false;
    if (any)
        fields.push_back(std::move(field));
    return true;
}

namespace {

using namespace table;

// Column positions of a CSV header; -1 for an optional column that is not used.
struct CsvColumns {
    int id = -1;
    int score = -1;
    int task = -1;
    int filter = -1;
    int weight = -1;
    int cluster = -1;
    std::string scoreName;
    std::string weightName;
};

// Finds the named columns in the header; the error names what is missing and lists the columns.
std::optional<Diagnostic> resolveCsvColumns(
    const std::string& path, const std::vector<std::string>& header, const TableColumns& columns, CsvColumns& c)
{
    // A column the comparison reads must be named once: which of two was meant cannot be guessed.
    std::optional<Diagnostic> twice;
    auto find = [&](const std::string& name) -> int {
        int at = -1;
        for (std::size_t i = 0; i < header.size(); ++i) {
            if (header[i] != name)
                continue;
            if (at >= 0 && !twice)
                twice = Diagnostic::error(path, 1,
                    "the header names column \"" + name + "\" twice (columns " + std::to_string(at + 1) + " and "
                        + std::to_string(i + 1) + "); rename one of them");
            if (at < 0)
                at = static_cast<int>(i);
        }
        return at;
    };
    std::string listing;
    for (const auto& h : header)
        listing += (listing.empty() ? "" : ", ") + h;
    if (listing.size() > 200)
        listing = listing.substr(0, 200) + "...";
    auto missing
        = [&](const std::string& what) { return Diagnostic::error(path, 1, what + " (columns: " + listing + ")"); };
    if (!columns.id.empty()) {
        if ((c.id = find(columns.id)) < 0)
            return missing("no id column \"" + columns.id + "\"");
    } else {
        for (const char* name : kIdDefaults)
            if ((c.id = find(name)) >= 0)
                break;
        if (c.id < 0)
            return missing("no id column (looked for doc_id, id, example_id, prompt_id; set the id column)");
    }
    c.scoreName = columns.score.empty() ? "score" : columns.score;
    if ((c.score = find(c.scoreName)) < 0)
        return missing("no score column \"" + c.scoreName + "\" (set the score column)");
    c.task = columns.task.empty() ? find("task") : find(columns.task);
    if (!columns.task.empty() && c.task < 0)
        return missing("no task column \"" + columns.task + "\"");
    if (!columns.filter.empty() && (c.filter = find(columns.filter)) < 0)
        return missing("no filter column \"" + columns.filter + "\"");
    c.weightName = columns.weight;
    if (!columns.weight.empty() && (c.weight = find(columns.weight)) < 0)
        return missing("no weight column \"" + columns.weight + "\"");
    if (!columns.cluster.empty() && (c.cluster = find(columns.cluster)) < 0)
        return missing("no cluster column \"" + columns.cluster + "\"");
    for (const auto& [name, what] : { std::pair { &columns.prompt, "prompt" },
             std::pair { &columns.response, "response" }, std::pair { &columns.target, "target" } })
        if (!name->empty() && find(*name) < 0)
            return missing("no " + std::string(what) + " column \"" + *name + "\"");
    return twice;
}

// Reads the score and weight of one CSV row into s; returns what is wrong with the row, empty when
// it is usable. A NaN score sets nan; an empty or N/A score leaves s.score NaN.
std::string readCsvScore(const std::vector<std::string>& fields, const CsvColumns& c, SampleRecord& s, bool& nan)
{
    std::string why;
    const auto v = scoreFromString(fields[c.score], ScoreShape::Plain, why);
    if (!why.empty())
        return why + " (column \"" + c.scoreName + "\")";
    if (v) {
        s.score = *v;
        nan = std::isnan(*v);
    }
    if (c.weight >= 0 && v && !nan) {
        const auto w = numberFromText(fields[c.weight]);
        if (!w || !std::isfinite(*w) || *w < 0)
            return weightProblem(fields[c.weight], c.weightName);
        s.weight = *w;
    }
    return {};
}

Result<EvalRun> loadCsv(const std::string& path, std::string_view text, const TableColumns& columns, bool skipBad)
{
    using R = Result<EvalRun>;
    Result<EvalRun> out;
    std::size_t pos = 0;
    std::int64_t line = 1;
    std::vector<std::string> header;
    // Tab-separated when the header has tabs and no commas.
    const std::string_view firstLine = text.substr(0, text.find('\n'));
    const char delimiter
        = firstLine.find('\t') != std::string_view::npos && firstLine.find(',') == std::string_view::npos ? '\t' : ',';
    if (!splitCsvRecord(text, pos, header, line, delimiter) || header.empty())
        return R::failure(Diagnostic::error(path, 1, "the CSV file has no header row"));
    if (!header.empty() && header[0].starts_with("\xEF\xBB\xBF"))
        header[0].erase(0, 3);
    CsvColumns c;
    if (auto problem = resolveCsvColumns(path, header, columns, c))
        return R::failure(*problem);

    TaskGroups groups;
    groups.scoreName = c.scoreName;
    groups.logLikelihood = c.weight >= 0;
    groups.clusterKey = columns.cluster;
    const std::string defaultTask = stemOf(path);
    groups.fileTask = defaultTask;
    std::vector<std::string> fields;
    RowCounts counts;
    const auto need = static_cast<std::size_t>(std::max({ c.id, c.score, c.task, c.filter, c.weight, c.cluster })) + 1;
    while (pos < text.size()) {
        const std::size_t start = pos;
        const std::int64_t rowLine = ++line;
        if (!splitCsvRecord(text, pos, fields, line, delimiter))
            return R::failure(Diagnostic::error(path, rowLine, "unterminated quoted field (truncated file?)"));
        if (fields.size() == 1 && fields[0].empty())
            continue;
        std::string problem;
        if (fields.size() < need)
            problem = "row has " + std::to_string(fields.size()) + " fields, the header has "
                + std::to_string(header.size());
        SampleRecord s;
        bool nan = false;
        if (problem.empty())
            problem = readCsvScore(fields, c, s, nan);
        if (!problem.empty()) {
            if (!reportBadRow(Diagnostic::error(path, rowLine, problem), skipBad, out))
                return R::failure(*out.error);
            continue;
        }
        if (!counts.keep(path, rowLine, c.scoreName, nan, std::isnan(s.score), skipBad, out))
            return R::failure(*out.error);
        if (nan)
            continue;
        s.docId = fields[c.id];
        s.line = rowLine;
        s.offset = start;
        s.length = static_cast<std::uint32_t>(pos - start);
        const std::string task = c.task >= 0 && !fields[c.task].empty() ? fields[c.task] : defaultTask;
        const std::string filter = c.filter >= 0 ? fields[c.filter] : std::string("none");
        const std::string* cluster = c.cluster >= 0 && !fields[c.cluster].empty() ? &fields[c.cluster] : nullptr;
        groups.add(task, filter, std::move(s), cluster);
    }
    counts.warn(path, c.scoreName, "row(s) have an empty or N/A score", out);
    return groups.finish(path, text, out);
}

// A file that is one JSON document spread over lines, not a table of one record per line: what
// it is, as an error; nothing when its first line is a record of its own (a JSONL table).
std::optional<Diagnostic> oneDocumentProblem(const std::string& path, std::string_view text)
{
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos)
        return std::nullopt;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!parser.parse(std::string(text.substr(0, nl))).get(doc))
        return std::nullopt;
    simdjson::dom::object top;
    if (parser.parse(text.data(), text.size(), true).get(doc) || doc.get_object().get(top))
        return std::nullopt; // broken or not an object: the record reader says where
    if (isResultsDocument(path)) // the one rule for what a results file is, read again on this error path
        return resultsWithoutSamples(path);
    // simple-evals writes its aggregate metrics (score, per-axis means with bootstrap_std and
    // n_samples) to NAME.json and the per-sample results to NAME_allresults.json.
    bool summary = false;
    for (const auto field : top) {
        const std::string_view key = field.key;
        summary = summary || key.ends_with(":bootstrap_std") || key.ends_with(":n_samples")
            || (key == "score" && field.value.is_number());
    }
    namespace fs = std::filesystem;
    const fs::path file(path);
    if (summary) {
        const fs::path perSample = file.parent_path() / (file.stem().string() + "_allresults.json");
        std::error_code ec;
        return Diagnostic::error(path, 0,
            "a simple-evals summary: aggregate metrics, not per-sample results; "
                + (fs::exists(perSample, ec)
                        ? "compare the per-sample file beside it, " + perSample.filename().string()
                        : std::string("simple-evals writes per-sample results to NAME_allresults.json")));
    }
    return Diagnostic::error(path, 0,
        "one JSON document over several lines, not a table of one JSON record per line; Deltascope reads "
        "per-sample results as lm-eval samples, Inspect logs, HELM runs, simple-evals *_allresults.json, or a CSV or "
        "JSONL table of ids and scores");
}

} // namespace

Result<EvalRun> loadScoreTable(
    const std::string& path, const TableColumns& columns, bool skipBadLines, std::atomic<std::uint64_t>* bytesDone)
{
    using R = Result<EvalRun>;
    MappedFile file;
    if (auto problem = file.openInput(path, "the file is empty"))
        return R::failure(*problem);
    const std::string_view text = file.text();
    // A binary file (or one in another encoding) would otherwise produce a baffling header.
    const std::string_view head = text.substr(0, 1 << 16);
    std::size_t control = 0;
    for (const char ch : head) {
        const auto u = static_cast<unsigned char>(ch);
        control += (u < 0x20 && u != '\n' && u != '\r' && u != '\t') || u == 0x7f ? 1 : 0;
    }
    if (head.find('\0') != std::string_view::npos || control * 100 > head.size())
        return R::failure(Diagnostic::error(
            path, 0, "not a text file: expected lm-eval output, or a CSV or JSONL table of ids and scores"));
    const bool json = text[text.find_first_not_of(" \t\r\n")] == '{';
    auto result = json ? loadJsonl(path, text, file.size() - text.size(), columns, skipBadLines)
                       : loadCsv(path, text, columns, skipBadLines);
    // A JSON file whose records could not be read may be one document over many lines: said so,
    // in place of its first line's error (looked at only then: tables that load pay nothing).
    if (json && (!result.ok() || result.value->tasks.empty()))
        if (auto problem = oneDocumentProblem(path, text))
            return R::failure(*problem);
    if (bytesDone)
        bytesDone->fetch_add(text.size(), std::memory_order_relaxed);
    if (result.ok()) {
        if (result.value->tasks.empty()) {
            // Rows there were, but some were skipped as malformed and no other has a usable score:
            // say so, and why the first was skipped.
            constexpr std::string_view skipped = "; skipped";
            for (const auto& w : result.warnings)
                if (w.message.ends_with(skipped))
                    return R::failure(Diagnostic::error(path, w.line,
                        "no row could be read: rows were skipped as malformed (the first: "
                            + w.message.substr(0, w.message.size() - skipped.size())
                            + "), and no other row has a usable score"));
            return R::failure(Diagnostic::error(path, 0, "the table has no rows"));
        }
        result.value->files.push_back(path);
        result.value->info.path = path;
        result.value->info.format = json ? "score table (JSONL)" : "score table (CSV)";
        result.value->info.promptColumn = columns.prompt;
        result.value->info.responseColumn = columns.response;
        result.value->info.targetColumn = columns.target;
    }
    return result;
}

std::vector<std::pair<std::string, std::string>> csvRowFields(const std::string& path, std::string_view row)
{
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return {};
    const std::string_view text = file.text();
    const std::string_view firstLine = text.substr(0, text.find('\n'));
    const char delimiter
        = firstLine.find('\t') != std::string_view::npos && firstLine.find(',') == std::string_view::npos ? '\t' : ',';
    std::vector<std::string> header;
    std::vector<std::string> fields;
    std::size_t pos = 0;
    std::int64_t line = 1;
    if (!splitCsvRecord(text, pos, header, line, delimiter) || header.empty())
        return {};
    if (header[0].starts_with("\xEF\xBB\xBF"))
        header[0].erase(0, 3);
    pos = 0;
    if (!splitCsvRecord(row, pos, fields, line, delimiter))
        return {};
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i)
        out.emplace_back(header[i], fields[i]);
    return out;
}

} // namespace deltascope::eval
