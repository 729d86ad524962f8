// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSet>
#include <QSortFilterProxyModel>
#include <optional>

namespace deltascope::ui {

/// Filters the disagreement table by task, direction and doc id text; sorts on numbers.
class DisagreementProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class Direction { Any, Regressions, Improvements };

    explicit DisagreementProxy(QObject* parent = nullptr);
    void setTasks(std::optional<QSet<int>> tasks); ///< none: every task; an empty set: none
    bool tasksRestricted() const { return m_tasks.has_value(); }
    void setDirection(Direction d);
    void setText(const QString& text);

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

private:
    std::optional<QSet<int>> m_tasks;
    Direction m_direction = Direction::Any;
    QString m_text;
};

} // namespace deltascope::ui
