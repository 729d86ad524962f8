// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Holm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace deltascope::stats {

std::vector<double> holmAdjust(std::span<const double> p)
{
    const std::size_t m = p.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    std::vector<double> adjusted(m, 1.0);
    double running = 0.0;
    for (std::size_t rank = 0; rank < m; ++rank) {
        const std::size_t i = order[rank];
        const double scaled = std::min(1.0, static_cast<double>(m - rank) * p[i]);
        running = std::max(running, scaled);
        adjusted[i] = running;
    }
    return adjusted;
}

std::vector<double> holmAdjustLog(std::span<const double> lnP)
{
    const std::size_t m = lnP.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lnP[a] < lnP[b]; });
    std::vector<double> adjusted(m, 0.0);
    double running = -std::numeric_limits<double>::infinity();
    for (std::size_t rank = 0; rank < m; ++rank) {
        const std::size_t i = order[rank];
        const double scaled = std::min(0.0, std::log(static_cast<double>(m - rank)) + lnP[i]);
        running = std::max(running, scaled);
        adjusted[i] = running;
    }
    return adjusted;
}

} // namespace deltascope::stats
