// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/PayoffWriters.h"

#include "common/JsonText.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace deltascope::report {

namespace {

std::string format(const char* fmt, auto... args)
{
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

// A mean count with its noun: "32 requests" when whole, "31.5 tokens" otherwise, "1 request".
std::string meanOf(double value, const char* noun)
{
    const bool whole = std::abs(value - std::round(value)) < 0.05;
    const bool one = whole && std::round(value) == 1.0;
    return format(whole ? "%.0f %s%s" : "%.1f %s%s", value, noun, one ? "" : "s");
}

nlohmann::ordered_json modelJson(const moe::MoeModel& m)
{
    auto j = nlohmann::ordered_json::parse(moe::modelJsonText(m));
    j["expert_bytes"] = m.expertBytes();
    return j;
}

nlohmann::ordered_json rowJson(const moe::PayoffRow& r)
{
    nlohmann::ordered_json j;
    if (r.budget > 0)
        j["budget"] = r.budget;
    else
        j["budget"] = "top-k";
    j["activated_experts"] = r.activated;
    j["activated_experts_busiest_device"] = r.activatedDevice;
    j["expert_bytes"] = r.expertBytes;
    j["other_bytes"] = r.otherBytes;
    j["memory_seconds"] = r.memorySeconds;
    j["compute_seconds"] = r.computeSeconds;
    j["step_seconds"] = r.stepSeconds;
    j["saving"] = r.saving;
    if (std::isfinite(r.massRetained))
        j["mass_retained"] = r.massRetained;
    else
        j["mass_retained"] = nullptr;
    return j;
}

std::string rowText(const moe::PayoffRow& r)
{
    const std::string budget = r.budget > 0 ? std::to_string(r.budget) : std::string("top-k");
    const std::string mass = std::isfinite(r.massRetained) ? format("%6.1f%%", 100.0 * r.massRetained) : "    n/a";
    return format("%-7s %9.2f %9.2f %10.3f %10.3f %9.3f %9.3f %9.3f %7.1f%% %s\n", budget.c_str(), r.activated,
        r.activatedDevice, r.expertBytes / 1e9, (r.expertBytes + r.otherBytes) / 1e9, 1e3 * r.memorySeconds,
        1e3 * r.computeSeconds, 1e3 * r.stepSeconds, 100.0 * r.saving, mass.c_str());
}

} // namespace

std::string payoffJson(const moe::PayoffEstimate& e, const std::string& inputPath)
{
    const auto& o = e.options;
    const auto& l = e.loads;
    nlohmann::ordered_json j;
    j["input"] = inputPath;
    j["input_kind"] = l.fromCounts ? "counts" : "trace";
    j["model"] = modelJson(o.model);
    j["gpu"] = { { "name", o.gpu.name }, { "bandwidth_gb_s", o.gpu.bandwidthGBs }, { "tflops", o.gpu.tflops },
        { "memory_gb", o.gpu.memoryGB } };
    j["weight_gb_per_device"] = e.weightBytesDevice / 1e9;
    j["fits"] = e.fits;
    j["devices"] = o.devices;
    j["context_tokens"] = o.contextTokens;
    j["steps"] = l.steps;
    j["slices"] = l.slices;
    j["layers_in_input"] = l.layers;
    j["tokens_per_step"] = l.tokensPerStep;
    j["requests_per_step"] = l.requestsPerStep;
    j["tokens_per_activated_expert"] = e.tokensPerExpert;
    j["ridge_flop_per_byte"] = e.ridge;
    j["expert_share"] = e.expertShare;
    j["baseline"] = rowJson(e.baseline);
    auto rows = nlohmann::ordered_json::array();
    for (const auto& r : e.budgets)
        rows.push_back(rowJson(r));
    j["budgets"] = rows;
    auto balance = [](const moe::LoadBalance& b, bool perStep) {
        nlohmann::ordered_json x;
        if (perStep)
            x["per_step"] = b.perStep;
        else
            x["per_step"] = nullptr;
        x["overall"] = b.overall;
        return x;
    };
    j["balance"] = { { "contiguous", balance(l.contiguous, !l.fromCounts) },
        { "balanced", balance(l.balanced, !l.fromCounts) } };
    if (!l.fromCounts)
        j["hot_experts"] = { { "hot_per_layer", l.hot.hotExperts }, { "mean_run_steps", l.hot.meanRun },
            { "persistence", l.hot.persistence }, { "independent_run_steps", l.hot.independentRun },
            { "runs", l.hot.runs } };
    j["verdict"] = moe::toString(e.verdict);
    if (e.bestBudget > 0) {
        j["best_budget"] = e.bestBudget;
        j["best_saving"] = e.bestSaving;
    }
    if (e.keepBudget > 0) {
        j["mass_floor"] = o.massFloor;
        j["keep_budget"] = e.keepBudget;
        j["keep_saving"] = e.keepSaving;
    }
    j["conclusion"] = e.conclusion;
    j["notes"] = e.notes;
    return jsonText(j, 2) + "\n";
}

std::string payoffText(const moe::PayoffEstimate& e, const std::string& inputPath)
{
    const auto& o = e.options;
    const auto& l = e.loads;
    const auto& m = o.model;
    std::string s;
    s += format("model      %s: %d MoE layers of %d, %d experts, top-%d, %.3g bytes per weight\n", m.name.c_str(),
        m.moeLayers, m.layers, m.experts, m.topK, m.dtypeBytes);
    s += format("gpu        %s: %.0f GB/s, %.0f TFLOPS; %d device%s; context %lld tokens per request\n",
        o.gpu.name.empty() ? "(custom)" : o.gpu.name.c_str(), o.gpu.bandwidthGBs, o.gpu.tflops, o.devices,
        o.devices == 1 ? "" : "s", static_cast<long long>(o.contextTokens));
    if (l.fromCounts)
        s += format("input      %s: load counts of %lld layers, %.0f tokens per step assumed\n", inputPath.c_str(),
            static_cast<long long>(l.layers), l.tokensPerStep);
    else
        s += format("input      %s: %lld step%s, %s from %s per step, %lld MoE layer%s traced\n", inputPath.c_str(),
            static_cast<long long>(l.steps), l.steps == 1 ? "" : "s", meanOf(l.tokensPerStep, "token").c_str(),
            meanOf(l.requestsPerStep, "request").c_str(), static_cast<long long>(l.layers), l.layers == 1 ? "" : "s");
    s += format("one expert 3 x %lld x %lld x %.3g bytes = %.1f MB (gate, up, down)\n",
        static_cast<long long>(m.hidden), static_cast<long long>(m.expertFfn), m.dtypeBytes, m.expertBytes() / 1e6);
    s += format("other      %.3f GB per step (shared experts, dense weights, KV cache); experts are %.1f%% of the "
                "bytes at top-k\n\n",
        e.baseline.otherBytes / 1e9, 100.0 * e.expertShare);
    s += "budget  experts/  busiest   expert GB  total GB  memory ms compute ms   step ms  saving   mass\n"
         "          layer    device    per step  per step\n";
    s += rowText(e.baseline);
    for (const auto& r : e.budgets)
        s += rowText(r);
    s += "\n";
    if (o.devices > 1 || l.fromCounts) {
        if (l.fromCounts)
            s += format("balance    mean / max device load over %d devices, whole input: contiguous %.3f, balanced "
                        "%.3f\n",
                o.devices, l.contiguous.overall, l.balanced.overall);
        else
            s += format("balance    mean / max device load over %d devices, per step (whole trace): contiguous %.3f "
                        "(%.3f), balanced %.3f (%.3f)\n",
                o.devices, l.contiguous.perStep, l.contiguous.overall, l.balanced.perStep, l.balanced.overall);
    }
    if (!l.fromCounts)
        s += format("hot        hot experts (the %d busiest per layer and step) stay hot %.2f steps in a row on "
                    "average (%.2f if drawn anew each step); P(still hot next step) = %.2f\n",
            l.hot.hotExperts, l.hot.meanRun, l.hot.independentRun, l.hot.persistence);
    s += std::string("\nverdict    ") + moe::toString(e.verdict) + "\n" + e.conclusion + "\n";
    for (const auto& n : e.notes)
        s += "note: " + n + "\n";
    return s;
}

std::string modelPresetsText()
{
    std::string s = "model               layers  MoE  hidden  expert FFN  experts  top-k  shared  bytes/weight  "
                    "expert MB  dense params\n";
    for (const auto& m : moe::modelPresets())
        s += format("%-18s %7d %4d %7lld %11lld %8d %6d %7d %13.3g %10.1f %12.3g\n", m.name.c_str(), m.layers,
            m.moeLayers, static_cast<long long>(m.hidden), static_cast<long long>(m.expertFfn), m.experts, m.topK,
            m.sharedExperts, m.dtypeBytes, m.expertBytes() / 1e6, m.denseParams);
    return s;
}

std::string gpuPresetsText()
{
    std::string s = "gpu         bandwidth GB/s  bf16 TFLOPS (dense)  memory GB\n";
    for (const auto& g : moe::gpuPresets())
        s += format("%-11s %14.0f %20.0f %10.0f\n", g.name.c_str(), g.bandwidthGBs, g.tflops, g.memoryGB);
    return s;
}

} // namespace deltascope::report
