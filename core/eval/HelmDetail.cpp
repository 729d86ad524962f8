// SPDX-License-Identifier: GPL-3.0-or-later
// A HELM sample's texts and scores for the sample view, read back from its run folder: the
// per-instance stats entries, the request state (prompt, references, completions) and the
// display predictions.
#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/HelmFields.h"
#include "eval/HelmJson.h"
#include "eval/HelmRun.h"
#include "eval/SampleDetail.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace deltascope::eval {

using namespace helmjson;
using namespace helmfields;
using simdjson::dom::element;
using simdjson::dom::object;

namespace {

// The element of a list of request states or predictions that belongs to (id, trial, filter).
const Element* findInstance(
    const std::vector<Element>& list, const std::string& id, std::int64_t trial, const std::string& filter, bool nested)
{
    for (const auto& el : list)
        if (isInstance(el.value, id, trial, filter, nested))
            return &el;
    return nullptr;
}

std::string textAt(element v, std::initializer_list<const char*> keys)
{
    for (const char* k : keys) {
        object o;
        if (v.get_object().get(o) || o.at_key(k).get(v))
            return {};
    }
    std::string_view s;
    return v.get_string().get(s) ? std::string() : std::string(s);
}

void readRequestState(element state, SampleDetail& d)
{
    d.prompt = textAt(state, { "request", "prompt" });
    element refs;
    simdjson::dom::array list;
    if (!state.at_pointer("/instance/references").get(refs) && !refs.get_array().get(list)) {
        for (auto r : list) {
            const std::string text = textAt(r, { "output", "text" });
            element tags;
            simdjson::dom::array tagList;
            bool correct = false;
            if (!r.at_key("tags").get(tags) && !tags.get_array().get(tagList))
                for (auto t : tagList) {
                    std::string_view s;
                    correct = correct || (!t.get_string().get(s) && s == "correct");
                }
            if (correct)
                d.target += (d.target.empty() ? "" : "\n") + text;
        }
    }
    element mapping;
    object mo;
    if (!state.at_key("output_mapping").get(mapping) && !mapping.get_object().get(mo))
        for (auto [key, value] : mo) {
            std::string_view s;
            if (!value.get_string().get(s))
                d.choices.push_back(std::string(key) + ". " + std::string(s));
        }
    element completions;
    simdjson::dom::array cl;
    if (!state.at_pointer("/result/completions").get(completions) && !completions.get_array().get(cl)) {
        std::size_t i = 0;
        for (auto c : cl) {
            const std::string text = textAt(c, { "text" });
            d.response += (cl.size() > 1 ? (i ? "\n[" : "[") + std::to_string(i) + "] " : std::string()) + text;
            ++i;
        }
    }
}

// Adds an entry's scores (and the compared metric, bookkeeping or not) that d does not list yet.
void addStats(object entry, const std::string& metric, SampleDetail& d)
{
    element e;
    simdjson::dom::array stats;
    if (entry.at_key("stats").get(e) || e.get_array().get(stats))
        return;
    const bool perturbed = perturbationOf(entry) != "none";
    for (auto st : stats) {
        const std::string name = statName(st, perturbed);
        std::string why;
        const auto v = statValue(st, why);
        if (name.empty() || !v || (bookkeeping(name) && name != metric))
            continue;
        if (std::none_of(d.metrics.begin(), d.metrics.end(), [&](const auto& m) { return m.first == name; }))
            d.metrics.emplace_back(name, formatDouble(*v));
    }
}

// The scores of one instance, from its per_instance_stats entry read back from the file.
void readStats(const std::string& path, const SampleRecord& record, const std::string& metric, SampleDetail& d)
{
    if (record.length == 0)
        return;
    std::ifstream in(path, std::ios::binary);
    std::string bytes(record.length, '\0');
    in.seekg(static_cast<std::streamoff>(record.offset + textStartOf(in)));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        return;
    bytes = quoteNonFiniteTokens(bytes);
    simdjson::dom::parser parser;
    element e;
    object entry;
    if (parser.parse(bytes).get(e) || e.get_object().get(entry))
        return;
    d.raw = std::string(bytes);
    addStats(entry, metric, d);
}

} // namespace

Result<SampleDetail> readHelmSampleDetail(const EvalRun& run, const SampleRecord& record)
{
    using R = Result<SampleDetail>;
    if (record.file >= run.files.size())
        return R::failure(Diagnostic::error({}, 0, "the sample names no file of its run"));
    const std::string& statsPath = run.files[record.file];
    const fs::path dir = fs::path(statsPath).parent_path();
    SampleDetail d;
    d.docId = record.docId;
    d.file = statsPath;
    d.line = record.line;
    std::string id = record.docId;
    std::int64_t trial = 0;
    if (const auto at = id.rfind(kTrialMark); at != std::string::npos) {
        trial = std::strtoll(id.c_str() + at + std::char_traits<char>::length(kTrialMark), nullptr, 10);
        id.resize(at);
    }
    std::string filter = "none";
    std::string metric;
    for (const auto& t : run.tasks)
        if (!t.samples.empty() && &record >= t.samples.data() && &record < t.samples.data() + t.samples.size()) {
            filter = t.filter;
            metric = t.metric;
        }
    readStats(statsPath, record, metric, d);
    // The instance's other entries (some scenarios write the judges' scores and HELM's own stats
    // apart): their scores too.
    if (auto stats = Document::open(statsPath, "a HELM per_instance_stats.json (a list of entries)"); stats.ok())
        if (auto entries = (*stats.value)->arrayAt({}); entries.ok())
            for (const auto& el : *entries.value) {
                object o;
                if (el.offset != record.offset && isInstance(el.value, id, trial, filter, false)
                    && !el.value.get_object().get(o))
                    addStats(o, metric, d);
            }

    std::error_code ec;
    const auto statePath = (dir / "scenario_state.json").string();
    if (fs::exists(statePath, ec)) {
        auto doc = Document::open(statePath, "a HELM scenario_state.json");
        if (!doc.ok())
            return R::failure(*doc.error);
        auto states = (*doc.value)->arrayAt({ "request_states" });
        if (!states.ok())
            return R::failure(*states.error);
        if (const Element* el = findInstance(*states.value, id, trial, filter, true)) {
            readRequestState(el->value, d);
            d.file = statePath;
            d.line = el->line;
        }
    }
    const auto predPath = (dir / "display_predictions.json").string();
    if (fs::exists(predPath, ec)) {
        auto doc = Document::open(predPath, "a HELM display_predictions.json");
        if (!doc.ok())
            return R::failure(*doc.error);
        auto preds = (*doc.value)->arrayAt({});
        if (!preds.ok())
            return R::failure(*preds.error);
        if (const Element* el = findInstance(*preds.value, id, trial, filter, false)) {
            object o;
            if (!el->value.get_object().get(o)) {
                const std::string predicted = field(o, "predicted_text");
                const std::string mapped = field(o, "mapped_output");
                if (d.response.empty())
                    d.response = predicted;
                d.filtered = mapped.empty() ? predicted : mapped;
            }
        }
    }
    return R { std::move(d), {}, std::nullopt };
}

} // namespace deltascope::eval
