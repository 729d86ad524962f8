// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertSliceView.h"

#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

namespace deltascope::ui {

ExpertSliceView::ExpertSliceView(QWidget* parent)
    : QWidget(parent)
    , m_plot(new PlotView(this))
    , m_layer(new QSpinBox(this))
    , m_batch(new QSpinBox(this))
    , m_info(new QLabel(this))
{
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("layer"), this));
    bar->addWidget(m_layer);
    bar->addWidget(new QLabel(tr("batch"), this));
    bar->addWidget(m_batch);
    bar->addWidget(m_info, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);
    connect(m_layer, &QSpinBox::valueChanged, this, &ExpertSliceView::redraw);
    connect(m_batch, &QSpinBox::valueChanged, this, &ExpertSliceView::redraw);
}

int ExpertSliceView::layer() const
{
    return m_layer->value();
}

int ExpertSliceView::batch() const
{
    return m_batch->value();
}

void ExpertSliceView::setSlice(int layer, int batch)
{
    const QSignalBlocker b1(m_layer);
    const QSignalBlocker b2(m_batch);
    m_layer->setMaximum(std::max(m_layer->maximum(), layer));
    m_batch->setMaximum(std::max(m_batch->maximum(), batch));
    m_layer->setValue(layer);
    m_batch->setValue(batch);
    redraw();
}

void ExpertSliceView::setRun(const ExpertRunPtr& run)
{
    m_run = run;
    if (!m_run)
        return;
    {
        const QSignalBlocker b1(m_layer);
        const QSignalBlocker b2(m_batch);
        m_layer->setRange(0, std::max(0, static_cast<int>(m_run->trace->layers) - 1));
        m_batch->setRange(0, std::max(0, static_cast<int>(m_run->batches->tokens.size()) - 1));
    }
    redraw();
}

void ExpertSliceView::redraw()
{
    if (!m_run)
        return;
    // The run's own policy, placement included, so the slice shows what the charts count.
    const auto d = moe::sliceDetail(
        *m_run->trace, *m_run->batches, m_layer->value(), m_batch->value(), *m_run->policy, m_run->budget);
    if (!d.ok()) {
        m_info->setText(QString::fromStdString(d.error->toString()));
        return;
    }
    int changed = 0;
    for (std::size_t t = 0; t < static_cast<std::size_t>(d.value->tokens); ++t)
        changed += d.value->routed[t] != d.value->baseline[t] ? 1 : 0;
    const int selected = d.value->selected.empty() ? d.value->experts : static_cast<int>(d.value->selected.size());
    m_info->setText(tr("%1; %2; %3")
                        .arg(tr("%n token(s)", "", d.value->tokens), tr("%n selected expert(s)", "", selected),
                            tr("%n token(s) routed differently from their top-k", "", changed)));
    drawSlice(m_plot, *d.value);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace deltascope::ui
