// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Progress.h"

#include <cstdint>
#include <span>
#include <vector>

namespace deltascope::stats {

/// Paired sign-flip permutation test of H0: E[d] = 0 against "the candidate is worse" (d > 0).
struct SignFlipResult {
    std::uint64_t permutations = 0;
    std::uint64_t seed = 0;
    double statistic = 0.0; ///< T = sum d_i over all samples
    double pValue = 1.0; ///< (1 + #{T* >= T}) / (1 + P)
    std::vector<double> taskStatistic; ///< per task range
    std::vector<double> taskPValue;
    double pValueLower = 1.0; ///< (1 + #{T* <= T}) / (1 + P): evidence that the candidate is better
    std::vector<double> taskPValueLower;
    bool cancelled = false;
};

struct SignFlipOptions {
    std::uint64_t permutations = 10000;
    std::uint64_t seed = 0;
    unsigned threads = 0; ///< 0: all hardware threads
    Progress progress;
};

/// The differences are converted once to 64-bit fixed point on a common power-of-two scale, so the
/// permuted sums are exact integers: the result does not depend on summation order, threads or
/// backend. taskOffsets (size tasks + 1, starting at 0, ending at d.size()) delimits the tasks;
/// an empty span means one task.
SignFlipResult signFlipTest(
    std::span<const double> d, std::span<const std::size_t> taskOffsets, const SignFlipOptions& options);

/// The fixed-point conversion used by signFlipTest (exposed for the GPU backend and the tests).
std::vector<std::int64_t> quantizeDifferences(std::span<const double> d);

/// A run of permutations of the stream: permutations first .. first + count - 1. The stream
/// continues across runs, so [0, P) then [P, 2P) gives what [0, 2P) gives at once.
struct SignFlipBatch {
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    std::uint64_t seed = 0;
    unsigned threads = 0; ///< 0: all hardware threads (the CPU backend)
    Progress progress; ///< fraction of this run's permutations done
};

/// The flipped sums of a run: sums[k * tasks + t] = the sum of q_i over task t's samples whose
/// sign flips in permutation first + k (the permuted task statistic is then S_t - 2 sums).
struct FlippedSums {
    std::vector<std::int64_t> sums;
    bool cancelled = false;
};

/// The CPU reference for every backend: sample i flips in permutation p when bit i % 128 of
/// Philox4x32-10(counter = (p, i / 128), key = seed) is set. The sums are exact integers, so any
/// backend that follows the same stream returns the same sums.
FlippedSums flippedSums(
    std::span<const std::int64_t> q, std::span<const std::size_t> offsets, const SignFlipBatch& batch);

/// Turns the flipped sums of permutations 0 .. P - 1 of q = quantizeDifferences(d) (from any
/// backend) into the sign-flip result.
SignFlipResult signFlipFromSums(std::span<const double> d, std::span<const std::size_t> taskOffsets,
    const SignFlipOptions& options, const FlippedSums& sums);

/// Whether task ranges tile n differences: empty (one task), or 0 = o_0 <= o_1 <= ... <= o_T = n.
bool offsetsTile(std::span<const std::size_t> offsets, std::size_t n);

/// The task offsets signFlipTest uses: {0, d.size()} when none are given.
std::vector<std::size_t> normalisedOffsets(std::span<const std::size_t> taskOffsets, std::size_t n);

} // namespace deltascope::stats
