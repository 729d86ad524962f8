// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSortFilterProxyModel>

namespace deltascope::ui {

/// Sorts the task table on numbers and filters it by name and significance.
class TaskFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit TaskFilterProxy(QObject* parent = nullptr);
    void setText(const QString& text);
    void setOnlyWorse(bool only);
    /// Whether the name or "only worse" hides any task.
    bool filtering() const { return m_onlyWorse || !m_text.isEmpty(); }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

private:
    QString m_text;
    bool m_onlyWorse = false;
};

} // namespace deltascope::ui
