// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/XShareMaps.h"

#include <algorithm>

namespace deltascope::moe::detail {

// The activation maps of the first budget: which experts are active, per layer and device.
void addMaps(XShareTotals& a, const SliceScratch& scratch, const std::vector<int>& devices, int G, std::size_t layer)
{
    const std::size_t Nz = devices.size();
    if (scratch.used.size() != Nz || scratch.baseCount.size() != Nz)
        return;
    std::vector<int> baseActive(static_cast<std::size_t>(G), 0);
    std::vector<int> active(static_cast<std::size_t>(G), 0);
    for (std::size_t e = 0; e < Nz; ++e) {
        const auto d = static_cast<std::size_t>(devices[e]);
        if (scratch.baseCount[e] > 0) {
            ++a.mapBase[layer * Nz + e];
            ++baseActive[d];
            a.devTokensBase[d] += scratch.baseCount[e];
        }
        if (scratch.used[e] > 0) {
            ++a.mapPolicy[layer * Nz + e];
            ++active[d];
            a.devTokens[d] += scratch.used[e];
        }
    }
    for (std::size_t d = 0; d < static_cast<std::size_t>(G); ++d) {
        a.devBase[d] += baseActive[d];
        a.dev[d] += active[d];
    }
}

// The budget maps of a swept slice: each expert is active over the budgets [rank + 1, maxEnd)
// (top-k: every budget, where the baseline activates it), and the per-device loads of every budget.
void addBudgetMaps(XShareTotals& a, const SliceScratch& scratch, const SliceSweep& sw, const std::vector<int>& devices,
    int G, std::size_t layer, const XShareOptions& options)
{
    const std::size_t Nz = devices.size();
    const std::size_t span = Nz + 2;
    const auto Gz = static_cast<std::size_t>(G);
    std::vector<int> baseActive(Gz, 0);
    std::vector<int> baseTokens(Gz, 0);
    for (std::size_t e = 0; e < Nz; ++e) {
        if (scratch.baseCount[e] <= 0)
            continue;
        const auto d = static_cast<std::size_t>(devices[e]);
        ++a.mapBase[layer * Nz + e];
        ++baseActive[d];
        baseTokens[d] += scratch.baseCount[e];
    }
    for (std::size_t d = 0; d < Gz; ++d) {
        a.devBase[d] += baseActive[d];
        a.devTokensBase[d] += baseTokens[d];
    }
    std::int32_t* diff = a.mapDiff.data() + layer * Nz * span;
    if (options.policy.policy == Policy::TopK) {
        for (std::size_t e = 0; e < Nz; ++e)
            if (scratch.baseCount[e] > 0) {
                ++diff[e * span];
                --diff[e * span + Nz + 1];
            }
        for (std::size_t bi = 0; bi < options.budgets.size(); ++bi)
            for (std::size_t d = 0; d < Gz; ++d) {
                a.devAt[bi * Gz + d] += baseActive[d];
                a.devTokensAt[bi * Gz + d] += baseTokens[d];
            }
        return;
    }
    for (std::size_t e = 0; e < Nz; ++e) {
        const int end = scratch.maxEnd[e];
        if (end == 0)
            continue;
        ++diff[e * span + static_cast<std::size_t>(scratch.rank[e] + 1)];
        --diff[e * span + static_cast<std::size_t>(std::min(end, static_cast<int>(Nz) + 1))];
    }
    for (std::size_t bi = 0; bi < options.budgets.size(); ++bi) {
        const auto m = static_cast<std::size_t>(options.budgets[bi]);
        for (std::size_t d = 0; d < Gz; ++d) {
            a.devAt[bi * Gz + d] += sw.deviceActive[m * Gz + d];
            a.devTokensAt[bi * Gz + d] += sw.deviceTokens[m * Gz + d];
        }
    }
}

// The activation maps of every budget from a sweep's totals, as assembleXShare makes the maps of
// one budget: fractions of each layer's counted slices, per-device means over all counted slices.
std::vector<ActivationMaps> budgetMapsOf(
    const XShareOptions& options, const XShareTotals& total, std::int64_t counted, int N, int G)
{
    const auto L = total.layers;
    const auto Nz = static_cast<std::size_t>(N);
    const auto Gz = static_cast<std::size_t>(G);
    const std::size_t span = Nz + 2;
    const double n = counted ? static_cast<double>(counted) : 1.0;
    ActivationMaps shared;
    shared.layers = static_cast<int>(L);
    shared.experts = N;
    shared.devices = G;
    shared.base.assign(L * Nz, 0.0);
    for (std::size_t l = 0; l < L; ++l) {
        const auto per = static_cast<double>(std::max<std::int64_t>(1, total.layerSlices[l]));
        for (std::size_t e = 0; e < Nz; ++e)
            shared.base[l * Nz + e] = static_cast<double>(total.mapBase[l * Nz + e]) / per;
    }
    shared.deviceBase = total.devBase;
    shared.deviceTokensBase = total.devTokensBase;
    for (auto* v : { &shared.deviceBase, &shared.deviceTokensBase })
        for (auto& x : *v)
            x /= n;
    // Slices where each expert is active at each budget: the differences summed once.
    std::vector<std::int64_t> activeAt(total.mapDiff.begin(), total.mapDiff.end());
    for (std::size_t i = 0; i < L * Nz; ++i)
        for (std::size_t j = 1; j < span; ++j)
            activeAt[i * span + j] += activeAt[i * span + j - 1];
    std::vector<ActivationMaps> out;
    out.reserve(options.budgets.size());
    for (std::size_t bi = 0; bi < options.budgets.size(); ++bi) {
        const auto M = static_cast<std::size_t>(options.budgets[bi]);
        ActivationMaps m = shared;
        m.policy.assign(L * Nz, 0.0);
        for (std::size_t l = 0; l < L; ++l) {
            const auto per = static_cast<double>(std::max<std::int64_t>(1, total.layerSlices[l]));
            for (std::size_t e = 0; e < Nz; ++e) {
                const auto active = activeAt[(l * Nz + e) * span + M];
                m.policy[l * Nz + e] = static_cast<double>(active) / per;
            }
        }
        m.device.assign(total.devAt.begin() + static_cast<std::ptrdiff_t>(bi * Gz),
            total.devAt.begin() + static_cast<std::ptrdiff_t>((bi + 1) * Gz));
        m.deviceTokens.assign(total.devTokensAt.begin() + static_cast<std::ptrdiff_t>(bi * Gz),
            total.devTokensAt.begin() + static_cast<std::ptrdiff_t>((bi + 1) * Gz));
        for (auto* v : { &m.device, &m.deviceTokens })
            for (auto& x : *v)
                x /= n;
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace deltascope::moe::detail
