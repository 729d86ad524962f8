// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/LineWindows.h"
#include "eval/ClusterKey.h"
#include "eval/JsonScalar.h"
#include "eval/ScoreValue.h"
#include "eval/TableRows.h"

#include <cstring>

namespace deltascope::eval::table {

namespace {

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

// The key of a dotted path that the record gives twice at its level, empty when none is: which of
// the two a reader takes is a guess, so such a record is refused.
std::string repeatedKey(simdjson::dom::element record, std::string_view dotted)
{
    simdjson::dom::object level;
    if (dotted.empty() || record.get_object().get(level))
        return {};
    while (true) {
        const auto dot = dotted.find('.');
        const std::string_view head = dotted.substr(0, dot);
        int seen = 0;
        simdjson::dom::element next;
        for (const auto field : level)
            if (field.key == head && ++seen == 1)
                next = field.value;
        if (seen > 1)
            return std::string(head);
        if (seen == 0 || dot == std::string_view::npos || next.get_object().get(level))
            return {};
        dotted = dotted.substr(dot + 1);
    }
}

std::string malformedMessage(simdjson::error_code e)
{
    return std::string("malformed JSON record (") + simdjson::error_message(e) + ")";
}

// A line that is valid JSON but not an object: what it holds instead.
std::string notAnObjectMessage(simdjson::dom::element whole)
{
    const char* kind = "a value";
    switch (whole.type()) {
    case simdjson::dom::element_type::ARRAY:
        kind = "a list";
        break;
    case simdjson::dom::element_type::STRING:
        kind = "a string";
        break;
    case simdjson::dom::element_type::NULL_VALUE:
        kind = "null";
        break;
    case simdjson::dom::element_type::BOOL:
        kind = "true or false";
        break;
    case simdjson::dom::element_type::OBJECT:
        break;
    default:
        kind = "a number";
    }
    return std::string("a record must be a JSON object ({\"id\": ..., \"score\": ...}); this line holds ") + kind;
}

// Checks the whole record (left in whole), then opens it for on-demand reading into doc and obj.
// The n bytes at data are followed by at least SIMDJSON_PADDING readable ones (capacity in all).
simdjson::error_code openRecord(simdjson::dom::parser& validator, od::parser& parser, const char* data, std::size_t n,
    std::size_t capacity, simdjson::dom::element& whole, od::document& doc, od::object& obj)
{
    simdjson::error_code e = validator.parse(data, n, false).get(whole);
    if (!e)
        e = parser.iterate(data, n, capacity).get(doc);
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
    if (e2 == simdjson::INCORRECT_TYPE)
        return "id field \"" + idName + "\" holds an object or a list, not an id";
    if (e2)
        return broken(e2) ? malformedMessage(e2) : "record has no id field \"" + idName + "\"";
    if (const auto es = lookup(obj, scoreName, v))
        return broken(es) ? malformedMessage(es) : "record has no score field \"" + scoreName + "\"";
    std::string scoreText;
    od::json_type t {};
    e2 = v.type().get(t);
    if (!e2 && (t == od::json_type::object || t == od::json_type::array))
        return "score field \"" + scoreName + "\" is not a number";
    if (!e2)
        e2 = detail::scalarText(v, scoreText, false);
    if (e2)
        return broken(e2) ? malformedMessage(e2) : "cannot read score field \"" + scoreName + "\"";
    std::string why;
    const auto score = t == od::json_type::null ? std::nullopt : scoreFromString(scoreText, ScoreShape::Plain, why);
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
        if (ev == simdjson::INCORRECT_TYPE)
            return "task field \"" + taskName + "\" holds an object or a list, not a task name";
        if (!ev && !tt.empty())
            f.task = tt;
    } else if (broken(et)) {
        return malformedMessage(et);
    } else if (!columns.task.empty()) {
        return "record has no task field \"" + columns.task + "\"";
    }
    if (!columns.filter.empty() && !lookup(obj, columns.filter, v)) {
        std::string ft;
        const auto ef = detail::scalarText(v, ft, false);
        if (broken(ef))
            return malformedMessage(ef);
        if (ef == simdjson::INCORRECT_TYPE)
            return "filter field \"" + columns.filter + "\" holds an object or a list, not a filter name";
        f.filter = ft;
    }
    return columns.cluster.empty() ? std::string() : readJsonlCluster(obj, columns.cluster, f);
}

} // namespace

Result<EvalRun> loadJsonl(
    const std::string& path, std::string_view text, std::size_t textStart, const TableColumns& columns, bool skipBad)
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
    std::int64_t line = 0;
    RowCounts counts;
    groups.logLikelihood = !columns.weight.empty();
    std::string idName = columns.id;
    const std::string taskName = columns.task.empty() ? "task" : columns.task;
    // The file is read in windows of whole lines through a buffer that stays in use (cheaper than
    // touching every page of the mapping for the first time); each window is followed by the
    // parser's padding, so that records are parsed where they lie.
    LineWindows windows(simdjson::SIMDJSON_PADDING);
    std::string why;
    if (!windows.open(path, textStart, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const char* windowData = nullptr;
    std::size_t windowSize = 0;
    std::size_t windowOffset = 0;
    while (windows.next(windowData, windowSize, windowOffset)) {
        const std::string_view window(windowData, windowSize);
        std::size_t pos = 0;
        while (pos < window.size()) {
            ++line;
            const auto nl = window.find('\n', pos);
            const std::size_t end = nl == std::string_view::npos ? window.size() : nl;
            const std::string_view rec = window.substr(pos, end - pos);
            const std::size_t start = windowOffset - textStart + pos; // offsets count from the text
            const std::size_t capacity = window.size() + simdjson::SIMDJSON_PADDING - pos;
            pos = end + 1;
            if (rec.find_first_not_of(" \t\r") == std::string_view::npos)
                continue;
            auto fail = [&](const std::string& msg) {
                return reportBadRow(Diagnostic::error(path, line, msg), skipBad, out);
            };
            simdjson::dom::element whole;
            od::document doc;
            od::object obj;
            // A record is read where it lies; one mended below, from a padded copy.
            auto open = [&](std::string_view json) {
                if (json.data() == rec.data())
                    return openRecord(validator, parser, json.data(), json.size(), capacity, whole, doc, obj);
                buf.assign(json);
                buf.resize(json.size() + simdjson::SIMDJSON_PADDING, ' ');
                return openRecord(validator, parser, buf.data(), json.size(), buf.size(), whole, doc, obj);
            };
            simdjson::error_code opened = open(rec);
            if (opened) {
                // Python's bare NaN and Infinity are read as the strings they stand for, and invalid
                // UTF-8 in a text field with replacement characters, not refused. A record that parses
                // as it is has neither (the parser checks UTF-8).
                std::string fixed
                    = quoteNonFiniteTokens(isValidUtf8(rec) ? rec : std::string_view(replaceInvalidUtf8(rec)));
                if (fixed != rec)
                    opened = open(fixed);
                // An integer id beyond 64 bits is valid JSON that the parser cannot hold as a
                // number: it is read as the digits it is written with.
                if (opened == simdjson::NUMBER_ERROR)
                    if (std::string longer = quoteLongIntegers(fixed); longer != fixed)
                        opened = open(longer);
            }
            if (const auto e = opened) {
                if (!fail(e == simdjson::INCORRECT_TYPE ? notAnObjectMessage(whole) : malformedMessage(e)))
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
            std::string twice;
            for (const std::string* name : std::initializer_list<const std::string*> {
                     &idName, &scoreName, &taskName, &columns.filter, &columns.cluster, &columns.weight })
                if (twice.empty())
                    twice = repeatedKey(whole, *name);
            if (!twice.empty()) {
                if (!fail("the record gives \"" + twice + "\" twice"))
                    return R::failure(*out.error);
                continue;
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
    }
    if (!windows.error().empty())
        return R::failure(Diagnostic::error(path, line, windows.error()));
    counts.warn(path, scoreName, "record(s) have a null, empty or N/A score", out);
    return groups.finish(path, text, out);
}

} // namespace deltascope::eval::table
