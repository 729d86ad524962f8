#pragma once

#include "report/ComparisonReport.h"

#include <string>

namespace deltascope::report {

/// Machine-readable result (stable keys; numbers with full double precision).
std::string toJson(const ComparisonReport& report);
/// One row per task, for spreadsheets.
std::string toCsv(const ComparisonReport& report);
/// A summary to paste into a pull request.
std::string toMarkdown(const ComparisonReport& report);
/// An aligned plain-text table for the terminal.
std::string toTable(const ComparisonReport& report);

} // namespace deltascope::report
