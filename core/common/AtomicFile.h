// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace deltascope {

/// Writes contents to path atomically: a temporary file in the same folder is written, flushed
/// and renamed over the target, so readers never see a half-written report.
/// Returns an empty string on success, else the reason.
std::string writeFileAtomically(const std::string& path, std::string_view contents);

} // namespace deltascope
