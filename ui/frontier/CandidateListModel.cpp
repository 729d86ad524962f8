// SPDX-License-Identifier: GPL-3.0-or-later
#include "frontier/CandidateListModel.h"

#include "analysis/Frontier.h"
#include "common/Format.h"

#include <QColor>
#include <QFileInfo>
#include <QFont>
#include <QPalette>
#include <cmath>

namespace deltascope::ui {

namespace {

int budgetRecordedBy(const workspace::FrontierCandidateState& c)
{
    return analysis::budgetFromResults(c.side.path, c.side.runTimestamp).value_or(0);
}

QString runOf(const workspace::FrontierCandidateState& c)
{
    const QString run = QFileInfo(QString::fromStdString(c.side.path)).fileName();
    return c.side.runTimestamp.empty() ? run
                                       : run + QStringLiteral(" @ ") + QString::fromStdString(c.side.runTimestamp);
}

} // namespace

CandidateListModel::CandidateListModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_costLabel(tr("Cost"))
{ }

int CandidateListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int CandidateListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CandidateListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& c = m_rows[static_cast<std::size_t>(index.row())];
    const QString path = QString::fromStdString(c.side.path);
    const int recorded = m_recorded[static_cast<std::size_t>(index.row())];
    const bool showsRecorded = index.column() == Budget && c.budget <= 0 && recorded > 0;
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (index.column()) {
        case Name:
            return QString::fromStdString(c.name);
        case Cost:
            return c.hasCost ? (role == Qt::EditRole ? QString::number(c.cost, 'g', 10) : number(c.cost)) : QString();
        case Budget:
            if (c.budget > 0)
                return QString::number(c.budget);
            return showsRecorded && role == Qt::DisplayRole ? QString::number(recorded) : QString();
        case Run:
            return runOf(c);
        default:
            return {};
        }
    }
    if (showsRecorded && role == Qt::ForegroundRole)
        return QPalette().color(QPalette::Disabled, QPalette::Text);
    if (showsRecorded && role == Qt::FontRole) {
        QFont f;
        f.setItalic(true);
        return f;
    }
    if (index.column() == Budget && role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Name:
            return tr("%1\nRun %2 in %3\nDouble-click to rename it in the table and the plot")
                .arg(QString::fromStdString(c.name), runOf(c), path);
        case Cost:
            return tr("What this candidate costs in %1 (empty: not on the frontier plot); double-click to edit")
                .arg(m_costLabel);
        case Budget:
            if (c.budget > 0)
                return tr("Experts per slice this run was made with, as typed (clear it to use what its results "
                          "record)");
            return showsRecorded ? tr("Experts per slice, read from the run's results; double-click to type another")
                                 : tr("Experts per slice this run was made with: its results record none, so type it "
                                      "for the budget frontier");
        default:
            return path;
        }
    }
    return {};
}

QVariant CandidateListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Cost)
        return tr("The candidate's cost in %1, the cost chosen below").arg(m_costLabel);
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Name");
    case Cost:
        return tr("Cost");
    case Budget:
        return tr("Budget");
    case Run:
        return tr("Run");
    default:
        return {};
    }
}

Qt::ItemFlags CandidateListModel::flags(const QModelIndex& index) const
{
    auto f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() != Run)
        f |= Qt::ItemIsEditable;
    return f;
}

bool CandidateListModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || role != Qt::EditRole || index.row() >= rowCount())
        return false;
    auto& c = m_rows[static_cast<std::size_t>(index.row())];
    const QString text = value.toString().trimmed();
    switch (index.column()) {
    case Name:
        if (text.isEmpty())
            return false;
        c.name = text.toStdString();
        break;
    case Cost: {
        if (text.isEmpty()) {
            c.hasCost = false;
            break;
        }
        bool ok = false;
        const double v = text.toDouble(&ok);
        if (!ok || !std::isfinite(v))
            return false;
        c.hasCost = true;
        c.cost = v;
        break;
    }
    case Budget: {
        if (text.isEmpty()) {
            c.budget = 0;
            break;
        }
        bool ok = false;
        const int v = text.toInt(&ok);
        if (!ok || v < 1)
            return false;
        c.budget = v;
        break;
    }
    default:
        return false;
    }
    emit dataChanged(index, index);
    return true;
}

void CandidateListModel::setCandidates(std::vector<workspace::FrontierCandidateState> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_recorded.clear();
    for (const auto& c : m_rows)
        m_recorded.push_back(budgetRecordedBy(c));
    endResetModel();
}

void CandidateListModel::append(const workspace::FrontierCandidateState& row)
{
    const int at = rowCount();
    beginInsertRows({}, at, at);
    m_rows.push_back(row);
    m_recorded.push_back(budgetRecordedBy(row));
    endInsertRows();
}

void CandidateListModel::remove(int row)
{
    if (row < 0 || row >= rowCount())
        return;
    beginRemoveRows({}, row, row);
    m_rows.erase(m_rows.begin() + row);
    m_recorded.erase(m_recorded.begin() + row);
    endRemoveRows();
}

void CandidateListModel::setCostLabel(const QString& label)
{
    m_costLabel = label;
    emit headerDataChanged(Qt::Horizontal, Cost, Cost);
    if (!m_rows.empty())
        emit dataChanged(index(0, Cost), index(rowCount() - 1, Cost), { Qt::ToolTipRole });
}

int CandidateListModel::recordedBudget(int row) const
{
    return row >= 0 && row < rowCount() ? m_recorded[static_cast<std::size_t>(row)] : 0;
}

} // namespace deltascope::ui
