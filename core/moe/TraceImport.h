// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/Trace.h"

#include <string>
#include <vector>

namespace deltascope::moe {

/// Key names of per-token-layer JSONL router records; empty means "detect": the first of
/// problem_id / request_id / req_id / seq_id, layer / layer_id, token_idx / token_id / position,
/// experts / expert_ids / topk_ids, gating_probs / scores / topk_scores / weights / probs.
struct JsonlTraceKeys {
    std::string request;
    std::string layer;
    std::string token;
    std::string experts;
    std::string scores;
    std::string step; ///< optional recorded batch step
};

struct TraceImportOptions {
    JsonlTraceKeys keys;
    std::int64_t experts = 0; ///< N; 0: the largest expert id + 1 (or the file's own shape)
    ScoreKind scoreKind = ScoreKind::Probs;
    bool normTopkProb = true;
    std::string model;
    std::int64_t tokensPerRequest = 1; ///< .npy arrays carry no request ids
    bool skipBadLines = false;
    /// A record that repeats a (request, token, layer) already read, or a second vLLM meta record,
    /// means two captures were appended to one file. false: the file is refused at that line.
    /// true: each repeat starts a new run; a run's requests (and steps) are numbered after the
    /// previous run's, so runs never share a request.
    bool splitRuns = false;
    /// vLLM route logs: passes that route every token alike at every layer (profiling and warm-up
    /// runs on dummy input) are left out unless this is set.
    bool keepUniformPasses = false;
    Progress progress; ///< fraction of the file read (JSONL records); returning false cancels
};

/// Per-token-layer JSONL records (one line per request, layer and generated token with the top-k
/// expert ids and scores), e.g. a router capture inside a serving engine. Tokens are ordered by
/// request, then token index; a (token, layer) without a record is marked missing. A repeated
/// (request, token, layer) is refused with its line unless options.splitRuns. A file whose first
/// record is a vLLM route-log meta record is read by importVllmRoutes (moe/VllmRoutes.h).
Result<Trace> importJsonlTrace(const std::string& path, const TraceImportOptions& options);

/// Whether text starting a JSONL file holds router records (a layer key and an experts key in its
/// first record) or a vLLM route log: a trace for the expert view, not evaluation results.
bool looksLikeRouterRecords(std::string_view head);

/// A dense NumPy array [tokens, layers, experts] or [tokens, experts] of float32 or float16.
Result<Trace> importNpyTrace(const std::string& path, std::int64_t topK, const TraceImportOptions& options);

/// Opens any supported trace: native .safetensors, .npy, or JSONL records.
Result<Trace> openTrace(const std::string& path, std::int64_t topK, const TraceImportOptions& options);

/// Expert load counts (for heatmaps and placement, not for selection).
struct ExpertCounts {
    std::int64_t layers = 0;
    std::int64_t experts = 0;
    std::vector<int> layerIds;
    std::vector<double> counts; ///< [layers][experts]

    double at(std::int64_t layer, std::int64_t expert) const
    {
        return counts[static_cast<std::size_t>(layer * experts + expert)];
    }
    /// Each expert's count summed over the layers: the load a placement balances.
    std::vector<double> perExpert() const;
};

/// CSV `layer_id,expert_id,count` (SGLang's expert distribution) or JSON with `logical_count`
/// ([layers][experts], or [steps][layers][experts] which is summed over steps).
Result<ExpertCounts> loadExpertCounts(const std::string& path);

/// The same for text already in memory (name is used in messages).
Result<ExpertCounts> parseExpertCounts(std::string_view text, const std::string& name);

} // namespace deltascope::moe
