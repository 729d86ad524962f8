// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/TaskTableModel.h"

#include "common/Format.h"
#include "report/Verdict.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>
#include <algorithm>
#include <cmath>
#include <iterator>

namespace deltascope::ui {

TaskTableModel::TaskTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

void TaskTableModel::setComparison(ComparisonPtr c)
{
    beginResetModel();
    m_comparison = std::move(c);
    endResetModel();
}

int TaskTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_comparison ? 0 : static_cast<int>(m_comparison->report.tasks.size());
}

int TaskTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TaskTableModel::issuesText(const report::TaskResult& t)
{
    QStringList parts;
    if (t.unmatchedBase + t.unmatchedCand > 0)
        parts << tr("%1 unmatched").arg(t.unmatchedBase + t.unmatchedCand);
    if (t.duplicates > 0)
        parts << tr("%1 duplicated").arg(t.duplicates);
    if (t.hashMismatches > 0)
        parts << tr("%1 hash mismatches").arg(t.hashMismatches);
    if (t.missingScores > 0)
        parts << tr("%1 without a score").arg(t.missingScores);
    return parts.join(QStringLiteral(", "));
}

QString TaskTableModel::flagText(report::TaskFlag flag)
{
    return QString::fromUtf8(report::flagLabel(flag)); // the words of every output (report/Verdict.h)
}

namespace {

// A corpus metric (perplexity) is tested on each document's log-likelihood: its drop, interval and
// bound are in those units (nats per document), not in the metric's own, and say so.
QString corpusUnits(const report::TaskResult& t)
{
    return t.corpusMetric.empty() ? QString() : TaskTableModel::tr(" nats/doc");
}

// "≤ " before a permutation p that no permutation reached: it is the smallest p that many
// permutations can give, and the true p may be smaller still.
QString atFloor(const report::TaskResult& t)
{
    return t.monteCarlo && t.pMcLow == 0.0 ? QStringLiteral("≤ ") : QString();
}

QString pText(double p, double lnP)
{
    return QString::fromStdString(report::formatP(p, lnP));
}

QString mcBound(double p)
{
    return p > 0.0 ? pText(p, std::log(p)) : QStringLiteral("0");
}

// Worse first, then suggestive, ok, no pairs.
int flagRank(report::TaskFlag flag)
{
    switch (flag) {
    case report::TaskFlag::Worse:
        return 0;
    case report::TaskFlag::Suggestive:
        return 1;
    case report::TaskFlag::Ok:
        return 2;
    case report::TaskFlag::NoPairs:
        break;
    }
    return 3;
}

// A non-inferiority cell: the margin as given, its p, or the samples needed; empty without a margin.
QString marginCell(const report::TaskResult& t, int column)
{
    if (!t.hasMargin)
        return {};
    switch (column) {
    case TaskTableModel::Margin:
        if (!t.continuous)
            return QStringLiteral("%1 pts").arg(QString::number(100.0 * t.margin, 'g', 4));
        if (t.marginRelative)
            return QStringLiteral("%1%").arg(QString::number(100.0 * t.margin, 'g', 4));
        return number(t.margin);
    case TaskTableModel::NonInferiorityP:
        return pText(t.pNonInferiority, std::log(t.pNonInferiority));
    default:
        return t.samplesNeeded < 0 ? TaskTableModel::tr("none would do")
                                   : QLocale().toString(qlonglong(t.samplesNeeded));
    }
}

} // namespace

QStringList TaskTableModel::notes(const report::ComparisonReport& r, const report::TaskResult& t)
{
    QStringList lines;
    if (!t.intervalMethod.empty())
        lines << tr("95% interval: %1").arg(QString::fromStdString(t.intervalMethod));
    if (t.n > 0)
        lines << tr("one-sided %1% upper bound: drop ≤ %2")
                     .arg(100.0 * (1.0 - r.alpha), 0, 'g', 4)
                     .arg(t.continuous ? signedNumber(t.upperBound) : signedPoints(t.upperBound));
    if (t.monteCarlo)
        lines << (t.exhaustive ? tr("p exact: every sign pattern enumerated")
                               : tr("p from %1 sign-flip permutations, 99% Monte Carlo interval [%2, %3]")
                                     .arg(QLocale().toString(qulonglong(r.permutation.permutations)), mcBound(t.pMcLow),
                                         mcBound(t.pMcHigh)));
    if (!t.corpusMetric.empty())
        lines << tr("%1 %2 vs %3, as lm-eval aggregates it; tested on per-document log-likelihood (the units of "
                    "the drop and its interval)")
                     .arg(QString::fromStdString(t.corpusMetric), number(t.corpusBase), number(t.corpusCand));
    if (t.worstBase + t.worstCand > 0)
        lines << tr("%1 baseline and %2 candidate samples with an infinitely bad score, kept as the worst score")
                     .arg(t.worstBase)
                     .arg(t.worstCand);
    if (t.audit)
        lines << tr("samples the keep-list excluded, tested on their own so that a regression there is seen");
    if (report::fewDiffer(t) && t.b + t.c == 0)
        lines << (t.hasMargin ? tr("no pair differs: the interval, the upper bound and the margin test are "
                                   "large-sample approximations and say little when no pair differs (the p-value is "
                                   "exact)")
                              : tr("no pair differs: the interval and the upper bound are large-sample approximations "
                                   "and say little when no pair differs (the p-value is exact)"));
    else if (report::fewDiffer(t))
        lines << (t.hasMargin ? tr("only %1: the interval, the upper bound and the margin test are large-sample "
                                   "approximations that can overstate the evidence at so few (the p-value is exact)")
                              : tr("only %1: the interval and the upper bound are large-sample approximations that "
                                   "can overstate the evidence at so few (the p-value is exact)"))
                     .arg(tr("%n pair(s) differ", "", int(t.b + t.c)));
    return lines;
}

// The value a column sorts on: a number (ln p where p underflows), or the name.
QVariant TaskTableModel::sortValue(const report::TaskResult& t, int column)
{
    const bool corpus = !t.corpusMetric.empty();
    switch (column) {
    case Task:
        return QString::fromStdString(t.key());
    case Filter:
        return QString::fromStdString(t.filter);
    case Metric:
        return QString::fromStdString(t.metric);
    case N:
        return qlonglong(t.n);
    case Baseline:
        return corpus ? t.corpusBase : t.accBase;
    case Candidate:
        return corpus ? t.corpusCand : t.accCand;
    case Drop:
    case Interval:
        return t.delta;
    case UpperBound:
        return t.upperBound;
    case Margin:
        return t.hasMargin ? t.margin : -1.0;
    case NonInferiorityP:
        return t.hasMargin ? t.pNonInferiority : 2.0;
    case SamplesNeeded:
        return qlonglong(t.hasMargin ? t.samplesNeeded : -2);
    case NoiseFlips:
        return qlonglong(t.noiseFlips);
    case Cluster:
        return t.cluster.designEffect;
    case Regressions:
        return qlonglong(t.b);
    case Improvements:
        return qlonglong(t.c);
    case PValue:
        return t.lnP; // ln p keeps the order where p underflows
    case HolmP:
        return t.lnPHolm;
    case Verdict:
        return flagRank(t.flag) * 10000.0 + std::max(t.lnP, -1e6) / 1000.0; // by flag, then by p
    case Issues:
        return qlonglong(t.unmatchedBase + t.unmatchedCand + t.duplicates + t.hashMismatches + t.missingScores);
    }
    return {};
}

// What a cell shows.
bool TaskTableModel::marginDecides(const report::TaskResult& t)
{
    // With a margin, a task not shown worse is either shown within it or not: the claim of the
    // whole comparison waits on the second kind.
    return t.hasMargin && t.flag == report::TaskFlag::Ok && t.n > 0;
}

QVariant TaskTableModel::displayValue(const report::TaskResult& t, int column)
{
    const bool points = !t.continuous;
    const bool corpus = !t.corpusMetric.empty();
    switch (column) {
    case Task:
        return QString(QString::fromStdString(t.task) + (t.audit ? tr(" (excluded by the keep-list)") : QString()));
    case Filter:
        return QString::fromStdString(t.filter);
    case Metric:
        return QString(
            QString::fromStdString(corpus ? t.corpusMetric : t.metric) + (t.continuous ? tr(" (cont.)") : QString()));
    case N:
        return QLocale().toString(qlonglong(t.n));
    case Baseline:
        return corpus ? number(t.corpusBase) : (points ? percent(t.accBase) : number(t.accBase));
    case Candidate:
        return corpus ? number(t.corpusCand) : (points ? percent(t.accCand) : number(t.accCand));
    case Drop:
        return points ? signedPoints(t.delta) : QString(signedNumber(t.delta) + corpusUnits(t));
    case Interval:
        // No interval when the pairs never differ in spread (a run against itself, one pair).
        if (!std::isfinite(t.ciLow) || !std::isfinite(t.ciHigh))
            return t.n == 0 ? QString() : tr("none (no spread)");
        // The unit once, after the bracket: the column stays narrow enough for p beside it.
        return points
            ? QStringLiteral("[%1, %2] pts").arg(signedPoints(t.ciLow).chopped(4), signedPoints(t.ciHigh).chopped(4))
            : QString(QStringLiteral("[%1, %2]").arg(signedNumber(t.ciLow), signedNumber(t.ciHigh)) + corpusUnits(t));
    case UpperBound:
        if (t.n == 0)
            return QString();
        if (!std::isfinite(t.upperBound))
            return tr("none");
        return QString(QStringLiteral("≤ %1").arg(points ? signedPoints(t.upperBound) : signedNumber(t.upperBound))
            + corpusUnits(t));
    case Margin:
    case NonInferiorityP:
    case SamplesNeeded:
        return marginCell(t, column);
    case NoiseFlips:
        return t.noiseFlips < 0
            ? QString()
            : tr("%1 vs %2").arg(QLocale().toString(qlonglong(t.b + t.c)), QLocale().toString(qlonglong(t.noiseFlips)));
    case Cluster:
        return t.cluster.key.empty() ? QString()
                                     : tr("%1 / %2").arg(QLocale().toString(qlonglong(t.cluster.clusters)),
                                         QString::number(t.cluster.designEffect, 'f', 2));
    case Regressions:
        return QLocale().toString(qlonglong(t.b));
    case Improvements:
        return QLocale().toString(qlonglong(t.c));
    case PValue:
        return QString(atFloor(t) + pText(t.pValue, t.lnP));
    case HolmP:
        return QString(atFloor(t) + pText(t.pHolm, t.lnPHolm));
    case Verdict:
        return flagText(t.flag);
    case Issues:
        return issuesText(t);
    }
    return {};
}

QVariant TaskTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_comparison || index.row() >= rowCount())
        return {};
    const auto& r = m_comparison->report;
    const auto& t = r.tasks[static_cast<std::size_t>(index.row())];
    const bool worse = t.flag == report::TaskFlag::Worse;
    const bool suggestive = t.flag == report::TaskFlag::Suggestive;
    switch (role) {
    case TaskIndexRole:
        return index.row();
    case SignificantRole:
        return worse;
    case FlagRole:
        return static_cast<int>(t.flag);
    case SortRole:
        return sortValue(t, index.column());
    case Qt::DisplayRole:
        if (index.column() == Verdict)
            return QString::fromUtf8(report::taskVerdictLabel(r, t));
        return displayValue(t, index.column());
    case Qt::ToolTipRole: {
        if (index.column() == Issues || index.column() == Task) {
            QStringList lines = notes(r, t);
            for (const auto& w : t.warnings)
                lines << QString::fromStdString(w.toString());
            return lines.isEmpty() ? QVariant() : QVariant(lines.join(QLatin1Char('\n')));
        }
        if (index.column() == Interval || index.column() == UpperBound || index.column() == Drop
            || index.column() == Baseline || index.column() == Candidate || index.column() == PValue)
            return notes(r, t).join(QLatin1Char('\n'));
        if (index.column() == Verdict) {
            switch (t.flag) {
            case report::TaskFlag::Worse:
                return tr("The comparison is degraded and this task's Holm-adjusted p is below alpha = %1: the "
                          "candidate is worse on this task")
                    .arg(r.alpha);
            case report::TaskFlag::Suggestive:
                return tr("This task's own p is below alpha = %1, but that alone does not decide the comparison "
                          "(%2)")
                    .arg(r.alpha)
                    .arg(r.degraded ? tr("its Holm-adjusted p is not below alpha")
                                    : tr("the comparison is not degraded"));
            case report::TaskFlag::NoPairs:
                return tr("No paired samples to test");
            case report::TaskFlag::Ok:
                break;
            }
            if (marginDecides(t))
                return report::withinMargin(r, t)
                    ? tr("Shown no worse than its margin: p (no worse) = %1 is below alpha = %2")
                          .arg(QString::fromStdString(report::formatP(t.pNonInferiority, std::log(t.pNonInferiority))))
                          .arg(r.alpha)
                    : tr("Not shown within its margin: p (no worse) = %1 is not below alpha = %2, so this task keeps "
                         "the comparison from being called no worse than the margin")
                          .arg(QString::fromStdString(report::formatP(t.pNonInferiority, std::log(t.pNonInferiority))))
                          .arg(r.alpha);
            return tr("Not shown to be worse at alpha = %1; the drop is at most the upper bound").arg(r.alpha);
        }
        return {};
    }
    case Qt::TextAlignmentRole:
        switch (index.column()) {
        case Task:
        case Filter:
        case Verdict:
        case Metric:
        case Issues:
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        default:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        }
    case Qt::ForegroundRole:
        if (index.column() == Verdict) {
            if (worse)
                return QBrush(verdictColor(true));
            if (suggestive)
                return QBrush(warningColor());
            if (marginDecides(t) && report::withinMargin(r, t))
                return QBrush(improvementColor());
            return QBrush(QGuiApplication::palette().color(QPalette::PlaceholderText));
        }
        if (index.column() == Issues && !issuesText(t).isEmpty())
            return QBrush(warningColor());
        return {};
    case Qt::FontRole:
        if (index.column() == Verdict && (worse || suggestive)) {
            QFont f;
            f.setBold(worse);
            f.setItalic(suggestive);
            return f;
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == Verdict)
            return worse ? verdictColor(true) : (suggestive ? warningColor() : verdictColor(false));
        return {};
    }
    return {};
}

bool TaskTableModel::columnHasContent(const report::ComparisonReport& r, int column)
{
    const auto any = [&r](auto pred) { return std::any_of(r.tasks.begin(), r.tasks.end(), pred); };
    switch (column) {
    case Margin:
    case NonInferiorityP:
    case SamplesNeeded:
        return any([](const report::TaskResult& t) { return t.hasMargin; });
    case NoiseFlips:
        return any([](const report::TaskResult& t) { return t.noiseFlips >= 0; });
    case Cluster:
        return any([](const report::TaskResult& t) { return !t.cluster.key.empty(); });
    case Filter:
        // lm-eval names "no filter" none; runs of other tools have none at all.
        return any([](const report::TaskResult& t) { return !t.filter.empty() && t.filter != "none"; });
    default:
        return true;
    }
}

QString TaskTableModel::columnDefinition(int column)
{
    switch (column) {
    case Task:
        return tr("The task (lm-eval task, Inspect task, HELM scenario or table name); hover a row for what its "
                  "numbers rest on");
    case Verdict:
        // The words as every output writes them, whatever they are.
        return tr("%1: the comparison is degraded and this task's Holm-adjusted p is below alpha; %2: its own p is "
                  "below alpha, which alone does not decide; %3: not shown to be worse (not the same as shown to "
                  "be equal: read \"Drop at most\")")
            .arg(flagText(report::TaskFlag::Worse), flagText(report::TaskFlag::Suggestive),
                flagText(report::TaskFlag::Ok));
    case Filter:
        return tr("lm-eval's answer filter (e.g. strict-match, flexible-extract); each filter is tested as its own "
                  "task");
    case Drop:
        return tr("Baseline minus candidate: accuracy points for binary metrics, metric units for continuous ones; "
                  "positive means the candidate is worse. For binary metrics drop = (b - c) / n");
    case Interval:
        return tr("95% interval of the drop: Tango's score interval for binary metrics (it accounts for the flip "
                  "rate and exists even with no flips), a Student t interval of the mean difference for continuous "
                  "ones");
    case PValue:
        return tr("One-sided p that the candidate is worse: exact McNemar test on b and c for binary metrics, "
                  "P[Bin(b + c, 1/2) >= b]; a sign-flip permutation test for continuous ones (its Monte Carlo "
                  "interval is in the row's tooltip)");
    case HolmP:
        return tr("p adjusted by Holm's step-down correction for testing every task of the comparison: a task is "
                  "flagged worse only when this is below alpha");
    case UpperBound:
        return tr("One-sided upper confidence bound of the drop at 1 - alpha: the largest drop the data still "
                  "allow. \"No evidence of degradation\" is not \"no loss\"");
    case Margin:
        return tr("The drop this task must be shown to stay below (--margin): points for binary metrics, metric "
                  "units or a percentage of the corpus metric for continuous ones");
    case NonInferiorityP:
        return tr("p of \"the drop is at least the margin\" (Tango's score test; sign-flip for continuous "
                  "metrics): below alpha, the task is no worse than its margin");
    case SamplesNeeded:
        return tr("Pairs needed for 80% power of the no-worse-than-the-margin test at the observed drop; \"none "
                  "would do\" when the observed drop is at or above the margin");
    case N:
        return tr("Paired samples: those present in both runs (matched on task, doc id and filter)");
    case Baseline:
        return tr("The baseline's score on the paired samples: accuracy for binary metrics, the mean (or the corpus "
                  "metric as lm-eval aggregates it) for continuous ones");
    case Candidate:
        return tr("The candidate's score on the paired samples, as for the baseline");
    case Regressions:
        return tr("b: pairs the baseline got right and the candidate got wrong (regressions)");
    case Improvements:
        return tr("c: pairs the baseline got wrong and the candidate got right (improvements). The flip rate is "
                  "(b + c) / n");
    case NoiseFlips:
        return tr("The candidate's flips (b + c) beside the flips between the first two baseline runs: flips of the "
                  "order of this noise say little");
    case Cluster:
        return tr("Clusters (whole clusters are flipped in the sign-flip test) and the design effect: how much "
                  "clustering inflates the variance (1: none; below 1, changes cancel within clusters; 0: every "
                  "cluster's changes cancel out)");
    case Metric:
        return tr("The per-sample metric tested (cont.: continuous, tested by sign-flip permutations)");
    case Issues:
        return tr("Samples that could not be paired: unmatched ids, duplicated ids, differing prompt hashes, "
                  "missing scores (hover a row for details)");
    default:
        return {};
    }
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        static const char* names[] = { "Task", "Verdict", "Filter", "Drop", "95% interval", "p", "p (Holm)",
            "Drop at most", "Margin", "p (no worse)", "Samples needed", "n", "Baseline", "Candidate", "b (worse)",
            "c (better)", "b + c vs noise", "Clusters / design effect", "Metric", "Pairing issues" };
        static_assert(std::size(names) == ColumnCount);
        return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
    }
    if (role == Qt::ToolTipRole)
        return section >= 0 && section < ColumnCount ? QVariant(columnDefinition(section)) : QVariant();
    return {};
}

} // namespace deltascope::ui
