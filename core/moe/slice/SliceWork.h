// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What one slice computation reads (SliceView) and the working memory it uses (Work, carved from
// one caller-owned buffer), shared by the host and the CUDA kernels. C++17; nvcc compiles this file.

#include "moe/slice/HostDevice.h"

#include <cstddef>
#include <type_traits>

namespace deltascope::moe::slice {

enum PolicyCode : int { kTopK = 0, kBatch = 1, kExpertParallel = 2, kSpeculative = 3 };

/// One (layer, batch) slice and the policy to run on it.
struct SliceView {
    int tokens = 0; ///< T
    int experts = 0; ///< N
    int topK = 0; ///< k
    bool sparse = false; ///< -infinity marks an unknown score (otherwise it is a bad score)

    int policy = kBatch;
    int warmup = 1; ///< w (batch and expert-parallel policies; 0 disables)
    int requestExperts = 0; ///< m of the speculative policy (0: k)
    int devices = 1; ///< G: devices of the placement, and the expert-parallel capacity ceil(M / G)
    const std::int32_t* device = nullptr; ///< [experts] placed device of each expert
    const std::int32_t* replicaStart = nullptr; ///< [experts + 1] into replicaDevices; null: no copies
    const std::int32_t* replicaDevices = nullptr;

    const std::int32_t* budgets = nullptr;
    int budgetCount = 0;
    bool sweep = false; ///< every budget from one pass (nested orders, no copies)
    bool records = false; ///< hand the selected set of the first budget to the sink
    bool activity = false; ///< hand each expert's token counts of the first budget to the sink

    /// Speculative policy: token positions grouped by request (ascending request id, then position);
    /// groups [groupFirst, groupLast) start at groupStart[g], an index into groupTokens.
    const std::int32_t* groupTokens = nullptr;
    const std::int64_t* groupStart = nullptr;
    std::int64_t groupFirst = 0;
    std::int64_t groupLast = 0;
};

/// Per-slice working memory, carved from one buffer by carve().
struct Work {
    const float** rowPtr; ///< [tokens] each token's gating row
    float* rows; ///< [tokens][experts] rows made by the row source when it needs room
    std::int32_t* topIds; ///< [tokens][list] baseline list, best first
    float* topScores;
    std::int32_t* kOf; ///< [tokens] how many experts the token routes to
    double* tokMass; ///< [tokens] baseline top-k mass
    double* tokKept; ///< [tokens] kept mass under the policy
    std::int32_t* tokOverlap; ///< [tokens]
    double* utility; ///< [experts]
    double* requestUtility; ///< [experts]
    double* batchUtility; ///< [experts]
    std::int32_t* rank; ///< [experts] position in the priority order
    std::int32_t* order; ///< [experts]
    std::int32_t* baseCount; ///< [experts] tokens whose top-k holds the expert
    std::int32_t* used; ///< [experts] tokens routed to the expert under the policy
    std::int32_t* maxEnd; ///< [experts] sweep: first budget at which no token keeps the expert
    std::uint8_t* warm; ///< [experts]
    std::uint8_t* selected; ///< [experts]
    std::uint8_t* seen; ///< [experts]
    std::uint8_t* inUnion; ///< [experts]
    std::uint8_t* keep; ///< [tokens][experts] speculative: each request group's kept experts
    double* massDiff; ///< [experts + 2]
    std::int32_t* overlapDiff; ///< [experts + 2]
    std::int32_t* unchangedDiff; ///< [experts + 2]
    std::int32_t* deviceActive; ///< [experts + 2][devices]
    std::int32_t* deviceTokens; ///< [experts + 2][devices]
    std::int32_t* peakA; ///< [devices]
    std::int32_t* peakB; ///< [devices]
    std::int32_t* uniform; ///< [kUniforms] values every thread reads after a phase
    double* uniformD; ///< [4]
};

/// Entries of Work::uniform.
enum Uniform : int {
    uUnion = 0,
    uActivatedBase,
    uRouted,
    uPeakBase,
    uPeakTokensBase,
    uBad,
    uActivated,
    uOverlap,
    uUnchanged,
    kUniforms = 10
};

struct Shape {
    int maxTokens = 0;
    int experts = 0;
    int list = 0; ///< baseline list length: max(k, warm-up)
    int devices = 1;
};

DELTASCOPE_HD inline std::size_t alignUp(std::size_t x)
{
    return (x + 15) & ~static_cast<std::size_t>(15);
}

/// Carves the working memory of one slice from `base` (16-byte aligned); returns the bytes used.
/// With base null it only counts.
DELTASCOPE_HD inline std::size_t carve(char* base, const Shape& s, Work& w)
{
    std::size_t at = 0;
    const auto T = static_cast<std::size_t>(s.maxTokens > 0 ? s.maxTokens : 1);
    const auto N = static_cast<std::size_t>(s.experts);
    const auto K = static_cast<std::size_t>(s.list > 0 ? s.list : 1);
    const auto G = static_cast<std::size_t>(s.devices > 0 ? s.devices : 1);
    auto take = [&](auto*& p, std::size_t count) {
        using P = typename std::remove_reference<decltype(*p)>::type;
        p = base ? reinterpret_cast<P*>(base + at) : nullptr;
        at = alignUp(at + count * sizeof(P));
    };
    take(w.rowPtr, T);
    take(w.rows, T * N);
    take(w.topIds, T * K);
    take(w.topScores, T * K);
    take(w.kOf, T);
    take(w.tokMass, T);
    take(w.tokKept, T);
    take(w.tokOverlap, T);
    take(w.utility, N);
    take(w.requestUtility, N);
    take(w.batchUtility, N);
    take(w.rank, N);
    take(w.order, N);
    take(w.baseCount, N);
    take(w.used, N);
    take(w.maxEnd, N);
    take(w.warm, N);
    take(w.selected, N);
    take(w.seen, N);
    take(w.inUnion, N);
    take(w.keep, T * N);
    take(w.massDiff, N + 2);
    take(w.overlapDiff, N + 2);
    take(w.unchangedDiff, N + 2);
    take(w.deviceActive, (N + 2) * G);
    take(w.deviceTokens, (N + 2) * G);
    take(w.peakA, G);
    take(w.peakB, G);
    take(w.uniform, kUniforms);
    take(w.uniformD, 4);
    return at;
}

/// One budget's sums over the slice, handed to the sink.
struct BudgetSums {
    int activatedBase = 0;
    int activated = 0;
    double massBase = 0.0;
    double mass = 0.0;
    int overlap = 0;
    int unchanged = 0;
    int routed = 0;
    int peakBase = 0;
    int peak = 0;
    int peakTokensBase = 0;
    int peakTokens = 0;
};

} // namespace deltascope::moe::slice
