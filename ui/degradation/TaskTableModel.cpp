#include "degradation/TaskTableModel.h"

#include "common/Format.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

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

QVariant TaskTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_comparison || index.row() >= rowCount())
        return {};
    const auto& r = m_comparison->report;
    const auto& t = r.tasks[static_cast<std::size_t>(index.row())];
    const bool worse = t.pHolm < r.alpha && t.delta > 0;
    const bool points = !t.continuous;
    switch (role) {
    case TaskIndexRole:
        return index.row();
    case SignificantRole:
        return worse;
    case SortRole:
        switch (index.column()) {
        case Task:
            return QString::fromStdString(t.task);
        case Filter:
            return QString::fromStdString(t.filter);
        case Metric:
            return QString::fromStdString(t.metric);
        case N:
            return qlonglong(t.n);
        case Baseline:
            return t.accBase;
        case Candidate:
            return t.accCand;
        case Drop:
        case Interval:
            return t.delta;
        case Regressions:
            return qlonglong(t.b);
        case Improvements:
            return qlonglong(t.c);
        case PValue:
            return t.pValue;
        case HolmP:
        case Verdict:
            return t.pHolm;
        case Issues:
            return qlonglong(t.unmatchedBase + t.unmatchedCand + t.duplicates + t.hashMismatches + t.missingScores);
        }
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case Task:
            return QString::fromStdString(t.task);
        case Filter:
            return QString::fromStdString(t.filter);
        case Metric:
            return QString(QString::fromStdString(t.metric) + (t.continuous ? tr(" (cont.)") : QString()));
        case N:
            return QLocale().toString(qlonglong(t.n));
        case Baseline:
            return points ? percent(t.accBase) : number(t.accBase);
        case Candidate:
            return points ? percent(t.accCand) : number(t.accCand);
        case Drop:
            return points ? signedPoints(t.delta) : signedNumber(t.delta);
        case Interval:
            return points ? QStringLiteral("[%1, %2]").arg(signedPoints(t.ciLow), signedPoints(t.ciHigh))
                          : QStringLiteral("[%1, %2]").arg(signedNumber(t.ciLow), signedNumber(t.ciHigh));
        case Regressions:
            return QLocale().toString(qlonglong(t.b));
        case Improvements:
            return QLocale().toString(qlonglong(t.c));
        case PValue:
            return pValue(t.pValue);
        case HolmP:
            return pValue(t.pHolm);
        case Verdict:
            return worse ? tr("worse") : (t.pHolm < r.alpha ? tr("better?") : tr("no evidence"));
        case Issues:
            return issuesText(t);
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Issues || index.column() == Task) {
            QStringList lines;
            for (const auto& w : t.warnings)
                lines << QString::fromStdString(w.toString());
            return lines.isEmpty() ? QVariant() : QVariant(lines.join(QLatin1Char('\n')));
        }
        if (index.column() == Verdict)
            return worse
                ? tr("Holm-adjusted one-sided p below alpha = %1: the candidate is worse on this task").arg(r.alpha)
                : tr("no significant drop at alpha = %1").arg(r.alpha);
        return {};
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
        if (index.column() == Verdict)
            return QBrush(worse ? verdictColor(true) : QGuiApplication::palette().color(QPalette::PlaceholderText));
        if (index.column() == Issues && !issuesText(t).isEmpty())
            return QBrush(warningColor());
        return {};
    case Qt::FontRole:
        if (index.column() == Verdict && worse) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == Verdict)
            return verdictColor(worse);
        return {};
    }
    return {};
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        static const char* names[] = { "Task", "Filter", "Drop", "95% interval", "p", "p (Holm)", "Verdict", "n",
            "Baseline", "Candidate", "b (worse)", "c (better)", "Metric", "Pairing issues" };
        return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Drop:
            return tr(
                "baseline minus candidate; accuracy points for binary metrics (positive: the candidate is worse)");
        case Regressions:
            return tr("pairs the baseline got right and the candidate got wrong");
        case Improvements:
            return tr("pairs the candidate got right and the baseline got wrong");
        case PValue:
            return tr("one-sided exact McNemar (sign-flip permutation for continuous metrics)");
        case HolmP:
            return tr("adjusted for testing every task (Holm)");
        default:
            return {};
        }
    }
    return {};
}

} // namespace deltascope::ui
