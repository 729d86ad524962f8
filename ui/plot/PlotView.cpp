// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/PlotView.h"

#include <QToolTip>
#include <algorithm>

namespace deltascope::ui {

PlotView::PlotView(QWidget* parent)
    : QCustomPlot(parent)
{
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
    setMinimumSize(240, 130); // two rows of plots and the controls still fit a 768-pixel screen
    connect(this, &QCustomPlot::plottableClick, this, &PlotView::onClick);
    applyPalette();
}

QSharedPointer<QCPAxisTickerText> thinnedTicker(
    const QVector<double>& positions, const QStringList& labels, int maxLabels)
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    const auto n = std::min(positions.size(), labels.size());
    const qsizetype most = std::max(1, maxLabels);
    const qsizetype step = std::max<qsizetype>(1, (n + most - 1) / most);
    for (qsizetype i = 0; i < n; i += step)
        ticker->addTick(positions[i], labels[i]);
    ticker->setSubTickCount(0);
    return ticker;
}

void PlotView::reset()
{
    clearPlottables();
    clearItems();
    clearGraphs();
    legend->setVisible(false);
    // Back to one axis rect with the legend inside it: whatever the last drawing added to the
    // layout (a legend row, a colour scale, a second panel) goes.
    if (legend->layout() == plotLayout()) {
        plotLayout()->take(legend);
        axisRect()->insetLayout()->addElement(legend, Qt::AlignRight | Qt::AlignTop);
    }
    QList<QCPLayoutElement*> extra;
    for (int i = 0; i < plotLayout()->elementCount(); ++i)
        if (QCPLayoutElement* e = plotLayout()->elementAt(i); e && e != axisRect())
            extra << e;
    for (QCPLayoutElement* e : extra)
        plotLayout()->remove(e);
    plotLayout()->simplify();
    xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    xAxis->setScaleType(QCPAxis::stLinear);
    yAxis->setScaleType(QCPAxis::stLinear);
    xAxis->setLabel(QString());
    yAxis->setLabel(QString());
    m_hover = nullptr;
    m_taskOf = nullptr;
    m_cellText = nullptr;
    yAxis2->setVisible(false);
    xAxis->setTickLabelRotation(0);
    yAxis->setRangeReversed(false);
}

void PlotView::showLegendAbove()
{
    legend->setVisible(true);
    if (legend->layout() != plotLayout()) {
        axisRect()->insetLayout()->take(legend);
        plotLayout()->insertRow(0);
        plotLayout()->addElement(0, 0, legend);
        plotLayout()->setRowStretchFactor(0, 0.001);
    }
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(4);
    legend->setMargins(QMargins(6, 4, 6, 0));
}

void PlotView::applyPalette()
{
    const QPalette pal = palette();
    const QColor fg = pal.color(QPalette::WindowText);
    QColor grid = fg;
    grid.setAlpha(40);
    setBackground(pal.color(QPalette::Base));
    for (QCPAxisRect* rect : axisRects())
        for (QCPAxis* axis : rect->axes()) {
            axis->setBasePen(QPen(fg));
            axis->setTickPen(QPen(fg));
            axis->setSubTickPen(QPen(fg));
            axis->setTickLabelColor(fg);
            axis->setLabelColor(fg);
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
            axis->grid()->setZeroLinePen(Qt::NoPen);
        }
    legend->setBrush(pal.color(QPalette::Base));
    legend->setTextColor(fg);
    legend->setBorderPen(QPen(grid));
    replot(QCustomPlot::rpQueuedReplot);
}

void PlotView::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QCustomPlot::changeEvent(event);
}

void PlotView::mouseMoveEvent(QMouseEvent* event)
{
    QCustomPlot::mouseMoveEvent(event);
    if (m_cellText) {
        const QString text
            = m_cellText(xAxis->pixelToCoord(event->position().x()), yAxis->pixelToCoord(event->position().y()));
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, this);
        return;
    }
    if (!m_hover)
        return;
    QVariant details;
    QCPLayerable* hit = layerableAt(event->position(), true, &details);
    auto* plottable = qobject_cast<QCPAbstractPlottable*>(hit);
    if (!plottable) {
        QToolTip::hideText();
        return;
    }
    const QCPDataSelection sel = details.value<QCPDataSelection>();
    if (sel.isEmpty())
        return;
    const QString text = m_hover(plottable, sel.dataRange().begin());
    if (!text.isEmpty())
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void PlotView::onClick(QCPAbstractPlottable* p, int dataIndex, QMouseEvent*)
{
    // A click on a point's error bar (drawn over the point) means the point: the bars share its
    // data indices.
    if (auto* bars = qobject_cast<QCPErrorBars*>(p); bars && bars->dataPlottable())
        p = bars->dataPlottable();
    if (m_taskOf) {
        const int task = m_taskOf(p, dataIndex);
        if (task >= 0)
            emit taskClicked(task);
    }
}

} // namespace deltascope::ui
