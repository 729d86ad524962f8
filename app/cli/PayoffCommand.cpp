// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "ScenarioArgs.h"
#include "TraceArgs.h"
#include "Wording.h"
#include "analysis/ExpertPayoff.h"
#include "report/PayoffWriters.h"

#include <algorithm>
#include <cstdio>

namespace deltascope::cli {

namespace {

constexpr const char* kPayoffHelp
    = R"(usage: deltascope-cli payoff --trace TRACE|--counts FILE --model PRESET|--model-json FILE
                             [--gpu NAME|--bandwidth GB/s] [options]
       deltascope-cli payoff --list-models | --list-gpus

Will expert sharing (or rebalancing) pay off here? Estimates, per decode step (one batch of the
trace), the routed-expert weight bytes the MoE layers read at the top-k baseline and at each
expert budget M, i.e. MoE layers x activated experts per layer x 3 x hidden x expert FFN x bytes
per weight (gate, up and down projections), plus the shared experts, dense weights (attention,
LM head) and KV cache; the step time on the GPU as max(bytes / bandwidth, FLOPs / peak); the
load balance (mean / max device load) of contiguous and balanced expert placements; and how
long the busiest tenth of the experts stays busiest. It ends with a plain verdict:
  compute-bound  not bandwidth-bound: expect no gain (the step's FLOPs take longer than its reads)
  small-share    not bandwidth-bound: expect no gain (routed experts < 20% of the bytes per step)
  saturated      expect no gain (every budget still activates >= 90% of the experts)
  little-gain    the best budget saves < 5% of the step
  pays           the best budget and how much shorter the step gets

input:
  --trace TRACE            a router trace (any format xshare reads; import options below)
  --counts FILE            expert load counts instead (CSV layer_id,expert_id,count or JSON
                           logical_count): no scores, so budgets are upper bounds (min(M, activated))
  --tokens-per-step T      with --counts: decode tokens per step (default 32)
model and hardware:
  --model PRESET           a built-in model (--list-models), e.g. Mixtral-8x7B, OLMoE-1B-7B
  --model-json FILE        a model description: our keys, optionally "base": PRESET, or a Hugging
                           Face config.json
  --dtype-bytes B          bytes per weight (bf16 2, fp8 1, int4 0.5; default: the model's)
  --gpu NAME               a built-in GPU (--list-gpus; default H100 SXM)
  --bandwidth GB/s         memory bandwidth in GB/s (1e9 bytes/s), instead of or over --gpu's
  --tflops T               dense 16-bit throughput in TFLOPS (0: do not model compute)
  --devices G              expert-parallel devices the experts are spread over (default 1); the
                           step waits for the busiest one
  --context C              mean context length of a request in flight, tokens (default 2048)
expert sharing (as for xshare):
  --budgets all|M1,M2,..   budgets (default: every one when N <= 16, else k, 2k, 4k, ... and N;
                           all: every one from k to N)
  --policy topk|batch|ep|spec  --warmup W  --request-experts m
  --batching auto|replay|recorded  --batch-size B  --gamma G  --requests LIST
  --placement contiguous|balanced|FILE  --placement-counts FILE  --replicas R
output:
  --format text|json       --output FILE  --backend auto|cpu|cuda  --threads N
)";

bool readHardware(const Args& args, moe::PayoffOptions& o, std::string& error)
{
    const std::string gpuName = args.value("gpu").value_or("H100 SXM");
    const auto* gpu = moe::findGpu(gpuName);
    if (!gpu && !args.has("bandwidth"))
        return error = "--gpu " + gpuName + " is not a built-in GPU (see --list-gpus), or give --bandwidth", false;
    if (gpu && (args.has("gpu") || !args.has("bandwidth")))
        o.gpu = *gpu;
    else
        o.gpu = { "", 0.0, 0.0, 0.0 };
    if (auto v = args.value("bandwidth")) {
        const auto bw = toNumber("bandwidth", *v, error);
        if (!bw || !(*bw > 0))
            return error = error.empty() ? "--bandwidth must be above 0 GB/s" : error, false;
        o.gpu.bandwidthGBs = *bw;
        if (!args.has("gpu"))
            o.gpu.name = *v + " GB/s";
    }
    if (auto v = args.value("tflops")) {
        const auto t = toNumber("tflops", *v, error);
        if (!t || !(*t >= 0))
            return error = error.empty() ? "--tflops must be 0 or more" : error, false;
        o.gpu.tflops = *t;
    }
    if (auto v = args.value("context")) {
        const auto c = toInteger("context", *v, error);
        if (!c || *c < 0 || *c > (1LL << 32))
            return error = error.empty() ? "--context must be a number of tokens, 0 or more" : error, false;
        o.contextTokens = *c;
    }
    return true;
}

bool readModel(const Args& args, moe::PayoffOptions& o, std::string& error)
{
    if (args.has("model") == args.has("model-json"))
        return error = "give --model PRESET or --model-json FILE (see --list-models)", false;
    if (auto name = args.value("model")) {
        const auto* m = moe::findModel(*name);
        if (!m)
            return error = "--model " + *name + " is not a built-in model (see --list-models)", false;
        o.model = *m;
    } else {
        auto m = moe::loadModelJson(*args.value("model-json"));
        if (!m.ok())
            return error = cliText(*m.error), false;
        for (const auto& w : m.warnings)
            std::fprintf(stderr, "deltascope-cli: %s\n", cliText(w).c_str());
        o.model = std::move(*m.value);
    }
    if (auto v = args.value("dtype-bytes")) {
        const auto b = toNumber("dtype-bytes", *v, error);
        if (!b || !(*b > 0) || *b > 8)
            return error = error.empty() ? "--dtype-bytes must be above 0 and at most 8" : error, false;
        o.model.dtypeBytes = *b;
    }
    return true;
}

} // namespace

int runPayoff(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued { "trace", "counts", "tokens-per-step", "model", "model-json", "dtype-bytes", "gpu",
        "bandwidth", "tflops", "context", "format", "output", "backend" };
    valued.insert(valued.end(), kScenarioValued.begin(), kScenarioValued.end());
    valued.insert(valued.end(), kBudgetValued.begin(), kBudgetValued.end());
    valued.insert(valued.end(), kImportValued.begin(), kImportValued.end());
    valued.erase(std::find(valued.begin(), valued.end(), "model")); // the import's --model is the preset here
    std::vector<std::string> flags { "help", "list-models", "list-gpus" };
    flags.insert(flags.end(), kImportFlags.begin(), kImportFlags.end());
    const Args args(argv, flags, valued);
    if (args.has("help")) {
        std::printf("%s\n%s", kPayoffHelp, kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli payoff --help)");
    if (args.has("list-models") || args.has("list-gpus")) {
        const std::string text = (args.has("list-models") ? report::modelPresetsText() : std::string())
            + (args.has("list-models") && args.has("list-gpus") ? "\n" : "")
            + (args.has("list-gpus") ? report::gpuPresetsText() : std::string());
        return emit(text, args.value("output").value_or("")) ? 0 : Error;
    }
    if (!args.positionals().empty())
        return fail("payoff takes its input with --trace or --counts (see deltascope-cli payoff --help)");
    if (args.has("trace") == args.has("counts"))
        return fail("give --trace TRACE or --counts FILE (see deltascope-cli payoff --help)");
    if (const auto clash = args.outputIsAnInput(); !clash.empty())
        return fail(clash);
    const std::string format = args.value("format").value_or("text");
    if (format != "text" && format != "json")
        return fail("--format must be text or json");

    std::string error;
    analysis::PayoffRequest request;
    auto& s = request.scenario;
    if (!readModel(args, request.options, error) || !readHardware(args, request.options, error)
        || !readImport(args, s.import, s.topK, error) || !readScenarioOptions(args, s, error)
        || !readBudgets(args, s.budgets, error))
        return fail(error);
    s.import.model.clear();
    request.everyBudget = args.value("budgets").value_or(args.value("budget").value_or("")) == "all";
    request.options.devices = s.devices > 0 ? s.devices : 1;
    if (!readInteger(args, "tokens-per-step", request.countsTokensPerStep, 1, 1 << 24, error))
        return fail(error);
    if (args.has("counts")) {
        request.countsPath = *args.value("counts");
        request.options.budgets = s.budgets;
    } else {
        s.tracePath = *args.value("trace");
        if (args.has("tokens-per-step"))
            return fail("--tokens-per-step goes with --counts (a trace has its own batches: --batch-size)");
    }
    const std::string input = args.has("counts") ? request.countsPath : s.tracePath;

    backends::BackendKind kind = backends::BackendKind::Auto;
    if (!backends::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return fail("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backends::makeBackend(kind, backendNote);
    if (!backendNote.empty() && !args.has("counts"))
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    const auto progress = stderrProgress(true, "payoff");
    auto run = analysis::runPayoff(request, *compute, progress);
    clearProgress(true);
    if (!run.ok())
        return fail(
            run.error->file.empty() ? input + ": error: " + cliWording(run.error->message) : cliText(*run.error));
    for (const auto& w : run.value->warnings)
        std::fprintf(stderr, "deltascope-cli: %s\n", cliText(w).c_str());
    const auto& e = run.value->estimate;
    const std::string text = format == "json" ? report::payoffJson(e, input) : report::payoffText(e, input);
    return emit(text, args.value("output").value_or("")) ? 0 : Error;
}

} // namespace deltascope::cli
