// SPDX-License-Identifier: GPL-3.0-or-later
// The Expert sharing page's widgets: the trace box and its facts, the controls, the headline, the
// progress row, the tabs of views and the welcome panel shown until something is open.
#include "analysis/ExpertSharing.h"
#include "common/InputHelp.h"
#include "degradation/DropZone.h"
#include "experts/BatchSizeView.h"
#include "experts/CoactivationView.h"
#include "experts/ExpertControls.h"
#include "experts/ExpertCountsView.h"
#include "experts/ExpertMapsView.h"
#include "experts/ExpertSliceView.h"
#include "experts/ExpertsController.h"
#include "experts/ExpertsPage.h"
#include "plot/PlotView.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace deltascope::ui {

namespace {
constexpr int kAnyDevices = 1 << 20; ///< more devices than any placement file names
} // namespace

void ExpertsPage::buildUi()
{
    m_zone = new DropZone(tr("Router trace"), this);
    m_zone->setPrompts(tr("drop a router trace (.safetensors, .jsonl, .npy, a Megatron trace folder) or expert load "
                          "counts (.csv, .json) here"),
        tr("Choose a Megatron-Core trace folder (router_trace_rank*.jsonl)"),
        tr("Choose a router trace (.safetensors, .jsonl, .npy) or expert load counts (.csv, .json)"),
        tr("Router traces and expert counts (*.safetensors *.jsonl *.npy *.csv *.json);;All files (*)"));
    connect(m_zone, &DropZone::pathChosen, this, [this](const QString& p) {
        // A .csv or .json is expert load counts (traces are safetensors, JSONL, .npy or folders).
        if (p.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive)
            || p.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive))
            openCounts(p);
        else
            openTrace(p);
    });
    m_facts = new QLabel(this);
    m_facts->setObjectName(QStringLiteral("traceFacts"));
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    connect(m_facts, &QLabel::linkActivated, this, &ExpertsPage::showTraceWarnings);
    m_importButton = new QPushButton(tr("Import options…"), this);
    m_importButton->setToolTip(tr("How traces are read: the model's top-k (.npy), experts, score kind, top-k "
                                  "renormalisation, model name, tokens per request, JSONL keys, malformed records"));
    connect(m_importButton, &QPushButton::clicked, this, &ExpertsPage::editTraceImport);
    m_controls = new ExpertControls(this);
    connect(m_controls, &ExpertControls::changed, m_debounce, qOverload<>(&QTimer::start));
    connect(m_controls, &ExpertControls::changed, this, [this] { m_autoBudget = false; });
    m_controls->setPlacementCheck([this](const ExpertSettings& settings) -> std::optional<Diagnostic> {
        const auto trace = m_controller->trace();
        if (!trace)
            return std::nullopt;
        // Whether the file reads and places this trace's experts. Its devices are not held to the
        // devices set now: the user may raise those after picking it (a run then says so).
        ExpertSettings probe = settings;
        if (!probe.placementFile.isEmpty())
            probe.devices = kAnyDevices;
        const auto policy = analysis::policyFor(scenarioOf(probe, trace, m_controller->path()), *trace);
        if (policy.ok())
            return std::nullopt;
        return *policy.error;
    });

    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    QFont big = m_summary->font();
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_summary->setFont(big);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setToolTip(metricDefinitions());
    m_progressRow = new QWidget(this);
    m_progress = new QProgressBar(m_progressRow);
    m_progress->setMaximumHeight(10);
    m_progress->setTextVisible(false);
    m_cancel = new QPushButton(tr("Cancel"), m_progressRow);
    m_cancel->setToolTip(tr("Stop opening the trace or computing (Esc)"));
    connect(m_cancel, &QPushButton::clicked, this, &ExpertsPage::cancel);
    auto* progressLayout = new QHBoxLayout(m_progressRow);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    progressLayout->addWidget(m_progress, 1);
    progressLayout->addWidget(m_cancel);
    m_progressRow->hide();

    m_maps = new ExpertMapsView(this);
    m_sweep = new PlotView(this);
    m_layers = new PlotView(this);
    m_devicesPlot = new PlotView(this);
    m_slice = new ExpertSliceView(this);
    m_coactivation = new CoactivationView(this);
    m_sizes = new BatchSizeView(this);
    m_counts = new ExpertCountsView(this);
    connect(m_counts, &ExpertCountsView::statusMessage, this, &ExpertsPage::statusMessage);
    connect(m_counts, &ExpertCountsView::useForBalance, this, [this](const QString& path, int devices, int replicas) {
        // Counts for another number of experts cannot place this trace's: refused before any
        // setting changes, so the result shown stays that of the settings shown.
        const auto t = trace();
        if (t && m_counts->experts() != t->experts) {
            emit statusMessage(tr("Not applied: %1 names %2 experts per layer, the trace has %3; the settings are "
                                  "unchanged")
                                   .arg(QFileInfo(path).fileName())
                                   .arg(m_counts->experts())
                                   .arg(t->experts));
            return;
        }
        m_controls->useCountsForBalance(path, devices, replicas);
    });
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_maps, tr("Activation heatmaps"));
    m_tabs->addTab(m_sweep, tr("Budget sweep"));
    m_tabs->addTab(m_layers, tr("Per layer"));
    m_tabs->addTab(m_devicesPlot, tr("Per device"));
    m_tabs->addTab(m_slice, tr("One slice"));
    m_tabs->addTab(m_coactivation, tr("Co-activation"));
    m_tabs->addTab(m_sizes, tr("Batch size"));
    m_tabs->addTab(m_counts, tr("Load counts"));

    auto* top = new QHBoxLayout;
    top->addWidget(m_zone, 2);
    top->addWidget(m_facts, 3);
    top->addWidget(m_importButton, 0, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_controls);
    layout->addWidget(m_summary);
    layout->addWidget(m_progressRow);
    // Until a trace or counts are open, what to drop and where to get it.
    m_welcome = new WelcomePanel(tr("How many experts does a batch really need?"),
        tr("<p>Drop a <b>router trace</b> on the box above (or use its buttons): Deltascope's native "
           "<code>.safetensors</code> written by the bundled exporter, per-token JSONL router records, a "
           "Megatron-Core trace folder, a vLLM routing log or a dense <code>.npy</code> array. Drop <b>expert load "
           "counts</b> (<code>.csv</code> layer_id,expert_id,count or <code>.json</code>) for load heatmaps and "
           "expert placement.</p>"
           "<p>Then choose a policy and a budget M (the most distinct experts a layer may activate per batch): "
           "the charts show how many experts each slice (one layer of one batch) activates, how much of the "
           "gating mass is kept, how many tokens keep their own top-k experts, and the peak load per device "
           "under expert parallelism, for every budget.</p>"
           "<p><a href='#demo'>Open the demo trace</a> (synthetic, calibrated on OLMoE-1B-7B's expert loads) "
           "&nbsp;·&nbsp; <a href='#help'>How to produce these files</a></p>"
           "<p style='color:gray'>Hover a control, a column header or the headline for its definition.</p>"),
        this);
    connect(m_welcome, &WelcomePanel::demoRequested, this, &ExpertsPage::openDemo);
    m_body = new QStackedWidget(this);
    m_body->addWidget(m_welcome);
    m_body->addWidget(m_tabs);
    layout->addWidget(m_body, 1);
    m_summary->setText(tr("Open a router trace (drop it on the box, or File ▸ Open router trace…) or the demo trace."));
}

} // namespace deltascope::ui
