// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace deltascope::stats {

/// Discordant-pair counts of one task.
struct TaskCounts {
    std::int64_t b = 0;
    std::int64_t c = 0;
};

struct PooledResult {
    std::int64_t b = 0;
    std::int64_t c = 0;
    double pValue = 1.0;
    double lnP = 0.0; ///< ln pValue, finite where it underflows
};

struct FisherResult {
    double statistic = 0.0; ///< -2 sum ln p_t, from the tasks' ln p (never clamped)
    int df = 0; ///< 2 T, T = tasks with at least one discordant pair
    double pValue = 1.0;
    double lnP = 0.0;
};

struct MaxDropResult {
    double statistic = 0.0; ///< max_t (b_t - c_t) / sqrt(b_t + c_t)
    int task = -1; ///< index of the task that attains it; -1 when no task has discordant pairs
    double pValue = 1.0;
    double lnP = 0.0;
};

/// One decision across the tasks of a comparison (pooled, Fisher, exact max-drop; alpha/3 each).
struct AggregateResult {
    PooledResult pooled;
    FisherResult fisher;
    MaxDropResult maxDrop;
    double alpha = 0.05;
    double level = 0.05 / 3.0; ///< decisionLevel(alpha, tasks with pairs)
    bool degraded = false;
};

/// The level each of the three deciding tests is held to (DESIGN 3.3): alpha / 3 with two or more
/// tested tasks (Bonferroni over pooled, Fisher and max-drop), alpha with one (the three are then
/// the same test). Power and the minimum detectable drop use this level too.
double decisionLevel(double alpha, int testedTasks);

PooledResult pooledTest(std::span<const TaskCounts> tasks);
FisherResult fisherTest(std::span<const TaskCounts> tasks);
MaxDropResult maxDropTest(std::span<const TaskCounts> tasks);
/// The three tests over the tasks; degraded when one p is below the decision level (alpha/3, or
/// alpha when `testedTasks` is 1). testedTasks < 0: the number of tasks given.
AggregateResult aggregate(std::span<const TaskCounts> tasks, double alpha, int testedTasks = -1);

} // namespace deltascope::stats
