#pragma once

#include "common/Workspace.h"
#include "degradation/ReportExporter.h"
#include "experts/ExpertRun.h"
#include "moe/TraceImport.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSlider;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTimer;

namespace deltascope::ui {

class DropZone;
class JobRunner;
class LayerTableModel;
class PlotView;

/// The expert-sharing workspace: open a router trace, set the batching and the policy, drag the
/// budget and watch activated experts, kept gating mass and per-device load change.
class ExpertsPage : public QWidget {
    Q_OBJECT
public:
    explicit ExpertsPage(QWidget* parent = nullptr);
    ~ExpertsPage() override;

    void openTrace(const QString& path);
    void openDemo();
    /// Expert load counts (SGLang CSV, OLMoE counts, JSON logical_count): shown as a load heatmap,
    /// and the source of a balanced placement to export.
    void openCounts(const QString& path);
    QString exportPlacement(const QString& path) const; ///< JSON; empty string or why it failed
    bool hasCounts() const { return m_counts != nullptr; }
    void setBudget(int budget);
    void waitUntilIdle();

    ExpertRunPtr run() const { return m_run; }
    QString lastError() const { return m_lastError; }
    PlotView* plot(int i) const;
    QStringList plotNames() const;
    void showPlot(int i);
    QList<ReportPlot> reportPlots() const;

    /// What a saved workspace keeps of this page: the trace, the counts, every setting, the
    /// budget and the view.
    workspace::ExpertState workspaceState() const;
    /// Puts the page back as a workspace recorded it and opens its trace and counts.
    void restoreWorkspace(const workspace::ExpertState& state);

signals:
    void statusMessage(const QString& text);
    void computed();
    void traceOpened(const QString& path);

private:
    void buildUi();
    ExpertSettings settings() const;

    void recompute();
    void setRun(ExpertRunPtr run);
    void setTrace(std::shared_ptr<const moe::Trace> trace, const QString& path);
    void redrawSlice();
    void recomputeCoactivation();
    void recomputeBatchSizes();
    void redrawCounts();

    std::shared_ptr<const moe::Trace> m_trace;
    QString m_path;
    ExpertRunPtr m_run;
    std::shared_ptr<const backend::ComputeBackend> m_compute; ///< CUDA when a device answers, else the CPU
    QString m_lastError;
    JobRunner* m_jobs;
    JobRunner* m_coJobs; ///< co-activation of one layer
    JobRunner* m_sizeJobs; ///< the batch-size curve
    QTimer* m_debounce;

    DropZone* m_zone = nullptr;
    QLabel* m_facts = nullptr;
    QComboBox* m_policy = nullptr;
    QSlider* m_budget = nullptr;
    QSpinBox* m_budgetBox = nullptr;
    QSpinBox* m_warmup = nullptr;
    QCheckBox* m_replay = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_gamma = nullptr;
    QSpinBox* m_devices = nullptr;
    QSpinBox* m_requestExperts = nullptr;
    QLineEdit* m_requests = nullptr;
    QString m_placementFile;
    QComboBox* m_placement = nullptr;
    QLabel* m_summary = nullptr;
    QProgressBar* m_progress = nullptr;
    QTabWidget* m_tabs = nullptr;
    PlotView* m_mapBase = nullptr;
    PlotView* m_mapPolicy = nullptr;
    PlotView* m_mapDiff = nullptr;
    PlotView* m_sweep = nullptr;
    PlotView* m_layers = nullptr;
    PlotView* m_devicesPlot = nullptr;
    PlotView* m_slice = nullptr;
    PlotView* m_coactivation = nullptr;
    PlotView* m_sizes = nullptr;
    QSpinBox* m_sliceLayer = nullptr;
    QSpinBox* m_sliceBatch = nullptr;
    QSpinBox* m_coLayer = nullptr;
    QLabel* m_sliceInfo = nullptr;
    PlotView* m_countsPlot = nullptr;
    QSpinBox* m_countDevices = nullptr;
    QSpinBox* m_countReplicas = nullptr;
    QLabel* m_countsInfo = nullptr;
    std::shared_ptr<const moe::ExpertCounts> m_counts;
    QString m_countsPath;
    bool m_isDemo = false; ///< the built-in demo trace (saved as "demo" in workspaces)
    /// Applied when the restored trace has opened: budget, slice and view (-1: none pending).
    int m_pendingBudget = -1;
    int m_pendingLayer = 0;
    int m_pendingBatch = 0;
    int m_pendingView = -1;
    LayerTableModel* m_layerModel = nullptr;
    QTableView* m_layerView = nullptr;
};

} // namespace deltascope::ui
