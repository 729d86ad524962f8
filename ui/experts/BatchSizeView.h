// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Trace.h"
#include "plot/PlotView.h"

#include <memory>

namespace deltascope::ui {

class JobRunner;

/// The "Batch size" tab: activated experts per layer against the batch size, next to uniform
/// routing. Computed off the GUI thread on its own runner when a trace opens.
class BatchSizeView : public PlotView {
    Q_OBJECT
public:
    explicit BatchSizeView(QWidget* parent = nullptr);
    ~BatchSizeView() override;

    void setTrace(std::shared_ptr<const moe::Trace> trace);
    bool busy() const;
    void waitUntilIdle();
    void cancel();

signals:
    void busyChanged(bool busy);

private:
    JobRunner* m_jobs;
};

} // namespace deltascope::ui
