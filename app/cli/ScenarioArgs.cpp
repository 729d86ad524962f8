// SPDX-License-Identifier: GPL-3.0-or-later
#include "ScenarioArgs.h"

#include "LoadArgs.h"
#include "analysis/IdList.h"

#include <algorithm>

namespace deltascope::cli {

const std::vector<std::string> kBudgetValued { "budget", "budgets" };

const std::vector<std::string> kScenarioValued { "policy", "warmup", "batching", "batch-size", "gamma", "requests",
    "devices", "placement", "placement-counts", "replicas", "request-experts", "threads" };

bool readBudgets(const Args& args, std::vector<int>& budgets, std::string& error)
{
    if (args.has("budget") && args.has("budgets"))
        return error = "give --budget or --budgets, not both", false;
    if (args.values("budget").size() > 1 || args.values("budgets").size() > 1)
        return error = "give --budgets once, with a comma-separated list (--budgets 2,4,8)", false;
    const std::string text = args.value("budget").value_or(args.value("budgets").value_or("all"));
    if (text == "all")
        return true; // the scenario's default: every budget k..N
    for (const auto& item : splitList({ text })) {
        const auto m = toInteger("budget", item, error);
        if (!m || *m < 1 || *m > 1 << 20)
            return error = error.empty() ? "--budget " + item + " is not a number of experts" : error, false;
        budgets.push_back(static_cast<int>(*m));
    }
    if (budgets.empty())
        return error = "--budgets names no budget", false;
    std::sort(budgets.begin(), budgets.end());
    budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());
    return true;
}

namespace {

bool readPlacement(const Args& args, analysis::ExpertScenario& s, std::string& error)
{
    const std::string placement = args.value("placement").value_or("contiguous");
    if (placement == "balanced") {
        s.placement = analysis::PlacementKind::Balanced;
        s.placementCounts = args.value("placement-counts").value_or("");
    } else if (placement != "contiguous") {
        s.placement = analysis::PlacementKind::File;
        s.placementFile = placement;
    }
    if (s.placement != analysis::PlacementKind::Balanced && (args.has("replicas") || args.has("placement-counts")))
        return error = "--replicas and --placement-counts go with --placement balanced (a placement file lists its "
                       "copies)",
               false;
    return true;
}

} // namespace

bool readScenarioOptions(const Args& args, analysis::ExpertScenario& s, std::string& error)
{
    if (!moe::parsePolicy(args.value("policy").value_or("batch"), s.policy))
        return error = "--policy must be topk, batch, ep or spec", false;
    if (!analysis::parseBatchMode(args.value("batching").value_or("auto"), s.batching))
        return error = "--batching must be auto, replay or recorded", false;
    if (!readInteger(args, "warmup", s.warmup, 0, 65536, error)
        || !readInteger(args, "devices", s.devices, 1, 65536, error)
        || !readInteger(args, "replicas", s.replicas, 0, 1 << 20, error)
        || !readInteger(args, "request-experts", s.requestExperts, 1, 65536, error)
        || !readInteger(args, "threads", s.threads, 1, 1024, error)
        || !readInteger(args, "batch-size", s.batchSize, 1, 1 << 24, error)
        || !readInteger(args, "gamma", s.gamma, 0, 1024, error))
        return false;
    std::string list;
    for (const auto& v : args.values("requests"))
        list += (list.empty() ? "" : ",") + v;
    if (!analysis::parseIdList(list, s.requests, error))
        return error = "--requests: " + error, false;
    // The recorded batches are used as they are: a speculative length or chosen requests form new
    // ones, which asks for a replay.
    if (s.batching == analysis::BatchMode::Recorded && (s.gamma > 0 || !s.requests.empty()))
        return error = std::string("--batching recorded uses the trace's batches as they are, but ")
                   + (s.gamma > 0 ? "--gamma" : "--requests")
                   + " forms new ones: drop --batching recorded, or use --batching replay",
               false;
    return readPlacement(args, s, error);
}

} // namespace deltascope::cli
