// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "moe/Trace.h"
#include "moe/TraceImport.h"

#include <string>

namespace deltascope::moe {

/// Megatron-Core router traces: `router_trace_rank{N}.jsonl` files (one record per step, block and
/// layer with `num_tokens`, `topk` and `top_indices`), read from a folder or one file. Each step
/// is a recorded batch (its tokens, in record order, become trace tokens with their step id).
/// With the `logits_rank{N}.bin` sidecar (bf16 `[num_tokens, num_experts]` at each record's
/// `logit_offset`) the trace is dense logits; without it the trace is sparse and every routed
/// expert weighs 1/k, since the records hold no scores. The records name no requests: a token's
/// request is its position within its step. Records replicated on several ranks (identical
/// decisions for the same step and layer) are read once; MTP records are skipped.
Result<Trace> importMegatronTrace(const std::string& path, const TraceImportOptions& options);

/// True when path is a Megatron trace file or a folder holding router_trace_rank*.jsonl files.
bool isMegatronTrace(const std::string& path);

} // namespace deltascope::moe
