// SPDX-License-Identifier: GPL-3.0-or-later
#include "XSharePlan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace deltascope::gpu {

using moe::Policy;

std::string gpuUnsupported(const moe::Trace& trace, const moe::XShareOptions& options)
{
    const int list = std::max(static_cast<int>(trace.topK),
        options.policy.policy == Policy::Batch || options.policy.policy == Policy::ExpertParallel
            ? options.policy.warmup
            : 0);
    if (list > slice::kMaxList)
        return "k or the warm-up width is above " + std::to_string(slice::kMaxList);
    if (trace.scores == nullptr || (trace.sparse && trace.topkIds == nullptr))
        return "the trace holds no scores";
    if (trace.experts > (1 << 20))
        return "more than 2^20 experts";
    return {};
}

XSharePlan makePlan(const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options)
{
    XSharePlan p;
    const auto& cfg = options.policy;
    const int N = static_cast<int>(trace.experts);
    const auto B = batches.tokens.size();

    p.batchOffsets.assign(B + 1, 0);
    int maxTokens = 0;
    for (std::size_t b = 0; b < B; ++b) {
        p.batchOffsets[b + 1] = p.batchOffsets[b] + static_cast<std::int64_t>(batches.tokens[b].size());
        maxTokens = std::max(maxTokens, static_cast<int>(batches.tokens[b].size()));
    }
    p.batchRows.reserve(static_cast<std::size_t>(p.batchOffsets[B]));
    for (const auto& tokens : batches.tokens)
        p.batchRows.insert(p.batchRows.end(), tokens.begin(), tokens.end());

    // Request groups of each batch, ascending request id, tokens in batch order within a group.
    p.groupTokens.resize(p.batchRows.size());
    p.batchGroups.assign(B + 1, 0);
    p.groupStart.clear();
    std::vector<std::pair<std::int32_t, std::int32_t>> byRequest;
    for (std::size_t b = 0; b < B; ++b) {
        const auto& tokens = batches.tokens[b];
        byRequest.resize(tokens.size());
        for (std::size_t i = 0; i < tokens.size(); ++i)
            byRequest[i] = { trace.requestId[static_cast<std::size_t>(tokens[i])], static_cast<std::int32_t>(i) };
        std::sort(byRequest.begin(), byRequest.end());
        const auto base = static_cast<std::size_t>(p.batchOffsets[b]);
        for (std::size_t i = 0; i < byRequest.size(); ++i) {
            if (i == 0 || byRequest[i].first != byRequest[i - 1].first)
                p.groupStart.push_back(static_cast<std::int64_t>(base + i));
            p.groupTokens[base + i] = byRequest[i].second;
        }
        p.batchGroups[b + 1] = static_cast<std::int64_t>(p.groupStart.size());
    }
    p.groupStart.push_back(p.batchOffsets[B]);

    const auto dev = moe::devicesOf(cfg, N);
    p.device.assign(dev.begin(), dev.end());
    if (!cfg.replicas.empty()) {
        p.replicaStart.assign(static_cast<std::size_t>(N) + 1, 0);
        for (int e = 0; e < N; ++e) {
            const auto& copies = cfg.replicas[static_cast<std::size_t>(e)];
            p.replicaDevices.insert(p.replicaDevices.end(), copies.begin(), copies.end());
            p.replicaStart[static_cast<std::size_t>(e) + 1] = static_cast<std::int32_t>(p.replicaDevices.size());
        }
    }
    p.budgets.assign(options.budgets.begin(), options.budgets.end());
    p.sweepOnCpu = moe::sweepsBudgets(options);

    slice::Job& j = p.job;
    j.scoreType = trace.scoreType == moe::ScoreType::F32 ? slice::F32
        : trace.scoreType == moe::ScoreType::F16         ? slice::F16
                                                         : slice::BF16;
    j.scoreKind = trace.scoreKind == moe::ScoreKind::Probs ? slice::Probs
        : trace.scoreKind == moe::ScoreKind::Logits        ? slice::Logits
                                                           : slice::Sigmoid;
    j.sparse = trace.sparse ? 1 : 0;
    j.layers = static_cast<int>(trace.layers);
    j.experts = N;
    j.topK = static_cast<int>(trace.topK);
    j.batches = static_cast<std::int64_t>(B);
    j.policy = cfg.policy == Policy::TopK      ? slice::TopK
        : cfg.policy == Policy::Batch          ? slice::Batch
        : cfg.policy == Policy::ExpertParallel ? slice::ExpertParallel
                                               : slice::Speculative;
    j.warmup = (cfg.policy == Policy::Batch || cfg.policy == Policy::ExpertParallel) ? std::max(0, cfg.warmup) : 0;
    j.requestExperts = cfg.requestExperts;
    j.devices = moe::deviceCount(cfg);
    j.budgetCount = static_cast<int>(p.budgets.size());
    j.sweep = p.sweepOnCpu && cfg.policy != Policy::TopK && cfg.replicas.empty() ? 1 : 0;
    j.maps = options.maps ? 1 : 0;
    j.records = options.perSlice ? 1 : 0;

    p.shape.maxTokens = maxTokens;
    p.shape.experts = N;
    p.shape.list = std::max(j.topK, j.warmup);
    p.shape.devices = j.devices;
    p.slices = static_cast<std::int64_t>(B) * trace.layers;
    p.words = (N + 31) / 32;
    p.sums.budgets = static_cast<std::int64_t>(p.budgets.size());
    p.sums.layers = trace.layers;
    p.sums.experts = N;
    p.sums.devices = j.devices;
    p.sums.maps = options.maps;
    return p;
}

void HostOutputs::size(const XSharePlan& plan, std::int64_t blockCount)
{
    layout = plan.sums;
    blocks = std::max<std::int64_t>(1, blockCount);
    const auto records = plan.job.records ? static_cast<std::size_t>(plan.slices) : 0;
    sums.assign(static_cast<std::size_t>(blocks * layout.words()), 0);
    recordInts.assign(records * 2, 0);
    recordMass.assign(records * 2, 0.0);
    recordSelected.assign(records * static_cast<std::size_t>(plan.words), 0);
    error.assign(5, 0);
}

slice::Outputs HostOutputs::bind()
{
    slice::Outputs o;
    o.recordInts = recordInts.data();
    o.recordMass = recordMass.data();
    o.recordSelected = recordSelected.data();
    o.error = error.data();
    return slice::sumsOfBlock(o, layout, sums.data(), 0);
}

void HostOutputs::reduceSums()
{
    for (std::int64_t i = 0; i < layout.words(); ++i)
        slice::reduceSumsWord(layout, sums.data(), blocks, i);
}

std::optional<Diagnostic> runError(const moe::Trace& trace, const XSharePlan& plan, const HostOutputs& out)
{
    if (out.error.size() < 5 || out.error[0] == 0)
        return std::nullopt;
    std::int64_t token = out.error[1];
    if (token >= 0 && static_cast<std::size_t>(token) < plan.batchRows.size())
        token = plan.batchRows[static_cast<std::size_t>(token)];
    const char* what = out.error[4] == 1 ? "NaN" : (out.error[4] == 2 ? "infinite" : "negative");
    return Diagnostic::error({}, 0,
        std::string(what) + " gating score at token " + std::to_string(token) + ", layer "
            + std::to_string(out.error[2]) + ", expert " + std::to_string(out.error[3])
            + (trace.scoreKind == moe::ScoreKind::Probs
                    ? " (scores are read as probabilities; logits need score_kind logits)"
                    : ""));
}

moe::XShareResult collect(const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options,
    const XSharePlan& plan, const HostOutputs& out, bool cancelled)
{
    const auto nb = plan.budgets.size();
    const auto L = static_cast<std::size_t>(plan.job.layers);
    const auto N = static_cast<std::size_t>(plan.job.experts);
    const int G = plan.job.devices;
    moe::XShareTotals t;
    t.init(nb, L, N, G, options.maps);
    const slice::Outputs o = const_cast<HostOutputs&>(out).bind(); // block 0 holds the totals
    for (std::size_t bi = 0; bi < nb; ++bi) {
        const auto* v = o.budgetInts + bi * slice::kBudgetInts;
        auto i64 = [&](int field) { return static_cast<std::int64_t>(v[field]); };
        auto f64 = [&](int field) { return static_cast<double>(v[field]); };
        t.activatedBase[bi] = i64(slice::kActivatedBase);
        t.activated[bi] = i64(slice::kActivated);
        t.overlap[bi] = i64(slice::kOverlap);
        t.unchanged[bi] = i64(slice::kUnchanged);
        t.routed[bi] = i64(slice::kRouted);
        t.peakBase[bi] = f64(slice::kPeakBase);
        t.peak[bi] = f64(slice::kPeak);
        t.peakTokensBase[bi] = f64(slice::kPeakTokensBase);
        t.peakTokens[bi] = f64(slice::kPeakTokens);
        t.massBase[bi] = o.budgetMass[bi * 2];
        t.mass[bi] = o.budgetMass[bi * 2 + 1];
        for (std::size_t l = 0; l < L; ++l) {
            const auto i = (bi * L + l) * 2;
            t.layerActBase[l * nb + bi] = static_cast<double>(o.layerInts[i]);
            t.layerAct[l * nb + bi] = static_cast<double>(o.layerInts[i + 1]);
            t.layerMassBase[l * nb + bi] = o.layerMass[i];
            t.layerMass[l * nb + bi] = o.layerMass[i + 1];
        }
    }
    for (std::size_t l = 0; l < L; ++l)
        t.layerSlices[l] = static_cast<std::int64_t>(o.layerSlices[l]);
    if (options.maps) {
        for (std::size_t i = 0; i < L * N; ++i) {
            t.mapBase[i] = static_cast<std::int64_t>(o.mapBase[i]);
            t.mapPolicy[i] = static_cast<std::int64_t>(o.mapPolicy[i]);
        }
        for (std::size_t d = 0; d < static_cast<std::size_t>(G); ++d) {
            t.devBase[d] = static_cast<double>(o.deviceSums[d * 4]);
            t.dev[d] = static_cast<double>(o.deviceSums[d * 4 + 1]);
            t.devTokensBase[d] = static_cast<double>(o.deviceSums[d * 4 + 2]);
            t.devTokens[d] = static_cast<double>(o.deviceSums[d * 4 + 3]);
        }
    }
    std::vector<moe::SliceRecord> records;
    if (options.perSlice) {
        const auto B = batches.tokens.size();
        // Every policy lists its selected set for the first budget (top-k: the experts the
        // baseline activates); a slice without a routed token has no record.
        for (std::size_t l = 0; l < L; ++l)
            for (std::size_t b = 0; b < B; ++b) {
                const auto i = l * B + b;
                if (out.recordInts[i * 2] == 0)
                    continue;
                moe::SliceRecord r;
                r.layer = trace.layerIds.empty() ? static_cast<int>(l) : trace.layerIds[l];
                r.batch = static_cast<int>(b);
                r.tokens = static_cast<int>(batches.tokens[b].size());
                r.activatedBase = out.recordInts[i * 2];
                r.activated = out.recordInts[i * 2 + 1];
                const double mb = out.recordMass[i * 2];
                r.massRetained = mb > 0 ? out.recordMass[i * 2 + 1] / mb : 1.0;
                for (std::size_t e = 0; e < N; ++e)
                    if ((out.recordSelected[i * static_cast<std::size_t>(plan.words) + e / 32] >> (e % 32)) & 1u)
                        r.selected.push_back(static_cast<int>(e));
                records.push_back(std::move(r));
            }
    }
    return moe::assembleXShare(trace, options, t, static_cast<std::size_t>(plan.slices), std::move(records), cancelled);
}

RowBytes rowBytes(const moe::Trace& trace)
{
    const std::size_t typeBytes = trace.scoreType == moe::ScoreType::F32 ? 4 : 2;
    RowBytes r;
    r.scores = static_cast<std::size_t>(trace.layers * (trace.sparse ? trace.topK : trace.experts)) * typeBytes;
    r.ids = trace.sparse ? static_cast<std::size_t>(trace.layers * trace.topK) * sizeof(std::int32_t) : 0;
    return r;
}

std::vector<std::pair<std::int64_t, std::int64_t>> chunkBatches(const XSharePlan& plan, std::int64_t rows)
{
    std::vector<std::pair<std::int64_t, std::int64_t>> chunks;
    const auto B = static_cast<std::int64_t>(plan.batchOffsets.size()) - 1;
    const auto at = [&](std::int64_t b) { return plan.batchOffsets[static_cast<std::size_t>(b)]; };
    for (std::int64_t b0 = 0; b0 < B;) {
        std::int64_t b1 = b0 + 1;
        while (b1 < B && at(b1 + 1) - at(b0) <= rows)
            ++b1;
        chunks.emplace_back(b0, b1);
        b0 = b1;
    }
    return chunks;
}

void gatherRows(
    const moe::Trace& trace, const XSharePlan& plan, std::int64_t b0, std::int64_t b1, char* scores, char* ids)
{
    const auto rb = rowBytes(trace);
    const auto first = static_cast<std::size_t>(plan.batchOffsets[static_cast<std::size_t>(b0)]);
    const auto last = static_cast<std::size_t>(plan.batchOffsets[static_cast<std::size_t>(b1)]);
    for (std::size_t r = 0; r < last - first; ++r) {
        const auto token = static_cast<std::size_t>(plan.batchRows[first + r]);
        std::memcpy(scores + r * rb.scores, static_cast<const char*>(trace.scores) + token * rb.scores, rb.scores);
        if (rb.ids)
            std::memcpy(ids + r * rb.ids, reinterpret_cast<const char*>(trace.topkIds) + token * rb.ids, rb.ids);
    }
}

Result<moe::XShareResult> emulateXShare(const moe::Trace& trace, const moe::Batches& batches,
    const moe::XShareOptions& options, int threads, std::int64_t chunkRows, int blocks)
{
    using R = Result<moe::XShareResult>;
    if (auto problem = moe::checkXShareOptions(trace, options))
        return R::failure(*problem);
    if (const auto why = gpuUnsupported(trace, options); !why.empty())
        return R::failure(Diagnostic::error({}, 0, "the GPU kernels cannot run this: " + why));
    XSharePlan plan = makePlan(trace, batches, options);
    slice::Job j = plan.job;
    j.scores = trace.scores;
    j.ids = trace.topkIds;
    j.batchOffsets = plan.batchOffsets.data();
    j.batchRows = plan.batchRows.data();
    j.groupTokens = plan.groupTokens.data();
    j.groupStart = plan.groupStart.data();
    j.batchGroups = plan.batchGroups.data();
    j.device = plan.device.data();
    j.replicaStart = plan.replicaStart.empty() ? nullptr : plan.replicaStart.data();
    j.replicaDevices = plan.replicaDevices.data();
    j.budgets = plan.budgets.data();
    HostOutputs out;
    out.size(plan, blocks);
    const slice::Outputs shared = out.bind();
    // Slice s runs on block s mod blocks and adds to that block's sums, as on the device.
    auto sumsFor
        = [&](std::int64_t s) { return slice::sumsOfBlock(shared, out.layout, out.sums.data(), s % out.blocks); };
    slice::Work w {};
    std::vector<char> memory(slice::carve(nullptr, plan.shape, w) + 16);
    char* base = memory.data();
    base += (16 - reinterpret_cast<std::uintptr_t>(base) % 16) % 16;
    slice::carve(base, plan.shape, w);
    const slice::HostBlock block { threads };
    if (chunkRows <= 0) {
        for (std::int64_t s = 0; s < plan.slices; ++s) {
            slice::runSlice(block, j, sumsFor(s), w, s);
            if (out.error[0])
                break;
        }
    } else {
        const auto rb = rowBytes(trace);
        const std::int64_t L = trace.layers;
        std::vector<char> scores;
        std::vector<char> ids;
        for (const auto& [b0, b1] : chunkBatches(plan, chunkRows)) {
            const auto rows = static_cast<std::size_t>(
                plan.batchOffsets[static_cast<std::size_t>(b1)] - plan.batchOffsets[static_cast<std::size_t>(b0)]);
            scores.assign(rows * rb.scores + 16, 0);
            ids.assign(rows * rb.ids + 16, 0);
            gatherRows(trace, plan, b0, b1, scores.data(), ids.data());
            j.scores = scores.data();
            j.ids = reinterpret_cast<const std::int32_t*>(ids.data());
            j.batchRows = nullptr;
            j.rowsOffset = plan.batchOffsets[static_cast<std::size_t>(b0)];
            for (std::int64_t s = b0 * L; s < b1 * L && !out.error[0]; ++s)
                slice::runSlice(block, j, sumsFor(s), w, s);
        }
    }
    if (auto e = runError(trace, plan, out))
        return R::failure(*e);
    out.reduceSums();
    R r;
    r.value = collect(trace, batches, options, plan, out, false);
    return r;
}

} // namespace deltascope::gpu
