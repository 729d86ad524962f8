// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::analysis {

/// Reads a list of ids such as "0-9, 20, 31-40" (ranges inclusive, commas between items, spaces
/// ignored) into `out`, in the order written. An empty text is an empty list. Returns false with
/// `why` naming the item at fault for anything else (a negative id, a range that runs backwards,
/// a range of more than ten million ids).
bool parseIdList(std::string_view text, std::vector<std::int32_t>& out, std::string& why);

/// The list written back compactly ("0-9, 20"): what parseIdList reads.
std::string formatIdList(const std::vector<std::int32_t>& ids);

} // namespace deltascope::analysis
