// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace deltascope::cli {

/// Exit codes of deltascope-cli.
enum ExitCode { NoDegradation = 0, Degradation = 1, Error = 2, Inconclusive = 3 };

int runCompare(const std::vector<std::string>& args);
int runMatrix(const std::vector<std::string>& args);
int runFrontier(const std::vector<std::string>& args);
int runPower(const std::vector<std::string>& args);
int runShrink(const std::vector<std::string>& args);
int runTraceInfo(const std::vector<std::string>& args);
int runConvert(const std::vector<std::string>& args);
int runXShare(const std::vector<std::string>& args);
int runPayoff(const std::vector<std::string>& args);
int runSynthTrace(const std::vector<std::string>& args);
int runFormats(const std::vector<std::string>& args);

/// Writes text to --output atomically, or to stdout; returns false (after printing why) on error.
bool emit(const std::string& text, const std::string& outputPath);

} // namespace deltascope::cli
