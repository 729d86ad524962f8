// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/DegradationPlots.h"

#include "common/Format.h"
#include "plot/PlotView.h"
#include "report/PlotData.h"
#include "report/Verdict.h"
#include "stats/Power.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>
#include <vector>

namespace deltascope::ui {

namespace {

QString taskName(const report::TaskResult& t)
{
    return QString::fromStdString(t.filter == "none" ? t.task : t.task + " [" + t.filter + "]")
        + (t.audit ? QObject::tr(" (excluded by the keep-list)") : QString());
}

// The tasks along an axis in draw order, as many labelled as it has room for (flagged tasks first).
QSharedPointer<CategoryTicker> taskTicker(QCPAxis* axis, const report::ComparisonReport& r, int maxChars)
{
    QStringList names;
    QVector<bool> flagged;
    for (const int i : taskDrawOrder(r)) {
        const auto& t = r.tasks[static_cast<std::size_t>(i)];
        names << taskName(t);
        flagged << (t.flag == report::TaskFlag::Worse);
    }
    return QSharedPointer<CategoryTicker>(new CategoryTicker(axis, names, flagged, maxChars));
}

double scaleOf(const report::TaskResult& t)
{
    return t.continuous ? 1.0 : 100.0; // points for binary metrics
}

// As the report flagged it: never recomputed from the p-values.
bool worse(const report::TaskResult& t)
{
    return t.flag == report::TaskFlag::Worse;
}

// The plots draw a task in one of three series, coloured as the task table colours its verdict:
// not shown worse, worse, suggestive (its own p below alpha without deciding the comparison).
constexpr int kSeries = 3;

int seriesOf(const report::TaskResult& t)
{
    return worse(t) ? 1 : (t.flag == report::TaskFlag::Suggestive ? 2 : 0);
}

QColor seriesColor(int s)
{
    return s == 2 ? warningColor() : verdictColor(s == 1);
}

// Which series a plottable is, or -1.
template <typename P> int seriesIndex(const P* const (&series)[kSeries], const QCPAbstractPlottable* p)
{
    for (int s = 0; s < kSeries; ++s)
        if (p == series[s])
            return s;
    return -1;
}

QString pText(double p, double lnP)
{
    return QString::fromStdString(report::formatP(p, lnP));
}

QCPItemText* label(PlotView* plot, const QString& text, const QColor& color)
{
    auto* item = new QCPItemText(plot);
    item->setText(text);
    item->setColor(color);
    item->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    return item;
}

// A dashed mark at each task's margin across its row (tasks with a margin in the drop's own
// units: a margin relative to a corpus metric is in other units and is not drawn). Returns the
// largest margin drawn, in plot units (0 when none).
double drawMargins(PlotView* plot, const report::ComparisonReport& r)
{
    double most = 0.0;
    const QPen pen(QColor(0xd0, 0x8a, 0x00), 1.5, Qt::DashLine);
    const auto order = taskDrawOrder(r);
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto& t = r.tasks[static_cast<std::size_t>(order[i])];
        if (!t.hasMargin || t.marginRelative)
            continue;
        const double x = t.margin * scaleOf(t);
        auto* mark = new QCPItemLine(plot);
        mark->start->setAxes(plot->xAxis, plot->yAxis);
        mark->end->setAxes(plot->xAxis, plot->yAxis);
        mark->start->setCoords(x, static_cast<double>(i) - 0.45);
        mark->end->setCoords(x, static_cast<double>(i) + 0.45);
        mark->setPen(pen);
        mark->setSelectable(false);
        most = std::max(most, x);
    }
    return most;
}

} // namespace

std::vector<int> taskDrawOrder(const report::ComparisonReport& r)
{
    std::vector<int> order(r.tasks.size());
    std::iota(order.begin(), order.end(), 0);
    const auto key = [&r](int i) {
        const double lnP = r.tasks[static_cast<std::size_t>(i)].lnP;
        return std::isnan(lnP) ? std::numeric_limits<double>::infinity() : lnP;
    };
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
    return order;
}

void markTasks(PlotView* plot, const report::ComparisonReport& r, const std::vector<int>& tasks)
{
    for (int i = plot->itemCount() - 1; i >= 0; --i)
        if (plot->item(i)->objectName() == QStringLiteral("taskMark"))
            plot->removeItem(i);
    // The task axis is the one with the task names: down the side or along the bottom.
    const bool down = qSharedPointerDynamicCast<CategoryTicker>(plot->yAxis->ticker()) != nullptr;
    if (!down && !qSharedPointerDynamicCast<CategoryTicker>(plot->xAxis->ticker()))
        return;
    const auto order = taskDrawOrder(r);
    QColor shade = plot->palette().color(QPalette::Highlight);
    shade.setAlpha(45);
    for (const int task : tasks) {
        const auto at = std::find(order.begin(), order.end(), task);
        if (at == order.end())
            continue;
        const double place = static_cast<double>(at - order.begin());
        auto* band = new QCPItemRect(plot);
        band->setObjectName(QStringLiteral("taskMark"));
        band->setLayer(QStringLiteral("grid")); // under the data
        band->setSelectable(false);
        band->setPen(Qt::NoPen);
        band->setBrush(shade);
        for (auto* corner : { band->topLeft, band->bottomRight }) {
            corner->setAxes(plot->xAxis, plot->yAxis);
            corner->setAxisRect(plot->axisRect());
            (down ? corner->setTypeX(QCPItemPosition::ptAxisRectRatio)
                  : corner->setTypeY(QCPItemPosition::ptAxisRectRatio));
        }
        const double from = place - 0.5;
        const double to = place + 0.5;
        if (down) {
            band->topLeft->setCoords(0.0, from);
            band->bottomRight->setCoords(1.0, to);
        } else {
            band->topLeft->setCoords(from, 0.0);
            band->bottomRight->setCoords(to, 1.0);
        }
    }
}

void drawForest(PlotView* plot, const report::ComparisonReport& r)
{
    plot->reset();
    const int n = static_cast<int>(r.tasks.size());
    // Two series so that significant tasks stand out: key = task row, value = drop.
    QCPGraph* series[kSeries];
    QCPErrorBars* bars[kSeries];
    for (int s = 0; s < kSeries; ++s) {
        series[s] = plot->addGraph(plot->yAxis, plot->xAxis);
        series[s]->setLineStyle(QCPGraph::lsNone);
        const QColor c = seriesColor(s);
        series[s]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, 8));
        bars[s] = new QCPErrorBars(plot->yAxis, plot->xAxis);
        bars[s]->setDataPlottable(series[s]);
        bars[s]->setPen(QPen(c, 1.5));
        bars[s]->setSelectable(QCP::stNone);
    }
    std::vector<int> rowTask[kSeries];
    double lo = 0;
    double hi = 0;
    const auto order = taskDrawOrder(r);
    for (int at = 0; at < n; ++at) {
        const int i = order[static_cast<std::size_t>(at)];
        const auto& t = r.tasks[static_cast<std::size_t>(i)];
        const double k = scaleOf(t);
        const int s = seriesOf(t);
        series[s]->addData(at, t.delta * k);
        bars[s]->addData(std::max(0.0, (t.delta - t.ciLow) * k), std::max(0.0, (t.ciHigh - t.delta) * k));
        rowTask[s].push_back(i);
        lo = std::min(lo, t.ciLow * k);
        hi = std::max(hi, t.ciHigh * k);
    }
    // With a margin, each task is judged by its one-sided upper bound (not the two-sided 95%
    // interval drawn): a small square marks it, so a bar that crosses the margin while its task is
    // within it reads right.
    if (r.hasMargin) {
        auto* bounds = plot->addGraph(plot->yAxis, plot->xAxis);
        bounds->setObjectName(QStringLiteral("upperBounds"));
        bounds->setLineStyle(QCPGraph::lsNone);
        const QColor ink = plot->palette().color(QPalette::WindowText);
        bounds->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, ink, ink, 7));
        bounds->setSelectable(QCP::stNone);
        for (int at = 0; at < n; ++at) {
            const auto& t = r.tasks[static_cast<std::size_t>(order[static_cast<std::size_t>(at)])];
            if (t.hasMargin && std::isfinite(t.upperBound)) {
                bounds->addData(at, t.upperBound * scaleOf(t));
                hi = std::max(hi, t.upperBound * scaleOf(t));
            }
        }
    }
    auto* zero = new QCPItemStraightLine(plot);
    zero->point1->setCoords(0, 0);
    zero->point2->setCoords(0, 1);
    zero->setPen(QPen(plot->palette().color(QPalette::WindowText), 1, Qt::DashLine));
    hi = std::max(hi, drawMargins(plot, r));
    plot->yAxis->setTicker(taskTicker(plot->yAxis, r, 40));
    plot->yAxis->setRange(-0.7, n - 0.3);
    plot->yAxis->setRangeReversed(true);
    const double pad = std::max(0.5, 0.08 * (hi - lo));
    plot->xAxis->setRange(lo - pad, hi + pad);
    const bool perplexity = std::any_of(
        r.tasks.begin(), r.tasks.end(), [](const report::TaskResult& t) { return !t.corpusMetric.empty(); });
    plot->xAxis->setLabel(
        QObject::tr("drop: baseline - candidate (points; raw units for continuous metrics%1)%2")
            .arg(perplexity ? QObject::tr("; nats per document for perplexities") : QString(),
                r.hasMargin ? QObject::tr("; dashed: margin; ■: the bound judged against it") : QString()));
    const QCPGraph* const seen[kSeries] = { series[0], series[1], series[2] };
    plot->setHoverText([&r, seen, rowTask](QCPAbstractPlottable* p, int i) {
        const int s = seriesIndex(seen, p);
        if (s < 0 || i < 0 || i >= static_cast<int>(rowTask[s].size()))
            return QString();
        const auto& t = r.tasks[static_cast<std::size_t>(rowTask[s][static_cast<std::size_t>(i)])];
        const bool pts = !t.continuous;
        return QObject::tr("%1\ndrop %2, 95% [%3, %4] (%5)\ndrop at most %6\np = %7 (Holm %8): %9")
            .arg(taskName(t), pts ? signedPoints(t.delta) : signedNumber(t.delta),
                pts ? signedPoints(t.ciLow) : signedNumber(t.ciLow),
                pts ? signedPoints(t.ciHigh) : signedNumber(t.ciHigh), QString::fromStdString(t.intervalMethod),
                pts ? signedPoints(t.upperBound) : signedNumber(t.upperBound), pText(t.pValue, t.lnP),
                pText(t.pHolm, t.lnPHolm), QString::fromUtf8(report::taskVerdictLabel(r, t)));
    });
    plot->setTaskOf([seen, rowTask](QCPAbstractPlottable* p, int i) {
        const int s = seriesIndex(seen, p);
        return s < 0 || i < 0 || i >= static_cast<int>(rowTask[s].size()) ? -1
                                                                          : rowTask[s][static_cast<std::size_t>(i)];
    });
    plot->applyPalette();
}

namespace {

// Tasks along the bottom while their names fit side by side; more run down the side, first at
// the top, so that every name reads across, like the drop per task.
struct TaskAxes {
    QCPAxis* key;
    QCPAxis* value;
    bool down;
};

TaskAxes taskAxes(PlotView* plot, int tasks)
{
    const bool down = tasks > 6;
    return { down ? plot->yAxis : plot->xAxis, down ? plot->xAxis : plot->yAxis, down };
}

void placeTasks(const TaskAxes& axes, const report::ComparisonReport& r)
{
    const int n = static_cast<int>(r.tasks.size());
    axes.key->setTicker(taskTicker(axes.key, r, axes.down ? 40 : 24));
    axes.key->setRange(-0.6, n - 0.4);
    axes.key->setRangeReversed(axes.down);
}

} // namespace

void drawPValues(PlotView* plot, const report::ComparisonReport& r)
{
    plot->reset();
    const int n = static_cast<int>(r.tasks.size());
    const TaskAxes axes = taskAxes(plot, n);
    QCPBars* bars[kSeries];
    std::vector<int> rowTask[kSeries];
    for (int s = 0; s < kSeries; ++s) {
        bars[s] = new QCPBars(axes.key, axes.value);
        const QColor c = seriesColor(s);
        bars[s]->setPen(QPen(c));
        QColor fill = c;
        fill.setAlpha(170);
        bars[s]->setBrush(fill);
        bars[s]->setWidth(0.7);
    }
    double top = 1;
    const auto order = taskDrawOrder(r);
    std::vector<double> heightAt(static_cast<std::size_t>(n), 0.0);
    for (int at = 0; at < n; ++at) {
        const int i = order[static_cast<std::size_t>(at)];
        const auto& t = r.tasks[static_cast<std::size_t>(i)];
        // From ln p: the bar stays right where p itself underflows.
        const double v = t.pValue > 0.0 ? -std::log10(t.pValue) : -t.lnP / std::log(10.0);
        heightAt[static_cast<std::size_t>(at)] = v;
        const int s = seriesOf(t);
        bars[s]->addData(at, v);
        rowTask[s].push_back(i);
        top = std::max(top, v);
    }
    const double alphaLine = -std::log10(r.alpha);
    const auto holm = report::holmThresholds(static_cast<std::size_t>(std::max(1, n)), r.alpha);
    const double strictest = -std::log10(holm.front());
    const QColor fg = plot->palette().color(QPalette::WindowText);
    bool first = true;
    const double valueTop = std::max(top, strictest) * 1.15;
    std::vector<std::tuple<double, QString, Qt::PenStyle>> lines { { alphaLine, QObject::tr("alpha = %1").arg(r.alpha),
        Qt::DashLine } };
    // With one task Holm's strictest threshold is alpha itself: one line, one label.
    if (n > 1)
        lines.emplace_back(strictest, QObject::tr("Holm, strictest: alpha/%1").arg(n), Qt::DotLine);
    // Upright bars: the lines' names over the end where the bar is lower (they cross fewer bars),
    // on a box of the background so that a bar under them does not hide them.
    const bool atRight = n > 1 && heightAt.back() < heightAt.front();
    QColor box = plot->palette().color(QPalette::Base);
    box.setAlpha(225);
    for (const auto& [v, text, style] : lines) {
        auto* line = new QCPItemStraightLine(plot);
        auto* l = label(plot, text, fg);
        l->setBrush(box);
        l->setPadding(QMargins(3, 1, 3, 1));
        if (axes.down) {
            // Across the tasks: alpha's name at the top, Holm's at the bottom, never on each other.
            line->point1->setCoords(v, 0);
            line->point2->setCoords(v, 1);
            l->position->setTypeX(QCPItemPosition::ptPlotCoords);
            l->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            l->position->setAxisRect(plot->axisRect());
            l->position->setCoords(v, first ? 0.0 : 1.0);
            // On the side of the line with the room.
            const bool left = v > 0.6 * valueTop;
            l->setPositionAlignment((left ? Qt::AlignRight : Qt::AlignLeft) | (first ? Qt::AlignTop : Qt::AlignBottom));
            l->setText(left ? QString(text + QLatin1Char(' ')) : QString(QLatin1Char(' ') + text));
        } else {
            line->point1->setCoords(0, v);
            line->point2->setCoords(1, v);
            l->position->setCoords(atRight ? n - 0.55 : -0.45, v);
            l->setPositionAlignment((atRight ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
        }
        line->setPen(QPen(fg, 1, style));
        first = false;
    }
    placeTasks(axes, r);
    axes.value->setRange(0, valueTop);
    axes.value->setLabel(QObject::tr("-log10 p (one-sided)"));
    const QCPBars* const seen[kSeries] = { bars[0], bars[1], bars[2] };
    plot->setHoverText([&r, seen, rowTask](QCPAbstractPlottable* p, int i) {
        const int s = seriesIndex(seen, p);
        if (s < 0 || i < 0 || i >= static_cast<int>(rowTask[s].size()))
            return QString();
        const auto& t = r.tasks[static_cast<std::size_t>(rowTask[s][static_cast<std::size_t>(i)])];
        return QObject::tr("%1\np = %2, Holm p = %3: %4")
            .arg(taskName(t), pText(t.pValue, t.lnP), pText(t.pHolm, t.lnPHolm),
                QString::fromUtf8(report::taskVerdictLabel(r, t)));
    });
    plot->setTaskOf([seen, rowTask](QCPAbstractPlottable* p, int i) {
        const int s = seriesIndex(seen, p);
        return s < 0 || i < 0 || i >= static_cast<int>(rowTask[s].size()) ? -1
                                                                          : rowTask[s][static_cast<std::size_t>(i)];
    });
    plot->applyPalette();
}

void drawFlips(PlotView* plot, const report::ComparisonReport& r)
{
    plot->reset();
    const int n = static_cast<int>(r.tasks.size());
    const TaskAxes axes = taskAxes(plot, n);
    auto* group = new QCPBarsGroup(plot);
    auto* b = new QCPBars(axes.key, axes.value);
    auto* c = new QCPBars(axes.key, axes.value);
    double top = 1;
    for (const auto& [bars, color, name] : { std::tuple { b, regressionColor(), QObject::tr("regressions (b)") },
             std::tuple { c, improvementColor(), QObject::tr("improvements (c)") } }) {
        bars->setPen(QPen(color));
        QColor fill = color;
        fill.setAlpha(170);
        bars->setBrush(fill);
        bars->setWidth(0.38);
        bars->setBarsGroup(group);
        bars->setName(name);
    }
    const auto order = taskDrawOrder(r);
    for (int at = 0; at < n; ++at) {
        const auto& t = r.tasks[static_cast<std::size_t>(order[static_cast<std::size_t>(at)])];
        b->addData(at, static_cast<double>(t.b));
        c->addData(at, static_cast<double>(t.c));
        top = std::max({ top, static_cast<double>(t.b), static_cast<double>(t.c) });
    }
    plot->showLegendAbove();
    placeTasks(axes, r);
    axes.value->setRange(0, top * 1.15);
    axes.value->setLabel(QObject::tr("discordant pairs"));
    plot->setHoverText([&r, order](QCPAbstractPlottable*, int i) {
        if (i < 0 || i >= static_cast<int>(r.tasks.size()))
            return QString();
        const auto& t = r.tasks[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])];
        return QObject::tr("%1\n%2 regressions, %3 improvements (of %4 pairs)")
            .arg(taskName(t))
            .arg(t.b)
            .arg(t.c)
            .arg(t.n);
    });
    plot->setTaskOf(
        [n, order](QCPAbstractPlottable*, int i) { return i >= 0 && i < n ? order[static_cast<std::size_t>(i)] : -1; });
    plot->applyPalette();
}

void drawPower(PlotView* plot, PowerPlan& plan)
{
    plot->reset();
    stats::PowerQuery q;
    q.alpha = plan.alpha;
    q.power = plan.power;
    q.flipRate = std::max(plan.flipRate, 1e-6);
    plan.neededN = plan.targetDrop > 0 ? stats::samplesNeeded(plan.targetDrop, q) : 0;
    plan.detectableNow = plan.currentN > 0 ? stats::minimumDetectableDrop(plan.currentN, q) : 0.0;
    const std::int64_t nMax = std::max<std::int64_t>({ 1000, plan.currentN * 20, plan.neededN * 2 });
    const auto curve = report::powerCurve(q.flipRate, plan.alpha, plan.power, 10, nMax, 200);
    auto* g = plot->addGraph();
    // Where the curve would pass the flip rate no sample of that size detects anything: a drop is
    // at most the share of pairs that flip.
    QVector<double> xs;
    QVector<double> ys;
    for (std::size_t i = 0; i < curve.n.size() && i < curve.drop.size(); ++i)
        if (curve.drop[i] <= q.flipRate) {
            xs.push_back(static_cast<double>(curve.n[i]));
            ys.push_back(100.0 * curve.drop[i]);
        }
    g->setData(xs, ys, true);
    g->setPen(QPen(verdictColor(false), 2));
    g->setName(QObject::tr("minimum detectable drop"));
    const QColor fg = plot->palette().color(QPalette::WindowText);
    // The two labels sit where the curve is not: "now" at the top of its vertical line (the curve
    // is lower to its right), the target at the right end of its horizontal line.
    if (plan.currentN > 0) {
        auto* now = new QCPItemStraightLine(plot);
        now->point1->setCoords(static_cast<double>(plan.currentN), 0);
        now->point2->setCoords(static_cast<double>(plan.currentN), 1);
        now->setPen(QPen(fg, 1, Qt::DashLine));
        auto* l = label(plot,
            plan.detectableNow <= q.flipRate
                ? QObject::tr(" now: n = %1, detects %2").arg(plan.currentN).arg(signedPoints(plan.detectableNow))
                : QObject::tr(" now: n = %1, too few to detect a drop").arg(plan.currentN),
            fg);
        l->setObjectName(QStringLiteral("nowLabel"));
        l->position->setTypeX(QCPItemPosition::ptPlotCoords);
        l->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        l->position->setAxisRect(plot->axisRect());
        l->position->setCoords(static_cast<double>(plan.currentN), 0.02);
        // On the side of the line with the room (the n axis is logarithmic).
        const double across
            = std::log(static_cast<double>(plan.currentN) / 10.0) / std::log(static_cast<double>(nMax) / 10.0);
        if (across > 0.6)
            l->setText(l->text().trimmed() + QLatin1Char(' '));
        l->setPositionAlignment((across > 0.6 ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
    }
    if (plan.targetDrop > 0) {
        auto* target = new QCPItemStraightLine(plot);
        target->point1->setCoords(1, 100.0 * plan.targetDrop);
        target->point2->setCoords(2, 100.0 * plan.targetDrop);
        target->setPen(QPen(regressionColor(), 1, Qt::DotLine));
        auto* l = label(plot, QObject::tr("target %1: n = %2 ").arg(signedPoints(plan.targetDrop)).arg(plan.neededN),
            regressionColor());
        l->setObjectName(QStringLiteral("targetLabel"));
        l->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        l->position->setTypeY(QCPItemPosition::ptPlotCoords);
        l->position->setAxisRect(plot->axisRect());
        l->position->setCoords(0.99, 100.0 * plan.targetDrop);
        // Below the line when it runs near the top, where the "now" label is.
        const double top = std::min(100.0, ys.isEmpty() ? 10.0 : ys.front() * 1.05);
        l->setPositionAlignment(
            Qt::AlignRight | (100.0 * plan.targetDrop > 0.8 * top ? Qt::AlignTop : Qt::AlignBottom));
    }
    plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    // Sample counts written out in full on every tick (not "100000" beside "10⁶").
    plot->xAxis->setNumberFormat(QStringLiteral("f"));
    plot->xAxis->setNumberPrecision(0);
    plot->xAxis->setRange(10, static_cast<double>(nMax));
    plot->yAxis->setRange(0, std::min(100.0, ys.isEmpty() ? 10.0 : ys.front() * 1.05));
    plot->xAxis->setLabel(
        QObject::tr("paired samples n (flip rate %1, power %2)").arg(percent(plan.flipRate), percent(plan.power)));
    plot->yAxis->setLabel(QObject::tr("detectable drop (points)"));
    plot->setHoverText([g](QCPAbstractPlottable* p, int i) {
        if (p != g || i < 0 || i >= g->dataCount())
            return QString();
        const auto it = g->data()->at(i);
        return QObject::tr("n = %1: drops of %2 points or more are detected")
            .arg(qRound64(it->key))
            .arg(it->value, 0, 'f', 2);
    });
    plot->applyPalette();
}

} // namespace deltascope::ui
