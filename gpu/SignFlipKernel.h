#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace deltascope::gpu {

/// Counts, on the current CUDA device, the permutations of the sign-flip test with T* >= T
/// (upper) and T* <= T (lower) for each task range and, at index `tasks`, for the pool. q holds
/// the fixed-point differences (stats::quantizeDifferences), offsets the tasks + 1 range bounds.
/// The signs come from the same Philox4x32-10 stream as the CPU backend, and the sums are exact
/// integers, so the counts equal the CPU's. Returns an empty string, or the CUDA error with the
/// source file and line where it surfaced.
std::string signFlipCounts(const std::int64_t* q, std::size_t n, const std::size_t* offsets, std::size_t tasks,
    std::uint64_t permutations, std::uint64_t seed, std::uint64_t* upper, std::uint64_t* lower);

} // namespace deltascope::gpu
