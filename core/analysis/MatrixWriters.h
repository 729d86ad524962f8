// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Frontier.h"
#include "analysis/Matrix.h"

#include <string>

namespace deltascope::analysis {

/// How a matrix report is written. The cost axis, when set, names the cost column drawn on the
/// x-axis of the frontier plot (HTML) and listed first.
struct MatrixWriteOptions {
    std::string costAxis;
};

/// An aligned plain-text report for the terminal: the candidates (verdict, decision p before and
/// after the correction, tier, costs), the tasks x candidates table (drop, interval, flag), the
/// candidates against each other and the tiers.
std::string matrixText(const MatrixResult& result, const MatrixWriteOptions& options = {});
/// Machine-readable (stable keys, full precision); each candidate carries its whole comparison
/// report as `compare --format json` writes it.
std::string matrixJson(const MatrixResult& result, const MatrixWriteOptions& options = {});
/// One row per (task, candidate), candidate-level columns repeated, for spreadsheets.
std::string matrixCsv(const MatrixResult& result, const MatrixWriteOptions& options = {});
/// Tables to paste into a pull request.
std::string matrixMarkdown(const MatrixResult& result, const MatrixWriteOptions& options = {});
/// One self-contained HTML page; with a cost axis, the frontier plot (drop and its interval against
/// the cost, coloured by verdict, the Pareto front drawn) as inline SVG.
std::string matrixHtml(const MatrixResult& result, const MatrixWriteOptions& options = {});

/// The frontier plot of one task against one cost column as a standalone SVG picture (empty when
/// no candidate has both).
std::string frontierSvg(const MatrixResult& result, std::size_t row, const std::string& costColumn);

/// The expert-budget frontier: one row per budget (activated experts, saved, mass kept, verdict),
/// then the answer, then the matrix as matrixText writes it.
std::string frontierText(const FrontierResult& result);
std::string frontierJson(const FrontierResult& result);
std::string frontierCsv(const FrontierResult& result);
std::string frontierMarkdown(const FrontierResult& result);
/// The frontier table and answer above the matrix's HTML page, whose plot then draws the drop
/// against the activated experts per slice.
std::string frontierHtml(const FrontierResult& result);

} // namespace deltascope::analysis
