// SPDX-License-Identifier: GPL-3.0-or-later
#include "TraceArgs.h"

#include "Commands.h"
#include "Wording.h"

#include <cstdio>

namespace deltascope::cli {

const char* const kImportHelp
    = R"(trace inputs: a native .safetensors trace, a dense .npy array [tokens, layers, experts], or
per-token-layer JSONL router records (key names detected), including route logs written from
inside vLLM (a "type": "meta" record, then "type": "route" records): there every restart of
token_idx is a new forward pass, and the passes are the trace's recorded batches (xshare
--batching recorded replays what vLLM ran). Import options:
  --top-k K                the model's k (needed for .npy)
  --experts N              number of experts (default: the largest id + 1)
  --score-kind probs|logits|sigmoid   how recorded values become scores (default probs)
  --no-norm-topk           the model does not renormalise its top-k weights
  --model NAME
  --request-key, --layer-key, --token-key, --experts-key, --scores-key, --step-key NAME
                           JSONL key names (default: detected)
  --tokens-per-request R   .npy only: group consecutive tokens into requests of R
  --skip-bad-lines         JSONL only: report malformed records as warnings and go on
  --split-runs             JSONL only: a file holding several captures appended one after the
                           other is refused at the first repeated (request, token, layer), or at
                           a second vLLM meta record; with this flag each repeat starts a new
                           run instead, and a run's requests (and steps) are numbered after the
                           previous run's, so runs never share a request
  --keep-warmup-passes     vLLM route logs only: keep the passes that route every token alike at
                           every layer (vLLM's profiling and warm-up runs on dummy input), which
                           are otherwise left out with a note
)";

const std::vector<std::string> kImportValued { "top-k", "experts", "score-kind", "model", "request-key", "layer-key",
    "token-key", "experts-key", "scores-key", "step-key", "tokens-per-request" };
const std::vector<std::string> kImportFlags { "no-norm-topk", "skip-bad-lines", "split-runs", "keep-warmup-passes" };

int fail(const std::string& m)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", cliWording(m).c_str());
    return Error;
}

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
    o.splitRuns = args.has("split-runs");
    o.keepUniformPasses = args.has("keep-warmup-passes");
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
        std::fprintf(stderr, "%s\n", cliText(w).c_str());
    return r;
}

std::string kindOf(const moe::Trace& t)
{
    return t.sparse ? "sparse" : "dense";
}

} // namespace deltascope::cli
