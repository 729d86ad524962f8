// SPDX-License-Identifier: GPL-3.0-or-later
// Folders whose several runs form one run: a HELM suite of one model, one model's Inspect logs of
// several tasks.
#include "eval/RunSuites.h"

#include "eval/HelmRun.h"
#include "eval/InspectLog.h"

#include <algorithm>
#include <map>
#include <set>

namespace deltascope::eval {

namespace detail {

namespace {

// A folder of HELM runs of one model (a suite: one run per scenario): every run is a task of one
// run. Nothing when the folder holds anything else, runs of several models, or a run was chosen.
} // namespace

std::optional<Result<EvalRun>> loadHelmSuite(
    const std::vector<RunCandidate>& runs, const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    if (runs.size() < 2 || !options.runTimestamp.empty())
        return std::nullopt;
    for (const auto& r : runs)
        if (r.format != kHelmFormat || r.model != runs.front().model)
            return std::nullopt;
    R out;
    EvalRun merged;
    merged.info.path = path;
    merged.info.model = runs.front().model;
    merged.info.format = kHelmFormat;
    for (const auto& r : runs) {
        auto one = loadOtherFormat(kHelmFormat, r.dir, options);
        if (!one.ok()) {
            // A scenario without the requested tasks or filters is simply not part of it.
            if (!options.tasks.empty() || !options.filters.empty())
                continue;
            return R::failure(*one.error);
        }
        for (auto& w : one.warnings)
            if (w.message.find(" was asked for, but this run has no such task") == std::string::npos)
                out.warnings.push_back(std::move(w)); // the suite as a whole says which tasks it lacks
        const auto base = static_cast<std::uint32_t>(merged.files.size());
        merged.files.insert(merged.files.end(), one.value->files.begin(), one.value->files.end());
        for (auto& t : one.value->tasks) {
            for (auto& s : t.samples)
                s.file += base;
            merged.tasks.push_back(std::move(t));
        }
    }
    if (merged.tasks.empty())
        return R::failure(Diagnostic::error(path, 0, "none of the requested tasks or filters is in these HELM runs"));
    for (const auto& wanted : options.tasks)
        if (std::none_of(
                merged.tasks.begin(), merged.tasks.end(), [&](const TaskSamples& t) { return t.task == wanted; }))
            out.warnings.push_back(
                Diagnostic::warning(path, 0, "task " + wanted + " was asked for, but none of these HELM runs has it"));
    out.value = std::move(merged);
    return out;
}

namespace {

// One model's Inspect logs, each of its own task (reruns of a task: the newest), or nothing
// when the logs are of several models, of one task only, or of both log formats.
std::optional<std::vector<const RunCandidate*>> inspectSuite(const std::vector<RunCandidate>& runs)
{
    if (runs.size() < 2)
        return std::nullopt;
    std::map<std::string, const RunCandidate*> newest;
    for (const auto& r : runs) {
        if (r.inspectLog.empty() || r.model != runs.front().model
            || isInspectEvalName(r.inspectLog) != isInspectEvalName(runs.front().inspectLog))
            return std::nullopt;
        auto& slot = newest[r.samples.front().task];
        if (!slot || slot->timestamp < r.timestamp || (slot->timestamp == r.timestamp && slot->key() < r.key()))
            slot = &r;
    }
    if (newest.size() < 2)
        return std::nullopt;
    std::vector<const RunCandidate*> out;
    for (const auto& [task, r] : newest)
        out.push_back(r);
    return out;
}

} // namespace

// A folder of one model's Inspect logs of several tasks: one run, a task per log (as a HELM
// suite). Nothing when a run was chosen or the logs do not form one run.
std::optional<Result<EvalRun>> loadInspectSuite(
    const std::vector<RunCandidate>& runs, const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    if (!options.runTimestamp.empty())
        return std::nullopt;
    const auto suite = inspectSuite(runs);
    if (!suite)
        return std::nullopt;
    R out;
    EvalRun merged;
    merged.info.path = path;
    merged.info.model = runs.front().model;
    for (const auto* r : *suite) {
        auto one = loadInspectLog(r->inspectLog, options);
        if (!one.ok())
            return R::failure(*one.error);
        out.warnings.insert(out.warnings.end(), one.warnings.begin(), one.warnings.end());
        std::string older;
        for (const auto& other : runs)
            if (&other != r && other.samples.front().task == r->samples.front().task)
                older += (older.empty() ? "" : ", ") + other.key();
        if (!older.empty())
            out.warnings.push_back(Diagnostic::warning(r->inspectLog, 0,
                "task " + r->samples.front().task + " has several logs; using the newest, " + r->key()
                    + " (choose another by its file name): the others are " + older));
        const auto base = static_cast<std::uint32_t>(merged.files.size());
        merged.files.insert(merged.files.end(), one.value->files.begin(), one.value->files.end());
        merged.records = one.value->records;
        merged.info.format = one.value->info.format;
        merged.info.timestamp = std::max(merged.info.timestamp, one.value->info.timestamp);
        for (auto& t : one.value->tasks) {
            for (auto& s : t.samples)
                s.file += base;
            merged.tasks.push_back(std::move(t));
        }
    }
    out.value = std::move(merged);
    return out;
}

} // namespace detail

bool formsOneRun(const std::vector<RunCandidate>& runs)
{
    if (detail::inspectSuite(runs))
        return true;
    if (runs.size() < 2)
        return false;
    return std::all_of(runs.begin(), runs.end(),
        [&](const RunCandidate& r) { return r.format == kHelmFormat && r.model == runs.front().model; });
}

} // namespace deltascope::eval
