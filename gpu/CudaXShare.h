// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "XSharePlan.h"
#include "common/Diagnostic.h"
#include "moe/XShareRun.h"

#include <cstddef>
#include <memory>

namespace deltascope::gpu {

/// XShare runs on the current CUDA device. The object owns everything the runs use on the device
/// and keeps it between runs: the trace's scores stay resident while the same trace is run again
/// (a budget slider costs one launch), and the scratch, plan and output buffers are reused. A
/// trace larger than the chunk size is streamed: token rows are gathered batch by batch into two
/// pinned host buffers, and each chunk's copy overlaps the previous chunk's kernel on another
/// stream. Not thread-safe: one run at a time.
class CudaXShare {
public:
    CudaXShare();
    ~CudaXShare();
    CudaXShare(const CudaXShare&) = delete;
    CudaXShare& operator=(const CudaXShare&) = delete;

    /// Same contract as moe::runXShare. CUDA errors come back as errors naming the source file
    /// and line where they surfaced.
    Result<moe::XShareResult> run(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options);

    /// Bytes of scores a run may keep on the device; larger traces stream in chunks of half this
    /// size. 0 (the default): 60% of the device memory free when the run starts. The environment
    /// variable DELTASCOPE_GPU_CHUNK_BYTES sets it too.
    void setChunkBytes(std::size_t bytes);

    /// Device scratch one run needs with `blocks` resident blocks: the size query behind the
    /// scratch buffer this object owns.
    static std::size_t scratchBytes(const XSharePlan& plan, int blocks);

    /// How the last run went: streamed or resident, chunks, kernel time in milliseconds.
    struct Stats {
        bool streamed = false;
        int chunks = 0;
        int blocks = 0;
        double kernelMs = 0.0;
        double uploadMs = 0.0;
    };
    const Stats& lastRun() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace deltascope::gpu
