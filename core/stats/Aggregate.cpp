#include "stats/Aggregate.h"

#include "stats/Binomial.h"

#include <cmath>
#include <limits>

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
