// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <string>
#include <vector>

namespace deltascope::cli {

/// Core messages name the setting ("batch size must be at least 1"); the command line says which
/// flag that is ("batch size (--batch-size) must be at least 1").
std::string cliWording(std::string message);

/// The diagnostic as the command line prints it ("file:line: error: ..."), worded for its flags.
std::string cliText(Diagnostic diagnostic);

/// cliWording applied to each message in place.
void toCliWording(std::vector<Diagnostic>& diagnostics);

} // namespace deltascope::cli
