// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a GPU XShare run needs besides the scores, prepared on the host: the batches as flat
// arrays, the request groups of the speculative policy, the device map, the budgets, and the size
// of every output and of each block's working memory. The same plan drives the CUDA kernels and
// the sequential host emulation of them (emulateXShare), which the tests compare with the CPU
// backend on machines without a GPU.

#include "XShareSlice.h"
#include "common/Diagnostic.h"
#include "moe/XShareRun.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::gpu {

struct XSharePlan {
    slice::Job job; ///< pointers left null: bind them to host or device copies of the arrays below
    slice::Shape shape;
    slice::SumsLayout sums; ///< one block's sums
    std::int64_t slices = 0;
    int words = 0; ///< 32-bit words of one selected set
    bool sweepOnCpu = false; ///< the CPU backend would sweep (several budgets of a nested policy, no maps)

    std::vector<std::int64_t> batchOffsets; ///< [batches + 1]
    std::vector<std::int64_t> batchRows; ///< token ids, batch after batch
    std::vector<std::int32_t> groupTokens; ///< positions in the batch, grouped by request
    std::vector<std::int64_t> groupStart; ///< [groups + 1]
    std::vector<std::int64_t> batchGroups; ///< [batches + 1]
    std::vector<std::int32_t> device; ///< [experts]
    std::vector<std::int32_t> replicaStart; ///< [experts + 1], empty without copies
    std::vector<std::int32_t> replicaDevices;
    std::vector<std::int32_t> budgets;
};

/// Why the device cannot run this (k or the warm-up width beyond slice::kMaxList, a trace
/// without scores), or empty when it can.
std::string gpuUnsupported(const moe::Trace& trace, const moe::XShareOptions& options);

/// The plan of a run; options must have passed moe::checkXShareOptions.
XSharePlan makePlan(const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options);

/// Output arrays of a run on the host: the per-block sums (after reduceSums, block 0 holds the
/// totals), the per-slice records and the error.
struct HostOutputs {
    slice::SumsLayout layout;
    std::int64_t blocks = 1;
    std::vector<unsigned long long> sums; ///< [blocks][layout.words()]
    std::vector<double> recordMass;
    std::vector<int> recordInts;
    std::vector<std::uint32_t> recordSelected;
    std::vector<long long> error;

    void size(const XSharePlan& plan, std::int64_t blockCount);
    slice::Outputs bind(); ///< records and error; sums of block 0
    void reduceSums(); ///< adds every block's sums into block 0's, in block order
};

/// The error a run reported, if any, naming the trace token, layer and expert.
std::optional<Diagnostic> runError(const moe::Trace& trace, const XSharePlan& plan, const HostOutputs& out);

/// The result from a run's outputs.
moe::XShareResult collect(const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options,
    const XSharePlan& plan, const HostOutputs& out, bool cancelled);

/// Streaming: bytes of one token's rows over all layers (scores, then ids for sparse traces).
struct RowBytes {
    std::size_t scores = 0;
    std::size_t ids = 0;
};
RowBytes rowBytes(const moe::Trace& trace);

/// Streaming: batches [first, second) of each chunk, at most `rows` token rows per chunk (a larger
/// batch makes a chunk of its own).
std::vector<std::pair<std::int64_t, std::int64_t>> chunkBatches(const XSharePlan& plan, std::int64_t rows);

/// Streaming: copies the rows of the tokens of batches [b0, b1), in batch order, into `scores`
/// and (sparse traces) `ids`; slice::Job then reads them with batchRows null and rowsOffset the
/// first token's index in the plan.
void gatherRows(
    const moe::Trace& trace, const XSharePlan& plan, std::int64_t b0, std::int64_t b1, char* scores, char* ids);

/// Runs the slice code of the CUDA kernels sequentially on the host, as a grid of `blocks` blocks
/// (slice s on block s mod blocks, each with its own sums) of `threads` emulated threads: the
/// kernels' logic, checked without a GPU. With chunkRows > 0 the rows are gathered and run chunk by
/// chunk as the streamed GPU path does. Slow; for tests.
Result<moe::XShareResult> emulateXShare(const moe::Trace& trace, const moe::Batches& batches,
    const moe::XShareOptions& options, int threads = 64, std::int64_t chunkRows = 0, int blocks = 3);

} // namespace deltascope::gpu
