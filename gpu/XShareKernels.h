// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Launching the XShare slice kernels. C++17: included by the CUDA source and the backend.

#include "XShareSlice.h"

#include <cstdint>
#include <string>

namespace deltascope::gpu {

/// Threads per block of the XShare kernel.
constexpr int kXShareThreads = 128;

/// Runs slices [first, last) of the job on `blocks` blocks, asynchronously on `stream` (a
/// cudaStream_t; null for the default stream). Block b of the launch works as block firstBlock + b:
/// it uses that block's scratch (`blockBytes` each, carved for `shape`) and adds to that block's
/// copy of the sums (`sums`, laid out by `layout`); records and errors go to `out`.
std::string launchXShare(const slice::Job& job, const slice::Outputs& out, const slice::Shape& shape,
    const slice::SumsLayout& layout, unsigned long long* sums, char* scratch, std::size_t blockBytes, int firstBlock,
    int blocks, std::int64_t first, std::int64_t last, void* stream);

/// Adds up the sums of `blocks` blocks into block 0's copy, in block order.
std::string launchReduceSums(const slice::SumsLayout& layout, unsigned long long* sums, int blocks, void* stream);

} // namespace deltascope::gpu
