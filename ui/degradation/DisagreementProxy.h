// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSet>
#include <QSortFilterProxyModel>

namespace deltascope::ui {

/// Filters the disagreement table by task, direction and doc id text; sorts on numbers.
class DisagreementProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class Direction { Any, Regressions, Improvements };

    explicit DisagreementProxy(QObject* parent = nullptr);
    void setTasks(const QSet<int>& tasks); ///< empty: every task
    void setDirection(Direction d);
    void setText(const QString& text);
    const QSet<int>& tasks() const { return m_tasks; }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

private:
    QSet<int> m_tasks;
    Direction m_direction = Direction::Any;
    QString m_text;
};

} // namespace deltascope::ui
