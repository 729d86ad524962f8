// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "eval/Pairing.h"

#include <cstdint>
#include <vector>

namespace deltascope::report {

/// One pair of the comparison, as the disagreement table lists it.
struct Disagreement {
    std::uint32_t task = 0; ///< index into PairedRuns::tasks (and the report's tasks)
    std::uint32_t pair = 0; ///< index of the pair within its task
    double base = 0.0;
    double cand = 0.0;
    double drop = 0.0; ///< oriented difference: positive when the candidate is worse
    int direction = 0; ///< +1 regression, -1 improvement, 0 the same score
};

/// The pairs whose scores differ (every pair with `all`), task by task in pair order.
std::vector<Disagreement> listDisagreements(const eval::PairedRuns& paired, bool all = false);

} // namespace deltascope::report
