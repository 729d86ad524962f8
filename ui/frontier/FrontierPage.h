// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Frontier.h"
#include "analysis/Matrix.h"
#include "common/Workspace.h"

#include <QWidget>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTabWidget;

namespace deltascope::ui {

class CandidateListModel;
class DropZone;
class JobRunner;
class MatrixTableModel;
class PayoffPanel;
class PlotView;

/// The frontier workspace: one baseline against many candidates (quantizations, expert budgets),
/// the tasks x candidates table with a verdict and a tier per candidate, the drop against cost
/// with its Pareto front, the smallest acceptable expert budget on a trace, and whether expert
/// sharing pays off on a given model and GPU.
class FrontierPage : public QWidget {
    Q_OBJECT
public:
    explicit FrontierPage(QWidget* parent = nullptr);
    ~FrontierPage() override;

    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute);
    void setBaseline(const QString& path);
    /// Adds the runs a path holds (a folder of several models' runs adds one candidate per run).
    void addCandidates(const QString& path);
    void addCandidate(const workspace::FrontierCandidateState& candidate);
    void removeCandidate(int row);
    CandidateListModel* candidates() const { return m_candidates; }
    void setTrace(const QString& path);
    /// A trace opened in the expert-sharing workspace: taken for the budget frontier and the payoff
    /// estimate when none is set here, with the model preset it names or whose shape it has.
    void offerTrace(const QString& path, std::int64_t experts, std::int64_t topK, const QString& model);
    /// Margins as the user writes them ("1", "wikitext=1%"); false with the reason when one is malformed.
    bool setMargins(const QString& text, QString* why = nullptr);
    void setAlpha(double alpha);
    void setCostColumn(const QString& name);
    /// Decide each candidate at alpha alone (no correction across the candidates).
    void setAlphaPerCandidate(bool on);

    /// Runs every comparison (and, with a trace, the budget frontier and the payoff estimate).
    void compareAll();
    void cancel();
    bool busy() const;
    void waitUntilIdle();
    QString lastError() const { return m_lastError; }

    std::shared_ptr<const analysis::MatrixResult> matrix() const { return m_matrix; }
    std::shared_ptr<const analysis::FrontierResult> frontier() const { return m_frontier; }
    MatrixTableModel* matrixModel() const { return m_matrixModel; }
    PlotView* plot() const { return m_plot; }
    /// Writes the report of the last "Compare all" (the budget frontier when there is one, else the
    /// matrix): HTML with the frontier plot inline, or PDF (by the path's suffix) with the plot as a
    /// figure. Empty, or why it failed.
    QString exportReport(const QString& path) const;
    /// The page's plots by name, as the other workspaces list theirs (for --plot and exports).
    QStringList plotNames() const { return { QStringLiteral("frontier") }; }
    PlotView* plot(int i) const { return i == 0 ? m_plot : nullptr; }
    void showPlot(int i);
    PayoffPanel* payoff() const { return m_payoff; }
    QString headline() const;

    /// The comparison of candidate `index` alone, as the degradation workspace opens it.
    analysis::ComparisonRequest comparisonRequest(int index) const;
    /// The trace and batching the budget frontier swept (for the expert workspace).
    QString tracePath() const;
    int batchSize() const;
    /// As a click on the candidate's point: emits comparisonRequested.
    void activateCandidate(int index);
    /// As a double-click on a budget row: emits budgetRequested when a trace is set.
    void activateBudget(int budget);

    /// The folder of the frontier demo, or empty when it cannot be found.
    static QString demoDirectory();
    /// Opens the frontier demo and compares all; false (and lastError) when it is missing.
    bool openDemo();

    workspace::FrontierState workspaceState() const;
    void restoreWorkspace(const workspace::FrontierState& state);

signals:
    void statusMessage(const QString& text);
    void busyChanged(bool busy);
    void computed();
    /// A point of the frontier plot was clicked: open that candidate's comparison.
    void comparisonRequested(int candidate);
    /// A budget of the budget frontier was activated: open the trace at that budget.
    void budgetRequested(int budget);

private:
    QWidget* buildInputs();
    QWidget* buildResults();
    /// The results on screen no longer match the inputs (an input changed): say so until the next
    /// Compare all.
    void markStale();
    void showResult(std::shared_ptr<const analysis::MatrixResult> matrix,
        std::shared_ptr<const analysis::FrontierResult> frontier, const QString& error);
    void redrawPlot();
    void showBudgets();
    void updatePayoffInputs();
    analysis::MatrixRequest matrixRequest() const;

    JobRunner* m_jobs;
    std::shared_ptr<const backend::ComputeBackend> m_compute;
    std::shared_ptr<const analysis::MatrixResult> m_matrix;
    std::shared_ptr<const analysis::FrontierResult> m_frontier;
    workspace::SideState m_base;
    QString m_trace;
    QString m_lastError;
    std::string m_pendingTask; ///< shown once the restored workspace's matrix is in
    report::MarginRequest m_margins;

    DropZone* m_baseZone = nullptr;
    DropZone* m_candidateZone = nullptr;
    DropZone* m_traceZone = nullptr;
    CandidateListModel* m_candidates = nullptr;
    QTableView* m_candidateView = nullptr;
    QComboBox* m_costColumn = nullptr;
    QLineEdit* m_marginEdit = nullptr;
    QDoubleSpinBox* m_alpha = nullptr;
    QCheckBox* m_perCandidate = nullptr;
    QSpinBox* m_batchSize = nullptr;
    QPushButton* m_compare = nullptr;
    /// Said above the results when an input changed after they were computed.
    QLabel* m_stale = nullptr;
    QWidget* m_progressRow = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QLabel* m_headline = nullptr;
    MatrixTableModel* m_matrixModel = nullptr;
    QTableView* m_matrixView = nullptr;
    QTabWidget* m_tabs = nullptr;
    QComboBox* m_task = nullptr;
    QComboBox* m_plotCost = nullptr;
    PlotView* m_plot = nullptr;
    QLabel* m_answer = nullptr;
    QTableWidget* m_budgets = nullptr;
    PayoffPanel* m_payoff = nullptr;
};

} // namespace deltascope::ui
