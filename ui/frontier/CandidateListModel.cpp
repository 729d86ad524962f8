// SPDX-License-Identifier: GPL-3.0-or-later
#include "frontier/CandidateListModel.h"

#include "common/Format.h"

#include <QFileInfo>
#include <cmath>

namespace deltascope::ui {

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
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (index.column()) {
        case Name:
            return QString::fromStdString(c.name);
        case Cost:
            return c.hasCost ? (role == Qt::EditRole ? QString::number(c.cost, 'g', 10) : number(c.cost)) : QString();
        case Budget:
            return c.budget > 0 ? QString::number(c.budget) : QString();
        case Run: {
            const QString run = QFileInfo(path).fileName();
            return c.side.runTimestamp.empty()
                ? run
                : run + QStringLiteral(" @ ") + QString::fromStdString(c.side.runTimestamp);
        }
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Name:
            return tr("The name the table and the plot show (double-click to edit)");
        case Cost:
            return tr("What this candidate costs, in the cost column's unit (empty: not on the frontier plot)");
        case Budget:
            return tr("Experts per slice this run was made with (empty: read from its results, if recorded)");
        default:
            return path;
        }
    }
    return {};
}

QVariant CandidateListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Name");
    case Cost:
        return m_costLabel;
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
    endResetModel();
}

void CandidateListModel::append(const workspace::FrontierCandidateState& row)
{
    const int at = rowCount();
    beginInsertRows({}, at, at);
    m_rows.push_back(row);
    endInsertRows();
}

void CandidateListModel::remove(int row)
{
    if (row < 0 || row >= rowCount())
        return;
    beginRemoveRows({}, row, row);
    m_rows.erase(m_rows.begin() + row);
    endRemoveRows();
}

void CandidateListModel::setCostLabel(const QString& label)
{
    m_costLabel = label;
    emit headerDataChanged(Qt::Horizontal, Cost, Cost);
}

} // namespace deltascope::ui
