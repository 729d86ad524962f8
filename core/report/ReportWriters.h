// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "report/ComparisonReport.h"

#include <string>
#include <utility>
#include <vector>

namespace deltascope::report {

/// How a comparison is decided, in two sentences for people (reports, help).
const char* decisionExplained();
/// What the task flags (worse, suggestive, ok) mean, in one sentence.
const char* flagsExplained();

/// Machine-readable result (stable keys; numbers with full double precision).
std::string toJson(const ComparisonReport& report);
/// One row per task, for spreadsheets.
std::string toCsv(const ComparisonReport& report);
/// A summary to paste into a pull request.
std::string toMarkdown(const ComparisonReport& report);
/// An aligned plain-text table for the terminal.
std::string toTable(const ComparisonReport& report);

/// A figure for the HTML report, already rendered (the views draw them).
struct HtmlFigure {
    std::string title;
    std::string pngBase64; ///< the picture, base64-encoded PNG (embedded as a data URI)
    std::string caption;
    std::string source; ///< when set, the image's address instead of the embedded data
};

/// One self-contained HTML page: verdict, inputs and settings, the aggregate tests, the task table,
/// the figures (embedded), warnings and the most telling disagreements (a header row, then rows,
/// under a note that says which of them are shown).
std::string toHtml(const ComparisonReport& report, const std::vector<HtmlFigure>& figures,
    const std::vector<std::pair<std::string, std::string>>& settings,
    const std::vector<std::vector<std::string>>& disagreementRows = {}, const std::string& disagreementsNote = {});

/// What the expert-sharing report says besides its figures.
struct ExpertSummary {
    std::string headline; ///< the result at the current budget, one sentence
    std::vector<std::pair<std::string, std::string>> facts; ///< trace, batching, policy, budget
    std::vector<std::vector<std::string>> layers; ///< per-layer table, first row the header
};

/// The expert-sharing report as one self-contained HTML page.
std::string toExpertHtml(const ExpertSummary& summary, const std::vector<HtmlFigure>& figures);

} // namespace deltascope::report
