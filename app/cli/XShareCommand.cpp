// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "ScenarioArgs.h"
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

the table, one row per budget (a slice is one MoE layer of one batch):
  budget          M, the experts the policy may activate per slice
  experts/slice   mean activated experts per slice: the model's own top-k routing -> the policy
  reduction       % fewer activated experts than top-k
  mass kept       gating mass kept: % of the tokens' top-k router scores still routed to
  top-k overlap   % of each token's top-k experts it keeps, averaged over tokens
  unchanged       % of tokens routed exactly as top-k would
  peak/device     most activated experts on one device (expert parallelism), mean over slices,
                  top-k -> policy
)";

const std::vector<std::string> kXShareValued { "format", "output", "backend" };

} // namespace

int runXShare(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued = kXShareValued;
    valued.insert(valued.end(), kScenarioValued.begin(), kScenarioValued.end());
    valued.insert(valued.end(), kBudgetValued.begin(), kBudgetValued.end());
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
    scenario.tracePath = args.positionals()[0];
    scenario.perSlice = args.has("per-slice");
    if (!readImport(args, scenario.import, scenario.topK, error) || !readScenarioOptions(args, scenario, error)
        || !readBudgets(args, scenario.budgets, error))
        return fail(error);
    if (const auto clash = args.outputIsAnInput(); !clash.empty())
        return fail(clash);
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
        return fail(run.error->file.empty() ? scenario.tracePath + ": error: " + cliWording(run.error->message)
                                            : cliText(*run.error));
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
