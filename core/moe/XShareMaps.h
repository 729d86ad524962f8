// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The activation maps of XShare runs (runXShare, assembleXShare): which experts are active, per
// layer and device, for one budget or, from a sweep, for every budget. Internal to the moe library.

#include "moe/XShare.h"
#include "moe/XShareRun.h"

#include <cstdint>
#include <vector>

namespace deltascope::moe::detail {

// The activation maps of the first budget: which experts are active, per layer and device.
void addMaps(XShareTotals& a, const SliceScratch& scratch, const std::vector<int>& devices, int G, std::size_t layer);

// The budget maps of a swept slice: each expert is active over the budgets [rank + 1, maxEnd)
// (top-k: every budget, where the baseline activates it), and the per-device loads of every budget.
void addBudgetMaps(XShareTotals& a, const SliceScratch& scratch, const SliceSweep& sw, const std::vector<int>& devices,
    int G, std::size_t layer, const XShareOptions& options);

// The activation maps of every budget from a sweep's totals, as assembleXShare makes the maps of
// one budget: fractions of each layer's counted slices, per-device means over all counted slices.
std::vector<ActivationMaps> budgetMapsOf(
    const XShareOptions& options, const XShareTotals& total, std::int64_t counted, int N, int G);

} // namespace deltascope::moe::detail
