// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/Comparison.h"

#include "backend/CpuBackend.h"
#include "common/JobRunner.h"

#include <QStringList>
#include <algorithm>

namespace deltascope::ui {

namespace {

Progress progressOf(JobControl* control)
{
    Progress p;
    if (control)
        p.callback = [control](double f, std::string_view stage) {
            return control->progress(f, QString::fromUtf8(stage.data(), qsizetype(stage.size())));
        };
    return p;
}

const backend::ComputeBackend& orCpu(const backend::ComputeBackend* compute)
{
    static const backend::CpuBackend cpu;
    return compute ? *compute : cpu;
}

analysis::StatsRequest statsRequest(const StatsSettings& stats, unsigned threads)
{
    analysis::StatsRequest s;
    s.alpha = stats.alpha;
    s.permutations = stats.permutations;
    s.maxPermutations = std::max(stats.maxPermutations, stats.permutations);
    s.seed = stats.seed;
    s.runPermutation = stats.runPermutation;
    s.margins = stats.margins;
    s.threads = threads;
    return s;
}

SideSpec specOf(const analysis::SideRequest& side)
{
    SideSpec spec;
    spec.path = QString::fromStdString(side.path);
    spec.options = side.load;
    for (const auto& r : side.reruns)
        spec.reruns << QString::fromStdString(r);
    return spec;
}

analysis::SideRequest sideRequest(const SideSpec& spec)
{
    analysis::SideRequest side;
    side.path = spec.path.toStdString();
    side.load = spec.options;
    side.load.progress = {};
    for (const auto& r : spec.reruns)
        side.reruns.push_back(r.toStdString());
    return side;
}

// The view's value over an analysis result.
ComparisonPtr comparisonOf(analysis::ComparisonResult result)
{
    auto c = std::make_shared<Comparison>();
    const auto& loaded = *result.loaded;
    c->baseSpec = specOf(result.request.base);
    c->candSpec = specOf(result.request.cand);
    c->base = loaded.base;
    c->cand = loaded.cand;
    c->paired = loaded.paired;
    c->flips = std::make_shared<const std::vector<report::Disagreement>>(report::listDisagreements(*loaded.paired));
    c->loadNotes = loaded.notes;
    c->report = result.report;
    c->loadSeconds = loaded.loadSeconds;
    c->pairSeconds = loaded.pairSeconds;
    c->ranOn = result.ranOn;
    c->analysis = std::move(result);
    return c;
}

} // namespace

std::size_t Comparison::pairCount() const
{
    std::size_t n = 0;
    if (paired)
        for (const auto& t : paired->tasks)
            n += t.base.size();
    return n;
}

analysis::ComparisonRequest comparisonRequest(const SideSpec& base, const SideSpec& cand, const StatsSettings& stats)
{
    analysis::ComparisonRequest request;
    request.base = sideRequest(base);
    request.cand = sideRequest(cand);
    request.stats = statsRequest(stats, base.options.threads);
    return request;
}

Result<ComparisonPtr> loadComparison(const SideSpec& base, const SideSpec& cand, const StatsSettings& stats,
    JobControl* control, const backend::ComputeBackend* compute)
{
    return loadComparison(comparisonRequest(base, cand, stats), control, compute);
}

Result<ComparisonPtr> loadComparison(
    const analysis::ComparisonRequest& request, JobControl* control, const backend::ComputeBackend* compute)
{
    using R = Result<ComparisonPtr>;
    auto result = analysis::runComparison(request, orCpu(compute), progressOf(control));
    if (!result.ok())
        return R::failure(*result.error);
    R r;
    r.value = comparisonOf(std::move(*result.value));
    return r;
}

ComparisonPtr retest(
    const ComparisonPtr& from, const StatsSettings& stats, JobControl* control, const backend::ComputeBackend* compute)
{
    auto result = analysis::retestComparison(
        from->analysis, statsRequest(stats, from->analysis.request.stats.threads), orCpu(compute), progressOf(control));
    if (!result.ok()) {
        // Settings the analysis refuses (an alpha outside (0, 1)): the old comparison, with the reason.
        auto same = std::make_shared<Comparison>(*from);
        same->refused = *result.error;
        return same;
    }
    auto c = std::make_shared<Comparison>(*from);
    c->refused.reset();
    c->report = result.value->report;
    c->ranOn = result.value->ranOn;
    c->analysis = std::move(*result.value);
    return c;
}

} // namespace deltascope::ui
