// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/TraceViews.h"

#include "moe/XShareRun.h"

#include <cmath>
#include <limits>

namespace deltascope::moe {

namespace {

// Calls f(chosen experts) with the top-k of each token at one layer.
template <typename F> void forEachRouting(const Trace& trace, std::int64_t layer, F&& f)
{
    const auto N = static_cast<std::size_t>(trace.experts);
    std::vector<float> row(N);
    SliceInput in;
    in.tokens = 1;
    in.experts = static_cast<int>(trace.experts);
    in.topK = static_cast<int>(trace.topK);
    in.scores = row.data();
    std::vector<int> all(N);
    for (std::size_t e = 0; e < N; ++e)
        all[e] = static_cast<int>(e);
    for (std::int64_t t = 0; t < trace.tokens; ++t) {
        trace.gatingRow(t, layer, row.data());
        f(routeWithin(in, all).front());
    }
}

} // namespace

std::vector<double> expertLoads(const Trace& trace)
{
    std::vector<double> load(static_cast<std::size_t>(trace.experts), 0.0);
    for (std::int64_t l = 0; l < trace.layers; ++l)
        forEachRouting(trace, l, [&](const std::vector<int>& chosen) {
            for (const int e : chosen)
                load[static_cast<std::size_t>(e)] += 1.0;
        });
    return load;
}

std::vector<double> coactivation(const Trace& trace, std::int64_t layer)
{
    const auto N = static_cast<std::size_t>(trace.experts);
    std::vector<double> m(N * N, 0.0);
    if (layer < 0 || layer >= trace.layers)
        return m;
    std::int64_t routed = 0;
    forEachRouting(trace, layer, [&](const std::vector<int>& chosen) {
        if (chosen.empty())
            return;
        ++routed;
        for (const int a : chosen)
            for (const int b : chosen)
                m[static_cast<std::size_t>(a) * N + static_cast<std::size_t>(b)] += 1.0;
    });
    if (routed > 0)
        for (auto& x : m)
            x /= static_cast<double>(routed);
    return m;
}

Result<SliceDetail> sliceDetail(const Trace& trace, const Batches& batches, std::int64_t layer, std::int64_t batch,
    const PolicyConfig& policy, int budget)
{
    using R = Result<SliceDetail>;
    if (layer < 0 || layer >= trace.layers)
        return R::failure(Diagnostic::error({}, 0, "layer " + std::to_string(layer) + " is not in the trace"));
    if (batch < 0 || batch >= static_cast<std::int64_t>(batches.tokens.size()))
        return R::failure(Diagnostic::error({}, 0, "batch " + std::to_string(batch) + " is not in the batching"));
    const auto& rows = batches.tokens[static_cast<std::size_t>(batch)];
    SliceDetail d;
    d.tokens = static_cast<int>(rows.size());
    d.experts = static_cast<int>(trace.experts);
    d.scores.resize(rows.size() * static_cast<std::size_t>(d.experts));
    std::vector<std::int32_t> req(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        trace.gatingRow(rows[i], layer, d.scores.data() + i * static_cast<std::size_t>(d.experts));
        req[i] = trace.requestId[static_cast<std::size_t>(rows[i])];
    }
    SliceInput in;
    in.tokens = d.tokens;
    in.experts = d.experts;
    in.topK = static_cast<int>(trace.topK);
    in.scores = d.scores.data();
    in.request = req.data();
    SliceSweep sw;
    SliceScratch scratch;
    runSliceBudget(in, policy, budget, sw, scratch);
    d.selected = policy.policy == Policy::TopK ? std::vector<int>() : sw.selected;
    std::vector<int> all(static_cast<std::size_t>(d.experts));
    for (int e = 0; e < d.experts; ++e)
        all[static_cast<std::size_t>(e)] = e;
    d.baseline = routeWithin(in, all);
    d.routed = policy.policy == Policy::TopK ? d.baseline : routeWithin(in, d.selected);
    R r;
    r.value = std::move(d);
    return r;
}

namespace {

// Top-k routing over these batches: activated experts per slice, or -1 when nothing ran.
double activatedPerSlice(const Trace& trace, const Batches& batches)
{
    XShareOptions xo;
    xo.policy.policy = Policy::TopK;
    xo.budgets = { static_cast<int>(trace.experts) };
    const auto r = runXShare(trace, batches, xo);
    if (!r.ok() || r.value->sliceCount == 0)
        return -1.0;
    return static_cast<double>(r.value->results.front().activatedBase) / static_cast<double>(r.value->sliceCount);
}

} // namespace

double uniformActivated(std::int64_t experts, std::int64_t topK, double batch)
{
    if (experts <= 0)
        return 0.0;
    const double N = static_cast<double>(experts);
    return N * (1.0 - std::pow(1.0 - static_cast<double>(topK) / N, batch));
}

BatchSizeCurve activatedByBatchSize(const Trace& trace, const std::vector<int>& sizes, const Progress& progress)
{
    BatchSizeCurve c;
    c.requests = trace.requestCount();
    c.experts = trace.experts;
    c.topK = trace.topK;
    const std::size_t steps = sizes.size() + (trace.hasSteps() ? 1 : 0);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (!progress.report(static_cast<double>(i) / static_cast<double>(steps), "batch sizes"))
            return c;
        BatchingOptions bo;
        bo.replay = true;
        bo.batchSize = sizes[i];
        const auto batches = makeBatches(trace, bo);
        if (!batches.ok())
            continue;
        const double activated = activatedPerSlice(trace, *batches.value);
        if (activated < 0)
            continue;
        c.batchSize.push_back(sizes[i]);
        c.activated.push_back(activated);
        c.uniform.push_back(uniformActivated(trace.experts, trace.topK, sizes[i]));
    }
    if (trace.hasSteps()
        && progress.report(static_cast<double>(sizes.size()) / static_cast<double>(steps), "batch sizes")) {
        const auto batches = makeBatches(trace, BatchingOptions {});
        if (batches.ok() && !batches.value->tokens.empty()) {
            std::size_t tokens = 0;
            for (const auto& b : batches.value->tokens)
                tokens += b.size();
            c.recordedBatch = static_cast<double>(tokens) / static_cast<double>(batches.value->tokens.size());
            c.recordedActivated = activatedPerSlice(trace, *batches.value);
        }
    }
    return c;
}

} // namespace deltascope::moe
