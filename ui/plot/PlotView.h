// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <qcustomplot.h>

namespace deltascope::ui {

/// A text ticker with at most `maxLabels` of the labels (every n-th, from the first), so that many
/// layers or devices do not write their numbers over each other.
QSharedPointer<QCPAxisTickerText> thinnedTicker(
    const QVector<double>& positions, const QStringList& labels, int maxLabels = 16);

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
    /// A fresh plot: no plottables, items or extra layout elements (colour scales, more axis
    /// rects), the legend hidden and back inside the axis rect.
    void reset();
    /// Shows the legend in a row of its own above the axis rects, entries side by side, so that it
    /// never covers data.
    void showLegendAbove();

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
