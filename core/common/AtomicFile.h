// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deltascope {

/// Writes contents to path atomically: a temporary file in the same folder is written, flushed
/// and renamed over the target, so readers never see a half-written report.
/// Returns an empty string on success, else the reason.
std::string writeFileAtomically(const std::string& path, std::string_view contents);

/// Why writing `output` would destroy an input, or an empty string: it is one of the inputs (the
/// same file under any name), or it already exists inside an input folder (a run's results file,
/// say). New files inside an input folder are fine. `what` names the output in the message
/// ("--output").
std::string overwritesInput(const std::string& output, const std::vector<std::string>& inputs, const std::string& what);

} // namespace deltascope
