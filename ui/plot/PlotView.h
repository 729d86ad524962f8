// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <qcustomplot.h>

namespace deltascope::ui {

/// A QCustomPlot that follows the application palette, zooms and drags, shows the value under the
/// mouse, and reports clicks on the items that stand for tasks.
class PlotView : public QCustomPlot {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);

    /// Text shown when hovering near data point `i` of `plottable` (set by whoever draws).
    using HoverText = std::function<QString(QCPAbstractPlottable*, int)>;
    void setHoverText(HoverText f) { m_hover = std::move(f); }
    /// Text for the point (x, y) in plot coordinates, for plots without data points (colour maps).
    void setCellText(std::function<QString(double, double)> f) { m_cellText = std::move(f); }
    /// Data point i of a plottable stands for task taskOf(i); clicks on it emit taskClicked.
    void setTaskOf(std::function<int(QCPAbstractPlottable*, int)> f) { m_taskOf = std::move(f); }

    /// Colours, fonts and grid from the current palette; call after (re)drawing.
    void applyPalette();
    /// A fresh plot: no plottables, items or extra layout elements.
    void reset();

signals:
    void taskClicked(int task);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void onClick(QCPAbstractPlottable* p, int dataIndex, QMouseEvent* event);
    HoverText m_hover;
    std::function<QString(double, double)> m_cellText;
    std::function<int(QCPAbstractPlottable*, int)> m_taskOf;
};

} // namespace deltascope::ui
