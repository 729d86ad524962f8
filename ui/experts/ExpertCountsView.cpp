// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertCountsView.h"

#include "common/AppSettings.h"
#include "export/ExportFiles.h"
#include "moe/Placement.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

namespace deltascope::ui {

namespace {

moe::ExpertPlacement placementOf(const moe::ExpertCounts& counts, int devices, int replicas)
{
    return moe::balancedPlacement(counts.perExpert(), devices, replicas);
}

} // namespace

ExpertCountsView::ExpertCountsView(QWidget* parent)
    : QWidget(parent)
    , m_plot(new PlotView(this))
    , m_devices(new QSpinBox(this))
    , m_replicas(new QSpinBox(this))
    , m_info(new QLabel(tr("Open expert load counts (File ▸ Open expert load counts…): SGLang's "
                           "layer_id,expert_id,count CSV or JSON logical_count."),
          this))
{
    m_devices->setObjectName(QStringLiteral("countsDevices"));
    m_replicas->setObjectName(QStringLiteral("countsReplicas"));
    m_devices->setRange(1, 1024);
    m_devices->setValue(8);
    m_replicas->setRange(0, 65536);
    m_replicas->setToolTip(tr("extra expert copies for the heaviest experts (EPLB-style)"));
    m_info->setWordWrap(true);
    auto* exportButton = new QPushButton(tr("Export balanced placement…"), this);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        AppSettings settings;
        const QString typed = QFileDialog::getSaveFileName(this, tr("Balanced placement"),
            settings.lastExportDirectory() + QStringLiteral("/placement.json"), tr("JSON (*.json)"));
        const QString path
            = exporter::confirmedSavePath(this, tr("Balanced placement"), typed, QStringLiteral("(*.json)"));
        if (path.isEmpty())
            return;
        settings.setLastExportDirectory(QFileInfo(path).absolutePath());
        const QString why = exportPlacement(path);
        emit statusMessage(why.isEmpty() ? tr("Placement written to %1").arg(QFileInfo(path).fileName()) : why);
    });
    auto* useButton = new QPushButton(tr("Balance the trace by these counts"), this);
    useButton->setToolTip(tr("The expert-sharing run places the experts by these loads, on these devices, with these "
                             "extra copies"));
    connect(useButton, &QPushButton::clicked, this, [this] {
        if (m_counts)
            emit useForBalance(m_path, m_devices->value(), m_replicas->value());
    });
    connect(m_devices, &QSpinBox::valueChanged, this, &ExpertCountsView::redraw);
    connect(m_replicas, &QSpinBox::valueChanged, this, &ExpertCountsView::redraw);
    // Both act on open counts: off until some are open.
    exportButton->setObjectName(QStringLiteral("exportPlacement"));
    useButton->setObjectName(QStringLiteral("useCounts"));
    for (QPushButton* b : { exportButton, useButton }) {
        b->setEnabled(false);
        m_needCounts << b;
    }
    m_use = useButton;
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("devices"), this));
    bar->addWidget(m_devices);
    bar->addWidget(new QLabel(tr("extra copies"), this));
    bar->addWidget(m_replicas);
    bar->addWidget(exportButton);
    bar->addWidget(useButton);
    bar->addWidget(m_info, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);
    m_plot->showEmptyNote(tr("No expert load counts are open.\nDrop an SGLang CSV (layer_id,expert_id,count) or a "
                             "logical_count JSON\non the trace box to see each layer's expert loads."));
}

QString ExpertCountsView::open(const QString& path)
{
    auto c = moe::loadExpertCounts(path.toStdString());
    if (!c.ok())
        return QString::fromStdString(c.error->toString());
    m_counts = std::make_shared<const moe::ExpertCounts>(std::move(*c.value));
    m_path = path;
    updateButtons();
    redraw();
    return {};
}

void ExpertCountsView::setTraceExperts(std::int64_t experts)
{
    m_traceExperts = experts;
    updateButtons();
}

void ExpertCountsView::updateButtons()
{
    // Counts balance a trace of the same model only: as many experts on both.
    const bool fits = m_counts && m_traceExperts > 0 && m_counts->experts == m_traceExperts;
    for (QWidget* w : m_needCounts)
        w->setEnabled(m_counts != nullptr && (w != m_use || fits));
    if (m_traceExperts <= 0)
        m_use->setToolTip(tr("Open a router trace first: these counts then place its experts"));
    else if (m_counts && !fits)
        m_use->setToolTip(tr("These counts name %1 experts and the trace has %2: open counts of the trace's model to "
                             "balance it")
                              .arg(m_counts->experts)
                              .arg(m_traceExperts));
    else
        m_use->setToolTip(
            tr("The expert-sharing run places the experts by these loads, on these devices, with these extra copies"));
}

void ExpertCountsView::redraw()
{
    if (!m_counts)
        return;
    const auto& c = *m_counts;
    // Each layer's share of its own assignments: layers with more tokens do not drown the others.
    std::vector<double> share(c.counts.size(), 0.0);
    double hi = 0;
    for (std::int64_t l = 0; l < c.layers; ++l) {
        double total = 0;
        for (std::int64_t e = 0; e < c.experts; ++e)
            total += c.at(l, e);
        for (std::int64_t e = 0; e < c.experts; ++e) {
            const auto i = static_cast<std::size_t>(l * c.experts + e);
            share[i] = total > 0 ? c.counts[i] / total : 0.0;
            hi = std::max(hi, share[i]);
        }
    }
    drawLayerExpertMap(m_plot, share, static_cast<int>(c.layers), static_cast<int>(c.experts), c.layerIds,
        tr("share of the layer's assignments"), 0, hi > 0 ? hi : 1.0, false);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    const auto p = placementOf(c, m_devices->value(), m_replicas->value());
    std::vector<double> deviceLoad(static_cast<std::size_t>(m_devices->value()), 0.0);
    const auto loads = c.perExpert();
    double total = 0;
    for (std::int64_t e = 0; e < c.experts; ++e) {
        const double load = loads[static_cast<std::size_t>(e)];
        total += load;
        const auto& extra = p.replicas.empty() ? std::vector<int>() : p.replicas[static_cast<std::size_t>(e)];
        const double share1 = load / static_cast<double>(1 + extra.size());
        deviceLoad[static_cast<std::size_t>(p.device[static_cast<std::size_t>(e)])] += share1;
        for (const int d : extra)
            deviceLoad[static_cast<std::size_t>(d)] += share1;
    }
    const double mean = total / static_cast<double>(deviceLoad.size());
    const double peak = *std::max_element(deviceLoad.begin(), deviceLoad.end());
    m_info->setText(tr("%1: %2 layers x %3 experts. Balanced over %4 devices: the busiest device carries "
                       "%5x the mean load.")
                        .arg(QFileInfo(m_path).fileName())
                        .arg(c.layers)
                        .arg(c.experts)
                        .arg(deviceLoad.size())
                        .arg(mean > 0 ? peak / mean : 1.0, 0, 'f', 3));
}

QString ExpertCountsView::summary() const
{
    return m_counts ? m_info->text() : QString();
}

int ExpertCountsView::experts() const
{
    return m_counts ? static_cast<int>(m_counts->experts) : 0;
}

int ExpertCountsView::devices() const
{
    return m_devices->value();
}

int ExpertCountsView::replicas() const
{
    return m_replicas->value();
}

QString ExpertCountsView::exportPlacement(const QString& path) const
{
    if (!m_counts)
        return tr("no expert load counts are open");
    const auto p = placementOf(*m_counts, m_devices->value(), m_replicas->value());
    QJsonArray entries;
    for (std::size_t e = 0; e < p.device.size(); ++e) {
        if (p.replicas.empty() || p.replicas[e].empty()) {
            entries.append(p.device[e]);
            continue;
        }
        QJsonArray copies { p.device[e] };
        for (const int d : p.replicas[e])
            copies.append(d);
        entries.append(copies);
    }
    QJsonObject o;
    o[QStringLiteral("placement")] = entries;
    o[QStringLiteral("devices")] = m_devices->value();
    o[QStringLiteral("source")] = m_path;
    return exporter::writeFile(path, QJsonDocument(o).toJson(QJsonDocument::Indented));
}

} // namespace deltascope::ui
