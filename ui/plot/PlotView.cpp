// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/PlotView.h"

#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace deltascope::ui {

PlotView::PlotView(QWidget* parent)
    : QCustomPlot(parent)
{
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
    setMinimumSize(240, 130); // two rows of plots and the controls still fit a 768-pixel screen
    connect(this, &QCustomPlot::plottableClick, this, &PlotView::onClick);
    // Category labels are chosen for the axis's size before the layout sets it: once it has, a
    // second layout pass chooses them again where the size changed what fits.
    connect(this, &QCustomPlot::afterLayout, this, [this] {
        fitLabels();
        if (m_relayout)
            return;
        if (fitLegendColumns()) {
            m_relayout = true;
            updateLayout();
            m_relayout = false;
            return;
        }
        for (QCPAxis* axis : { xAxis, yAxis }) {
            const auto ticker = qSharedPointerDynamicCast<CategoryTicker>(axis->ticker());
            if (ticker && ticker->stale()) {
                m_relayout = true;
                updateLayout();
                m_relayout = false;
                return;
            }
        }
    });
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

CategoryTicker::CategoryTicker(QCPAxis* axis, QStringList labels, QVector<bool> emphasised, int maxChars)
    : m_axis(axis)
    , m_labels(std::move(labels))
    , m_emphasised(std::move(emphasised))
    , m_maxChars(std::max(4, maxChars))
{
    m_emphasised.resize(m_labels.size());
}

QString CategoryTicker::elided(const QString& text, int maxChars)
{
    if (text.size() <= maxChars)
        return text;
    const qsizetype head = (maxChars - 1) / 2;
    const qsizetype tail = maxChars - 1 - head;
    return text.left(head) + QChar(0x2026) + text.right(tail);
}

double CategoryTicker::getTickStep(const QCPRange& range)
{
    m_lastStep = stepFor(range);
    return m_lastStep;
}

double CategoryTicker::stepFor(const QCPRange& range) const
{
    // Pixels one category takes along the axis, and what two neighbouring labels need there:
    // the text height on a vertical axis or for slanted labels (at the spacing that keeps their
    // parallel lines a text height apart), else half of each one's width and a gap.
    const QRect rect = m_axis->axisRect()->rect();
    const bool vertical = m_axis->orientation() == Qt::Vertical;
    const double extent = vertical ? rect.height() : rect.width();
    const double size = std::max(1e-9, range.size());
    if (extent <= 0)
        return 1.0;
    const double perCategory = extent / size;
    const QFontMetricsF fm(m_axis->tickLabelFont());
    const double angle = std::abs(m_axis->tickLabelRotation()) * M_PI / 180.0;
    if (vertical || angle >= 0.2) {
        const double need = fm.height() * 1.15 / (vertical ? 1.0 : std::sin(angle));
        return std::max(1.0, std::ceil(need / perCategory));
    }
    const auto n = static_cast<qsizetype>(m_labels.size());
    QVector<double> width(n);
    for (qsizetype i = 0; i < n; ++i)
        width[i] = fm.horizontalAdvance(elided(m_labels[i], m_maxChars));
    const double gap = fm.averageCharWidth();
    for (qsizetype step = 1; step < n; ++step) {
        bool room = true;
        for (qsizetype i = 0; room && i + step < n; i += step)
            room = (width[i] + width[i + step]) / 2 + gap <= static_cast<double>(step) * perCategory;
        if (room)
            return static_cast<double>(step);
    }
    return static_cast<double>(std::max<qsizetype>(1, n));
}

int CategoryTicker::getSubTickCount(double)
{
    return 0;
}

QString CategoryTicker::getTickLabel(double tick, const QLocale&, QChar, int)
{
    const auto i = static_cast<qsizetype>(std::llround(tick));
    return i >= 0 && i < m_labels.size() ? elided(m_labels[i], m_maxChars) : QString();
}

QVector<double> CategoryTicker::createTickVector(double tickStep, const QCPRange& range)
{
    const auto n = static_cast<qsizetype>(m_labels.size());
    const auto first = std::max<qsizetype>(0, static_cast<qsizetype>(std::ceil(range.lower)));
    const auto last = std::min<qsizetype>(n - 1, static_cast<qsizetype>(std::floor(range.upper)));
    const auto step = std::max<qsizetype>(1, static_cast<qsizetype>(tickStep));
    QVector<qsizetype> chosen;
    const auto fits = [&](qsizetype i) {
        return std::none_of(chosen.begin(), chosen.end(), [&](qsizetype c) { return std::abs(c - i) < step; });
    };
    // Emphasised categories first, then every step-th (counted from 0, so that panning keeps the
    // same labels), each where it leaves a step of room to the ones already chosen.
    if (step > 1)
        for (qsizetype i = first; i <= last; ++i)
            if (m_emphasised[i] && fits(i))
                chosen.push_back(i);
    for (qsizetype i = (first + step - 1) / step * step; i <= last; i += step)
        if (step == 1 || fits(i))
            chosen.push_back(i);
    std::sort(chosen.begin(), chosen.end());
    m_last.clear();
    for (const auto i : chosen)
        m_last.push_back(static_cast<double>(i));
    return m_last;
}

void PlotView::rememberView()
{
    if (!m_home.isEmpty())
        return;
    for (QCPAxisRect* rect : axisRects())
        for (QCPAxis* axis : rect->axes())
            m_home.append({ QPointer<QCPAxis>(axis), axis->range() });
}

bool PlotView::resetView()
{
    if (m_home.isEmpty())
        return false;
    for (const auto& [axis, range] : m_home)
        if (axis)
            axis->setRange(range);
    m_home.clear();
    replot();
    return true;
}

void PlotView::mousePressEvent(QMouseEvent* event)
{
    rememberView();
    QCustomPlot::mousePressEvent(event);
}

void PlotView::wheelEvent(QWheelEvent* event)
{
    rememberView();
    QCustomPlot::wheelEvent(event);
}

void PlotView::mouseDoubleClickEvent(QMouseEvent* event)
{
    resetView();
    QCustomPlot::mouseDoubleClickEvent(event);
}

void PlotView::showEmptyNote(const QString& text)
{
    reset();
    auto* note = new QCPItemText(this);
    note->setObjectName(QStringLiteral("emptyNote"));
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setPositionAlignment(Qt::AlignCenter);
    note->setText(text);
    note->setTextAlignment(Qt::AlignCenter);
    note->setClipToAxisRect(false);
    applyPalette();
    note->setColor(palette().color(QPalette::Disabled, QPalette::WindowText));
}

void PlotView::setFittingLabel(QCPAxis* axis, const QStringList& longestFirst)
{
    for (auto& [a, labels] : m_fittingLabels)
        if (a == axis) {
            labels = longestFirst;
            fitLabels();
            return;
        }
    m_fittingLabels.append({ QPointer<QCPAxis>(axis), longestFirst });
    fitLabels();
}

// The label's length does not change the layout (a label's thickness is one line), so it is chosen
// once the layout has set the axis's length.
void PlotView::fitLabels()
{
    for (const auto& [axis, labels] : m_fittingLabels) {
        if (!axis || labels.isEmpty())
            continue;
        const QFontMetrics fm(axis->labelFont());
        const int room = axis->orientation() == Qt::Vertical ? axis->axisRect()->height() : axis->axisRect()->width();
        QString chosen = labels.last();
        for (const QString& label : labels)
            if (fm.horizontalAdvance(label) <= room) {
                chosen = label;
                break;
            }
        if (axis->label() != chosen)
            axis->setLabel(chosen);
    }
}

void PlotView::reset()
{
    m_home.clear();
    m_fittingLabels.clear();
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
    xAxis->setRangeReversed(false);
    yAxis->setRangeReversed(false);
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

// A legend above the plot takes as many columns as its widest entry allows in the plot's width,
// so that no entry is cut at a narrow window and a wide one uses a single row.
bool PlotView::fitLegendColumns()
{
    if (!legend->visible() || legend->layout() != plotLayout())
        return false;
    int widest = 1;
    int entries = 0; // the grid's cells past the last entry are empty
    for (int i = 0; i < legend->itemCount(); ++i)
        if (const QCPAbstractLegendItem* entry = legend->item(i)) {
            widest = std::max(widest, entry->minimumOuterSizeHint().width());
            ++entries;
        }
    if (entries == 0)
        return false;
    const QMargins m = legend->margins();
    const int room = viewport().width() - m.left() - m.right() - 2;
    const int columns = std::clamp((room + legend->columnSpacing()) / (widest + legend->columnSpacing()), 1, entries);
    if (columns == legend->wrap())
        return false;
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    return true;
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
