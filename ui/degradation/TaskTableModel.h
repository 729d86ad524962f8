#pragma once

#include "degradation/Comparison.h"

#include <QAbstractTableModel>

namespace deltascope::ui {

/// The per-task results of a comparison: one row per (task, filter).
class TaskTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // The answer first (drop, interval, p-values, verdict), then the counts behind it: the pane
    // shows the first columns without scrolling.
    enum Column {
        Task,
        Filter,
        Drop,
        Interval,
        PValue,
        HolmP,
        Verdict,
        N,
        Baseline,
        Candidate,
        Regressions,
        Improvements,
        Metric,
        Issues,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole, ///< a number (or the name) to sort on
        TaskIndexRole, ///< index into the report's tasks
        SignificantRole, ///< the candidate is worse on this task (Holm-adjusted)
    };

    explicit TaskTableModel(QObject* parent = nullptr);

    void setComparison(ComparisonPtr c);
    const ComparisonPtr& comparison() const { return m_comparison; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    /// Pair-level issues of a task (unmatched, duplicated, hash mismatches), in words; empty if none.
    static QString issuesText(const report::TaskResult& t);

private:
    ComparisonPtr m_comparison;
};

} // namespace deltascope::ui
