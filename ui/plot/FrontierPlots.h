// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Matrix.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace deltascope::ui {

class PlotView;

/// What the frontier plot shows: the points core computed for one task and one cost column.
struct FrontierPlotInput {
    std::vector<analysis::FrontierPlotPoint> points;
    QStringList names; ///< by candidate index
    QString costLabel; ///< the x axis
    bool higherIsBetter = false; ///< the cost column's direction (throughput)
    bool continuous = false; ///< the task's drop in metric units (else accuracy points)
    QString task;
    double margin = -1.0; ///< the task's non-inferiority margin in the drop's units (negative: none drawn)
};

/// The drop with its 95% interval against the cost, one colour per verdict, the Pareto front
/// joined by a line and the legend beside the plot. Hovering a point names its candidate; a click
/// on it emits PlotView::taskClicked with the candidate's index.
void drawFrontier(PlotView* plot, const FrontierPlotInput& in);

/// The names written beside the points: the candidates' names less the start they all share.
QStringList frontierPointNames(const QStringList& names);

} // namespace deltascope::ui
