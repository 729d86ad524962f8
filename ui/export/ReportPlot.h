// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace deltascope::ui {

class PlotView;

/// A plot to put in a report, with what it shows.
struct ReportPlot {
    QString title;
    QString caption;
    PlotView* plot = nullptr;
};

} // namespace deltascope::ui
