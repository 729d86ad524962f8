// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace deltascope::stats {

/// Power analysis for the one-sided exact McNemar test.
struct PowerQuery {
    double alpha = 0.05;
    double power = 0.8; ///< 1 - beta
    double flipRate = 0.0; ///< expected fraction of discordant pairs, f
};

/// delta_min = (z_{1-alpha} + z_{power}) sqrt(f / n).
double minimumDetectableDrop(std::int64_t n, const PowerQuery& q);

/// n = (z_{1-alpha} + z_{power})^2 f / delta^2, rounded up; the int64 maximum when that does not fit.
std::int64_t samplesNeeded(double drop, const PowerQuery& q);

/// Exact power of the one-sided exact test with n pairs when the true drop is `drop` and the
/// flip rate is f: the number of discordant pairs m ~ Bin(n, f), and given m the regressions
/// b ~ Bin(m, (f + drop) / (2 f)); the test rejects when P[Bin(m, 1/2) >= b] <= alpha.
/// NaN past kMaxExactPowerPairs, where the sum would take minutes (and the normal approximation
/// behind samplesNeeded is exact to many digits anyway).
double exactPower(std::int64_t n, double drop, const PowerQuery& q);

/// The most pairs exactPower sums over.
constexpr std::int64_t kMaxExactPowerPairs = 1'000'000'000;

} // namespace deltascope::stats
