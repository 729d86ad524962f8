// SPDX-License-Identifier: GPL-3.0-or-later
#include "Commands.h"
#include "common/MemoryReuse.h"
#include "deltascope/config.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage
    = R"(deltascope-cli: did an optimization make the model worse, and how many experts does an MoE batch need?

usage:
  deltascope-cli compare BASE CAND [options]   paired tests of a candidate run against a baseline
  deltascope-cli matrix BASE CAND... [options]
                                               many candidates against one baseline: verdicts
                                               corrected across candidates, tiers, costs
  deltascope-cli frontier --trace TRACE BASE CAND... [options]
                                               the smallest expert budget whose run is no worse
                                               than the margin, and what it saves
  deltascope-cli power [options]               minimum detectable drop and samples needed
  deltascope-cli shrink RUN1 RUN2 [...] --output keep.json
                                               keep only samples whose score varies across reruns
  deltascope-cli trace-info TRACE              what a router trace holds
  deltascope-cli convert IN OUT.safetensors    import a trace into the native format
  deltascope-cli xshare TRACE [options]        batch-aware expert selection over a trace
  deltascope-cli payoff --trace TRACE --model PRESET [--gpu NAME]
                                               will expert sharing pay off: weight bytes and time
                                               per decode step at each budget, device balance
  deltascope-cli synth-trace OUT.safetensors   a seeded synthetic router trace
  deltascope-cli formats                       every input format read, with its options
  deltascope-cli --version

BASE and CAND are lm-eval output folders or files (written with --log_samples), HELM run
folders, simple-evals *_allresults.json files, Inspect logs, or id/score tables (CSV, TSV or
JSONL). TRACE is a router trace: native .safetensors, per-token JSONL records,
a Megatron-Core trace folder or a .npy array.

compare tests each task with an exact one-sided McNemar test (a sign-flip permutation test for
scores that are not 0/1), with the per-task p-values Holm-adjusted across the tasks; its one
decision across tasks comes from the pooled, Fisher and max-drop tests (Bonferroni over the three:
each at alpha/3; alpha with one task).

Run a command with --help (or deltascope-cli help COMMAND) for its options, the units of each
and the columns of its output.

exit status: 0 success (compare, matrix: no evidence of degradation, or no worse than every margin),
             1 degraded (matrix: some candidate), 2 error, 3 inconclusive (--margin: neither degraded
             nor within every margin)
)";

} // namespace

int main(int argc, char** argv)
{
    deltascope::keepLargeBlocksForReuse(); // before the first large allocation
    std::vector<std::string> args(argv + 1, argv + argc);
    // "help COMMAND" is "COMMAND --help".
    if (args.size() == 2 && args[0] == "help")
        args = { args[1], "--help" };
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? deltascope::cli::Error : 0;
    }
    if (args[0] == "--version") {
        std::printf("deltascope-cli %s\n", DELTASCOPE_VERSION_STRING);
        return 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    if (command == "compare")
        return deltascope::cli::runCompare(args);
    if (command == "matrix")
        return deltascope::cli::runMatrix(args);
    if (command == "frontier")
        return deltascope::cli::runFrontier(args);
    if (command == "power")
        return deltascope::cli::runPower(args);
    if (command == "shrink")
        return deltascope::cli::runShrink(args);
    if (command == "trace-info")
        return deltascope::cli::runTraceInfo(args);
    if (command == "convert")
        return deltascope::cli::runConvert(args);
    if (command == "xshare")
        return deltascope::cli::runXShare(args);
    if (command == "payoff")
        return deltascope::cli::runPayoff(args);
    if (command == "synth-trace")
        return deltascope::cli::runSynthTrace(args);
    if (command == "formats")
        return deltascope::cli::runFormats(args);
    std::fprintf(stderr, "deltascope-cli: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
    return deltascope::cli::Error;
}
