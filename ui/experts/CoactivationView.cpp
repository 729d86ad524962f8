// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/CoactivationView.h"

#include "common/JobRunner.h"
#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

namespace deltascope::ui {

CoactivationView::CoactivationView(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
    , m_plot(new PlotView(this))
    , m_layer(new QSpinBox(this))
{
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("layer"), this));
    bar->addWidget(m_layer);
    bar->addWidget(new QLabel(tr("fraction of tokens whose top-k holds both experts"), this), 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);
    connect(m_layer, &QSpinBox::valueChanged, this, &CoactivationView::recompute);
    connect(m_jobs, &JobRunner::started, this, [this] { emit busyChanged(true); });
    connect(m_jobs, &JobRunner::finished, this, [this] {
        if (!m_jobs->busy())
            emit busyChanged(false);
    });
}

CoactivationView::~CoactivationView()
{
    m_jobs->shutdown(); // its jobs capture this view
}

void CoactivationView::setTrace(std::shared_ptr<const moe::Trace> trace)
{
    m_trace = std::move(trace);
    if (!m_trace)
        return;
    {
        const QSignalBlocker block(m_layer);
        m_layer->setRange(0, std::max(0, static_cast<int>(m_trace->layers) - 1));
    }
    recompute();
}

bool CoactivationView::busy() const
{
    return m_jobs->busy();
}

void CoactivationView::waitUntilIdle()
{
    while (m_jobs->busy())
        m_jobs->waitForIdle();
}

void CoactivationView::cancel()
{
    m_jobs->cancel();
}

void CoactivationView::recompute()
{
    if (!m_trace)
        return;
    const int layer = m_layer->value();
    m_jobs->start(tr("Co-activation"), [this, trace = m_trace, layer](JobControl&) -> JobRunner::Apply {
        auto m = std::make_shared<std::vector<double>>(moe::coactivation(*trace, layer));
        return [this, m, trace] {
            MatrixView v;
            v.xLabel = tr("expert");
            v.yLabel = tr("expert");
            v.scaleLabel = tr("tokens choosing both");
            v.hi = 0.0;
            for (const double x : *m)
                v.hi = std::max(v.hi, x);
            v.hi = v.hi > 0 ? v.hi : 1.0;
            const int n = static_cast<int>(trace->experts);
            drawMatrix(m_plot, *m, n, n, v);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        };
    });
}

} // namespace deltascope::ui
