// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The GPU's side of the slice code: what a launch reads (Job: the trace's scores, resident or a
// streamed chunk, the batches, the policy) and where a block adds its results (Outputs). The
// selection itself is core's host/device template (moe/slice/SelectSlice.h), the same code the CPU
// reference runs; runSlice() binds it to one slice of a job. It runs in a CUDA thread block
// (gpu/XShareKernels.cu) and sequentially on the host (the emulation the tests compare with the
// CPU backend on machines without a GPU).
//
// C++17, no standard library beyond a few C headers and <type_traits>: nvcc compiles this file.

#include "moe/slice/RowScoring.h"
#include "moe/slice/SelectSlice.h"

#include <cstdint>
#include <cstring>

namespace deltascope::gpu::slice {

using moe::slice::carve;
using moe::slice::HostBlock;
using moe::slice::Shape;
using moe::slice::Work;

/// The largest k (and warm-up width) a slice handles; larger ones run on the CPU backend.
constexpr int kMaxList = 32;

enum ScoreType : int { F32 = 0, F16 = 1, BF16 = 2 };
enum ScoreKind : int { Probs = moe::slice::kProbs, Logits = moe::slice::kLogits, Sigmoid = moe::slice::kSigmoid };
enum PolicyCode : int {
    TopK = moe::slice::kTopK,
    Batch = moe::slice::kBatch,
    ExpertParallel = moe::slice::kExpertParallel,
    Speculative = moe::slice::kSpeculative
};

/// Integer sums per budget (index into the budget list).
enum BudgetInt : int {
    kActivatedBase,
    kActivated,
    kOverlap,
    kUnchanged,
    kRouted,
    kPeakBase,
    kPeak,
    kPeakTokensBase,
    kPeakTokens,
    kBudgetInts
};

/// What a launch reads: the trace's scores (resident, or a streamed chunk of gathered token rows),
/// the batches, and the policy.
struct Job {
    const void* scores = nullptr; ///< dense [rows][layers][experts], sparse [rows][layers][topK]
    const std::int32_t* ids = nullptr; ///< sparse: [rows][layers][topK] expert ids (-1: none)
    int scoreType = F32;
    int scoreKind = Probs;
    int sparse = 0;
    int layers = 0;
    int experts = 0;
    int topK = 0;
    /// Slices are numbered batch-major: slice s is batch s / layers, layer s % layers.
    const std::int64_t* batchOffsets = nullptr; ///< [batches + 1] into the token lists
    /// Token t of batch b is row batchRows[batchOffsets[b] + t - rowsOffset] of `scores`; when
    /// batchRows is null, row batchOffsets[b] + t - rowsOffset (rows gathered in batch order).
    const std::int64_t* batchRows = nullptr;
    std::int64_t rowsOffset = 0;
    std::int64_t batches = 0; ///< batches of the whole run (for record indices)
    /// Speculative policy: per batch, the token positions grouped by request (ascending request id,
    /// then position): groupTokens[batchOffsets[b] ..] with groups [batchGroups[b], batchGroups[b+1])
    /// starting at groupStart[g] (absolute index into groupTokens).
    const std::int32_t* groupTokens = nullptr;
    const std::int64_t* groupStart = nullptr;
    const std::int64_t* batchGroups = nullptr;

    int policy = Batch;
    int warmup = 1;
    int requestExperts = 0; ///< m (0: k)
    int devices = 1; ///< G
    const std::int32_t* device = nullptr; ///< [experts] device of each expert
    const std::int32_t* replicaStart = nullptr; ///< [experts + 1] into replicaDevices; null: no copies
    const std::int32_t* replicaDevices = nullptr;
    const std::int32_t* budgets = nullptr;
    int budgetCount = 0;
    int sweep = 0; ///< every budget from one sweep per slice (nested policies without copies)
    int maps = 0; ///< fill the activation maps for the first budget
    int records = 0; ///< fill the per-slice records for the first budget
};

/// Where a block adds its results. The sums (everything but the records and the error) are one
/// block's own copy: a block writes them with plain additions, in slice order, and the copies are
/// added up afterwards in block order (reduceSums), so the totals are the same from run to run.
struct Outputs {
    unsigned long long* budgetInts = nullptr; ///< [budget][kBudgetInts]
    double* budgetMass = nullptr; ///< [budget][2]: baseline, policy
    unsigned long long* layerInts = nullptr; ///< [budget][layer][2]: activated baseline, policy
    double* layerMass = nullptr; ///< [budget][layer][2]
    unsigned long long* layerSlices = nullptr; ///< [layer]
    unsigned long long* mapBase = nullptr; ///< [layer][expert]
    unsigned long long* mapPolicy = nullptr;
    unsigned long long* deviceSums = nullptr; ///< [device][4]: active base, active, tokens base, tokens
    int* recordInts = nullptr; ///< [layer * batches + batch][2]: activated base, activated
    double* recordMass = nullptr; ///< [.][2]
    std::uint32_t* recordSelected = nullptr; ///< [.][words of experts]: selected set as bits
    /// [0]: set to 1 by the first bad score; [1..4]: the token's index in the batch token lists
    /// (batchOffsets), layer, expert, what (1 NaN, 2 infinite, 3 negative).
    long long* error = nullptr;
};

/// The sums of one block laid out in one buffer of 8-byte words: the integer arrays first, then the
/// doubles. Every block has its own copy, `words()` apart.
struct SumsLayout {
    std::int64_t budgets = 0, layers = 0, experts = 0, devices = 0;
    bool maps = false;
    DELTASCOPE_HD std::int64_t budgetInts() const { return 0; }
    DELTASCOPE_HD std::int64_t layerInts() const { return budgetInts() + budgets * kBudgetInts; }
    DELTASCOPE_HD std::int64_t layerSlices() const { return layerInts() + budgets * layers * 2; }
    DELTASCOPE_HD std::int64_t mapBase() const { return layerSlices() + layers; }
    DELTASCOPE_HD std::int64_t mapPolicy() const { return mapBase() + (maps ? layers * experts : 0); }
    DELTASCOPE_HD std::int64_t deviceSums() const { return mapPolicy() + (maps ? layers * experts : 0); }
    DELTASCOPE_HD std::int64_t intWords() const { return deviceSums() + (maps ? devices * 4 : 0); }
    DELTASCOPE_HD std::int64_t budgetMass() const { return intWords(); }
    DELTASCOPE_HD std::int64_t layerMass() const { return budgetMass() + budgets * 2; }
    DELTASCOPE_HD std::int64_t words() const { return layerMass() + budgets * layers * 2; }
};

/// Points the sums of `o` at block `block`'s copy in `base` (records and error stay shared).
DELTASCOPE_HD inline Outputs sumsOfBlock(Outputs o, const SumsLayout& s, unsigned long long* base, std::int64_t block)
{
    unsigned long long* b = base + block * s.words();
    o.budgetInts = b + s.budgetInts();
    o.layerInts = b + s.layerInts();
    o.layerSlices = b + s.layerSlices();
    o.mapBase = b + s.mapBase();
    o.mapPolicy = b + s.mapPolicy();
    o.deviceSums = b + s.deviceSums();
    o.budgetMass = reinterpret_cast<double*>(b + s.budgetMass());
    o.layerMass = reinterpret_cast<double*>(b + s.layerMass());
    return o;
}

/// Adds word i of every block's copy into block 0's, in block order (thread per word).
DELTASCOPE_HD inline void reduceSumsWord(
    const SumsLayout& s, unsigned long long* base, std::int64_t blocks, std::int64_t i)
{
    const std::int64_t stride = s.words();
    if (i < s.intWords()) {
        unsigned long long total = 0;
        for (std::int64_t b = 0; b < blocks; ++b)
            total += base[b * stride + i];
        base[i] = total;
    } else {
        double total = 0;
        for (std::int64_t b = 0; b < blocks; ++b) {
            double v;
            memcpy(&v, base + b * stride + i, sizeof v);
            total += v;
        }
        memcpy(base + i, &total, sizeof total);
    }
}

/// The first error wins; later ones are dropped.
DELTASCOPE_HD inline void reportError(
    long long* error, long long row, long long layer, long long expert, long long what)
{
#if defined(__CUDA_ARCH__)
    if (atomicCAS(reinterpret_cast<unsigned long long*>(error), 0ull, 1ull) != 0ull)
        return;
#else
    if (error[0] != 0)
        return;
    error[0] = 1;
#endif
    error[1] = row;
    error[2] = layer;
    error[3] = expert;
    error[4] = what;
}

DELTASCOPE_HD inline float rawScore(const Job& j, std::int64_t index)
{
    if (j.scoreType == F32)
        return static_cast<const float*>(j.scores)[index];
    const std::uint16_t v = static_cast<const std::uint16_t*>(j.scores)[index];
    return j.scoreType == BF16 ? moe::slice::bfloat16ToFloat(v) : moe::slice::halfToFloat(v);
}

/// The gating row of one token, scored as the CPU's Trace::gatingRow scores it.
DELTASCOPE_HD inline void makeRow(const Job& j, std::int64_t row, int layer, float* out)
{
    const int N = j.experts;
    if (!j.sparse) {
        const std::int64_t base = (row * j.layers + layer) * static_cast<std::int64_t>(N);
        for (int e = 0; e < N; ++e)
            out[e] = rawScore(j, base + e);
    } else {
        const float unknown = moe::slice::unknownScore();
        for (int e = 0; e < N; ++e)
            out[e] = unknown;
        const std::int64_t base = (row * j.layers + layer) * static_cast<std::int64_t>(j.topK);
        for (int q = 0; q < j.topK; ++q) {
            const std::int32_t id = j.ids[base + q];
            if (id >= 0 && id < N)
                out[id] = rawScore(j, base + q);
        }
    }
    moe::slice::scoreRow(out, N, j.scoreKind);
}

/// The rows of one slice: read in place (fp32 probabilities) or made from the recorded outputs.
struct JobRows {
    const Job* j;
    std::int64_t first; ///< the slice's first entry in the batch token lists
    int layer;
    DELTASCOPE_HD const float* operator()(int t, float* room) const
    {
        const std::int64_t at = first + t - j->rowsOffset;
        const std::int64_t row = j->batchRows ? j->batchRows[at] : at;
        if (!j->sparse && j->scoreType == F32 && j->scoreKind == Probs)
            return static_cast<const float*>(j->scores)
                + (row * j->layers + layer) * static_cast<std::int64_t>(j->experts);
        makeRow(*j, row, layer, room);
        return room;
    }
};

/// Adds a slice's results to a block's sums, records and maps.
struct JobSink {
    const Job* j;
    const Outputs* out;
    std::int64_t first;
    std::int64_t record; ///< layer * batches + batch
    int layer;

    DELTASCOPE_HD void bad(int t, int e, int what) { reportError(out->error, first + t, layer, e, what); }

    /// One thread per budget: distinct words.
    DELTASCOPE_HD void budget(int bi, const moe::slice::BudgetSums& s)
    {
        using U = unsigned long long;
        U* v = out->budgetInts + bi * kBudgetInts;
        v[kActivatedBase] += static_cast<U>(s.activatedBase);
        v[kActivated] += static_cast<U>(s.activated);
        v[kOverlap] += static_cast<U>(s.overlap);
        v[kUnchanged] += static_cast<U>(s.unchanged);
        v[kRouted] += static_cast<U>(s.routed);
        v[kPeakBase] += static_cast<U>(s.peakBase);
        v[kPeak] += static_cast<U>(s.peak);
        v[kPeakTokensBase] += static_cast<U>(s.peakTokensBase);
        v[kPeakTokens] += static_cast<U>(s.peakTokens);
        out->budgetMass[bi * 2] += s.massBase;
        out->budgetMass[bi * 2 + 1] += s.mass;
        const std::int64_t li = (static_cast<std::int64_t>(bi) * j->layers + layer) * 2;
        out->layerInts[li] += static_cast<U>(s.activatedBase);
        out->layerInts[li + 1] += static_cast<U>(s.activated);
        out->layerMass[li] += s.massBase;
        out->layerMass[li + 1] += s.mass;
        if (bi == 0 && j->records) {
            out->recordInts[record * 2] = s.activatedBase;
            out->recordInts[record * 2 + 1] = s.activated;
            out->recordMass[record * 2] = s.massBase;
            out->recordMass[record * 2 + 1] = s.mass;
        }
    }

    DELTASCOPE_HD void selection(int tid, int n, const Work& w)
    {
        const int N = j->experts;
        const int words = (N + 31) / 32;
        for (int q = tid; q < words; q += n) {
            std::uint32_t bits = 0;
            for (int e = q * 32; e < N && e < q * 32 + 32; ++e)
                bits |= (w.selected[e] ? 1u : 0u) << (e - q * 32);
            out->recordSelected[record * words + q] = bits;
        }
    }

    /// Activity per device (the placed device of each expert), as the CPU's maps count it.
    DELTASCOPE_HD void activity(int e, int baseCount, int used)
    {
        const int d = j->device[e];
        const std::int64_t at = static_cast<std::int64_t>(layer) * j->experts + e;
        if (baseCount > 0) {
            out->mapBase[at] += 1;
            moe::slice::addU64(out->deviceSums + d * 4, 1);
            moe::slice::addU64(out->deviceSums + d * 4 + 2, baseCount);
        }
        if (used > 0) {
            out->mapPolicy[at] += 1;
            moe::slice::addU64(out->deviceSums + d * 4 + 1, 1);
            moe::slice::addU64(out->deviceSums + d * 4 + 3, used);
        }
    }

    /// A slice without a routed token is not counted (DESIGN 4.4).
    DELTASCOPE_HD void done(bool counted)
    {
        if (counted)
            out->layerSlices[layer] += 1;
    }
};

/// Runs slice `s` (batch-major numbering) of the job with executor x.
template <class X>
DELTASCOPE_HD void runSlice(const X& x, const Job& j, const Outputs& out, const Work& w, std::int64_t s)
{
    const std::int64_t batch = s / j.layers;
    const int layer = static_cast<int>(s % j.layers);
    const std::int64_t first = j.batchOffsets[batch];
    moe::slice::SliceView v;
    v.tokens = static_cast<int>(j.batchOffsets[batch + 1] - first);
    v.experts = j.experts;
    v.topK = j.topK;
    v.sparse = j.sparse != 0;
    v.policy = j.policy;
    v.warmup = j.warmup;
    v.requestExperts = j.requestExperts;
    v.devices = j.devices;
    v.device = j.device;
    v.replicaStart = j.replicaStart;
    v.replicaDevices = j.replicaDevices;
    v.budgets = j.budgets;
    v.budgetCount = j.budgetCount;
    v.sweep = j.sweep != 0;
    v.records = j.records != 0;
    v.activity = j.maps != 0;
    if (j.policy == Speculative) {
        v.groupTokens = j.groupTokens;
        v.groupStart = j.groupStart;
        v.groupFirst = j.batchGroups[batch];
        v.groupLast = j.batchGroups[batch + 1];
    }
    const JobRows rows { &j, first, layer };
    JobSink sink { &j, &out, first, static_cast<std::int64_t>(layer) * j.batches + batch, layer };
    moe::slice::selectSlice<kMaxList>(x, v, w, rows, sink);
}

} // namespace deltascope::gpu::slice
