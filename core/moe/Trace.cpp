// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/Trace.h"

#include "moe/slice/RowScoring.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace deltascope::moe {

const char* toString(ScoreType t)
{
    switch (t) {
    case ScoreType::F32:
        return "F32";
    case ScoreType::F16:
        return "F16";
    case ScoreType::BF16:
        return "BF16";
    }
    return "?";
}

const char* toString(ScoreKind k)
{
    switch (k) {
    case ScoreKind::Probs:
        return "probs";
    case ScoreKind::Logits:
        return "logits";
    case ScoreKind::Sigmoid:
        return "sigmoid";
    }
    return "?";
}

float bf16ToFloat(std::uint16_t v)
{
    return slice::bfloat16ToFloat(v);
}

std::uint16_t floatToBf16(float v)
{
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if (std::isnan(v))
        return 0x7fc0;
    // Round to nearest even.
    bits += 0x7fff + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}

float f16ToFloat(std::uint16_t h)
{
    return slice::halfToFloat(h);
}

std::uint16_t floatToF16(float v)
{
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    const std::uint32_t sign = (bits >> 16) & 0x8000u;
    if (std::isnan(v))
        return static_cast<std::uint16_t>(sign | 0x7e00u);
    const float a = std::fabs(v);
    if (a >= 65520.0f)
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    if (a < std::ldexp(1.0f, -24))
        return static_cast<std::uint16_t>(sign);
    int e = 0;
    std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
    if (e < -13) { // subnormal
        const auto m = static_cast<std::uint32_t>(std::nearbyint(std::ldexp(a, 24)));
        return static_cast<std::uint16_t>(sign | m);
    }
    auto m = static_cast<std::uint32_t>(std::nearbyint(std::ldexp(a, 11 - e))); // 11 bits incl. hidden
    int exp = e + 14;
    if (m >= 2048u) {
        m >>= 1;
        ++exp;
    }
    if (exp >= 31)
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp) << 10) | (m & 0x3ffu));
}

std::size_t Trace::scoreBytes() const
{
    const std::size_t per = scoreType == ScoreType::F32 ? 4 : 2;
    return static_cast<std::size_t>(tokens * layers * (sparse ? topK : experts)) * per;
}

std::int64_t Trace::requestCount() const
{
    std::unordered_set<std::int32_t> s(requestId.begin(), requestId.end());
    return static_cast<std::int64_t>(s.size());
}

float Trace::rawScore(std::size_t index) const
{
    switch (scoreType) {
    case ScoreType::F32:
        return static_cast<const float*>(scores)[index];
    case ScoreType::F16:
        return f16ToFloat(static_cast<const std::uint16_t*>(scores)[index]);
    case ScoreType::BF16:
        return bf16ToFloat(static_cast<const std::uint16_t*>(scores)[index]);
    }
    return 0.0f;
}

void Trace::gatingRow(std::int64_t t, std::int64_t l, float* out) const
{
    const auto n = static_cast<std::size_t>(experts);
    constexpr float unknown = -std::numeric_limits<float>::infinity();
    if (!sparse) {
        const std::size_t base = static_cast<std::size_t>((t * layers + l) * experts);
        if (scoreType == ScoreType::F32)
            std::memcpy(out, static_cast<const float*>(scores) + base, n * sizeof(float));
        else
            for (std::size_t e = 0; e < n; ++e)
                out[e] = rawScore(base + e);
    } else {
        std::fill(out, out + n, unknown);
        const std::size_t base = static_cast<std::size_t>((t * layers + l) * topK);
        for (std::int64_t j = 0; j < topK; ++j) {
            const std::int32_t id = topkIds[base + static_cast<std::size_t>(j)];
            if (id >= 0 && id < experts)
                out[id] = rawScore(base + static_cast<std::size_t>(j));
        }
    }
    // The scoring the CUDA kernels apply too: one definition for both.
    slice::scoreRow(out, static_cast<int>(experts),
        scoreKind == ScoreKind::Logits ? slice::kLogits
                                       : (scoreKind == ScoreKind::Sigmoid ? slice::kSigmoid : slice::kProbs));
}

std::string expertCountProblem(std::int64_t experts)
{
    if (experts <= kMaxExperts)
        return {};
    return std::to_string(experts) + " experts per layer: more than the " + std::to_string(kMaxExperts)
        + " a trace may have (is num_experts right?)";
}

std::int32_t repeatedExpert(const std::int32_t* ids, std::int64_t k)
{
    if (k <= 64) {
        for (std::int64_t i = 1; i < k; ++i)
            for (std::int64_t j = 0; j < i; ++j)
                if (ids[i] == ids[j] && ids[i] >= 0)
                    return ids[i];
        return -1;
    }
    std::vector<std::int32_t> sorted(ids, ids + k);
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i] == sorted[i - 1] && sorted[i] >= 0)
            return sorted[i];
    return -1;
}

Trace makeOwnedTrace(std::int64_t tokens, std::int64_t layers, std::int64_t experts, std::int64_t topK, bool sparse,
    std::vector<float> scores, std::vector<std::int32_t> ids, std::vector<std::int32_t> requestId)
{
    Trace tr;
    tr.tokens = tokens;
    tr.layers = layers;
    tr.experts = experts;
    tr.topK = topK;
    tr.sparse = sparse;
    tr.scoreType = ScoreType::F32;
    auto bytes = std::make_shared<std::vector<std::uint8_t>>(scores.size() * sizeof(float));
    std::memcpy(bytes->data(), scores.data(), bytes->size());
    tr.ownedScores = bytes;
    tr.scores = bytes->data();
    if (sparse) {
        auto owned = std::make_shared<std::vector<std::int32_t>>(std::move(ids));
        tr.ownedIds = owned;
        tr.topkIds = owned->data();
    }
    tr.requestId = std::move(requestId);
    return tr;
}

} // namespace deltascope::moe
