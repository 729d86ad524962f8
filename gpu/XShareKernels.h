#pragma once

// Launching the XShare slice kernels. C++17: included by the CUDA source and the backend.

#include "XShareSlice.h"

#include <cstdint>
#include <string>

namespace deltascope::gpu {

/// Threads per block of the XShare kernel.
constexpr int kXShareThreads = 128;

/// Runs slices [first, last) of the job: one block per slice at a time, `blocks` blocks, each with
/// `blockBytes` of the scratch carved for `shape` (slice::carve gives the size). Asynchronous on `stream` (a cudaStream_t;
/// null for the default stream). Returns an error text, or empty.
std::string launchXShare(const slice::Job& job, const slice::Outputs& out, const slice::Shape& shape, char* scratch,
    std::size_t blockBytes, int blocks, std::int64_t first, std::int64_t last, void* stream);

} // namespace deltascope::gpu
