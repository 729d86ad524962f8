// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <utility>

namespace deltascope::stats {

/// Tango's score statistic for paired binary outcomes (DESIGN 3.2, 3.6): with b regressions, c
/// improvements and n pairs, Z(D) tests H0: drop = D, the drop being P[base right, cand wrong] -
/// P[base wrong, cand right]. Z is computed under the constrained maximum-likelihood estimate of
/// the improvement rate, so it accounts for the uncertainty of the flip rate. Z(drop) = 0; Z falls
/// as D grows. Requires n > 0 and -1 <= D <= 1.
double tangoZ(std::int64_t b, std::int64_t c, std::int64_t n, double margin);

/// The score interval {D : |Z(D)| <= z_{(1 + confidence) / 2}} of the drop: inside [-1, 1], never
/// empty, and it bounds the drop even when no pair disagrees. Requires n > 0.
std::pair<double, double> tangoInterval(std::int64_t b, std::int64_t c, std::int64_t n, double confidence = 0.95);

/// One-sided upper confidence bound of the drop at level 1 - alpha: the D above the observed drop
/// with Z(D) = -z_{1 - alpha} (1 when no D below 1 reaches it). Requires n > 0.
double tangoUpperBound(std::int64_t b, std::int64_t c, std::int64_t n, double alpha);

/// p-value of the non-inferiority test H0: drop >= margin against H1: drop < margin: Phi(Z(margin)).
double tangoNonInferiorityP(std::int64_t b, std::int64_t c, std::int64_t n, double margin);

} // namespace deltascope::stats
