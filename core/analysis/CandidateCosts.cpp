// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/CandidateCosts.h"

#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace deltascope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
        s = s.substr(1, s.size() - 2);
    return s;
}

// Cells of one CSV line; quoted cells may hold commas (no embedded quotes or line breaks: cost
// tables are small hand-written files).
std::vector<std::string_view> cells(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] == '"')
            quoted = !quoted;
        if (i == line.size() || (line[i] == ',' && !quoted)) {
            out.push_back(trimmed(line.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

} // namespace

const std::vector<CostColumn>& knownCostColumns()
{
    static const std::vector<CostColumn> columns {
        { "bits_per_weight", "bits", false },
        { "memory_gb", "GB", false },
        { "throughput", "tokens/s", true },
        { "latency_ms", "ms", false },
        { "activated_experts", "experts per slice", false },
    };
    return columns;
}

CostColumn costColumn(std::string_view name)
{
    for (const auto& c : knownCostColumns())
        if (c.name == name)
            return c;
    return { std::string(name), {}, false };
}

int CostTable::columnIndex(std::string_view name) const
{
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name)
            return static_cast<int>(i);
    return -1;
}

double CostTable::value(std::span<const std::string> names, std::string_view column) const
{
    const int c = columnIndex(column);
    if (c < 0)
        return kNaN;
    for (const auto& name : names)
        for (const auto& row : rows)
            if (row.candidate == name && !std::isnan(row.values[static_cast<std::size_t>(c)]))
                return row.values[static_cast<std::size_t>(c)];
    return kNaN;
}

void CostTable::set(const std::string& candidate, std::string_view column, double v)
{
    int c = columnIndex(column);
    if (c < 0) {
        columns.push_back(costColumn(column));
        for (auto& row : rows)
            row.values.push_back(kNaN);
        c = static_cast<int>(columns.size()) - 1;
    }
    auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.candidate == candidate; });
    if (it == rows.end()) {
        rows.push_back({ candidate, std::vector<double>(columns.size(), kNaN) });
        it = rows.end() - 1;
    }
    it->values[static_cast<std::size_t>(c)] = v;
}

Result<CostTable> loadCostTable(const std::string& path)
{
    using R = Result<CostTable>;
    MappedFile file;
    if (auto bad
        = file.openInput(path, "a cost table: a header row (candidate, then cost columns) and one row per candidate"))
        return R::failure(*bad);
    const std::string_view text = file.text();
    std::size_t pos = 0;
    std::string_view line;
    std::int64_t lineNo = 0;
    CostTable table;
    std::vector<int> target; // header cell -> table column
    bool header = true;
    while (nextLine(text, pos, line)) {
        ++lineNo;
        if (trimmed(line).empty() || trimmed(line).front() == '#')
            continue;
        const auto row = cells(line);
        if (header) {
            header = false;
            if (row.size() < 2)
                return R::failure(Diagnostic::error(path, lineNo,
                    "a cost table's header needs a candidate column and at least one cost column (e.g. "
                    "candidate,bits_per_weight)"));
            for (std::size_t i = 1; i < row.size(); ++i) {
                if (row[i].empty())
                    return R::failure(Diagnostic::error(
                        path, lineNo, "column " + std::to_string(i + 1) + " of the header has no name"));
                if (table.columnIndex(row[i]) >= 0)
                    return R::failure(
                        Diagnostic::error(path, lineNo, "the column \"" + std::string(row[i]) + "\" appears twice"));
                table.columns.push_back(costColumn(row[i]));
            }
            continue;
        }
        if (row.size() > table.columns.size() + 1)
            return R::failure(Diagnostic::error(path, lineNo,
                "this row has " + std::to_string(row.size()) + " cells, the header "
                    + std::to_string(table.columns.size() + 1)));
        if (row[0].empty())
            return R::failure(Diagnostic::error(path, lineNo, "the row names no candidate (first column)"));
        CostTable::Row out { std::string(row[0]), std::vector<double>(table.columns.size(), kNaN) };
        for (std::size_t i = 1; i < row.size(); ++i) {
            if (row[i].empty())
                continue;
            const auto v = parseDouble(row[i]);
            if (!v || !std::isfinite(*v))
                return R::failure(Diagnostic::error(path, lineNo,
                    "the " + table.columns[i - 1].name + " of " + out.candidate + " is not a finite number: \""
                        + std::string(row[i]) + "\""));
            out.values[i - 1] = *v;
        }
        for (const auto& existing : table.rows)
            if (existing.candidate == out.candidate)
                return R::failure(
                    Diagnostic::error(path, lineNo, "the candidate \"" + out.candidate + "\" has a row already"));
        table.rows.push_back(std::move(out));
    }
    if (header)
        return R::failure(Diagnostic::error(path, 0, "the cost table has no header row"));
    R r;
    r.value = std::move(table);
    return r;
}

bool parseCost(std::string_view text, std::string_view column, CostTable& into, std::string& error)
{
    const auto eq = text.rfind('=');
    if (eq == std::string_view::npos || eq == 0) {
        error = "the cost \"" + std::string(text) + "\" is not NAME=VALUE";
        return false;
    }
    const auto v = parseDouble(trimmed(text.substr(eq + 1)));
    if (!v || !std::isfinite(*v)) {
        error = "the cost \"" + std::string(text) + "\" has no finite number after '='";
        return false;
    }
    into.set(std::string(trimmed(text.substr(0, eq))), column, *v);
    return true;
}

std::vector<bool> paretoFront(std::span<const ParetoPoint> points, bool higherIsBetter)
{
    const double sign = higherIsBetter ? -1.0 : 1.0;
    std::vector<bool> front(points.size(), false);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const double ci = sign * points[i].cost;
        const double di = points[i].drop;
        if (std::isnan(ci) || std::isnan(di))
            continue;
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j) {
            const double cj = sign * points[j].cost;
            const double dj = points[j].drop;
            if (j == i || std::isnan(cj) || std::isnan(dj))
                continue;
            dominated = cj <= ci && dj <= di && (cj < ci || dj < di);
        }
        front[i] = !dominated;
    }
    return front;
}

} // namespace deltascope::analysis
