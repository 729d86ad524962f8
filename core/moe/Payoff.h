// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Will expert sharing (or rebalancing) pay off on this model, this hardware and this batching?
// A roofline estimate of one decode step from a router trace (or expert load counts): the weight
// bytes the MoE layers read at each expert budget, the time they take on a GPU, how balanced the
// experts' load is over expert-parallel devices, and how long hot experts stay hot.
//
// The model of a decode step (one batch of the trace = one step; DESIGN 4.2):
//   routed-expert bytes(M) = moeLayers x A(M) x 3 x hidden x expertFfn x dtypeBytes
//       A(M): mean activated routed experts per (layer, step) slice at budget M on the busiest
//       device (all experts when devices = 1); 3 matrices per expert: gate, up and down projections
//   shared-expert bytes    = moeLayers x sharedExperts x 3 x hidden x sharedFfn x dtypeBytes
//   dense bytes            = denseParams x dtypeBytes (attention, dense FFN blocks, routers, LM head;
//                            every device of an expert-parallel group holds and reads them)
//   KV-cache bytes         = (requests per step / devices) x contextTokens x layers x kvPerToken x kvBytes
//   memory time = bytes / bandwidth; compute time = FLOPs / peak, with FLOPs = 2 x weights used x tokens
//   (routed experts: each token's k experts, 3 x hidden x expertFfn weights each; the busiest device's
//   share of the token-expert assignments); step time = max(memory time, compute time).
// Activations and the attention FLOPs over the context are left out: they are small next to weight
// and KV traffic for decode batches.

#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/TraceImport.h"
#include "moe/XShareRun.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::moe {

/// An MoE model as far as decode-step memory traffic goes. Presets come from the models'
/// published configs; every field may be edited.
struct MoeModel {
    std::string name;
    int layers = 0; ///< transformer blocks
    int moeLayers = 0; ///< blocks whose feed-forward is routed experts
    std::int64_t hidden = 0; ///< hidden size
    std::int64_t expertFfn = 0; ///< intermediate size of one routed expert
    int experts = 0; ///< routed experts per MoE layer (N)
    int topK = 0; ///< routed experts per token (k)
    int sharedExperts = 0; ///< always-active experts per MoE layer
    std::int64_t sharedFfn = 0; ///< intermediate size of one shared expert
    /// Weights read once per decode step besides the experts, in parameters: attention, dense
    /// feed-forward blocks, routers and the LM head (the embedding table is only indexed).
    double denseParams = 0.0;
    double kvPerToken = 0.0; ///< KV-cache values per context token and layer (GQA: 2 x kv heads x head dim)
    double dtypeBytes = 2.0; ///< bytes per weight: bf16 2, fp8 1, int4 0.5
    double kvBytes = 2.0; ///< bytes per KV-cache value

    /// Bytes of one routed expert: 3 x hidden x expertFfn x dtypeBytes.
    double expertBytes() const;
    /// Empty when the fields make a model, else what is wrong ("hidden size must be at least 1").
    std::string check() const;
};

/// A GPU as the roofline sees it.
struct GpuSpec {
    std::string name;
    double bandwidthGBs = 0.0; ///< memory bandwidth, GB/s (1e9 bytes per second)
    double tflops = 0.0; ///< dense 16-bit tensor throughput, TFLOPS (1e12 FLOP/s); 0: compute not modelled
    double memoryGB = 0.0; ///< memory per device, GB (1e9 bytes); 0: unknown, not checked
};

/// The built-in models: Mixtral-8x7B, OLMoE-1B-7B, DeepSeek-MoE-16B, Qwen1.5-MoE-A2.7B, DeepSeek-V3.
const std::vector<MoeModel>& modelPresets();
/// The built-in GPUs: H100 SXM, H200, A100 80GB, L40S, RTX 4090, MI300X.
const std::vector<GpuSpec>& gpuPresets();
/// A preset by name, ignoring case, spaces, '-' and '_' ("mixtral8x7b" finds Mixtral-8x7B); nullptr when none.
const MoeModel* findModel(const std::string& name);
const GpuSpec* findGpu(const std::string& name);

/// Reads a model description from JSON: our field names (layers, moe_layers, hidden_size,
/// expert_ffn, experts, top_k, shared_experts, shared_ffn, dense_params, kv_per_token, dtype_bytes,
/// kv_bytes, name), optionally starting from a preset ("base": "Mixtral-8x7B"). A Hugging Face
/// config.json is read too (num_hidden_layers, hidden_size, moe_intermediate_size or
/// intermediate_size, num_local_experts / num_experts / n_routed_experts, num_experts_per_tok,
/// n_shared_experts, shared_expert_intermediate_size, first_k_dense_replace, torch_dtype,
/// num_key_value_heads, head_dim, kv_lora_rank, vocab_size); what it cannot give is estimated
/// and said in the warnings.
Result<MoeModel> loadModelJson(const std::string& path);

/// The same from text in memory (`name` is used in messages).
Result<MoeModel> parseModelJson(std::string_view text, const std::string& name);

/// A model as JSON with our keys (every field), which parseModelJson reads back unchanged.
std::string modelJsonText(const MoeModel& model);

/// Per-step load statistics of the baseline top-k routing, from one pass over the trace.
struct LoadBalance {
    double perStep = 0.0; ///< mean over (layer, step) slices of mean / max device load (token-expert assignments)
    double overall = 0.0; ///< mean / max device load of the loads summed over the whole trace (or counts)
};

/// How long hot experts stay hot: per layer and step the hot set is the ceil(N/10) experts with the
/// most token-expert assignments (at least one; ties to the lower id).
struct Hotness {
    int hotExperts = 0; ///< ceil(N/10)
    double meanRun = 0.0; ///< mean length, in steps, of a run of consecutive steps an expert stays hot
    double persistence = 0.0; ///< P(hot at step s+1 | hot at step s)
    double independentRun = 0.0; ///< the mean run if hot sets were drawn anew each step: 1 / (1 - hot/N)
    std::int64_t runs = 0;
};

/// What one pass over the trace's slices gives besides the XShare sweep.
struct StepLoads {
    std::int64_t steps = 0; ///< batches
    std::int64_t slices = 0; ///< (layer, step) slices with a routed token
    double tokensPerStep = 0.0; ///< mean routed tokens per step
    double requestsPerStep = 0.0; ///< mean distinct requests per step
    double activatedPerSlice = 0.0; ///< mean experts the top-k baseline activates per slice
    int devices = 1;
    LoadBalance contiguous; ///< expert e on device floor(e G / N)
    LoadBalance
        balanced; ///< per layer, greedy by the layer's total load (moe::balancedPlacement): in-sample, so a best case
    Hotness hot;
    double assignmentsPerSlice = 0.0; ///< mean token-expert assignments per slice (tokens x k when all are known)
    double activatedDevice = 0.0; ///< mean over slices of the most activated experts on one device (contiguous)
    double assignmentsDevice = 0.0; ///< mean over slices of the most assignments on one device (contiguous)
    std::int64_t experts = 0; ///< N of the trace
    std::int64_t topK = 0;
    std::int64_t layers = 0; ///< MoE layers traced (or counted)
    bool fromCounts = false; ///< from load counts: no steps, perStep and hotness unknown
};

/// The pass over the trace: the baseline routing of every (layer, batch) slice, layers spread over
/// `threads` threads (0: all cores). Progress: fraction of the layers done; returning false
/// cancels (the result is then an error saying "cancelled").
Result<StepLoads> stepLoads(
    const Trace& trace, const Batches& batches, int devices, const Progress& progress = {}, unsigned threads = 0);

/// The same from expert load counts (no steps): the activated experts per slice expected when
/// `tokensPerStep` tokens each pick expert e with probability count(e) / tokens (so sum = k):
/// sum_e 1 - (1 - q_e)^T; one token per request and step (requests = T); balance from the summed
/// counts only. The busiest device's activated experts is the largest expectation over the devices.
StepLoads countLoads(const ExpertCounts& counts, int topK, double tokensPerStep, int devices);

/// The deployment a step runs on.
struct PayoffOptions {
    MoeModel model;
    GpuSpec gpu;
    int devices = 1; ///< expert-parallel devices (experts spread in contiguous blocks); 1: one GPU holds all
    std::int64_t contextTokens = 2048; ///< mean context length of a request in flight (KV-cache reads)
    // The rule of the conclusion (see PayoffVerdict).
    double minExpertShare = 0.2; ///< routed-expert bytes below this share of a step's bytes: no gain
    double saturation = 0.9; ///< activated experts at or above this fraction of N at every budget: no gain
    double minSaving = 0.05; ///< a step time saving below this is "little gain"
    /// The conclusion also names the smallest budget keeping at least this share of the gating mass.
    double massFloor = 0.95;
    /// Without a sweep (load counts carry no scores): rows at these budgets with at most M experts
    /// per slice, min(M, baseline activated): an upper bound of what XShare reads.
    std::vector<int> budgets;
};

/// One row: the baseline (budget = 0: top-k) or an XShare budget.
struct PayoffRow {
    int budget = 0; ///< 0: the top-k baseline
    double activated = 0.0; ///< mean activated routed experts per (layer, step) slice, all devices
    double activatedDevice = 0.0; ///< the same on the busiest device (= activated with one device)
    double expertBytes = 0.0; ///< routed-expert weight bytes read per step (busiest device)
    double otherBytes = 0.0; ///< shared experts, dense weights and KV cache per step (one device)
    double memorySeconds = 0.0;
    double computeSeconds = 0.0;
    double stepSeconds = 0.0; ///< max of the two
    double saving = 0.0; ///< 1 - stepSeconds / baseline stepSeconds
    double massRetained = 1.0; ///< XShare's kept gating mass (1 for the baseline; NaN from counts: unknown)
};

/// The plain-language answer. The rule, in this order:
///  1. ComputeBound: at the baseline the step's compute time is at least its memory time (many
///     tokens per activated expert): fewer experts read saves nothing. "not bandwidth-bound: expect no gain".
///  2. SmallShare: routed-expert bytes are below minExpertShare of the step's bytes (attention,
///     dense weights and KV cache dominate). "not bandwidth-bound: expect no gain".
///  3. Saturated: at every budget considered the batch still activates at least `saturation` x N
///     experts per slice. "expect no gain".
///  4. LittleGain: the best saving over the budgets is below minSaving; or, where the kept gating
///     mass is known (a sweep), no budget keeping massFloor of it saves minSaving (the budgets that
///     save more are named with the mass they keep).
///  5. Pays: the best saving is minSaving or more (with a sweep: that of the smallest budget keeping
///     massFloor of the gating mass, the budget named): the budget and the saving are named.
enum class PayoffVerdict { ComputeBound, SmallShare, Saturated, LittleGain, Pays };
const char* toString(PayoffVerdict v); ///< compute-bound, small-share, saturated, little-gain, pays

struct PayoffEstimate {
    PayoffOptions options;
    StepLoads loads;
    PayoffRow baseline;
    std::vector<PayoffRow> budgets; ///< in the sweep's order
    double expertShare = 0.0; ///< routed-expert bytes / all bytes at the baseline
    double tokensPerExpert = 0.0; ///< mean token-expert assignments per activated expert (baseline)
    double ridge = 0.0; ///< FLOP per byte where the GPU turns compute-bound (0: compute not modelled)
    PayoffVerdict verdict = PayoffVerdict::Pays;
    int bestBudget = 0; ///< the budget with the largest saving (0: none)
    double bestSaving = 0.0;
    int keepBudget = 0; ///< the smallest budget keeping massFloor of the gating mass (0: none, or unknown)
    double keepSaving = 0.0;
    std::string conclusion; ///< one or two sentences
    std::vector<std::string> notes; ///< what was assumed or extrapolated
    /// Weight bytes each device holds (its share of the routed experts, the shared experts and the
    /// dense weights), and whether they fit in the GPU's memory (true when the memory is unknown).
    double weightBytesDevice = 0.0;
    bool fits = true;
};

/// Checks that the model fits the trace (experts and k must match; traced MoE layers may be fewer
/// than the model's: their mean is extrapolated to every MoE layer).
std::string checkModelAgainst(const MoeModel& model, std::int64_t experts, std::int64_t topK);

/// The estimate from the step loads and an XShare sweep of the same batching (`sweep` may be null
/// or empty: the baseline only). With expert parallelism the sweep must have run with `devices`
/// devices and the contiguous placement: its peak device loads are the busiest device's.
Result<PayoffEstimate> estimatePayoff(const StepLoads& loads, const XShareResult* sweep, const PayoffOptions& options);

/// Bytes and time of one step (the model at the top of this header) when the busiest device
/// activates `activatedDevice` routed experts per MoE layer and receives `assignmentsDevice`
/// token-expert assignments per MoE layer, with `tokensPerStep` tokens from `requestsPerStep`
/// requests in the step. Fills every field of the row but budget, activated, saving and massRetained.
PayoffRow stepCost(const PayoffOptions& options, double activatedDevice, double assignmentsDevice, double tokensPerStep,
    double requestsPerStep);

} // namespace deltascope::moe
