// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/SampleRecordRead.h"

#include "eval/JsonScalar.h"
#include "eval/ScoreValue.h"

#include <charconv>
#include <cstring>
#include <optional>
#include <string>

namespace deltascope::eval::record {

namespace {

constexpr std::string_view kKnownKeys[] = { "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter",
    "metrics", "doc_hash", "prompt_hash", "target_hash" };

bool isKnownKey(std::string_view k)
{
    for (auto known : kKnownKeys)
        if (k == known)
            return true;
    return false;
}

// Reads one item of a list-valued metric: a number, a bool or a numeric string; where `label` is
// given, any other string too (a class label of a [gold, prediction] item), copied there. Returns
// false (with rec.problem set) for anything else.
bool listItem(od::value iv, double& v, Record& rec, simdjson::error_code& err, std::optional<std::string>* label)
{
    od::json_type it;
    if ((err = iv.type().get(it)))
        return false;
    if (it == od::json_type::number)
        return !(err = iv.get_double().get(v));
    if (it == od::json_type::boolean) {
        bool bv = false;
        if ((err = iv.get_bool().get(bv)))
            return false;
        v = bv ? 1.0 : 0.0;
        return true;
    }
    if (it == od::json_type::string) {
        std::string_view s;
        if ((err = iv.get_string().get(s)))
            return false;
        if (const auto pv = numberFromText(s)) {
            v = *pv;
            return true;
        }
        if (label != nullptr) {
            label->emplace(s);
            return true;
        }
        rec.problem = "the metric holds a list of non-numbers (a corpus-level metric such as BLEU "
                      "cannot be compared per sample)";
        return false;
    }
    rec.problem = "the metric holds a nested list";
    return false;
}

// A list: a [loglikelihood, weight] corpus item, a corpus metric's [gold, prediction] (1 when they
// agree: equal numbers or the same label text), or per-instance values that are averaged.
simdjson::error_code readList(od::value value, ScoreShape shape, Record& rec)
{
    od::array arr;
    if (auto e = value.get_array().get(arr))
        return e;
    rec.hasScore = true;
    const bool logLikelihood = shape == ScoreShape::CorpusItem;
    double sum = 0;
    double first = 0;
    double second = 0;
    std::size_t count = 0;
    const bool goldPrediction = shape == ScoreShape::GoldPrediction;
    std::optional<std::string> labels[2]; // a [gold, prediction] item's labels that are not numbers
    for (auto item : arr) {
        od::value iv;
        if (auto e = item.get(iv))
            return e;
        double v = 0;
        simdjson::error_code err = simdjson::SUCCESS;
        std::optional<std::string> label;
        if (!listItem(iv, v, rec, err, goldPrediction ? &label : nullptr))
            return err;
        if (label) {
            if (count < 2)
                labels[count] = std::move(label);
            ++count;
            continue;
        }
        if (logLikelihood && count == 0)
            rec.score = v;
        else if (logLikelihood && count == 1)
            rec.weight = v;
        rec.nanScore = rec.nanScore || std::isnan(v);
        if (count == 0)
            first = v;
        else if (count == 1)
            second = v;
        sum += v;
        ++count;
    }
    if (goldPrediction) {
        rec.goldPair = true;
        rec.problem = goldPredictionProblem(count);
        if (labels[0] || labels[1])
            rec.score = labels[0] && labels[1] && *labels[0] == *labels[1] ? 1.0 : 0.0;
        else
            rec.score = first == second ? 1.0 : 0.0;
    } else if (!logLikelihood && count > 0) {
        rec.score = sum / static_cast<double>(count);
    }
    if (logLikelihood && rec.problem.empty())
        rec.problem = corpusItemProblem(count, rec.score, rec.weight);
    return simdjson::SUCCESS;
}

// Reads a metric value: number, bool, numeric string, list (corpus item or per-instance
// values), null or "N/A". A NaN (bare, as a string or inside a list) sets rec.nanScore.
simdjson::error_code readScore(od::value value, ScoreShape shape, Record& rec)
{
    od::json_type type;
    if (auto e = value.type().get(type))
        return e;
    rec.hasScore = true;
    switch (type) {
    case od::json_type::number:
        if (shape == ScoreShape::CorpusItem)
            rec.problem = corpusItemProblem(1, 0.0, 0.0);
        return value.get_double().get(rec.score);
    case od::json_type::boolean: {
        bool v = false;
        if (auto e = value.get_bool().get(v))
            return e;
        rec.score = v ? 1.0 : 0.0;
        return simdjson::SUCCESS;
    }
    case od::json_type::string: {
        // Bare NaN / Infinity / -Infinity arrive here too, quoted before parsing.
        std::string_view s;
        if (auto e = value.get_string().get(s))
            return e;
        std::string why;
        rec.goldPair = shape == ScoreShape::GoldPrediction && s.find_first_not_of(' ') != std::string_view::npos
            && s[s.find_first_not_of(' ')] == '[';
        const auto v = scoreFromString(s, shape, why, &rec.weight);
        if (v) {
            rec.score = *v;
            rec.nanScore = std::isnan(*v);
        } else {
            rec.problem = why;
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::null:
        return simdjson::SUCCESS;
    case od::json_type::array:
        return readList(value, shape, rec);
    case od::json_type::object:
        rec.problem = "the metric holds an object, not a number";
        return simdjson::SUCCESS;
    }
    return simdjson::SUCCESS;
}

simdjson::error_code readHash(od::value value, std::uint64_t& out)
{
    od::json_type type;
    if (auto e = value.type().get(type))
        return e;
    if (type != od::json_type::string)
        return simdjson::SUCCESS;
    std::string_view s;
    if (auto e = value.get_string().get(s))
        return e;
    out = s.empty() ? 0 : fingerprint64(s);
    return simdjson::SUCCESS;
}

// The cluster key's value below a top-level field: `rest` is what follows its first dot ("subject"
// of "doc.subject"), empty for a top-level key.
simdjson::error_code readCluster(od::value value, std::string_view rest, Record& rec)
{
    if (rest.empty())
        return detail::clusterValue(value, rec.cluster, rec.clusterFound);
    od::object inner;
    const auto e = value.get_object().get(inner);
    if (e == simdjson::INCORRECT_TYPE)
        return simdjson::SUCCESS; // e.g. "doc" is a string: the key is missing
    if (e)
        return e;
    return detail::clusterAt(inner, rest, rec.cluster, rec.clusterFound);
}

} // namespace

std::string errorText(simdjson::error_code e)
{
    return simdjson::error_message(e);
}

simdjson::error_code readRecord(
    od::object obj, std::string_view metric, ScoreShape shape, const ClusterPath& cluster, Record& rec)
{
    // Each key read must appear once: with two "doc_id"s (or two scores) which one counts would
    // depend on the reader, so such a record is refused. The key is matched once; its bit says
    // which it is.
    enum : unsigned { DocId = 1, Filter = 2, DocHash = 4, PromptHash = 8, Metric = 16, Cluster = 32 };
    unsigned seen = 0;
    for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key))
            return e;
        const unsigned bit = key == "doc_id"               ? DocId
            : key == "filter"                              ? Filter
            : key == "doc_hash"                            ? DocHash
            : key == "prompt_hash"                         ? PromptHash
            : key == metric                                ? Metric
            : !cluster.head.empty() && key == cluster.head ? Cluster
                                                           : 0u;
        if (bit == 0)
            continue; // doc, arguments, resps, ...: skipped without being materialised
        if (seen & bit) {
            if (rec.repeatedKey.empty())
                rec.repeatedKey.assign(key);
            continue;
        }
        seen |= bit;
        switch (bit) {
        case DocId: {
            const auto e = detail::scalarText(field.value(), rec.docId, true);
            if (e == simdjson::INCORRECT_TYPE) {
                // null, true, an object or a list: a record that cannot be paired, said so.
                rec.problem = "doc_id is not a number or a string";
                continue;
            }
            if (e)
                return e;
            rec.hasDocId = true;
            break;
        }
        case Filter: {
            std::string_view s;
            if (auto e = field.value().get_string().get(s))
                return e;
            rec.filter.assign(s);
            rec.hasFilter = true;
            break;
        }
        case DocHash:
            if (auto e = readHash(field.value(), rec.docHash))
                return e;
            break;
        case PromptHash:
            if (auto e = readHash(field.value(), rec.promptHash))
                return e;
            break;
        case Metric:
            if (auto e = readScore(field.value(), shape, rec))
                return e;
            break;
        default:
            // Read only when a cluster key is set: "doc" is otherwise never materialised.
            if (auto e = readCluster(field.value(), cluster.rest, rec))
                return e;
        }
    }
    if (cluster.rest.empty() && (cluster.head == "doc_id" || cluster.head == "filter")) {
        const bool has = cluster.head == "doc_id" ? rec.hasDocId : rec.hasFilter;
        rec.cluster = cluster.head == "doc_id" ? rec.docId : rec.filter;
        rec.clusterFound = has ? detail::ClusterField::Found : detail::ClusterField::Missing;
    }
    return simdjson::SUCCESS;
}

// Chooses the metric from the first record: its "metrics" list (0.4.7+), else the first key
// that is not one of lm-eval's fixed keys.
std::string metricFromFirstRecord(od::object obj)
{
    std::string firstOther;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key))
            return firstOther;
        if (key == "metrics") {
            od::array arr;
            if (!field.value().get_array().get(arr)) {
                for (auto item : arr) {
                    std::string_view s;
                    if (!item.get_string().get(s))
                        return std::string(s);
                }
            }
        } else if (firstOther.empty() && !isKnownKey(key)) {
            firstOther.assign(key);
        }
    }
    return firstOther;
}

} // namespace deltascope::eval::record
