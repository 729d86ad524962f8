// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/XShareRun.h"

#include "common/MappedFile.h"
#include "moe/XShareMaps.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace deltascope::moe {

using detail::addBudgetMaps;
using detail::addMaps;
using detail::budgetMapsOf;

void XShareTotals::init(
    std::size_t budgetCount, std::size_t layerCount, std::size_t experts, int devices, bool maps, bool budgetMaps)
{
    budgets = budgetCount;
    layers = layerCount;
    for (auto* v : { &activatedBase, &activated, &overlap, &unchanged, &routed })
        v->assign(budgets, 0);
    for (auto* v : { &massBase, &mass, &peakBase, &peak, &peakTokensBase, &peakTokens })
        v->assign(budgets, 0.0);
    layerSlices.assign(layers, 0);
    for (auto* v : { &layerActBase, &layerAct, &layerMassBase, &layerMass })
        v->assign(budgets * layers, 0.0);
    const auto G = static_cast<std::size_t>(std::max(1, devices));
    const bool base = maps || budgetMaps;
    mapBase.assign(base ? layers * experts : 0, 0);
    mapPolicy.assign(maps ? layers * experts : 0, 0);
    for (auto* v : { &devBase, &devTokensBase })
        v->assign(base ? G : 0, 0.0);
    for (auto* v : { &dev, &devTokens })
        v->assign(maps ? G : 0, 0.0);
    mapDiff.assign(budgetMaps ? layers * experts * (experts + 2) : 0, 0);
    for (auto* v : { &devAt, &devTokensAt })
        v->assign(budgetMaps ? budgets * G : 0, 0.0);
}

void XShareTotals::add(const XShareTotals& o)
{
    auto sum = [](auto& into, const auto& from) {
        for (std::size_t i = 0; i < into.size() && i < from.size(); ++i)
            into[i] += from[i];
    };
    sum(activatedBase, o.activatedBase);
    sum(activated, o.activated);
    sum(overlap, o.overlap);
    sum(unchanged, o.unchanged);
    sum(routed, o.routed);
    sum(massBase, o.massBase);
    sum(mass, o.mass);
    sum(peakBase, o.peakBase);
    sum(peak, o.peak);
    sum(peakTokensBase, o.peakTokensBase);
    sum(peakTokens, o.peakTokens);
    sum(layerSlices, o.layerSlices);
    sum(layerActBase, o.layerActBase);
    sum(layerAct, o.layerAct);
    sum(layerMassBase, o.layerMassBase);
    sum(layerMass, o.layerMass);
    sum(mapBase, o.mapBase);
    sum(mapPolicy, o.mapPolicy);
    sum(devBase, o.devBase);
    sum(dev, o.dev);
    sum(devTokensBase, o.devTokensBase);
    sum(devTokens, o.devTokens);
    sum(mapDiff, o.mapDiff);
    sum(devAt, o.devAt);
    sum(devTokensAt, o.devTokensAt);
}

std::optional<Diagnostic> checkXShareOptions(const Trace& trace, const XShareOptions& options)
{
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    auto fail
        = [](std::string message) { return std::optional<Diagnostic>(Diagnostic::error({}, 0, std::move(message))); };
    if (options.budgets.empty())
        return fail("no budget given");
    for (const int m : options.budgets)
        if (m < k || m > N)
            return fail("budget " + std::to_string(m) + " is outside [k, N] = [" + std::to_string(k) + ", "
                + std::to_string(N) + "]");
    // The per-device loads of every policy count at least one device; the expert-parallel policy
    // needs the number it spreads experts over.
    const int devices = std::max(1, options.policy.devices);
    if (options.policy.policy == Policy::ExpertParallel && options.policy.devices < 1)
        return fail("expert-parallel devices must be at least 1");
    if (devices > N)
        return fail("expert-parallel devices (" + std::to_string(devices) + ") exceed the number of experts ("
            + std::to_string(N) + ")");
    if (k > kMaxSliceList)
        return fail("top-k " + std::to_string(k) + " is above the largest supported, " + std::to_string(kMaxSliceList));
    if (options.policy.warmup > kMaxSliceList && N > kMaxSliceList)
        return fail("warm-up width " + std::to_string(options.policy.warmup) + " is above the largest supported, "
            + std::to_string(kMaxSliceList));
    if (!options.policy.placement.empty()) {
        if (static_cast<int>(options.policy.placement.size()) != N)
            return fail("the placement names " + std::to_string(options.policy.placement.size())
                + " experts, the trace has " + std::to_string(N));
        for (const int d : options.policy.placement)
            if (d < 0 || d >= devices)
                return fail(
                    "the placement puts an expert on device " + std::to_string(d) + " of " + std::to_string(devices));
    }
    if (!options.policy.replicas.empty()) {
        if (static_cast<int>(options.policy.replicas.size()) != N)
            return fail("the replicas name " + std::to_string(options.policy.replicas.size())
                + " experts, the trace has " + std::to_string(N));
        for (const auto& copies : options.policy.replicas)
            for (const int d : copies)
                if (d < 0 || d >= devices)
                    return fail("an expert copy is on device " + std::to_string(d) + " of " + std::to_string(devices));
    }
    return std::nullopt;
}

bool sweepsBudgets(const XShareOptions& options)
{
    return options.policy.policy != Policy::ExpertParallel && options.budgets.size() > 1 && !options.maps;
}

namespace {

// Copies the gating rows of one slice into g and checks them: scores must be finite and
// non-negative (unknown experts of a sparse trace are -infinity, and only those). Returns the
// problem, if any, naming the token, layer and expert.
std::optional<Diagnostic> copyCheckedRows(
    const Trace& trace, const std::vector<std::int64_t>& rows, std::size_t layer, std::vector<float>& g)
{
    const int N = static_cast<int>(trace.experts);
    g.resize(rows.size() * static_cast<std::size_t>(N));
    // Integer tests on the bits vectorise: below 0x7f800000 is a finite non-negative float;
    // 0xff800000 is -infinity (a dense trace has no unknown scores: 0 never reaches the test).
    const std::uint32_t unknown = trace.sparse ? 0xff800000u : 0u;
    auto badBits = [&](const float* at) {
        std::uint32_t b;
        std::memcpy(&b, at, sizeof b);
        return b >= 0x7f800000u && b != unknown;
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        float* out = g.data() + i * static_cast<std::size_t>(N);
        trace.gatingRow(rows[i], static_cast<std::int64_t>(layer), out);
        std::uint32_t bad = 0;
        for (int e = 0; e < N; ++e) {
            out[e] += 0.0f; // -0 becomes +0: a zero score is a zero score
            bad |= static_cast<std::uint32_t>(badBits(out + e));
        }
        if (!bad)
            continue;
        int e = 0;
        while (e + 1 < N && !badBits(out + e))
            ++e;
        const float v = out[e];
        return Diagnostic::error({}, 0,
            std::string(std::isnan(v) ? "NaN" : (std::isinf(v) ? "infinite" : "negative")) + " gating score at token "
                + std::to_string(rows[i]) + ", layer " + std::to_string(layer) + ", expert " + std::to_string(e)
                + (trace.scoreKind == ScoreKind::Probs
                        ? " (scores are read as probabilities; logits need score_kind logits)"
                        : ""));
    }
    return std::nullopt;
}

} // namespace

std::optional<Diagnostic> checkGatingScores(const Trace& trace)
{
    const auto tokens = static_cast<std::size_t>(trace.tokens);
    const auto L = static_cast<std::size_t>(trace.layers);
    const std::size_t tokenBytes = tokens ? trace.scoreBytes() / tokens : 0;
    // Where the mapped file starts when the dense scores lie in it (else 0): the pages read so far
    // then go back as the pass goes on, so checking a large trace does not hold it in memory.
    std::uintptr_t mappedAt = 0;
    if (trace.mapping && !trace.sparse && trace.scores != nullptr) {
        const auto start = reinterpret_cast<std::uintptr_t>(trace.mapping->view().data());
        const auto at = reinterpret_cast<std::uintptr_t>(trace.scores);
        if (at >= start && at + trace.scoreBytes() <= start + trace.mapping->view().size())
            mappedAt = start;
    }
    const auto offset
        = [&](std::size_t bytes) { return reinterpret_cast<std::uintptr_t>(trace.scores) + bytes - mappedAt; };
    std::vector<float> g;
    // Dense fp32 probabilities are used as they lie: one pass over their bits, which are fine below
    // 0x7f800000 (finite, non-negative) or exactly -0. The row of the first that fails is then
    // read as a run reads it, to name the score.
    if (!trace.sparse && trace.scoreType == ScoreType::F32 && trace.scoreKind == ScoreKind::Probs
        && trace.scores != nullptr) {
        const auto* bytes = static_cast<const unsigned char*>(trace.scores);
        const std::size_t n = trace.scoreBytes() / sizeof(float);
        auto bad = [&](std::size_t i) {
            std::uint32_t b;
            std::memcpy(&b, bytes + i * sizeof b, sizeof b);
            return static_cast<std::uint32_t>((b & 0x7fffffffu) >= 0x7f800000u)
                | static_cast<std::uint32_t>(b > 0x80000000u);
        };
        constexpr std::size_t kBlock = std::size_t { 1 } << 24; // 64 MB of scores
        for (std::size_t first = 0; first < n; first += kBlock) {
            const std::size_t last = std::min(n, first + kBlock);
            if (mappedAt != 0)
                trace.mapping->populate(offset(first * sizeof(float)), (last - first) * sizeof(float));
            std::uint32_t any = 0;
            for (std::size_t i = first; i < last; ++i)
                any |= bad(i);
            if (any) {
                std::size_t i = first;
                while (!bad(i))
                    ++i;
                const std::size_t row = i / static_cast<std::size_t>(trace.experts);
                return copyCheckedRows(trace, { static_cast<std::int64_t>(row / L) }, row % L, g);
            }
            if (mappedAt != 0)
                trace.mapping->release(offset(last * sizeof(float)));
        }
        return std::nullopt;
    }
    // Other traces row by row, token by token (each token's layers lie together).
    constexpr std::size_t kRows = 4096;
    std::vector<std::int64_t> rows;
    for (std::size_t first = 0; first < tokens; first += kRows) {
        rows.resize(std::min(kRows, tokens - first));
        for (std::size_t i = 0; i < rows.size(); ++i)
            rows[i] = static_cast<std::int64_t>(first + i);
        for (std::size_t l = 0; l < L; ++l)
            if (auto problem = copyCheckedRows(trace, rows, l, g))
                return problem;
        if (mappedAt != 0)
            trace.mapping->release(offset((first + rows.size()) * tokenBytes));
    }
    return std::nullopt;
}

namespace {

// How every slice of a run is computed.
struct SlicePlan {
    bool sweep = false; ///< every budget from one sweep (nested policies, several budgets, no maps)
    int maxBudget = 0;
    std::vector<int> budgetOrder; ///< the budgets, the first one last (maps and records describe it)
    const float* mapped = nullptr; ///< dense fp32 probabilities the kernels may read in place
};

SlicePlan slicePlan(const Trace& trace, const XShareOptions& options)
{
    SlicePlan p;
    // One budget (and the expert-parallel policy, whose sets do not nest) is computed from its
    // selected set; several budgets of the nested policies come from one sweep.
    p.sweep = sweepsBudgets(options);
    p.maxBudget = *std::max_element(options.budgets.begin(), options.budgets.end());
    p.budgetOrder.assign(options.budgets.begin() + 1, options.budgets.end());
    p.budgetOrder.push_back(options.budgets.front());
    const auto* scores = static_cast<const float*>(trace.scores);
    if (!trace.sparse && trace.scoreType == ScoreType::F32 && trace.scoreKind == ScoreKind::Probs && trace.topK <= 64
        && scores != nullptr && reinterpret_cast<std::uintptr_t>(scores) % alignof(float) == 0)
        p.mapped = scores;
    return p;
}

// One worker's buffers, reused from slice to slice.
struct SliceWorkspace {
    SliceScratch scratch;
    SliceSweep sweep;
    std::vector<float> rows;
    std::vector<const float*> rowPtr;
    std::vector<const float*> aheadPtr; ///< the next slice's rows
    std::vector<std::int32_t> request;
};

// Computes one slice into ws.sweep. Dense fp32 probabilities are read where they lie in the mapped
// file (the kernels check them and refuse a slice with a score they cannot order); other rows are
// made, copied and checked first. Returns the bad score's problem, if any.
std::optional<Diagnostic> computeSlice(const Trace& trace, const PolicyConfig& policy, const SlicePlan& plan,
    const std::vector<std::int64_t>& rows, std::size_t layer, SliceWorkspace& ws,
    const std::vector<std::int64_t>* next = nullptr, std::size_t nextLayer = 0)
{
    const auto T = rows.size();
    const auto N = static_cast<std::size_t>(trace.experts);
    ws.request.resize(T);
    for (std::size_t i = 0; i < T; ++i)
        ws.request[i] = trace.requestId[static_cast<std::size_t>(rows[i])];
    SliceInput in;
    in.tokens = static_cast<int>(T);
    in.experts = static_cast<int>(N);
    in.topK = static_cast<int>(trace.topK);
    in.request = ws.request.data();
    in.hasUnknown = trace.sparse;
    auto compute = [&] {
        if (plan.sweep)
            return sweepSlice(in, policy, plan.maxBudget, ws.sweep, ws.scratch);
        return sliceBudgets(in, policy, plan.budgetOrder, ws.sweep, ws.scratch);
    };
    if (plan.mapped) {
        const auto L = static_cast<std::size_t>(trace.layers);
        // Where each token's row of the layer lies in the mapped trace.
        auto rowsOf = [&](const std::vector<std::int64_t>& tokens, std::size_t l, std::vector<const float*>& out) {
            out.resize(tokens.size());
            for (std::size_t i = 0; i < tokens.size(); ++i)
                out[i] = plan.mapped + (static_cast<std::size_t>(tokens[i]) * L + l) * N;
        };
        rowsOf(rows, layer, ws.rowPtr);
        in.rows = ws.rowPtr.data();
        if (next) {
            rowsOf(*next, nextLayer, ws.aheadPtr);
            in.ahead = ws.aheadPtr.data();
            in.aheadCount = static_cast<int>(ws.aheadPtr.size());
        }
        if (compute())
            return std::nullopt;
        in.rows = nullptr;
    }
    if (auto problem = copyCheckedRows(trace, rows, layer, ws.rows))
        return problem;
    in.scores = ws.rows.data();
    compute();
    return std::nullopt;
}

// totals[i] += values[at[i]] for every i < n (at: the budgets), or values[first + i] when the
// budgets run on by one from `first` (first >= 0), in loops the compiler turns into vector adds:
// each element still gets the one addition it would get alone, so the sums do not change.
template <typename T, typename V>
void addAt(T* __restrict totals, const V* __restrict values, const int* at, std::size_t n, int first)
{
    if (first >= 0) {
        const V* from = values + first;
        for (std::size_t i = 0; i < n; ++i)
            totals[i] += static_cast<T>(from[i]);
    } else {
        for (std::size_t i = 0; i < n; ++i)
            totals[i] += static_cast<T>(values[at[i]]);
    }
}

template <typename T, typename V> void addEach(T* __restrict totals, V value, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        totals[i] += static_cast<T>(value);
}

// The first of the budgets when they run on by one (k, k + 1, ...), else -1.
int runOfBudgets(const std::vector<int>& budgets)
{
    for (std::size_t i = 1; i < budgets.size(); ++i)
        if (budgets[i] != budgets[0] + static_cast<int>(i))
            return -1;
    return budgets.empty() ? -1 : budgets[0];
}

// Adds one slice's metrics at every budget, in vector loops as wide as the processor has (the
// same sums: each element gets its one addition).
__attribute__((target_clones("avx512f", "avx2", "default"))) void addSlice(
    XShareTotals& a, const SliceSweep& sw, const std::vector<int>& budgets, int first, std::size_t layer)
{
    const std::size_t n = budgets.size();
    const int* at = budgets.data();
    ++a.layerSlices[layer];
    addEach(a.activatedBase.data(), sw.activatedBase, n);
    addAt(a.activated.data(), sw.activated.data(), at, n, first);
    addEach(a.massBase.data(), sw.massBase, n);
    addAt(a.mass.data(), sw.mass.data(), at, n, first);
    addAt(a.overlap.data(), sw.overlap.data(), at, n, first);
    addAt(a.unchanged.data(), sw.unchanged.data(), at, n, first);
    addEach(a.routed.data(), sw.routedTokens, n);
    addEach(a.peakBase.data(), sw.peakBase, n);
    addAt(a.peak.data(), sw.peak.data(), at, n, first);
    addEach(a.peakTokensBase.data(), sw.peakTokensBase, n);
    addAt(a.peakTokens.data(), sw.peakTokens.data(), at, n, first);
    addEach(a.layerActBase.data() + layer * n, sw.activatedBase, n);
    addEach(a.layerMassBase.data() + layer * n, sw.massBase, n);
    addAt(a.layerAct.data() + layer * n, sw.activated.data(), at, n, first);
    addAt(a.layerMass.data() + layer * n, sw.mass.data(), at, n, first);
}

// The record of one slice at the first budget, with its selected set (top-k: the experts the
// baseline activates).
SliceRecord recordOf(const Trace& trace, const XShareOptions& options, const SliceSweep& sw,
    const SliceScratch& scratch, bool sweep, std::size_t layer, std::size_t batch, std::size_t tokens)
{
    const auto m = static_cast<std::size_t>(options.budgets.front());
    SliceRecord r;
    r.layer = trace.layerIds.empty() ? static_cast<int>(layer) : trace.layerIds[layer];
    r.batch = static_cast<int>(batch);
    r.tokens = static_cast<int>(tokens);
    r.activatedBase = sw.activatedBase;
    r.activated = sw.activated[m];
    r.massRetained = sw.massBase > 0 ? sw.mass[m] / sw.massBase : 1.0;
    if (options.policy.policy == Policy::TopK) {
        for (std::size_t e = 0; e < scratch.baseCount.size(); ++e)
            if (scratch.baseCount[e] > 0)
                r.selected.push_back(static_cast<int>(e));
    } else if (sweep) {
        r.selected.assign(
            sw.order.begin(), sw.order.begin() + static_cast<std::ptrdiff_t>(std::min(sw.order.size(), m)));
        std::sort(r.selected.begin(), r.selected.end());
    } else {
        r.selected = sw.selected;
    }
    return r;
}

} // namespace

Result<XShareResult> runXShare(const Trace& trace, const Batches& batches, const XShareOptions& options)
{
    using R = Result<XShareResult>;
    const int N = static_cast<int>(trace.experts);
    if (auto problem = checkXShareOptions(trace, options))
        return R::failure(*problem);
    const auto L = static_cast<std::size_t>(trace.layers);
    const auto B = batches.tokens.size();
    const std::size_t slices = L * B;
    const std::size_t nb = options.budgets.size();
    const int G = deviceCount(options.policy);
    const auto Nz = static_cast<std::size_t>(N);
    const auto devices = devicesOf(options.policy, N);

    unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, slices)));
    const SlicePlan plan = slicePlan(trace, options);
    const int budgetRun = runOfBudgets(options.budgets);
    // Budget maps come with a sweep without expert copies, within a memory bound per worker.
    const bool budgetMaps = options.budgetMaps && plan.sweep && options.policy.replicas.empty()
        && L * Nz * (Nz + 2) <= (std::size_t { 1 } << 26);
    std::vector<XShareTotals> acc(threads);
    for (auto& a : acc)
        a.init(nb, L, Nz, G, options.maps, budgetMaps);
    std::vector<SliceRecord> records(options.perSlice ? slices : 0);
    std::atomic<std::size_t> done { 0 };
    std::atomic<bool> stop { false };
    std::mutex errorMutex;
    std::optional<Diagnostic> error;

    auto worker = [&](unsigned w) {
        SliceWorkspace ws;
        ws.sweep.deviceLoads = budgetMaps;
        XShareTotals& a = acc[w];
        // Static assignment keeps the floating sums identical from run to run.
        for (std::size_t s = w; s < slices && !stop.load(std::memory_order_relaxed); s += threads) {
            // Batch-major: consecutive slices read the same tokens' rows, which lie next to each
            // other in a [tokens, layers, experts] trace.
            const std::size_t batch = s / L;
            const std::size_t layer = s % L;
            const auto& rows = batches.tokens[batch];
            const auto T = rows.size();
            const std::size_t following = s + threads;
            const auto* next = following < slices ? &batches.tokens[following / L] : nullptr;
            if (auto problem = computeSlice(trace, options.policy, plan, rows, layer, ws, next, following % L)) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!error)
                    error = std::move(problem);
                stop = true;
                return;
            }
            const SliceSweep& sw = ws.sweep;
            const SliceScratch& scratch = ws.scratch;
            // A slice without a routed token (a sparse trace missing its records) is not counted.
            if (sw.activatedBase > 0) {
                if (options.maps)
                    addMaps(a, scratch, devices, G, layer);
                if (budgetMaps)
                    addBudgetMaps(a, scratch, sw, devices, G, layer, options);
                addSlice(a, sw, options.budgets, budgetRun, layer);
                if (options.perSlice)
                    records[layer * B + batch] = recordOf(trace, options, sw, scratch, plan.sweep, layer, batch, T);
            }
            done.fetch_add(1, std::memory_order_relaxed);
        }
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < threads; ++w)
        pool.emplace_back(worker, w);
    if (options.progress.callback) {
        pool.emplace_back(worker, 0u);
        while (done.load() < slices && !stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (!options.progress.report(
                    static_cast<double>(done.load()) / static_cast<double>(slices), "expert selection"))
                stop = true;
        }
    } else {
        worker(0);
    }
    for (auto& t : pool)
        t.join();
    if (error)
        return R::failure(*error);
    // Records of slices that were not counted (or not reached) have no routed token.
    std::erase_if(records, [](const SliceRecord& r) { return r.activatedBase == 0; });

    XShareTotals total;
    total.init(nb, L, Nz, G, options.maps, budgetMaps);
    for (const auto& a : acc)
        total.add(a);
    Result<XShareResult> res;
    res.value = assembleXShare(trace, options, total, slices, std::move(records), stop.load());
    return res;
}

XShareResult assembleXShare(const Trace& trace, const XShareOptions& options, const XShareTotals& total,
    std::size_t slices, std::vector<SliceRecord> records, bool cancelled)
{
    const auto L = total.layers;
    const auto nb = total.budgets;
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    const auto Nz = static_cast<std::size_t>(N);
    const int G = deviceCount(options.policy);
    // Only slices with a routed token count (DESIGN 4.4); `slices` is every (layer, batch) of the run.
    (void)slices;
    std::int64_t counted = 0;
    for (const auto n : total.layerSlices)
        counted += n;
    XShareResult out;
    if (options.maps) {
        ActivationMaps& m = out.maps;
        m.layers = static_cast<int>(L);
        m.experts = N;
        m.devices = G;
        m.base.assign(L * Nz, 0.0);
        m.policy.assign(L * Nz, 0.0);
        for (auto* v : { &m.deviceBase, &m.device, &m.deviceTokensBase, &m.deviceTokens })
            v->assign(static_cast<std::size_t>(G), 0.0);
        for (std::size_t i = 0; i < L * Nz; ++i) {
            m.base[i] = static_cast<double>(total.mapBase[i]);
            m.policy[i] = static_cast<double>(total.mapPolicy[i]);
        }
        m.deviceBase = total.devBase;
        m.device = total.dev;
        m.deviceTokensBase = total.devTokensBase;
        m.deviceTokens = total.devTokens;
        for (std::size_t l = 0; l < L; ++l) {
            const auto n = static_cast<double>(std::max<std::int64_t>(1, total.layerSlices[l]));
            for (std::size_t e = 0; e < Nz; ++e) {
                m.base[l * Nz + e] /= n;
                m.policy[l * Nz + e] /= n;
            }
        }
        const double n = counted ? static_cast<double>(counted) : 1.0;
        for (auto* v : { &m.deviceBase, &m.device, &m.deviceTokensBase, &m.deviceTokens })
            for (auto& x : *v)
                x /= n;
    }
    if (!total.mapDiff.empty())
        out.budgetMaps = budgetMapsOf(options, total, counted, N, G);
    out.sliceCount = counted;
    out.cancelled = cancelled;
    const double sl = counted ? static_cast<double>(counted) : 1.0;
    for (std::size_t bi = 0; bi < nb; ++bi) {
        BudgetResult r;
        r.budget = options.budgets[bi];
        r.activatedBase = total.activatedBase[bi];
        r.activated = total.activated[bi];
        r.reduction
            = r.activatedBase ? 1.0 - static_cast<double>(r.activated) / static_cast<double>(r.activatedBase) : 0.0;
        r.massRetained = total.massBase[bi] > 0 ? total.mass[bi] / total.massBase[bi] : 1.0;
        // Overlap is |R & R'| over the tokens' own k (for sparse traces, the known experts).
        r.topkOverlap = total.routed[bi]
            ? static_cast<double>(total.overlap[bi]) / (static_cast<double>(total.routed[bi]) * k)
            : 1.0;
        r.unchangedTokens
            = total.routed[bi] ? static_cast<double>(total.unchanged[bi]) / static_cast<double>(total.routed[bi]) : 1.0;
        r.peakDeviceLoadBase = total.peakBase[bi] / sl;
        r.peakDeviceLoad = total.peak[bi] / sl;
        r.peakDeviceTokensBase = total.peakTokensBase[bi] / sl;
        r.peakDeviceTokens = total.peakTokens[bi] / sl;
        for (std::size_t l = 0; l < L; ++l) {
            LayerMetrics lm;
            lm.layer = trace.layerIds.empty() ? static_cast<int>(l) : trace.layerIds[l];
            const double n = total.layerSlices[l] ? static_cast<double>(total.layerSlices[l]) : 1.0;
            lm.activatedBaseMean = total.layerActBase[l * nb + bi] / n;
            lm.activatedMean = total.layerAct[l * nb + bi] / n;
            lm.massRetained = total.layerMassBase[l * nb + bi] > 0
                ? total.layerMass[l * nb + bi] / total.layerMassBase[l * nb + bi]
                : 1.0;
            r.perLayer.push_back(lm);
        }
        out.results.push_back(std::move(r));
    }
    out.slices = std::move(records);
    return out;
}

} // namespace deltascope::moe
