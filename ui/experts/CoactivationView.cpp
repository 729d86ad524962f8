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
    // The long explanation sits on the bar above the plot; the colour bar's title stays short enough
    // to fit a small window's plot.
    bar->addWidget(new QLabel(tr("fraction of tokens whose top-k holds both experts (the diagonal, an expert with "
                                 "itself, is drawn off the scale)"),
                       this),
        1);
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
            const int n = static_cast<int>(trace->experts);
            // The scale spans the pairs of two experts: an expert with itself (the diagonal, its
            // own token count) would dwarf every pair, and is drawn at the top of the scale.
            v.scaleLabel = tr("tokens choosing both");
            v.hi = 0.0;
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j)
                    if (i != j || n == 1)
                        v.hi = std::max(v.hi,
                            (*m)[static_cast<std::size_t>(i) * static_cast<std::size_t>(n)
                                + static_cast<std::size_t>(j)]);
            v.hi = v.hi > 0 ? v.hi : 1.0;
            drawMatrix(m_plot, *m, n, n, v);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        };
    });
}

} // namespace deltascope::ui
