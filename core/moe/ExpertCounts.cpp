// SPDX-License-Identifier: GPL-3.0-or-later
// Expert load counts (SGLang CSV, JSON logical_count): for heatmaps and placements, not selection.
#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/OutOfMemory.h"
#include "common/TextUtil.h"
#include "moe/TraceImport.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace deltascope::moe {

std::vector<double> ExpertCounts::perExpert() const
{
    std::vector<double> load(static_cast<std::size_t>(experts), 0.0);
    for (std::int64_t l = 0; l < layers; ++l)
        for (std::int64_t e = 0; e < experts; ++e)
            load[static_cast<std::size_t>(e)] += at(l, e);
    return load;
}

// The loader itself; the public function turns running out of memory into an error.
static Result<ExpertCounts> unguardedLoadExpertCounts(const std::string& path)
{
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return Result<ExpertCounts>::failure(Diagnostic::error(path, 0, why));
    return parseExpertCounts(file.text(), path);
}

Result<ExpertCounts> loadExpertCounts(const std::string& path)
{
    return failOnOutOfMemory<ExpertCounts>(path, [&] { return unguardedLoadExpertCounts(path); });
}

// The loader itself; the public function turns running out of memory into an error.
static Result<ExpertCounts> unguardedParseExpertCounts(std::string_view text, const std::string& path)
{
    using R = Result<ExpertCounts>;
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return R::failure(Diagnostic::error(path, 0, "the counts file is empty"));
    ExpertCounts c;
    if (text[first] == '{' || text[first] == '[') {
        auto parsed = parseJsonText(text, path);
        if (!parsed.ok())
            return R::failure(*parsed.error);
        const nlohmann::json& j = *parsed.value;
        const nlohmann::json* arr = &j;
        if (j.is_object()) {
            if (!j.contains("logical_count"))
                return R::failure(Diagnostic::error(path, 0, "expected a \"logical_count\" array"));
            arr = &j["logical_count"];
        }
        auto is2d = [](const nlohmann::json& a) {
            return a.is_array() && !a.empty() && a[0].is_array() && !a[0].empty() && a[0][0].is_number();
        };
        std::vector<const nlohmann::json*> mats;
        if (is2d(*arr)) {
            mats.push_back(arr);
        } else if (arr->is_array() && !arr->empty() && is2d((*arr)[0])) {
            for (const auto& m : *arr)
                mats.push_back(&m);
        } else {
            return R::failure(Diagnostic::error(
                path, 0, "logical_count must be [layers][experts] or [steps][layers][experts] numbers"));
        }
        c.layers = static_cast<std::int64_t>(mats[0]->size());
        c.experts = static_cast<std::int64_t>((*mats[0])[0].size());
        if (auto why = expertCountProblem(c.experts); !why.empty())
            return R::failure(Diagnostic::error(path, 0, why));
        c.counts.assign(static_cast<std::size_t>(c.layers * c.experts), 0.0);
        for (std::size_t step = 0; step < mats.size(); ++step) {
            const nlohmann::json* m = mats[step];
            if (!m->is_array())
                return R::failure(Diagnostic::error(
                    path, 0, "logical_count step " + std::to_string(step) + " is not a list of layers"));
            if (static_cast<std::int64_t>(m->size()) != c.layers)
                return R::failure(Diagnostic::error(path, 0, "logical_count steps differ in their number of layers"));
            for (std::int64_t l = 0; l < c.layers; ++l) {
                const auto& rowv = (*m)[static_cast<std::size_t>(l)];
                if (!rowv.is_array() || static_cast<std::int64_t>(rowv.size()) != c.experts)
                    return R::failure(Diagnostic::error(path, 0,
                        "logical_count layer " + std::to_string(l) + " does not have " + std::to_string(c.experts)
                            + " experts"));
                for (std::int64_t e = 0; e < c.experts; ++e) {
                    const auto& v = rowv[static_cast<std::size_t>(e)];
                    if (!v.is_number() || v.get<double>() < 0)
                        return R::failure(
                            Diagnostic::error(path, 0, "logical_count holds a negative or non-numeric count"));
                    c.counts[static_cast<std::size_t>(l * c.experts + e)] += v.get<double>();
                }
            }
        }
        for (std::int64_t l = 0; l < c.layers; ++l)
            c.layerIds.push_back(static_cast<int>(l));
    } else {
        std::map<std::int64_t, std::map<std::int64_t, double>> rows;
        std::size_t pos = 0;
        std::int64_t line = 0;
        std::int64_t maxExpert = -1;
        std::string_view l;
        while (nextLine(text, pos, l)) {
            ++line;
            if (l.empty())
                continue;
            if (line == 1) {
                if (l.substr(0, 8) != "layer_id")
                    return R::failure(Diagnostic::error(path, 1, "expected the header layer_id,expert_id,count"));
                continue;
            }
            const auto c1 = l.find(',');
            const auto c2 = c1 == std::string_view::npos ? c1 : l.find(',', c1 + 1);
            if (c2 == std::string_view::npos)
                return R::failure(Diagnostic::error(path, line, "expected three fields: layer_id,expert_id,count"));
            const auto layer = parseDouble(l.substr(0, c1));
            const auto expert = parseDouble(l.substr(c1 + 1, c2 - c1 - 1));
            const auto count = parseDouble(l.substr(c2 + 1));
            auto id = [](double v) { return v >= 0 && v <= 65535 && v == std::floor(v); };
            if (!layer || !expert || !count || !id(*layer) || !id(*expert) || !(*count >= 0) || !std::isfinite(*count))
                return R::failure(Diagnostic::error(path, line,
                    "layer_id and expert_id must be whole numbers in [0, 65535] and count a non-negative number"));
            rows[static_cast<std::int64_t>(*layer)][static_cast<std::int64_t>(*expert)] += *count;
            maxExpert = std::max(maxExpert, static_cast<std::int64_t>(*expert));
        }
        if (rows.empty())
            return R::failure(Diagnostic::error(path, 0, "no counts in the file"));
        if (auto why = expertCountProblem(maxExpert + 1); !why.empty())
            return R::failure(Diagnostic::error(path, 0, why));
        c.layers = static_cast<std::int64_t>(rows.size());
        c.experts = maxExpert + 1;
        c.counts.assign(static_cast<std::size_t>(c.layers * c.experts), 0.0);
        std::int64_t li = 0;
        for (const auto& [layer, experts] : rows) {
            c.layerIds.push_back(static_cast<int>(layer));
            for (const auto& [e, v] : experts)
                c.counts[static_cast<std::size_t>(li * c.experts + e)] = v;
            ++li;
        }
    }
    Result<ExpertCounts> out;
    out.value = std::move(c);
    return out;
}

Result<ExpertCounts> parseExpertCounts(std::string_view text, const std::string& path)
{
    return failOnOutOfMemory<ExpertCounts>(path, [&] { return unguardedParseExpertCounts(text, path); });
}

} // namespace deltascope::moe
