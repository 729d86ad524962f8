// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/InspectJson.h"

#include "common/JsonText.h"
#include "common/TextUtil.h"
#include "eval/ScoreValue.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <simdjson.h>

namespace deltascope::eval::inspect {

namespace {

namespace dom = simdjson::dom;

dom::parser& threadParser()
{
    thread_local dom::parser parser;
    return parser;
}

std::string errorText(simdjson::error_code e)
{
    return std::string("not valid JSON (") + simdjson::error_message(e) + ")";
}

// A string as it is, a number as written in decimal; empty for anything else.
std::string scalarText(dom::element v)
{
    switch (v.type()) {
    case dom::element_type::STRING:
        return std::string(std::string_view(v));
    case dom::element_type::INT64:
        return std::to_string(int64_t(v));
    case dom::element_type::UINT64:
        return std::to_string(uint64_t(v));
    case dom::element_type::DOUBLE:
        return formatDouble(double(v));
    case dom::element_type::BOOL:
        return bool(v) ? "true" : "false";
    default:
        return {};
    }
}

std::string field(dom::element o, const char* key)
{
    dom::element v;
    return o[key].get(v) ? std::string() : scalarText(v);
}

std::int64_t integer(dom::element o, const char* key, std::int64_t fallback)
{
    dom::element v;
    if (o[key].get(v))
        return fallback;
    if (v.type() == dom::element_type::INT64)
        return int64_t(v);
    if (v.type() == dom::element_type::UINT64)
        return static_cast<std::int64_t>(std::min<uint64_t>(uint64_t(v), std::numeric_limits<std::int64_t>::max()));
    return fallback;
}

double scoreValue(dom::element v)
{
    switch (v.type()) {
    case dom::element_type::INT64:
        return static_cast<double>(int64_t(v));
    case dom::element_type::UINT64:
        return static_cast<double>(uint64_t(v));
    case dom::element_type::DOUBLE:
        return double(v);
    case dom::element_type::BOOL:
        return bool(v) ? 1.0 : 0.0;
    case dom::element_type::STRING:
        return scoreFromText(std::string_view(v));
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

// True for a value written as NaN (a string; a bare NaN token was quoted before parsing).
bool writtenAsNan(dom::element v)
{
    if (v.type() != dom::element_type::STRING)
        return false;
    const auto x = numberFromText(std::string_view(v));
    return x && std::isnan(*x);
}

// One scorer's Score: its value is a scalar, or a dict whose keys are metrics of their own.
void addScore(const std::string& scorer, dom::element score, EpochScores& out)
{
    dom::element value;
    if (score.type() != dom::element_type::OBJECT || score["value"].get(value)) {
        out.values.emplace_back(scorer, std::numeric_limits<double>::quiet_NaN());
        return;
    }
    if (value.type() == dom::element_type::OBJECT) {
        for (const auto [key, v] : dom::object(value)) {
            out.values.emplace_back(scorer + "." + std::string(key), scoreValue(v));
            if (writtenAsNan(v))
                out.nanValues.push_back(out.values.back().first);
        }
        return;
    }
    out.values.emplace_back(scorer, scoreValue(value));
    if (writtenAsNan(value))
        out.nanValues.push_back(scorer);
}

// The value at a dotted path of a sample ("metadata.subject", "target"), as its text.
void readCluster(dom::element e, std::string_view dotted, EpochScores& out)
{
    while (true) {
        const auto dot = dotted.find('.');
        dom::element next;
        if (e.type() != dom::element_type::OBJECT || e[dotted.substr(0, dot)].get(next)) {
            out.clusterFound = detail::ClusterField::Missing;
            return;
        }
        e = next;
        if (dot == std::string_view::npos)
            break;
        dotted.remove_prefix(dot + 1);
    }
    if (e.type() == dom::element_type::NULL_VALUE)
        out.clusterFound = detail::ClusterField::Missing;
    else if (e.type() == dom::element_type::OBJECT || e.type() == dom::element_type::ARRAY)
        out.clusterFound = detail::ClusterField::NotScalar;
    else {
        out.clusterFound = detail::ClusterField::Found;
        out.cluster = scalarText(e);
    }
}

std::optional<std::string> readSample(dom::element s, EpochScores& out, std::string_view clusterKey)
{
    if (s.type() != dom::element_type::OBJECT)
        return "a sample is not a JSON object";
    dom::element id;
    if (s["id"].get(id) || (out.id = scalarText(id)).empty())
        return "the sample has no id";
    out.epoch = integer(s, "epoch", 1);
    dom::element error;
    if (!s["error"].get(error) && error.type() != dom::element_type::NULL_VALUE) {
        out.error = error.type() == dom::element_type::OBJECT ? field(error, "message") : scalarText(error);
        if (out.error.empty())
            out.error = "error";
    }
    dom::element scores;
    if (!s["scores"].get(scores) && scores.type() == dom::element_type::OBJECT) {
        for (const auto [name, score] : dom::object(scores))
            addScore(std::string(name), score, out);
    } else if (!s["score"].get(scores) && scores.type() == dom::element_type::OBJECT) {
        addScore("score", scores, out); // logs of format version 1: one unnamed score
    }
    if (!clusterKey.empty())
        readCluster(s, clusterKey, out);
    return std::nullopt;
}

std::optional<std::string> readHeader(dom::element root, InspectHeader& h)
{
    dom::element ev;
    if (root.type() != dom::element_type::OBJECT || root["eval"].get(ev) || ev.type() != dom::element_type::OBJECT)
        return "not an Inspect log header: no \"eval\" object";
    h.task = field(ev, "task");
    h.model = field(ev, "model");
    h.created = field(ev, "created");
    h.status = field(root, "status");
    dom::element x;
    if (!ev["packages"]["inspect_ai"].get(x) && x.type() == dom::element_type::STRING)
        h.toolVersion = "inspect_ai " + std::string(std::string_view(x));
    else if (!root["version"].get(x) && x.is_int64())
        h.toolVersion = "Inspect log format " + std::to_string(int64_t(x));
    if (!ev["dataset"]["sample_ids"].get(x) && x.type() == dom::element_type::ARRAY)
        for (const auto id : dom::array(x))
            h.sampleIds.push_back(scalarText(id));
    if (!ev["config"].get(x))
        h.epochs = std::max<std::int64_t>(1, integer(x, "epochs", 1));
    if (!ev["scorers"].get(x) && x.type() == dom::element_type::ARRAY)
        for (const auto sc : dom::array(x))
            if (sc.type() == dom::element_type::OBJECT)
                h.scorers.push_back(field(sc, "name"));
    if (!root["results"].get(x) && x.type() == dom::element_type::OBJECT) {
        h.totalSamples = integer(x, "total_samples", -1);
        h.completedSamples = integer(x, "completed_samples", -1);
        dom::element scores;
        if (h.scorers.empty() && !x["scores"].get(scores) && scores.type() == dom::element_type::ARRAY)
            for (const auto sc : dom::array(scores))
                if (sc.type() == dom::element_type::OBJECT)
                    h.scorers.push_back(field(sc, "name"));
    }
    return std::nullopt;
}

} // namespace

double scoreFromText(std::string_view text)
{
    if (text == "C")
        return 1.0;
    if (text == "I" || text == "N")
        return 0.0;
    if (text == "P")
        return 0.5;
    std::string lower(text);
    for (char& ch : lower)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "true" || lower == "yes")
        return 1.0;
    if (lower == "false" || lower == "no")
        return 0.0;
    if (const auto v = numberFromText(text))
        return *v;
    return std::numeric_limits<double>::quiet_NaN();
}

Result<InspectHeader> parseHeaderText(std::string_view text, const std::string& file, const std::string& where)
{
    using R = Result<InspectHeader>;
    dom::element root;
    if (const auto e = threadParser().parse(text.data(), text.size()).get(root)) {
        if (auto at = locateJsonError(text, file)) {
            at->message = where + ": " + at->message;
            return R::failure(*at);
        }
        return R::failure(Diagnostic::error(file, 0, where + ": " + errorText(e)));
    }
    InspectHeader h;
    if (auto bad = readHeader(root, h))
        return R::failure(Diagnostic::error(file, 0, where + ": " + *bad));
    return R { std::move(h), {}, std::nullopt };
}

std::optional<std::string> parseSampleText(std::string_view text, EpochScores& out, std::string_view clusterKey)
{
    dom::element root;
    if (const auto e = threadParser().parse(text.data(), text.size()).get(root)) {
        // Python writes bare NaN and Infinity tokens: read them as the strings they stand for.
        const std::string quoted = quoteNonFiniteTokens(text);
        if (quoted == text || threadParser().parse(quoted.data(), quoted.size()).get(root))
            return errorText(e);
    }
    return readSample(root, out, clusterKey);
}

Result<InspectHeader> parseJsonLog(
    std::string_view text, const std::string& file, const SampleSink& sink, std::string_view clusterKey)
{
    using R = Result<InspectHeader>;
    dom::parser parser; // the whole log: not kept in a thread's parser after this call
    dom::element root;
    std::string quoted;
    if (const auto e = parser.parse(text.data(), text.size()).get(root)) {
        // Python writes bare NaN and Infinity tokens: read them as the strings they stand for.
        quoted = quoteNonFiniteTokens(text);
        if (quoted == text || parser.parse(quoted.data(), quoted.size()).get(root)) {
            if (auto at = locateJsonError(quoted, file, "an Inspect log"))
                return R::failure(*at);
            return R::failure(Diagnostic::error(file, 0, errorText(e)));
        }
    }
    InspectHeader h;
    if (auto bad = readHeader(root, h))
        return R::failure(Diagnostic::error(file, 0, *bad));
    dom::element samples;
    if (!sink || root["samples"].get(samples))
        return R { std::move(h), {}, std::nullopt };
    if (samples.type() != dom::element_type::ARRAY)
        return R::failure(Diagnostic::error(file, 0, "\"samples\" is not a list"));
    std::size_t i = 0;
    for (const auto s : dom::array(samples)) {
        EpochScores scores;
        scores.where = i;
        if (auto bad = readSample(s, scores, clusterKey))
            return R::failure(Diagnostic::error(file, 0, "samples[" + std::to_string(i) + "]: " + *bad));
        if (!sink(i, scores))
            break;
        ++i;
    }
    return R { std::move(h), {}, std::nullopt };
}

Result<std::string> jsonLogSample(std::string_view text, const std::string& file, std::size_t index)
{
    using R = Result<std::string>;
    dom::parser parser;
    dom::element root;
    std::string quoted;
    if (const auto e = parser.parse(text.data(), text.size()).get(root)) {
        quoted = quoteNonFiniteTokens(text);
        if (quoted == text || parser.parse(quoted.data(), quoted.size()).get(root))
            return R::failure(Diagnostic::error(file, 0, errorText(e)));
    }
    dom::element sample;
    if (root["samples"].at(index).get(sample))
        return R::failure(Diagnostic::error(
            file, 0, "the log has no sample " + std::to_string(index) + " any more: it changed since it was loaded"));
    return R { simdjson::minify(sample), {}, std::nullopt };
}

} // namespace deltascope::eval::inspect
