// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace deltascope::stats {

/// One task's oriented differences d_i (positive: the candidate is worse) as exact integers in units
/// of `unit` (DESIGN 3.4). Scores written as decimals with up to nine fraction digits are read as
/// scaled integers, so 0.7 - 0.4 equals 0.3 and ties count. Failing that, scores that all lie (to
/// within rounding) on a grid of small fractions, as means over a few epochs or reruns do (1/3,
/// 2/3), are read as integer numbers of 1/D, so 1 - 1/3 equals 2/3 - 0. Other scores are put on a
/// power-of-two grid. The absolute differences sum to less than 2^61, so every permuted sum is
/// exact.
struct ExactDifferences {
    std::vector<std::int64_t> q;
    double unit = 1.0; ///< value of one integer step (10^-k, 1/D or 2^-e)
    bool exactGrid = true; ///< every score lies on the decimal or small-fraction grid: ties are exact
    std::int64_t infinite = 0; ///< differences with an infinite side (see exactDifferences)
    std::string error; ///< non-empty: the differences cannot be tested (they overflow a double)

    bool ok() const { return error.empty(); }
};

/// The differences of paired scores. An infinite score (-inf log-likelihood: the worst possible
/// score) makes a difference larger than all the finite ones together, so it outweighs them in
/// every permutation; the same infinity on both sides is a tie. A difference or a sum of
/// differences that overflows a double is an error (the message says so).
ExactDifferences exactDifferences(std::span<const double> base, std::span<const double> cand, bool higherIsBetter);

} // namespace deltascope::stats
