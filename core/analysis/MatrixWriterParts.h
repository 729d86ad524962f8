// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the matrix and frontier writers share (MatrixWriters.cpp, FrontierWriters.cpp); not a
// public interface.
#include <string>
#include <vector>

namespace deltascope::analysis::detail {

/// A verdict key as the tables show it: "degraded", "no worse than the margin", "inconclusive",
/// "no evidence".
const char* verdictWords(const std::string& verdict);

/// Rows as aligned text columns (the first column left-aligned, the others right-aligned unless
/// rightAlign is false), trailing blanks trimmed.
std::string aligned(const std::vector<std::vector<std::string>>& rows, bool rightAlign = true);

/// A Markdown table: the first row is the header; numbers' columns right-aligned.
std::string mdTable(const std::vector<std::vector<std::string>>& rows);

} // namespace deltascope::analysis::detail
