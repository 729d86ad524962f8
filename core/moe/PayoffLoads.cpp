// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline's per-step loads for the payoff estimate: activated experts, device balance and
// how long hot experts stay hot.
#include "moe/Payoff.h"
#include "moe/Placement.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

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

Result<StepLoads> stepLoads(const Trace& trace, const Batches& batches, int devices, const Progress& progress)
{
    using R = Result<StepLoads>;
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    if (devices < 1 || devices > N)
        return R::failure(Diagnostic::error(
            {}, 0, "devices must be between 1 and the number of experts (" + std::to_string(N) + ")"));
    const std::size_t steps = batches.tokens.size();
    const auto Nz = static_cast<std::size_t>(N);
    StepLoads out;
    out.steps = static_cast<std::int64_t>(steps);
    out.devices = devices;
    out.experts = N;
    out.topK = k;
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

    const auto contiguous = contiguousDevices(N, devices);
    std::vector<std::int32_t> counts(steps * Nz);
    std::vector<std::int32_t> routed(steps);
    std::vector<float> row(Nz);
    std::vector<int> idx;
    std::vector<int> order;
    std::vector<std::uint8_t> hot(Nz), wasHot(Nz);
    std::vector<std::int64_t> run(Nz);
    double hotSteps = 0.0, stayed = 0.0, hotBefore = 0.0;
    double tokens = 0.0, assignments = 0.0, activated = 0.0, activatedDev = 0.0, assignmentsDev = 0.0;
    double overallC = 0.0, overallB = 0.0;
    std::vector<double> slice(Nz), devAct(static_cast<std::size_t>(devices));
    for (std::int64_t l = 0; l < trace.layers; ++l) {
        if (!progress.report(static_cast<double>(l) / static_cast<double>(trace.layers), "expert loads per step"))
            return R::failure(Diagnostic::error({}, 0, "cancelled"));
        std::fill(counts.begin(), counts.end(), 0);
        std::fill(routed.begin(), routed.end(), 0);
        std::vector<double> total(Nz, 0.0);
        for (std::size_t b = 0; b < steps; ++b) {
            auto* c = counts.data() + b * Nz;
            for (const auto t : batches.tokens[b]) {
                trace.gatingRow(t, l, row.data());
                idx.clear();
                for (int e = 0; e < N; ++e)
                    if (std::isfinite(row[static_cast<std::size_t>(e)]))
                        idx.push_back(e);
                if (idx.empty())
                    continue;
                const auto kk = std::min<std::size_t>(idx.size(), static_cast<std::size_t>(k));
                std::partial_sort(
                    idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), [&](int a, int b2) {
                        const float x = row[static_cast<std::size_t>(a)], y = row[static_cast<std::size_t>(b2)];
                        return x != y ? x > y : a < b2;
                    });
                for (std::size_t i = 0; i < kk; ++i) {
                    ++c[idx[i]];
                    total[static_cast<std::size_t>(idx[i])] += 1.0;
                }
                ++routed[b];
            }
        }
        const auto balanced = balancedPlacement(total, devices).device;
        overallC += balanceOf(total, contiguous, devices);
        overallB += balanceOf(total, balanced, devices);
        std::fill(run.begin(), run.end(), 0);
        std::fill(wasHot.begin(), wasHot.end(), 0);
        bool first = true;
        for (std::size_t b = 0; b < steps; ++b) {
            if (routed[b] == 0)
                continue;
            const auto* c = counts.data() + b * Nz;
            ++out.slices;
            tokens += routed[b];
            std::fill(devAct.begin(), devAct.end(), 0.0);
            double act = 0.0, asg = 0.0;
            for (std::size_t e = 0; e < Nz; ++e) {
                slice[e] = c[e];
                asg += c[e];
                if (c[e] > 0) {
                    act += 1.0;
                    devAct[static_cast<std::size_t>(contiguous[e])] += 1.0;
                }
            }
            activated += act;
            assignments += asg;
            activatedDev += *std::max_element(devAct.begin(), devAct.end());
            const double cb = balanceOf(slice, contiguous, devices);
            out.contiguous.perStep += cb;
            out.balanced.perStep += balanceOf(slice, balanced, devices);
            assignmentsDev += asg / devices / cb;
            hotSet(c, N, out.hot.hotExperts, order, hot);
            for (std::size_t e = 0; e < Nz; ++e) {
                if (!first && wasHot[e]) {
                    hotBefore += 1.0;
                    stayed += hot[e];
                }
                if (hot[e]) {
                    ++run[e];
                    hotSteps += 1.0;
                } else if (run[e] > 0) {
                    ++out.hot.runs;
                    run[e] = 0;
                }
            }
            wasHot.swap(hot);
            first = false;
        }
        for (const auto r : run)
            out.hot.runs += r > 0;
    }
    progress.report(1.0, "expert loads per step");
    if (out.slices == 0)
        return R::failure(Diagnostic::error({}, 0, "the trace has no routed token"));
    const double S = static_cast<double>(out.slices);
    const double layers = static_cast<double>(std::max<std::int64_t>(1, trace.layers));
    out.tokensPerStep = tokens / S;
    out.requestsPerStep = steps > 0 ? requests / static_cast<double>(steps) : 0.0;
    out.activatedPerSlice = activated / S;
    out.assignmentsPerSlice = assignments / S;
    out.activatedDevice = activatedDev / S;
    out.assignmentsDevice = assignmentsDev / S;
    out.contiguous.perStep /= S;
    out.balanced.perStep /= S;
    out.contiguous.overall = overallC / layers;
    out.balanced.overall = overallB / layers;
    out.hot.meanRun = out.hot.runs > 0 ? hotSteps / static_cast<double>(out.hot.runs) : 0.0;
    out.hot.persistence = hotBefore > 0 ? stayed / hotBefore : 0.0;
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
