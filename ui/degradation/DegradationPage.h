// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Workspace.h"
#include "degradation/Comparison.h"
#include "degradation/ExtraInputsButton.h"
#include "degradation/SideChoice.h"
#include "export/ReportPlot.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLayout;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTabWidget;

namespace deltascope::ui {

class AggregatePanel;
class DisagreementsView;
class DropZone;
class JobRunner;
class PlotView;
class PowerPlanView;
class SampleView;
class TaskFilterProxy;
class TaskTableModel;
class WelcomePanel;

/// The degradation workspace: choose a baseline and a candidate, then read the verdict, the
/// per-task tests, the plots, the flipped samples and each sample side by side.
class DegradationPage : public QWidget {
    Q_OBJECT
public:
    explicit DegradationPage(QWidget* parent = nullptr);
    ~DegradationPage() override;

    /// The backend the permutation tests run on (the CPU until the program gives one).
    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute) { m_compute = std::move(compute); }

    /// Starts a comparison. With `interactive`, a folder of several runs or a score table asks
    /// the user (picker, column mapping); otherwise the defaults are taken.
    void compare(const QString& base, const QString& cand, bool interactive = true);
    /// Starts a comparison of two other runs (a recent pair, the demo): the tasks, metrics,
    /// filters, keep-list, reruns and cluster key chosen for the runs before are let go first.
    void compareAnew(const QString& base, const QString& cand, bool interactive = true);
    void setSide(bool candidate, const QString& path, bool interactive = true);
    /// Opens one comparison as another workspace made it (its sides as read there, its alpha and
    /// margins): the frontier's candidate against its baseline.
    void openComparison(const analysis::ComparisonRequest& request);
    /// Non-inferiority margins (none: the verdict is degraded or no evidence); retests a loaded
    /// comparison, no reload.
    void setMargins(const report::MarginRequest& margins);
    report::MarginRequest margins() const { return m_stats.margins; }
    /// The field naming each item's cluster (empty: items are independent); used by the next load.
    void setClusterKey(const QString& key);
    void cancel();
    bool busy() const;
    /// Report malformed records as warnings and go on (else the first one stops the load).
    void setSkipBadLines(bool skip) { m_skipBadLines = skip; }
    /// Returns once the running job, if any, has finished (command-line modes).
    void waitUntilIdle();

    ComparisonPtr comparison() const { return m_comparison; }
    QString lastError() const { return m_lastError; }
    QList<ReportPlot> reportPlots() const;
    std::vector<report::Disagreement> visibleDisagreements() const;
    PlotView* plot(int i) const;
    void showPlot(int i); ///< brings plot i (see plotNames) to the front
    QStringList plotNames() const;
    void saveState() const;

    /// What a saved workspace keeps of this page: inputs with their load options, statistics
    /// settings, filters and the selected task.
    workspace::DegradationState workspaceState() const;
    /// Puts the page back as a workspace recorded it and loads its runs (no dialogs).
    void restoreWorkspace(const workspace::DegradationState& state);

signals:
    void statusMessage(const QString& text);
    void comparisonChanged();
    void busyChanged(bool busy);
    void comparisonOpened(const QString& base, const QString& cand);
    void demoRequested(); ///< the empty page's "open the demo" link

private:
    void buildUi();
    QLayout* buildInputs(); ///< drop zones, Compare, more inputs, the progress row
    QWidget* buildTasks(); ///< the task table with its filters
    void buildResults(); ///< verdict, plots, disagreements and the sample
    /// Loads and compares the two chosen runs. With `keepShown`, a comparison shown stays if the
    /// new inputs fail or the load is cancelled, and so do the inputs it was made with (the runs,
    /// tasks, keep-list, reruns, cluster key): a mistyped task or a broken file does not cost the
    /// user the result they were reading.
    void startLoad(bool keepShown = true);
    /// Puts back the inputs of the comparison shown (runs and menu) after a failed or cancelled load.
    void restoreShownInputs();
    void retestWith(bool permutation);
    void setComparison(ComparisonPtr c);
    void redrawPlots();
    void onTaskSelection();
    void markSelectedTasks();
    void selectTask(int task);
    void selectTasks(const std::vector<std::string>& keys);
    bool prepareSide(bool candidate, const QString& path, bool interactive);
    void showWarnings();
    void onLoadFailed(const Diagnostic& error, bool skippingBadLines, bool keptShown);
    /// After a new run on one side shared no sample with the other side's: keeps it chosen and asks
    /// for its partner. False when both sides changed (nothing to keep).
    bool keepNewSide();

    ComparisonPtr m_comparison;
    /// The inputs of the comparison shown: the runs' paths and the extra inputs.
    SideSpec m_shownBase;
    SideSpec m_shownCand;
    ExtraInputsButton::Inputs m_shownInputs;
    StatsSettings m_shownStats; ///< the settings the comparison shown was loaded with
    bool m_loadingNewInputs = false; ///< a load that leaves the comparison shown if it fails is running
    std::string m_pendingTask; ///< selected once the restored comparison has loaded
    SideSpec m_base;
    SideSpec m_cand;
    ColumnSharing m_columnSharing; ///< a table mapping chosen on one side, offered to the other
    QString m_lastError;
    JobRunner* m_jobs;
    std::shared_ptr<const backend::ComputeBackend> m_compute; ///< null: the CPU
    StatsSettings m_stats;
    bool m_skipBadLines = false;

    QStackedWidget* m_body = nullptr; ///< the welcome page, then the results
    WelcomePanel* m_welcome = nullptr;
    DropZone* m_baseZone = nullptr;
    DropZone* m_candZone = nullptr;
    QPushButton* m_compare = nullptr;
    ExtraInputsButton* m_extraInputs = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QPushButton* m_cancel = nullptr;
    QWidget* m_progressRow = nullptr;
    TaskTableModel* m_taskModel = nullptr;
    TaskFilterProxy* m_taskProxy = nullptr;
    QTableView* m_taskView = nullptr;
    QLineEdit* m_taskFilter = nullptr;
    QCheckBox* m_onlyWorse = nullptr;
    QLabel* m_warnings = nullptr;
    AggregatePanel* m_aggregate = nullptr;
    QTabWidget* m_plots = nullptr;
    PlotView* m_forest = nullptr;
    PlotView* m_pvalues = nullptr;
    PlotView* m_flips = nullptr;
    PowerPlanView* m_powerPlan = nullptr;
    DisagreementsView* m_disagreements = nullptr;
    SampleView* m_sample = nullptr;
    QList<QSplitter*> m_splitters;
};

} // namespace deltascope::ui
