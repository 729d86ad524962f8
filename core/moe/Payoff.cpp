// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/Payoff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace deltascope::moe {

namespace {

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string percent(double fraction)
{
    return fixed(100.0 * fraction, fraction < 0.1 ? 1 : 0) + "%";
}

std::string millis(double seconds)
{
    return fixed(1e3 * seconds, seconds < 1e-3 ? 3 : 2) + " ms";
}

std::string gigabytes(double bytes)
{
    return fixed(bytes / 1e9, bytes < 1e9 ? 3 : 2) + " GB";
}

} // namespace

const char* toString(PayoffVerdict v)
{
    switch (v) {
    case PayoffVerdict::ComputeBound:
        return "compute-bound";
    case PayoffVerdict::SmallShare:
        return "small-share";
    case PayoffVerdict::Saturated:
        return "saturated";
    case PayoffVerdict::LittleGain:
        return "little-gain";
    case PayoffVerdict::Pays:
        break;
    }
    return "pays";
}

std::string checkModelAgainst(const MoeModel& model, std::int64_t experts, std::int64_t topK)
{
    // The presets of the input's shape, named so that the user can pick one.
    std::string fitting;
    for (const auto& p : modelPresets())
        if (p.experts == experts && (topK <= 0 || p.topK == topK))
            fitting += (fitting.empty() ? "" : ", ") + p.name;
    const std::string hint = fitting.empty()
        ? std::string()
        : " (the built-in model" + std::string(fitting.find(',') != std::string::npos ? "s " : " ") + fitting
            + (fitting.find(',') != std::string::npos ? " have" : " has") + " that shape)";
    if (model.experts != experts)
        return "the model " + model.name + " has " + std::to_string(model.experts)
            + " routed experts, but the input has " + std::to_string(experts) + hint;
    if (topK > 0 && model.topK != topK)
        return "the model " + model.name + " routes each token to " + std::to_string(model.topK)
            + " experts, but the input routes it to " + std::to_string(topK) + hint;
    return {};
}

PayoffRow stepCost(const PayoffOptions& o, double activatedDevice, double assignmentsDevice, double tokensPerStep,
    double requestsPerStep)
{
    const MoeModel& m = o.model;
    const double G = std::max(1, o.devices);
    const double h = static_cast<double>(m.hidden);
    const double moe = m.moeLayers;
    const double sharedWeights = moe * m.sharedExperts * 3.0 * h * static_cast<double>(m.sharedFfn);
    PayoffRow r;
    r.activatedDevice = activatedDevice;
    r.expertBytes = moe * activatedDevice * m.expertBytes();
    r.otherBytes = (sharedWeights + m.denseParams) * m.dtypeBytes
        + requestsPerStep / G * static_cast<double>(o.contextTokens) * m.layers * m.kvPerToken * m.kvBytes;
    r.memorySeconds = (r.expertBytes + r.otherBytes) / (o.gpu.bandwidthGBs * 1e9);
    // Two FLOPs (a multiply and an add) per weight and token that uses it. The dense part (and the
    // shared experts) serve this device's share of the tokens under expert parallelism.
    const double tokensHere = tokensPerStep / G;
    const double flops = 2.0 * moe * assignmentsDevice * 3.0 * h * static_cast<double>(m.expertFfn)
        + 2.0 * tokensHere * (sharedWeights + m.denseParams);
    r.computeSeconds = o.gpu.tflops > 0 ? flops / (o.gpu.tflops * 1e12) : 0.0;
    r.stepSeconds = std::max(r.memorySeconds, r.computeSeconds);
    return r;
}

Result<PayoffEstimate> estimatePayoff(const StepLoads& loads, const XShareResult* sweep, const PayoffOptions& o)
{
    using R = Result<PayoffEstimate>;
    auto fail = [](std::string message) { return R::failure(Diagnostic::error({}, 0, std::move(message))); };
    if (auto problem = o.model.check(); !problem.empty())
        return fail(problem);
    if (auto problem = checkModelAgainst(o.model, loads.experts, loads.topK); !problem.empty())
        return fail(problem);
    if (!(o.gpu.bandwidthGBs > 0) || !std::isfinite(o.gpu.bandwidthGBs))
        return fail("memory bandwidth must be above 0 GB/s");
    if (!(o.gpu.tflops >= 0) || !std::isfinite(o.gpu.tflops))
        return fail("compute throughput must be 0 TFLOPS or more");
    if (o.devices < 1 || o.devices > o.model.experts)
        return fail("devices must be between 1 and the experts (" + std::to_string(o.model.experts) + ")");
    if (o.contextTokens < 0)
        return fail("context length must be 0 or more");
    if (loads.slices < 1)
        return fail("the trace has no routed token");

    PayoffEstimate e;
    e.options = o;
    e.loads = loads;
    const double N = static_cast<double>(o.model.experts);
    // The baseline's busiest device: from the sweep when there is one (its placement), else the
    // load pass's contiguous blocks.
    const bool swept = sweep && !sweep->results.empty();
    const double baseDevice = swept ? sweep->results.front().peakDeviceLoadBase : loads.activatedDevice;
    const double baseTokens = swept ? sweep->results.front().peakDeviceTokensBase : loads.assignmentsDevice;
    e.baseline = stepCost(o, baseDevice, baseTokens, loads.tokensPerStep, loads.requestsPerStep);
    e.baseline.activated = loads.activatedPerSlice;
    e.expertShare = e.baseline.expertBytes / (e.baseline.expertBytes + e.baseline.otherBytes);
    e.tokensPerExpert = loads.activatedPerSlice > 0 ? loads.assignmentsPerSlice / loads.activatedPerSlice : 0.0;
    e.ridge = o.gpu.tflops * 1e12 / (o.gpu.bandwidthGBs * 1e9);

    auto finish = [&](PayoffRow row, int budget, double activated, double mass) {
        row.budget = budget;
        row.activated = activated;
        row.massRetained = mass;
        row.saving = e.baseline.stepSeconds > 0 ? 1.0 - row.stepSeconds / e.baseline.stepSeconds : 0.0;
        e.budgets.push_back(row);
    };
    if (swept) {
        if (sweep->sliceCount < 1)
            return fail("the sweep has no routed slice");
        const auto slices = static_cast<double>(sweep->sliceCount);
        for (const auto& b : sweep->results)
            finish(stepCost(o, b.peakDeviceLoad, b.peakDeviceTokens, loads.tokensPerStep, loads.requestsPerStep),
                b.budget, static_cast<double>(b.activated) / slices, b.massRetained);
    } else {
        for (const int m : o.budgets) {
            if (m < o.model.topK || m > o.model.experts)
                return fail("budget " + std::to_string(m) + " is outside [k, N] = [" + std::to_string(o.model.topK)
                    + ", " + std::to_string(o.model.experts) + "]");
            // At most M experts per slice, spread as the baseline's are over the devices; the busiest
            // device still reads whole experts: at least ceil(M' / G) of the M' activated.
            const double scale = std::min(1.0, m / std::max(loads.activatedPerSlice, 1e-300));
            const double activated = loads.activatedPerSlice * scale;
            const double busiest = std::min(loads.activatedDevice,
                std::max(loads.activatedDevice * scale,
                    std::ceil(activated / static_cast<double>(std::max(1, o.devices)) - 1e-9)));
            finish(stepCost(o, busiest, loads.assignmentsDevice, loads.tokensPerStep, loads.requestsPerStep), m,
                loads.activatedPerSlice * scale, std::numeric_limits<double>::quiet_NaN());
        }
        if (!o.budgets.empty())
            e.notes.push_back("load counts carry no gating scores: each budget M is taken to activate min(M, the "
                              "baseline's experts) per slice, the most XShare could save; kept gating mass is unknown");
    }

    for (const auto& row : e.budgets)
        if (e.bestBudget == 0 || row.saving > e.bestSaving) {
            e.bestSaving = row.saving;
            e.bestBudget = row.budget;
        }
    for (const auto& row : e.budgets)
        if (std::isfinite(row.massRetained) && row.massRetained >= o.massFloor
            && (e.keepBudget == 0 || row.budget < e.keepBudget)) {
            e.keepBudget = row.budget;
            e.keepSaving = row.saving;
        }
    const bool saturated = e.budgets.empty()
        ? loads.activatedPerSlice >= o.saturation * N
        : std::all_of(e.budgets.begin(), e.budgets.end(),
            [&](const PayoffRow& row) { return row.activated >= o.saturation * N; });

    const PayoffRow& base = e.baseline;
    const bool massKnown = std::any_of(
        e.budgets.begin(), e.budgets.end(), [](const PayoffRow& row) { return std::isfinite(row.massRetained); });
    auto rowOf = [&](int budget) -> const PayoffRow& {
        return *std::find_if(
            e.budgets.begin(), e.budgets.end(), [&](const PayoffRow& r) { return r.budget == budget; });
    };
    const std::string gpu = o.gpu.name.empty() ? fixed(o.gpu.bandwidthGBs, 0) + " GB/s" : o.gpu.name;
    if (o.gpu.tflops > 0 && base.computeSeconds >= base.memorySeconds) {
        e.verdict = PayoffVerdict::ComputeBound;
        e.conclusion = "Not bandwidth-bound: expect no gain. Each activated expert serves "
            + fixed(e.tokensPerExpert, 1) + " tokens per step, so on " + gpu + " the step takes longer to compute ("
            + millis(base.computeSeconds) + ") than to read its weights (" + millis(base.memorySeconds)
            + "): reading fewer experts does not shorten it.";
    } else if (e.expertShare < o.minExpertShare) {
        e.verdict = PayoffVerdict::SmallShare;
        e.conclusion = "Not bandwidth-bound: expect no gain. Routed-expert weights are " + percent(e.expertShare)
            + " of the " + gigabytes(base.expertBytes + base.otherBytes)
            + " read per step; attention, dense weights and the KV cache dominate (best budget saves "
            + percent(std::max(0.0, e.bestSaving)) + " of the step).";
    } else if (saturated) {
        e.verdict = PayoffVerdict::Saturated;
        double fewest = e.budgets.empty() ? loads.activatedPerSlice : N;
        for (const auto& row : e.budgets)
            fewest = std::min(fewest, row.activated);
        e.conclusion = "Expect no gain: the batch activates nearly all experts (at least " + fixed(fewest, 1) + " of "
            + std::to_string(o.model.experts) + " per layer and step) at every budget considered.";
    } else if (e.bestSaving < o.minSaving) {
        e.verdict = PayoffVerdict::LittleGain;
        e.conclusion = e.budgets.empty() ? "No budget was considered: the baseline reads " + fixed(base.activated, 1)
                + " experts per layer and step."
                                         : "Expect little gain: the best budget, M = " + std::to_string(e.bestBudget)
                + ", shortens the step by " + percent(std::max(0.0, e.bestSaving)) + " only.";
    } else if (massKnown && (e.keepBudget == 0 || e.keepSaving < o.minSaving)) {
        // The saving lies only at budgets that drop much of the routing: no budget that keeps the
        // gating mass pays, so the verdict is little gain, and the aggressive budget is named as such.
        e.verdict = PayoffVerdict::LittleGain;
        const PayoffRow& best = rowOf(e.bestBudget);
        e.conclusion = (e.keepBudget == 0 ? "Expect little gain while keeping the routing: no budget considered keeps "
                                   + percent(o.massFloor) + " of the gating mass."
                                          : "Expect little gain while keeping the routing: the smallest budget keeping "
                                   + percent(o.massFloor) + " of the gating mass, M = " + std::to_string(e.keepBudget)
                                   + ", shortens the step by " + percent(std::max(0.0, e.keepSaving)) + " only.")
            + " Lower budgets save more (M = " + std::to_string(e.bestBudget) + ": " + percent(e.bestSaving)
            + " shorter) but keep only " + percent(best.massRetained)
            + " of the gating mass; whether accuracy holds there is for the paired tests (deltascope-cli frontier).";
    } else {
        // With the kept mass known, the budget named is the smallest that keeps the routing.
        e.verdict = PayoffVerdict::Pays;
        const int named = massKnown ? e.keepBudget : e.bestBudget;
        const PayoffRow& row = rowOf(named);
        const double saving = massKnown ? e.keepSaving : e.bestSaving;
        e.conclusion = "Expert sharing should pay off: at budget M = " + std::to_string(named) + " the MoE layers read "
            + fixed(row.activated, 1) + " instead of " + fixed(base.activated, 1) + " experts per layer and step, "
            + gigabytes(base.expertBytes - row.expertBytes) + " less per step, and the step is estimated "
            + percent(saving) + " shorter (" + millis(base.stepSeconds) + " -> " + millis(row.stepSeconds) + " on "
            + gpu + ")"
            + (std::isfinite(row.massRetained) ? ", keeping " + percent(row.massRetained) + " of the gating mass"
                                               : std::string())
            + "."
            + (massKnown && e.bestBudget != named ? " Lower budgets save more (M = " + std::to_string(e.bestBudget)
                        + ": " + percent(e.bestSaving) + " shorter) but keep only "
                        + percent(rowOf(e.bestBudget).massRetained) + " of the gating mass."
                                                  : std::string())
            + " Whether accuracy holds is for the paired tests (deltascope-cli frontier).";
    }
    if (o.devices > 1) {
        const double c = loads.fromCounts ? loads.contiguous.overall : loads.contiguous.perStep;
        const double b = loads.fromCounts ? loads.balanced.overall : loads.balanced.perStep;
        std::string s = " Over " + std::to_string(o.devices)
            + " expert-parallel devices the load balance (mean / max) is " + fixed(c, 2)
            + " with contiguous blocks and " + fixed(b, 2) + " balanced";
        s += b - c >= 0.1 ? ": rebalancing the placement should shorten the slowest device's share."
                          : ": rebalancing would change little.";
        e.conclusion += s;
    }
    if (loads.layers > o.model.moeLayers)
        e.notes.push_back("the input has " + std::to_string(loads.layers) + " MoE layers, the model "
            + std::to_string(o.model.moeLayers)
            + ": the mean over the input's layers is taken for each of the model's");
    else if (loads.layers < o.model.moeLayers)
        e.notes.push_back(std::to_string(loads.layers) + " of the model's " + std::to_string(o.model.moeLayers)
            + (loads.layers == 1 ? " MoE layers is in the input: it stands for every MoE layer"
                                 : " MoE layers are in the input: their mean stands for every MoE layer"));
    e.notes.push_back("memory-bound roofline: bytes / bandwidth against FLOPs / peak; activations and attention "
                      "FLOPs over the context are left out");
    // The weights each device holds: its share of the routed experts, the shared experts and the
    // dense weights (the KV cache comes on top).
    const auto& m = o.model;
    const double routed = static_cast<double>(m.experts) * m.moeLayers * m.expertBytes();
    const double shared = static_cast<double>(m.sharedExperts) * m.moeLayers * 3.0 * static_cast<double>(m.hidden)
        * static_cast<double>(m.sharedFfn) * m.dtypeBytes;
    e.weightBytesDevice = routed / std::max(1, o.devices) + shared + m.denseParams * m.dtypeBytes;
    if (o.gpu.memoryGB > 0 && e.weightBytesDevice > o.gpu.memoryGB * 1e9) {
        e.fits = false;
        e.notes.insert(e.notes.begin(),
            "the weights alone take " + fixed(e.weightBytesDevice / 1e9, 1) + " GB per device, more than the "
                + o.gpu.name + "'s " + fixed(o.gpu.memoryGB, 0) + " GB: the model does not fit on "
                + std::to_string(o.devices) + (o.devices == 1 ? " device" : " devices")
                + "; the step times assume it does (more devices, or fewer bytes per weight, make it fit)");
    }
    R r;
    r.value = std::move(e);
    return r;
}

} // namespace deltascope::moe
