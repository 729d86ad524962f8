// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "degradation/Comparison.h"

#include <QAbstractTableModel>

namespace deltascope::ui {

/// The pairs whose scores differ (or every pair), one row each.
class DisagreementModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Task, DocId, Baseline, Candidate, Drop, Direction, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole,
        TaskIndexRole, ///< index into the paired tasks
        PairIndexRole, ///< index of the pair within its task
        DirectionRole, ///< +1 regression, -1 improvement, 0 same
    };

    explicit DisagreementModel(QObject* parent = nullptr);

    void setComparison(ComparisonPtr c, bool allPairs);
    const ComparisonPtr& comparison() const { return m_comparison; }
    const report::Disagreement& rowAt(int row) const { return (*m_rows)[static_cast<std::size_t>(row)]; }
    QString docIdOf(const report::Disagreement& d) const;
    QString taskNameOf(std::uint32_t task) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    ComparisonPtr m_comparison;
    std::shared_ptr<const std::vector<report::Disagreement>> m_rows;
};

} // namespace deltascope::ui
