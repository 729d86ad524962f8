// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/Placement.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

namespace deltascope::moe {

int ExpertPlacement::copies() const
{
    int n = static_cast<int>(device.size());
    for (const auto& r : replicas)
        n += static_cast<int>(r.size());
    return n;
}

namespace {

// Records one more device for expert e: its placed device first, then copies.
bool addCopy(ExpertPlacement& p, std::size_t e, int d)
{
    if (p.device[e] < 0) {
        p.device[e] = d;
        return true;
    }
    if (p.replicas.empty())
        p.replicas.resize(p.device.size());
    if (p.device[e] == d || std::find(p.replicas[e].begin(), p.replicas[e].end(), d) != p.replicas[e].end())
        return false;
    p.replicas[e].push_back(d);
    return true;
}

} // namespace

Result<ExpertPlacement> loadPlacement(const std::string& path, int experts, int devices)
{
    using R = Result<ExpertPlacement>;
    MappedFile f;
    std::string why;
    if (!f.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const std::string_view text = f.text();
    ExpertPlacement placement;
    placement.device.assign(static_cast<std::size_t>(experts), -1);
    auto checkDevice = [&](std::int64_t line, std::size_t e, double d) -> std::optional<Diagnostic> {
        if (d != std::floor(d) || d < 0 || d >= devices)
            return Diagnostic::error(path, line,
                "expert " + std::to_string(e) + " is on device " + formatDouble(d) + ", but there are "
                    + std::to_string(devices) + " devices");
        if (!addCopy(placement, e, static_cast<int>(d)))
            return Diagnostic::error(
                path, line, "expert " + std::to_string(e) + " has two copies on device " + formatDouble(d));
        return std::nullopt;
    };
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return R::failure(Diagnostic::error(path, 0, "the placement file is empty"));
    if (text[first] == '{' || text[first] == '[') {
        auto parsed = parseJsonText(text, path);
        if (!parsed.ok())
            return R::failure(*parsed.error);
        const nlohmann::json& j = *parsed.value;
        const nlohmann::json& arr = j.is_object() ? j.value("placement", nlohmann::json()) : j;
        if (!arr.is_array() || static_cast<int>(arr.size()) != experts)
            return R::failure(Diagnostic::error(
                path, 0, "expected \"placement\": a list of " + std::to_string(experts) + " device numbers"));
        for (int e = 0; e < experts; ++e) {
            const auto& v = arr[static_cast<std::size_t>(e)];
            const auto ez = static_cast<std::size_t>(e);
            const bool list = v.is_array() && !v.empty();
            for (std::size_t c = 0; c < (list ? v.size() : 1); ++c) {
                const auto& d = list ? v[c] : v;
                if (!d.is_number_integer())
                    return R::failure(Diagnostic::error(path, 0,
                        "placement of expert " + std::to_string(e) + " is not a device number or a list of them"));
                if (auto bad = checkDevice(0, ez, d.get<double>()))
                    return R::failure(*bad);
            }
        }
    } else {
        std::size_t pos = 0;
        std::int64_t line = 0;
        std::string_view l;
        while (nextLine(text, pos, l)) {
            ++line;
            if (l.empty() || (line == 1 && !std::isdigit(static_cast<unsigned char>(l.front()))))
                continue;
            const auto comma = l.find(',');
            const auto e = comma == std::string_view::npos ? std::nullopt : parseDouble(l.substr(0, comma));
            const auto d = comma == std::string_view::npos ? std::nullopt : parseDouble(l.substr(comma + 1));
            if (!e || !d || *e < 0 || *e >= experts || *e != std::floor(*e))
                return R::failure(Diagnostic::error(
                    path, line, "expected expert_id,device with expert_id in [0, " + std::to_string(experts) + ")"));
            if (auto bad = checkDevice(line, static_cast<std::size_t>(*e), *d))
                return R::failure(*bad);
        }
    }
    for (int e = 0; e < experts; ++e)
        if (placement.device[static_cast<std::size_t>(e)] < 0)
            return R::failure(Diagnostic::error(path, 0, "expert " + std::to_string(e) + " is not placed"));
    Result<ExpertPlacement> out;
    out.value = std::move(placement);
    return out;
}

ExpertPlacement balancedPlacement(const std::vector<double>& load, int devices, int redundant)
{
    const int n = static_cast<int>(load.size());
    const int g = std::max(1, devices);
    // Extra copies to the experts with the most load per copy (at most one copy per device).
    std::vector<int> copies(static_cast<std::size_t>(n), 1);
    for (int r = 0; r < redundant; ++r) {
        int best = -1;
        for (int e = 0; e < n; ++e) {
            const auto ez = static_cast<std::size_t>(e);
            if (copies[ez] >= g)
                continue;
            if (best < 0
                || load[ez] / copies[ez]
                    > load[static_cast<std::size_t>(best)] / copies[static_cast<std::size_t>(best)])
                best = e;
        }
        if (best < 0)
            break;
        ++copies[static_cast<std::size_t>(best)];
    }
    struct Item {
        double share;
        int expert;
    };
    std::vector<Item> items;
    for (int e = 0; e < n; ++e)
        for (int c = 0; c < copies[static_cast<std::size_t>(e)]; ++c)
            items.push_back({ load[static_cast<std::size_t>(e)] / copies[static_cast<std::size_t>(e)], e });
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.share > b.share; });
    const int room = (static_cast<int>(items.size()) + g - 1) / g;
    std::vector<double> deviceLoad(static_cast<std::size_t>(g), 0.0);
    std::vector<int> count(static_cast<std::size_t>(g), 0);
    ExpertPlacement out;
    out.device.assign(static_cast<std::size_t>(n), -1);
    for (const Item& it : items) {
        const auto ez = static_cast<std::size_t>(it.expert);
        auto holds = [&](int d) {
            return out.device[ez] == d
                || (!out.replicas.empty()
                    && std::find(out.replicas[ez].begin(), out.replicas[ez].end(), d) != out.replicas[ez].end());
        };
        int best = -1;
        for (int d = 0; d < g; ++d)
            if (count[static_cast<std::size_t>(d)] < room && !holds(d)
                && (best < 0 || deviceLoad[static_cast<std::size_t>(d)] < deviceLoad[static_cast<std::size_t>(best)]))
                best = d;
        if (best < 0)
            continue; // no device left without a copy: the expert keeps fewer copies
        addCopy(out, ez, best);
        deviceLoad[static_cast<std::size_t>(best)] += it.share;
        ++count[static_cast<std::size_t>(best)];
    }
    return out;
}

} // namespace deltascope::moe
