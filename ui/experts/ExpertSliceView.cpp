// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertSliceView.h"

#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QValidator>
#include <algorithm>
#include <numeric>

namespace deltascope::ui {

/// A spin box over the trace's layer indices that shows (and takes) the model's layer numbers,
/// as the heatmaps and the per-layer table name them: a log of layer 12 alone shows "12", not "0".
class LayerSpinBox : public QSpinBox {
public:
    using QSpinBox::QSpinBox;

    void setLayerIds(std::vector<int> ids)
    {
        m_ids = std::move(ids);
        setRange(0, std::max(0, static_cast<int>(m_ids.size()) - 1));
        lineEdit()->setText(textFromValue(value())); // the same index may now name another layer
    }

protected:
    QString textFromValue(int index) const override
    {
        return index >= 0 && index < static_cast<int>(m_ids.size())
            ? QString::number(m_ids[static_cast<std::size_t>(index)])
            : QString::number(index);
    }

    int valueFromText(const QString& text) const override
    {
        const int id = text.trimmed().toInt();
        const auto at = std::find(m_ids.begin(), m_ids.end(), id);
        return at == m_ids.end() ? value() : static_cast<int>(at - m_ids.begin());
    }

    QValidator::State validate(QString& text, int&) const override
    {
        const QString t = text.trimmed();
        if (t.isEmpty())
            return QValidator::Intermediate;
        bool ok = false;
        const int id = t.toInt(&ok);
        if (!ok)
            return QValidator::Invalid;
        if (std::find(m_ids.begin(), m_ids.end(), id) != m_ids.end())
            return QValidator::Acceptable;
        // A prefix of a layer number ("1" on the way to "12").
        for (const int x : m_ids)
            if (QString::number(x).startsWith(t))
                return QValidator::Intermediate;
        return QValidator::Invalid;
    }

private:
    std::vector<int> m_ids;
};

ExpertSliceView::ExpertSliceView(QWidget* parent)
    : QWidget(parent)
    , m_plot(new PlotView(this))
    , m_layer(new LayerSpinBox(this))
    , m_batch(new QSpinBox(this))
    , m_info(new QLabel(this))
{
    m_layer->setObjectName(QStringLiteral("sliceLayer"));
    m_info->setObjectName(QStringLiteral("sliceInfo"));
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

QString ExpertSliceView::layerText() const
{
    return m_layer->text();
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
        const auto& t = *m_run->trace;
        std::vector<int> ids = t.layerIds;
        if (static_cast<std::int64_t>(ids.size()) != t.layers) { // no model numbers: the indices
            ids.resize(static_cast<std::size_t>(t.layers));
            std::iota(ids.begin(), ids.end(), 0);
        }
        m_layer->setLayerIds(std::move(ids));
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
    const std::vector<char> used = d.value->activated();
    const int active = static_cast<int>(std::count(used.begin(), used.end(), 1));
    // The budget fills the selection even past the experts any token wants: those are selected but
    // activate nothing (the charts count activated experts).
    const QString chosen = d.value->selected.empty() || active == selected
        ? tr("%n selected expert(s)", "", selected)
        : tr("%1 selected, %2 of them activated").arg(selected).arg(active);
    m_info->setText(tr("%1; %2; %3")
                        .arg(tr("%n token(s)", "", d.value->tokens), chosen,
                            tr("%n token(s) routed differently from their top-k", "", changed)));
    drawSlice(m_plot, *d.value);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace deltascope::ui
