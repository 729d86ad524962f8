// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/XShareWriters.h"

#include "common/JsonText.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace deltascope::report {

namespace {

std::string kindOf(const moe::Trace& t)
{
    return t.sparse ? "sparse" : "dense";
}

// Extra expert copies beyond one per expert.
int extraCopies(const moe::PolicyConfig& policy)
{
    int n = 0;
    for (const auto& r : policy.replicas)
        n += static_cast<int>(r.size());
    return n;
}

int requestExperts(const ExpertSharingRun& run)
{
    return run.policy->requestExperts > 0 ? run.policy->requestExperts : static_cast<int>(run.trace->topK);
}

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string full(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

double perSlice(std::int64_t total, std::int64_t slices)
{
    return static_cast<double>(total) / static_cast<double>(std::max<std::int64_t>(1, slices));
}

nlohmann::ordered_json budgetJson(const moe::BudgetResult& r)
{
    nlohmann::ordered_json o;
    o["budget"] = r.budget;
    o["activated_base"] = r.activatedBase;
    o["activated"] = r.activated;
    o["reduction"] = r.reduction;
    o["mass_retained"] = r.massRetained;
    o["topk_overlap"] = r.topkOverlap;
    o["unchanged_tokens"] = r.unchangedTokens;
    o["peak_device_load_base"] = r.peakDeviceLoadBase;
    o["peak_device_load"] = r.peakDeviceLoad;
    o["peak_device_tokens_base"] = r.peakDeviceTokensBase;
    o["peak_device_tokens"] = r.peakDeviceTokens;
    auto layers = nlohmann::ordered_json::array();
    for (const auto& l : r.perLayer)
        layers.push_back({ { "layer", l.layer }, { "activated_base_mean", l.activatedBaseMean },
            { "activated_mean", l.activatedMean }, { "mass_retained", l.massRetained } });
    o["per_layer"] = std::move(layers);
    return o;
}

} // namespace

std::string xshareJson(const ExpertSharingRun& run)
{
    const auto& trace = *run.trace;
    nlohmann::ordered_json j;
    j["trace"] = { { "path", run.tracePath }, { "tokens", trace.tokens }, { "layers", trace.layers },
        { "experts", trace.experts }, { "top_k", trace.topK }, { "requests", trace.requestCount() },
        { "kind", kindOf(trace) } };
    j["batching"] = { { "mode", run.batches->mode }, { "batch_size", run.batches->batchSize },
        { "gamma", run.batches->gamma }, { "batches", run.batches->tokens.size() } };
    j["backend"] = run.ranOn;
    j["policy"] = { { "name", moe::toString(run.policy->policy) }, { "warmup", run.policy->warmup },
        { "devices", run.policy->devices }, { "replicas", extraCopies(*run.policy) },
        { "request_experts", requestExperts(run) } };
    auto results = nlohmann::ordered_json::array();
    for (const auto& r : run.result->results)
        results.push_back(budgetJson(r));
    j["results"] = std::move(results);
    if (!run.result->slices.empty()) {
        auto slices = nlohmann::ordered_json::array();
        for (const auto& s : run.result->slices)
            slices.push_back({ { "layer", s.layer }, { "batch", s.batch }, { "tokens", s.tokens },
                { "activated_base", s.activatedBase }, { "activated", s.activated },
                { "mass_retained", s.massRetained }, { "selected", s.selected } });
        j["slices"] = std::move(slices);
    }
    return jsonText(j, 2) + "\n";
}

std::string xshareCsv(const ExpertSharingRun& run)
{
    std::string text = "budget,activated_base,activated,reduction,mass_retained,topk_overlap,unchanged_tokens,"
                       "peak_device_load_base,peak_device_load\n";
    for (const auto& r : run.result->results)
        text += std::to_string(r.budget) + ',' + std::to_string(r.activatedBase) + ',' + std::to_string(r.activated)
            + ',' + full(r.reduction) + ',' + full(r.massRetained) + ',' + full(r.topkOverlap) + ','
            + full(r.unchangedTokens) + ',' + full(r.peakDeviceLoadBase) + ',' + full(r.peakDeviceLoad) + '\n';
    return text;
}

std::string xshareTable(const ExpertSharingRun& run)
{
    const auto& t = *run.trace;
    const auto& b = *run.batches;
    const auto& res = *run.result;
    char buf[512];
    std::string text;
    // The batches as formed: their smallest and largest token counts (a replay of few requests
    // fills fewer tokens than its batch size).
    std::size_t fewest = 0;
    std::size_t most = 0;
    for (const auto& rows : b.tokens) {
        fewest = most == 0 ? rows.size() : std::min(fewest, rows.size());
        most = std::max(most, rows.size());
    }
    const std::string sizes
        = fewest == most ? std::to_string(most) : std::to_string(fewest) + " to " + std::to_string(most);
    const std::string replayed = b.mode == "recorded" ? std::string()
                                                      : "; batch size " + std::to_string(b.batchSize)
            + (b.gamma ? ", gamma " + std::to_string(b.gamma) : std::string());
    std::snprintf(buf, sizeof buf,
        "trace %s: %lld tokens, %lld layer%s, %lld experts, top-%lld (%s)\n"
        "batches: %s, %zu batch%s of %s token%s%s\n"
        "policy %s, warm-up %d, %d device%s; %lld slices; on the %s\n\n",
        run.tracePath.c_str(), static_cast<long long>(t.tokens), static_cast<long long>(t.layers),
        t.layers == 1 ? "" : "s", static_cast<long long>(t.experts), static_cast<long long>(t.topK), kindOf(t).c_str(),
        b.mode.c_str(), b.tokens.size(), b.tokens.size() == 1 ? "" : "es", sizes.c_str(), most == 1 ? "" : "s",
        replayed.c_str(), moe::toString(run.policy->policy), run.policy->warmup, run.policy->devices,
        run.policy->devices == 1 ? "" : "s", static_cast<long long>(res.sliceCount), run.ranOn.c_str());
    text += buf;
    text += "budget  experts/slice (top-k -> policy)  reduction  mass kept  top-k overlap  unchanged  peak/device\n";
    for (const auto& r : res.results) {
        std::snprintf(buf, sizeof buf, "%6d  %13.2f -> %-13.2f  %8.1f%%  %8.2f%%  %12.2f%%  %8.2f%%  %5.2f -> %.2f\n",
            r.budget, perSlice(r.activatedBase, res.sliceCount), perSlice(r.activated, res.sliceCount),
            100.0 * r.reduction, 100.0 * r.massRetained, 100.0 * r.topkOverlap, 100.0 * r.unchangedTokens,
            r.peakDeviceLoadBase, r.peakDeviceLoad);
        text += buf;
    }
    return text;
}

std::string xshareSliceCsv(const moe::XShareResult& result)
{
    std::string out = "layer,batch,tokens,activated_base,activated,mass_retained,selected\n";
    char mass[64];
    for (const auto& s : result.slices) {
        std::snprintf(mass, sizeof mass, "%.10g", s.massRetained);
        std::string ids;
        for (const int e : s.selected)
            ids += (ids.empty() ? "" : " ") + std::to_string(e);
        out += std::to_string(s.layer) + ',' + std::to_string(s.batch) + ',' + std::to_string(s.tokens) + ','
            + std::to_string(s.activatedBase) + ',' + std::to_string(s.activated) + ',' + mass + ",\"" + ids + "\"\n";
    }
    return out;
}

std::string xshareLayerCsv(const moe::XShareResult& result)
{
    std::string out = "layer,budget,activated_base_mean,activated_mean,mass_retained\n";
    if (result.results.empty())
        return out;
    const auto& r = result.results.front();
    for (const auto& l : r.perLayer)
        out += std::to_string(l.layer) + ',' + std::to_string(r.budget) + ',' + full(l.activatedBaseMean) + ','
            + full(l.activatedMean) + ',' + full(l.massRetained) + '\n';
    return out;
}

ExpertSummary expertSummary(const ExpertSharingRun& run)
{
    ExpertSummary summary;
    const auto& t = *run.trace;
    const auto& p = *run.policy;
    summary.facts = {
        { "trace", run.tracePath },
        { "model", t.model },
        { "shape",
            std::to_string(t.tokens) + " tokens, " + std::to_string(t.layers) + " layers, " + std::to_string(t.experts)
                + " experts, top-" + std::to_string(t.topK) + ", " + kindOf(t) },
        { "batching",
            run.batches->mode + ", batch size " + std::to_string(run.batches->batchSize) + ", gamma "
                + std::to_string(run.batches->gamma) },
        { "policy",
            std::string(moe::toString(p.policy)) + ", warm-up " + std::to_string(p.warmup) + ", "
                + std::to_string(p.devices) + " devices ("
                + (p.placement.empty() ? std::string("contiguous placement")
                                       : "placement given, " + std::to_string(extraCopies(p)) + " extra copies")
                + ")" },
        { "computed on", run.ranOn },
    };
    if (run.result->results.empty())
        return summary;
    const auto& r = run.result->results.front();
    summary.facts.push_back({ "budget M", std::to_string(r.budget) });
    summary.headline = "M = " + std::to_string(r.budget) + ": "
        + fixed(perSlice(r.activatedBase, run.result->sliceCount), 2) + " \u2192 "
        + fixed(perSlice(r.activated, run.result->sliceCount), 2) + " experts per slice ("
        + fixed(100.0 * r.reduction, 1) + "% fewer), " + fixed(100.0 * r.massRetained, 2)
        + "% of the gating mass kept, " + fixed(100.0 * r.unchangedTokens, 2)
        + "% of tokens unchanged, peak per device " + fixed(r.peakDeviceLoadBase, 2) + " \u2192 "
        + fixed(r.peakDeviceLoad, 2);
    summary.layers = { { "layer", "top-k experts", "policy experts", "mass kept" } };
    for (const auto& l : r.perLayer)
        summary.layers.push_back({ std::to_string(l.layer), fixed(l.activatedBaseMean, 2), fixed(l.activatedMean, 2),
            fixed(100.0 * l.massRetained, 2) + "%" });
    return summary;
}

} // namespace deltascope::report
