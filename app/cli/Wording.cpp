// SPDX-License-Identifier: GPL-3.0-or-later
#include "Wording.h"

#include <regex>
#include <utility>

namespace deltascope::cli {

namespace {

// A setting named at the start of a message, and its flag.
const std::vector<std::pair<std::string, std::string>> kSettingFlags {
    { "batch size", "--batch-size" },
    { "speculative length gamma", "--gamma" },
    { "warm-up", "--warmup" },
    { "experts per request", "--request-experts" },
    { "devices", "--devices" },
    { "extra expert copies", "--replicas" },
    { "budget", "--budget" },
    { "the level alpha", "--alpha" },
    { "the number of permutations", "--permutations" },
    { "the file placement", "--placement FILE" },
    { "the placement counts", "--placement-counts" },
    { "the margin", "--margin" },
    { "memory bandwidth", "--bandwidth" },
    { "compute throughput", "--tflops" },
    { "context length", "--context" },
};

// Hints inside messages, and what the command line says instead.
const std::vector<std::pair<std::string, std::string>> kHints {
    { "choose another run by its timestamp",
        "choose another with --base-run TIMESTAMP or --cand-run TIMESTAMP, or --run TIMESTAMP for both sides" },
    { "set the id column", "use --id-column" },
    { "read them as logits", "read them with --score-kind logits" },
    { "set the score column", "use --score-column" },
    { "no samples left after the filter selection", "no samples left after the --filter selection" },
    { "name the record keys for the request, layer, token, experts and scores",
        "name them with --request-key, --layer-key, --token-key, --experts-key, --scores-key" },
    { "the model's top-k between", "the model's top-k (--top-k) between" },
    { "split the file into runs", "split it into runs with --split-runs" },
    { "set the number of experts", "set it with --experts" },
    { "keep warm-up passes to count them", "pass --keep-warmup-passes to count them" },
};

} // namespace

std::string cliWording(std::string message)
{
    for (const auto& [setting, flag] : kSettingFlags)
        if (message.starts_with(setting) && message.size() > setting.size() && message[setting.size()] == ' ') {
            message.insert(setting.size(), " (" + flag + ")");
            break;
        }
    for (const auto& [hint, words] : kHints)
        if (const auto at = message.find(hint); at != std::string::npos)
            message.replace(at, hint.size(), words);
    static const std::regex metric("choose the metric of task (\\S+) to compare");
    return std::regex_replace(message, metric, "pass --metric $1=METRIC to compare");
}

std::string cliText(Diagnostic diagnostic)
{
    diagnostic.message = cliWording(std::move(diagnostic.message));
    // A bad record stops the load; the flag that leaves such records out is named once.
    if (diagnostic.skippable && diagnostic.message.find("--skip-bad-lines") == std::string::npos)
        diagnostic.message += " (--skip-bad-lines leaves such records out, each listed as a warning)";
    return diagnostic.toString();
}

void toCliWording(std::vector<Diagnostic>& diagnostics)
{
    for (auto& d : diagnostics)
        d.message = cliWording(std::move(d.message));
}

} // namespace deltascope::cli
