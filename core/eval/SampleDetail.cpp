// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/SampleDetail.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/HelmRun.h"
#include "eval/InspectDetail.h"
#include "eval/SimpleEvalsRun.h"
#include "eval/TableLoader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

namespace deltascope::eval {

namespace {

using Json = nlohmann::json;

std::string textOf(const Json& v)
{
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_null())
        return {};
    if (v.is_array()) {
        if (v.size() == 1)
            return textOf(v[0]);
        std::string out;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!out.empty())
                out += '\n';
            out += "[" + std::to_string(i) + "] " + (v[i].is_array() ? jsonText(v[i]) : textOf(v[i]));
        }
        return out;
    }
    if (v.is_object())
        return jsonText(v, 2);
    return jsonText(v);
}

// Log-likelihood requests answer [log-likelihood, is_greedy] per choice (sometimes as strings).
// Shown one choice a line, the most likely marked: that is the model's pick.
bool readLoglikelihoods(const Json& v, std::string& out)
{
    if (!v.is_array() || v.size() < 2)
        return false;
    std::vector<double> ll;
    std::vector<std::string> greedy;
    for (const auto& entry : v) {
        const Json* item = &entry;
        while (item->is_array() && item->size() == 1)
            item = &(*item)[0];
        if (!item->is_array() || item->size() != 2)
            return false;
        const Json& first = (*item)[0];
        double x = 0;
        if (first.is_number()) {
            x = first.get<double>();
        } else if (first.is_string()) {
            const auto parsed = parseDouble(first.get<std::string>());
            if (!parsed)
                return false;
            x = *parsed;
        } else {
            return false;
        }
        ll.push_back(x);
        greedy.push_back(textOf((*item)[1]));
    }
    const auto best = static_cast<std::size_t>(std::max_element(ll.begin(), ll.end()) - ll.begin());
    out.clear();
    for (std::size_t i = 0; i < ll.size(); ++i) {
        if (!out.empty())
            out += '\n';
        out += "[" + std::to_string(i) + "] log-likelihood " + formatDouble(ll[i]);
        if (greedy[i] == "True" || greedy[i] == "true")
            out += ", greedy";
        if (i == best)
            out += "  <- picked";
    }
    return true;
}

std::string responsesOf(const Json& v)
{
    std::string out;
    return readLoglikelihoods(v, out) ? out : textOf(v);
}

// lm-eval keeps the request arguments as {"gen_args_0": {"arg_0": ..., "arg_1": ...}, ...} since
// 0.4.3, and as a list of argument lists before.
void readArguments(const Json& args, SampleDetail& d)
{
    std::vector<const Json*> calls;
    if (args.is_object()) {
        for (const auto& [key, call] : args.items())
            calls.push_back(&call);
    } else if (args.is_array()) {
        for (const auto& call : args)
            calls.push_back(&call);
    }
    for (const Json* call : calls) {
        const Json* first = nullptr;
        const Json* second = nullptr;
        if (call->is_object()) {
            if (call->contains("arg_0"))
                first = &(*call)["arg_0"];
            if (call->contains("arg_1"))
                second = &(*call)["arg_1"];
        } else if (call->is_array() && !call->empty()) {
            first = &(*call)[0];
            if (call->size() > 1)
                second = &(*call)[1];
        }
        if (first && d.prompt.empty())
            d.prompt = textOf(*first);
        // A string second argument is a continuation to score; an object is generation settings.
        if (second && second->is_string())
            d.choices.push_back(second->get<std::string>());
    }
}

const std::vector<std::string> kPromptNames { "prompt", "input", "question", "query" };
const std::vector<std::string> kResponseNames { "response", "output", "completion", "prediction", "model_output",
    "generation" };
const std::vector<std::string> kTargetNames { "target", "gold", "answer", "label", "reference", "expected" };

// A dotted path ("metadata.subject") in a JSON object; nullptr when absent.
const Json* atPath(const Json& j, const std::string& dotted)
{
    const Json* at = &j;
    std::size_t pos = 0;
    while (pos <= dotted.size()) {
        const auto dot = dotted.find('.', pos);
        const std::string key = dotted.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        if (!at->is_object() || !at->contains(key))
            return nullptr;
        at = &(*at)[key];
        if (dot == std::string::npos)
            break;
        pos = dot + 1;
    }
    return at;
}

// The texts of a score-table row: the columns the user named, else the first usual name present.
void readTableTexts(const RunInfo& info, const std::string& path, const std::string& row, SampleDetail& d)
{
    const auto first = row.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && row[first] == '{';
    Json j;
    std::vector<std::pair<std::string, std::string>> fields;
    if (json) {
        j = parseJsonOrDiscard(row);
        if (j.is_discarded() || !j.is_object())
            return;
    } else {
        fields = csvRowFields(path, row);
    }
    auto lookup = [&](const std::string& name, std::string& out) {
        if (json) {
            const Json* v = atPath(j, name);
            if (!v)
                return false;
            out = textOf(*v);
            return true;
        }
        for (const auto& [k, v] : fields)
            if (k == name) {
                out = v;
                return true;
            }
        return false;
    };
    auto pick = [&](const std::string& chosen, const std::vector<std::string>& usual, std::string& out) {
        if (!chosen.empty()) {
            lookup(chosen, out);
            return;
        }
        for (const auto& name : usual)
            if (lookup(name, out))
                return;
    };
    pick(info.promptColumn, kPromptNames, d.prompt);
    pick(info.responseColumn, kResponseNames, d.response);
    pick(info.targetColumn, kTargetNames, d.target);
    if (json) {
        for (const auto& [k, v] : j.items())
            if (v.is_number() || v.is_boolean())
                d.metrics.emplace_back(k, jsonText(v));
    } else {
        for (const auto& [k, v] : fields)
            if (parseDouble(v))
                d.metrics.emplace_back(k, v);
    }
}

} // namespace

std::string readableJson(const std::string& jsonText)
{
    const Json v = parseJsonOrDiscard(jsonText);
    return v.is_discarded() ? jsonText : textOf(v);
}

Result<SampleDetail> readSampleDetail(const EvalRun& run, const SampleRecord& record)
{
    using R = Result<SampleDetail>;
    if (run.records != RecordStore::FileBytes)
        return readInspectSampleDetail(run, record);
    if (run.info.format == kHelmFormat)
        return readHelmSampleDetail(run, record);
    if (run.info.format == kSimpleEvalsFormat)
        return readSimpleEvalsSampleDetail(run, record);
    if (record.file >= run.files.size())
        return R::failure(Diagnostic::error({}, 0, "the sample names no file of its run"));
    const std::string& path = run.files[record.file];
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return R::failure(Diagnostic::error(path, 0, "cannot open the file again to read the sample"));
    std::string bytes(record.length, '\0');
    in.seekg(static_cast<std::streamoff>(record.offset + textStartOf(in)));
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (static_cast<std::size_t>(in.gcount()) != bytes.size())
        return R::failure(Diagnostic::error(path, record.line, "the file is shorter than when it was loaded"));

    SampleDetail d;
    d.docId = record.docId;
    d.file = path;
    d.line = record.line;
    // Prompts and responses with invalid UTF-8 show replacement characters.
    if (!isValidUtf8(bytes))
        bytes = replaceInvalidUtf8(bytes);
    d.raw = bytes;
    if (run.info.format.starts_with("score table")) {
        // A score-table row: the raw text, and the prompt, response and target columns.
        readTableTexts(run.info, path, bytes, d);
        return R { d, {}, std::nullopt };
    }
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || bytes[first] != '{')
        return R { d, {}, std::nullopt };
    auto parsed = parseJsonText(bytes, path);
    if (!parsed.ok())
        return R { d, {}, std::nullopt }; // shown raw: the loader accepted it, so it is ours to show
    const Json& j = *parsed.value;
    if (!j.is_object())
        return R { d, {}, std::nullopt };
    if (j.contains("arguments"))
        readArguments(j["arguments"], d);
    if (j.contains("target"))
        d.target = textOf(j["target"]);
    if (j.contains("resps"))
        d.response = responsesOf(j["resps"]);
    if (j.contains("filtered_resps"))
        d.filtered = responsesOf(j["filtered_resps"]);
    if (j.contains("doc"))
        d.doc = j["doc"].is_string() ? j["doc"].get<std::string>() : jsonText(j["doc"], 2);
    for (const auto& [key, field] : { std::pair { "doc_hash", &d.docHash }, std::pair { "prompt_hash", &d.promptHash },
             std::pair { "target_hash", &d.targetHash } })
        if (j.contains(key))
            *field = textOf(j[key]);
    // Metric values sit at the top level under the names listed in "metrics" (0.4.7+); older
    // records have no list, so every number outside the known fields is taken.
    if (j.contains("metrics") && j["metrics"].is_array()) {
        for (const auto& m : j["metrics"])
            if (m.is_string() && j.contains(m.get<std::string>()))
                d.metrics.emplace_back(m.get<std::string>(), textOf(j[m.get<std::string>()]));
    } else {
        for (const auto& [key, v] : j.items())
            if ((v.is_number() || v.is_boolean() || (v.is_array() && !v.empty() && v[0].is_number())) && key != "doc_id"
                && key != "target")
                d.metrics.emplace_back(key, jsonText(v));
    }
    return R { d, {}, std::nullopt };
}

} // namespace deltascope::eval
