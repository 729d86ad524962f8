// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <utility>

namespace deltascope::stats {

/// P[Bin(n, 1/2) >= k], accurate in the far tail (computed through the regularised incomplete
/// beta function, never as 1 - cdf): correct down to the smallest normal double.
double binomialUpperTailHalf(std::int64_t n, std::int64_t k);

/// ln P[Bin(n, 1/2) >= k], accurate where the probability itself underflows a double (exact p-values
/// far below 1e-300 keep their order and their weight in Fisher's statistic). 0 when k <= 0, -inf
/// when k > n.
double lnBinomialUpperTailHalf(std::int64_t n, std::int64_t k);

/// ln P[chi2(df) >= x]; for even df (Fisher's statistic) exact through the Poisson sum, so it stays
/// finite where the probability underflows.
double lnChiSquaredUpperTail(double x, int df);

/// P[Bin(n, 1/2) <= k].
double binomialLowerTailHalf(std::int64_t n, std::int64_t k);

/// P[Bin(n, p) >= k] for any p in [0, 1].
double binomialUpperTail(std::int64_t n, double p, std::int64_t k);

/// Two-sided Clopper-Pearson interval for k successes out of n at the given confidence (0.95).
/// Requires n > 0.
std::pair<double, double> clopperPearson(std::int64_t k, std::int64_t n, double confidence = 0.95);

/// Standard normal distribution function Phi(z).
double normalCdf(double z);

/// Standard normal quantile.
double normalQuantile(double p);

/// Quantile of Student's t distribution with df (> 0) degrees of freedom.
double studentQuantile(double p, double df);

/// Upper tail of the chi-squared distribution with df degrees of freedom.
double chiSquaredUpperTail(double x, double df);

} // namespace deltascope::stats
