// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Args.h"
#include "ScenarioArgs.h"
#include "analysis/Comparison.h"
#include "analysis/ExpertSharing.h"
#include "analysis/Matrix.h"

#include <string>
#include <vector>

namespace deltascope::cli {

/// Reads --alpha, --permutations, --max-permutations, --seed, --margin and --threads into the
/// statistics of a comparison (compare, matrix, frontier); false with a message on a malformed value.
bool readStats(const Args& args, analysis::StatsRequest& stats, std::string& error);

/// The options matrix and frontier take that carry a value (besides the load options).
extern const std::vector<std::string> kMatrixValued;
extern const std::vector<std::string> kMatrixFlags;

/// Translates the flags of matrix (and frontier) into a matrix request: BASE is positionals()[0],
/// the candidates the rest. `costAxis` gets --cost-axis (or the cost table's first column). False
/// with a message on a malformed value or an unreadable cost table.
/// --format of matrix and frontier: text (or table), json, csv, markdown (or md) or html, in its
/// canonical name; false with a message on another.
bool readReportFormat(const Args& args, std::string& format, std::string& error);

bool readMatrixRequest(const Args& args, analysis::MatrixRequest& request, std::string& costAxis, std::string& error);

} // namespace deltascope::cli
