// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "degradation/Comparison.h"

#include <QSet>
#include <QWidget>
#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace deltascope::ui {

class DisagreementModel;
class DisagreementProxy;

/// The disagreements pane: the pairs whose scores differ (or all pairs), filtered by direction,
/// text and the tasks selected elsewhere. The current row is the sample shown beside it.
class DisagreementsView : public QWidget {
    Q_OBJECT
public:
    explicit DisagreementsView(QWidget* parent = nullptr);

    /// A new comparison. With `samePairs` (a new test of the same pairs) the rows and the current
    /// sample stay; otherwise the first row becomes current.
    void setComparison(ComparisonPtr c, bool samePairs);
    /// Shows only these tasks (none: every task; an empty set: no task).
    void setTasks(std::optional<QSet<int>> tasks); ///< none: every task
    std::vector<report::Disagreement> visibleRows() const;
    int rowCount() const;

    QString filterText() const;
    int direction() const;
    bool allPairs() const;
    void setFilters(const QString& text, int direction, bool allPairs);

signals:
    /// The current row's pair (task index into the report, pair index within the task).
    void pairSelected(int task, int pair);
    void cleared();

private:
    /// Runs a change of the rows shown; then the pair shown beside the table stays current when it
    /// is still listed, else the first row does, selected and in view (none: the sample clears).
    /// `rebuilt`: the change made the model's rows anew ("all pairs"), so the pair is looked up.
    void keepCurrent(const std::function<void()>& change, bool rebuilt = false);
    void updateCount();
    void onCurrentChanged();

    ComparisonPtr m_comparison;
    DisagreementModel* m_model;
    DisagreementProxy* m_proxy;
    QTableView* m_table;
    QComboBox* m_direction;
    QLineEdit* m_filter;
    QCheckBox* m_allPairs;
    QLabel* m_count;
    /// The pair last sent to the sample view (task, pair), so that a refilter that keeps it does
    /// not load it again.
    std::optional<std::pair<std::uint32_t, std::uint32_t>> m_sent;
};

} // namespace deltascope::ui
