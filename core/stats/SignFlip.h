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

/// Hit counts of a sign-flip run: for each task and then the pool (index tasks), how many
/// permutations gave T* >= T (upper) and T* <= T (lower).
struct SignFlipCounts {
    std::vector<std::uint64_t> upper;
    std::vector<std::uint64_t> lower;
};

/// Turns hit counts (from any backend) into the result; the statistics are summed in one fixed
/// order so every backend reports the same numbers.
SignFlipResult finishSignFlip(std::span<const double> d, std::span<const std::size_t> taskOffsets,
    const SignFlipOptions& options, const SignFlipCounts& counts);

/// The task offsets signFlipTest uses: {0, d.size()} when none are given.
std::vector<std::size_t> normalisedOffsets(std::span<const std::size_t> taskOffsets, std::size_t n);

} // namespace deltascope::stats
