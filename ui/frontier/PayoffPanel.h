// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/ExpertPayoff.h"
#include "backend/ComputeBackend.h"
#include "common/Workspace.h"

#include <QWidget>
#include <memory>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace deltascope::ui {

class JobRunner;

/// Will expert sharing pay off here: a model (a preset, every field editable), a GPU (a preset,
/// its bandwidth editable) and the expert-parallel devices; the estimate per budget on the trace
/// the frontier workspace holds, and the conclusion in plain words.
class PayoffPanel : public QWidget {
    Q_OBJECT
public:
    explicit PayoffPanel(QWidget* parent = nullptr);
    ~PayoffPanel() override;

    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute) { m_compute = std::move(compute); }
    /// The trace the estimate reads, its batch size (0: the default) and the budgets to show (empty:
    /// the analysis's choice). Clears the shown estimate.
    void setInputs(const QString& trace, int batchSize, const std::vector<int>& budgets);
    /// The budget the accuracy tests accepted (the frontier's answer): its row is marked and the
    /// conclusion says what it saves. 0: not decided yet; -1: the tests accept none.
    void setChosenBudget(int budget);
    /// Starts the estimate (nothing without a trace).
    void estimate();
    void cancel();
    bool busy() const;
    void waitUntilIdle();

    /// Picks the model preset the trace names (its model field) with the trace's experts and k, else
    /// the first preset of that shape when the model shown has another.
    void fitTrace(std::int64_t experts, std::int64_t topK, const QString& model = {});
    moe::PayoffOptions options() const;
    std::shared_ptr<const analysis::PayoffResult> result() const { return m_result; }
    QString conclusion() const;

    /// The model, GPU and devices as a workspace keeps them, and back.
    void storeState(workspace::FrontierState& state) const;
    void restoreState(const workspace::FrontierState& state);

signals:
    void statusMessage(const QString& text);
    void busyChanged(bool busy);

private:
    void applyModel(const moe::MoeModel& model);
    void show(std::shared_ptr<const analysis::PayoffResult> result, const QString& error);
    JobRunner* m_jobs;
    std::shared_ptr<const backend::ComputeBackend> m_compute;
    std::shared_ptr<const analysis::PayoffResult> m_result;
    QString m_trace;
    int m_batchSize = 0;
    std::vector<int> m_budgets;
    int m_chosen = 0;
    QComboBox* m_model = nullptr;
    std::vector<std::pair<QString, QDoubleSpinBox*>> m_fields; ///< by the workspace's field names
    QComboBox* m_gpu = nullptr;
    QDoubleSpinBox* m_bandwidth = nullptr;
    QSpinBox* m_devices = nullptr;
    QPushButton* m_run = nullptr;
    QTableWidget* m_table = nullptr;
    QLabel* m_conclusion = nullptr;
};

} // namespace deltascope::ui
