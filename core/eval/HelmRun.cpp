// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/HelmRun.h"

#include "common/TextUtil.h"
#include "eval/ClusterKey.h"
#include "eval/HelmFields.h"
#include "eval/HelmJson.h"
#include "eval/ScoreValue.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>

namespace fs = std::filesystem;

namespace deltascope::eval {

namespace {

using namespace helmjson;
using namespace helmfields;
using simdjson::dom::element;
using simdjson::dom::object;

bool lowerIsBetter(std::string_view name)
{
    return name.find("runtime") != std::string_view::npos || name.ends_with("_cost");
}

// The run name without its model=... and model_deployment=... arguments.
std::string taskOfRunName(const std::string& name)
{
    const auto colon = name.find(':');
    if (colon == std::string::npos)
        return name;
    std::string kept;
    std::size_t pos = colon + 1;
    while (pos <= name.size()) {
        const auto comma = name.find(',', pos);
        const std::string arg = name.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!arg.starts_with("model=") && !arg.starts_with("model_deployment=") && !arg.empty())
            kept += (kept.empty() ? "" : ",") + arg;
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return kept.empty() ? name.substr(0, colon) : name.substr(0, colon) + ":" + kept;
}

struct Entry {
    std::string id;
    std::int64_t trial = 0;
    std::string filter;
    simdjson::dom::array stats;
};

// Checks one per_instance_stats entry; returns what is wrong with it, empty when usable.
std::string readEntry(const Element& el, std::size_t index, Entry& e)
{
    const std::string which = "entry " + std::to_string(index + 1);
    object o;
    if (el.value.get_object().get(o))
        return which + " is " + typeName(el.value) + ", not an object";
    element v;
    if (o.at_key("instance_id").get(v))
        return which + " has no \"instance_id\"";
    bool ok = false;
    e.id = scalarText(v, ok);
    if (!ok || e.id.empty())
        return which + ": \"instance_id\" is " + typeName(v) + ", not a string";
    if (!o.at_key("train_trial_index").get(v)) {
        if (v.get_int64().get(e.trial) || e.trial < 0)
            return which + " (" + e.id + "): \"train_trial_index\" is not a whole number >= 0";
    }
    if (o.at_key("stats").get(v))
        return which + " (" + e.id + ") has no \"stats\"";
    if (v.get_array().get(e.stats))
        return which + " (" + e.id + "): \"stats\" is " + typeName(v) + ", not a list";
    e.filter = perturbationOf(o);
    return {};
}

std::string docIdOf(const Entry& e)
{
    return e.trial == 0 ? e.id : e.id + kTrialMark + std::to_string(e.trial);
}

// The scores first, then HELM's bookkeeping stats.
std::vector<std::string> scoresFirst(std::vector<std::string> names)
{
    std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return !bookkeeping(n); });
    return names;
}

std::string listing(const std::vector<std::string>& names)
{
    std::string s;
    for (const auto& n : scoresFirst(names))
        s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? std::string("none") : s;
}

Result<std::shared_ptr<Document>> openStats(const std::string& dir)
{
    return Document::open((fs::path(dir) / kStatsFile).string(), "a HELM per_instance_stats.json (a list of entries)");
}

// Every stat name met, in order of first appearance.
std::vector<std::string> statNames(const std::vector<Element>& entries)
{
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& el : entries) {
        object o;
        element s;
        simdjson::dom::array stats;
        if (el.value.get_object().get(o) || o.at_key("stats").get(s) || s.get_array().get(stats))
            continue;
        const bool perturbed = perturbationOf(o) != "none";
        for (auto st : stats) {
            auto n = statName(st, perturbed);
            if (!n.empty() && seen.insert(n).second)
                names.push_back(std::move(n));
        }
    }
    return names;
}

} // namespace

bool isHelmRunFolder(const std::string& dir)
{
    std::error_code ec;
    return fs::is_regular_file(fs::path(dir) / kStatsFile, ec);
}

bool isHelmFileName(const std::string& name)
{
    for (const char* helm : { kStatsFile, "run_spec.json", "scenario_state.json", "display_predictions.json",
             "display_requests.json", "instances.json", "stats.json", "scenario.json" })
        if (name == helm)
            return true;
    return false;
}

Result<HelmRunSpec> readHelmRunSpec(const std::string& dir)
{
    using R = Result<HelmRunSpec>;
    const std::string path = (fs::path(dir) / "run_spec.json").string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        // HELM names a run folder after its run, with "/" in the model written "_"
        // ("anthropic_red_team:model=meta_llama-3-8b"). A run of the same model beside it that has
        // its run_spec.json spells the model as the others do.
        HelmRunSpec spec;
        spec.fromFolder = true;
        spec.name = fs::path(dir).filename().string();
        if (const auto at = spec.name.find("model="); at != std::string::npos)
            spec.model = spec.name.substr(at + 6, spec.name.find(',', at) - at - 6);
        spec.task = taskOfRunName(spec.name);
        int looked = 0;
        for (const auto& sibling : fs::directory_iterator(fs::path(dir).parent_path(), ec)) {
            if (spec.model.empty() || ++looked > 64)
                break;
            std::error_code sec;
            if (!fs::is_regular_file(sibling.path() / "run_spec.json", sec))
                continue;
            auto other = readHelmRunSpec(sibling.path().string());
            std::string folded = other.ok() ? other.value->model : std::string();
            std::replace(folded.begin(), folded.end(), '/', '_');
            if (!folded.empty() && folded == spec.model && folded != other.value->model) {
                spec.model = other.value->model;
                break;
            }
        }
        return R { std::move(spec), {}, std::nullopt };
    }
    auto doc = Document::open(path, "a HELM run_spec.json");
    if (!doc.ok())
        return R::failure(*doc.error);
    HelmRunSpec spec;
    object root;
    if ((*doc.value)->root().get_object().get(root))
        return R::failure(Diagnostic::error(path, 1, "expected a JSON object (a HELM run_spec.json)"));
    spec.name = field(root, "name");
    element a;
    object ao;
    if (!root.at_key("adapter_spec").get(a) && !a.get_object().get(ao))
        spec.model = field(ao, "model");
    if (spec.name.empty())
        spec.name = fs::path(dir).filename().string();
    if (spec.model.empty()) {
        const auto at = spec.name.find("model=");
        if (at != std::string::npos)
            spec.model = spec.name.substr(at + 6, spec.name.find(',', at) - at - 6);
    }
    spec.task = taskOfRunName(spec.name);
    element ms;
    simdjson::dom::array specs;
    if (!root.at_key("metric_specs").get(ms) && !ms.get_array().get(specs)) {
        for (auto m : specs) {
            element args;
            element names;
            simdjson::dom::array list;
            if (m.at_key("args").get(args) || args.at_key("names").get(names) || names.get_array().get(list))
                continue;
            for (auto n : list) {
                std::string_view s;
                if (!n.get_string().get(s))
                    spec.metricNames.emplace_back(s);
            }
        }
    }
    return R { std::move(spec), {}, std::nullopt };
}

Result<std::vector<std::string>> helmMetrics(const std::string& dir)
{
    using R = Result<std::vector<std::string>>;
    auto doc = openStats(dir);
    if (!doc.ok())
        return R::failure(*doc.error);
    auto entries = (*doc.value)->arrayAt({});
    if (!entries.ok())
        return R::failure(*entries.error);
    return R { scoresFirst(statNames(*entries.value)), {}, std::nullopt };
}

Result<EvalRun> loadHelmRun(const std::string& dir, const HelmLoadOptions& options)
{
    using R = Result<EvalRun>;
    auto spec = readHelmRunSpec(dir);
    if (!spec.ok())
        return R::failure(*spec.error);
    R out;
    std::error_code ec;
    auto opened = openStats(dir);
    if (!opened.ok())
        return R::failure(*opened.error);
    const Document& doc = **opened.value;
    const std::string& path = doc.path();
    auto listed = doc.arrayAt({});
    if (!listed.ok())
        return R::failure(*listed.error);
    const auto& entries = *listed.value;
    if (entries.empty())
        return R::failure(Diagnostic::error(path, 1, "the list of per-instance stats is empty"));

    // The metric: the one asked for, else exact_match, else the first the run spec names.
    const auto names = statNames(entries);
    auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    std::string metric;
    if (auto m = options.metrics.find(spec.value->task); m != options.metrics.end())
        metric = m->second;
    else if (auto all = options.metrics.find("*"); all != options.metrics.end())
        metric = all->second;
    if (!metric.empty() && !has(metric))
        return R::failure(Diagnostic::error(path, 0,
            "task " + spec.value->task + " has no metric \"" + metric + "\" (this run has: " + listing(names) + ")"));
    if (metric.empty() && has("exact_match"))
        metric = "exact_match";
    for (const auto& n : spec.value->metricNames)
        if (metric.empty() && has(n))
            metric = n;
    for (const auto& n : names)
        if (metric.empty() && !bookkeeping(n))
            metric = n;
    if (metric.empty())
        return R::failure(
            Diagnostic::error(path, 0, "no per-instance metric to compare (stats: " + listing(names) + ")"));

    if (spec.value->fromFolder)
        out.warnings.push_back(Diagnostic::warning((fs::path(dir) / "run_spec.json").string(), 0,
            "not found: task and model taken from the folder's name (task " + spec.value->task + ", model "
                + (spec.value->model.empty() ? std::string("unknown") : spec.value->model) + "), metric " + metric
                + (options.metrics.empty() ? " (exact_match, else the first score in the stats)" : "")));
    EvalRun run;
    run.info.path = dir;
    run.info.model = spec.value->model;
    run.info.format = kHelmFormat;
    if (const auto specPath = fs::path(dir) / "run_spec.json"; fs::exists(specPath, ec))
        run.info.resultsFile = specPath.string();
    run.files.push_back(path);
    std::map<std::string, std::size_t> byFilter;
    // Some scenarios (harm_bench, anthropic_red_team) write two entries per instance: one with the
    // judges' scores, one with HELM's bookkeeping stats. Entries of one (instance, trial,
    // perturbation) are one sample, scored by the entry that holds the metric; only a second
    // entry that holds it too is a duplicate (reported by the pairing).
    struct Seen {
        std::size_t task = 0;
        std::size_t sample = 0;
        bool scored = false;
    };
    std::map<std::tuple<std::string, std::int64_t, std::string>, Seen> seen;
    std::int64_t skipped = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& el = entries[i];
        Entry e;
        std::string problem = readEntry(el, i, e);
        std::optional<double> score;
        bool found = false;
        if (problem.empty()) {
            for (auto st : e.stats) {
                if (statName(st, e.filter != "none") != metric)
                    continue;
                std::string why;
                score = statValue(st, why);
                if (!why.empty())
                    problem = "entry " + std::to_string(i + 1) + " (" + e.id + "): stat \"" + metric + "\": " + why;
                found = true;
                break;
            }
        }
        if (problem.empty() && score && std::isnan(*score))
            problem = nanScoreMessage(metric);
        if (!problem.empty()) {
            if (!options.skipBadLines)
                return R::failure(Diagnostic::badRecord(path, el.line, problem));
            if (++skipped <= 5)
                out.warnings.push_back(Diagnostic::warning(path, el.line, problem + "; skipped"));
            continue;
        }
        const bool scored = found && score;
        auto key = std::make_tuple(e.id, e.trial, e.filter);
        if (auto at = seen.find(key); at != seen.end() && !(at->second.scored && scored)) {
            if (scored) { // the entry with the metric scores the instance met before without it
                SampleRecord& s = run.tasks[at->second.task].samples[at->second.sample];
                s.score = *score;
                s.offset = el.offset;
                s.length = el.length;
                s.line = el.line;
                at->second.scored = true;
            }
            continue;
        }
        auto [it, added] = byFilter.emplace(e.filter, run.tasks.size());
        if (added) {
            TaskSamples t;
            t.task = spec.value->task;
            t.filter = e.filter;
            t.metric = metric;
            t.higherIsBetter = !lowerIsBetter(metric);
            t.taskFromFileName = spec.value->fromFolder; // renamed copies still pair
            run.tasks.push_back(std::move(t));
        }
        SampleRecord s;
        s.docId = docIdOf(e);
        if (scored)
            s.score = *score;
        s.file = 0;
        s.offset = el.offset;
        s.length = el.length;
        s.line = el.line;
        seen.try_emplace(std::move(key), Seen { it->second, run.tasks[it->second].samples.size(), scored });
        run.tasks[it->second].samples.push_back(std::move(s));
    }
    std::int64_t missing = 0;
    std::int64_t firstMissing = 0;
    for (const auto& t : run.tasks)
        for (const auto& s : t.samples)
            if (std::isnan(s.score))
                firstMissing = missing++ == 0 ? s.line : std::min(firstMissing, s.line);
    if (skipped > 5)
        out.warnings.push_back(
            Diagnostic::warning(path, 0, std::to_string(skipped) + " malformed entries skipped in all"));
    if (missing > 0)
        out.warnings.push_back(Diagnostic::warning(path, firstMissing,
            std::to_string(missing) + " instance(s) have no \"" + metric
                + "\" value (the first is on this line); they are left out of the comparison"));
    if (run.tasks.empty())
        return R::failure(Diagnostic::error(path, 0, "no usable per-instance entry"));
    for (auto& t : run.tasks) {
        t.rightOrWrong = std::all_of(t.samples.begin(), t.samples.end(),
            [](const SampleRecord& s) { return std::isnan(s.score) || s.score == 0.0 || s.score == 1.0; });
        // Several train trials (other in-context examples) of one instance are not independent
        // samples: the trials of an instance form one cluster, flipped together in the tests.
        const bool trials = std::any_of(t.samples.begin(), t.samples.end(),
            [](const SampleRecord& s) { return s.docId.find(kTrialMark) != std::string::npos; });
        if (!trials)
            continue;
        t.clusterKey = "instance_id";
        detail::ClusterIndex instances;
        for (auto& s : t.samples)
            s.cluster = instances.intern(t, s.docId.substr(0, s.docId.find(kTrialMark)));
        out.warnings.push_back(Diagnostic::note(path, 0,
            "task " + t.task + (t.filter == "none" ? "" : " [" + t.filter + "]") + ": "
                + std::to_string(t.samples.size()) + " records of " + std::to_string(t.clusterNames.size())
                + " instances, run with several train trials (train_trial_index); the trials of an instance are "
                  "one cluster in the tests"));
    }
    out.value = std::move(run);
    return out;
}

} // namespace deltascope::eval
