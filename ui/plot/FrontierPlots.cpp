// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/FrontierPlots.h"

#include "common/Format.h"
#include "frontier/MatrixTableModel.h"
#include "plot/PlotView.h"

#include <QHash>
#include <QSet>
#include <algorithm>
#include <cmath>
#include <map>

namespace deltascope::ui {

// The candidates' names without the start they all share ("Mixtral-8x7B-Instruct-xshare-M2" and
// "...-M4" are "M2" and "M4" beside their points), cut at a separator so no word is split.
QStringList frontierPointNames(const QStringList& names)
{
    if (names.size() < 2)
        return names;
    // The start, cut after a separator, that the most names share, the longest of those; more than
    // half of the names must share it (so one renamed candidate does not bring back every other
    // one's long name). Those names drop it; the others stay whole.
    const QString separators = QStringLiteral("-_/ .:");
    QString shared;
    qsizetype sharedBy = 0;
    for (const QString& n : names)
        for (qsizetype end = 1; end < n.size(); ++end) {
            if (!separators.contains(n[end - 1]))
                continue;
            const QStringView start = QStringView(n).left(end);
            qsizetype count = 0;
            for (const QString& other : names)
                count += other.startsWith(start) ? 1 : 0;
            if (count >= 2 && 2 * count > names.size()
                && (count > sharedBy || (count == sharedBy && end > shared.size()))) {
                shared = start.toString();
                sharedBy = count;
            }
        }
    if (shared.isEmpty())
        return names;
    QStringList out;
    for (const QString& n : names) {
        if (n.startsWith(shared) && n.size() == shared.size())
            return names; // one name is all that start: keep them whole
        out << (n.startsWith(shared) ? n.mid(shared.size()) : n);
    }
    // A kept name that equals a shortened one would make two points look alike.
    if (QSet<QString>(out.begin(), out.end()).size() != out.size())
        return names;
    return out;
}

void drawFrontier(PlotView* plot, const FrontierPlotInput& in)
{
    plot->reset();
    plot->showLegendAbove(); // never over a point
    const double scale = in.continuous ? 1.0 : 100.0;
    // One curve per verdict (curves keep the order the points are added in, so data index i is the
    // i-th candidate added).
    std::map<std::string, std::vector<const analysis::FrontierPlotPoint*>> byVerdict;
    for (const auto& p : in.points)
        byVerdict[p.verdict].push_back(&p);
    auto index = std::make_shared<QHash<QCPAbstractPlottable*, QVector<int>>>();
    double lo = 0.0, hi = 0.0, left = 0.0, right = 0.0;
    bool first = true;
    for (const auto& [verdict, points] : byVerdict) {
        const QColor colour = MatrixTableModel::verdictColour(verdict);
        auto* curve = new QCPCurve(plot->xAxis, plot->yAxis);
        curve->setName(MatrixTableModel::verdictText(verdict));
        curve->setLineStyle(QCPCurve::lsNone);
        curve->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 9));
        auto* bars = new QCPErrorBars(plot->xAxis, plot->yAxis);
        bars->removeFromLegend();
        bars->setDataPlottable(curve);
        bars->setPen(QPen(colour, 1.5));
        QVector<double> t, x, y, minus, plus;
        QVector<int> candidates;
        for (const auto* p : points) {
            t << static_cast<double>(t.size());
            x << p->cost;
            y << p->drop * scale;
            minus << (p->drop - p->ciLow) * scale;
            plus << (p->ciHigh - p->drop) * scale;
            candidates << p->candidate;
            if (first) {
                lo = p->ciLow * scale, hi = p->ciHigh * scale, left = right = p->cost;
                first = false;
            }
            lo = std::min(lo, p->ciLow * scale);
            hi = std::max(hi, p->ciHigh * scale);
            left = std::min(left, p->cost);
            right = std::max(right, p->cost);
        }
        curve->setData(t, x, y, true);
        bars->setData(minus, plus);
        index->insert(curve, candidates);
    }
    // The Pareto front: its points joined in cost order.
    std::vector<const analysis::FrontierPlotPoint*> front;
    for (const auto& p : in.points)
        if (p.pareto)
            front.push_back(&p);
    std::sort(front.begin(), front.end(), [](auto* a, auto* b) { return a->cost < b->cost; });
    if (front.size() > 1) {
        auto* line = new QCPCurve(plot->xAxis, plot->yAxis);
        line->setName(QObject::tr("Pareto front"));
        QVector<double> t, x, y;
        for (const auto* p : front) {
            t << static_cast<double>(t.size());
            x << p->cost;
            y << p->drop * scale;
        }
        line->setData(t, x, y, true);
        line->setPen(QPen(plot->palette().color(QPalette::WindowText), 1.2, Qt::DashLine));
        line->setSelectable(QCP::stNone);
        line->setLayer(QStringLiteral("background"));
    }
    // The no-change line.
    auto* zero = new QCPItemStraightLine(plot);
    zero->point1->setCoords(0, 0);
    zero->point2->setCoords(1, 0);
    QColor grey = plot->palette().color(QPalette::WindowText);
    grey.setAlpha(90);
    zero->setPen(QPen(grey, 1));
    zero->setSelectable(false);

    // Shorter labels where the plot is small: the task is also in the box above the plot.
    const QString direction = in.higherIsBetter ? QObject::tr("higher is cheaper") : QObject::tr("lower is cheaper");
    plot->setFittingLabel(plot->xAxis, { QStringLiteral("%1 (%2)").arg(in.costLabel, direction), in.costLabel });
    const QString unit = in.continuous ? QObject::tr("metric units") : QObject::tr("points");
    plot->setFittingLabel(plot->yAxis,
        { QObject::tr("drop on %1 (%2; up is worse)").arg(in.task, unit),
            QObject::tr("drop (%1; up is worse)").arg(unit), QObject::tr("drop (%1)").arg(unit) });
    if (in.margin >= 0.0) {
        // What the margin is tested against: each drop's one-sided upper bound, a hollow square
        // (the whiskers are the two-sided 95% interval, which may cross the margin while the bound
        // stays below it).
        QVector<double> t, x, y;
        for (const auto& p : in.points)
            if (std::isfinite(p.upper)) {
                t << static_cast<double>(t.size());
                x << p.cost;
                y << p.upper * scale;
                hi = std::max(hi, p.upper * scale);
            }
        if (!x.isEmpty()) {
            auto* bounds = new QCPCurve(plot->xAxis, plot->yAxis);
            bounds->setName(QObject::tr("upper bound (tested against the margin)"));
            bounds->setObjectName(QStringLiteral("upperBounds"));
            bounds->setLineStyle(QCPCurve::lsNone);
            bounds->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssSquare, plot->palette().color(QPalette::WindowText), 7));
            bounds->setSelectable(QCP::stNone);
            bounds->setData(t, x, y, true);
        }
        // The margin a "no worse" claim is made against.
        auto* margin = new QCPItemStraightLine(plot);
        margin->point1->setCoords(0, in.margin * scale);
        margin->point2->setCoords(1, in.margin * scale);
        margin->setPen(QPen(QColor(0xd0, 0x8a, 0x00), 1.5, Qt::DashLine));
        margin->setSelectable(false);
        auto* label = new QCPItemText(plot);
        label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        label->position->setTypeY(QCPItemPosition::ptPlotCoords);
        label->position->setCoords(0.01, in.margin * scale);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setText(QObject::tr("margin"));
        label->setColor(QColor(0xd0, 0x8a, 0x00));
        label->setSelectable(false);
        hi = std::max(hi, in.margin * scale);
    }
    // Each point named beside it (up to a dozen; past that the Pareto front's only, and hovering
    // names the rest), so the plot reads without the table.
    const std::size_t named = std::count_if(in.points.begin(), in.points.end(), [](const auto& p) { return p.pareto; });
    const QStringList labels = frontierPointNames(in.names);
    const bool nameAll = in.points.size() <= 12;
    for (const auto& p : in.points) {
        if (!(nameAll || (p.pareto && named <= 12)) || p.candidate < 0 || p.candidate >= in.names.size())
            continue;
        auto* name = new QCPItemText(plot);
        name->setObjectName(QStringLiteral("pointName"));
        name->position->setCoords(p.cost, p.drop * scale);
        // Points in the right third are named to their left, so the name stays inside the plot.
        const bool toLeft = right > left && p.cost > left + 0.66 * (right - left);
        name->setPositionAlignment((toLeft ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
        name->setPadding(toLeft ? QMargins(0, 0, 6, 2) : QMargins(6, 0, 0, 2));
        name->setText(labels[p.candidate]);
        name->setLayer(QStringLiteral("grid")); // under the points: a click on a point reaches the point
        name->setColor(MatrixTableModel::verdictColour(p.verdict).darker(130));
        name->setSelectable(false);
    }
    // Candidates compared but without this cost are not points: said in a corner, not dropped silently.
    QStringList unplotted;
    for (int c = 0; c < in.names.size(); ++c)
        if (std::none_of(in.points.begin(), in.points.end(), [c](const auto& p) { return p.candidate == c; }))
            unplotted << in.names[c];
    if (!unplotted.isEmpty()) {
        auto* note = new QCPItemText(plot);
        note->setObjectName(QStringLiteral("unplotted"));
        note->position->setType(QCPItemPosition::ptAxisRectRatio);
        note->position->setCoords(0.99, 0.99);
        note->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        const QString listed = unplotted.size() <= 4
            ? unplotted.join(QStringLiteral(", "))
            : QObject::tr("%1 and %2 more")
                  .arg(unplotted.mid(0, 3).join(QStringLiteral(", ")), QString::number(unplotted.size() - 3));
        note->setText(QObject::tr("Not plotted (no %1): %2").arg(in.costLabel, listed));
        note->setColor(plot->palette().color(QPalette::PlaceholderText));
        note->setSelectable(false);
    }
    const double padX = right > left ? 0.08 * (right - left) : std::max(1.0, 0.1 * std::abs(left));
    const double padY = hi > lo ? 0.1 * (hi - lo) : 1.0;
    plot->xAxis->setRange(left - padX, right + padX);
    plot->yAxis->setRange(std::min(lo, 0.0) - padY, std::max(hi, 0.0) + padY);
    plot->legend->setVisible(!in.points.empty());

    const QStringList names = in.names;
    const bool continuous = in.continuous;
    std::vector<analysis::FrontierPlotPoint> points = in.points;
    const auto candidateAt = [index](QCPAbstractPlottable* p, int i) {
        const auto it = index->constFind(p);
        return it == index->constEnd() || i < 0 || i >= it->size() ? -1 : it->at(i);
    };
    plot->setTaskOf(candidateAt);
    plot->setHoverText([candidateAt, names, points, continuous, scale](QCPAbstractPlottable* p, int i) {
        const int c = candidateAt(p, i);
        const auto it = std::find_if(points.begin(), points.end(), [c](const auto& q) { return q.candidate == c; });
        if (c < 0 || it == points.end())
            return QString();
        const auto fmt = [&](double v) { return continuous ? number(v) : QString::number(v * scale, 'f', 2); };
        const QString bound = std::isfinite(it->upper)
            ? QObject::tr("<br>upper bound %1%2").arg(fmt(it->upper), continuous ? QString() : QObject::tr(" pts"))
            : QString();
        return QObject::tr("<b>%1</b><br>cost %2<br>drop %3 [%4, %5]%6%7<br>%8<br><i>click to open the comparison</i>")
            .arg(c < names.size() ? names[c].toHtmlEscaped() : QString::number(c), number(it->cost), fmt(it->drop),
                fmt(it->ciLow), fmt(it->ciHigh), continuous ? QString() : QObject::tr(" pts"), bound,
                MatrixTableModel::verdictText(it->verdict)
                    + (it->pareto ? QObject::tr(", on the Pareto front") : QString()));
    });
    plot->applyPalette();
}

} // namespace deltascope::ui
