// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Binomial.h"

#include "stats/MathPolicy.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace deltascope::stats {

double binomialUpperTail(std::int64_t n, double p, std::int64_t k)
{
    if (k <= 0)
        return 1.0;
    if (k > n)
        return 0.0;
    if (p <= 0.0)
        return 0.0;
    if (p >= 1.0)
        return 1.0;
    // P[X >= k] = I_p(k, n - k + 1)
    return boost::math::ibeta(static_cast<double>(k), static_cast<double>(n - k + 1), p, detail::Policy());
}

double binomialUpperTailHalf(std::int64_t n, std::int64_t k)
{
    return binomialUpperTail(n, 0.5, k);
}

namespace {

// Below this, the incomplete beta function may underflow on its way to the answer; the tail is then
// summed in logarithms.
constexpr double kDirectFloor = 1e-280;

double lnChoose(std::int64_t n, std::int64_t k)
{
    return std::lgamma(static_cast<double>(n) + 1.0) - std::lgamma(static_cast<double>(k) + 1.0)
        - std::lgamma(static_cast<double>(n - k) + 1.0);
}

// ln sum_{j >= k} C(n, j) / 2^n for k above the mode, where the terms fall: the first term times the
// sum of the running ratios (n - j) / (j + 1), stopped when the terms no longer count.
double lnUpperSeries(std::int64_t n, std::int64_t k)
{
    double sum = 1.0;
    double term = 1.0;
    for (std::int64_t j = k; j < n; ++j) {
        term *= static_cast<double>(n - j) / static_cast<double>(j + 1);
        sum += term;
        if (term < sum * 1e-18)
            break;
    }
    return lnChoose(n, k) - static_cast<double>(n) * std::log(2.0) + std::log(sum);
}

} // namespace

double lnBinomialUpperTailHalf(std::int64_t n, std::int64_t k)
{
    if (k <= 0)
        return 0.0;
    if (k > n)
        return -std::numeric_limits<double>::infinity();
    const double p = binomialUpperTailHalf(n, k);
    if (p >= kDirectFloor)
        return std::log(p);
    return lnUpperSeries(n, k);
}

double lnChiSquaredUpperTail(double x, int df)
{
    if (!(x > 0.0))
        return 0.0;
    const double p = chiSquaredUpperTail(x, df);
    if (p >= kDirectFloor || df % 2 != 0)
        return std::log(p);
    // P[chi2(2m) >= x] = e^{-y} sum_{j < m} y^j / j!, y = x / 2: summed in logarithms.
    const double y = x / 2.0;
    const int m = df / 2;
    double top = -std::numeric_limits<double>::infinity();
    std::vector<double> terms(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) {
        terms[static_cast<std::size_t>(j)] = j * std::log(y) - std::lgamma(j + 1.0);
        top = std::max(top, terms[static_cast<std::size_t>(j)]);
    }
    double sum = 0.0;
    for (const double t : terms)
        sum += std::exp(t - top);
    return -y + top + std::log(sum);
}

double binomialLowerTailHalf(std::int64_t n, std::int64_t k)
{
    // Symmetric at p = 1/2: P[X <= k] = P[X >= n - k].
    return binomialUpperTailHalf(n, n - k);
}

std::pair<double, double> clopperPearson(std::int64_t k, std::int64_t n, double confidence)
{
    const double a = (1.0 - confidence) / 2.0;
    const double kd = static_cast<double>(k);
    const double nd = static_cast<double>(n);
    const double lo = k <= 0 ? 0.0 : boost::math::ibeta_inv(kd, nd - kd + 1.0, a, detail::Policy());
    const double hi = k >= n ? 1.0 : boost::math::ibeta_inv(kd + 1.0, nd - kd, 1.0 - a, detail::Policy());
    return { lo, hi };
}

double normalCdf(double z)
{
    if (std::isinf(z))
        return z > 0 ? 1.0 : 0.0;
    const boost::math::normal_distribution<double, detail::Policy> normal;
    return boost::math::cdf(normal, z);
}

double normalQuantile(double p)
{
    const boost::math::normal_distribution<double, detail::Policy> normal;
    return boost::math::quantile(normal, std::clamp(p, 1e-300, 1.0 - 1e-16));
}

double studentQuantile(double p, double df)
{
    const boost::math::students_t_distribution<double, detail::Policy> t(df);
    return boost::math::quantile(t, std::clamp(p, 1e-300, 1.0 - 1e-16));
}

double chiSquaredUpperTail(double x, double df)
{
    if (!(x > 0.0))
        return 1.0;
    return boost::math::gamma_q(df / 2.0, x / 2.0, detail::Policy());
}

} // namespace deltascope::stats
