// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/PlotView.h"

#include <QToolTip>

namespace deltascope::ui {

PlotView::PlotView(QWidget* parent)
    : QCustomPlot(parent)
{
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
    setMinimumSize(320, 180); // two rows of plots and the controls still fit a 768-pixel screen
    connect(this, &QCustomPlot::plottableClick, this, &PlotView::onClick);
    applyPalette();
}

void PlotView::reset()
{
    clearPlottables();
    clearItems();
    clearGraphs();
    legend->setVisible(false);
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

void PlotView::applyPalette()
{
    const QPalette pal = palette();
    const QColor fg = pal.color(QPalette::WindowText);
    QColor grid = fg;
    grid.setAlpha(40);
    setBackground(pal.color(QPalette::Base));
    for (QCPAxis* axis : { xAxis, yAxis, xAxis2, yAxis2 }) {
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
