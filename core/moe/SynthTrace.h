// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Trace.h"
#include "moe/TraceImport.h"

#include <cstdint>

namespace deltascope::moe {

/// A synthetic dense router trace. Per layer, experts have a popularity (from real expert-load
/// counts when given, else a seeded Zipf-like profile); every request has its own topic: a
/// per-layer preference over experts shared by all its tokens, so tokens of one request share
/// experts more than tokens of different requests. Token logits are
///   log popularity(l, e) + topic * z(r, l, e) + noise * eps(t, l, e),  z, eps ~ N(0, 1)
/// and scores are their softmax. Deterministic for a seed on every platform.
struct SynthOptions {
    std::int64_t requests = 64;
    std::int64_t tokensPerRequest = 128; ///< mean; each request draws from [mean/2, 3 mean/2]
    std::int64_t layers = 16;
    std::int64_t experts = 64;
    std::int64_t topK = 8;
    double topic = 1.0;
    double noise = 1.0;
    std::uint64_t seed = 1;
    const ExpertCounts* popularity = nullptr; ///< layer l uses counts layer l mod counts.layers
    bool normTopkProb = false;
};

Trace makeSyntheticTrace(const SynthOptions& options);

/// OLMoE-1B-7B's expert counts on C4 (layers 0, 7, 15; 64 experts), built into the program: the
/// default popularity of synthetic traces.
const ExpertCounts& builtinOlmoeCounts();

} // namespace deltascope::moe
