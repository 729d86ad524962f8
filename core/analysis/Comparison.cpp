// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/Comparison.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <unordered_map>

namespace deltascope::analysis {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

Diagnostic cancelled()
{
    return Diagnostic::error({}, 0, "cancelled");
}

// A part of the overall progress: fractions [from, from + span], stages prefixed with `what`.
Progress partOf(const Progress& whole, double from, double span, std::string what)
{
    Progress p;
    if (whole.callback)
        p.callback = [&whole, from, span, what = std::move(what)](double f, std::string_view stage) {
            const std::string label
                = stage.empty() ? what : (what.empty() ? std::string(stage) : what + ": " + std::string(stage));
            return whole.report(f < 0 ? -1.0 : from + span * f, label);
        };
    return p;
}

using NoiseMap = std::map<std::pair<std::string, std::string>, std::int64_t>;

// The noise floor: per (task, filter), the samples on which two runs of one model disagree.
NoiseMap disagreements(const eval::EvalRun& first, const eval::EvalRun& second)
{
    NoiseMap out;
    for (const auto& a : first.tasks) {
        const auto b = std::find_if(second.tasks.begin(), second.tasks.end(),
            [&](const eval::TaskSamples& t) { return t.task == a.task && t.filter == a.filter; });
        if (b == second.tasks.end())
            continue;
        std::unordered_map<std::string_view, double> scores;
        for (const auto& s : b->samples)
            scores.emplace(s.docId, s.score);
        std::int64_t flips = 0;
        for (const auto& s : a.samples) {
            const auto it = scores.find(s.docId);
            if (it != scores.end() && !std::isnan(s.score) && !std::isnan(it->second) && s.score != it->second)
                ++flips;
        }
        out[{ a.task, a.filter }] = flips;
    }
    return out;
}

// One side: its run and any reruns, averaged per sample; `noise` gets the first two runs'
// disagreements when there are reruns (or those of the first two epochs of a log that has them).
Result<eval::EvalRun> loadSide(const SideRequest& side, const Progress& progress, NoiseMap* noise = nullptr)
{
    std::vector<eval::EvalRun> runs;
    std::vector<Diagnostic> warnings;
    std::vector<std::string> paths { side.path };
    paths.insert(paths.end(), side.reruns.begin(), side.reruns.end());
    auto options = side.load;
    options.progress = progress;
    for (const auto& path : paths) {
        auto r = eval::loadRun(path, options);
        if (!r.ok())
            return r;
        warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
        if (!runs.empty())
            eval::alignFileNamedTasks(runs.front(), *r.value);
        runs.push_back(std::move(*r.value));
    }
    if (noise && runs.size() >= 2)
        *noise = disagreements(runs[0], runs[1]);
    else if (noise) // one run holding its own reruns (Inspect's epochs)
        for (const auto& t : runs[0].tasks)
            if (t.epochFlips >= 0)
                (*noise)[{ t.task, t.filter }] = t.epochFlips;
    if (runs.size() == 1) {
        Result<eval::EvalRun> one;
        one.value = std::move(runs.front());
        one.warnings = std::move(warnings);
        return one;
    }
    auto merged = eval::averageReruns(std::move(runs));
    merged.warnings.insert(merged.warnings.begin(), warnings.begin(), warnings.end());
    return merged;
}

std::string unpairedMessage(const ComparisonRequest& request, const eval::PairedRuns& paired)
{
    std::string why = "no sample of " + request.base.path + " could be paired with one of " + request.cand.path;
    for (const auto& w : paired.warnings)
        why += "\n  " + w.toString();
    for (const auto& t : paired.tasks)
        for (const auto& w : t.warnings)
            why += "\n  " + w.toString();
    return why;
}

} // namespace

bool parseMargin(std::string_view text, report::MarginRequest& into, std::string& error)
{
    std::string task;
    std::string_view value = text;
    if (const auto eq = text.rfind('='); eq != std::string_view::npos) {
        task = std::string(text.substr(0, eq));
        value = text.substr(eq + 1);
        if (task.empty()) {
            error = "the margin \"" + std::string(text) + "\" names no task before '='";
            return false;
        }
    }
    report::Margin m;
    if (!value.empty() && value.back() == '%') {
        m.relative = true;
        value.remove_suffix(1);
    }
    const std::string number(value);
    char* end = nullptr;
    const double v = number.empty() ? std::nan("") : std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(v)) {
        error = "the margin \"" + std::string(text)
            + "\" is not a number (write 1 for one accuracy point, 1% for 1% of a "
              "perplexity, or TASK=D)";
        return false;
    }
    if (v < 0.0) {
        error = "the margin \"" + std::string(text)
            + "\" is negative: a margin is the largest drop you accept, 0 or more";
        return false;
    }
    m.value = m.relative ? v / 100.0 : v;
    if (task.empty())
        into.all = m;
    else
        into.perTask.emplace_back(task, m);
    return true;
}

std::vector<std::string> marginTexts(const report::MarginRequest& margins)
{
    auto one = [](const report::Margin& m) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.10g%s", m.relative ? m.value * 100.0 : m.value, m.relative ? "%" : "");
        return std::string(buf);
    };
    std::vector<std::string> out;
    if (margins.all)
        out.push_back(one(*margins.all));
    for (const auto& [task, m] : margins.perTask)
        out.push_back(task + "=" + one(m));
    return out;
}

std::size_t LoadedComparison::pairCount() const
{
    std::size_t n = 0;
    if (paired)
        for (const auto& t : paired->tasks)
            n += t.base.size();
    return n;
}

std::optional<Diagnostic> checkComparisonRequest(const ComparisonRequest& request)
{
    auto bad = [](std::string m) { return std::optional<Diagnostic>(Diagnostic::error({}, 0, std::move(m))); };
    if (request.base.path.empty() || request.cand.path.empty())
        return bad("a comparison needs a baseline and a candidate");
    if (!(request.stats.alpha > 0.0 && request.stats.alpha < 1.0))
        return bad("the level alpha must be between 0 and 1 (exclusive)");
    if (request.stats.permutations < 1)
        return bad("the number of permutations must be at least 1");
    if (request.stats.maxPermutations < request.stats.permutations)
        return bad("the most permutations to run (" + std::to_string(request.stats.maxPermutations)
            + ") must be at least the number of permutations (" + std::to_string(request.stats.permutations) + ")");
    return std::nullopt;
}

Result<LoadedSide> loadBaseline(const ComparisonRequest& request, const Progress& progress)
{
    using R = Result<LoadedSide>;
    if (auto bad = checkComparisonRequest(request))
        return R::failure(*bad);
    LoadedSide side;
    auto base = loadSide(request.base, progress, &side.noise);
    if (!base.ok())
        return R::failure(*base.error);
    side.notes = std::move(base.warnings);
    side.run = std::make_shared<const eval::EvalRun>(std::move(*base.value));
    R r;
    r.value = std::move(side);
    return r;
}

Result<std::shared_ptr<const LoadedComparison>> loadAgainstBaseline(
    const ComparisonRequest& request, const LoadedSide& base, const Progress& progress)
{
    using R = Result<std::shared_ptr<const LoadedComparison>>;
    if (auto bad = checkComparisonRequest(request))
        return R::failure(*bad);
    if (!base.run)
        return R::failure(Diagnostic::error({}, 0, "the baseline is not loaded"));
    const auto t0 = Clock::now();
    auto loaded = std::make_shared<LoadedComparison>();
    if (!request.keepListPath.empty()) {
        auto keep = eval::loadKeepList(request.keepListPath);
        if (!keep.ok())
            return R::failure(*keep.error);
        loaded->keepList = std::make_shared<const eval::KeepList>(std::move(*keep.value));
    }
    auto cand = loadSide(request.cand, partOf(progress, 0.0, 0.9, "candidate"));
    if (!cand.ok())
        return R::failure(*cand.error);
    if (!progress.report(0.9, "pairing samples"))
        return R::failure(cancelled());
    loaded->notes = base.notes;
    // A file read by both sides says the same thing once.
    for (auto& w : cand.warnings)
        if (std::none_of(base.notes.begin(), base.notes.end(),
                [&](const Diagnostic& b) { return b.toString() == w.toString(); }))
            loaded->notes.push_back(std::move(w));
    if (auto note = eval::alignFileNamedTasks(*base.run, *cand.value))
        loaded->notes.push_back(*note);
    loaded->loadSeconds = secondsSince(t0);

    loaded->base = base.run;
    loaded->cand = std::make_shared<const eval::EvalRun>(std::move(*cand.value));
    eval::PairOptions po;
    po.keepList = loaded->keepList.get();
    auto paired = eval::pairRuns(*loaded->base, *loaded->cand, po);
    for (auto& t : paired.tasks)
        if (const auto it = base.noise.find({ t.task, t.filter }); it != base.noise.end())
            t.noiseFlips = it->second;
    loaded->paired = std::make_shared<const eval::PairedRuns>(std::move(paired));
    if (loaded->pairCount() == 0) {
        Diagnostic why = Diagnostic::error({}, 0, unpairedMessage(request, *loaded->paired));
        why.unpaired = true;
        return R::failure(std::move(why));
    }
    loaded->pairSeconds = secondsSince(t0) - loaded->loadSeconds;
    R r;
    r.value = std::move(loaded);
    return r;
}

Result<std::shared_ptr<const LoadedComparison>> loadComparison(
    const ComparisonRequest& request, const Progress& progress)
{
    using R = Result<std::shared_ptr<const LoadedComparison>>;
    const auto t0 = Clock::now();
    auto base = loadBaseline(request, partOf(progress, 0.0, 0.45, "baseline"));
    if (!base.ok())
        return R::failure(*base.error);
    if (!progress.report(0.45, "candidate"))
        return R::failure(cancelled());
    auto loaded = loadAgainstBaseline(request, *base.value, partOf(progress, 0.45, 0.55, {}));
    if (!loaded.ok())
        return loaded;
    // The baseline's reading counts as loading time too.
    auto out = std::make_shared<LoadedComparison>(**loaded.value);
    out->loadSeconds = secondsSince(t0) - out->pairSeconds;
    R r;
    r.value = std::move(out);
    return r;
}

Result<report::ComparisonReport> testComparison(const LoadedComparison& loaded, const StatsRequest& stats,
    const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<report::ComparisonReport>;
    report::CompareSettings settings;
    settings.alpha = stats.alpha;
    settings.permutations = stats.permutations;
    settings.maxPermutations = stats.maxPermutations;
    settings.margins = stats.margins;
    settings.seed = stats.seed;
    settings.permutationRequested = stats.runPermutation;
    settings.threads = stats.threads;
    settings.progress = progress;
    settings.backend = &compute;
    auto rep = report::buildReport(*loaded.base, *loaded.cand, *loaded.paired, settings);
    if (rep.failure)
        return R::failure(*rep.failure);
    if (rep.cancelled)
        return R::failure(cancelled()); // unfinished permutations would count as hits
    rep.warnings.insert(rep.warnings.begin(), loaded.notes.begin(), loaded.notes.end());
    R r;
    r.value = std::move(rep);
    return r;
}

Result<ComparisonResult> runComparison(
    const ComparisonRequest& request, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<ComparisonResult>;
    auto loaded = loadComparison(request, progress);
    if (!loaded.ok())
        return R::failure(*loaded.error);
    ComparisonResult first;
    first.request = request;
    first.loaded = std::move(*loaded.value);
    return retestComparison(first, request.stats, compute, partOf(progress, 0.9, 0.1, "testing"));
}

Result<ComparisonResult> retestComparison(const ComparisonResult& from, const StatsRequest& stats,
    const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<ComparisonResult>;
    if (!from.loaded)
        return R::failure(Diagnostic::error({}, 0, "nothing was loaded to test"));
    auto next = from.request;
    next.stats = stats;
    if (auto bad = checkComparisonRequest(next))
        return R::failure(*bad);
    auto rep = testComparison(*from.loaded, stats, compute, progress);
    if (!rep.ok())
        return R::failure(*rep.error);
    R r;
    r.value = ComparisonResult { std::move(next), from.loaded, std::move(*rep.value), {} };
    r.value->ranOn = r.value->report.ranOn;
    return r;
}

} // namespace deltascope::analysis
