// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/InspectDetail.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/InspectJson.h"
#include "eval/ZipArchive.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace deltascope::eval {

namespace {

using Json = nlohmann::json;

// A score value as shown: Inspect's letters are named, meaning first, so that "C" (correct) does
// not read like the choice C (a scorer named "choice" scored C for a model that answered B).
std::string valueText(const Json& v)
{
    if (!v.is_string())
        return jsonText(v);
    const auto text = v.get<std::string>();
    if (text == "C")
        return "correct (C)";
    if (text == "I")
        return "incorrect (I)";
    if (text == "P")
        return "partly correct (P)";
    if (text == "N")
        return "no answer (N)";
    return text;
}

// Long texts are stored once per sample under "attachments" and referred to as attachment://<key>.
std::string resolve(const std::string& text, const Json& sample)
{
    constexpr std::string_view kRef = "attachment://";
    if (!text.starts_with(kRef) || !sample.contains("attachments") || !sample["attachments"].is_object())
        return text;
    const auto it = sample["attachments"].find(text.substr(kRef.size()));
    return it != sample["attachments"].end() && it->is_string() ? it->get<std::string>() : text;
}

// A message's content: a string, or a list of parts of which the text ones are shown.
std::string contentText(const Json& content, const Json& sample)
{
    if (content.is_string())
        return resolve(content.get<std::string>(), sample);
    std::string out;
    if (content.is_array())
        for (const auto& part : content) {
            std::string piece;
            if (part.is_object() && part.contains("text") && part["text"].is_string())
                piece = resolve(part["text"].get<std::string>(), sample);
            else if (part.is_object() && part.contains("reasoning") && part["reasoning"].is_string())
                piece = "[reasoning] " + resolve(part["reasoning"].get<std::string>(), sample);
            else if (part.is_object() && part.contains("type"))
                piece = "[" + jsonText(part["type"]) + "]";
            if (!piece.empty())
                out += (out.empty() ? "" : "\n") + piece;
        }
    return out;
}

std::string valueText(const Json& v, const Json& sample)
{
    if (v.is_string())
        return resolve(v.get<std::string>(), sample);
    if (v.is_null())
        return {};
    if (v.is_array()) {
        std::string out;
        for (const auto& item : v) {
            std::string line;
            if (item.is_object() && item.contains("role"))
                line = (item["role"].is_string() ? item["role"].get<std::string>() : jsonText(item["role"])) + ": "
                    + contentText(item.value("content", Json()), sample);
            else
                line = item.is_string() ? resolve(item.get<std::string>(), sample) : jsonText(item);
            out += (out.empty() ? "" : "\n") + line;
        }
        return out;
    }
    return jsonText(v, 2);
}

void fillDetail(const Json& j, const EvalRun& run, SampleDetail& d)
{
    if (j.contains("input"))
        d.prompt = valueText(j["input"], j);
    if (j.contains("choices") && j["choices"].is_array())
        for (const auto& c : j["choices"])
            d.choices.push_back(c.is_string() ? c.get<std::string>() : jsonText(c));
    if (j.contains("target"))
        d.target = valueText(j["target"], j);
    if (j.contains("output") && j["output"].is_object()) {
        const Json& out = j["output"];
        if (out.contains("completion") && out["completion"].is_string())
            d.response = resolve(out["completion"].get<std::string>(), j);
        if (d.response.empty() && out.contains("choices") && out["choices"].is_array() && !out["choices"].empty()
            && out["choices"][0].is_object() && out["choices"][0].contains("message")
            && out["choices"][0]["message"].is_object())
            d.response = contentText(out["choices"][0]["message"].value("content", Json()), j);
    }
    const std::string metric = run.tasks.empty() ? std::string() : run.tasks.front().metric;
    if (j.contains("scores") && j["scores"].is_object()) {
        for (const auto& [scorer, score] : j["scores"].items()) {
            if (!score.is_object() || !score.contains("value"))
                continue;
            const Json& v = score["value"];
            if (v.is_object()) {
                for (const auto& [key, x] : v.items())
                    d.metrics.emplace_back(scorer + "." + key, valueText(x));
            } else {
                d.metrics.emplace_back(scorer, valueText(v));
            }
            // The answer the chosen metric's scorer read from the output plays the part of lm-eval's
            // filtered response.
            if ((metric == scorer || metric.starts_with(scorer + ".")) && score.contains("answer")
                && score["answer"].is_string())
                d.filtered = score["answer"].get<std::string>();
        }
    }
    if (j.contains("error") && !j["error"].is_null())
        d.metrics.emplace_back("error",
            j["error"].is_object() && j["error"].contains("message") ? valueText(j["error"]["message"], j)
                                                                     : jsonText(j["error"]));
    if (j.contains("metadata") && j["metadata"].is_object() && !j["metadata"].empty())
        d.doc = jsonText(j["metadata"], 2);
    // The raw view leaves out the transcript machinery (events, pooled messages, attachments),
    // which can be megabytes.
    Json shown = j;
    for (const char* heavy : { "events", "events_data", "attachments", "transcript" })
        shown.erase(heavy);
    d.raw = jsonText(shown, 2);
}

// A sample in the chunked layout keeps its long texts in entries of their own,
// samples/{id}_epoch_{n}/attachments/{start}.json (lists of strings, the first one's index in the
// name), referred to as attachment://<index>: gathered under "attachments" as the one-entry layout
// has them.
std::optional<Diagnostic> attachChunkedAttachments(const std::string& path, const std::string& where, Json& sample)
{
    // where = zip entry "samples/ID_epoch_N/sample.json"
    const auto open = where.find('"');
    const std::string shell = where.substr(open + 1, where.size() - open - 2);
    const std::string prefix = shell.substr(0, shell.size() - std::string_view("sample.json").size()) + "attachments/";
    Json attachments = Json::object();
    std::optional<Diagnostic> failure;
    auto walked = walkZip(
        path, [&](const ZipEntryInfo& e) { return e.name.starts_with(prefix) && e.name.ends_with(".json"); },
        [&](const ZipEntryInfo& e, std::string& bytes) {
            const auto start = parseDouble(e.name.substr(prefix.size(), e.name.size() - prefix.size() - 5));
            const Json chunk = parseJsonOrDiscard(bytes);
            // The index must be a whole number a list could reach (NaN or 1e300 cannot be cast).
            if (!start || !(*start >= 0 && *start <= 1e15) || *start != std::floor(*start) || !chunk.is_array()) {
                failure = Diagnostic::error(path, 0, "zip entry \"" + e.name + "\" is not a list of attachments");
                return false;
            }
            auto index = static_cast<std::size_t>(*start);
            for (const auto& text : chunk)
                attachments[std::to_string(index++)] = text;
            return true;
        });
    if (!walked.ok())
        return walked.error;
    if (failure)
        return failure;
    if (!attachments.empty())
        sample["attachments"] = std::move(attachments);
    return std::nullopt;
}

} // namespace

Result<SampleDetail> readInspectSampleDetail(const EvalRun& run, const SampleRecord& record)
{
    using R = Result<SampleDetail>;
    if (record.file >= run.files.size())
        return R::failure(Diagnostic::error({}, 0, "the sample names no file of its run"));
    const std::string& path = run.files[record.file];
    std::string text;
    std::string where;
    if (run.records == RecordStore::InspectZipEntry) {
        ZipEntryInfo info;
        auto entry = readZipEntry(path, static_cast<std::size_t>(record.offset), &info);
        if (!entry.ok())
            return R::failure(*entry.error);
        if (!info.name.starts_with("samples/"))
            return R::failure(Diagnostic::error(
                path, 0, "zip entry " + std::to_string(record.offset) + " is no sample any more: the log changed"));
        text = std::move(*entry.value);
        where = "zip entry \"" + info.name + "\"";
    } else {
        MappedFile f;
        std::string why;
        if (!f.open(path, why))
            return R::failure(Diagnostic::error(path, 0, "cannot open the log again to read the sample: " + why));
        auto sample = inspect::jsonLogSample(f.text(), path, static_cast<std::size_t>(record.offset));
        if (!sample.ok())
            return R::failure(*sample.error);
        text = std::move(*sample.value);
        where = "samples[" + std::to_string(record.offset) + "]";
    }
    if (!isValidUtf8(text))
        text = replaceInvalidUtf8(text);
    auto parsed = parseJsonText(text, path);
    if (!parsed.ok() || !parsed.value->is_object())
        return R::failure(Diagnostic::error(path, 0, where + ": the sample is not a JSON object any more"));
    Json j = std::move(*parsed.value);
    if (run.records == RecordStore::InspectZipEntry && where.ends_with("/sample.json\""))
        if (auto bad = attachChunkedAttachments(path, where, j))
            return R::failure(*bad);
    SampleDetail d;
    d.docId = record.docId;
    d.file = path;
    inspect::EpochScores check;
    if (inspect::parseSampleText(text, check) || check.id != record.docId)
        return R::failure(Diagnostic::error(
            path, 0, where + " holds another sample than when the log was loaded (sample " + record.docId + ")"));
    fillDetail(j, run, d);
    return R { std::move(d), {}, std::nullopt };
}

} // namespace deltascope::eval
