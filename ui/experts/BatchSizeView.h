// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Trace.h"
#include "moe/TraceViews.h"
#include "plot/PlotView.h"

#include <memory>

namespace deltascope::ui {

class JobRunner;

/// The "Batch size" tab: activated experts per layer against the batch size, next to uniform
/// routing, the trace's recorded batches and the batching in effect. Computed off the GUI thread on
/// its own runner when a trace opens.
class BatchSizeView : public PlotView {
    Q_OBJECT
public:
    explicit BatchSizeView(QWidget* parent = nullptr);
    ~BatchSizeView() override;

    void setTrace(std::shared_ptr<const moe::Trace> trace);
    /// The batching in effect, marked on the curve: replay with this many requests (of `chosen`
    /// requests picked to replay, 0: all), or the trace's recorded batches.
    void setCurrentBatch(bool replay, int batchSize, int chosen = 0);
    bool busy() const;
    void waitUntilIdle();
    void cancel();

signals:
    void busyChanged(bool busy);

private:
    void draw();

    JobRunner* m_jobs;
    std::shared_ptr<const moe::BatchSizeCurve> m_curve;
    bool m_replay = true;
    int m_batchSize = 0;
    int m_chosen = 0;
};

} // namespace deltascope::ui
