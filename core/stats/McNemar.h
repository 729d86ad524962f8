// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace deltascope::stats {

/// Exact paired test of two binary scorings of the same samples.
struct McNemarResult {
    std::int64_t n = 0; ///< pairs
    std::int64_t b = 0; ///< baseline right, candidate wrong (regressions)
    std::int64_t c = 0; ///< baseline wrong, candidate right (improvements)
    double pOneSided = 1.0; ///< P[Bin(b+c, 1/2) >= b]: evidence that the candidate is worse
    double lnPOneSided = 0.0; ///< its logarithm, finite where pOneSided underflows
    double pTwoSided = 1.0; ///< min(1, 2 P[Bin(b+c, 1/2) <= min(b, c)])
    double delta = 0.0; ///< accuracy drop (b - c) / n
    double flipRate = 0.0; ///< (b + c) / n
    double ciLow = 0.0; ///< Tango's score interval of delta at the given confidence (DESIGN 3.2)
    double ciHigh = 0.0;
};

McNemarResult mcnemar(std::int64_t b, std::int64_t c, std::int64_t n, double confidence = 0.95);

} // namespace deltascope::stats
