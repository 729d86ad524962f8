// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Power.h"

#include "stats/Binomial.h"
#include "stats/MathPolicy.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <limits>

namespace deltascope::stats {

namespace {

double zSum(const PowerQuery& q)
{
    return normalQuantile(1.0 - q.alpha) + normalQuantile(q.power);
}

} // namespace

double minimumDetectableDrop(std::int64_t n, const PowerQuery& q)
{
    if (n <= 0)
        return std::nan("");
    return zSum(q) * std::sqrt(q.flipRate / static_cast<double>(n));
}

std::int64_t samplesNeeded(double drop, const PowerQuery& q)
{
    if (!(drop > 0.0))
        return -1;
    const double z = zSum(q);
    const double n = std::ceil(z * z * q.flipRate / (drop * drop));
    // A drop so small that no count of samples could show it: beyond what an int64 holds.
    return n < 9e18 ? static_cast<std::int64_t>(n) : std::numeric_limits<std::int64_t>::max();
}

double exactPower(std::int64_t n, double drop, const PowerQuery& q)
{
    const double f = q.flipRate;
    if (n <= 0 || !(f > 0.0) || f > 1.0)
        return 0.0;
    if (n > kMaxExactPowerPairs)
        return std::nan("");
    const double pb = std::clamp((f + drop) / (2.0 * f), 0.0, 1.0);
    const double mean = static_cast<double>(n) * f;
    const double sd = std::sqrt(mean * (1.0 - f));
    const auto lo = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(mean - 12.0 * sd - 10.0)));
    const auto hi = std::min<std::int64_t>(n, static_cast<std::int64_t>(std::ceil(mean + 12.0 * sd + 10.0)));
    const boost::math::binomial_distribution<double, detail::Policy> discordant(static_cast<double>(n), f);

    double power = 0.0;
    // Critical value b*(m): smallest b with P[Bin(m, 1/2) >= b] <= alpha. It grows by at most one
    // from m to m + 1, so it is tracked incrementally.
    // The walk starts at b*(lo), found by bisection: climbing from 1 would take lo / 2 steps.
    std::int64_t crit = 1;
    for (std::int64_t top = lo + 1; crit < top;) {
        const std::int64_t mid = crit + (top - crit) / 2;
        if (binomialUpperTailHalf(lo, mid) > q.alpha)
            crit = mid + 1;
        else
            top = mid;
    }
    crit = std::max<std::int64_t>(crit, 1);
    for (std::int64_t m = lo; m <= hi; ++m) {
        while (crit <= m && binomialUpperTailHalf(m, crit) > q.alpha)
            ++crit;
        if (crit > m)
            continue;
        const double pm = boost::math::pdf(discordant, static_cast<double>(m));
        power += pm * binomialUpperTail(m, pb, crit);
    }
    return std::min(power, 1.0);
}

} // namespace deltascope::stats
