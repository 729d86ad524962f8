// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/ExpertPayoff.h"

#include "moe/TraceImport.h"

#include <algorithm>

namespace deltascope::analysis {

namespace {

Progress part(const Progress& progress, double from, double to)
{
    Progress p;
    if (progress.callback)
        p.callback = [&progress, from, to](double f, std::string_view stage) {
            return progress.report(f < 0 ? -1.0 : from + (to - from) * f, stage);
        };
    return p;
}

// shown: the budgets whose rows the estimate keeps (with the best one and the smallest keeping
// the gating mass, found over every budget swept); empty keeps every row.
Result<PayoffResult> estimate(const PayoffRequest& request, const moe::StepLoads& loads, const moe::XShareResult* sweep,
    std::vector<Diagnostic> warnings, const std::vector<int>& shown = {})
{
    auto e = moe::estimatePayoff(loads, sweep, request.options);
    if (!e.ok())
        return Result<PayoffResult>::failure(*e.error);
    if (!shown.empty()) {
        auto& rows = e.value->budgets;
        const int best = e.value->bestBudget;
        const int keep = e.value->keepBudget;
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                       [&](const moe::PayoffRow& row) {
                           return row.budget != best && row.budget != keep
                               && std::find(shown.begin(), shown.end(), row.budget) == shown.end();
                       }),
            rows.end());
    }
    Result<PayoffResult> r;
    r.value.emplace();
    r.value->estimate = std::move(*e.value);
    r.value->warnings = std::move(warnings);
    return r;
}

} // namespace

std::vector<int> defaultPayoffBudgets(int topK, int experts)
{
    std::vector<int> out;
    if (topK < 1 || experts < topK)
        return out;
    if (experts <= 16) {
        for (int m = topK; m <= experts; ++m)
            out.push_back(m);
        return out;
    }
    for (int m = topK; m < experts; m *= 2)
        out.push_back(m);
    out.push_back(experts);
    return out;
}

Result<PayoffResult> payoffFromSweep(const PayoffRequest& request, const ExpertSharingResult& sweep,
    const Progress& progress, const std::vector<int>& shownBudgets)
{
    using R = Result<PayoffResult>;
    const auto& prepared = sweep.prepared;
    if (!prepared.trace || !prepared.batches || !sweep.xshare)
        return R::failure(Diagnostic::error({}, 0, "the expert-sharing run holds no trace or sweep"));
    if (auto bad = moe::checkModelAgainst(request.options.model, prepared.trace->experts, prepared.trace->topK);
        !bad.empty())
        return R::failure(Diagnostic::error(prepared.tracePath, 0, bad));
    auto loads = moe::stepLoads(
        *prepared.trace, *prepared.batches, request.options.devices, progress, request.scenario.threads);
    if (!loads.ok())
        return R::failure(*loads.error);
    return estimate(request, *loads.value, sweep.xshare.get(), sweep.warnings, shownBudgets);
}

Result<PayoffResult> runPayoff(
    const PayoffRequest& request, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<PayoffResult>;
    const auto& o = request.options;
    if (auto bad = o.model.check(); !bad.empty())
        return R::failure(Diagnostic::error({}, 0, bad));
    if (!request.countsPath.empty()) {
        auto counts = moe::loadExpertCounts(request.countsPath);
        if (!counts.ok())
            return R::failure(*counts.error);
        if (auto bad = moe::checkModelAgainst(o.model, counts.value->experts, 0); !bad.empty())
            return R::failure(Diagnostic::error(request.countsPath, 0, bad));
        if (o.devices < 1 || o.devices > o.model.experts)
            return R::failure(Diagnostic::error(
                {}, 0, "devices must be between 1 and the experts (" + std::to_string(o.model.experts) + ")"));
        const int tokens = request.countsTokensPerStep > 0 ? request.countsTokensPerStep : kDefaultCountsTokensPerStep;
        auto loads = moe::countLoads(*counts.value, o.model.topK, tokens, o.devices);
        if (loads.slices < 1)
            return R::failure(Diagnostic::error(request.countsPath, 0, "the counts hold no load"));
        PayoffRequest withBudgets = request;
        if (withBudgets.options.budgets.empty())
            withBudgets.options.budgets = request.scenario.budgets;
        if (withBudgets.options.budgets.empty() && !request.everyBudget)
            withBudgets.options.budgets = defaultPayoffBudgets(o.model.topK, o.model.experts);
        else if (withBudgets.options.budgets.empty())
            for (int m = o.model.topK; m <= o.model.experts; ++m)
                withBudgets.options.budgets.push_back(m);
        return estimate(withBudgets, loads, nullptr, counts.warnings);
    }
    ExpertScenario s = request.scenario;
    s.devices = o.devices;
    Progress opening = part(progress, 0.0, 0.05);
    auto trace = openScenarioTrace(s, opening);
    if (!trace.ok())
        return R::failure(*trace.error);
    const auto& t = *trace.value;
    if (auto bad = moe::checkModelAgainst(o.model, t->experts, t->topK); !bad.empty())
        return R::failure(Diagnostic::error(s.tracePath, 0, bad));
    // With no budgets named, every budget k..N is swept (one pass gives them all), so that the
    // smallest keeping the gating mass is found wherever it lies; the estimate shows the default
    // grid and that budget.
    std::vector<int> shown;
    if (s.budgets.empty() && !request.everyBudget)
        shown = defaultPayoffBudgets(static_cast<int>(t->topK), static_cast<int>(t->experts));
    auto prepared = prepareScenario(s, t);
    if (!prepared.ok())
        return R::failure(*prepared.error);
    auto run = runPrepared(s, *prepared.value, {}, compute, part(progress, 0.05, 0.5));
    if (!run.ok())
        return R::failure(*run.error);
    run.value->warnings.insert(run.value->warnings.begin(), trace.warnings.begin(), trace.warnings.end());
    auto sweep = std::make_shared<const ExpertSharingResult>(std::move(*run.value));
    auto r = payoffFromSweep(request, *sweep, part(progress, 0.5, 1.0), shown);
    if (r.ok())
        r.value->sweep = std::move(sweep);
    return r;
}

} // namespace deltascope::analysis
