// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/XShare.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace deltascope::moe {

struct LayerMetrics {
    int layer = 0; ///< model layer index
    double activatedBaseMean = 0.0; ///< mean over the layer's slices
    double activatedMean = 0.0;
    double massRetained = 0.0;
};

/// A policy at one budget, aggregated over every slice of the trace.
struct BudgetResult {
    int budget = 0;
    std::int64_t activatedBase = 0; ///< sum over slices
    std::int64_t activated = 0;
    double reduction = 0.0; ///< 1 - activated / activatedBase
    double massRetained = 0.0; ///< kept gating mass / baseline top-k mass
    double topkOverlap = 0.0; ///< mean over routed tokens of |R & R'| / k
    double unchangedTokens = 0.0; ///< fraction of routed tokens whose routing is unchanged
    double peakDeviceLoadBase = 0.0; ///< mean over slices of the most activated experts on one device
    double peakDeviceLoad = 0.0;
    double peakDeviceTokensBase = 0.0; ///< mean over slices of the most token-expert assignments on one device
    double peakDeviceTokens = 0.0;
    std::vector<LayerMetrics> perLayer;
};

struct SliceRecord {
    int layer = 0;
    int batch = 0;
    int tokens = 0;
    int activatedBase = 0;
    int activated = 0;
    double massRetained = 0.0;
    std::vector<int> selected; ///< the selected set (top-k: the experts the baseline activates), ascending
};

/// Where the experts are active, for the first budget: what the heatmaps and device charts draw.
struct ActivationMaps {
    int layers = 0;
    int experts = 0;
    int devices = 0;
    std::vector<double> base; ///< [layer][expert] fraction of the layer's slices where top-k activates it
    std::vector<double> policy; ///< [layer][expert] the same under the policy
    std::vector<double> deviceBase; ///< [device] activated experts per slice, mean
    std::vector<double> device; ///< [device] the same under the policy
    std::vector<double> deviceTokensBase; ///< [device] token-expert assignments per slice, mean
    std::vector<double> deviceTokens;
};

struct XShareResult {
    std::vector<BudgetResult> results;
    ActivationMaps maps; ///< filled when asked for
    std::vector<ActivationMaps> budgetMaps; ///< [budget] with XShareOptions::budgetMaps (sweeps on the CPU)
    std::vector<SliceRecord> slices; ///< for the first budget, when asked for (slices with a routed token)
    std::int64_t sliceCount = 0; ///< slices with a routed token (the others are skipped, DESIGN 4.4)
    bool cancelled = false;
};

struct XShareOptions {
    PolicyConfig policy;
    std::vector<int> budgets; ///< each in [k, N]
    bool perSlice = false;
    bool maps = false; ///< fill XShareResult::maps (for the first budget, computed alone)
    /// With a sweep (sweepsBudgets) on the CPU, without expert copies: fill XShareResult::budgetMaps,
    /// the activation maps of every budget, from the same pass. A budget step then needs no pass
    /// over the trace. Backends that cannot leave budgetMaps empty.
    bool budgetMaps = false;
    unsigned threads = 0;
    Progress progress;
};

/// Sums over the slices of a run, per budget (index into XShareOptions::budgets) and layer: what
/// every backend produces before the metrics are formed. Sums of integers are exact; the mass sums
/// depend on the order of addition only through rounding.
struct XShareTotals {
    std::size_t budgets = 0;
    std::size_t layers = 0;
    std::vector<std::int64_t> activatedBase, activated, overlap, unchanged, routed; ///< [budget]
    std::vector<double> massBase, mass, peakBase, peak, peakTokensBase, peakTokens; ///< [budget]
    std::vector<std::int64_t> layerSlices; ///< [layer]
    std::vector<double> layerActBase, layerAct, layerMassBase, layerMass; ///< [layer][budget]
    std::vector<std::int64_t> mapBase, mapPolicy; ///< [layer][expert] slices where the expert is active
    std::vector<double> devBase, dev, devTokensBase, devTokens; ///< [device] sums over slices
    /// Budget maps of a sweep: [layer][expert][M], M in 0..experts+1, the change at M of the number of
    /// slices where the expert is active (an expert is active over a range of budgets in each slice).
    std::vector<std::int32_t> mapDiff;
    std::vector<double> devAt, devTokensAt; ///< [budget][device] sums over slices (budget maps)

    void init(std::size_t budgetCount, std::size_t layerCount, std::size_t experts, int devices, bool maps,
        bool budgetMaps = false);
    void add(const XShareTotals& other);
};

/// The options' problems for this trace (budgets outside [k, N], placements that do not fit), or
/// nothing when a run may start.
std::optional<Diagnostic> checkXShareOptions(const Trace& trace, const XShareOptions& options);

/// The first gating score a run would refuse (NaN, infinite, or negative where scores are
/// probabilities), naming its token, layer and expert, or nothing when every score is usable.
/// Reads the whole trace: dense fp32 probabilities in place, 64 MB at a time, the first failing row
/// again as a run reads it; other traces row by row, token by token.
std::optional<Diagnostic> checkGatingScores(const Trace& trace);

/// True when the run computes every budget from one sweep per slice (nested policies, several
/// budgets, no maps); otherwise each budget comes from its own selected set.
bool sweepsBudgets(const XShareOptions& options);

/// The metrics of DESIGN 4.4 from the totals of a run over `slices` slices (layers x batches): means
/// are over the slices the totals counted (layerSlices), those with a routed token.
XShareResult assembleXShare(const Trace& trace, const XShareOptions& options, const XShareTotals& totals,
    std::size_t slices, std::vector<SliceRecord> records, bool cancelled);

/// Runs a policy over every (layer, batch) slice of the trace and aggregates the metrics of
/// DESIGN 4.4 per budget, per layer and overall. Batch and speculative policies compute every
/// budget from one pass per slice. Fails on NaN or negative probabilities with the token and
/// layer where they are.
Result<XShareResult> runXShare(const Trace& trace, const Batches& batches, const XShareOptions& options);

} // namespace deltascope::moe
