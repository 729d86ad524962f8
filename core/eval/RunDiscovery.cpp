// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/RunDiscovery.h"

#include "common/MappedFile.h"
#include "eval/HelmRun.h"
#include "eval/InspectLog.h"
#include "eval/ResultsFile.h"
#include "eval/SimpleEvalsRun.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

namespace fs = std::filesystem;

namespace deltascope::eval {

std::string RunCandidate::label() const
{
    std::string s = model.empty() ? std::string("(unknown model)") : model;
    if (!timestamp.empty())
        s += " @ " + timestamp;
    s += " (" + (inspectLog.empty() ? dir : inspectLog) + ")";
    return s;
}

std::string RunCandidate::key() const
{
    if (!inspectLog.empty())
        return fs::path(inspectLog).filename().string();
    // HELM run folders and simple-evals files are named by their path.
    return format.empty() && !timestamp.empty() ? timestamp : dir;
}

namespace {

bool looksLikeTimestamp(std::string_view s)
{
    // 2025-04-30T18-24-41.082644
    return s.size() >= 19 && std::isdigit(static_cast<unsigned char>(s[0])) && s[4] == '-' && s[10] == 'T';
}

// samples_<task>_<ts>.jsonl -> (task, ts)
bool splitSamplesName(const std::string& name, std::string& task, std::string& ts)
{
    if (!name.starts_with("samples_") || !name.ends_with(".jsonl"))
        return false;
    const std::string core = name.substr(8, name.size() - 8 - 6);
    for (auto pos = core.rfind('_'); pos != std::string::npos && pos > 0; pos = core.rfind('_', pos - 1)) {
        if (looksLikeTimestamp(std::string_view(core).substr(pos + 1))) {
            task = core.substr(0, pos);
            ts = core.substr(pos + 1);
            return true;
        }
    }
    return false;
}

bool splitResultsName(const std::string& name, std::string& ts)
{
    if (name == "results.json") {
        ts.clear();
        return true;
    }
    if (!name.starts_with("results_") || !name.ends_with(".json"))
        return false;
    ts = name.substr(8, name.size() - 8 - 5);
    return looksLikeTimestamp(ts);
}

struct Key {
    std::string dir;
    std::string ts;
    bool operator<(const Key& o) const { return std::tie(dir, ts) < std::tie(o.dir, o.ts); }
};

// A HELM run folder or a simple-evals file: a run of its own, keyed by its path.
bool addOtherFormat(const fs::path& p, std::map<Key, RunCandidate>& runs)
{
    const std::string name = p.filename().string();
    const std::string dir = p.parent_path().string();
    if (name == "per_instance_stats.json" && isHelmRunFolder(dir)) {
        auto& run = runs[{ dir, "" }];
        run.dir = dir;
        run.format = kHelmFormat;
        run.samples = { { "", p.string() } };
        return true;
    }
    if (isSimpleEvalsFileName(name)) {
        const auto parsed = parseSimpleEvalsName(p.string());
        auto& run = runs[{ p.string(), "" }];
        run.dir = p.string();
        run.format = kSimpleEvalsFormat;
        run.model = parsed.model;
        run.timestamp = parsed.timestamp;
        run.samples = { { parsed.task, p.string() } };
        return true;
    }
    return false;
}

void addFile(const fs::path& p, std::map<Key, RunCandidate>& runs, std::vector<fs::path>& legacyDirs)
{
    const std::string name = p.filename().string();
    const std::string dir = p.parent_path().string();
    std::string task;
    std::string ts;
    if (addOtherFormat(p, runs))
        return;
    if (splitResultsName(name, ts)) {
        auto& run = runs[{ dir, ts }];
        run.dir = dir;
        run.timestamp = ts;
        run.resultsFile = p.string();
        if (name == "results.json") {
            run.legacyArrays = true;
            legacyDirs.push_back(p.parent_path());
        }
    } else if (splitSamplesName(name, task, ts)) {
        auto& run = runs[{ dir, ts }];
        run.dir = dir;
        run.timestamp = ts;
        run.samples.push_back({ task, p.string() });
    }
}

// 0.4.0-0.4.2 name samples files <model_args>_<task>.jsonl: match the task names the results
// file lists, longest first so that "arc_challenge" wins over "challenge".
void attachLegacySamples(RunCandidate& run, const ResultsFile& rf)
{
    std::vector<std::string> tasks;
    for (const auto& [task, cfg] : rf.tasks)
        tasks.push_back(task);
    std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(run.dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !name.ends_with(".jsonl") || name.starts_with("samples_"))
            continue;
        const std::string stem = name.substr(0, name.size() - 6);
        for (const auto& task : tasks) {
            if (stem == task || stem.ends_with("_" + task)) {
                run.samples.push_back({ task, entry.path().string() });
                break;
            }
        }
    }
}

// An Inspect log: a .eval zip, or a .json whose first bytes look like one.
bool isInspectLog(const fs::path& p)
{
    const std::string name = p.filename().string();
    if (isInspectEvalName(name))
        return true;
    if (!name.ends_with(".json") || isLmEvalFileName(name))
        return false;
    MappedFile f;
    std::string why;
    return f.open(p.string(), why) && looksLikeInspectJson(f.text().substr(0, 1 << 16));
}

void addInspectLog(const fs::path& p, std::vector<RunCandidate>& logs, std::vector<Diagnostic>& warnings)
{
    auto h = readInspectHeader(p.string());
    if (!h.ok()) {
        warnings.push_back(*h.error);
        return;
    }
    RunCandidate run;
    run.dir = p.parent_path().string();
    run.timestamp = h.value->created;
    run.model = h.value->model;
    run.inspectLog = p.string();
    run.toolVersion = h.value->toolVersion;
    run.samples.push_back({ h.value->task, p.string() });
    logs.push_back(std::move(run));
}

} // namespace

bool isLmEvalFileName(const std::string& name)
{
    std::string a;
    std::string b;
    return splitResultsName(name, a) || splitSamplesName(name, a, b);
}

Result<std::vector<RunCandidate>> discoverRuns(const std::string& path)
{
    using R = Result<std::vector<RunCandidate>>;
    std::error_code ec;
    const fs::path root(path);
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status))
        return R::failure(Diagnostic::error(path, 0, "no such file or folder"));

    std::map<Key, RunCandidate> runs;
    std::vector<fs::path> legacyDirs;
    std::vector<RunCandidate> inspectLogs;
    std::vector<Diagnostic> inspectWarnings;
    std::vector<std::string> otherJson;
    if (!fs::is_directory(status) && isInspectLog(root)) {
        addInspectLog(root, inspectLogs, inspectWarnings);
        if (inspectLogs.empty())
            return R::failure(inspectWarnings.front());
        return R { std::move(inspectLogs), {}, std::nullopt };
    }
    if (fs::is_directory(status)) {
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        if (ec)
            return R::failure(Diagnostic::error(path, 0, "cannot read folder: " + ec.message()));
        for (const auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
            if (ec)
                break;
            if (it.depth() > 8) {
                it.disable_recursion_pending();
                continue;
            }
            if (!it->is_regular_file(ec))
                continue;
            if (isInspectLog(it->path()))
                addInspectLog(it->path(), inspectLogs, inspectWarnings);
            else
                addFile(it->path(), runs, legacyDirs);
            // Other JSON files, in case the folder holds lm-eval results under other names.
            const std::string name = it->path().filename().string();
            if (otherJson.size() < 64 && name.ends_with(".json") && !isLmEvalFileName(name)
                && !isSimpleEvalsFileName(name) && !isHelmFileName(name))
                otherJson.push_back(it->path().string());
        }
    } else {
        addFile(root, runs, legacyDirs);
        if (runs.empty())
            return R::failure(Diagnostic::error(path, 0, "not an lm-eval results or samples file name"));
        // A single samples file: use the results file of the same timestamp when it is there.
        const auto& only = runs.begin()->second;
        if (!only.format.empty()) {
            // a HELM or simple-evals run: nothing to add
        } else if (only.resultsFile.empty()) {
            const fs::path results = root.parent_path() / ("results_" + only.timestamp + ".json");
            if (fs::exists(results, ec))
                runs.begin()->second.resultsFile = results.string();
        } else if (!only.legacyArrays) {
            // A results file: add its samples files.
            auto& run = runs.begin()->second;
            for (const auto& entry : fs::directory_iterator(root.parent_path(), ec)) {
                std::string task;
                std::string ts;
                if (splitSamplesName(entry.path().filename().string(), task, ts) && ts == run.timestamp)
                    run.samples.push_back({ task, entry.path().string() });
            }
        }
    }

    Result<std::vector<RunCandidate>> out;
    out.warnings = std::move(inspectWarnings);
    std::vector<RunCandidate> list = std::move(inspectLogs);
    for (auto& [key, run] : runs) {
        if (run.format == kHelmFormat) {
            auto spec = readHelmRunSpec(run.dir);
            if (!spec.ok()) {
                out.warnings.push_back(*spec.error);
                continue;
            }
            run.model = spec.value->model;
            run.samples.front().task = spec.value->task;
        }
        if (!run.resultsFile.empty()) {
            auto rf = parseResultsFile(run.resultsFile);
            if (rf.ok()) {
                run.model = rf.value->model;
                run.lmEvalVersion = rf.value->lmEvalVersion;
                if (!run.lmEvalVersion.empty())
                    run.toolVersion = "lm-eval " + run.lmEvalVersion;
                if (run.legacyArrays)
                    attachLegacySamples(run, *rf.value);
            } else {
                out.warnings.push_back(*rf.error);
            }
        }
        if (run.samples.empty()) {
            if (!run.resultsFile.empty())
                out.warnings.push_back(Diagnostic::warning(run.resultsFile, 0,
                    "results file without per-sample files (was lm_eval run with --log_samples?); skipped"));
            continue;
        }
        std::sort(run.samples.begin(), run.samples.end(),
            [](const auto& a, const auto& b) { return std::tie(a.task, a.path) < std::tie(b.task, b.path); });
        list.push_back(std::move(run));
    }
    std::sort(list.begin(), list.end(), [](const RunCandidate& a, const RunCandidate& b) {
        return std::tie(a.model, a.timestamp, a.dir) < std::tie(b.model, b.timestamp, b.dir);
    });
    if (list.empty()) {
        // lm-eval results without their samples, under lm-eval's names or others: said as such.
        std::string resultsOnly;
        for (const auto& [key, run] : runs)
            if (resultsOnly.empty() && run.format.empty() && run.samples.empty() && !run.resultsFile.empty())
                resultsOnly = run.resultsFile;
        for (const auto& other : otherJson)
            if (resultsOnly.empty() && isResultsDocument(other))
                resultsOnly = other;
        if (!resultsOnly.empty()) {
            Diagnostic d = resultsWithoutSamples(resultsOnly);
            if (fs::is_directory(status)) {
                std::error_code rec;
                const auto rel = fs::relative(resultsOnly, root, rec);
                d.file = path;
                d.message = "no per-sample results here: " + (rec || rel.empty() ? resultsOnly : rel.string()) + " is "
                    + d.message;
            }
            return R::failure(std::move(d));
        }
        Diagnostic d = Diagnostic::error(path, 0,
            "no lm-eval samples found (expected samples_<task>_<timestamp>.jsonl files written by lm_eval "
            "--log_samples), Inspect logs (.eval, or .json written with --log-format json), HELM run folders "
            "with per_instance_stats.json, or simple-evals *_allresults.json");
        if (!out.warnings.empty())
            d.message += "; " + out.warnings.front().toString();
        return R::failure(std::move(d));
    }
    out.value = std::move(list);
    return out;
}

} // namespace deltascope::eval
