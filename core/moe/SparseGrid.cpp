// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/SparseGrid.h"

#include <limits>
#include <set>
#include <utility>

namespace deltascope::moe {

namespace {

constexpr std::int64_t kSlackCells = 65536;
constexpr std::int64_t kFillFactor = 8;

// a * b * c, or the largest int64 when it overflows.
std::int64_t cells(std::int64_t a, std::int64_t b, std::int64_t c)
{
    std::int64_t ab = 0;
    std::int64_t abc = 0;
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc))
        return std::numeric_limits<std::int64_t>::max();
    return abc;
}

} // namespace

std::int64_t sparseGridLimit(std::int64_t records, std::int64_t k)
{
    const auto filled = cells(records, k, kFillFactor);
    return filled > std::numeric_limits<std::int64_t>::max() - kSlackCells ? std::numeric_limits<std::int64_t>::max()
                                                                           : filled + kSlackCells;
}

std::optional<Diagnostic> checkSparseGrid(const std::string& path, std::int64_t tokens, std::int64_t layers,
    std::int64_t k, std::size_t records, const std::function<GridPlace(std::size_t)>& place)
{
    const auto n = static_cast<std::int64_t>(records);
    const auto limit = sparseGridLimit(n, k);
    const auto size = cells(tokens, layers, k);
    if (size <= limit)
        return std::nullopt;
    std::string what = "the " + std::to_string(n) + " records would be laid out in " + std::to_string(tokens)
        + " tokens x " + std::to_string(layers) + " layers x " + std::to_string(k)
        + " experts, a grid they fill only a small part of (at most " + std::to_string(limit)
        + " cells are allowed for this many records)";
    std::int64_t line = 0;
    if (place) {
        // The record at which the grid first passed the limit: its token or layer set the size.
        std::set<std::pair<std::int64_t, std::int64_t>> rows;
        std::set<std::int64_t> seenLayers;
        for (std::size_t i = 0; i < records; ++i) {
            const GridPlace p = place(i);
            rows.emplace(p.row0, p.row1);
            seenLayers.insert(p.layer);
            if (cells(static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(seenLayers.size()), k)
                > limit) {
                line = p.line;
                what += "; this record's token " + std::to_string(p.row1) + " at layer " + std::to_string(p.layer)
                    + " grows the grid past that";
                break;
            }
        }
    }
    return Diagnostic::error(
        path, line, what + "; each token should have a record at every layer (are the token or layer indices right?)");
}

} // namespace deltascope::moe
