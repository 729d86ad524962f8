// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/MappedFile.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deltascope::moe {

enum class ScoreType { F32, F16, BF16 };

/// How the recorded router outputs become gating scores.
enum class ScoreKind { Probs, Logits, Sigmoid };

const char* toString(ScoreType t);
const char* toString(ScoreKind k);

/// The most experts per layer a trace may have. Real models have up to a few hundred; the views
/// keep per-expert-pair tables (co-activation), so a header claiming millions is refused instead
/// of allocated.
constexpr std::int64_t kMaxExperts = 4096;

/// Why a trace's expert count is refused, or an empty string.
std::string expertCountProblem(std::int64_t experts);

/// An expert id that appears more than once among one token's k routed experts (a router picks
/// each expert once; a repeat would count its gating mass twice), or -1. Ids of -1 (missing
/// records) are not compared.
std::int32_t repeatedExpert(const std::int32_t* ids, std::int64_t k);

/// Router outputs of an MoE model over generated tokens: per token and MoE layer, either dense
/// scores over all experts or the top-k expert ids with their scores. Dense scores may stay in a
/// memory-mapped file; everything else is small and owned.
class Trace {
public:
    std::int64_t tokens = 0;
    std::int64_t layers = 0;
    std::int64_t experts = 0; ///< N
    std::int64_t topK = 0; ///< k of the model
    bool sparse = false;
    ScoreType scoreType = ScoreType::F32;
    ScoreKind scoreKind = ScoreKind::Probs;
    bool normTopkProb = true;
    std::string model;
    std::vector<int> layerIds; ///< model layer index of each MoE layer (empty: 0..layers-1)
    std::vector<std::int32_t> requestId; ///< [tokens]
    std::vector<std::int32_t> stepId; ///< [tokens] or empty when not recorded
    /// Passes of a vLLM route log that the importer left out as warm-up runs, and their tokens.
    std::int64_t warmupPassesLeftOut = 0;
    std::int64_t warmupTokensLeftOut = 0;

    /// Dense: [tokens, layers, experts] of scoreType. Sparse: [tokens, layers, topK] of scoreType.
    const void* scores = nullptr;
    /// Sparse only: [tokens, layers, topK] expert ids; -1 marks a missing record.
    const std::int32_t* topkIds = nullptr;

    /// Keeps what scores / topkIds point into alive.
    std::shared_ptr<const MappedFile> mapping;
    std::shared_ptr<const std::vector<std::uint8_t>> ownedScores;
    std::shared_ptr<const std::vector<std::int32_t>> ownedIds;

    std::size_t scoreBytes() const;
    std::int64_t requestCount() const;
    bool hasSteps() const { return !stepId.empty(); }

    /// Gating scores of token t at layer l over all experts (the model's scoring applied: softmax
    /// of logits, sigmoid, or the probabilities as recorded). Unknown experts of a sparse trace get
    /// -infinity. out must hold `experts` floats.
    void gatingRow(std::int64_t t, std::int64_t l, float* out) const;

    /// Score as stored, converted to float.
    float rawScore(std::size_t index) const;
};

/// Creates a trace owning its arrays (importers, generator, tests).
Trace makeOwnedTrace(std::int64_t tokens, std::int64_t layers, std::int64_t experts, std::int64_t topK, bool sparse,
    std::vector<float> scores, std::vector<std::int32_t> ids, std::vector<std::int32_t> requestId);

/// bfloat16 / float16 conversions.
float bf16ToFloat(std::uint16_t v);
float f16ToFloat(std::uint16_t v);
std::uint16_t floatToBf16(float v);
std::uint16_t floatToF16(float v);

} // namespace deltascope::moe
