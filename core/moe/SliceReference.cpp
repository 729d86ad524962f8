// SPDX-License-Identifier: GPL-3.0-or-later
// The CPU reference: core's host/device slice template (moe/slice/SelectSlice.h), the code the CUDA
// kernel runs, executed by one host thread on a SliceInput. The vectorised paths in XShare.cpp are
// tested against it.
#include "moe/XShare.h"
#include "moe/slice/SelectSlice.h"

#include <algorithm>
#include <numeric>

namespace deltascope::moe {

static_assert(sizeof(int) == sizeof(std::int32_t), "device maps are passed as 32-bit integers");

namespace {

// The largest list (k or warm-up width) of the reference's instantiations.
constexpr int kShortList = 64;
constexpr int kLongList = kMaxSliceList;

struct SliceRows {
    const SliceInput* in;
    const float* operator()(int t, float*) const
    {
        return in->rows ? in->rows[t]
                        : in->scores + static_cast<std::size_t>(t) * static_cast<std::size_t>(in->experts);
    }
};

// Writes the template's sums into the budget entries of a SliceSweep.
struct SweepSink {
    SliceSweep* out;
    SliceScratch* scratch;
    const std::int32_t* budgets;

    void bad(int, int, int) { } // rows reach the reference checked
    void budget(int bi, const slice::BudgetSums& s)
    {
        const auto m = static_cast<std::size_t>(budgets[bi]);
        out->routedTokens = s.routed;
        out->activatedBase = s.activatedBase;
        out->massBase = s.massBase;
        out->peakBase = s.peakBase;
        out->peakTokensBase = s.peakTokensBase;
        out->activated[m] = s.activated;
        out->mass[m] = s.mass;
        out->overlap[m] = s.overlap;
        out->unchanged[m] = s.unchanged;
        out->peak[m] = s.peak;
        out->peakTokens[m] = s.peakTokens;
    }
    void selection(int tid, int, const slice::Work& w)
    {
        if (tid != 0)
            return;
        out->selected.clear();
        for (std::size_t e = 0; e < scratch->baseCount.size(); ++e)
            if (w.selected[e])
                out->selected.push_back(static_cast<int>(e));
    }
    void activity(int e, int baseCount, int used)
    {
        scratch->baseCount[static_cast<std::size_t>(e)] = baseCount;
        scratch->used[static_cast<std::size_t>(e)] = used;
    }
    void done(bool) { }
};

slice::PolicyCode codeOf(Policy p)
{
    switch (p) {
    case Policy::TopK:
        return slice::kTopK;
    case Policy::Batch:
        return slice::kBatch;
    case Policy::ExpertParallel:
        return slice::kExpertParallel;
    case Policy::Speculative:
        return slice::kSpeculative;
    }
    return slice::kBatch;
}

} // namespace

void referenceSlice(const SliceInput& in, const PolicyConfig& config, const std::vector<int>& budgets, bool sweep,
    SliceSweep& out, SliceScratch& s)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    const int G = deviceCount(config);
    const std::vector<int> device = devicesOf(config, N);
    std::vector<std::int32_t> replicaStart;
    std::vector<std::int32_t> replicaDevices;
    if (!config.replicas.empty()) {
        replicaStart.assign(Nz + 1, 0);
        for (std::size_t e = 0; e < Nz; ++e) {
            const auto& copies = config.replicas[e];
            replicaDevices.insert(replicaDevices.end(), copies.begin(), copies.end());
            replicaStart[e + 1] = static_cast<std::int32_t>(replicaDevices.size());
        }
    }
    // Token positions grouped by request (ascending request, then position) for the speculative policy.
    std::vector<std::int32_t> groupTokens(static_cast<std::size_t>(in.tokens));
    std::iota(groupTokens.begin(), groupTokens.end(), 0);
    auto requestOf = [&](std::int32_t t) { return in.request ? in.request[t] : 0; };
    std::stable_sort(groupTokens.begin(), groupTokens.end(),
        [&](std::int32_t a, std::int32_t b) { return requestOf(a) < requestOf(b); });
    std::vector<std::int64_t> groupStart;
    for (std::size_t i = 0; i < groupTokens.size(); ++i)
        if (i == 0 || requestOf(groupTokens[i]) != requestOf(groupTokens[i - 1]))
            groupStart.push_back(static_cast<std::int64_t>(i));
    const auto groups = static_cast<std::int64_t>(groupStart.size());
    groupStart.push_back(static_cast<std::int64_t>(groupTokens.size()));
    const std::vector<std::int32_t> budgetList(budgets.begin(), budgets.end());

    slice::SliceView v;
    v.tokens = in.tokens;
    v.experts = N;
    v.topK = in.topK;
    v.sparse = in.hasUnknown;
    v.policy = codeOf(config.policy);
    v.warmup = std::min(std::max(0, config.warmup), N); // the top-w of a row with w >= N holds every expert
    v.requestExperts = config.requestExperts;
    v.devices = G;
    v.device = device.data();
    v.replicaStart = replicaStart.empty() ? nullptr : replicaStart.data();
    v.replicaDevices = replicaDevices.data();
    v.budgets = budgetList.data();
    v.budgetCount = static_cast<int>(budgetList.size());
    v.sweep = sweep;
    v.records = true;
    v.activity = true;
    v.groupTokens = groupTokens.data();
    v.groupStart = groupStart.data();
    v.groupLast = groups;

    slice::Shape shape;
    shape.maxTokens = in.tokens;
    shape.experts = N;
    shape.list = slice::listLength(v);
    shape.devices = G;
    slice::Work w {};
    s.work.assign(slice::carve(nullptr, shape, w) / sizeof(std::uint64_t) + 1, 0);
    slice::carve(reinterpret_cast<char*>(s.work.data()), shape, w);

    if (out.activated.size() != Nz + 1) {
        for (auto* a : { &out.activated, &out.overlap, &out.unchanged, &out.peak, &out.peakTokens })
            a->assign(Nz + 1, 0);
        out.mass.assign(Nz + 1, 0.0);
    }
    s.baseCount.assign(Nz, 0);
    s.used.assign(Nz, 0);
    SweepSink sink { &out, &s, budgetList.data() };
    const SliceRows rows { &in };
    const slice::HostBlock one { 1 };
    if (shape.list <= kShortList)
        slice::selectSlice<kShortList>(one, v, w, rows, sink);
    else if (shape.list <= kLongList)
        slice::selectSlice<kLongList>(one, v, w, rows, sink);
    out.order.clear();
    if (config.policy != Policy::TopK)
        out.order.assign(w.order, w.order + N);
}

void runSliceBudget(const SliceInput& in, const PolicyConfig& config, int budget, SliceSweep& out, SliceScratch& s)
{
    referenceSlice(in, config, { std::clamp(budget, 0, in.experts) }, false, out, s);
}

std::vector<int> batchPriority(const SliceInput& in, int warmup)
{
    PolicyConfig config;
    config.policy = Policy::Batch;
    config.warmup = warmup;
    SliceSweep out;
    SliceScratch s;
    referenceSlice(in, config, { in.experts }, false, out, s);
    return out.order;
}

std::vector<int> speculativePriority(const SliceInput& in, int requestExperts)
{
    PolicyConfig config;
    config.policy = Policy::Speculative;
    config.requestExperts = requestExperts;
    SliceSweep out;
    SliceScratch s;
    referenceSlice(in, config, { in.experts }, false, out, s);
    return out.order;
}

std::vector<int> expertParallelSelection(const SliceInput& in, const PolicyConfig& config, int budget)
{
    PolicyConfig c = config;
    c.policy = Policy::ExpertParallel;
    SliceSweep out;
    SliceScratch s;
    runSliceBudget(in, c, budget, out, s);
    return out.selected;
}

std::vector<std::vector<int>> routeWithin(const SliceInput& in, const std::vector<int>& selected)
{
    const auto N = static_cast<std::size_t>(in.experts);
    std::vector<std::uint8_t> allowed(N, 0);
    for (const int e : selected)
        if (e >= 0 && e < in.experts)
            allowed[static_cast<std::size_t>(e)] = 1;
    const auto k = static_cast<std::size_t>(std::max(0, in.topK));
    std::vector<std::uint64_t> keys(k + 1);
    std::vector<int> ids(k + 1);
    const SliceRows rows { &in };
    std::vector<std::vector<int>> out(static_cast<std::size_t>(in.tokens));
    for (int t = 0; t < in.tokens; ++t) {
        const int count
            = slice::topOfRow(rows(t, nullptr), in.experts, in.topK, allowed.data(), keys.data(), ids.data());
        out[static_cast<std::size_t>(t)].assign(ids.begin(), ids.begin() + count);
    }
    return out;
}

} // namespace deltascope::moe
