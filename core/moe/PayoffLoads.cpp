// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline's per-step loads for the payoff estimate: activated experts, device balance and
// how long hot experts stay hot.
#include "moe/Payoff.h"
#include "moe/Placement.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <set>
#include <thread>

namespace deltascope::moe {

namespace {

// Mean over devices / max over devices of the loads of experts placed by `device`.
double balanceOf(const std::vector<double>& load, const std::vector<int>& device, int devices)
{
    std::vector<double> d(static_cast<std::size_t>(devices), 0.0);
    double total = 0.0;
    for (std::size_t e = 0; e < load.size(); ++e) {
        d[static_cast<std::size_t>(device[e])] += load[e];
        total += load[e];
    }
    const double peak = *std::max_element(d.begin(), d.end());
    return peak > 0 ? total / devices / peak : 1.0;
}

std::vector<int> contiguousDevices(int experts, int devices)
{
    std::vector<int> d(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e)
        d[static_cast<std::size_t>(e)] = static_cast<int>(static_cast<std::int64_t>(e) * devices / experts);
    return d;
}

// The hot set of one slice: the ceil(N/10) most loaded experts with some load, ties to the lower id.
void hotSet(const std::int32_t* counts, int experts, int hot, std::vector<int>& order, std::vector<std::uint8_t>& out)
{
    order.resize(static_cast<std::size_t>(experts));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + hot, order.end(),
        [&](int a, int b) { return counts[a] != counts[b] ? counts[a] > counts[b] : a < b; });
    std::fill(out.begin(), out.end(), 0);
    for (int i = 0; i < hot; ++i)
        if (counts[order[static_cast<std::size_t>(i)]] > 0)
            out[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = 1;
}

} // namespace

namespace {

// What one layer adds to the statistics (summed over its slices).
struct LayerSums {
    std::int64_t slices = 0;
    double tokens = 0.0, assignments = 0.0, activated = 0.0, activatedDev = 0.0, assignmentsDev = 0.0;
    double balanceC = 0.0, balanceB = 0.0, overallC = 0.0, overallB = 0.0;
    double hotSteps = 0.0, stayed = 0.0, hotBefore = 0.0;
    std::int64_t runs = 0;
};

// Per-layer scratch, reused across the layers one thread handles.
struct LayerScratch {
    std::vector<std::int32_t> counts; ///< [steps][experts]
    std::vector<std::int32_t> routed; ///< [steps]
    std::vector<float> row;
    std::vector<int> idx, order;
    std::vector<std::uint8_t> hot, wasHot;
    std::vector<std::int64_t> run;
    std::vector<double> slice, devAct;
};

void layerSums(const Trace& trace, const Batches& batches, std::int64_t l, int devices,
    const std::vector<int>& contiguous, int hotExperts, LayerScratch& w, LayerSums& out)
{
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    const auto Nz = static_cast<std::size_t>(N);
    const std::size_t steps = batches.tokens.size();
    w.counts.assign(steps * Nz, 0);
    w.routed.assign(steps, 0);
    w.row.resize(Nz);
    w.hot.assign(Nz, 0);
    w.wasHot.assign(Nz, 0);
    w.run.assign(Nz, 0);
    w.slice.resize(Nz);
    w.devAct.resize(static_cast<std::size_t>(devices));
    std::vector<double> total(Nz, 0.0);
    for (std::size_t b = 0; b < steps; ++b) {
        auto* c = w.counts.data() + b * Nz;
        for (const auto t : batches.tokens[b]) {
            trace.gatingRow(t, l, w.row.data());
            w.idx.clear();
            for (int e = 0; e < N; ++e)
                if (std::isfinite(w.row[static_cast<std::size_t>(e)]))
                    w.idx.push_back(e);
            if (w.idx.empty())
                continue;
            // The token's top-k, ties to the lower id (unknown experts of a sparse trace are skipped).
            const auto kk = std::min<std::size_t>(w.idx.size(), static_cast<std::size_t>(k));
            std::partial_sort(
                w.idx.begin(), w.idx.begin() + static_cast<std::ptrdiff_t>(kk), w.idx.end(), [&](int a, int b2) {
                    const float x = w.row[static_cast<std::size_t>(a)], y = w.row[static_cast<std::size_t>(b2)];
                    return x != y ? x > y : a < b2;
                });
            for (std::size_t i = 0; i < kk; ++i) {
                ++c[w.idx[i]];
                total[static_cast<std::size_t>(w.idx[i])] += 1.0;
            }
            ++w.routed[b];
        }
    }
    const auto balanced = balancedPlacement(total, devices).device;
    out.overallC = balanceOf(total, contiguous, devices);
    out.overallB = balanceOf(total, balanced, devices);
    bool first = true;
    for (std::size_t b = 0; b < steps; ++b) {
        if (w.routed[b] == 0)
            continue; // a slice without a routed token is skipped (DESIGN 4.4)
        const auto* c = w.counts.data() + b * Nz;
        ++out.slices;
        out.tokens += w.routed[b];
        std::fill(w.devAct.begin(), w.devAct.end(), 0.0);
        double act = 0.0, asg = 0.0;
        for (std::size_t e = 0; e < Nz; ++e) {
            w.slice[e] = c[e];
            asg += c[e];
            if (c[e] > 0) {
                act += 1.0;
                w.devAct[static_cast<std::size_t>(contiguous[e])] += 1.0;
            }
        }
        out.activated += act;
        out.assignments += asg;
        out.activatedDev += *std::max_element(w.devAct.begin(), w.devAct.end());
        const double cb = balanceOf(w.slice, contiguous, devices);
        out.balanceC += cb;
        out.balanceB += balanceOf(w.slice, balanced, devices);
        out.assignmentsDev += asg / devices / cb; // the busiest device's assignments
        hotSet(c, N, hotExperts, w.order, w.hot);
        for (std::size_t e = 0; e < Nz; ++e) {
            if (!first && w.wasHot[e]) {
                out.hotBefore += 1.0;
                out.stayed += w.hot[e];
            }
            if (w.hot[e]) {
                ++w.run[e];
                out.hotSteps += 1.0;
            } else if (w.run[e] > 0) {
                ++out.runs;
                w.run[e] = 0;
            }
        }
        w.wasHot.swap(w.hot);
        first = false;
    }
    for (const auto r : w.run)
        out.runs += r > 0;
}

} // namespace

Result<StepLoads> stepLoads(
    const Trace& trace, const Batches& batches, int devices, const Progress& progress, unsigned threads)
{
    using R = Result<StepLoads>;
    const int N = static_cast<int>(trace.experts);
    if (devices < 1 || devices > N)
        return R::failure(Diagnostic::error(
            {}, 0, "devices must be between 1 and the number of experts (" + std::to_string(N) + ")"));
    const std::size_t steps = batches.tokens.size();
    for (const auto& rows : batches.tokens)
        for (const auto t : rows)
            if (t < 0 || t >= trace.tokens)
                return R::failure(Diagnostic::error({}, 0, "a batch names a token outside the trace"));
    StepLoads out;
    out.steps = static_cast<std::int64_t>(steps);
    out.devices = devices;
    out.experts = N;
    out.topK = trace.topK;
    out.layers = trace.layers;
    out.hot.hotExperts = std::max(1, (N + 9) / 10);
    out.hot.independentRun = 1.0 / (1.0 - std::min(0.999999, static_cast<double>(out.hot.hotExperts) / N));

    // Requests per step do not depend on the layer.
    double requests = 0.0;
    for (const auto& rows : batches.tokens) {
        std::set<std::int32_t> seen;
        for (const auto t : rows)
            seen.insert(trace.requestId[static_cast<std::size_t>(t)]);
        requests += static_cast<double>(seen.size());
    }

    // Layers are independent: each thread takes the next one; the sums are added in layer order.
    const auto contiguous = contiguousDevices(N, devices);
    const auto L = static_cast<std::size_t>(std::max<std::int64_t>(0, trace.layers));
    std::vector<LayerSums> sums(L);
    std::atomic<std::size_t> next { 0 };
    std::atomic<std::size_t> done { 0 };
    std::atomic<bool> stop { false };
    const unsigned hw = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    const auto workers = static_cast<unsigned>(std::clamp<std::size_t>(L, 1, hw));
    auto work = [&] {
        LayerScratch scratch;
        for (std::size_t l; !stop && (l = next++) < L;) {
            layerSums(trace, batches, static_cast<std::int64_t>(l), devices, contiguous, out.hot.hotExperts, scratch,
                sums[l]);
            ++done;
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < workers; ++i)
        pool.emplace_back(work);
    // The calling thread works too and reports progress between its layers (the callback runs
    // on the thread that started the work).
    {
        LayerScratch scratch;
        for (std::size_t l; !stop && (l = next++) < L;) {
            if (!progress.report(static_cast<double>(done) / static_cast<double>(L), "expert loads per step"))
                stop = true;
            else {
                layerSums(trace, batches, static_cast<std::int64_t>(l), devices, contiguous, out.hot.hotExperts,
                    scratch, sums[l]);
                ++done;
            }
        }
    }
    for (auto& t : pool)
        t.join();
    if (stop)
        return R::failure(Diagnostic::error({}, 0, "cancelled"));
    progress.report(1.0, "expert loads per step");

    LayerSums all;
    for (const auto& s : sums) {
        all.slices += s.slices;
        all.tokens += s.tokens;
        all.assignments += s.assignments;
        all.activated += s.activated;
        all.activatedDev += s.activatedDev;
        all.assignmentsDev += s.assignmentsDev;
        all.balanceC += s.balanceC;
        all.balanceB += s.balanceB;
        all.overallC += s.overallC;
        all.overallB += s.overallB;
        all.hotSteps += s.hotSteps;
        all.stayed += s.stayed;
        all.hotBefore += s.hotBefore;
        all.runs += s.runs;
    }
    if (all.slices == 0)
        return R::failure(Diagnostic::error({}, 0, "the trace has no routed token"));
    const double S = static_cast<double>(all.slices);
    out.slices = all.slices;
    out.tokensPerStep = all.tokens / S;
    out.requestsPerStep = steps > 0 ? requests / static_cast<double>(steps) : 0.0;
    out.activatedPerSlice = all.activated / S;
    out.assignmentsPerSlice = all.assignments / S;
    out.activatedDevice = all.activatedDev / S;
    out.assignmentsDevice = all.assignmentsDev / S;
    out.contiguous.perStep = all.balanceC / S;
    out.balanced.perStep = all.balanceB / S;
    out.contiguous.overall = all.overallC / static_cast<double>(std::max<std::size_t>(1, L));
    out.balanced.overall = all.overallB / static_cast<double>(std::max<std::size_t>(1, L));
    out.hot.runs = all.runs;
    out.hot.meanRun = all.runs > 0 ? all.hotSteps / static_cast<double>(all.runs) : 0.0;
    out.hot.persistence = all.hotBefore > 0 ? all.stayed / all.hotBefore : 0.0;
    R r;
    r.value = std::move(out);
    return r;
}

StepLoads countLoads(const ExpertCounts& counts, int topK, double tokensPerStep, int devices)
{
    const int N = static_cast<int>(counts.experts);
    const int G = std::clamp(devices, 1, std::max(1, N));
    const auto contiguous = contiguousDevices(N, G);
    StepLoads out;
    out.fromCounts = true;
    out.devices = G;
    out.experts = N;
    out.topK = topK;
    out.layers = counts.layers;
    out.tokensPerStep = tokensPerStep;
    out.requestsPerStep = tokensPerStep;
    out.hot.hotExperts = std::max(1, (N + 9) / 10);
    std::int64_t used = 0;
    for (std::int64_t l = 0; l < counts.layers; ++l) {
        std::vector<double> load(static_cast<std::size_t>(N));
        double sum = 0.0;
        for (int e = 0; e < N; ++e)
            sum += load[static_cast<std::size_t>(e)] = std::max(0.0, counts.at(l, e));
        if (!(sum > 0))
            continue;
        ++used;
        std::vector<double> devAct(static_cast<std::size_t>(G), 0.0), devAsg(static_cast<std::size_t>(G), 0.0);
        double act = 0.0;
        for (int e = 0; e < N; ++e) {
            // q_e: the share of tokens routed to e (the shares sum to k).
            const double q = std::min(1.0, topK * load[static_cast<std::size_t>(e)] / sum);
            const double a = 1.0 - std::pow(1.0 - q, tokensPerStep);
            act += a;
            devAct[static_cast<std::size_t>(contiguous[static_cast<std::size_t>(e)])] += a;
            devAsg[static_cast<std::size_t>(contiguous[static_cast<std::size_t>(e)])] += q * tokensPerStep;
        }
        out.activatedPerSlice += act;
        out.activatedDevice += *std::max_element(devAct.begin(), devAct.end());
        out.assignmentsDevice += *std::max_element(devAsg.begin(), devAsg.end());
        out.contiguous.overall += balanceOf(load, contiguous, G);
        out.balanced.overall += balanceOf(load, balancedPlacement(load, G).device, G);
    }
    const double L = static_cast<double>(std::max<std::int64_t>(1, used));
    out.slices = used;
    out.activatedPerSlice /= L;
    out.activatedDevice /= L;
    out.assignmentsDevice /= L;
    out.assignmentsPerSlice = tokensPerStep * topK;
    out.contiguous.overall /= L;
    out.balanced.overall /= L;
    return out;
}

} // namespace deltascope::moe
