// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the CPU fast paths (sweepSlice, sliceBudgets) share before the budgets: internal to the
// moe library.

#include "moe/XShare.h"

#include <cstdint>
#include <vector>

namespace deltascope::moe::detail {

// The per-slice work every policy shares, in one pass over the rows: per token the baseline top-k
// (best first), and with baseMasks as bits and its mass (which re-routing reads, the sweep not);
// per expert the utility and the number of tokens routed to it. Returns false when in.rows is set
// and a row holds a score that cannot be ordered.
bool prepare(const SliceInput& in, SliceScratch& s, SliceSweep& out, bool baseMasks = true);

// Baseline union and per-device peaks from the per-expert token counts.
void baseSummary(
    const SliceScratch& s, const std::vector<int>& device, const PolicyConfig& config, int devices, SliceSweep& out);

// Top-k at every budget: the baseline.
void baselineEveryBudget(const SliceScratch& s, SliceSweep& out);

// The experts some token's top-k holds, ascending.
void baseExperts(const SliceScratch& s, std::vector<int>& out);

// The warm-up set: each token's top-w experts.
const std::vector<std::uint8_t>& warmSet(const SliceInput& in, SliceScratch& s, int warmup);

// The batch-greedy order (warm-up experts first, each group by decreasing utility, ties to the
// lower id), of which only the first `limit` entries are sorted.
void priorityInto(
    const std::vector<double>& u, const std::vector<std::uint8_t>& warm, int limit, std::vector<int>& order);

// The speculative order: the union of each request's m best experts by batch utility, then the
// other experts by plain utility, of which only the entries up to `limit` are sorted.
void speculativeInto(
    const SliceInput& in, const SliceScratch& s, int requestExperts, int limit, std::vector<int>& order);

// Sizes the per-budget arrays of out for budgets 0..n.
void sizeArrays(SliceSweep& out, int n);

// The device map of a configuration, built once per scratch and reused while the configuration
// stays the same (every slice of a run); count receives the number of devices.
const std::vector<int>& cachedDevices(const PolicyConfig& config, int experts, SliceScratch& s, int& count);

} // namespace deltascope::moe::detail
