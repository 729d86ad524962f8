// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "moe/Trace.h"
#include "moe/TraceImport.h"

#include <string>
#include <string_view>

namespace deltascope::moe {

/// True when the first non-blank line of text is a vLLM route-log meta record: a JSON object with
/// "type": "meta" (what a logger hooked into vLLM's FusedMoE expert selection writes first), or a
/// route record ("type": "route" with "topk_ids") of a log that lost its meta record.
bool isVllmRouteLog(std::string_view text);

/// Router decisions logged from inside vLLM: a meta record (`type: meta` with `model_id`, `top_k`,
/// optional `num_experts` and `layers_logged`), then one `type: route` record per token and layer
/// with `req_id`, `token_idx`, `layer`, `topk_ids` and `topk_weights`.
///
/// `token_idx` is the row inside one forward pass and starts again with every pass, so a record
/// whose layer was already seen in the current pass with the same or a later token_idx begins the
/// next pass. The passes become the trace's recorded steps (step id = pass number, from 0), and a
/// token is (pass, token_idx). Model, k and the number of experts come from the meta record
/// (options.experts, or the largest id + 1 with a warning, when it names none); layers are those
/// logged. The weights are the ones vLLM applied: when they do not sum to 1 the model does not
/// renormalise its top-k (the trace says so). A second meta record means two logs were appended:
/// refused with its line unless options.splitRuns, which makes it a new run (passes and requests
/// numbered after the previous run's). Passes of more than one token that route every token alike
/// at every layer (vLLM's profiling and warm-up runs on dummy input) are left out with a note,
/// unless options.keepUniformPasses or every pass is so; the requests left are numbered from 0.
/// Every malformed record is an error with its line (or a warning with options.skipBadLines).
Result<Trace> importVllmRoutes(const std::string& path, const TraceImportOptions& options);

/// The same for text already in memory (path is used in messages).
Result<Trace> parseVllmRoutes(std::string_view text, const std::string& path, const TraceImportOptions& options);

} // namespace deltascope::moe
