// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "MatrixArgs.h"
#include "TraceArgs.h"
#include "Wording.h"
#include "analysis/ExpertSharing.h"
#include "analysis/IdList.h"
#include "report/XShareWriters.h"

#include <cstdio>

namespace deltascope::cli {

namespace {

constexpr const char* kXShareHelp = R"(usage: deltascope-cli xshare TRACE [options]

Runs a routing policy over every (layer, batch) slice of the trace and reports activated experts,
kept gating mass, top-k overlap, unchanged tokens and per-device load.

  --policy topk|batch|ep|spec   (default batch)
  --budget M | --budgets all|M1,M2,..   experts per slice, each in [k, N] (default: all)
  --warmup W               each token's top-W experts first (default 1, 0 disables)
  --batching auto|replay|recorded   how batches are formed (default auto: the recorded steps when
                           the trace has them and no replay option is given, else replay)
  --batch-size B           replay with continuous batching, B requests in flight (default 32)
  --gamma G                speculative length: 1 + G tokens per request and step (replays)
  --requests LIST          replay only these requests: ids and ranges, e.g. 0-9,20,31-40
  --devices D              expert-parallel devices (default 8, or N when the trace has fewer experts)
  --placement contiguous|balanced|FILE   expert -> device (default contiguous blocks); a FILE
                           entry may list several devices (copies of the expert); balanced uses
                           the trace's own baseline loads, or --placement-counts FILE
  --replicas R             with balanced: R extra expert copies for the heaviest experts (EPLB-style)
  --request-experts m      speculative policy: experts each request keeps (default k)
  --per-slice              also write every slice (for the first budget)
  --backend auto|cpu|cuda  where it runs (default auto: the CUDA device when one answers, else the
                           CPU, said once on stderr)
  --format table|json|csv  --output FILE  --threads N (CPU threads)
)";

const std::vector<std::string> kXShareValued { "policy", "budget", "budgets", "warmup", "batching", "batch-size",
    "gamma", "requests", "devices", "placement", "placement-counts", "replicas", "request-experts", "format", "output",
    "threads", "backend" };

bool readBudgets(const Args& args, std::vector<int>& budgets, std::string& error)
{
    if (args.has("budget") && args.has("budgets"))
        return error = "give --budget or --budgets, not both", false;
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
    return true;
}

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

const std::vector<std::string> kScenarioValued { "policy", "warmup", "batching", "batch-size", "gamma", "requests",
    "devices", "placement", "placement-counts", "replicas", "request-experts", "threads" };

bool readScenarioOptions(const Args& args, analysis::ExpertScenario& s, std::string& error)
{
    if (!readImport(args, s.import, s.topK, error))
        return false;
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
    s.perSlice = args.has("per-slice");
    return readPlacement(args, s, error);
}

namespace {

// Translates the flags into a scenario; false with a message on a malformed value.
bool readScenario(const Args& args, analysis::ExpertScenario& s, std::string& error)
{
    s.tracePath = args.positionals()[0];
    return readScenarioOptions(args, s, error) && readBudgets(args, s.budgets, error);
}

} // namespace

int runXShare(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued = kXShareValued;
    valued.insert(valued.end(), kImportValued.begin(), kImportValued.end());
    std::vector<std::string> flags { "help", "per-slice" };
    flags.insert(flags.end(), kImportFlags.begin(), kImportFlags.end());
    const Args args(argv, flags, valued);
    if (args.has("help")) {
        std::printf("%s\n%s", kXShareHelp, kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli xshare --help)");
    if (args.positionals().size() != 1)
        return fail("xshare needs one TRACE (see deltascope-cli xshare --help)");
    std::string error;
    analysis::ExpertScenario scenario;
    if (!readScenario(args, scenario, error))
        return fail(error);
    const std::string format = args.value("format").value_or("table");
    if (format != "table" && format != "json" && format != "csv")
        return fail("--format must be table, json or csv");

    backends::BackendKind kind = backends::BackendKind::Auto;
    if (!backends::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return fail("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backends::makeBackend(kind, backendNote);
    if (!backendNote.empty())
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    const auto progress = stderrProgress(true, "xshare");
    auto run = analysis::runExpertSharing(scenario, *compute, progress);
    clearProgress(true);
    if (!run.ok())
        return fail(
            run.error->file.empty() ? scenario.tracePath + ": " + cliWording(run.error->message) : cliText(*run.error));
    for (const auto& w : run.value->warnings)
        std::fprintf(stderr, "deltascope-cli: %s\n", cliText(w).c_str());
    const auto& r = *run.value;
    const report::ExpertSharingRun view { scenario.tracePath, r.prepared.trace.get(), r.prepared.batches.get(),
        r.prepared.policy.get(), r.xshare.get(), r.ranOn.label() };
    const std::string text = format == "json" ? report::xshareJson(view)
        : format == "csv"                     ? report::xshareCsv(view)
                                              : report::xshareTable(view);
    return emit(text, args.value("output").value_or("")) ? 0 : Error;
}

} // namespace deltascope::cli
