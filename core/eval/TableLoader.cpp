#include "eval/TableLoader.h"

#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/ClusterKey.h"
#include "eval/JsonScalar.h"
#include "eval/ScoreValue.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <simdjson.h>

namespace deltascope::eval {

namespace {

namespace od = simdjson::ondemand;

const char* const kIdDefaults[] = { "doc_id", "id", "example_id", "prompt_id", "sample_id", "question_id" };

std::string stemOf(const std::string& path)
{
    return std::filesystem::path(path).stem().string();
}

struct TaskGroups {
    std::vector<TaskSamples> tasks;
    std::map<std::pair<std::string, std::string>, std::size_t> index;
    std::string scoreName;

    std::string fileTask;
    bool logLikelihood = false; ///< a weight column: scores are corpus items' log-likelihoods

    TaskSamples& get(const std::string& task, const std::string& filter)
    {
        auto it = index.find({ task, filter });
        if (it != index.end())
            return tasks[it->second];
        index.emplace(std::make_pair(task, filter), tasks.size());
        TaskSamples t;
        t.task = task;
        t.filter = filter;
        t.metric = scoreName;
        t.taskFromFileName = task == fileTask;
        t.logLikelihood = logLikelihood;
        t.clusterKey = clusterKey;
        tasks.push_back(std::move(t));
        clusterIndex.emplace_back();
        return tasks.back();
    }

    // With a cluster key: the per-task cluster indices and the count of rows without a cluster.
    std::string clusterKey;
    std::vector<detail::ClusterIndex> clusterIndex; // parallel to tasks
    std::map<std::string, detail::ClusterTally> clusterTally; // per task name

    /// Adds a row; `cluster` is its cluster value, null when it has none.
    void add(const std::string& task, const std::string& filter, SampleRecord s, const std::string* cluster)
    {
        TaskSamples& t = get(task, filter);
        if (!clusterKey.empty()) {
            auto& tally = clusterTally[task];
            tally.count(cluster != nullptr, s.line, s.offset, s.length);
            if (cluster)
                s.cluster = clusterIndex[static_cast<std::size_t>(&t - tasks.data())].intern(t, *cluster);
        }
        t.samples.push_back(std::move(s));
    }

    /// The error when a task has no row with a cluster, else the warnings for rows without one.
    bool checkClusters(const std::string& path, std::string_view text, Result<EvalRun>& out)
    {
        for (auto& [task, tally] : clusterTally) {
            tally.task = task;
            tally.file = path;
            auto problem = detail::clusterProblem(tally, clusterKey, text);
            if (problem && problem->severity == Diagnostic::Severity::Error) {
                out.error = std::move(*problem);
                return false;
            }
            if (problem)
                out.warnings.push_back(std::move(*problem));
        }
        return true;
    }
};

// A malformed row: fatal, or with skipping a warning. Returns false when loading must stop (the
// error is then in out.error).
bool reportBadRow(Diagnostic d, bool skip, Result<EvalRun>& out)
{
    if (!skip) {
        out.error = std::move(d);
        return false;
    }
    d.severity = Diagnostic::Severity::Warning;
    d.message += "; skipped";
    out.warnings.push_back(std::move(d));
    return true;
}

// Rows without a usable score: NaN (fatal, or left out with skipping) and missing (kept, NaN).
struct RowCounts {
    std::int64_t nan = 0;
    std::int64_t firstNan = 0;
    std::int64_t missing = 0;
    std::int64_t firstMissing = 0;

    // Counts a row; returns false when a NaN score must stop the load (the error is in out.error).
    bool keep(const std::string& path, std::int64_t line, const std::string& scoreName, bool isNan, bool noScore,
        bool skip, Result<EvalRun>& out)
    {
        if (isNan && !skip) {
            out.error = Diagnostic::error(path, line, nanScoreMessage(scoreName));
            return false;
        }
        if (isNan) {
            if (nan++ == 0)
                firstNan = line;
        } else if (noScore && missing++ == 0) {
            firstMissing = line;
        }
        return true;
    }

    void warn(const std::string& path, const std::string& scoreName, const std::string& missingWhat,
        Result<EvalRun>& out) const
    {
        if (nan > 0)
            out.warnings.push_back(Diagnostic::warning(path, firstNan,
                std::to_string(nan) + " row(s) with a NaN \"" + scoreName
                    + "\" score left out of the comparison (the first is on this line)"));
        if (missing > 0)
            out.warnings.push_back(Diagnostic::warning(path, firstMissing,
                std::to_string(missing) + " " + missingWhat + "; they are left out of the comparison"));
    }
};

// ---- CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) ----

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
    auto find = [&](const std::string& name) -> int {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name)
                return static_cast<int>(i);
        return -1;
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
    return std::nullopt;
}

std::string weightProblem(std::string_view text, const std::string& column)
{
    return "weight \"" + std::string(text) + "\" is not a finite number >= 0 (column \"" + column + "\")";
}

// Reads the score and weight of one CSV row into s; returns what is wrong with the row, empty when
// it is usable. A NaN score sets nan; an empty or N/A score leaves s.score NaN.
std::string readCsvScore(const std::vector<std::string>& fields, const CsvColumns& c, SampleRecord& s, bool& nan)
{
    std::string why;
    const auto v = scoreFromString(fields[c.score], false, why);
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
    if (!groups.checkClusters(path, text, out))
        return R::failure(*out.error);
    EvalRun run;
    run.tasks = std::move(groups.tasks);
    out.value = std::move(run);
    return out;
}

// ---- JSONL ----

// Looks up a dotted path ("metadata.subject") in an object; the value is read as text or number.
// An error after which the record's iterator must not be used again (on demand, a record is
// only parsed as far as it is read: a syntax error deep inside shows up at a field lookup).
// A missing field or a value of another type leaves it usable.
bool broken(simdjson::error_code e)
{
    return e && e != simdjson::NO_SUCH_FIELD && e != simdjson::INCORRECT_TYPE;
}

simdjson::error_code lookup(od::object obj, std::string_view dotted, od::value& out)
{
    const auto dot = dotted.find('.');
    const std::string_view head = dotted.substr(0, dot);
    od::value v;
    if (auto e = obj.find_field_unordered(head).get(v))
        return e;
    if (dot == std::string_view::npos) {
        out = v;
        return simdjson::SUCCESS;
    }
    od::object inner;
    if (auto e = v.get_object().get(inner))
        return e;
    return lookup(inner, dotted.substr(dot + 1), out);
}

std::string malformedMessage(simdjson::error_code e)
{
    return std::string("malformed JSON record (") + simdjson::error_message(e) + ")";
}

// Checks the whole record, then opens it for on-demand reading into doc and obj.
simdjson::error_code openRecord(simdjson::dom::parser& validator, od::parser& parser, std::string& buf, std::size_t n,
    od::document& doc, od::object& obj)
{
    simdjson::dom::element whole;
    simdjson::error_code e = validator.parse(buf.data(), n, false).get(whole);
    if (!e)
        e = parser.iterate(buf.data(), n, buf.size()).get(doc);
    if (!e)
        e = doc.get_object().get(obj);
    return e;
}

// Sets idName to the first of the usual id field names the record has; an error that makes the
// record unreadable is returned.
simdjson::error_code detectIdName(od::object obj, std::string& idName)
{
    for (const char* name : kIdDefaults) {
        od::value probe;
        const auto pe = obj.find_field_unordered(name).get(probe);
        if (!pe) {
            idName = name;
            break;
        }
        if (broken(pe))
            return pe;
    }
    return simdjson::SUCCESS;
}

struct JsonlFields {
    SampleRecord sample;
    std::string task;
    std::string filter = "none";
    bool noScore = false; // a null, empty or N/A score
    bool nanScore = false;
    std::string cluster;
    detail::ClusterField clusterFound = detail::ClusterField::Missing;
};

// Reads the record's cluster from the named field (a dotted path); returns what is wrong, empty
// when fine (a missing field or null is fine: the row is a cluster of its own).
std::string readJsonlCluster(od::object obj, const std::string& clusterName, JsonlFields& f)
{
    if (const auto e = detail::clusterAt(obj, clusterName, f.cluster, f.clusterFound))
        return malformedMessage(e);
    if (f.clusterFound == detail::ClusterField::NotScalar)
        return "the cluster field " + clusterName + " holds an object or a list, not a string or a number";
    return {};
}

// Reads the weight of a corpus item from the named field; returns what is wrong, empty when fine.
std::string readJsonlWeight(od::object obj, const std::string& weightName, SampleRecord& sample)
{
    od::value v;
    if (const auto e = lookup(obj, weightName, v))
        return broken(e) ? malformedMessage(e) : "record has no weight field \"" + weightName + "\"";
    std::string text;
    if (const auto e = detail::scalarText(v, text, true))
        return broken(e) ? malformedMessage(e) : weightProblem("(not a number)", weightName);
    const auto w = numberFromText(text);
    if (!w || !std::isfinite(*w) || *w < 0)
        return weightProblem(text, weightName);
    sample.weight = *w;
    return {};
}

// Reads a record's id, score, task and filter into f; returns what is wrong with the record, empty
// when it is usable.
std::string readJsonlFields(od::object obj, const std::string& idName, const std::string& scoreName,
    const TableColumns& columns, JsonlFields& f)
{
    od::value v;
    simdjson::error_code e2 = lookup(obj, idName, v);
    if (!e2)
        e2 = detail::scalarText(v, f.sample.docId, false);
    if (e2)
        return broken(e2) ? malformedMessage(e2) : "record has no id field \"" + idName + "\"";
    if (const auto es = lookup(obj, scoreName, v))
        return broken(es) ? malformedMessage(es) : "record has no score field \"" + scoreName + "\"";
    std::string scoreText;
    od::json_type t {};
    e2 = v.type().get(t);
    if (!e2)
        e2 = detail::scalarText(v, scoreText, false);
    if (e2)
        return broken(e2) ? malformedMessage(e2) : "cannot read score field \"" + scoreName + "\"";
    if (t == od::json_type::object || t == od::json_type::array)
        return "score field \"" + scoreName + "\" is not a number";
    std::string why;
    const auto score = t == od::json_type::null ? std::nullopt : scoreFromString(scoreText, false, why);
    if (!why.empty())
        return why + " (field \"" + scoreName + "\")";
    if (score)
        f.sample.score = *score;
    else
        f.noScore = true;
    if (score && std::isnan(*score)) {
        f.nanScore = true; // the row is refused or left out: the other fields do not matter
        return {};
    }
    if (!columns.weight.empty() && score) {
        if (auto problem = readJsonlWeight(obj, columns.weight, f.sample); !problem.empty())
            return problem;
    }
    const std::string taskName = columns.task.empty() ? "task" : columns.task;
    const auto et = lookup(obj, taskName, v);
    if (!et) {
        std::string tt;
        const auto ev = detail::scalarText(v, tt, false);
        if (broken(ev))
            return malformedMessage(ev);
        if (!ev && !tt.empty())
            f.task = tt;
    } else if (broken(et)) {
        return malformedMessage(et);
    } else if (!columns.task.empty()) {
        return "record has no task field \"" + columns.task + "\"";
    }
    if (!columns.filter.empty() && !lookup(obj, columns.filter, v)) {
        std::string ft;
        if (!detail::scalarText(v, ft, false))
            f.filter = ft;
    }
    return columns.cluster.empty() ? std::string() : readJsonlCluster(obj, columns.cluster, f);
}

Result<EvalRun> loadJsonl(const std::string& path, std::string_view text, const TableColumns& columns, bool skipBad)
{
    using R = Result<EvalRun>;
    Result<EvalRun> out;
    const std::string scoreName = columns.score.empty() ? "score" : columns.score;
    TaskGroups groups;
    groups.scoreName = scoreName;
    groups.clusterKey = columns.cluster;
    const std::string defaultTask = stemOf(path);
    groups.fileTask = defaultTask;
    od::parser parser;
    // On demand, a record is only parsed as far as its fields are read; the whole record is
    // validated first so that broken structure after the fields is not accepted.
    simdjson::dom::parser validator;
    std::string buf;
    std::size_t pos = 0;
    std::int64_t line = 0;
    RowCounts counts;
    groups.logLikelihood = !columns.weight.empty();
    std::string idName = columns.id;
    while (pos < text.size()) {
        ++line;
        const auto nl = text.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        const std::string_view rec = text.substr(pos, end - pos);
        const std::size_t start = pos;
        pos = end + 1;
        if (rec.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        // Invalid UTF-8 in a text field is read with replacement characters, not refused.
        buf = quoteNonFiniteTokens(isValidUtf8(rec) ? rec : std::string_view(replaceInvalidUtf8(rec)));
        const std::size_t n = buf.size();
        buf.resize(n + simdjson::SIMDJSON_PADDING, ' ');
        auto fail
            = [&](const std::string& msg) { return reportBadRow(Diagnostic::error(path, line, msg), skipBad, out); };
        od::document doc;
        od::object obj;
        if (const auto e = openRecord(validator, parser, buf, n, doc, obj)) {
            if (!fail(malformedMessage(e)))
                return R::failure(*out.error);
            continue;
        }
        if (idName.empty()) {
            if (const auto bad = detectIdName(obj, idName)) {
                if (!fail(malformedMessage(bad)))
                    return R::failure(*out.error);
                continue;
            }
            if (idName.empty())
                return R::failure(Diagnostic::error(
                    path, line, "no id field (looked for doc_id, id, example_id, prompt_id; set the id column)"));
        }
        JsonlFields f;
        f.sample.line = line;
        f.sample.offset = start;
        f.sample.length = static_cast<std::uint32_t>(rec.size());
        f.task = defaultTask;
        const std::string problem = readJsonlFields(obj, idName, scoreName, columns, f);
        if (!problem.empty()) {
            if (!fail(problem))
                return R::failure(*out.error);
            continue;
        }
        if (!counts.keep(path, line, scoreName, f.nanScore, f.noScore, skipBad, out))
            return R::failure(*out.error);
        if (f.nanScore)
            continue;
        const bool hasCluster = f.clusterFound == detail::ClusterField::Found;
        groups.add(f.task, f.filter, std::move(f.sample), hasCluster ? &f.cluster : nullptr);
    }
    counts.warn(path, scoreName, "record(s) have a null, empty or N/A score", out);
    if (!groups.checkClusters(path, text, out))
        return R::failure(*out.error);
    EvalRun run;
    run.tasks = std::move(groups.tasks);
    out.value = std::move(run);
    return out;
}

} // namespace

Result<EvalRun> loadScoreTable(
    const std::string& path, const TableColumns& columns, bool skipBadLines, std::atomic<std::uint64_t>* bytesDone)
{
    using R = Result<EvalRun>;
    MappedFile file;
    if (auto problem = file.openInput(path, "the file is empty"))
        return R::failure(*problem);
    const std::string_view text = file.view();
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
    auto result = json ? loadJsonl(path, text, columns, skipBadLines) : loadCsv(path, text, columns, skipBadLines);
    if (bytesDone)
        bytesDone->fetch_add(text.size(), std::memory_order_relaxed);
    if (result.ok()) {
        if (result.value->tasks.empty())
            return R::failure(Diagnostic::error(path, 0, "the table has no rows"));
        result.value->files.push_back(path);
        result.value->info.path = path;
        result.value->info.format = json ? "score table (JSONL)" : "score table (CSV)";
    }
    return result;
}

} // namespace deltascope::eval
