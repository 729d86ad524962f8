// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertRun.h"

#include "analysis/IdList.h"
#include "backend/CpuBackend.h"
#include "common/JobRunner.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"

#include <QElapsedTimer>
#include <algorithm>
#include <numeric>

namespace deltascope::ui {

bool ExpertSettings::sameSweep(const ExpertSettings& o) const
{
    return replay == o.replay && batchSize == o.batchSize && gamma == o.gamma && policy == o.policy
        && warmup == o.warmup && devices == o.devices && balanced == o.balanced && requestExperts == o.requestExperts
        && placementFile == o.placementFile && requests == o.requests && replicas == o.replicas
        && placementCounts == o.placementCounts;
}

analysis::ExpertScenario scenarioOf(
    const ExpertSettings& settings, std::shared_ptr<const moe::Trace> trace, const QString& path)
{
    analysis::ExpertScenario s;
    s.tracePath = path.toStdString();
    s.trace = std::move(trace);
    s.batching = settings.replay ? analysis::BatchMode::Replay : analysis::BatchMode::Recorded;
    s.batchSize = settings.batchSize;
    s.gamma = settings.gamma;
    s.requests = settings.requests;
    s.policy = settings.policy;
    s.warmup = settings.warmup;
    s.requestExperts = settings.requestExperts;
    s.devices = settings.devices;
    if (!settings.placementFile.isEmpty()) {
        s.placement = analysis::PlacementKind::File;
        s.placementFile = settings.placementFile.toStdString();
    } else if (settings.balanced) {
        s.placement = analysis::PlacementKind::Balanced;
        s.replicas = settings.replicas;
        s.placementCounts = settings.placementCounts.toStdString();
    }
    return s;
}

Result<std::shared_ptr<const moe::Trace>> openTraceFile(const QString& path, JobControl* control)
{
    using R = Result<std::shared_ptr<const moe::Trace>>;
    if (control)
        control->progress(-1, QStringLiteral("reading the trace"));
    // Mapped formats open at once; record captures (JSONL, Megatron) report how far they got.
    moe::TraceImportOptions options;
    if (control)
        options.progress.callback = [control](double f, std::string_view) {
            return control->progress(f, QStringLiteral("reading the trace"));
        };
    auto t = moe::openTrace(path.toStdString(), 0, options);
    if (!t.ok())
        return R::failure(*t.error);
    R r;
    r.value = std::make_shared<const moe::Trace>(std::move(*t.value));
    r.warnings = std::move(t.warnings);
    return r;
}

std::int64_t requestCount(const moe::Trace& trace)
{
    return trace.requestCount();
}

std::vector<int> sweepBudgets(moe::Policy policy, int topK, int experts, int budget)
{
    std::vector<int> all;
    for (int m = topK; m <= experts; ++m)
        all.push_back(m);
    // Expert parallelism selects anew at each budget (its sets are not nested, so no one-pass
    // sweep): every budget would cost a whole run each. Its curve takes 25 budgets spread from k
    // to N, with 2k and the budget shown; the others are computed when the slider reaches them.
    constexpr std::size_t kSpread = 25;
    if (policy != moe::Policy::ExpertParallel || all.size() <= kSpread)
        return all;
    std::vector<int> some;
    for (std::size_t i = 0; i < kSpread; ++i)
        some.push_back(all[i * (all.size() - 1) / (kSpread - 1)]);
    for (const int m : { 2 * topK, budget })
        if (m >= topK && m <= experts)
            some.push_back(m);
    std::sort(some.begin(), some.end());
    some.erase(std::unique(some.begin(), some.end()), some.end());
    return some;
}

int usefulStartBudget(const moe::XShareResult& sweep, int budget)
{
    const auto reduces = [](const moe::BudgetResult& r) { return r.activated < r.activatedBase; };
    int smallestKeeping = -1;
    int largest = -1;
    for (const auto& r : sweep.results) {
        if (!reduces(r))
            continue;
        if (r.budget == budget)
            return budget;
        if (r.massRetained >= 0.95 && (smallestKeeping < 0 || r.budget < smallestKeeping))
            smallestKeeping = r.budget;
        largest = std::max(largest, r.budget);
    }
    return smallestKeeping > 0 ? smallestKeeping : largest > 0 ? largest : budget;
}

bool parseRequestList(const QString& text, std::vector<std::int32_t>& out, QString& why)
{
    std::string message;
    if (analysis::parseIdList(text.toStdString(), out, message))
        return true;
    why = QString::fromStdString(message);
    return false;
}

std::shared_ptr<const moe::XShareResult> currentWithSlices(const ExpertRun& run)
{
    if (!run.fromSweep || !run.current)
        return run.current;
    auto scenario = scenarioOf(run.settings, run.trace, run.path);
    scenario.perSlice = true;
    const analysis::PreparedScenario prepared { scenario.tracePath, run.trace, run.batches, run.policy, {} };
    static const backend::CpuBackend cpu;
    auto r = analysis::runPrepared(scenario, prepared, { run.budget }, cpu, {});
    if (!r.ok())
        return run.current;
    auto out = std::make_shared<moe::XShareResult>(*run.current);
    out->slices = std::move(r.value->xshare->slices);
    return out;
}

QString sliceCsv(const ExpertRun& run)
{
    return QString::fromStdString(report::xshareSliceCsv(*currentWithSlices(run)));
}

report::ExpertSharingRun reportView(const ExpertRun& run, bool sweep)
{
    return { run.path.toStdString(), run.trace.get(), run.batches.get(), run.policy.get(),
        sweep ? run.sweep.get() : run.current.get(), run.ranOn.label() };
}

std::shared_ptr<const moe::Trace> demoTrace()
{
    moe::SynthOptions o;
    o.requests = 48;
    o.tokensPerRequest = 96;
    o.layers = 16;
    o.experts = 64;
    o.topK = 8;
    o.seed = 7;
    o.popularity = &moe::builtinOlmoeCounts();
    return std::make_shared<const moe::Trace>(moe::makeSyntheticTrace(o));
}

Result<ExpertRunPtr> computeExperts(const ExpertRunPtr& from, std::shared_ptr<const moe::Trace> trace,
    const QString& path, const ExpertSettings& settings, int budget, JobControl* control,
    const backend::ComputeBackend* compute)
{
    using R = Result<ExpertRunPtr>;
    static const backend::CpuBackend cpu;
    const backend::ComputeBackend& where = compute ? *compute : cpu;
    QElapsedTimer clock;
    clock.start();
    auto run = std::make_shared<ExpertRun>();
    run->path = path;
    run->trace = trace;
    run->settings = settings;
    run->budget = static_cast<int>(std::clamp<std::int64_t>(budget, trace->topK, trace->experts));

    auto scenario = scenarioOf(settings, trace, path);
    analysis::PreparedScenario prepared;
    const bool reuse = from && from->trace == trace && from->settings.sameSweep(settings) && from->sweep;
    if (reuse) {
        // A budget step: the batches, the placement and the sweep still apply.
        prepared = { scenario.tracePath, trace, from->batches, from->policy, {} };
        run->sweep = from->sweep;
    } else {
        auto p = analysis::prepareScenario(scenario, trace);
        if (!p.ok())
            return R::failure(*p.error);
        prepared = std::move(*p.value);
    }
    run->batches = prepared.batches;
    run->policy = prepared.policy;

    auto progress = [control](double from0, double span, const char* what) {
        Progress p;
        if (control)
            p.callback = [control, from0, span, what](double f, std::string_view) {
                return control->progress(from0 + span * f, QString::fromLatin1(what));
            };
        return p;
    };
    if (!run->sweep) {
        std::vector<int> all = sweepBudgets(
            settings.policy, static_cast<int>(trace->topK), static_cast<int>(trace->experts), run->budget);
        // The sweep brings every budget's activation maps where the backend can: budget steps
        // then only read them.
        auto sweepScenario = scenario;
        sweepScenario.budgetMaps = true;
        auto s = analysis::runPrepared(sweepScenario, prepared, all, where, progress(0.0, 0.6, "every budget"));
        if (!s.ok())
            return R::failure(*s.error);
        run->sweep = s.value->xshare;
        run->sweepRanOn = s.value->ranOn;
        run->sweepWarnings = s.value->warnings;
    } else {
        run->sweepRanOn = from->sweepRanOn;
        run->sweepWarnings = from->sweepWarnings;
    }
    const auto& sw = *run->sweep;
    const auto at = static_cast<std::size_t>(std::find_if(sw.results.begin(), sw.results.end(), [&](const auto& r) {
        return r.budget == run->budget;
    }) - sw.results.begin());
    if (sw.budgetMaps.size() == sw.results.size() && at < sw.results.size()) {
        auto cur = std::make_shared<moe::XShareResult>();
        cur->results = { sw.results[at] };
        cur->maps = sw.budgetMaps[at];
        cur->sliceCount = sw.sliceCount;
        run->current = std::move(cur);
        run->fromSweep = true;
        run->ranOn = run->sweepRanOn;
        run->backend = QString::fromStdString(run->ranOn.label());
        run->seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        R r;
        r.value = run;
        r.warnings = run->sweepWarnings;
        return r;
    }
    scenario.maps = true;
    scenario.perSlice = true;
    auto cur = analysis::runPrepared(
        scenario, prepared, { run->budget }, where, progress(reuse ? 0.0 : 0.6, reuse ? 1.0 : 0.4, "this budget"));
    if (!cur.ok())
        return R::failure(*cur.error);
    run->current = cur.value->xshare;
    run->ranOn = cur.value->ranOn;
    run->backend = QString::fromStdString(run->ranOn.label());
    run->seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    R r;
    r.value = run;
    r.warnings = std::move(cur.value->warnings);
    return r;
}

} // namespace deltascope::ui
