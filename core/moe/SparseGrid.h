// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The bound every sparse trace importer puts on the grid it lays its records out in: internal to
// the moe library.

#include "common/Diagnostic.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace deltascope::moe {

/// Where one record lands in the grid: its token row (two keys, e.g. request and token index),
/// its layer, and the line it was read from.
struct GridPlace {
    std::int64_t row0 = 0;
    std::int64_t row1 = 0;
    std::int64_t layer = 0;
    std::int64_t line = 0;
};

/// The most cells (tokens x layers x k) that `records` records of k experts each may spread over:
/// eight times what they fill, plus a small slack for short captures that miss some layers. The
/// grid then stays within a fixed multiple of the file's size, whatever its indices claim.
std::int64_t sparseGridLimit(std::int64_t records, std::int64_t k);

/// Refuses a tokens x layers x k grid larger than sparseGridLimit: the error names the file and,
/// when place is given (record i in file order), the line of the record that grew the grid past
/// the limit.
std::optional<Diagnostic> checkSparseGrid(const std::string& path, std::int64_t tokens, std::int64_t layers,
    std::int64_t k, std::size_t records, const std::function<GridPlace(std::size_t)>& place);

} // namespace deltascope::moe
