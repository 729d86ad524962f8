// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QStringList>
#include <map>
#include <string>

class QLineEdit;
class QLabel;

namespace deltascope::ui {

/// Which parts of both runs are compared (the command line's --task, --metric and --filter):
/// only these tasks and filters (empty: all), and a metric per task instead of its first one.
struct LoadSelection {
    QStringList tasks;
    std::map<std::string, std::string> metrics; ///< task -> metric
    QStringList filters;

    bool empty() const { return tasks.isEmpty() && metrics.empty() && filters.isEmpty(); }
};

/// Comma-separated task names; a HELM run's name keeps its own commas
/// ("bbq:subject=all,method=multiple_choice_joint, mmlu" is two tasks).
QStringList splitTaskList(const QString& text);

/// "TASK=METRIC, TASK=METRIC" (a HELM task name may hold ',' and '=': the metric follows the last
/// '='); false with the reason for anything else.
bool parseMetricChoices(const QString& text, std::map<std::string, std::string>& out, QString& why);

/// Edits a LoadSelection: comma-separated tasks, TASK=METRIC pairs and filters.
class LoadSelectionDialog : public QDialog {
    Q_OBJECT
public:
    LoadSelectionDialog(const LoadSelection& current, QWidget* parent = nullptr);
    LoadSelection value() const;

    void accept() override;

private:
    QLineEdit* m_tasks;
    QLineEdit* m_metrics;
    QLineEdit* m_filters;
    QLabel* m_error;
};

} // namespace deltascope::ui
