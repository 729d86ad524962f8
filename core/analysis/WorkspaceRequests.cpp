// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/WorkspaceRequests.h"

#include "analysis/Comparison.h"
#include "analysis/IdList.h"

#include <algorithm>

namespace deltascope::analysis {

namespace {

bool formatOf(const std::string& text, eval::LoadOptions::Format& out)
{
    if (text == "auto")
        out = eval::LoadOptions::Format::Auto;
    else if (text == "lm-eval")
        out = eval::LoadOptions::Format::LmEval;
    else if (text == "table")
        out = eval::LoadOptions::Format::Table;
    else if (text == "inspect")
        out = eval::LoadOptions::Format::Inspect;
    else if (text == "helm")
        out = eval::LoadOptions::Format::Helm;
    else if (text == "simple-evals")
        out = eval::LoadOptions::Format::SimpleEvals;
    else
        return false;
    return true;
}

std::string formatName(eval::LoadOptions::Format f)
{
    switch (f) {
    case eval::LoadOptions::Format::LmEval:
        return "lm-eval";
    case eval::LoadOptions::Format::Table:
        return "table";
    case eval::LoadOptions::Format::Inspect:
        return "inspect";
    case eval::LoadOptions::Format::Helm:
        return "helm";
    case eval::LoadOptions::Format::SimpleEvals:
        return "simple-evals";
    case eval::LoadOptions::Format::Auto:
        break;
    }
    return "auto";
}

std::optional<Diagnostic> readSide(const workspace::SideState& s, bool skipBadLines, SideRequest& out)
{
    out.path = s.path;
    if (!formatOf(s.format, out.load.format))
        return Diagnostic::error(
            {}, 0, "input format \"" + s.format + "\" is not auto, lm-eval, table, inspect, helm or simple-evals");
    out.load.runTimestamp = s.runTimestamp;
    out.load.columns.id = s.idColumn;
    out.load.columns.score = s.scoreColumn;
    out.load.columns.task = s.taskColumn;
    out.load.columns.filter = s.filterColumn;
    out.load.columns.prompt = s.promptColumn;
    out.load.columns.response = s.responseColumn;
    out.load.columns.target = s.targetColumn;
    out.load.skipBadLines = skipBadLines;
    return std::nullopt;
}

void storeSide(const SideRequest& side, workspace::SideState& s)
{
    s.path = side.path;
    s.format = formatName(side.load.format);
    s.runTimestamp = side.load.runTimestamp;
    s.idColumn = side.load.columns.id;
    s.scoreColumn = side.load.columns.score;
    s.taskColumn = side.load.columns.task;
    s.filterColumn = side.load.columns.filter;
    s.promptColumn = side.load.columns.prompt;
    s.responseColumn = side.load.columns.response;
    s.targetColumn = side.load.columns.target;
}

} // namespace

Result<ComparisonRequest> comparisonFromWorkspace(const workspace::DegradationState& state)
{
    using R = Result<ComparisonRequest>;
    ComparisonRequest request;
    for (const auto& [side, out] :
        { std::pair { &state.base, &request.base }, std::pair { &state.cand, &request.cand } })
        if (auto bad = readSide(*side, state.skipBadLines, *out))
            return R::failure(*bad);
    request.stats.alpha = state.alpha;
    request.stats.permutations = state.permutations;
    request.stats.maxPermutations = std::max(state.maxPermutations, state.permutations);
    request.stats.seed = state.seed;
    request.stats.runPermutation = state.runPermutation;
    for (const auto& m : state.margins) {
        std::string why;
        if (!parseMargin(m, request.stats.margins, why))
            return R::failure(Diagnostic::error({}, 0, why)); // it quotes the margin
    }
    for (auto* load : { &request.base.load, &request.cand.load }) {
        load->clusterKey = state.clusterKey;
        load->tasks = state.tasks;
        load->filters = state.filters;
        for (const auto& m : state.metrics) {
            // A HELM task name may hold '=': the metric follows the last one.
            const auto eq = m.rfind('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
                return R::failure(Diagnostic::error({}, 0, "metric choice \"" + m + "\" is not TASK=METRIC"));
            load->metrics[m.substr(0, eq)] = m.substr(eq + 1);
        }
    }
    request.base.reruns = state.baseReruns;
    request.cand.reruns = state.candReruns;
    request.keepListPath = state.keepList;
    R r;
    r.value = std::move(request);
    return r;
}

void storeComparison(const ComparisonRequest& request, workspace::DegradationState& state)
{
    storeSide(request.base, state.base);
    storeSide(request.cand, state.cand);
    state.skipBadLines = request.base.load.skipBadLines || request.cand.load.skipBadLines;
    state.alpha = request.stats.alpha;
    state.permutations = request.stats.permutations;
    state.maxPermutations = request.stats.maxPermutations;
    state.seed = request.stats.seed;
    state.runPermutation = request.stats.runPermutation;
    state.margins = marginTexts(request.stats.margins);
    state.clusterKey = request.base.load.clusterKey;
    state.tasks = request.base.load.tasks;
    state.filters = request.base.load.filters;
    state.metrics.clear();
    for (const auto& [task, metric] : request.base.load.metrics)
        state.metrics.push_back(task + "=" + metric);
    state.baseReruns = request.base.reruns;
    state.candReruns = request.cand.reruns;
    state.keepList = request.keepListPath;
}

Result<ExpertScenario> scenarioFromWorkspace(const workspace::ExpertState& state)
{
    using R = Result<ExpertScenario>;
    ExpertScenario s;
    s.tracePath = state.trace;
    if (!moe::parsePolicy(state.policy, s.policy))
        return R::failure(Diagnostic::error({}, 0, "policy \"" + state.policy + "\" is not topk, batch, ep or spec"));
    s.batching = state.replay ? BatchMode::Replay : BatchMode::Recorded;
    s.batchSize = state.batchSize;
    s.gamma = state.gamma;
    s.warmup = state.warmup;
    s.devices = state.devices;
    s.requestExperts = state.requestExperts;
    std::string why;
    if (!parseIdList(state.requests, s.requests, why))
        return R::failure(Diagnostic::error({}, 0, "requests: " + why));
    if (!state.placementFile.empty()) {
        s.placement = PlacementKind::File;
        s.placementFile = state.placementFile;
    } else if (state.balanced) {
        s.placement = PlacementKind::Balanced;
        s.replicas = state.replicas;
        s.placementCounts = state.placementCounts;
    }
    R r;
    r.value = std::move(s);
    return r;
}

void storeScenario(const ExpertScenario& s, workspace::ExpertState& state)
{
    state.trace = s.tracePath;
    state.policy = moe::toString(s.policy);
    state.replay = s.batching != BatchMode::Recorded;
    state.batchSize = s.batchSize > 0 ? s.batchSize : kDefaultBatchSize;
    state.gamma = s.gamma;
    state.warmup = s.warmup;
    state.devices = s.devices; // 0 stays the default, resolved against the trace when it runs
    state.requestExperts = s.requestExperts;
    state.requests = formatIdList(s.requests);
    state.balanced = s.placement == PlacementKind::Balanced;
    state.placementFile = s.placement == PlacementKind::File ? s.placementFile : std::string();
    state.replicas = s.placement == PlacementKind::Balanced ? s.replicas : 0;
    state.placementCounts = s.placement == PlacementKind::Balanced ? s.placementCounts : std::string();
}

} // namespace deltascope::analysis
