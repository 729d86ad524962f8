// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/Workspace.h"

#include "common/AtomicFile.h"
#include "common/JsonText.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace deltascope::workspace {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json sideJson(const SideState& s)
{
    return json { { "path", s.path }, { "format", s.format }, { "run", s.runTimestamp }, { "id_column", s.idColumn },
        { "score_column", s.scoreColumn }, { "task_column", s.taskColumn }, { "filter_column", s.filterColumn },
        { "prompt_column", s.promptColumn }, { "response_column", s.responseColumn },
        { "target_column", s.targetColumn } };
}

// Reads typed fields of one JSON object; the first problem is kept with the line of its key.
class Reader {
public:
    Reader(std::string_view text, const std::string& path)
        : m_text(text)
        , m_path(path)
    { }

    bool ok() const { return m_error.empty(); }
    Diagnostic error() const { return Diagnostic::error(m_path, m_line, m_error); }

    const json* object(const json& parent, const char* key, const std::string& where)
    {
        const auto it = parent.find(key);
        if (it == parent.end())
            return nullptr;
        if (!it->is_object()) {
            fail(key, where + key + " must be an object");
            return nullptr;
        }
        return &*it;
    }

    void text(const json& o, const char* key, std::string& out, const std::string& where)
    {
        const auto it = o.find(key);
        if (it == o.end())
            return;
        if (!it->is_string())
            return fail(key, where + key + " must be a string");
        out = it->get<std::string>();
    }

    void texts(const json& o, const char* key, std::vector<std::string>& out, const std::string& where)
    {
        const auto it = o.find(key);
        if (it == o.end())
            return;
        if (!it->is_array())
            return fail(key, where + key + " must be a list of strings");
        std::vector<std::string> read;
        for (const auto& v : *it) {
            if (!v.is_string())
                return fail(key, where + key + " must be a list of strings");
            read.push_back(v.get<std::string>());
        }
        out = std::move(read);
    }

    void flag(const json& o, const char* key, bool& out, const std::string& where)
    {
        const auto it = o.find(key);
        if (it == o.end())
            return;
        if (!it->is_boolean())
            return fail(key, where + key + " must be true or false");
        out = it->get<bool>();
    }

    template <class T>
    void integer(const json& o, const char* key, T& out, double lo, double hi, const std::string& where)
    {
        const auto it = o.find(key);
        if (it == o.end())
            return;
        if (!it->is_number_integer() && !it->is_number_unsigned())
            return fail(key, where + key + " must be an integer");
        const double v = it->is_number_unsigned() ? static_cast<double>(it->get<std::uint64_t>())
                                                  : static_cast<double>(it->get<std::int64_t>());
        if (v < lo || v > hi)
            return fail(key, where + key + " is out of range");
        out = it->is_number_unsigned() ? static_cast<T>(it->get<std::uint64_t>())
                                       : static_cast<T>(it->get<std::int64_t>());
    }

    void number(const json& o, const char* key, double& out, double lo, double hi, const std::string& where)
    {
        const auto it = o.find(key);
        if (it == o.end())
            return;
        if (!it->is_number())
            return fail(key, where + key + " must be a number");
        const double v = it->get<double>();
        if (!(v >= lo && v <= hi))
            return fail(key, where + key + " is out of range");
        out = v;
    }

    void fail(const char* key, std::string message)
    {
        if (!m_error.empty())
            return;
        m_error = std::move(message);
        // The line of the first occurrence of the key: good enough to find it in an editor.
        const std::string quoted = std::string("\"") + key + "\"";
        const auto at = m_text.find(quoted);
        if (at != std::string_view::npos) {
            m_line = 1;
            for (std::size_t i = 0; i < at; ++i)
                m_line += m_text[i] == '\n' ? 1 : 0;
        }
    }

private:
    std::string_view m_text;
    std::string m_path;
    std::string m_error;
    std::int64_t m_line = 0;
};

void readSide(Reader& r, const json& o, SideState& s, const std::string& where)
{
    r.text(o, "path", s.path, where);
    r.text(o, "format", s.format, where);
    static const char* const kFormats[] = { "auto", "lm-eval", "table", "inspect", "helm", "simple-evals" };
    if (std::find(std::begin(kFormats), std::end(kFormats), s.format) == std::end(kFormats))
        r.fail("format", where + "format must be auto, lm-eval, table, inspect, helm or simple-evals");
    r.text(o, "run", s.runTimestamp, where);
    r.text(o, "id_column", s.idColumn, where);
    r.text(o, "score_column", s.scoreColumn, where);
    r.text(o, "task_column", s.taskColumn, where);
    r.text(o, "filter_column", s.filterColumn, where);
    r.text(o, "prompt_column", s.promptColumn, where);
    r.text(o, "response_column", s.responseColumn, where);
    r.text(o, "target_column", s.targetColumn, where);
}

json frontierJson(const FrontierState& f)
{
    json candidates = json::array();
    for (const auto& c : f.candidates) {
        json one { { "run", sideJson(c.side) }, { "name", c.name }, { "budget", c.budget } };
        if (c.hasCost)
            one["cost"] = c.cost;
        candidates.push_back(std::move(one));
    }
    json model = json::object();
    for (const auto& [key, value] : f.modelFields)
        model[key] = value;
    return json { { "baseline", sideJson(f.base) }, { "candidates", candidates }, { "cost_column", f.costColumn },
        { "margins", f.margins }, { "alpha", f.alpha }, { "alpha_per_candidate", f.alphaPerCandidate },
        { "trace", f.trace }, { "batch_size", f.batchSize }, { "selected_task", f.selectedTask }, { "model", f.model },
        { "model_fields", model }, { "gpu", f.gpu }, { "bandwidth_gbs", f.bandwidthGBs }, { "devices", f.devices } };
}

void readFrontier(Reader& r, const json& o, FrontierState& f)
{
    const std::string at = "frontier.";
    if (const json* b = r.object(o, "baseline", at))
        readSide(r, *b, f.base, at + "baseline.");
    if (const auto it = o.find("candidates"); it != o.end()) {
        if (!it->is_array())
            return r.fail("candidates", at + "candidates must be a list");
        for (const auto& item : *it) {
            if (!item.is_object())
                return r.fail("candidates", at + "every entry of candidates must be an object");
            const std::string in = at + "candidates[].";
            FrontierCandidateState c;
            if (const json* run = r.object(item, "run", in))
                readSide(r, *run, c.side, in + "run.");
            r.text(item, "name", c.name, in);
            if (item.contains("cost")) {
                c.hasCost = true;
                r.number(item, "cost", c.cost, -1e300, 1e300, in);
            }
            r.integer(item, "budget", c.budget, 0, 1 << 24, in);
            f.candidates.push_back(std::move(c));
        }
    }
    r.text(o, "cost_column", f.costColumn, at);
    r.texts(o, "margins", f.margins, at);
    r.number(o, "alpha", f.alpha, 1e-12, 0.5, at);
    r.flag(o, "alpha_per_candidate", f.alphaPerCandidate, at);
    r.text(o, "trace", f.trace, at);
    r.integer(o, "batch_size", f.batchSize, 0, 1 << 24, at);
    r.text(o, "selected_task", f.selectedTask, at);
    r.text(o, "model", f.model, at);
    if (const json* m = r.object(o, "model_fields", at))
        for (const auto& [key, value] : m->items()) {
            if (!value.is_number())
                return r.fail("model_fields", at + "model_fields." + key + " must be a number");
            f.modelFields.emplace_back(key, value.get<double>());
        }
    r.text(o, "gpu", f.gpu, at);
    r.number(o, "bandwidth_gbs", f.bandwidthGBs, 0.0, 1e9, at);
    r.integer(o, "devices", f.devices, 1, 65536, at);
}

} // namespace

std::string toJson(const Workspace& w)
{
    const auto& d = w.degradation;
    const auto& e = w.experts;
    json inputs = json::array();
    for (const auto& i : w.inputs)
        inputs.push_back({ { "role", i.role }, { "path", i.path }, { "size", i.size }, { "modified_ns", i.modified } });
    const json j {
        { "deltascope_workspace", w.version },
        { "front", w.front },
        { "degradation",
            { { "baseline", sideJson(d.base) }, { "candidate", sideJson(d.cand) }, { "alpha", d.alpha },
                { "permutations", d.permutations }, { "max_permutations", d.maxPermutations }, { "seed", d.seed },
                { "run_permutation", d.runPermutation }, { "margins", d.margins }, { "cluster_key", d.clusterKey },
                { "skip_bad_lines", d.skipBadLines }, { "keep_list", d.keepList }, { "tasks", d.tasks },
                { "metrics", d.metrics }, { "filters", d.filters }, { "base_reruns", d.baseReruns },
                { "cand_reruns", d.candReruns }, { "task_filter", d.taskFilter }, { "only_worse", d.onlyWorse },
                { "selected_task", d.selectedTask }, { "plot", d.plot }, { "flip_filter", d.flipFilter },
                { "direction", d.direction }, { "all_pairs", d.allPairs }, { "power_level", d.powerLevel },
                { "target_drop", d.targetDrop } } },
        { "experts",
            { { "trace", e.trace }, { "counts", e.counts }, { "replay", e.replay }, { "batch_size", e.batchSize },
                { "gamma", e.gamma }, { "policy", e.policy }, { "warmup", e.warmup }, { "devices", e.devices },
                { "balanced", e.balanced }, { "replicas", e.replicas }, { "placement_counts", e.placementCounts },
                { "placement", e.placementFile }, { "requests", e.requests }, { "request_experts", e.requestExperts },
                { "budget", e.budget }, { "view", e.view }, { "slice_layer", e.sliceLayer },
                { "slice_batch", e.sliceBatch } } },
        { "frontier", frontierJson(w.frontier) },
        { "inputs", inputs },
    };
    return jsonText(j, 2) + "\n";
}

Result<Workspace> parseWorkspace(std::string_view text, const std::string& path)
{
    using R = Result<Workspace>;
    auto parsed = parseJsonText(text, path);
    if (!parsed.ok())
        return R::failure(*parsed.error);
    const json& j = *parsed.value;
    if (!j.is_object() || !j.contains("deltascope_workspace"))
        return R::failure(Diagnostic::error(path, 1, "not a Deltascope workspace (no \"deltascope_workspace\" key)"));
    Reader r(text, path);
    Workspace w;
    r.integer(j, "deltascope_workspace", w.version, 1, 1e9, "");
    if (r.ok() && w.version > 1)
        r.fail("deltascope_workspace",
            "workspace version " + std::to_string(w.version) + " is newer than this Deltascope understands (1)");
    r.text(j, "front", w.front, "");
    if (w.front != "degradation" && w.front != "experts" && w.front != "frontier")
        r.fail("front", "front must be degradation, experts or frontier");
    if (const json* d = r.object(j, "degradation", "")) {
        auto& s = w.degradation;
        const std::string at = "degradation.";
        if (const json* b = r.object(*d, "baseline", at))
            readSide(r, *b, s.base, at + "baseline.");
        if (const json* c = r.object(*d, "candidate", at))
            readSide(r, *c, s.cand, at + "candidate.");
        r.number(*d, "alpha", s.alpha, 1e-12, 0.5, at);
        r.integer(*d, "permutations", s.permutations, 1, 1e9, at);
        r.integer(*d, "max_permutations", s.maxPermutations, 1, 1e12, at);
        r.texts(*d, "margins", s.margins, at);
        r.text(*d, "cluster_key", s.clusterKey, at);
        r.integer(*d, "seed", s.seed, 0, 1.8446744073709552e19, at);
        r.flag(*d, "run_permutation", s.runPermutation, at);
        r.flag(*d, "skip_bad_lines", s.skipBadLines, at);
        r.text(*d, "keep_list", s.keepList, at);
        r.texts(*d, "tasks", s.tasks, at);
        r.texts(*d, "metrics", s.metrics, at);
        for (const auto& m : s.metrics)
            if (m.find('=') == std::string::npos || m.front() == '=' || m.back() == '=')
                r.fail("metrics", "metrics are written TASK=METRIC (\"*=METRIC\" for every task), not \"" + m + "\"");
        r.texts(*d, "filters", s.filters, at);
        r.texts(*d, "base_reruns", s.baseReruns, at);
        r.texts(*d, "cand_reruns", s.candReruns, at);
        r.text(*d, "task_filter", s.taskFilter, at);
        r.flag(*d, "only_worse", s.onlyWorse, at);
        r.text(*d, "selected_task", s.selectedTask, at);
        r.integer(*d, "plot", s.plot, 0, 64, at);
        r.text(*d, "flip_filter", s.flipFilter, at);
        r.integer(*d, "direction", s.direction, 0, 64, at);
        r.flag(*d, "all_pairs", s.allPairs, at);
        r.number(*d, "power_level", s.powerLevel, 0.01, 0.9999, at);
        r.number(*d, "target_drop", s.targetDrop, 1e-6, 1.0, at);
    }
    if (const json* e = r.object(j, "experts", "")) {
        auto& s = w.experts;
        const std::string at = "experts.";
        r.text(*e, "trace", s.trace, at);
        r.text(*e, "counts", s.counts, at);
        r.flag(*e, "replay", s.replay, at);
        r.integer(*e, "batch_size", s.batchSize, 1, 1 << 24, at);
        r.integer(*e, "gamma", s.gamma, 0, 1024, at);
        r.text(*e, "policy", s.policy, at);
        if (s.policy != "topk" && s.policy != "batch" && s.policy != "ep" && s.policy != "spec")
            r.fail("policy", at + "policy must be topk, batch, ep or spec");
        r.integer(*e, "warmup", s.warmup, 0, 65536, at);
        r.integer(*e, "devices", s.devices, 0, 65536, at); // 0: the analysis default
        r.flag(*e, "balanced", s.balanced, at);
        r.integer(*e, "replicas", s.replicas, 0, 1 << 20, at);
        r.text(*e, "placement_counts", s.placementCounts, at);
        r.text(*e, "placement", s.placementFile, at);
        r.text(*e, "requests", s.requests, at);
        r.integer(*e, "request_experts", s.requestExperts, 0, 65536, at);
        r.integer(*e, "budget", s.budget, 0, 1 << 24, at);
        r.integer(*e, "view", s.view, 0, 64, at);
        r.integer(*e, "slice_layer", s.sliceLayer, 0, 1 << 24, at);
        r.integer(*e, "slice_batch", s.sliceBatch, 0, 1 << 30, at);
    }
    if (const json* f = r.object(j, "frontier", ""))
        readFrontier(r, *f, w.frontier);
    if (const auto it = j.find("inputs"); it != j.end()) {
        if (!it->is_array())
            r.fail("inputs", "inputs must be a list");
        else
            for (const auto& item : *it) {
                if (!item.is_object()) {
                    r.fail("inputs", "every entry of inputs must be an object");
                    break;
                }
                InputFile f;
                r.text(item, "role", f.role, "inputs[].");
                r.text(item, "path", f.path, "inputs[].");
                r.integer(item, "size", f.size, -1, 9.2e18, "inputs[].");
                r.integer(item, "modified_ns", f.modified, -9.2e18, 9.2e18, "inputs[].");
                w.inputs.push_back(std::move(f));
            }
    }
    if (!r.ok())
        return R::failure(r.error());
    R res;
    res.value = std::move(w);
    return res;
}

Result<Workspace> readWorkspace(const std::string& path)
{
    using R = Result<Workspace>;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec)
        return R::failure(Diagnostic::error(path, 0, "cannot read: " + ec.message()));
    if (size > (64u << 20))
        return R::failure(Diagnostic::error(path, 0, "too large for a workspace file (over 64 MiB)"));
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        return R::failure(Diagnostic::error(path, 0, "cannot read"));
    return parseWorkspace(text.str(), path);
}

std::string writeWorkspace(const std::string& path, const Workspace& w)
{
    return writeFileAtomically(path, toJson(w));
}

InputFile describeInput(const std::string& role, const std::string& path)
{
    InputFile f;
    f.role = role;
    f.path = path;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st))
        return f;
    // Nanoseconds since the Unix epoch (the file clock's own epoch differs).
    auto stamp = [](const fs::file_time_type& t) {
        return static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::file_clock::to_sys(t).time_since_epoch())
                .count());
    };
    if (fs::is_regular_file(st)) {
        f.size = static_cast<std::int64_t>(fs::file_size(path, ec));
        f.modified = stamp(fs::last_write_time(path, ec));
        return f;
    }
    // A folder (an lm-eval output folder): its files' total size and newest time, at most 100,000
    // entries deep.
    f.size = 0;
    int seen = 0;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator() && seen < 100000; it.increment(ec), ++seen) {
        std::error_code e2;
        if (!it->is_regular_file(e2))
            continue;
        f.size += static_cast<std::int64_t>(it->file_size(e2));
        f.modified = std::max(f.modified, stamp(it->last_write_time(e2)));
    }
    return f;
}

std::vector<std::string> changedInputs(const Workspace& w)
{
    std::vector<std::string> out;
    for (const auto& saved : w.inputs) {
        if (saved.path.empty())
            continue;
        const auto now = describeInput(saved.role, saved.path);
        if (now.size < 0 && saved.size >= 0)
            out.push_back(saved.role + " " + saved.path + " no longer exists");
        // Workspaces saved before times counted from the Unix epoch hold 0 or a negative time:
        // only their size is compared.
        else if (now.size != saved.size || (saved.modified > 0 && now.modified != saved.modified))
            out.push_back(saved.role + " " + saved.path + " changed since the workspace was saved");
    }
    return out;
}

} // namespace deltascope::workspace
