// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace deltascope::gpu {

/// The flipped sums of sign-flip permutations first .. first + count - 1 on the current CUDA device:
/// sums[k * tasks + t] = the sum of q over task t's samples whose sign flips in permutation first + k.
/// q holds the exact integer differences, offsets the tasks + 1 range bounds. The signs come from
/// the same Philox4x32-10 stream as the CPU backend and the sums are exact integers, so they equal
/// the CPU's. Returns an empty string, or the CUDA error with the source file and line.
std::string signFlipSums(const std::int64_t* q, std::size_t n, const std::size_t* offsets, std::size_t tasks,
    std::uint64_t first, std::uint64_t count, std::uint64_t seed, std::int64_t* sums);

} // namespace deltascope::gpu
