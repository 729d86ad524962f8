// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/BatchSizeView.h"

#include "common/JobRunner.h"
#include "experts/ExpertRun.h"
#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"

namespace deltascope::ui {

BatchSizeView::BatchSizeView(QWidget* parent)
    : PlotView(parent)
    , m_jobs(new JobRunner(this))
{
    connect(m_jobs, &JobRunner::started, this, [this] { emit busyChanged(true); });
    connect(m_jobs, &JobRunner::finished, this, [this] {
        if (!m_jobs->busy())
            emit busyChanged(false);
    });
}

BatchSizeView::~BatchSizeView()
{
    m_jobs->shutdown(); // its jobs capture this view
}

bool BatchSizeView::busy() const
{
    return m_jobs->busy();
}

void BatchSizeView::waitUntilIdle()
{
    while (m_jobs->busy())
        m_jobs->waitForIdle();
}

void BatchSizeView::cancel()
{
    m_jobs->cancel();
}

void BatchSizeView::setTrace(std::shared_ptr<const moe::Trace> trace)
{
    if (!trace)
        return;
    m_curve.reset();
    m_jobs->start(tr("Batch sizes"), [this, trace](JobControl& control) -> JobRunner::Apply {
        // Powers of two up to the number of requests: beyond it no batch grows.
        const auto requests = requestCount(*trace);
        std::vector<int> sizes;
        for (int b = 1; b <= 4096 && (b == 1 || b / 2 < requests); b *= 2)
            sizes.push_back(b);
        Progress p;
        p.callback
            = [&control](double f, std::string_view) { return control.progress(f, QStringLiteral("batch sizes")); };
        auto curve = std::make_shared<const moe::BatchSizeCurve>(moe::activatedByBatchSize(*trace, sizes, p));
        if (control.cancelled())
            return nullptr;
        return [this, curve] {
            m_curve = curve;
            draw();
        };
    });
}

void BatchSizeView::setCurrentBatch(bool replay, int batchSize, int chosen)
{
    if (replay == m_replay && batchSize == m_batchSize && chosen == m_chosen)
        return;
    m_replay = replay;
    m_batchSize = batchSize;
    m_chosen = chosen;
    if (m_curve)
        draw();
}

void BatchSizeView::draw()
{
    drawBatchSizes(this, *m_curve, m_replay, m_batchSize, m_chosen);
    replot(QCustomPlot::rpQueuedReplot);
}

} // namespace deltascope::ui
