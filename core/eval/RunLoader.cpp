// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/RunLoader.h"

#include "common/MappedFile.h"
#include "eval/HelmRun.h"
#include "eval/InspectLog.h"
#include "eval/ResultsFile.h"
#include "eval/RunSuites.h"
#include "eval/SamplesParser.h"
#include "eval/SimpleEvalsRun.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace fs = std::filesystem;

namespace deltascope::eval {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& s)
{
    return std::find(list.begin(), list.end(), s) != list.end();
}

// Keeps only the requested filters.
void applyFilterSelection(EvalRun& run, const LoadOptions& options)
{
    if (options.filters.empty())
        return;
    std::erase_if(run.tasks, [&](const TaskSamples& t) { return !contains(options.filters, t.filter); });
}

// Runs work items on a small pool while the calling thread reports progress.
template <typename Work>
bool runParallel(std::size_t items, unsigned threads, std::uint64_t totalBytes, std::atomic<std::uint64_t>& bytes,
    std::atomic<bool>& cancel, const Progress& progress, Work&& work)
{
    std::atomic<std::size_t> next { 0 };
    std::atomic<std::size_t> finished { 0 };
    auto loop = [&] {
        for (std::size_t i = next++; i < items && !cancel.load(); i = next++) {
            work(i);
            ++finished;
        }
    };
    const unsigned n = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), items));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t)
        pool.emplace_back(loop);
    if (progress.callback) {
        // The calling thread only reports (it sleeps between reports), so all n workers parse.
        pool.emplace_back(loop);
        while (finished.load() < items && !cancel.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
            const double frac = totalBytes ? static_cast<double>(bytes.load()) / static_cast<double>(totalBytes) : -1.0;
            if (!progress.report(std::min(frac, 1.0), "loading samples"))
                cancel = true;
        }
    } else {
        loop();
    }
    for (auto& t : pool)
        t.join();
    return !cancel.load();
}

} // namespace

Result<RunCandidate> chooseRun(
    const std::vector<RunCandidate>& runs, const std::string& path, const std::string& timestamp)
{
    using R = Result<RunCandidate>;
    std::string listing;
    for (const auto& r : runs)
        listing += "\n  " + r.label();
    if (!timestamp.empty()) {
        // What names a run (its key, an Inspect log's path) first; a timestamp or folder may name
        // several runs (the logs of one eval set share their timestamp), which is no choice.
        std::vector<const RunCandidate*> matches;
        for (const auto& r : runs)
            if (r.key() == timestamp || (!r.inspectLog.empty() && r.inspectLog == timestamp))
                matches.push_back(&r);
        if (matches.empty())
            for (const auto& r : runs)
                if (r.timestamp == timestamp || r.dir == timestamp)
                    matches.push_back(&r);
        if (matches.size() == 1)
            return R { *matches.front(), {}, {} };
        if (matches.empty())
            return R::failure(Diagnostic::error(path, 0, "no run with timestamp " + timestamp + "; found:" + listing));
        std::string which;
        for (const auto* r : matches)
            which += "\n  " + r->label() + (r->inspectLog.empty() ? std::string() : " [name: " + r->key() + "]");
        return R::failure(Diagnostic::error(path, 0,
            std::to_string(matches.size()) + " runs match " + timestamp
                + "; name one by its file name (an Inspect log) or its folder:" + which));
    }
    if (runs.size() == 1)
        return R { runs.front(), {}, {} };
    for (const auto& r : runs)
        if (r.model != runs.front().model)
            return R::failure(Diagnostic::error(
                path, 0, "the folder holds runs of several models; name one run's folder or file:" + listing));
    const auto newest = std::max_element(runs.begin(), runs.end(),
        [](const RunCandidate& a, const RunCandidate& b) { return a.timestamp < b.timestamp; });
    R out { *newest, {}, {} };
    out.warnings.push_back(Diagnostic::warning(path, 0,
        std::to_string(runs.size()) + " runs of " + (newest->model.empty() ? std::string("one model") : newest->model)
            + " found; using the newest, " + newest->timestamp + " (choose another run by its timestamp):" + listing));
    return out;
}

namespace detail {

// A HELM run folder or a simple-evals file, with the filter selection applied.
Result<EvalRun> loadOtherFormat(const std::string& format, const std::string& where, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    R r;
    if (!options.clusterKey.empty())
        return R::failure(Diagnostic::error(where, 0,
            "--cluster " + options.clusterKey + ": " + (format == kHelmFormat ? "a HELM run" : "a simple-evals file")
                + " has no per-sample fields to cluster on (lm-eval runs, Inspect logs and score tables do)"
                + (format == kHelmFormat ? "; the train trials of an instance are clustered already" : "")));
    if (format == kHelmFormat) {
        HelmLoadOptions o;
        o.metrics = options.metrics;
        o.skipBadLines = options.skipBadLines;
        r = loadHelmRun(where, o);
    } else {
        SimpleEvalsLoadOptions o;
        o.metrics = options.metrics;
        o.skipBadLines = options.skipBadLines;
        r = loadSimpleEvals(where, o);
    }
    if (!r.ok())
        return r;
    if (!options.tasks.empty()) {
        std::string had = r.value->tasks.front().task;
        std::erase_if(r.value->tasks, [&](const TaskSamples& t) { return !contains(options.tasks, t.task); });
        if (r.value->tasks.empty())
            return R::failure(Diagnostic::error(where, 0, noRequestedTask(options.tasks, "this run", had)));
        for (const auto& wanted : options.tasks)
            if (wanted != had)
                r.warnings.push_back(Diagnostic::warning(where, 0,
                    "task " + wanted + " was asked for, but this run has no such task (it has: " + had + ")"));
    }
    applyFilterSelection(*r.value, options);
    if (r.value->tasks.empty())
        return R::failure(Diagnostic::error(where, 0, "no samples left after the filter selection"));
    return r;
}

} // namespace detail

using detail::loadHelmSuite;
using detail::loadInspectSuite;
using detail::loadOtherFormat;

Result<EvalRun> loadCandidate(const RunCandidate& run, const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    if (!run.inspectLog.empty())
        return loadInspectLog(run.inspectLog, options);
    if (!run.format.empty())
        return loadOtherFormat(run.format, run.dir, options);
    R out;
    std::optional<ResultsFile> results;
    if (!run.resultsFile.empty()) {
        auto rf = parseResultsFile(run.resultsFile);
        if (!rf.ok())
            return R::failure(*rf.error);
        results = std::move(*rf.value);
    }

    // A group the results name (mmlu_stem, leaderboard_bbh) stands for its tasks.
    const std::vector<std::string> asked = results ? expandGroups(*results, options.tasks) : options.tasks;
    std::vector<SamplesFileRef> files;
    for (const auto& s : run.samples)
        if (asked.empty() || contains(asked, s.task))
            files.push_back(s);
    std::string available;
    for (const auto& s : run.samples)
        available += (available.empty() ? "" : ", ") + s.task;
    if (files.empty())
        return R::failure(Diagnostic::error(path, 0, noRequestedTask(options.tasks, "this run", available)));
    for (const auto& wanted : asked) {
        bool found = false;
        for (const auto& s : run.samples)
            found = found || s.task == wanted;
        if (!found)
            out.warnings.push_back(Diagnostic::warning(path, 0,
                "task " + wanted + " was asked for, but this run has no such task (it has: " + available + ")"));
    }

    std::uint64_t totalBytes = 0;
    for (const auto& f : files) {
        std::error_code ec;
        totalBytes += fs::file_size(f.path, ec);
    }
    std::vector<Result<std::vector<TaskSamples>>> parsed(files.size());
    std::atomic<std::uint64_t> bytes { 0 };
    std::atomic<bool> cancel { false };
    const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    const bool finished
        = runParallel(files.size(), threads, totalBytes, bytes, cancel, options.progress, [&](std::size_t i) {
              SamplesParseOptions so;
              so.task = files[i].task;
              auto m = options.metrics.find(files[i].task);
              if (m == options.metrics.end())
                  m = options.metrics.find("*");
              if (m != options.metrics.end())
                  so.metric = m->second;
              if (results) {
                  const auto tc = results->tasks.find(files[i].task);
                  if (tc != results->tasks.end())
                      so.config = &tc->second;
              }
              so.skipBadLines = options.skipBadLines;
              so.clusterKey = options.clusterKey;
              so.fileIndex = static_cast<std::uint32_t>(i);
              so.bytesDone = &bytes;
              so.cancel = &cancel;
              parsed[i] = parseSamplesFile(files[i].path, so);
              if (parsed[i].error)
                  cancel = true; // one fatal error stops the whole load
          });
    for (auto& p : parsed)
        if (p.error)
            return R::failure(*p.error);
    if (!finished)
        return R::failure(Diagnostic::error(path, 0, "loading was cancelled"));

    EvalRun er;
    er.info.path = path;
    er.info.model = run.model;
    er.info.lmEvalVersion = run.lmEvalVersion;
    er.info.timestamp = run.timestamp;
    er.info.resultsFile = run.resultsFile;
    for (std::size_t i = 0; i < files.size(); ++i) {
        er.files.push_back(files[i].path);
        out.warnings.insert(out.warnings.end(), parsed[i].warnings.begin(), parsed[i].warnings.end());
        for (auto& t : *parsed[i].value)
            er.tasks.push_back(std::move(t));
    }
    // Which lm-eval layout this was, for the report.
    bool anyFilterKey = false;
    if (run.legacyArrays) {
        er.info.format = "lm-eval 0.4.0-0.4.2 (JSON arrays)";
    } else {
        MappedFile f;
        std::string why;
        if (f.open(files.front().path, why)) {
            const auto head = f.text().substr(0, std::min<std::size_t>(f.size(), 1 << 20));
            const auto nl = head.find('\n');
            anyFilterKey = head.substr(0, nl).find("\"filter\":") != std::string_view::npos;
        }
        er.info.format = anyFilterKey ? "lm-eval 0.4.7+ (JSONL with filter)" : "lm-eval 0.4.3-0.4.6 (JSONL)";
    }
    if (!options.metrics.empty()) {
        for (const auto& [task, metric] : options.metrics) {
            if (task == "*")
                continue;
            bool found = false;
            for (const auto& t : er.tasks)
                found = found || t.task == task;
            if (!found)
                out.warnings.push_back(Diagnostic::warning(
                    path, 0, "a metric was chosen for task \"" + task + "\", which this run does not have"));
        }
    }
    // A chosen metric no record has: say which ones the task has instead of pairing nothing.
    for (const auto& t : er.tasks) {
        auto m = options.metrics.find(t.task);
        if (m == options.metrics.end())
            m = options.metrics.find("*");
        if (m == options.metrics.end() || t.samples.empty()
            || std::any_of(
                t.samples.begin(), t.samples.end(), [](const SampleRecord& s) { return !std::isnan(s.score); }))
            continue;
        std::string has;
        if (results) {
            if (const auto tc = results->tasks.find(t.task); tc != results->tasks.end())
                for (const auto& name : tc->second.metrics)
                    has += (has.empty() ? "" : ", ") + name;
        }
        return R::failure(Diagnostic::error(er.files[t.samples.front().file], 0,
            "task " + t.task + " has no metric \"" + m->second + "\""
                + (has.empty() ? std::string(" in its records") : " (this run has: " + has + ")")));
    }
    applyFilterSelection(er, options);
    if (er.tasks.empty())
        return R::failure(Diagnostic::error(path, 0, "no samples left after the filter selection"));
    out.value = std::move(er);
    return out;
}

namespace {

// A score table, or a folder of them (one file per task).
Result<EvalRun> loadTables(const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    std::error_code ec;
    TableColumns columns = options.columns;
    if (columns.cluster.empty())
        columns.cluster = options.clusterKey;
    if (fs::is_directory(path, ec)) {
        // A folder of tables: one file per task.
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(path, ec)) {
            const auto name = e.path().filename().string();
            if (e.is_regular_file() && (name.ends_with(".csv") || name.ends_with(".jsonl")))
                files.push_back(e.path().string());
        }
        std::sort(files.begin(), files.end());
        if (files.empty())
            return R::failure(Diagnostic::error(path, 0, "no .csv or .jsonl score tables in the folder"));
        R out;
        EvalRun merged;
        merged.info.path = path;
        merged.info.format = "score tables";
        merged.info.promptColumn = columns.prompt;
        merged.info.responseColumn = columns.response;
        merged.info.targetColumn = columns.target;
        for (const auto& f : files) {
            auto r = loadScoreTable(f, columns, options.skipBadLines);
            if (!r.ok())
                return R::failure(*r.error);
            out.warnings.insert(out.warnings.end(), r.warnings.begin(), r.warnings.end());
            const auto index = static_cast<std::uint32_t>(merged.files.size());
            merged.files.push_back(f);
            for (auto& t : r.value->tasks) {
                for (auto& s : t.samples)
                    s.file = index;
                merged.tasks.push_back(std::move(t));
            }
        }
        out.value = std::move(merged);
        return out;
    }
    auto r = loadScoreTable(path, columns, options.skipBadLines);
    if (r.ok()) {
        std::string has;
        for (const auto& t : r.value->tasks)
            has += (has.empty() ? "" : ", ") + t.task;
        if (!options.tasks.empty())
            std::erase_if(r.value->tasks, [&](const TaskSamples& t) { return !contains(options.tasks, t.task); });
        if (r.value->tasks.empty())
            return R::failure(Diagnostic::error(path, 0, noRequestedTask(options.tasks, "this table", has)));
    }
    return r;
}

} // namespace

Result<std::map<std::string, std::vector<std::string>>> metricsOf(const std::string& path, const LoadOptions& options)
{
    using R = Result<std::map<std::string, std::vector<std::string>>>;
    R out;
    out.value.emplace();
    auto& m = *out.value;
    std::error_code ec;
    const auto format = options.format == LoadOptions::Format::Auto ? detectFormat(path) : options.format;
    if (format == LoadOptions::Format::Table) {
        m["*"] = { options.columns.score.empty() ? std::string("score") : options.columns.score };
        return out;
    }
    if (format == LoadOptions::Format::SimpleEvals) {
        auto names = simpleEvalsMetrics(path);
        if (!names.ok())
            return R::failure(*names.error);
        m[parseSimpleEvalsName(path).task] = std::move(*names.value);
        return out;
    }
    std::vector<RunCandidate> runs;
    const std::string dir = fs::is_directory(path, ec) ? path : fs::path(path).parent_path().string();
    if (format == LoadOptions::Format::Helm && isHelmRunFolder(dir)) {
        RunCandidate one;
        one.dir = dir;
        one.format = kHelmFormat;
        runs.push_back(one);
    } else {
        auto found = discoverRuns(path);
        if (!found.ok())
            return R::failure(*found.error);
        runs = std::move(*found.value);
        if (runs.size() > 1 && !options.runTimestamp.empty()) {
            auto chosen = chooseRun(runs, path, options.runTimestamp);
            if (chosen.ok())
                runs = { *chosen.value };
        }
    }
    for (const auto& r : runs) {
        if (!r.inspectLog.empty()) {
            auto names = inspectMetrics(r.inspectLog);
            if (names.ok())
                m[r.samples.front().task] = std::move(*names.value);
        } else if (r.format == kHelmFormat) {
            auto spec = readHelmRunSpec(r.dir);
            auto names = helmMetrics(r.dir);
            if (spec.ok() && names.ok())
                m[spec.value->task] = std::move(*names.value);
        } else if (r.format == kSimpleEvalsFormat) {
            auto names = simpleEvalsMetrics(r.dir);
            if (names.ok())
                m[r.samples.front().task] = std::move(*names.value);
        } else if (!r.resultsFile.empty()) {
            auto rf = parseResultsFile(r.resultsFile);
            if (rf.ok())
                for (const auto& [task, cfg] : rf.value->tasks)
                    m[task] = cfg.metrics;
        }
    }
    return out;
}

namespace {

// An infinitely good score (+inf where higher is better, -inf where lower is) leaves no finite
// difference to measure a drop with: an error naming its file and line, or with skipBadLines left
// out like a NaN score, with a warning. An infinitely bad one stays: it is the worst score there is.
void refuseInfinitelyGood(Result<EvalRun>& r, bool skipBad)
{
    if (!r.ok())
        return;
    EvalRun& run = *r.value;
    for (auto& t : run.tasks) {
        std::int64_t skipped = 0;
        std::string where;
        std::int64_t whereLine = 0;
        for (auto& s : t.samples) {
            if (!std::isinf(s.score) || (s.score < 0) == t.higherIsBetter)
                continue;
            const std::string file = s.file < run.files.size() ? run.files[s.file] : run.info.path;
            const std::string what = std::string("task ") + t.task + ": a score of " + (s.score > 0 ? "+" : "-")
                + "infinity, infinitely good on a metric where " + (t.higherIsBetter ? "higher" : "lower")
                + " is better, leaves no drop to measure";
            if (!skipBad) {
                r = Result<EvalRun>::failure(Diagnostic::badRecord(file, s.line,
                    what + " (only an infinitely bad score is accepted; --skip-bad-lines leaves such samples out)"));
                return;
            }
            if (skipped++ == 0) {
                where = file;
                whereLine = s.line;
            }
            s.score = std::numeric_limits<double>::quiet_NaN();
        }
        if (skipped > 0)
            r.warnings.push_back(Diagnostic::warning(where, whereLine,
                "task " + t.task + ": " + std::to_string(skipped)
                    + " sample(s) with an infinitely good score left out (the first here)"));
    }
}

Result<EvalRun> loadRunAs(const std::string& path, const LoadOptions& options);

} // namespace

Result<EvalRun> loadRun(const std::string& path, const LoadOptions& options)
{
    auto r = loadRunAs(path, options);
    refuseInfinitelyGood(r, options.skipBadLines);
    return r;
}

namespace {

Result<EvalRun> loadRunAs(const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    std::error_code ec;
    if (!fs::exists(path, ec))
        return R::failure(Diagnostic::error(path, 0, "no such file or folder"));
    auto format = options.format == LoadOptions::Format::Auto ? detectFormat(path) : options.format;
    if (!options.columns.id.empty() && !fs::is_directory(path, ec) && options.format == LoadOptions::Format::Auto)
        format = LoadOptions::Format::Table;
    if (auto aggregate = aggregateOnly(path, format))
        return R::failure(*aggregate);

    if (format == LoadOptions::Format::Table)
        return loadTables(path, options);
    if (format == LoadOptions::Format::Inspect && !fs::is_directory(path, ec))
        return loadInspectLog(path, options);
    if (format == LoadOptions::Format::SimpleEvals)
        return loadOtherFormat(kSimpleEvalsFormat, path, options);
    if (format == LoadOptions::Format::Helm) {
        std::string dir = fs::is_directory(path, ec) ? path : fs::path(path).parent_path().string();
        if (isHelmRunFolder(dir))
            return loadOtherFormat(kHelmFormat, dir, options);
        // A folder of HELM run folders: found and chosen like lm-eval runs below.
    }

    if (!fs::is_directory(path, ec) && !isLmEvalFileName(fs::path(path).filename().string())
        && format != LoadOptions::Format::Helm) {
        // A samples file under another name (0.4.0-0.4.2 write <model_args>_<task>.jsonl).
        RunCandidate single;
        const fs::path p(path);
        single.dir = p.parent_path().string();
        std::string task = p.stem().string();
        const fs::path legacyResults = p.parent_path() / "results.json";
        if (fs::exists(legacyResults, ec)) {
            single.resultsFile = legacyResults.string();
            if (auto rf = parseResultsFile(single.resultsFile); rf.ok()) {
                single.model = rf.value->model;
                std::size_t best = 0;
                for (const auto& [name, cfg] : rf.value->tasks)
                    if ((task == name || task.ends_with("_" + name)) && name.size() > best) {
                        best = name.size();
                        single.samples = { { name, path } };
                    }
            }
        }
        if (single.samples.empty())
            single.samples = { { task, path } };
        single.legacyArrays = true;
        return loadCandidate(single, path, options);
    }

    auto found = discoverRuns(path);
    if (!found.ok())
        return R::failure(*found.error);
    if (!options.tasks.empty()) {
        // The tasks asked for pick among Inspect logs before a run is chosen: a log of another
        // task is no candidate.
        std::vector<RunCandidate> kept;
        for (const auto& r : *found.value)
            if (r.inspectLog.empty() || contains(options.tasks, r.samples.front().task))
                kept.push_back(r);
        if (!kept.empty())
            *found.value = std::move(kept);
    }
    if (auto suite = loadHelmSuite(*found.value, path, options))
        return std::move(*suite);
    if (auto suite = loadInspectSuite(*found.value, path, options)) {
        if (suite->ok())
            suite->warnings.insert(suite->warnings.begin(), found.warnings.begin(), found.warnings.end());
        return std::move(*suite);
    }
    auto chosen = chooseRun(*found.value, path, options.runTimestamp);
    if (!chosen.ok())
        return R::failure(*chosen.error);
    auto loaded = loadCandidate(*chosen.value, path, options);
    if (!loaded.ok())
        return loaded;
    loaded.warnings.insert(loaded.warnings.begin(), chosen.warnings.begin(), chosen.warnings.end());
    loaded.warnings.insert(loaded.warnings.begin(), found.warnings.begin(), found.warnings.end());
    return loaded;
}

} // namespace

} // namespace deltascope::eval
