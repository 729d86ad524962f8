#include "moe/Placement.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

namespace deltascope::moe {

Result<std::vector<int>> loadPlacement(const std::string& path, int experts, int devices)
{
    using R = Result<std::vector<int>>;
    MappedFile f;
    std::string why;
    if (!f.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const std::string_view text = f.view();
    std::vector<int> placement(static_cast<std::size_t>(experts), -1);
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
            if (!v.is_number_integer())
                return R::failure(
                    Diagnostic::error(path, 0, "placement of expert " + std::to_string(e) + " is not an integer"));
            placement[static_cast<std::size_t>(e)] = v.get<int>();
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
            if (!e || !d || *e < 0 || *e >= experts)
                return R::failure(Diagnostic::error(
                    path, line, "expected expert_id,device with expert_id in [0, " + std::to_string(experts) + ")"));
            placement[static_cast<std::size_t>(*e)] = static_cast<int>(*d);
        }
    }
    for (int e = 0; e < experts; ++e) {
        const int d = placement[static_cast<std::size_t>(e)];
        if (d < 0 || d >= devices)
            return R::failure(Diagnostic::error(path, 0,
                d < 0 ? "expert " + std::to_string(e) + " is not placed"
                      : "expert " + std::to_string(e) + " is on device " + std::to_string(d) + ", but there are "
                        + std::to_string(devices) + " devices"));
    }
    Result<std::vector<int>> out;
    out.value = std::move(placement);
    return out;
}

std::vector<int> balancedPlacement(const std::vector<double>& load, int devices)
{
    const int n = static_cast<int>(load.size());
    const int g = std::max(1, devices);
    const int room = (n + g - 1) / g;
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
        [&](int a, int b) { return load[static_cast<std::size_t>(a)] > load[static_cast<std::size_t>(b)]; });
    std::vector<double> deviceLoad(static_cast<std::size_t>(g), 0.0);
    std::vector<int> count(static_cast<std::size_t>(g), 0);
    std::vector<int> placement(static_cast<std::size_t>(n), 0);
    for (const int e : order) {
        int best = -1;
        for (int d = 0; d < g; ++d)
            if (count[static_cast<std::size_t>(d)] < room
                && (best < 0 || deviceLoad[static_cast<std::size_t>(d)] < deviceLoad[static_cast<std::size_t>(best)]))
                best = d;
        placement[static_cast<std::size_t>(e)] = best;
        deviceLoad[static_cast<std::size_t>(best)] += load[static_cast<std::size_t>(e)];
        ++count[static_cast<std::size_t>(best)];
    }
    return placement;
}

} // namespace deltascope::moe
