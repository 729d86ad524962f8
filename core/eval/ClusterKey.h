// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the eval loaders: reading the cluster key of each record (--cluster KEY, DESIGN
// 3.6). Records sharing a value of the key (a subject, a passage id) form one cluster; a record
// without the field, or with null, is a cluster of its own.

#include "common/Diagnostic.h"
#include "common/TextUtil.h"
#include "eval/EvalRun.h"
#include "eval/JsonScalar.h"

#include <simdjson.h>
#include <string>
#include <string_view>
#include <unordered_map>

namespace deltascope::eval::detail {

/// What reading the cluster field of one record found.
enum class ClusterField { Found, Missing, NotScalar };

/// Reads a cluster value: a string or a number (its text as written), true/false; null is Missing,
/// an object or a list is NotScalar. Returns an error only when the record is malformed.
inline simdjson::error_code clusterValue(simdjson::ondemand::value v, std::string& out, ClusterField& found)
{
    namespace od = simdjson::ondemand;
    od::json_type type;
    if (auto e = v.type().get(type))
        return e;
    if (type == od::json_type::null) {
        found = ClusterField::Missing;
        return simdjson::SUCCESS;
    }
    if (type == od::json_type::object || type == od::json_type::array) {
        found = ClusterField::NotScalar;
        return simdjson::SUCCESS;
    }
    found = ClusterField::Found;
    return scalarText(v, out, false);
}

/// Follows a dotted path ("doc.subject") from an object. A missing field, or a step that is not an
/// object, is Missing; other errors mean a malformed record.
inline simdjson::error_code clusterAt(
    simdjson::ondemand::object obj, std::string_view dotted, std::string& out, ClusterField& found)
{
    const auto dot = dotted.find('.');
    simdjson::ondemand::value v;
    auto e = obj.find_field_unordered(dotted.substr(0, dot)).get(v);
    if (e == simdjson::NO_SUCH_FIELD) {
        found = ClusterField::Missing;
        return simdjson::SUCCESS;
    }
    if (e)
        return e;
    if (dot == std::string_view::npos)
        return clusterValue(v, out, found);
    simdjson::ondemand::object inner;
    e = v.get_object().get(inner);
    if (e == simdjson::INCORRECT_TYPE) {
        found = ClusterField::Missing;
        return simdjson::SUCCESS;
    }
    if (e)
        return e;
    return clusterAt(inner, dotted.substr(dot + 1), out, found);
}

/// Dense cluster indices of one TaskSamples, in order of first appearance.
struct ClusterIndex {
    std::unordered_map<std::string, std::uint32_t> index;

    std::uint32_t intern(TaskSamples& t, const std::string& name)
    {
        const auto [it, inserted] = index.emplace(name, static_cast<std::uint32_t>(t.clusterNames.size()));
        if (inserted)
            t.clusterNames.push_back(name);
        return it->second;
    }
};

/// Per task: how many records had the key and how many lacked it.
struct ClusterTally {
    std::string task;
    std::string file; ///< where the first record is
    std::int64_t found = 0;
    std::int64_t missing = 0;
    std::int64_t firstMissingLine = 0;
    std::int64_t firstLine = 0; ///< the task's first record
    std::uint64_t firstOffset = 0;
    std::size_t firstLength = 0;

    void count(bool has, std::int64_t line, std::uint64_t offset, std::size_t length)
    {
        if (found + missing == 0) {
            firstLine = line;
            firstOffset = offset;
            firstLength = length;
        }
        if (has)
            ++found;
        else if (missing++ == 0)
            firstMissingLine = line;
    }
};

/// "the doc has: question, subject" for the object where a dotted path stops being found in one
/// record (the record itself for a top-level key); empty when the record cannot be read.
inline std::string fieldsAlong(std::string_view record, std::string_view dotted)
{
    std::string text
        = quoteNonFiniteTokens(isValidUtf8(record) ? record : std::string_view(replaceInvalidUtf8(record)));
    simdjson::dom::parser parser;
    simdjson::dom::element el;
    if (parser.parse(text).get(el))
        return {};
    std::string where = "the record";
    std::string walked;
    while (true) {
        simdjson::dom::object obj;
        if (el.get_object().get(obj))
            return where + " is not an object";
        const auto dot = dotted.find('.');
        const auto head = dotted.substr(0, dot);
        simdjson::dom::element next;
        if (dot == std::string_view::npos || obj.at_key(head).get(next)) {
            std::string keys;
            for (auto field : obj) {
                keys += (keys.empty() ? "" : ", ") + std::string(field.key);
                if (keys.size() > 200) {
                    keys += ", ...";
                    break;
                }
            }
            return where + (keys.empty() ? " has no fields" : " has: " + keys);
        }
        walked += (walked.empty() ? "" : ".") + std::string(head);
        where = "the " + walked;
        el = next;
        dotted.remove_prefix(dot + 1);
    }
}

/// The error when no record of a task has the key, or the warning when some lack it; nothing when
/// every record has it. `text` is the whole file the task's first record is in.
inline std::optional<Diagnostic> clusterProblem(const ClusterTally& t, const std::string& key, std::string_view text)
{
    if (t.missing == 0)
        return std::nullopt;
    if (t.found == 0) {
        std::string msg = "no record of task " + t.task + " has the cluster field " + key;
        if (t.firstOffset + t.firstLength <= text.size()) {
            const auto fields = fieldsAlong(text.substr(t.firstOffset, t.firstLength), key);
            if (!fields.empty())
                msg += "; on this line " + fields;
        }
        return Diagnostic::error(t.file, t.firstLine, msg);
    }
    return Diagnostic::warning(t.file, t.firstMissingLine,
        "task " + t.task + ": " + std::to_string(t.missing) + " of " + std::to_string(t.found + t.missing)
            + " records have no cluster field " + key
            + " (or null); each is a cluster of its own (the first is on this line)");
}

} // namespace deltascope::eval::detail
