// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace deltascope {

/// Parses a small JSON document (configs, counts, placements, keep-lists); a syntax error becomes
/// a diagnostic with the file and the line of the offending byte.
Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& path);

} // namespace deltascope
