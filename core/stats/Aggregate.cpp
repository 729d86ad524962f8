// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Aggregate.h"

#include "stats/Binomial.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace deltascope::stats {

double decisionLevel(double alpha, int testedTasks)
{
    return testedTasks >= 2 ? alpha / 3.0 : alpha;
}

PooledResult pooledTest(std::span<const TaskCounts> tasks)
{
    PooledResult r;
    for (const auto& t : tasks) {
        r.b += t.b;
        r.c += t.c;
    }
    r.pValue = r.b == 0 ? 1.0 : binomialUpperTailHalf(r.b + r.c, r.b);
    r.lnP = r.b == 0 ? 0.0 : lnBinomialUpperTailHalf(r.b + r.c, r.b);
    if (r.pValue < 1e-280)
        r.pValue = std::exp(r.lnP);
    return r;
}

FisherResult fisherTest(std::span<const TaskCounts> tasks)
{
    FisherResult r;
    int used = 0;
    for (const auto& t : tasks) {
        if (t.b + t.c == 0)
            continue;
        // ln p_t stays exact where p_t underflows a double.
        r.statistic += -2.0 * (t.b == 0 ? 0.0 : lnBinomialUpperTailHalf(t.b + t.c, t.b));
        ++used;
    }
    r.df = 2 * used;
    r.pValue = used == 0 ? 1.0 : chiSquaredUpperTail(r.statistic, r.df);
    r.lnP = used == 0 ? 0.0 : lnChiSquaredUpperTail(r.statistic, r.df);
    if (r.pValue < 1e-280)
        r.pValue = std::exp(r.lnP);
    return r;
}

namespace {

double zScore(std::int64_t b, std::int64_t n)
{
    return static_cast<double>(2 * b - n) / std::sqrt(static_cast<double>(n));
}

__extension__ using Wide = __int128;

// Sign of a1 / sqrt(m1) - a2 / sqrt(m2), in exact integer arithmetic, so that ties between
// tasks (200/sqrt(1000) and 40/sqrt(40), say) are not decided by rounding.
int compareZ(std::int64_t a1, std::int64_t m1, std::int64_t a2, std::int64_t m2)
{
    if ((a1 >= 0) != (a2 >= 0))
        return a1 >= 0 ? 1 : -1;
    const Wide l = static_cast<Wide>(a1) * a1 * m2;
    const Wide r = static_cast<Wide>(a2) * a2 * m1;
    const int magnitude = l > r ? 1 : (l < r ? -1 : 0);
    return a1 >= 0 ? magnitude : -magnitude;
}

bool zAtLeast(std::int64_t x, std::int64_t n, std::int64_t a, std::int64_t m)
{
    return compareZ(2 * x - n, n, a, m) >= 0;
}

} // namespace

MaxDropResult maxDropTest(std::span<const TaskCounts> tasks)
{
    MaxDropResult r;
    r.statistic = -std::numeric_limits<double>::infinity();
    std::int64_t maxA = 0; // M = maxA / sqrt(maxM), kept exactly
    std::int64_t maxM = 1;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const std::int64_t n = tasks[i].b + tasks[i].c;
        if (n == 0)
            continue;
        // The first task wins ties.
        if (r.task < 0 || compareZ(2 * tasks[i].b - n, n, maxA, maxM) > 0) {
            r.statistic = zScore(tasks[i].b, n);
            r.task = static_cast<int>(i);
            maxA = 2 * tasks[i].b - n;
            maxM = n;
        }
    }
    if (r.task < 0) {
        r.statistic = 0.0;
        r.pValue = 1.0;
        return r;
    }
    // Under the null each b_t ~ Bin(n_t, 1/2) independently given n_t, so
    // P[max_t Z_t >= M] = 1 - prod_t (1 - P[Z_t >= M]).
    double logNone = 0.0;
    std::vector<double> lnTails;
    for (const auto& t : tasks) {
        const std::int64_t n = t.b + t.c;
        if (n == 0)
            continue;
        // Smallest x with z(x) >= M: a floating estimate, then settled with exact comparisons.
        auto x = static_cast<std::int64_t>(
            std::ceil((r.statistic * std::sqrt(static_cast<double>(n)) + static_cast<double>(n)) / 2.0));
        x = std::max<std::int64_t>(0, std::min(x, n + 1));
        while (x > 0 && zAtLeast(x - 1, n, maxA, maxM))
            --x;
        while (x <= n && !zAtLeast(x, n, maxA, maxM))
            ++x;
        const double s = binomialUpperTailHalf(n, x);
        logNone += std::log1p(-s);
        lnTails.push_back(lnBinomialUpperTailHalf(n, x));
    }
    r.pValue = -std::expm1(logNone) + 0.0; // + 0.0: never -0
    if (r.pValue >= 1e-280) {
        r.lnP = std::log(r.pValue);
    } else {
        // Every tail is tiny, so 1 - prod (1 - s_t) = sum s_t to within a relative 1e-280: summed in
        // logarithms.
        const double top = *std::max_element(lnTails.begin(), lnTails.end());
        double sum = 0.0;
        for (const double l : lnTails)
            sum += std::exp(l - top);
        r.lnP = top + std::log(sum);
        r.pValue = std::exp(r.lnP);
    }
    return r;
}

AggregateResult aggregate(std::span<const TaskCounts> tasks, double alpha, int testedTasks)
{
    AggregateResult r;
    r.alpha = alpha;
    r.level = decisionLevel(alpha, testedTasks < 0 ? static_cast<int>(tasks.size()) : testedTasks);
    r.pooled = pooledTest(tasks);
    r.fisher = fisherTest(tasks);
    r.maxDrop = maxDropTest(tasks);
    const double lnLevel = std::log(r.level);
    r.degraded = r.pooled.lnP < lnLevel || r.fisher.lnP < lnLevel || r.maxDrop.lnP < lnLevel;
    return r;
}

} // namespace deltascope::stats
