// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "report/ComparisonReport.h"

#include <vector>

namespace deltascope::ui {

class PlotView;

/// The task drawn at each place along the plots' task axis: as the task table first lists them,
/// most significant first (ascending p; the report's order among ties).
std::vector<int> taskDrawOrder(const report::ComparisonReport& r);

/// Shades the places of these tasks (indices into r.tasks) across a plot drawn by drawForest,
/// drawPValues or drawFlips, replacing the shading of a previous call; an empty set clears it.
void markTasks(PlotView* plot, const report::ComparisonReport& r, const std::vector<int>& tasks);

/// Per-task drop with its 95% interval, one row per task (binary tasks in accuracy points).
void drawForest(PlotView* plot, const report::ComparisonReport& r);
/// -log10 p per task, with the alpha line and Holm's strictest threshold.
void drawPValues(PlotView* plot, const report::ComparisonReport& r);
/// Regressions b and improvements c per task, side by side.
void drawFlips(PlotView* plot, const report::ComparisonReport& r);

/// What the power planner draws and answers.
struct PowerPlan {
    double flipRate = 0.0;
    double alpha = 0.05;
    double power = 0.8;
    std::int64_t currentN = 0;
    double targetDrop = 0.01; ///< fraction (0.01 = one point)
    std::int64_t neededN = 0; ///< filled: samples needed to detect targetDrop
    double detectableNow = 0.0; ///< filled: minimum detectable drop at currentN
};
/// The minimum detectable drop against the number of pairs for the pooled flip rate.
void drawPower(PlotView* plot, PowerPlan& plan);

} // namespace deltascope::ui
