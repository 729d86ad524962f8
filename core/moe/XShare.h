// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::moe {

enum class Policy { TopK, Batch, ExpertParallel, Speculative };

/// The largest k (and warm-up width, when the trace has more experts) a run supports.
constexpr int kMaxSliceList = 1024;

const char* toString(Policy p);
bool parsePolicy(const std::string& text, Policy& out);

struct PolicyConfig {
    Policy policy = Policy::Batch;
    int warmup = 1; ///< w: each token's top-w experts go first (0 disables)
    int devices = 1; ///< G, for the expert-parallel policy and the per-device load
    std::vector<int> placement; ///< expert -> device; empty: contiguous blocks (e on floor(e G / N))
    /// Devices holding extra copies of each expert (empty: no replication). A replicated expert's
    /// tokens are dealt round-robin over its copies (the placed device first), so its assignments
    /// and its activation spread over those devices in the per-device loads.
    std::vector<std::vector<int>> replicas;
    int requestExperts = 0; ///< m of the speculative policy (0: k)
};

/// One (layer, batch) slice: T tokens' gating scores over N experts, row-major, with -infinity for
/// experts whose score is unknown (sparse traces). Known scores are non-negative (probabilities,
/// sigmoid outputs), with no -0.0: the kernels order them by their bits.
struct SliceInput {
    int tokens = 0;
    int experts = 0;
    int topK = 0;
    const float* scores = nullptr; ///< [tokens][experts]
    /// When set, token t's row is rows[t] instead of scores + t * experts: rows read in place from
    /// a memory-mapped trace. Such rows are checked by the kernels (see sweepSlice).
    const float* const* rows = nullptr;
    const std::int32_t* request = nullptr; ///< [tokens], for the speculative policy
    bool hasUnknown = true; ///< false promises that no score is -infinity (dense traces): faster sums
    /// Rows the next slice will read (a hint: they are asked for while this slice is computed).
    const float* const* ahead = nullptr;
    int aheadCount = 0;
};

/// Metrics of one slice for every budget M in [0, experts] (entries below k are meaningless).
struct SliceSweep {
    int routedTokens = 0; ///< tokens with at least one known score
    int activatedBase = 0; ///< |union of the tokens' top-k|
    double massBase = 0.0; ///< sum of the tokens' top-k scores
    int peakBase = 0; ///< most activated experts on one device (baseline)
    int peakTokensBase = 0; ///< most token-expert assignments on one device (baseline)
    std::vector<int> activated; ///< [M]: experts some token is routed to
    std::vector<double> mass; ///< [M]: kept score mass
    std::vector<int> overlap; ///< [M]: sum over tokens of |R_t & R'_t|
    std::vector<int> unchanged; ///< [M]: tokens whose routing is unchanged
    std::vector<int> peak; ///< [M]
    std::vector<int> peakTokens; ///< [M]
    std::vector<int> order; ///< priority order: S(M) is its first M entries (batch, speculative)
    std::vector<int> selected; ///< selected set of one budget (sliceBudgets: the last; referenceSlice: the first)
    /// Set by the caller of sweepSlice to receive the per-device loads of every budget below.
    bool deviceLoads = false;
    std::vector<int> deviceActive; ///< [M][device]: activated experts on each device (deviceLoads)
    std::vector<int> deviceTokens; ///< [M][device]: token-expert assignments on each device (deviceLoads)
};

/// Reusable buffers, one per thread.
struct SliceScratch {
    std::vector<float> utility;
    std::vector<std::uint8_t> inBase;
    std::vector<int> rank;
    std::vector<int> maxEnd;
    std::vector<int> diff;
    std::vector<double> diffMass;
    std::vector<int> diffOverlap;
    std::vector<int> diffUnchanged;
    std::vector<int> devDiff;
    std::vector<int> devTokenDiff;
    std::vector<int> baseCount;
    std::vector<int> device; ///< expert -> device, cached for the configuration below
    std::vector<int> devicePlacement;
    int deviceExperts = -1;
    int deviceConfigured = 0;
    std::vector<int> topIds; ///< [tokens][k] baseline experts, best first
    std::vector<float> topScores;
    std::vector<int> candidates;
    std::vector<double> util; ///< [experts] utility sums of the slice
    std::vector<std::uint64_t> baseMask; ///< [tokens][words] the baseline top-k as bits
    std::vector<double> tokenMass; ///< [tokens] sum of the token's top-k scores
    std::vector<int> kOf; ///< [tokens] how many experts the token routes to (k, or fewer known)
    std::vector<std::uint64_t> selMask; ///< [words] the selected set of one budget
    std::vector<int> used; ///< [experts] tokens routed to each expert under the policy
    std::vector<float> selLanes; ///< [experts] -0 for a selected expert, +0 otherwise (vector blends)
    std::vector<std::uint8_t> warm; ///< [experts] the warm-up set of the slice
    std::vector<std::uint64_t> work; ///< the shared slice code's working memory (referenceSlice)
};

/// Number of devices the configuration spreads experts over.
int deviceCount(const PolicyConfig& config);

/// Device of each expert under the configuration (contiguous blocks unless a placement is given).
std::vector<int> devicesOf(const PolicyConfig& config, int experts);

/// Runs the batch-greedy or speculative policy on one slice for every budget up to maxBudget in
/// one pass (S(M) is a prefix of one priority order), or the top-k baseline. For the
/// expert-parallel policy, which has no nested sets, use sliceBudgets.
/// Returns false, computing nothing, when in.rows is set and some row holds a score the kernels
/// cannot order (negative, -0, NaN or infinite): the caller copies and checks those rows itself.
bool sweepSlice(
    const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& scratch);

/// The given budgets of any policy, each from its selected set, sharing one pass over the rows
/// for the baseline and the utilities: the fast path for one budget and for the expert-parallel
/// policy. Fills entry M of the arrays for each budget M, the baseline fields and, for the last
/// budget, `selected`. Returns false like sweepSlice.
bool sliceBudgets(const SliceInput& in, const PolicyConfig& config, const std::vector<int>& budgets, SliceSweep& out,
    SliceScratch& scratch);

/// The shared slice template (moe/slice/SelectSlice.h, the code the CUDA kernel runs) on the host,
/// for the given budgets: from one sweep when `sweep` and the policy nests, else budget by budget.
/// Fills entry M of the arrays for each budget M, the baseline fields, `order` (every policy but
/// top-k) and `selected` (the first budget's selected set; top-k: the experts its baseline
/// activates); leaves each expert's token counts of the first budget in scratch.baseCount and
/// scratch.used. The reference every faster path is tested against.
void referenceSlice(const SliceInput& in, const PolicyConfig& config, const std::vector<int>& budgets, bool sweep,
    SliceSweep& out, SliceScratch& scratch);

/// One budget of referenceSlice (arrays are sized experts + 1).
void runSliceBudget(
    const SliceInput& in, const PolicyConfig& config, int budget, SliceSweep& out, SliceScratch& scratch);

/// The priority order of the batch-greedy policy (from referenceSlice): warm-up experts by
/// decreasing utility, then the rest by decreasing utility (ties to the lower id).
std::vector<int> batchPriority(const SliceInput& in, int warmup);

/// The speculative policy's order: the union of each request's m best experts by batch utility,
/// then the other experts by plain utility.
std::vector<int> speculativePriority(const SliceInput& in, int requestExperts);

/// Each token's routing within a selected set: its k best experts among them, best first (the
/// re-routing of every policy; with every expert selected, the baseline top-k).
std::vector<std::vector<int>> routeWithin(const SliceInput& in, const std::vector<int>& selected);

/// The expert-parallel selection for budget M: greedy over the batch priority, at most ceil(M/G)
/// experts per device.
std::vector<int> expertParallelSelection(const SliceInput& in, const PolicyConfig& config, int budget);

} // namespace deltascope::moe
