// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/ExpertPlots.h"

#include "common/Format.h"
#include "plot/ColorMaps.h"
#include "plot/PlotView.h"

#include <algorithm>
#include <cmath>

namespace deltascope::ui {

namespace {

void styleBars(QCPBars* bars, const QColor& color, const QString& name)
{
    bars->setPen(QPen(color));
    QColor fill = color;
    fill.setAlpha(170);
    bars->setBrush(fill);
    bars->setName(name);
}

// Ticks on whole numbers only (experts, layers, devices, budgets), zoomed in too; about `count`
// of them when the range is long (0: the ticker's default).
void wholeNumberTicks(QCPAxis* axis, int count = 0)
{
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    if (count > 0)
        ticker->setTickCount(count);
    axis->setTicker(ticker);
}

} // namespace

void drawMatrix(PlotView* plot, const std::vector<double>& values, int rows, int columns, const MatrixView& view)
{
    plot->reset(); // also takes the previous colour scale out of the layout
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->data()->setSize(columns, rows);
    // Cells are centred on their index. A dimension of one cell is drawn over its range with no
    // half-cell margin, so it gets the range of that one cell (a trace of one layer).
    auto span = [](int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.5, 0.5); };
    map->data()->setRange(span(columns), span(rows));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < columns; ++c)
            map->data()->setCell(c, r, values[static_cast<std::size_t>(r) * static_cast<std::size_t>(columns) + c]);
    auto* scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(0, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->axis()->setLabel(view.scaleLabel);
    map->setColorScale(scale);
    map->setGradient(view.diverging ? divergingGradient() : sequentialGradient());
    map->setDataRange(QCPRange(view.lo, view.hi));
    map->setInterpolate(false);
    auto* group = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    plot->xAxis->setLabel(view.xLabel);
    plot->yAxis->setLabel(view.yLabel);
    // Whole rows and columns only.
    for (QCPAxis* axis : { plot->xAxis, plot->yAxis })
        wholeNumberTicks(axis);
    if (!view.rowIds.empty()) {
        // Rows named by their ids (model layer numbers), not their positions; a few of them when
        // there are many.
        QVector<double> at;
        QStringList names;
        for (int r = 0; r < rows && r < static_cast<int>(view.rowIds.size()); ++r) {
            at << r;
            names << QString::number(view.rowIds[static_cast<std::size_t>(r)]);
        }
        plot->yAxis->setTicker(thinnedTicker(at, names, 12));
    }
    plot->xAxis->setRange(-0.5, columns - 0.5);
    plot->yAxis->setRange(-0.5, rows - 0.5);
    plot->yAxis->setRangeReversed(view.reversedRows);
    const auto ids = view.rowIds;
    const QString xName = view.xLabel;
    const QString yName = view.yLabel;
    const QString quantity = view.scaleLabel; // the cell's value is named as the colour scale names it
    plot->setCellText([map, rows, columns, ids, xName, yName, quantity](double x, double y) {
        const int c = qRound(x);
        const int r = qRound(y);
        if (c < 0 || c >= columns || r < 0 || r >= rows)
            return QString();
        const int id = r < static_cast<int>(ids.size()) ? ids[static_cast<std::size_t>(r)] : r;
        return QObject::tr("%1 %2, %3 %4: %5 %6")
            .arg(yName)
            .arg(id)
            .arg(xName)
            .arg(c)
            .arg(quantity)
            .arg(map->data()->cell(c, r), 0, 'f', 3);
    });
    plot->applyPalette();
    scale->axis()->setBasePen(plot->xAxis->basePen());
    scale->axis()->setTickLabelColor(plot->xAxis->tickLabelColor());
    scale->axis()->setLabelColor(plot->xAxis->labelColor());
}

void drawLayerExpertMap(PlotView* plot, const std::vector<double>& values, int layers, int experts,
    const std::vector<int>& layerIds, const QString& scaleLabel, double lo, double hi, bool diverging)
{
    MatrixView v;
    v.xLabel = QObject::tr("expert");
    v.yLabel = QObject::tr("layer");
    v.scaleLabel = scaleLabel;
    v.lo = lo;
    v.hi = hi;
    v.diverging = diverging;
    v.rowIds = layerIds;
    drawMatrix(plot, values, layers, experts, v);
}

void drawSlice(PlotView* plot, const moe::SliceDetail& slice)
{
    std::vector<double> values(slice.scores.size());
    double hi = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float v = slice.scores[i];
        values[i] = std::isfinite(v) ? static_cast<double>(v) : 0.0;
        hi = std::max(hi, values[i]);
    }
    MatrixView v;
    v.xLabel = QObject::tr("expert");
    v.yLabel = QObject::tr("token");
    v.scaleLabel = QObject::tr("gating score");
    v.hi = hi > 0 ? hi : 1.0;
    v.reversedRows = true;
    drawMatrix(plot, values, slice.tokens, slice.experts, v);
    const QColor fg = plot->palette().color(QPalette::WindowText);
    auto* base = plot->addGraph();
    base->setLineStyle(QCPGraph::lsNone);
    base->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(fg, 1.2), Qt::NoBrush, 9));
    base->setName(QObject::tr("top-k choice"));
    auto* routed = plot->addGraph();
    routed->setLineStyle(QCPGraph::lsNone);
    routed->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, regressionColor(), regressionColor(), 5));
    // A token whose routing is unchanged has each dot in a circle.
    routed->setName(QObject::tr("choice after selection"));
    for (int t = 0; t < slice.tokens; ++t) {
        for (const int e : slice.baseline[static_cast<std::size_t>(t)])
            base->addData(e, t);
        for (const int e : slice.routed[static_cast<std::size_t>(t)])
            routed->addData(e, t);
    }
    // The selected experts: a tick row above the tokens; hollow where no token routes to the
    // expert (the budget fills the selection past what the tokens want: nothing is activated).
    const std::vector<char> used = slice.activated();
    // The row stands apart from the tokens by a share of the height, so that its label never
    // meets token 0's however many tokens there are.
    const double row = -std::max(1.0, slice.tokens / 16.0);
    auto* selected = plot->addGraph();
    selected->setLineStyle(QCPGraph::lsNone);
    selected->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, improvementColor(), improvementColor(), 9));
    selected->setName(QObject::tr("selected expert"));
    QCPGraph* idle = nullptr;
    for (const int e : slice.selected) {
        if (used[static_cast<std::size_t>(e)]) {
            selected->addData(e, row);
            continue;
        }
        if (!idle) {
            idle = plot->addGraph();
            idle->setLineStyle(QCPGraph::lsNone);
            idle->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, QPen(improvementColor(), 1.5), Qt::NoBrush, 9));
            idle->setName(QObject::tr("selected, used by no token"));
        }
        idle->addData(e, row);
    }
    // The tokens by number (a few of them when there are many), and the row of the selected experts
    // by its name.
    QVector<double> at;
    QStringList names;
    for (int t = 0; t < slice.tokens; ++t) {
        at << t;
        names << QString::number(t);
    }
    auto ticker = thinnedTicker(at, names, 12);
    ticker->addTick(row, QObject::tr("selected"));
    plot->yAxis->setTicker(ticker);
    plot->yAxis->setRange(row * 1.7, slice.tokens - 0.5);
    plot->showLegendAbove();
    plot->applyPalette();
}

void drawBatchSizes(PlotView* plot, const moe::BatchSizeCurve& curve, bool replay, int batchSize, int chosen)
{
    plot->reset();
    const bool recorded = curve.recordedActivated >= 0;
    QVector<double> b;
    QVector<double> act;
    for (std::size_t i = 0; i < curve.batchSize.size(); ++i) {
        b.push_back(curve.batchSize[i]);
        act.push_back(curve.activated[i]);
    }
    const auto uniform
        = [experts = curve.experts, topK = curve.topK](double B) { return moe::uniformActivated(experts, topK, B); };
    auto* a = plot->addGraph();
    a->setData(b, act, true);
    a->setPen(QPen(verdictColor(false), 2));
    a->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    a->setName(QObject::tr("this trace (top-k)"));
    auto* u = plot->addGraph();
    u->setPen(QPen(plot->palette().color(QPalette::WindowText), 1.5, Qt::DashLine));
    u->setName(QObject::tr("uniform routing: N (1 - (1 - k/N)^B)"));
    // The trace's own batches (recorded steps): one point at their mean size.
    QCPGraph* own = nullptr;
    if (recorded) {
        own = plot->addGraph();
        own->setData({ curve.recordedBatch }, { curve.recordedActivated }, true);
        own->setLineStyle(QCPGraph::lsNone);
        own->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(improvementColor(), 2), Qt::NoBrush, 11));
        own->setName(QObject::tr("recorded batches (mean %1 tokens)").arg(curve.recordedBatch, 0, 'f', 1));
    }
    plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    double lo = b.isEmpty() ? 1.0 : b.front();
    double hi = b.isEmpty() ? 1.0 : b.back();
    double top = 0.0;
    for (double x : act)
        top = std::max(top, x);
    if (recorded) {
        lo = std::min(lo, curve.recordedBatch);
        hi = std::max(hi, curve.recordedBatch);
        top = std::max(top, curve.recordedActivated);
    }
    // The batch sizes are powers of two: ticks at each of them (1, 2, 4, ... 64) where they fit,
    // so that the current B can be read off the axis; powers of ten past 4096.
    auto ticker = QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog);
    if (hi <= 4096.0) {
        ticker->setLogBase(2.0);
        ticker->setSubTickCount(0);
    }
    plot->xAxis->setTicker(ticker);
    plot->xAxis->setNumberFormat(QStringLiteral("g"));
    // The batching in effect, dashed: the replayed batch size (a batch holds at most the requests
    // replayed), or the recorded batches.
    const std::int64_t requests = chosen > 0 ? std::min<std::int64_t>(chosen, curve.requests) : curve.requests;
    const bool capped = replay && requests > 0 && batchSize > requests;
    const double current = !replay ? curve.recordedBatch
        : capped                   ? static_cast<double>(requests)
                                   : static_cast<double>(batchSize);
    const bool marked = current > 0 && (replay || recorded);
    if (marked) {
        lo = std::min(lo, current);
        hi = std::max(hi, current);
        auto* line = new QCPItemStraightLine(plot);
        line->setObjectName(QStringLiteral("currentBatch"));
        line->point1->setCoords(current, 0);
        line->point2->setCoords(current, 1);
        line->setPen(QPen(regressionColor(), 1.5, Qt::DashLine));
    }
    // The expectation under uniform routing, drawn smooth over every batch size shown.
    QVector<double> ub;
    QVector<double> uv;
    constexpr int kUniformPoints = 64;
    for (int i = 0; i <= kUniformPoints; ++i) {
        const double B = lo * std::pow(hi / lo, static_cast<double>(i) / kUniformPoints);
        ub.push_back(B);
        uv.push_back(uniform(B));
        top = std::max(top, uv.back());
    }
    u->setData(ub, uv, true);
    if (!b.isEmpty() || recorded) {
        plot->xAxis->setRange(lo / 1.3, hi * 1.3);
        plot->yAxis->setRange(0, std::max(1.0, top * 1.1));
    }
    const QString what = QObject::tr("batch size B (requests decoded together, a token each per step); ");
    QString now;
    if (capped)
        now = QObject::tr("dashed: the current B = %1, at most %2 here (%3)")
                  .arg(batchSize)
                  .arg(requests)
                  .arg(chosen > 0 ? QObject::tr("the requests replayed") : QObject::tr("the trace's requests"));
    else if (replay)
        now = QObject::tr("dashed: the current B = %1").arg(batchSize);
    else if (marked)
        now = QObject::tr("dashed: the recorded batches in use");
    plot->xAxis->setLabel(now.isEmpty() ? what.chopped(2) : what + now); // without the "; " before nothing
    plot->yAxis->setLabel(QObject::tr("activated experts per slice"));
    QCPItemText* note = nullptr;
    if (curve.requests <= 1) {
        // Replay batches requests together: a trace of one request has no larger batch to form.
        note = new QCPItemText(plot);
        note->setObjectName(QStringLiteral("oneRequestNote"));
        note->position->setType(QCPItemPosition::ptAxisRectRatio);
        note->position->setCoords(0.6, 0.5); // below the plateau the curves reach
        note->setPositionAlignment(Qt::AlignCenter);
        note->setPadding(QMargins(8, 4, 8, 4));
        note->setText(recorded ? QObject::tr("This trace holds one request: replay cannot batch requests together.\n"
                                             "Its recorded batches are the diamond.")
                               : QObject::tr("This trace holds one request: replay cannot batch requests together."));
        note->setTextAlignment(Qt::AlignCenter);
    }
    plot->showLegendAbove();
    plot->setHoverText([a, u, own, curve, uniform](QCPAbstractPlottable* p, int i) {
        if (p == own && own != nullptr)
            return QObject::tr("recorded batches: mean %1 tokens, %2 experts per slice (uniform routing: %3)")
                .arg(curve.recordedBatch, 0, 'f', 1)
                .arg(curve.recordedActivated, 0, 'f', 2)
                .arg(uniform(curve.recordedBatch), 0, 'f', 2);
        if (p == u && i >= 0 && i < u->dataCount()) {
            const double B = u->dataMainKey(i);
            return QObject::tr("uniform routing at B = %1: %2 experts").arg(B, 0, 'f', 1).arg(uniform(B), 0, 'f', 2);
        }
        if (p != a || i < 0 || i >= static_cast<int>(curve.batchSize.size()))
            return QString();
        const auto at = static_cast<std::size_t>(i);
        return QObject::tr("B = %1: %2 experts (uniform routing: %3)")
            .arg(curve.batchSize[at])
            .arg(curve.activated[at], 0, 'f', 2)
            .arg(uniform(curve.batchSize[at]), 0, 'f', 2);
    });
    plot->applyPalette();
    if (note != nullptr) {
        note->setColor(plot->palette().color(QPalette::WindowText));
        note->setBrush(plot->palette().color(QPalette::Base));
    }
}

void drawBudgetSweep(PlotView* plot, const moe::XShareResult& sweep, int budget)
{
    plot->reset();
    const double slices = sweep.sliceCount > 0 ? static_cast<double>(sweep.sliceCount) : 1.0;
    QVector<double> m;
    QVector<double> act;
    QVector<double> mass;
    double base = 0;
    for (const auto& r : sweep.results) {
        m.push_back(r.budget);
        act.push_back(static_cast<double>(r.activated) / slices);
        mass.push_back(100.0 * r.massRetained);
        base = static_cast<double>(r.activatedBase) / slices;
    }
    // One panel per quantity, sharing the budget axis: experts above, gating mass below. No curve
    // is read against another's axis.
    auto* lower = new QCPAxisRect(plot);
    lower->setObjectName(QStringLiteral("massPanel"));
    plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, lower);
    QCPAxis* massKey = lower->axis(QCPAxis::atBottom);
    QCPAxis* massAxis = lower->axis(QCPAxis::atLeft);
    auto* group = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msLeft | QCP::msRight, group);
    lower->setMarginGroup(QCP::msLeft | QCP::msRight, group);
    QObject::connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), massKey,
        qOverload<const QCPRange&>(&QCPAxis::setRange));
    QObject::connect(massKey, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot->xAxis,
        qOverload<const QCPRange&>(&QCPAxis::setRange));

    auto* a = plot->addGraph(plot->xAxis, plot->yAxis);
    a->setData(m, act, true);
    a->setPen(QPen(verdictColor(false), 2));
    a->setName(QObject::tr("activated experts per slice"));
    auto* top = plot->addGraph(plot->xAxis, plot->yAxis);
    top->setData({ m.isEmpty() ? 0 : m.front(), m.isEmpty() ? 0 : m.back() }, { base, base });
    top->setPen(QPen(plot->palette().color(QPalette::WindowText), 1, Qt::DotLine));
    top->setName(QObject::tr("top-k (no sharing)"));
    auto* g = plot->addGraph(massKey, massAxis);
    g->setData(m, mass, true);
    g->setPen(QPen(improvementColor(), 2));
    g->setName(QObject::tr("gating mass kept (%)"));
    for (QCPAxisRect* rect : { plot->axisRect(), lower }) {
        auto* now = new QCPItemStraightLine(plot);
        now->setClipAxisRect(rect);
        for (QCPItemPosition* p : { now->point1, now->point2 })
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        now->point1->setCoords(budget, 0);
        now->point2->setCoords(budget, 1);
        now->setPen(QPen(regressionColor(), 1.5, Qt::DashLine));
    }
    plot->xAxis->setLabel({});
    massKey->setLabel(QObject::tr("budget M (experts per slice); dashed: the current M"));
    plot->yAxis->setLabel(QObject::tr("experts per slice"));
    massAxis->setLabel(QObject::tr("gating mass kept (%)"));
    if (!m.isEmpty())
        plot->xAxis->setRange(m.front() - 0.5, m.back() + 0.5);
    // Budgets are whole numbers of experts: ticks on whole numbers only (zoomed in too).
    for (QCPAxis* axis : { plot->xAxis, massKey })
        wholeNumberTicks(axis, 10);
    // Set on the lower panel too: a redraw over the same budgets leaves the upper range as it was,
    // and an unchanged range tells nobody (the new lower panel would stay at its default 0-5).
    massKey->setRange(plot->xAxis->range());
    plot->yAxis->setRange(0, std::max(1.0, base * 1.08));
    massAxis->setRange(mass.isEmpty() ? 0.0 : std::max(0.0, *std::min_element(mass.begin(), mass.end()) - 5), 101);
    plot->showLegendAbove();
    plot->setHoverText([a, g, &sweep](QCPAbstractPlottable* p, int i) {
        if ((p != a && p != g) || i < 0 || i >= static_cast<int>(sweep.results.size()))
            return QString();
        const auto& r = sweep.results[static_cast<std::size_t>(i)];
        return QObject::tr("M = %1: %2 experts per slice, %3 of the gating mass, %4 of tokens unchanged")
            .arg(r.budget)
            .arg(static_cast<double>(r.activated) / static_cast<double>(std::max<std::int64_t>(1, sweep.sliceCount)), 0,
                'f', 2)
            .arg(percent(r.massRetained), percent(r.unchangedTokens));
    });
    plot->applyPalette();
}

void drawPerLayer(PlotView* plot, const moe::BudgetResult& r)
{
    plot->reset();
    auto* group = new QCPBarsGroup(plot);
    auto* base = new QCPBars(plot->xAxis, plot->yAxis);
    auto* pol = new QCPBars(plot->xAxis, plot->yAxis);
    styleBars(base, verdictColor(false), QObject::tr("top-k"));
    styleBars(pol, improvementColor(), QObject::tr("policy, M = %1").arg(r.budget));
    QVector<double> at;
    QStringList names;
    double top = 1;
    for (std::size_t i = 0; i < r.perLayer.size(); ++i) {
        const auto& l = r.perLayer[i];
        base->addData(static_cast<double>(i), l.activatedBaseMean);
        pol->addData(static_cast<double>(i), l.activatedMean);
        at << static_cast<double>(i);
        names << QString::number(l.layer);
        top = std::max(top, l.activatedBaseMean);
    }
    for (auto* b : { base, pol }) {
        b->setWidth(0.4);
        b->setBarsGroup(group);
    }
    const int n = static_cast<int>(r.perLayer.size());
    plot->xAxis->setTicker(thinnedTicker(at, names));
    plot->xAxis->setRange(-0.6, n - 0.4);
    plot->yAxis->setRange(0, top * 1.15);
    plot->xAxis->setLabel(QObject::tr("layer"));
    plot->yAxis->setLabel(QObject::tr("activated experts per slice"));
    plot->showLegendAbove();
    plot->setHoverText([&r](QCPAbstractPlottable*, int i) {
        if (i < 0 || i >= static_cast<int>(r.perLayer.size()))
            return QString();
        const auto& l = r.perLayer[static_cast<std::size_t>(i)];
        return QObject::tr("layer %1: %2 -> %3 experts, %4 of the mass")
            .arg(l.layer)
            .arg(l.activatedBaseMean, 0, 'f', 2)
            .arg(l.activatedMean, 0, 'f', 2)
            .arg(percent(l.massRetained));
    });
    plot->applyPalette();
}

void drawDevices(PlotView* plot, const moe::ActivationMaps& maps, int budget)
{
    plot->reset();
    auto* group = new QCPBarsGroup(plot);
    auto* base = new QCPBars(plot->xAxis, plot->yAxis);
    auto* pol = new QCPBars(plot->xAxis, plot->yAxis);
    styleBars(base, verdictColor(false), QObject::tr("top-k"));
    styleBars(pol, improvementColor(), budget > 0 ? QObject::tr("policy, M = %1").arg(budget) : QObject::tr("policy"));
    double top = 1;
    for (int d = 0; d < maps.devices; ++d) {
        base->addData(d, maps.deviceBase[static_cast<std::size_t>(d)]);
        pol->addData(d, maps.device[static_cast<std::size_t>(d)]);
        top = std::max(top, maps.deviceBase[static_cast<std::size_t>(d)]);
    }
    for (auto* b : { base, pol }) {
        b->setWidth(0.4);
        b->setBarsGroup(group);
    }
    // Whole devices only; a few of them when there are many.
    wholeNumberTicks(plot->xAxis, 12);
    plot->xAxis->setRange(-0.6, maps.devices - 0.4);
    plot->yAxis->setRange(0, top * 1.15);
    // The headline's peak is another mean (each slice's busiest device, whichever it is): said, so
    // that it is not read off the tallest bar.
    plot->xAxis->setLabel(QObject::tr("device (expert parallelism): each device's mean per slice; the headline's "
                                      "peak per device is each slice's busiest device, averaged"));
    plot->yAxis->setLabel(QObject::tr("activated experts per slice"));
    plot->showLegendAbove();
    plot->setHoverText([&maps](QCPAbstractPlottable*, int d) {
        if (d < 0 || d >= maps.devices)
            return QString();
        const auto i = static_cast<std::size_t>(d);
        return QObject::tr("device %1: %2 -> %3 experts, %4 -> %5 token assignments per slice")
            .arg(d)
            .arg(maps.deviceBase[i], 0, 'f', 2)
            .arg(maps.device[i], 0, 'f', 2)
            .arg(maps.deviceTokensBase[i], 0, 'f', 1)
            .arg(maps.deviceTokens[i], 0, 'f', 1);
    });
    plot->applyPalette();
}

} // namespace deltascope::ui
