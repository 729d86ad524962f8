// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "stats/SignFlip.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace deltascope::stats {

/// A p-value counted over sign-flip permutations, with its Monte Carlo error.
struct CountedP {
    double statistic = 0.0; ///< the observed value
    std::uint64_t hits = 0; ///< permutations (not counting the data) at least as extreme
    double pValue = 1.0; ///< (1 + hits) / (1 + P), or the exact share of all sign patterns
    double mcLow = 0.0; ///< 99% Clopper-Pearson interval of hits / P (the p-value itself when exhaustive)
    double mcHigh = 1.0;
};

/// The tasks' studentized statistics combined over the same sign flips (DESIGN 3.3): Stouffer's sum
/// (pooled), Fisher's product of the tasks' permutation p-values, and the largest task statistic.
struct CombinationResult {
    std::uint64_t permutations = 0; ///< permutations run (0 when exhaustive)
    bool exhaustive = false; ///< every sign pattern was enumerated: exact p-values
    bool stable = true; ///< no deciding p-value's interval holds the level
    bool memoryCapped = false; ///< the extension stopped at the memory limit, not at maxPermutations
    bool cancelled = false;
    int testedTasks = 0; ///< tasks with a non-zero difference
    CountedP pooled; ///< Stouffer: sum_t z_t / sqrt(T)
    CountedP fisher; ///< -2 sum_t ln p_t
    CountedP maxZ; ///< max_t z_t
    int maxTask = -1; ///< the task attaining maxZ
    std::vector<CountedP> task; ///< each task's own test of S_t (upper tail: the candidate is worse)
    std::vector<double> taskPLower; ///< each task's lower tail (the candidate is better)
};

struct CombinationOptions {
    std::uint64_t permutations = 10000;
    std::uint64_t maxPermutations = 1000000; ///< extension limit (doubling) while a p straddles `level`
    std::uint64_t seed = 0;
    unsigned threads = 0;
    double level = 0.05; ///< the level the three combined p-values are decided at
    int exhaustiveLimit = 20; ///< enumerate every sign pattern up to this many non-zero differences
    std::size_t memoryLimit = std::size_t { 1 } << 30; ///< bytes for the permutation statistics
    Progress progress;
};

/// Where the flipped sums come from (a compute backend); an error ends the test.
using SumsSource = std::function<Result<FlippedSums>(const SignFlipBatch&)>;

/// The studentized combination of tasks whose exact integer differences are q (all tasks in a row,
/// `offsets` their tasks + 1 bounds). With at most exhaustiveLimit non-zero differences every sign
/// pattern is enumerated; otherwise `source` runs the permutations, and while a combined p-value's
/// 99% Monte Carlo interval holds `level` their number doubles (the same stream continued) up to
/// maxPermutations.
Result<CombinationResult> combineTasks(std::span<const std::int64_t> q, std::span<const std::size_t> offsets,
    const CombinationOptions& options, const SumsSource& source);

/// 99% Clopper-Pearson interval of hits / trials.
std::pair<double, double> monteCarloInterval(std::uint64_t hits, std::uint64_t trials);

} // namespace deltascope::stats
