#include "Args.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "backend/ComputeBackend.h"
#include "common/TextUtil.h"
#include "moe/Batching.h"
#include "moe/Placement.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"
#include "moe/TraceViews.h"
#include "moe/XShareRun.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

namespace deltascope::cli {

namespace {

constexpr const char* kImportHelp
    = R"(trace inputs: a native .safetensors trace, a dense .npy array [tokens, layers, experts], or
per-token-layer JSONL router records. Import options:
  --top-k K                the model's k (needed for .npy)
  --experts N              number of experts (default: the largest id + 1)
  --score-kind probs|logits|sigmoid   how recorded values become scores (default probs)
  --no-norm-topk           the model does not renormalise its top-k weights
  --model NAME
  --request-key, --layer-key, --token-key, --experts-key, --scores-key, --step-key NAME
                           JSONL key names (default: detected)
  --tokens-per-request R   .npy only: group consecutive tokens into requests of R
)";

constexpr const char* kXShareHelp = R"(usage: deltascope-cli xshare TRACE [options]

Runs a routing policy over every (layer, batch) slice of the trace and reports activated experts,
kept gating mass, top-k overlap, unchanged tokens and per-device load.

  --policy topk|batch|ep|spec   (default batch)
  --budget M | --budgets all|M1,M2,..   experts per slice, each in [k, N] (default: all)
  --warmup W               each token's top-W experts first (default 1, 0 disables)
  --batch-size B           replay with continuous batching (default: recorded steps, else 32)
  --gamma G                speculative length: 1 + G tokens per request and step
  --requests R1,R2,..      replay only these requests
  --devices D              expert-parallel devices (default 1)
  --placement FILE|balanced    expert -> device (default: contiguous blocks); a FILE entry may list
                           several devices (copies of the expert); balanced uses the trace's own
                           baseline loads, or --placement-counts FILE
  --replicas R             with balanced: R extra expert copies for the heaviest experts (EPLB-style)
  --request-experts m      speculative policy: experts each request keeps (default k)
  --per-slice              also write every slice (for the first budget)
  --backend auto|cpu|cuda  where it runs (default auto: the CUDA device when one answers, else the
                           CPU, said once on stderr)
  --format table|json|csv  --output FILE  --threads N (CPU threads)
)";

int fail(const std::string& m)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", m.c_str());
    return Error;
}

const std::vector<std::string> kImportNames { "top-k", "experts", "score-kind", "no-norm-topk", "model", "request-key",
    "layer-key", "token-key", "experts-key", "scores-key", "step-key", "tokens-per-request", "skip-bad-lines" };

bool readImport(const Args& args, moe::TraceImportOptions& o, std::int64_t& topK, std::string& error)
{
    if (auto v = args.value("top-k")) {
        const auto k = toInteger("top-k", *v, error);
        if (!k || *k < 1)
            return error = error.empty() ? "--top-k must be at least 1" : error, false;
        topK = *k;
    }
    if (auto v = args.value("experts")) {
        const auto n = toInteger("experts", *v, error);
        if (!n || *n < 1 || *n > 65536)
            return error = error.empty() ? "--experts must be between 1 and 65536" : error, false;
        o.experts = *n;
    }
    if (auto v = args.value("tokens-per-request")) {
        const auto n = toInteger("tokens-per-request", *v, error);
        if (!n || *n < 1)
            return error = error.empty() ? "--tokens-per-request must be at least 1" : error, false;
        o.tokensPerRequest = *n;
    }
    const std::string kind = args.value("score-kind").value_or("probs");
    if (kind == "probs")
        o.scoreKind = moe::ScoreKind::Probs;
    else if (kind == "logits")
        o.scoreKind = moe::ScoreKind::Logits;
    else if (kind == "sigmoid")
        o.scoreKind = moe::ScoreKind::Sigmoid;
    else
        return error = "--score-kind must be probs, logits or sigmoid", false;
    o.normTopkProb = !args.has("no-norm-topk");
    o.model = args.value("model").value_or("");
    o.keys.request = args.value("request-key").value_or("");
    o.keys.layer = args.value("layer-key").value_or("");
    o.keys.token = args.value("token-key").value_or("");
    o.keys.experts = args.value("experts-key").value_or("");
    o.keys.scores = args.value("scores-key").value_or("");
    o.keys.step = args.value("step-key").value_or("");
    o.skipBadLines = args.has("skip-bad-lines");
    return true;
}

Result<moe::Trace> openFromArgs(const Args& args, const std::string& path, std::string& error)
{
    moe::TraceImportOptions o;
    std::int64_t topK = 0;
    if (!readImport(args, o, topK, error))
        return Result<moe::Trace>::failure(Diagnostic::error({}, 0, error));
    auto r = moe::openTrace(path, topK, o);
    if (r.ok() && topK > 0 && r.value->topK != topK && !r.value->sparse)
        r.value->topK = topK;
    for (const auto& w : r.warnings)
        std::fprintf(stderr, "%s\n", w.toString().c_str());
    return r;
}

std::string kindOf(const moe::Trace& t)
{
    return t.sparse ? "sparse" : "dense";
}

} // namespace

int runTraceInfo(const std::vector<std::string>& argv)
{
    std::vector<std::string> flags { "help", "no-norm-topk", "skip-bad-lines" };
    const Args args(argv, flags);
    if (args.has("help") || args.positionals().size() != 1) {
        std::printf("usage: deltascope-cli trace-info TRACE [import options] [--format table|json]\n\n%s", kImportHelp);
        return args.has("help") ? 0 : Error;
    }
    std::vector<std::string> known { "help", "format" };
    known.insert(known.end(), kImportNames.begin(), kImportNames.end());
    if (const auto u = args.unknown(known); !u.empty())
        return fail("unknown option " + u.front());
    std::string error;
    const auto path = args.positionals()[0];
    auto tr = openFromArgs(args, path, error);
    if (!tr.ok())
        return fail(tr.error->toString());
    const auto& t = *tr.value;
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
    j["layer_ids"] = t.layerIds;
    j["score_bytes"] = t.scoreBytes();
    if (args.value("format").value_or("table") == "json") {
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf(
        "trace      %s\nmodel      %s\nkind       %s (%s %s)\ntokens     %lld in %lld requests%s\nlayers     %lld\n"
        "experts    %lld, top-%lld%s\nscores     %.1f MB\n",
        path.c_str(), t.model.empty() ? "(not recorded)" : t.model.c_str(), kindOf(t).c_str(),
        moe::toString(t.scoreType), moe::toString(t.scoreKind), static_cast<long long>(t.tokens),
        static_cast<long long>(t.requestCount()), t.hasSteps() ? ", with recorded batch steps" : "",
        static_cast<long long>(t.layers), static_cast<long long>(t.experts), static_cast<long long>(t.topK),
        t.normTopkProb ? ", renormalised" : "", static_cast<double>(t.scoreBytes()) / 1e6);
    return 0;
}

int runConvert(const std::vector<std::string>& argv)
{
    const Args args(argv, { "help", "no-norm-topk", "skip-bad-lines" });
    if (args.has("help") || args.positionals().size() != 2) {
        std::printf("usage: deltascope-cli convert IN OUT.safetensors [--dtype F32|F16|BF16] [import options]\n\n%s",
            kImportHelp);
        return args.has("help") ? 0 : Error;
    }
    std::vector<std::string> known { "help", "dtype" };
    known.insert(known.end(), kImportNames.begin(), kImportNames.end());
    if (const auto u = args.unknown(known); !u.empty())
        return fail("unknown option " + u.front());
    const std::string in = args.positionals()[0];
    const std::string out = args.positionals()[1];
    if (in == out)
        return fail("IN and OUT are the same file; input files are never overwritten");
    std::string error;
    auto tr = openFromArgs(args, in, error);
    if (!tr.ok())
        return fail(tr.error->toString());
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
    const Args args(argv, { "help" });
    if (args.has("help") || args.positionals().size() != 1) {
        std::printf(
            "usage: deltascope-cli synth-trace OUT.safetensors [--requests R] [--tokens T] [--layers L] [--experts N]\n"
            "       [--top-k K] [--topic S] [--noise S] [--seed S] [--counts FILE] [--dtype F32|F16|BF16]\n\n"
            "A seeded synthetic dense trace. Expert popularity per layer comes from real expert load counts:\n"
            "OLMoE-1B-7B's on C4 by default (built in), or --counts FILE; layer l uses the counts' layer l mod\n"
            "their number of layers, resampled by rank to --experts. Each request has a topic per layer\n"
            "that its tokens share (--topic, default 1.0) on top of per-token noise (--noise, 1.0).\n"
            "--tokens is the mean number of tokens per request (default 128).\n");
        return args.has("help") ? 0 : Error;
    }
    if (const auto u = args.unknown({ "help", "requests", "tokens", "layers", "experts", "top-k", "topic", "noise",
            "seed", "counts", "dtype" });
        !u.empty())
        return fail("unknown option " + u.front());
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
    const double bytes = static_cast<double>(o.requests * o.tokensPerRequest * o.layers * o.experts) * 4.0;
    if (bytes > 64e9)
        return fail("that trace would take about " + formatDouble(bytes / 1e9) + " GB; ask for less");
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

namespace {

// Extra expert copies beyond one per expert.
int extraCopies(const moe::PolicyConfig& policy)
{
    int n = 0;
    for (const auto& r : policy.replicas)
        n += static_cast<int>(r.size());
    return n;
}

} // namespace

int runXShare(const std::vector<std::string>& argv)
{
    const Args args(argv, { "help", "per-slice", "no-norm-topk", "skip-bad-lines" });
    if (args.has("help")) {
        std::printf("%s\n%s", kXShareHelp, kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error());
    std::vector<std::string> known { "help", "policy", "budget", "budgets", "warmup", "batch-size", "gamma", "requests",
        "devices", "placement", "placement-counts", "replicas", "request-experts", "per-slice", "format", "output",
        "threads", "backend" };
    known.insert(known.end(), kImportNames.begin(), kImportNames.end());
    if (const auto u = args.unknown(known); !u.empty())
        return fail("unknown option " + u.front() + " (see deltascope-cli xshare --help)");
    if (args.positionals().size() != 1)
        return fail("xshare needs one TRACE (see deltascope-cli xshare --help)");
    const std::string path = args.positionals()[0];
    std::string error;

    moe::XShareOptions xo;
    if (!moe::parsePolicy(args.value("policy").value_or("batch"), xo.policy.policy))
        return fail("--policy must be topk, batch, ep or spec");
    auto smallInt
        = [&](const char* name, int& out, int lo, int hi) { return readInteger(args, name, out, lo, hi, error); };
    int threads = 0;
    int batchSize = 0;
    int gamma = 0;
    int replicas = 0;
    if (!smallInt("warmup", xo.policy.warmup, 0, 65536) || !smallInt("devices", xo.policy.devices, 1, 65536)
        || !smallInt("replicas", replicas, 0, 1 << 20)
        || !smallInt("request-experts", xo.policy.requestExperts, 1, 65536) || !smallInt("threads", threads, 1, 1024)
        || !smallInt("batch-size", batchSize, 1, 1 << 24) || !smallInt("gamma", gamma, 0, 1024))
        return fail(error);
    xo.threads = static_cast<unsigned>(threads);
    xo.perSlice = args.has("per-slice");

    auto tr = openFromArgs(args, path, error);
    if (!tr.ok())
        return fail(tr.error->toString());
    const moe::Trace& trace = *tr.value;
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    if (xo.policy.requestExperts > N)
        return fail("--request-experts exceeds the " + std::to_string(N) + " experts");

    // Budgets.
    std::string budgetText = args.value("budget").value_or(args.value("budgets").value_or("all"));
    if (args.has("budget") && args.has("budgets"))
        return fail("give --budget or --budgets, not both");
    if (budgetText == "all") {
        for (int m = k; m <= N; ++m)
            xo.budgets.push_back(m);
    } else {
        for (const auto& item : splitList({ budgetText })) {
            const auto m = toInteger("budget", item, error);
            if (!m)
                return fail(error);
            if (*m < k || *m > N)
                return fail(
                    "budget " + item + " is outside [k, N] = [" + std::to_string(k) + ", " + std::to_string(N) + "]");
            xo.budgets.push_back(static_cast<int>(*m));
        }
        if (xo.budgets.empty())
            return fail("--budgets names no budget");
    }

    // Placement.
    if (auto p = args.value("placement")) {
        if (*p == "balanced") {
            std::vector<double> load;
            if (auto c = args.value("placement-counts")) {
                auto counts = moe::loadExpertCounts(*c);
                if (!counts.ok())
                    return fail(counts.error->toString());
                if (counts.value->experts != N)
                    return fail(*c + " counts " + std::to_string(counts.value->experts) + " experts, the trace has "
                        + std::to_string(N));
                load = counts.value->perExpert();
            } else {
                load = moe::expertLoads(trace);
            }
            auto pl = moe::balancedPlacement(load, xo.policy.devices, replicas);
            xo.policy.placement = std::move(pl.device);
            xo.policy.replicas = std::move(pl.replicas);
        } else {
            if (args.has("replicas"))
                return fail("--replicas goes with --placement balanced (a placement file lists its copies)");
            auto pl = moe::loadPlacement(*p, N, xo.policy.devices);
            if (!pl.ok())
                return fail(pl.error->toString());
            xo.policy.placement = std::move(pl.value->device);
            xo.policy.replicas = std::move(pl.value->replicas);
        }
    } else if (args.has("replicas") || args.has("placement-counts")) {
        return fail("--replicas and --placement-counts go with --placement balanced");
    }

    moe::BatchingOptions bo;
    bo.replay = batchSize > 0 || !trace.hasSteps() || args.has("requests") || args.has("gamma");
    bo.batchSize = batchSize > 0 ? batchSize : 32;
    bo.gamma = gamma;
    for (const auto& r : splitList(args.values("requests"))) {
        const auto id = toInteger("requests", r, error);
        if (!id)
            return fail(error);
        bo.requests.push_back(static_cast<std::int32_t>(*id));
    }
    auto batches = moe::makeBatches(trace, bo);
    if (!batches.ok())
        return fail(path + ": " + batches.error->message);

    backend::BackendKind kind = backend::BackendKind::Auto;
    if (!backend::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return fail("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backend::makeBackend(kind, backendNote);
    if (!backendNote.empty())
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    xo.progress = stderrProgress(true, "xshare");
    auto run = compute->xshare(trace, *batches.value, xo);
    clearProgress(true);
    if (!run.ok())
        return fail(path + ": " + run.error->message);
    for (const auto& w : run.warnings)
        std::fprintf(stderr, "deltascope-cli: %s\n", w.message.c_str());
    const auto& res = *run.value;

    const std::string format = args.value("format").value_or("table");
    std::string text;
    if (format == "json") {
        nlohmann::ordered_json j;
        j["trace"]
            = { { "path", path }, { "tokens", trace.tokens }, { "layers", trace.layers }, { "experts", trace.experts },
                  { "top_k", trace.topK }, { "requests", trace.requestCount() }, { "kind", kindOf(trace) } };
        j["batching"] = { { "mode", batches.value->mode }, { "batch_size", batches.value->batchSize },
            { "gamma", batches.value->gamma }, { "batches", batches.value->tokens.size() } };
        j["backend"] = compute->name();
        j["policy"] = { { "name", moe::toString(xo.policy.policy) }, { "warmup", xo.policy.warmup },
            { "devices", xo.policy.devices }, { "replicas", extraCopies(xo.policy) },
            { "request_experts", xo.policy.requestExperts > 0 ? xo.policy.requestExperts : k } };
        auto results = nlohmann::ordered_json::array();
        for (const auto& r : res.results) {
            nlohmann::ordered_json o;
            o["budget"] = r.budget;
            o["activated_base"] = r.activatedBase;
            o["activated"] = r.activated;
            o["reduction"] = r.reduction;
            o["mass_retained"] = r.massRetained;
            o["topk_overlap"] = r.topkOverlap;
            o["unchanged_tokens"] = r.unchangedTokens;
            o["peak_device_load_base"] = r.peakDeviceLoadBase;
            o["peak_device_load"] = r.peakDeviceLoad;
            o["peak_device_tokens_base"] = r.peakDeviceTokensBase;
            o["peak_device_tokens"] = r.peakDeviceTokens;
            auto layers = nlohmann::ordered_json::array();
            for (const auto& l : r.perLayer)
                layers.push_back({ { "layer", l.layer }, { "activated_base_mean", l.activatedBaseMean },
                    { "activated_mean", l.activatedMean }, { "mass_retained", l.massRetained } });
            o["per_layer"] = std::move(layers);
            results.push_back(std::move(o));
        }
        j["results"] = std::move(results);
        if (xo.perSlice) {
            auto slices = nlohmann::ordered_json::array();
            for (const auto& s : res.slices)
                slices.push_back({ { "layer", s.layer }, { "batch", s.batch }, { "tokens", s.tokens },
                    { "activated_base", s.activatedBase }, { "activated", s.activated },
                    { "mass_retained", s.massRetained }, { "selected", s.selected } });
            j["slices"] = std::move(slices);
        }
        text = j.dump(2) + "\n";
    } else if (format == "csv") {
        text = "budget,activated_base,activated,reduction,mass_retained,topk_overlap,unchanged_tokens,peak_device_load_"
               "base,"
               "peak_device_load\n";
        char buf[512];
        for (const auto& r : res.results) {
            std::snprintf(buf, sizeof buf, "%d,%lld,%lld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", r.budget,
                static_cast<long long>(r.activatedBase), static_cast<long long>(r.activated), r.reduction,
                r.massRetained, r.topkOverlap, r.unchangedTokens, r.peakDeviceLoadBase, r.peakDeviceLoad);
            text += buf;
        }
    } else if (format == "table") {
        char buf[512];
        std::snprintf(buf, sizeof buf,
            "trace %s: %lld tokens, %lld layers, %lld experts, top-%lld (%s)\nbatches: %s, %zu batches of up to %lld "
            "tokens%s\n"
            "policy %s, warm-up %d, %d device(s); %lld slices\n\n",
            path.c_str(), static_cast<long long>(trace.tokens), static_cast<long long>(trace.layers),
            static_cast<long long>(N), static_cast<long long>(k), kindOf(trace).c_str(), batches.value->mode.c_str(),
            batches.value->tokens.size(), static_cast<long long>(batches.value->batchSize),
            batches.value->gamma ? (", gamma " + std::to_string(batches.value->gamma)).c_str() : "",
            moe::toString(xo.policy.policy), xo.policy.warmup, xo.policy.devices,
            static_cast<long long>(res.sliceCount));
        text += buf;
        text
            += "budget  experts/slice (top-k -> policy)  reduction  mass kept  top-k overlap  unchanged  peak/device\n";
        const double sl = res.sliceCount ? static_cast<double>(res.sliceCount) : 1.0;
        for (const auto& r : res.results) {
            std::snprintf(buf, sizeof buf,
                "%6d  %13.2f -> %-13.2f  %8.1f%%  %8.2f%%  %12.2f%%  %8.2f%%  %5.2f -> %.2f\n", r.budget,
                static_cast<double>(r.activatedBase) / sl, static_cast<double>(r.activated) / sl, 100.0 * r.reduction,
                100.0 * r.massRetained, 100.0 * r.topkOverlap, 100.0 * r.unchangedTokens, r.peakDeviceLoadBase,
                r.peakDeviceLoad);
            text += buf;
        }
    } else {
        return fail("--format must be table, json or csv");
    }
    return emit(text, args.value("output").value_or("")) ? 0 : Error;
}

} // namespace deltascope::cli
