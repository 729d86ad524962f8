// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/PlotData.h"

#include "stats/Power.h"

#include <algorithm>
#include <cmath>

namespace deltascope::report {

PowerCurve powerCurve(double flipRate, double alpha, double power, std::int64_t nMin, std::int64_t nMax, int points)
{
    PowerCurve c;
    nMin = std::max<std::int64_t>(1, nMin);
    nMax = std::max(nMin, nMax);
    points = std::max(2, points);
    stats::PowerQuery q;
    q.alpha = alpha;
    q.power = power;
    q.flipRate = flipRate;
    const double lo = std::log(static_cast<double>(nMin));
    const double hi = std::log(static_cast<double>(nMax));
    for (int i = 0; i < points; ++i) {
        const double n = std::round(std::exp(lo + (hi - lo) * i / (points - 1)));
        if (!c.n.empty() && n <= c.n.back())
            continue;
        c.n.push_back(n);
        c.drop.push_back(stats::minimumDetectableDrop(static_cast<std::int64_t>(n), q));
    }
    return c;
}

std::vector<double> holmThresholds(std::size_t m, double alpha)
{
    std::vector<double> t(m);
    for (std::size_t i = 0; i < m; ++i)
        t[i] = alpha / static_cast<double>(m - i);
    return t;
}

} // namespace deltascope::report
