// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <qcustomplot.h>

namespace deltascope::ui {

/// A text ticker with at most `maxLabels` of the labels (every n-th, from the first), so that many
/// layers or devices do not write their numbers over each other.
QSharedPointer<QCPAxisTickerText> thinnedTicker(
    const QVector<double>& positions, const QStringList& labels, int maxLabels = 16);

/// Category labels (tasks at 0, 1, ..., n - 1) that never write over each other: each redraw labels
/// as many as the axis has room for at its current size, zoom and label angle, the emphasised ones
/// (flagged tasks) first, then every n-th. Long names are cut in the middle to `maxChars`.
class CategoryTicker : public QCPAxisTicker {
public:
    CategoryTicker(QCPAxis* axis, QStringList labels, QVector<bool> emphasised = {}, int maxChars = 32);
    /// How many categories the axis holds.
    qsizetype count() const { return m_labels.size(); }
    /// The positions the last redraw labelled (for tests).
    const QVector<double>& lastTicks() const { return m_last; }
    /// Whether the axis's size or range changed since the labels were chosen (they were chosen
    /// before the layout settled).
    bool stale() const { return stepFor(m_axis->range()) != m_lastStep; }
    static QString elided(const QString& text, int maxChars);

protected:
    double getTickStep(const QCPRange& range) override;
    int getSubTickCount(double tickStep) override;
    QString getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision) override;
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override;

private:
    double stepFor(const QCPRange& range) const;
    QCPAxis* m_axis;
    double m_lastStep = 0;
    QStringList m_labels;
    QVector<bool> m_emphasised;
    int m_maxChars;
    QVector<double> m_last;
};

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
    /// The tooltip of the cell at plot coordinates (x, y), empty when none (for tests).
    QString cellText(double x, double y) const { return m_cellText ? m_cellText(x, y) : QString(); }
    /// Data point i of a plottable stands for task taskOf(i); clicks on it emit taskClicked.
    void setTaskOf(std::function<int(QCPAbstractPlottable*, int)> f) { m_taskOf = std::move(f); }

    /// Colours, fonts and grid from the current palette; call after (re)drawing.
    void applyPalette();
    /// A fresh plot: no plottables, items or extra layout elements (colour scales, more axis
    /// rects), the legend hidden and back inside the axis rect.
    void reset();
    /// A fresh plot that says, in its middle, why nothing is drawn and what would draw something.
    void showEmptyNote(const QString& text);
    /// Shows the legend in a row of its own above the axis rects, entries side by side, so that it
    /// never covers data.
    void showLegendAbove();
    /// Back to the view the plot was drawn with, after panning and zooming (a double-click does
    /// it). False when the view was never moved.
    bool resetView();
    /// The axis's label: at each layout, the first of these (longest first) that fits the axis's
    /// length, else the last. Cleared by reset().
    void setFittingLabel(QCPAxis* axis, const QStringList& longestFirst);

signals:
    void taskClicked(int task);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void rememberView();
    bool m_relayout = false;
    /// Every axis's range as drawn, kept at the first pan or zoom after a drawing.
    QList<QPair<QPointer<QCPAxis>, QCPRange>> m_home;
    QList<QPair<QPointer<QCPAxis>, QStringList>> m_fittingLabels;
    void fitLabels();
    bool fitLegendColumns(); ///< true when the legend's columns changed
    void onClick(QCPAbstractPlottable* p, int dataIndex, QMouseEvent* event);
    HoverText m_hover;
    std::function<QString(double, double)> m_cellText;
    std::function<int(QCPAbstractPlottable*, int)> m_taskOf;
};

} // namespace deltascope::ui
