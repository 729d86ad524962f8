// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Workspace.h"

#include <QAbstractTableModel>
#include <vector>

namespace deltascope::ui {

/// The candidates of the frontier workspace as the user lists them: each run with an editable
/// name, an optional cost and an optional expert budget (an empty cell: not given).
class CandidateListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Cost, Budget, Run, ColumnCount };

    explicit CandidateListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

    const std::vector<workspace::FrontierCandidateState>& candidates() const { return m_rows; }
    void setCandidates(std::vector<workspace::FrontierCandidateState> rows);
    void append(const workspace::FrontierCandidateState& row);
    void remove(int row);
    /// What the cost column measures ("bits_per_weight (bits)"), told by its header's tooltip.
    void setCostLabel(const QString& label);
    /// The budget a candidate's results record, shown (greyed) where none is typed; 0: none.
    int recordedBudget(int row) const;

private:
    std::vector<workspace::FrontierCandidateState> m_rows;
    std::vector<int> m_recorded; ///< [row] the budget its results file records, 0 when none
    QString m_costLabel;
};

} // namespace deltascope::ui
