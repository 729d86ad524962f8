// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "degradation/Comparison.h"

#include <QAbstractTableModel>

namespace deltascope::ui {

/// The per-task results of a comparison: one row per (task, filter).
class TaskTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // The answer first (the task's verdict beside its name, then drop, interval, p-values, how
    // large the drop may be), then the counts behind it. The view keeps Task and Verdict frozen on
    // the left, so a row names its task and its verdict however far the table is scrolled.
    enum Column {
        Task,
        Verdict,
        Filter,
        Drop,
        Interval,
        PValue,
        HolmP,
        UpperBound,
        Margin, ///< the non-inferiority columns: only with a margin
        NonInferiorityP,
        SamplesNeeded,
        N,
        Baseline,
        Candidate,
        Regressions,
        Improvements,
        NoiseFlips, ///< only with baseline reruns
        Cluster, ///< only with a cluster key
        Metric,
        Issues,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole, ///< a number (or the name) to sort on
        TaskIndexRole, ///< index into the report's tasks
        SignificantRole, ///< the task is flagged worse (the comparison is degraded and its Holm p is below alpha)
        FlagRole, ///< the task's flag (report::TaskFlag as an int), as the report filled it
    };

    explicit TaskTableModel(QObject* parent = nullptr);

    void setComparison(ComparisonPtr c);
    const ComparisonPtr& comparison() const { return m_comparison; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    /// Whether a column has anything to show for this report (the margin, cluster and noise columns
    /// are empty without a margin, a cluster key or baseline reruns): the view hides the others.
    static bool columnHasContent(const report::ComparisonReport& r, int column);
    /// What a column means, for its header's tooltip (every column has one).
    static QString columnDefinition(int column);
    /// Pair-level issues of a task (unmatched, duplicated, hash mismatches), in words; empty if none.
    static QString issuesText(const report::TaskResult& t);
    /// The flag's word as every output shows it ("worse", "suggestive", "not shown worse", "no pairs").
    static QString flagText(report::TaskFlag flag);
    /// What a row's numbers rest on (interval method, Monte Carlo error, kept infinite scores,
    /// keep-list audit, corpus units), one line each; empty if nothing to say.
    static QStringList notes(const report::ComparisonReport& r, const report::TaskResult& t);

private:
    static QVariant sortValue(const report::TaskResult& t, int column);
    static bool marginDecides(const report::TaskResult& t);
    static QVariant displayValue(const report::TaskResult& t, int column);

    ComparisonPtr m_comparison;
};

} // namespace deltascope::ui
