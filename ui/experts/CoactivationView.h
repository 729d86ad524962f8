// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Trace.h"

#include <QWidget>
#include <memory>

class QSpinBox;

namespace deltascope::ui {

class JobRunner;
class PlotView;

/// The "Co-activation" tab: for one layer, how often two experts are in one token's top-k.
/// Computed off the GUI thread on its own runner, so it never delays the expert selection.
class CoactivationView : public QWidget {
    Q_OBJECT
public:
    explicit CoactivationView(QWidget* parent = nullptr);
    ~CoactivationView() override;

    void setTrace(std::shared_ptr<const moe::Trace> trace);
    bool busy() const;
    void waitUntilIdle();
    void cancel();
    PlotView* plot() const { return m_plot; }

signals:
    void busyChanged(bool busy);

private:
    void recompute();

    std::shared_ptr<const moe::Trace> m_trace;
    JobRunner* m_jobs;
    PlotView* m_plot;
    QSpinBox* m_layer;
};

} // namespace deltascope::ui
