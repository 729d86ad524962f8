// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/ExpertSharing.h"

#include "moe/Placement.h"
#include "moe/TraceViews.h"

#include <algorithm>
#include <chrono>

namespace deltascope::analysis {

namespace {

Diagnostic problem(std::string message)
{
    return Diagnostic::error({}, 0, std::move(message));
}

// The settings that can be judged without knowing the trace's shape.
std::optional<Diagnostic> checkSettings(const ExpertScenario& s)
{
    if (s.batchSize < 0)
        return problem("batch size must be at least 1");
    if (s.gamma < 0)
        return problem("speculative length gamma must be 0 or more");
    if (s.warmup < 0)
        return problem("warm-up must be 0 or more");
    if (s.requestExperts < 0)
        return problem("experts per request must be at least 1");
    if (s.devices < 0)
        return problem("devices must be at least 1");
    if (s.replicas < 0)
        return problem("extra expert copies must be 0 or more");
    if (s.placement != PlacementKind::Balanced && (s.replicas > 0 || !s.placementCounts.empty()))
        return problem("extra expert copies and placement counts go with the balanced placement"
                       " (a placement file lists its own copies)");
    if (s.placement == PlacementKind::File && s.placementFile.empty())
        return problem("the file placement needs a placement file");
    return std::nullopt;
}

// The settings that depend on the trace's experts and k.
std::optional<Diagnostic> checkAgainstTrace(const ExpertScenario& s, const moe::Trace& trace)
{
    const auto N = trace.experts;
    if (s.devices > N)
        return problem("devices must be at most the number of experts (" + std::to_string(N) + "), not "
            + std::to_string(s.devices));
    if (s.requestExperts > N)
        return problem("experts per request must be at most the number of experts (" + std::to_string(N) + "), not "
            + std::to_string(s.requestExperts));
    for (const int m : s.budgets)
        if (m < trace.topK || m > N)
            return problem("budget " + std::to_string(m) + " is outside [k, N] = [" + std::to_string(trace.topK) + ", "
                + std::to_string(N) + "]");
    return std::nullopt;
}

// The load each expert carries in counts kept per layer: the rows of the trace's own layers where
// the counts have them, else (said in a warning) the sum over every layer they hold.
std::vector<double> countsLoad(
    const moe::ExpertCounts& c, const moe::Trace& trace, const std::string& path, std::vector<Diagnostic>& warnings)
{
    std::vector<int> traceLayers = trace.layerIds;
    if (traceLayers.empty())
        for (std::int64_t l = 0; l < trace.layers; ++l)
            traceLayers.push_back(static_cast<int>(l));
    std::vector<double> load(static_cast<std::size_t>(c.experts), 0.0);
    bool any = false;
    std::size_t matched = 0;
    for (std::int64_t l = 0; l < c.layers; ++l) {
        const int id = l < static_cast<std::int64_t>(c.layerIds.size()) ? c.layerIds[static_cast<std::size_t>(l)]
                                                                        : static_cast<int>(l);
        if (std::find(traceLayers.begin(), traceLayers.end(), id) == traceLayers.end())
            continue;
        any = true;
        ++matched;
        for (std::int64_t e = 0; e < c.experts; ++e)
            load[static_cast<std::size_t>(e)] += c.at(l, e);
    }
    if (any) {
        if (matched < traceLayers.size())
            warnings.push_back(Diagnostic::warning(path, 0,
                "the placement counts hold " + std::to_string(matched) + " of the trace's "
                    + std::to_string(traceLayers.size()) + " layers: the placement balances those"));
        return load;
    }
    std::string held;
    for (std::int64_t l = 0; l < c.layers && l < 8; ++l)
        held += (l ? ", " : "")
            + std::to_string(l < static_cast<std::int64_t>(c.layerIds.size()) ? c.layerIds[static_cast<std::size_t>(l)]
                                                                              : static_cast<int>(l));
    if (c.layers > 8)
        held += ", ...";
    warnings.push_back(Diagnostic::warning(path, 0,
        "the placement counts hold layer(s) " + held
            + ", none of the trace's: the placement balances their sum over all those layers"));
    return c.perExpert();
}

} // namespace

Result<moe::PolicyConfig> policyFor(const ExpertScenario& s, const moe::Trace& trace)
{
    using R = Result<moe::PolicyConfig>;
    const int N = static_cast<int>(trace.experts);
    std::vector<Diagnostic> warnings;
    moe::PolicyConfig p;
    p.policy = s.policy;
    p.warmup = s.warmup;
    p.devices = devicesFor(s, N);
    p.requestExperts = s.requestExperts;
    if (s.placement == PlacementKind::File) {
        auto pl = moe::loadPlacement(s.placementFile, N, p.devices);
        if (!pl.ok())
            return R::failure(*pl.error);
        p.placement = std::move(pl.value->device);
        p.replicas = std::move(pl.value->replicas);
    } else if (s.placement == PlacementKind::Balanced) {
        std::vector<double> load;
        if (!s.placementCounts.empty()) {
            auto counts = moe::loadExpertCounts(s.placementCounts);
            if (!counts.ok())
                return R::failure(*counts.error);
            if (counts.value->experts != N)
                return R::failure(Diagnostic::error(s.placementCounts, 0,
                    "the placement counts name " + std::to_string(counts.value->experts) + " experts, the trace has "
                        + std::to_string(N)));
            load = countsLoad(*counts.value, trace, s.placementCounts, warnings);
        } else {
            load = moe::expertLoads(trace);
        }
        auto pl = moe::balancedPlacement(load, p.devices, s.replicas);
        p.placement = std::move(pl.device);
        p.replicas = std::move(pl.replicas);
    }
    R r;
    r.value = std::move(p);
    r.warnings = std::move(warnings);
    return r;
}

const char* toString(BatchMode mode)
{
    switch (mode) {
    case BatchMode::Replay:
        return "replay";
    case BatchMode::Recorded:
        return "recorded";
    case BatchMode::Auto:
        break;
    }
    return "auto";
}

const char* toString(PlacementKind kind)
{
    switch (kind) {
    case PlacementKind::Balanced:
        return "balanced";
    case PlacementKind::File:
        return "file";
    case PlacementKind::Contiguous:
        break;
    }
    return "contiguous";
}

bool parseBatchMode(const std::string& text, BatchMode& out)
{
    for (const auto m : { BatchMode::Auto, BatchMode::Replay, BatchMode::Recorded })
        if (text == toString(m))
            return out = m, true;
    return false;
}

bool parsePlacementKind(const std::string& text, PlacementKind& out)
{
    for (const auto k : { PlacementKind::Contiguous, PlacementKind::Balanced, PlacementKind::File })
        if (text == toString(k))
            return out = k, true;
    return false;
}

moe::BatchingOptions batchingFor(const ExpertScenario& s, const moe::Trace& trace)
{
    moe::BatchingOptions bo;
    // Picking requests or a speculative length only makes sense when batches are re-formed, and a
    // trace without recorded steps can only be replayed.
    const bool mustReplay = !trace.hasSteps() || !s.requests.empty() || s.gamma > 0;
    switch (s.batching) {
    case BatchMode::Replay:
        bo.replay = true;
        break;
    case BatchMode::Recorded:
        bo.replay = mustReplay;
        break;
    case BatchMode::Auto:
        bo.replay = mustReplay || s.batchSize > 0;
        break;
    }
    bo.batchSize = s.batchSize > 0 ? s.batchSize : kDefaultBatchSize;
    bo.gamma = std::max(0, s.gamma);
    bo.requests = s.requests;
    return bo;
}

int devicesFor(const ExpertScenario& s, std::int64_t experts)
{
    if (s.devices > 0)
        return s.devices;
    return static_cast<int>(std::clamp<std::int64_t>(experts, 1, kDefaultDevices));
}

Result<std::shared_ptr<const moe::Trace>> openScenarioTrace(const ExpertScenario& s, const Progress& progress)
{
    using R = Result<std::shared_ptr<const moe::Trace>>;
    if (s.trace) {
        R r;
        r.value = s.trace;
        return r;
    }
    if (s.tracePath.empty())
        return R::failure(problem("no trace was given"));
    auto options = s.import;
    options.progress = progress;
    auto t = moe::openTrace(s.tracePath, s.topK, options);
    if (!t.ok())
        return R::failure(*t.error);
    // A dense trace takes the model's k when it is given (the file may not record it).
    if (s.topK > 0 && !t.value->sparse)
        t.value->topK = s.topK;
    R r;
    r.value = std::make_shared<const moe::Trace>(std::move(*t.value));
    r.warnings = std::move(t.warnings);
    return r;
}

Result<PreparedScenario> prepareScenario(const ExpertScenario& s, std::shared_ptr<const moe::Trace> trace)
{
    using R = Result<PreparedScenario>;
    if (!trace)
        return R::failure(problem("no trace was given"));
    if (auto bad = checkSettings(s))
        return R::failure(*bad);
    if (auto bad = checkAgainstTrace(s, *trace))
        return R::failure(*bad);
    auto batches = moe::makeBatches(*trace, batchingFor(s, *trace));
    if (!batches.ok())
        return R::failure(*batches.error);
    auto policy = policyFor(s, *trace);
    if (!policy.ok())
        return R::failure(*policy.error);
    const auto policyWarnings = policy.warnings;
    PreparedScenario p;
    p.tracePath = s.tracePath;
    p.budgets = s.budgets;
    if (p.budgets.empty())
        for (auto m = trace->topK; m <= trace->experts; ++m)
            p.budgets.push_back(static_cast<int>(m));
    moe::XShareOptions probe;
    probe.policy = *policy.value;
    probe.budgets = p.budgets;
    if (auto bad = moe::checkXShareOptions(*trace, probe))
        return R::failure(*bad);
    p.trace = std::move(trace);
    p.batches = std::make_shared<const moe::Batches>(std::move(*batches.value));
    p.policy = std::make_shared<const moe::PolicyConfig>(std::move(*policy.value));
    R r;
    r.value = std::move(p);
    r.warnings = policyWarnings;
    return r;
}

Result<ExpertSharingResult> runPrepared(const ExpertScenario& s, const PreparedScenario& prepared,
    const std::vector<int>& budgets, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<ExpertSharingResult>;
    moe::XShareOptions xo;
    xo.policy = *prepared.policy;
    xo.budgets = budgets.empty() ? prepared.budgets : budgets;
    xo.perSlice = s.perSlice;
    xo.maps = s.maps;
    xo.budgetMaps = s.budgetMaps;
    xo.threads = s.threads;
    xo.progress = progress;
    if (auto bad = moe::checkXShareOptions(*prepared.trace, xo))
        return R::failure(*bad);
    const auto t0 = std::chrono::steady_clock::now();
    auto run = compute.xshare(*prepared.trace, *prepared.batches, xo);
    if (!run.ok())
        return R::failure(*run.error);
    if (run.value->cancelled)
        return R::failure(problem("cancelled"));
    ExpertSharingResult out;
    out.scenario = s;
    out.prepared = prepared;
    out.prepared.budgets = xo.budgets;
    out.xshare = std::make_shared<const moe::XShareResult>(std::move(*run.value));
    out.ranOn = run.ranOn;
    out.warnings = std::move(run.warnings);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    R r;
    r.value = std::move(out);
    return r;
}

Result<ExpertSharingResult> runExpertSharing(
    const ExpertScenario& s, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<ExpertSharingResult>;
    if (auto bad = checkSettings(s))
        return R::failure(*bad);
    Progress opening;
    if (progress.callback)
        opening.callback = [&progress](double f, std::string_view) {
            return progress.report(f < 0 ? -1.0 : 0.1 * f, "reading the trace");
        };
    auto trace = openScenarioTrace(s, opening);
    if (!trace.ok())
        return R::failure(*trace.error);
    auto prepared = prepareScenario(s, *trace.value);
    if (!prepared.ok())
        return R::failure(*prepared.error);
    Progress selecting;
    if (progress.callback)
        selecting.callback = [&progress](double f, std::string_view stage) {
            return progress.report(f < 0 ? -1.0 : 0.1 + 0.9 * f, stage);
        };
    auto r = runPrepared(s, *prepared.value, {}, compute, selecting);
    if (r.ok()) {
        r.value->warnings.insert(r.value->warnings.begin(), prepared.warnings.begin(), prepared.warnings.end());
        r.value->warnings.insert(r.value->warnings.begin(), trace.warnings.begin(), trace.warnings.end());
    }
    return r;
}

} // namespace deltascope::analysis
