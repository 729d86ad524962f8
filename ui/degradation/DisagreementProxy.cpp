// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/DisagreementProxy.h"

#include "degradation/DisagreementModel.h"

namespace deltascope::ui {

DisagreementProxy::DisagreementProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(DisagreementModel::SortRole);
}

void DisagreementProxy::setTasks(std::optional<QSet<int>> tasks)
{
    if (tasks == m_tasks)
        return; // a keystroke in the task filter that shows the same tasks: no refiltering
    m_tasks = std::move(tasks);
    invalidateFilter();
}

void DisagreementProxy::setDirection(Direction d)
{
    m_direction = d;
    invalidateFilter();
}

void DisagreementProxy::setText(const QString& text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

bool DisagreementProxy::filterAcceptsRow(int row, const QModelIndex&) const
{
    const auto* m = static_cast<const DisagreementModel*>(sourceModel());
    const auto& d = m->rowAt(row);
    if (m_tasks && !m_tasks->contains(static_cast<int>(d.task)))
        return false;
    if (m_direction == Direction::Regressions && d.direction <= 0)
        return false;
    if (m_direction == Direction::Improvements && d.direction >= 0)
        return false;
    if (m_text.isEmpty())
        return true;
    return m->docIdOf(d).contains(m_text, Qt::CaseInsensitive)
        || m->taskNameOf(d.task).contains(m_text, Qt::CaseInsensitive);
}

} // namespace deltascope::ui
