#include "stats/Aggregate.h"

#include "stats/Binomial.h"

#include <cmath>
#include <limits>

namespace deltascope::stats {

PooledResult pooledTest(std::span<const TaskCounts> tasks)
{
    PooledResult r;
    for (const auto& t : tasks) {
        r.b += t.b;
        r.c += t.c;
    }
    r.pValue = r.b == 0 ? 1.0 : binomialUpperTailHalf(r.b + r.c, r.b);
    return r;
}

FisherResult fisherTest(std::span<const TaskCounts> tasks)
{
    FisherResult r;
    int used = 0;
    for (const auto& t : tasks) {
        if (t.b + t.c == 0)
            continue;
        const double p = t.b == 0 ? 1.0 : binomialUpperTailHalf(t.b + t.c, t.b);
        // A p-value that underflowed to zero carries overwhelming evidence; keep the sum finite.
        r.statistic += -2.0 * std::log(std::max(p, std::numeric_limits<double>::denorm_min()));
        ++used;
    }
    r.df = 2 * used;
    r.pValue = used == 0 ? 1.0 : chiSquaredUpperTail(r.statistic, r.df);
    return r;
}

namespace {

    double zScore(std::int64_t b, std::int64_t n) { return static_cast<double>(2 * b - n) / std::sqrt(static_cast<double>(n)); }

} // namespace

MaxDropResult maxDropTest(std::span<const TaskCounts> tasks)
{
    MaxDropResult r;
    r.statistic = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const std::int64_t n = tasks[i].b + tasks[i].c;
        if (n == 0)
            continue;
        const double z = zScore(tasks[i].b, n);
        if (z > r.statistic) {
            r.statistic = z;
            r.task = static_cast<int>(i);
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
    for (const auto& t : tasks) {
        const std::int64_t n = t.b + t.c;
        if (n == 0)
            continue;
        // Smallest x with z(x) >= M, evaluated with the same arithmetic as M itself so that the
        // attaining task counts its own value.
        auto x = static_cast<std::int64_t>(std::ceil((r.statistic * std::sqrt(static_cast<double>(n)) + static_cast<double>(n)) / 2.0));
        x = std::max<std::int64_t>(0, std::min(x, n + 1));
        while (x > 0 && zScore(x - 1, n) >= r.statistic)
            --x;
        while (x <= n && zScore(x, n) < r.statistic)
            ++x;
        const double s = binomialUpperTailHalf(n, x);
        logNone += std::log1p(-s);
    }
    r.pValue = -std::expm1(logNone);
    return r;
}

AggregateResult aggregate(std::span<const TaskCounts> tasks, double alpha)
{
    AggregateResult r;
    r.alpha = alpha;
    r.pooled = pooledTest(tasks);
    r.fisher = fisherTest(tasks);
    r.maxDrop = maxDropTest(tasks);
    const double level = alpha / 3.0;
    r.degraded = r.pooled.pValue < level || r.fisher.pValue < level || r.maxDrop.pValue < level;
    return r;
}

} // namespace deltascope::stats
