// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Workspace.h"
#include "experts/ExpertRun.h"
#include "experts/TraceImportDialog.h"
#include "export/ReportPlot.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTimer;

namespace deltascope::ui {

class BatchSizeView;
class CoactivationView;
class DropZone;
class ExpertControls;
class ExpertCountsView;
class ExpertMapsView;
class ExpertSliceView;
class ExpertsController;
class PlotView;
class WelcomePanel;

/// The expert-sharing workspace: open a router trace, set the batching and the policy, drag the
/// budget and watch activated experts, kept gating mass and per-device load change. It assembles
/// the settings panel, the controller (job runner and current result) and one view per tab.
class ExpertsPage : public QWidget {
    Q_OBJECT
public:
    /// What every metric of the headline means (its tooltip), rich text.
    static QString metricDefinitions();
    explicit ExpertsPage(QWidget* parent = nullptr);
    ~ExpertsPage() override;

    /// The backend expert selection runs on (the CPU until the program gives one).
    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute);

    void openTrace(const QString& path);
    void openDemo();
    /// How traces are read (the model's k for .npy, score kind, JSONL keys, ...); a trace open
    /// from a file is read again with them.
    void setTraceImport(const TraceImport& import);
    TraceImport traceImport() const { return m_import; }
    /// Expert load counts (SGLang CSV, OLMoE counts, JSON logical_count): shown as a load heatmap,
    /// and the source of a balanced placement to export.
    void openCounts(const QString& path);
    QString exportPlacement(const QString& path) const; ///< JSON; empty string or why it failed
    bool hasCounts() const;
    void setBudget(int budget);
    /// Cancels the trace load or the computation in progress (the last result stays, marked).
    void cancel();
    bool busy() const;
    void waitUntilIdle();

    ExpertRunPtr run() const;
    /// The trace shown (a file or the demo), null when none is.
    std::shared_ptr<const moe::Trace> trace() const;
    /// The file name of the trace shown, "demo trace" for the built-in one, empty when none is.
    QString shownTraceName() const;
    QString lastError() const { return m_lastError; }
    /// The headline above the charts (what is shown, or that it is computing).
    QString headline() const;
    ExpertControls* controls() const { return m_controls; }
    PlotView* plot(int i) const;
    QStringList plotNames() const;
    void showPlot(int i);
    QList<ReportPlot> reportPlots() const;
    /// Writes the report: the expert-sharing run (with the load counts when open), or the load
    /// counts alone when no trace is open. Empty or why it failed.
    QString exportReport(const QString& path) const;

    /// What a saved workspace keeps of this page: the trace, the counts, every setting, the
    /// budget and the view.
    workspace::ExpertState workspaceState() const;
    /// Puts the page back as a workspace recorded it and opens its trace and counts.
    void restoreWorkspace(const workspace::ExpertState& state);

signals:
    void statusMessage(const QString& text);
    void computed();
    void traceOpened(const QString& path);
    /// A trace (a file or the demo) is now shown.
    void traceShown();
    void countsOpened(const QString& path);
    void busyChanged(bool busy);

private:
    void buildUi();
    void connectController();
    void recompute();
    void showDemoInZone(); ///< the trace box names the built-in demo
    void showTraceInZone(); ///< the box names the trace shown (or the demo), whatever was chosen since
    void onTrace(const QString& path);
    void onRun();
    void onCancelled();
    void fail(const QString& title, const QString& error, const QString& brief = {});
    /// The import options dialog; accepted, the trace is read again with them.
    void editTraceImport();
    /// Every warning from reading the trace, in a dialog (the facts line's link).
    void showTraceWarnings();
    QString runHeadline() const;

    ExpertsController* m_controller;
    QTimer* m_debounce;
    QString m_lastError;
    TraceImport m_import;
    QString m_tracePath; ///< the trace file asked for last (empty: none, or the demo)
    bool m_isDemo = false; ///< the built-in demo trace (saved as "demo" in workspaces)
    /// Applied when the restored trace has opened: budget, slice and view (-1: none pending).
    int m_pendingBudget = -1;
    /// The trace opened at the default budget, not yet changed by the user: the first result may
    /// move it to one that changes something (usefulStartBudget).
    bool m_autoBudget = false;
    int m_pendingLayer = 0;
    int m_pendingBatch = 0;
    int m_pendingView = -1;

    DropZone* m_zone = nullptr;
    QLabel* m_facts = nullptr;
    QPushButton* m_importButton = nullptr;
    ExpertControls* m_controls = nullptr;
    QLabel* m_summary = nullptr;
    QWidget* m_progressRow = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QTabWidget* m_tabs = nullptr;
    QStackedWidget* m_body = nullptr; ///< the welcome page, then the tabs
    WelcomePanel* m_welcome = nullptr;
    ExpertMapsView* m_maps = nullptr;
    PlotView* m_sweep = nullptr;
    PlotView* m_layers = nullptr;
    PlotView* m_devicesPlot = nullptr;
    ExpertSliceView* m_slice = nullptr;
    CoactivationView* m_coactivation = nullptr;
    BatchSizeView* m_sizes = nullptr;
    ExpertCountsView* m_counts = nullptr;
};

} // namespace deltascope::ui
