// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "Commands.h"
#include "TraceArgs.h"
#include "Wording.h"
#include "common/JsonText.h"
#include "common/TextUtil.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"
#include "moe/XShareRun.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

namespace deltascope::cli {

int runTraceInfo(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued { "format" };
    valued.insert(valued.end(), kImportValued.begin(), kImportValued.end());
    std::vector<std::string> flags { "help", "no-score-check" };
    flags.insert(flags.end(), kImportFlags.begin(), kImportFlags.end());
    const Args args(argv, flags, valued);
    if (args.has("help")) {
        std::printf(
            "usage: deltascope-cli trace-info TRACE [import options] [--format table|json] [--no-score-check]\n\n"
            "Every gating score is read and checked as xshare checks it (finite, and not negative where\n"
            "scores are probabilities); a score it would refuse is named and fails the command (exit 2).\n"
            "--no-score-check skips that pass over the scores (about a second per GB).\n\n%s",
            kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli trace-info --help)");
    if (args.positionals().size() != 1)
        return fail("trace-info needs one TRACE (see deltascope-cli trace-info --help)");
    const std::string format = args.value("format").value_or("table");
    if (format != "table" && format != "json")
        return fail("--format must be table or json");
    std::string error;
    const auto path = args.positionals()[0];
    auto tr = openFromArgs(args, path, error);
    if (!tr.ok())
        return fail(cliText(*tr.error));
    const auto& t = *tr.value;
    // Recorded batches: how many, and their sizes in tokens.
    std::map<std::int32_t, std::int64_t> stepTokens;
    for (const auto s : t.stepId)
        ++stepTokens[s];
    std::int64_t smallest = 0;
    std::int64_t largest = 0;
    for (const auto& [step, n] : stepTokens) {
        smallest = smallest == 0 ? n : std::min(smallest, n);
        largest = std::max(largest, n);
    }
    nlohmann::ordered_json j;
    j["path"] = path;
    j["model"] = t.model;
    j["kind"] = kindOf(t);
    j["tokens"] = t.tokens;
    j["layers"] = t.layers;
    j["experts"] = t.experts;
    j["top_k"] = t.topK;
    j["requests"] = t.requestCount();
    j["score_type"] = moe::toString(t.scoreType);
    j["score_kind"] = moe::toString(t.scoreKind);
    j["norm_topk_prob"] = t.normTopkProb;
    j["step_ids"] = t.hasSteps();
    j["recorded_batches"] = stepTokens.size();
    j["batch_tokens_min"] = smallest;
    j["batch_tokens_max"] = largest;
    j["layer_ids"] = t.layerIds;
    j["score_bytes"] = t.scoreBytes();
    // The trace opened; a score that xshare would refuse is reported here too, and fails the command.
    const bool check = !args.has("no-score-check");
    const auto problem = check ? moe::checkGatingScores(t) : std::nullopt;
    j["scores_checked"] = check;
    j["score_problem"] = problem ? nlohmann::ordered_json(problem->message) : nlohmann::ordered_json(nullptr);
    auto done = [&] {
        return problem ? fail(path + ": error: " + problem->message + " (a run that reads this row stops there)") : 0;
    };
    if (format == "json") {
        std::printf("%s\n", jsonText(j, 2).c_str());
        return done();
    }
    std::printf(
        "trace      %s\nmodel      %s\nkind       %s (%s %s)\ntokens     %lld in %lld request%s%s\nlayers     %lld\n"
        "experts    %lld, top-%lld%s\nscores     %.1f MB\n",
        path.c_str(), t.model.empty() ? "(not recorded)" : t.model.c_str(), kindOf(t).c_str(),
        moe::toString(t.scoreType), moe::toString(t.scoreKind), static_cast<long long>(t.tokens),
        static_cast<long long>(t.requestCount()), t.requestCount() == 1 ? "" : "s",
        t.hasSteps() ? ", with recorded batch steps" : "", static_cast<long long>(t.layers),
        static_cast<long long>(t.experts), static_cast<long long>(t.topK), t.normTopkProb ? ", renormalised" : "",
        static_cast<double>(t.scoreBytes()) / 1e6);
    if (!stepTokens.empty() && smallest == largest)
        std::printf("batches    %zu recorded, %lld token%s each\n", stepTokens.size(), static_cast<long long>(largest),
            largest == 1 ? "" : "s");
    else if (!stepTokens.empty())
        std::printf("batches    %zu recorded, %lld to %lld tokens each\n", stepTokens.size(),
            static_cast<long long>(smallest), static_cast<long long>(largest));
    return done();
}

int runConvert(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued { "dtype" };
    valued.insert(valued.end(), kImportValued.begin(), kImportValued.end());
    std::vector<std::string> flags { "help" };
    flags.insert(flags.end(), kImportFlags.begin(), kImportFlags.end());
    const Args args(argv, flags, valued);
    if (args.has("help")) {
        std::printf("usage: deltascope-cli convert IN OUT.safetensors [--dtype F32|F16|BF16] [import options]\n\n%s",
            kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli convert --help)");
    if (args.positionals().size() != 2)
        return fail("convert needs IN and OUT.safetensors (see deltascope-cli convert --help)");
    const std::string in = args.positionals()[0];
    const std::string out = args.positionals()[1];
    if (in == out)
        return fail("IN and OUT are the same file; input files are never overwritten");
    std::string error;
    auto tr = openFromArgs(args, in, error);
    if (!tr.ok())
        return fail(cliText(*tr.error));
    const std::string dtype = args.value("dtype").value_or("F32");
    moe::ScoreType st = moe::ScoreType::F32;
    if (dtype == "F16")
        st = moe::ScoreType::F16;
    else if (dtype == "BF16")
        st = moe::ScoreType::BF16;
    else if (dtype != "F32")
        return fail("--dtype must be F32, F16 or BF16");
    const auto why = moe::writeTraceFile(out, *tr.value, st);
    if (!why.empty())
        return fail(why);
    std::printf("wrote %s: %s trace, %lld tokens x %lld layers x %lld %s\n", out.c_str(), kindOf(*tr.value).c_str(),
        static_cast<long long>(tr.value->tokens), static_cast<long long>(tr.value->layers),
        static_cast<long long>(tr.value->sparse ? tr.value->topK : tr.value->experts),
        tr.value->sparse ? "top-k slots" : "experts");
    return 0;
}

int runSynthTrace(const std::vector<std::string>& argv)
{
    const Args args(argv, { "help" },
        { "requests", "tokens", "layers", "experts", "top-k", "topic", "noise", "seed", "counts", "dtype" });
    if (!args.has("help") && !args.error().empty())
        return fail(args.error() + " (see deltascope-cli synth-trace --help)");
    if (args.has("help") || args.positionals().size() != 1) {
        std::printf(
            "usage: deltascope-cli synth-trace OUT.safetensors [--requests R] [--tokens T] [--layers L] [--experts N]\n"
            "       [--top-k K] [--topic S] [--noise S] [--seed S] [--counts FILE] [--dtype F32|F16|BF16]\n\n"
            "A seeded synthetic dense trace. Expert popularity per layer comes from real expert load counts:\n"
            "OLMoE-1B-7B's on C4 by default (built in), or --counts FILE; layer l uses the counts' layer l mod\n"
            "their number of layers, resampled by rank to --experts. Each request has a topic per layer\n"
            "that its tokens share (--topic, default 1.0) on top of per-token noise (--noise, 1.0); both are\n"
            "standard deviations added to the experts' log-popularity (router logits), so 0 turns one off.\n\n"
            "options:\n"
            "  --requests R     requests (default 64)\n"
            "  --tokens T       mean tokens per request; each draws from [T/2, 3T/2] (default 128)\n"
            "  --layers L       MoE layers (default 16)\n"
            "  --experts N      experts per layer (default 64)\n"
            "  --top-k K        experts per token (default 8)\n"
            "  --seed S         seed (default 1): the same seed writes the same file on every machine\n"
            "  --counts FILE    expert load counts (SGLang CSV or JSON logical_count) for the popularity\n"
            "  --dtype F32|F16|BF16   score type written (default F32)\n");
        return args.has("help") ? 0 : Error;
    }
    std::string error;
    moe::SynthOptions o;
    auto integer = [&](const char* name, std::int64_t& out, std::int64_t lo, std::int64_t hi) {
        return readInteger(args, name, out, lo, hi, error);
    };
    std::int64_t seed = 1;
    if (!integer("requests", o.requests, 1, 1 << 24) || !integer("tokens", o.tokensPerRequest, 1, 1 << 24)
        || !integer("layers", o.layers, 1, 4096) || !integer("experts", o.experts, 1, 65536)
        || !integer("top-k", o.topK, 1, 65536) || !integer("seed", seed, 0, INT64_MAX))
        return fail(error);
    o.seed = static_cast<std::uint64_t>(seed);
    for (const auto* name : { "topic", "noise" }) {
        if (auto v = args.value(name)) {
            const auto x = toNumber(name, *v, error);
            if (!x || *x < 0)
                return fail(error.empty() ? std::string("--") + name + " must be a non-negative number" : error);
            (std::string(name) == "topic" ? o.topic : o.noise) = *x;
        }
    }
    std::optional<moe::ExpertCounts> counts;
    if (auto c = args.value("counts")) {
        auto r = moe::loadExpertCounts(*c);
        if (!r.ok())
            return fail(r.error->toString());
        counts = std::move(*r.value);
        if (!args.has("experts"))
            o.experts = counts->experts;
        if (counts->experts != o.experts)
            return fail("--counts has " + std::to_string(counts->experts) + " experts, --experts says "
                + std::to_string(o.experts));
        o.popularity = &*counts;
    } else {
        o.popularity = &moe::builtinOlmoeCounts();
    }
    if (o.topK > o.experts)
        return fail("--top-k exceeds --experts");
    // In doubles: the product of four large counts overflows 64-bit integers.
    const double bytes = static_cast<double>(o.requests) * static_cast<double>(o.tokensPerRequest)
        * static_cast<double>(o.layers) * static_cast<double>(o.experts) * 4.0;
    if (bytes > 64e9) {
        char size[64];
        std::snprintf(size, sizeof size, "%.3g", bytes / 1e9);
        return fail(std::string("that trace would take about ") + size + " GB; ask for less");
    }
    const auto trace = moe::makeSyntheticTrace(o);
    const std::string dtype = args.value("dtype").value_or("F32");
    const auto st = dtype == "F16" ? moe::ScoreType::F16 : dtype == "BF16" ? moe::ScoreType::BF16 : moe::ScoreType::F32;
    const auto why = moe::writeTraceFile(args.positionals()[0], trace, st);
    if (!why.empty())
        return fail(why);
    std::printf("wrote %s: %lld tokens in %lld requests, %lld layers, %lld experts, top-%lld (%.1f MB of scores)\n",
        args.positionals()[0].c_str(), static_cast<long long>(trace.tokens), static_cast<long long>(o.requests),
        static_cast<long long>(o.layers), static_cast<long long>(o.experts), static_cast<long long>(o.topK),
        static_cast<double>(trace.scoreBytes()) / 1e6);
    return 0;
}

} // namespace deltascope::cli
