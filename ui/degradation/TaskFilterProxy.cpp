// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/TaskFilterProxy.h"

#include "degradation/TaskTableModel.h"

namespace deltascope::ui {

TaskFilterProxy::TaskFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(TaskTableModel::SortRole);
}

void TaskFilterProxy::setText(const QString& text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

void TaskFilterProxy::setOnlyWorse(bool only)
{
    m_onlyWorse = only;
    invalidateFilter();
}

bool TaskFilterProxy::filterAcceptsRow(int row, const QModelIndex& parent) const
{
    const auto* m = sourceModel();
    if (m_onlyWorse && !m->index(row, 0, parent).data(TaskTableModel::SignificantRole).toBool())
        return false;
    if (m_text.isEmpty())
        return true;
    for (const int c : { TaskTableModel::Task, TaskTableModel::Filter, TaskTableModel::Metric })
        if (m->index(row, c, parent).data(Qt::DisplayRole).toString().contains(m_text, Qt::CaseInsensitive))
            return true;
    return false;
}

} // namespace deltascope::ui
