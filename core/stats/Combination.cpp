// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Combination.h"

#include "stats/MathPolicy.h"

#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <limits>

namespace deltascope::stats {

std::pair<double, double> monteCarloInterval(std::uint64_t hits, std::uint64_t trials)
{
    if (trials == 0)
        return { 0.0, 1.0 };
    const double a = 0.005; // each side of a 99% interval
    const auto h = static_cast<double>(hits);
    const auto n = static_cast<double>(trials);
    const double lo = hits == 0 ? 0.0 : boost::math::ibeta_inv(h, n - h + 1.0, a, detail::Policy());
    const double hi = hits >= trials ? 1.0 : boost::math::ibeta_inv(h + 1.0, n - h, 1.0 - a, detail::Policy());
    return { lo, hi };
}

namespace {

// The task statistics of every sign pattern considered: row 0 the data, then one row per
// permutation (or per enumerated pattern), `tasks` values per row.
struct Values {
    std::size_t tasks = 0;
    std::vector<std::int64_t> v;

    std::size_t rows() const { return tasks ? v.size() / tasks : 0; }
    std::int64_t at(std::size_t row, std::size_t t) const { return v[row * tasks + t]; }
};

struct Tasks {
    std::vector<std::int64_t> sum; ///< S_t
    std::vector<double> root; ///< sqrt(Q_t), 0 for a task whose differences are all zero
    int active = 0;
};

Tasks describe(std::span<const std::int64_t> q, std::span<const std::size_t> offsets)
{
    Tasks t;
    const std::size_t n = offsets.size() - 1;
    t.sum.assign(n, 0);
    t.root.assign(n, 0.0);
    for (std::size_t k = 0; k < n; ++k) {
        long double squares = 0;
        for (std::size_t i = offsets[k]; i < offsets[k + 1]; ++i) {
            t.sum[k] += q[i];
            squares += static_cast<long double>(q[i]) * static_cast<long double>(q[i]);
        }
        t.root[k] = static_cast<double>(std::sqrt(squares));
        t.active += t.root[k] > 0.0 ? 1 : 0;
    }
    return t;
}

void appendSums(Values& values, const Tasks& tasks, const std::vector<std::int64_t>& sums)
{
    const std::size_t rows = sums.size() / values.tasks;
    values.v.reserve(values.v.size() + sums.size());
    for (std::size_t k = 0; k < rows; ++k)
        for (std::size_t t = 0; t < values.tasks; ++t)
            values.v.push_back(tasks.sum[t] - 2 * sums[k * values.tasks + t]);
}

// Every sign pattern of the non-zero differences, the data's (no flip) first.
Values enumerate(std::span<const std::int64_t> q, std::span<const std::size_t> offsets, const Tasks& tasks)
{
    std::vector<std::pair<std::int64_t, std::size_t>> nonzero; // (q_i, task)
    for (std::size_t t = 0; t + 1 < offsets.size(); ++t)
        for (std::size_t i = offsets[t]; i < offsets[t + 1]; ++i)
            if (q[i] != 0)
                nonzero.emplace_back(q[i], t);
    Values values;
    values.tasks = offsets.size() - 1;
    const std::uint64_t patterns = std::uint64_t { 1 } << nonzero.size();
    values.v.resize(patterns * values.tasks);
    for (std::uint64_t m = 0; m < patterns; ++m) {
        std::int64_t* row = values.v.data() + m * values.tasks;
        std::copy(tasks.sum.begin(), tasks.sum.end(), row);
        for (std::size_t j = 0; j < nonzero.size(); ++j)
            if ((m >> j) & 1u)
                row[nonzero[j].second] -= 2 * nonzero[j].first;
    }
    return values;
}

// Counts stat(k) >= stat(0) over all rows (the data's row included), allowing for the rounding of
// sums of doubles.
std::uint64_t atLeast(const std::vector<double>& stat)
{
    const double observed = stat[0];
    const double eps = 1e-12 * std::max(1.0, std::fabs(observed));
    std::uint64_t count = 0;
    for (const double s : stat)
        count += s >= observed - eps ? 1u : 0u;
    return count;
}

CountedP counted(double statistic, std::uint64_t atLeastCount, std::size_t rows, bool exhaustive)
{
    CountedP c;
    c.statistic = statistic;
    c.pValue = static_cast<double>(atLeastCount) / static_cast<double>(rows);
    if (exhaustive) {
        c.hits = atLeastCount;
        c.mcLow = c.mcHigh = c.pValue;
    } else {
        c.hits = atLeastCount - 1;
        std::tie(c.mcLow, c.mcHigh) = monteCarloInterval(c.hits, rows - 1);
    }
    return c;
}

// Fisher's statistic per row: -2 sum_t ln p*_t, p*_t the share of rows whose task statistic is at
// least this row's.
std::vector<double> fisherStatistics(const Values& values, const Tasks& tasks)
{
    const std::size_t rows = values.rows();
    std::vector<double> fisher(rows, 0.0);
    std::vector<std::int64_t> column(rows);
    const double lnRows = std::log(static_cast<double>(rows));
    for (std::size_t t = 0; t < values.tasks; ++t) {
        if (!(tasks.root[t] > 0.0))
            continue;
        for (std::size_t k = 0; k < rows; ++k)
            column[k] = values.at(k, t);
        std::sort(column.begin(), column.end());
        for (std::size_t k = 0; k < rows; ++k) {
            const auto below = std::lower_bound(column.begin(), column.end(), values.at(k, t)) - column.begin();
            const auto count = static_cast<double>(rows - static_cast<std::size_t>(below));
            fisher[k] += -2.0 * (std::log(count) - lnRows);
        }
    }
    return fisher;
}

CombinationResult evaluate(const Values& values, const Tasks& tasks, bool exhaustive)
{
    CombinationResult r;
    const std::size_t rows = values.rows();
    r.exhaustive = exhaustive;
    r.permutations = exhaustive ? 0 : rows - 1;
    r.testedTasks = tasks.active;
    for (std::size_t t = 0; t < values.tasks; ++t) {
        std::uint64_t up = 0;
        std::uint64_t down = 0;
        const std::int64_t observed = values.at(0, t);
        for (std::size_t k = 0; k < rows; ++k) {
            up += values.at(k, t) >= observed ? 1u : 0u;
            down += values.at(k, t) <= observed ? 1u : 0u;
        }
        const double z = tasks.root[t] > 0.0 ? static_cast<double>(observed) / tasks.root[t] : 0.0;
        r.task.push_back(counted(z, up, rows, exhaustive));
        r.taskPLower.push_back(static_cast<double>(down) / static_cast<double>(rows));
    }
    std::vector<double> stouffer(rows, 0.0);
    std::vector<double> maxZ(rows, -std::numeric_limits<double>::infinity());
    const double norm = tasks.active > 0 ? std::sqrt(static_cast<double>(tasks.active)) : 1.0;
    for (std::size_t k = 0; k < rows; ++k) {
        for (std::size_t t = 0; t < values.tasks; ++t) {
            if (!(tasks.root[t] > 0.0))
                continue;
            const double z = static_cast<double>(values.at(k, t)) / tasks.root[t];
            stouffer[k] += z;
            maxZ[k] = std::max(maxZ[k], z);
        }
        stouffer[k] /= norm;
        if (tasks.active == 0)
            maxZ[k] = 0.0;
    }
    const auto fisher = fisherStatistics(values, tasks);
    r.pooled = counted(stouffer[0], atLeast(stouffer), rows, exhaustive);
    r.fisher = counted(fisher[0], atLeast(fisher), rows, exhaustive);
    r.maxZ = counted(maxZ[0], atLeast(maxZ), rows, exhaustive);
    for (std::size_t t = 0; t < values.tasks; ++t)
        if (tasks.root[t] > 0.0
            && (r.maxTask < 0 || r.task[t].statistic > r.task[static_cast<std::size_t>(r.maxTask)].statistic))
            r.maxTask = static_cast<int>(t);
    return r;
}

bool holds(const CountedP& p, double level)
{
    return p.mcLow <= level && level <= p.mcHigh;
}

// The verdict still depends on the permutations: no test is surely below the level (that would
// decide "degraded" whatever the seed) and some test's interval holds it.
bool straddles(const CombinationResult& r, double level)
{
    const bool surelyBelow = r.pooled.mcHigh < level || r.fisher.mcHigh < level || r.maxZ.mcHigh < level;
    return !surelyBelow && (holds(r.pooled, level) || holds(r.fisher, level) || holds(r.maxZ, level));
}

} // namespace

Result<CombinationResult> combineTasks(std::span<const std::int64_t> q, std::span<const std::size_t> offsets,
    const CombinationOptions& options, const SumsSource& source)
{
    using R = Result<CombinationResult>;
    if (offsets.size() < 2 || !offsetsTile(offsets, q.size()))
        return R::failure(Diagnostic::error({}, 0, "the task ranges of the differences do not cover them exactly"));
    const Tasks tasks = describe(q, offsets);
    const auto nonzero = static_cast<int>(std::count_if(q.begin(), q.end(), [](std::int64_t v) { return v != 0; }));
    R out;
    const bool fits = nonzero < 63
        && (std::uint64_t { 1 } << nonzero) * (offsets.size() - 1) * sizeof(std::int64_t) <= options.memoryLimit;
    if (nonzero <= options.exhaustiveLimit && fits) {
        out.value = evaluate(enumerate(q, offsets, tasks), tasks, true);
        return out;
    }
    Values values;
    values.tasks = offsets.size() - 1;
    values.v = tasks.sum;
    std::uint64_t run = 0;
    std::uint64_t target = std::max<std::uint64_t>(1, options.permutations);
    CombinationResult result;
    for (;;) {
        SignFlipBatch batch;
        batch.first = run;
        batch.count = target - run;
        batch.seed = options.seed;
        batch.threads = options.threads;
        batch.progress = options.progress;
        auto sums = source(batch);
        out.warnings.insert(out.warnings.end(), sums.warnings.begin(), sums.warnings.end());
        if (!sums.ok())
            return R::failure(*sums.error);
        appendSums(values, tasks, sums.value->sums);
        run = target;
        result = evaluate(values, tasks, false);
        if (sums.value->cancelled) {
            result.cancelled = true;
            break;
        }
        result.stable = !straddles(result, options.level);
        if (result.stable || run >= options.maxPermutations)
            break;
        const std::uint64_t next = std::min(2 * run, options.maxPermutations);
        if ((next + 1) * values.tasks * sizeof(std::int64_t) > options.memoryLimit) {
            result.memoryCapped = true;
            break;
        }
        target = next;
    }
    out.value = std::move(result);
    return out;
}

} // namespace deltascope::stats
