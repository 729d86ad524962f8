// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::analysis {

/// What one cost column measures and which way is cheaper.
struct CostColumn {
    std::string name; ///< "bits_per_weight", "memory_gb", "throughput", "latency_ms", "activated_experts"
    std::string unit; ///< "bits", "GB", "tokens/s", "ms", "experts per slice"
    bool higherIsBetter = false; ///< throughput: more is cheaper; every other column: less is cheaper
};

/// The columns a cost table may hold, in this order. Any other column name is accepted too, as a
/// lower-is-better cost without a unit.
const std::vector<CostColumn>& knownCostColumns();

/// The column's description: a known one, or a lower-is-better column of that name.
CostColumn costColumn(std::string_view name);

/// Costs per candidate. A value that was not given is NaN.
struct CostTable {
    std::vector<CostColumn> columns;
    struct Row {
        std::string candidate; ///< a candidate's name (or the path the user gave for it)
        std::vector<double> values; ///< one per column
    };
    std::vector<Row> rows;

    bool empty() const { return rows.empty(); }
    /// Index of the column, or -1.
    int columnIndex(std::string_view name) const;
    /// The value of a candidate in a column (NaN when not given). `names` are the candidate's
    /// names to try, in order (its display name, then the path it came from).
    double value(std::span<const std::string> names, std::string_view column) const;
    /// Sets one value, adding the row or the column as needed.
    void set(const std::string& candidate, std::string_view column, double v);
};

/// Reads a CSV cost table: a header row whose first column names the candidates (any header name),
/// then numeric columns (the known ones or any other; an empty cell is "not given"). Errors name
/// the file and line.
Result<CostTable> loadCostTable(const std::string& path);

/// Reads "NAME=VALUE" into `into` under `column`; false with a message on a malformed value.
bool parseCost(std::string_view text, std::string_view column, CostTable& into, std::string& error);

/// A candidate on the cost/drop plane. Lower drop is better; `cost` is oriented by the column's
/// direction before the front is computed (see paretoFront).
struct ParetoPoint {
    double cost = 0.0; ///< NaN: not on the plane
    double drop = 0.0; ///< the accuracy or metric drop against the baseline (positive: worse)
};

/// Marks the points no other point dominates: a point is dominated when another one is no costlier
/// and drops no more, and is strictly better in one of the two. With `higherIsBetter` a larger cost
/// value is cheaper (throughput). Points with a NaN coordinate are never on the front. Equal
/// points are all on the front.
std::vector<bool> paretoFront(std::span<const ParetoPoint> points, bool higherIsBetter);

} // namespace deltascope::analysis
