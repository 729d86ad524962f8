// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace deltascope::report {

/// The smallest drop the one-sided exact McNemar test detects with the given power, against the
/// number of pairs, on a log-spaced grid of n.
struct PowerCurve {
    std::vector<double> n;
    std::vector<double> drop;
};

PowerCurve powerCurve(double flipRate, double alpha, double power, std::int64_t nMin, std::int64_t nMax, int points);

/// Holm's step-down thresholds for m tests at level alpha: the i-th smallest p-value (i from 1) is
/// compared with alpha / (m - i + 1).
std::vector<double> holmThresholds(std::size_t m, double alpha);

} // namespace deltascope::report
