// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/DisagreementModel.h"

#include "common/Format.h"

#include <QBrush>

namespace deltascope::ui {

DisagreementModel::DisagreementModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_rows(std::make_shared<const std::vector<report::Disagreement>>())
{ }

void DisagreementModel::setComparison(ComparisonPtr c, bool allPairs)
{
    beginResetModel();
    m_comparison = std::move(c);
    if (!m_comparison)
        m_rows = std::make_shared<const std::vector<report::Disagreement>>();
    else if (allPairs)
        m_rows = std::make_shared<const std::vector<report::Disagreement>>(
            report::listDisagreements(*m_comparison->paired, true));
    else
        m_rows = m_comparison->flips;
    endResetModel();
}

int DisagreementModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows->size());
}

int DisagreementModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DisagreementModel::docIdOf(const report::Disagreement& d) const
{
    const auto& pt = m_comparison->paired->tasks[d.task];
    const auto& samples = m_comparison->base->tasks[static_cast<std::size_t>(pt.baseTask)].samples;
    return QString::fromStdString(samples[pt.baseIndex[d.pair]].docId);
}

QString DisagreementModel::taskNameOf(std::uint32_t task) const
{
    const auto& pt = m_comparison->paired->tasks[task];
    return QString::fromStdString(pt.filter == "none" ? pt.task : pt.task + " [" + pt.filter + "]"); // as the tables
}

QVariant DisagreementModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& d = rowAt(index.row());
    switch (role) {
    case TaskIndexRole:
        return d.task;
    case PairIndexRole:
        return d.pair;
    case DirectionRole:
        return d.direction;
    case SortRole:
        switch (index.column()) {
        case Task:
            return taskNameOf(d.task);
        case DocId: {
            // Numeric ids sort as numbers.
            bool ok = false;
            const QString id = docIdOf(d);
            const double v = id.toDouble(&ok);
            return ok ? QVariant(v) : QVariant(id);
        }
        case Baseline:
            return d.base;
        case Candidate:
            return d.cand;
        case Drop:
            return d.drop;
        case Direction:
            return d.direction;
        }
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case Task:
            return taskNameOf(d.task);
        case DocId:
            return visibleText(docIdOf(d));
        case Baseline:
            return number(d.base);
        case Candidate:
            return number(d.cand);
        case Drop:
            return signedNumber(d.drop);
        case Direction:
            return d.direction > 0 ? tr("regression") : (d.direction < 0 ? tr("improvement") : tr("same"));
        }
        return {};
    case Qt::ToolTipRole:
        // The whole of a name the column may cut.
        if (index.column() == Task)
            return taskNameOf(d.task);
        if (index.column() == DocId)
            return visibleText(docIdOf(d));
        return {};
    case Qt::ForegroundRole:
        if (index.column() == Direction && d.direction != 0)
            return QBrush(d.direction > 0 ? regressionColor() : improvementColor());
        return {};
    case Qt::TextAlignmentRole:
        return index.column() >= Baseline && index.column() <= Drop ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                                    : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    }
    return {};
}

QVariant DisagreementModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        static const char* names[] = { "Task", "Doc id", "Base", "Cand", "Drop", "Direction" };
        return tr(names[section]);
    }
    if (role != Qt::ToolTipRole)
        return {};
    switch (section) {
    case Task:
        return tr("The task (and its filter) the sample belongs to");
    case DocId:
        return tr("The sample's id in both runs (lm-eval doc_id, Inspect sample id, HELM instance id or the table's "
                  "id column): pairs are matched on it, never on line order");
    case Baseline:
        return tr("The baseline's score on this sample (1/0 for binary metrics)");
    case Candidate:
        return tr("The candidate's score on this sample");
    case Drop:
        return tr("Baseline minus candidate on this sample (oriented so that positive is worse)");
    case Direction:
        return tr("regression: the candidate scores worse on this sample (counted in b); improvement: better "
                  "(counted in c); same: equal scores (shown with \"all pairs\")");
    }
    return {};
}

} // namespace deltascope::ui
