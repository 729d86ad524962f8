#include "experts/ExpertsPage.h"

#include "common/Format.h"
#include "common/JobRunner.h"
#include "degradation/DropZone.h"
#include "experts/LayerTableModel.h"
#include "moe/Placement.h"
#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace deltascope::ui {

ExpertsPage::ExpertsPage(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
    , m_coJobs(new JobRunner(this))
    , m_sizeJobs(new JobRunner(this))
    , m_debounce(new QTimer(this))
{
    // A slider drag sends many values: each starts a computation only after a short pause, and
    // the newest request wins anyway.
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(40);
    connect(m_debounce, &QTimer::timeout, this, &ExpertsPage::recompute);
    std::string note;
    m_compute = backend::makeBackend(backend::BackendKind::Auto, note);
    buildUi();
    connect(m_jobs, &JobRunner::started, this, [this] {
        m_progress->setRange(0, 0);
        m_progress->show();
    });
    connect(m_jobs, &JobRunner::progressed, this, [this](quint64, double f, const QString&, double) {
        if (f >= 0) {
            m_progress->setRange(0, 1000);
            m_progress->setValue(static_cast<int>(1000 * f));
        }
    });
    connect(m_jobs, &JobRunner::finished, this, [this] {
        if (!m_jobs->busy()) // not when the result just started the next job
            m_progress->hide();
    });
}

ExpertsPage::~ExpertsPage()
{
    // The jobs use this page's backend and trace: end them before the members go.
    m_jobs->shutdown();
    m_coJobs->shutdown();
    m_sizeJobs->shutdown();
}

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
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_policy = new QComboBox(this);
    m_policy->addItem(tr("top-k (no sharing)"), int(moe::Policy::TopK));
    m_policy->addItem(tr("XShare batch greedy"), int(moe::Policy::Batch));
    m_policy->addItem(tr("XShare expert-parallel"), int(moe::Policy::ExpertParallel));
    m_policy->addItem(tr("XShare speculative"), int(moe::Policy::Speculative));
    m_policy->setCurrentIndex(1);
    m_budget = new QSlider(Qt::Horizontal, this);
    m_budgetBox = new QSpinBox(this);
    m_warmup = new QSpinBox(this);
    m_warmup->setRange(0, 64);
    m_warmup->setValue(1);
    m_warmup->setToolTip(tr("each token's top-w experts go first (0: none)"));
    m_replay = new QCheckBox(tr("replay"), this);
    m_replay->setChecked(true);
    m_replay->setToolTip(tr("continuous batching replay; off: the batches recorded in the trace"));
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 65536);
    m_batch->setValue(32);
    m_gamma = new QSpinBox(this);
    m_gamma->setRange(0, 64);
    m_gamma->setToolTip(tr("speculative length: each request adds 1 + gamma tokens per step"));
    m_devices = new QSpinBox(this);
    m_devices->setRange(1, 1024);
    m_devices->setValue(8);
    m_requestExperts = new QSpinBox(this);
    m_requestExperts->setRange(0, 4096);
    m_requestExperts->setSpecialValueText(tr("k"));
    m_requestExperts->setToolTip(tr("speculative policy: the experts each request keeps (k by default)"));
    m_placement = new QComboBox(this);
    m_placement->addItems({ tr("contiguous"), tr("balanced"), tr("from a file…") });
    m_requests = new QLineEdit(this);
    m_requests->setPlaceholderText(tr("all requests"));
    m_requests->setToolTip(tr("replay only these requests, e.g. 0-9, 20, 31-40 (mix datasets by their request ids)"));
    m_requests->setClearButtonEnabled(true);
    connect(m_requests, &QLineEdit::editingFinished, this, [this] { m_debounce->start(); });
    connect(m_budget, &QSlider::valueChanged, m_budgetBox, &QSpinBox::setValue);
    connect(m_budgetBox, &QSpinBox::valueChanged, m_budget, &QSlider::setValue);
    connect(m_budgetBox, &QSpinBox::valueChanged, this, [this] { m_debounce->start(); });
    for (QSpinBox* box : { m_warmup, m_batch, m_gamma, m_devices, m_requestExperts })
        connect(box, &QSpinBox::valueChanged, this, [this] { m_debounce->start(); });
    connect(m_policy, &QComboBox::currentIndexChanged, this, [this] { m_debounce->start(); });
    connect(m_placement, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i == 2) {
            const QString p = QFileDialog::getOpenFileName(
                this, tr("Expert placement"), QString(), tr("Placements (*.json *.csv);;All files (*)"));
            if (p.isEmpty()) {
                const QSignalBlocker block(m_placement);
                m_placement->setCurrentIndex(m_placementFile.isEmpty() ? 0 : 2);
                return;
            }
            m_placementFile = p;
        } else {
            m_placementFile.clear();
        }
        m_debounce->start();
    });
    connect(m_replay, &QCheckBox::toggled, this, [this] { m_debounce->start(); });

    auto* controls = new QGridLayout;
    controls->addWidget(new QLabel(tr("policy"), this), 0, 0);
    controls->addWidget(m_policy, 0, 1);
    controls->addWidget(new QLabel(tr("budget M"), this), 0, 2);
    controls->addWidget(m_budget, 0, 3);
    controls->addWidget(m_budgetBox, 0, 4);
    controls->addWidget(new QLabel(tr("warm-up"), this), 0, 5);
    controls->addWidget(m_warmup, 0, 6);
    controls->addWidget(m_replay, 1, 0);
    auto* batching = new QHBoxLayout;
    batching->addWidget(new QLabel(tr("batch size"), this));
    batching->addWidget(m_batch);
    batching->addWidget(new QLabel(tr("gamma"), this));
    batching->addWidget(m_gamma);
    batching->addWidget(new QLabel(tr("devices"), this));
    batching->addWidget(m_devices);
    batching->addWidget(new QLabel(tr("placement"), this));
    batching->addWidget(m_placement);
    batching->addWidget(new QLabel(tr("experts per request"), this));
    batching->addWidget(m_requestExperts);
    batching->addWidget(new QLabel(tr("requests"), this));
    batching->addWidget(m_requests, 1);
    batching->addStretch(1);
    controls->addLayout(batching, 1, 1, 1, 6);
    controls->setColumnStretch(3, 1);

    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    QFont big = m_summary->font();
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_summary->setFont(big);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_progress = new QProgressBar(this);
    m_progress->setMaximumHeight(8);
    m_progress->setTextVisible(false);
    m_progress->hide();

    m_mapBase = new PlotView(this);
    m_mapPolicy = new PlotView(this);
    m_mapDiff = new PlotView(this);
    m_sweep = new PlotView(this);
    m_layers = new PlotView(this);
    m_devicesPlot = new PlotView(this);
    auto* maps = new QWidget(this);
    auto* mapsLayout = new QGridLayout(maps);
    mapsLayout->setContentsMargins(0, 0, 0, 0);
    auto* titleBase = new QLabel(tr("<b>Top-k</b>: how often each expert is active per slice"), maps);
    auto* titlePolicy = new QLabel(tr("<b>Policy</b> at the current budget"), maps);
    auto* titleDiff = new QLabel(tr("<b>Difference</b> (policy - top-k)"), maps);
    mapsLayout->addWidget(titleBase, 0, 0);
    mapsLayout->addWidget(titlePolicy, 0, 1);
    mapsLayout->addWidget(m_mapBase, 1, 0);
    mapsLayout->addWidget(m_mapPolicy, 1, 1);
    mapsLayout->addWidget(titleDiff, 2, 0);
    mapsLayout->addWidget(m_mapDiff, 3, 0);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(maps, tr("Activation heatmaps"));
    m_tabs->addTab(m_sweep, tr("Budget sweep"));
    m_tabs->addTab(m_layers, tr("Per layer"));
    m_tabs->addTab(m_devicesPlot, tr("Per device"));

    // One slice, tokens x experts.
    auto* sliceTab = new QWidget(this);
    m_slice = new PlotView(sliceTab);
    m_sliceLayer = new QSpinBox(sliceTab);
    m_sliceBatch = new QSpinBox(sliceTab);
    m_sliceInfo = new QLabel(sliceTab);
    auto* sliceBar = new QHBoxLayout;
    sliceBar->addWidget(new QLabel(tr("layer"), sliceTab));
    sliceBar->addWidget(m_sliceLayer);
    sliceBar->addWidget(new QLabel(tr("batch"), sliceTab));
    sliceBar->addWidget(m_sliceBatch);
    sliceBar->addWidget(m_sliceInfo, 1);
    auto* sliceLayout = new QVBoxLayout(sliceTab);
    sliceLayout->setContentsMargins(0, 0, 0, 0);
    sliceLayout->addLayout(sliceBar);
    sliceLayout->addWidget(m_slice, 1);
    m_tabs->addTab(sliceTab, tr("One slice"));
    connect(m_sliceLayer, &QSpinBox::valueChanged, this, &ExpertsPage::redrawSlice);
    connect(m_sliceBatch, &QSpinBox::valueChanged, this, &ExpertsPage::redrawSlice);

    // Co-activation within one layer.
    auto* coTab = new QWidget(this);
    m_coactivation = new PlotView(coTab);
    m_coLayer = new QSpinBox(coTab);
    auto* coBar = new QHBoxLayout;
    coBar->addWidget(new QLabel(tr("layer"), coTab));
    coBar->addWidget(m_coLayer);
    coBar->addWidget(new QLabel(tr("fraction of tokens whose top-k holds both experts"), coTab), 1);
    auto* coLayout = new QVBoxLayout(coTab);
    coLayout->setContentsMargins(0, 0, 0, 0);
    coLayout->addLayout(coBar);
    coLayout->addWidget(m_coactivation, 1);
    m_tabs->addTab(coTab, tr("Co-activation"));
    connect(m_coLayer, &QSpinBox::valueChanged, this, &ExpertsPage::recomputeCoactivation);

    m_sizes = new PlotView(this);
    m_tabs->addTab(m_sizes, tr("Batch size"));

    // Expert load counts and the balanced placement they give.
    auto* countsTab = new QWidget(this);
    m_countsPlot = new PlotView(countsTab);
    m_countDevices = new QSpinBox(countsTab);
    m_countDevices->setRange(1, 1024);
    m_countDevices->setValue(8);
    m_countReplicas = new QSpinBox(countsTab);
    m_countReplicas->setRange(0, 65536);
    m_countReplicas->setToolTip(tr("extra expert copies for the heaviest experts (EPLB-style)"));
    m_countsInfo = new QLabel(tr("Open expert load counts (File ▸ Open expert load counts…): SGLang's "
                                 "layer_id,expert_id,count CSV or JSON logical_count."),
        countsTab);
    m_countsInfo->setWordWrap(true);
    auto* exportPlacementButton = new QPushButton(tr("Export balanced placement…"), countsTab);
    connect(exportPlacementButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Balanced placement"), QStringLiteral("placement.json"), tr("JSON (*.json)"));
        if (path.isEmpty())
            return;
        const QString why = exportPlacement(path);
        emit statusMessage(why.isEmpty() ? tr("Placement written to %1").arg(path) : why);
    });
    connect(m_countDevices, &QSpinBox::valueChanged, this, &ExpertsPage::redrawCounts);
    connect(m_countReplicas, &QSpinBox::valueChanged, this, &ExpertsPage::redrawCounts);
    auto* countsBar = new QHBoxLayout;
    countsBar->addWidget(new QLabel(tr("devices"), countsTab));
    countsBar->addWidget(m_countDevices);
    countsBar->addWidget(new QLabel(tr("extra copies"), countsTab));
    countsBar->addWidget(m_countReplicas);
    countsBar->addWidget(exportPlacementButton);
    countsBar->addWidget(m_countsInfo, 1);
    auto* countsLayout = new QVBoxLayout(countsTab);
    countsLayout->setContentsMargins(0, 0, 0, 0);
    countsLayout->addLayout(countsBar);
    countsLayout->addWidget(m_countsPlot, 1);
    m_tabs->addTab(countsTab, tr("Load counts"));

    m_layerModel = new LayerTableModel(this);
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_layerModel);
    proxy->setSortRole(LayerTableModel::SortRole);
    m_layerView = new QTableView(this);
    m_layerView->setModel(proxy);
    m_layerView->setSortingEnabled(true);
    m_layerView->verticalHeader()->hide();
    m_layerView->setAlternatingRowColors(true);
    m_layerView->horizontalHeader()->setStretchLastSection(true);
    mapsLayout->addWidget(m_layerView, 3, 1);
    mapsLayout->setColumnStretch(0, 1);
    mapsLayout->setColumnStretch(1, 1);
    mapsLayout->setRowStretch(1, 1);
    mapsLayout->setRowStretch(3, 1);
    m_layerView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);

    auto* top = new QHBoxLayout;
    top->addWidget(m_zone, 2);
    top->addWidget(m_facts, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(controls);
    layout->addWidget(m_summary);
    layout->addWidget(m_progress);
    layout->addWidget(m_tabs, 1);
    for (QWidget* w : std::initializer_list<QWidget*> { m_policy, m_budget, m_budgetBox, m_warmup, m_replay, m_batch,
             m_gamma, m_devices, m_placement, m_requestExperts, m_requests })
        w->setEnabled(false);
    m_summary->setText(tr("Open a router trace (drop it on the box, or File ▸ Open trace…) or the demo trace."));
}

void ExpertsPage::openTrace(const QString& path)
{
    m_lastError.clear();
    emit statusMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    m_jobs->start(tr("Opening the trace"), [this, path](JobControl& control) -> JobRunner::Apply {
        auto t = openTraceFile(path, &control);
        return [this, t = std::move(t), path] {
            if (!t.ok()) {
                m_lastError = QString::fromStdString(t.error->toString());
                emit statusMessage(tr("Could not open the trace: %1").arg(m_lastError));
                if (isVisible())
                    QMessageBox::warning(this, tr("Could not open the trace"), m_lastError);
                return;
            }
            setTrace(*t.value, path);
            emit traceOpened(path);
        };
    });
}

void ExpertsPage::openCounts(const QString& path)
{
    auto c = moe::loadExpertCounts(path.toStdString());
    if (!c.ok()) {
        m_lastError = QString::fromStdString(c.error->toString());
        emit statusMessage(tr("Could not read the counts: %1").arg(m_lastError));
        if (isVisible())
            QMessageBox::warning(this, tr("Could not read the counts"), m_lastError);
        return;
    }
    m_counts = std::make_shared<const moe::ExpertCounts>(std::move(*c.value));
    m_countsPath = path;
    redrawCounts();
    m_tabs->setCurrentWidget(m_countsPlot->parentWidget());
    emit statusMessage(tr("Expert load counts: %1 layers x %2 experts from %3")
                           .arg(m_counts->layers)
                           .arg(m_counts->experts)
                           .arg(QFileInfo(path).fileName()));
}

namespace {

// The balanced placement the counts give.
moe::ExpertPlacement placementOf(const moe::ExpertCounts& counts, int devices, int replicas)
{
    return moe::balancedPlacement(counts.perExpert(), devices, replicas);
}

} // namespace

void ExpertsPage::redrawCounts()
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
    drawLayerExpertMap(m_countsPlot, share, static_cast<int>(c.layers), static_cast<int>(c.experts), c.layerIds,
        tr("share of the layer's assignments"), 0, hi > 0 ? hi : 1.0, false);
    m_countsPlot->replot(QCustomPlot::rpQueuedReplot);
    const auto p = placementOf(c, m_countDevices->value(), m_countReplicas->value());
    std::vector<double> deviceLoad(static_cast<std::size_t>(m_countDevices->value()), 0.0);
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
    m_countsInfo->setText(tr("%1: %2 layers x %3 experts. Balanced over %4 devices: the busiest device carries "
                             "%5x the mean load.")
                              .arg(QFileInfo(m_countsPath).fileName())
                              .arg(c.layers)
                              .arg(c.experts)
                              .arg(deviceLoad.size())
                              .arg(mean > 0 ? peak / mean : 1.0, 0, 'f', 3));
}

QString ExpertsPage::exportPlacement(const QString& path) const
{
    if (!m_counts)
        return tr("no expert load counts are open");
    const auto p = placementOf(*m_counts, m_countDevices->value(), m_countReplicas->value());
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
    o[QStringLiteral("devices")] = m_countDevices->value();
    o[QStringLiteral("source")] = m_countsPath;
    return exporter::writeFile(path, QJsonDocument(o).toJson(QJsonDocument::Indented));
}

void ExpertsPage::openDemo()
{
    setTrace(demoTrace(), tr("demo (synthetic, OLMoE-calibrated)"));
    m_zone->setPath(tr("demo (synthetic, OLMoE-calibrated)"),
        tr("built in: seeded requests with their own topics, expert popularity from OLMoE-1B-7B's counts"));
    m_isDemo = true;
}

void ExpertsPage::setTrace(std::shared_ptr<const moe::Trace> trace, const QString& path)
{
    m_trace = std::move(trace);
    m_path = path;
    m_isDemo = false;
    m_run.reset();
    m_zone->setPath(path);
    const auto& t = *m_trace;
    const std::int64_t requests = requestCount(t);
    m_facts->setText(
        tr("<b>%1</b><br>%2 tokens in %3 requests · %4 layers · %5 experts, top-%6 · %7 (%8 %9) · %10 MB")
            .arg(QString::fromStdString(t.model.empty() ? std::string("unnamed model") : t.model).toHtmlEscaped())
            .arg(t.tokens)
            .arg(requests)
            .arg(t.layers)
            .arg(t.experts)
            .arg(t.topK)
            .arg(t.sparse ? tr("sparse") : tr("dense"))
            .arg(QString::fromLatin1(moe::toString(t.scoreType)), QString::fromLatin1(moe::toString(t.scoreKind)))
            .arg(static_cast<double>(t.scoreBytes()) / 1e6, 0, 'f', 1));
    const QSignalBlocker b1(m_budget);
    const QSignalBlocker b2(m_budgetBox);
    m_budget->setRange(static_cast<int>(t.topK), static_cast<int>(t.experts));
    m_budgetBox->setRange(static_cast<int>(t.topK), static_cast<int>(t.experts));
    const int start = m_pendingBudget > 0
        ? static_cast<int>(std::clamp<std::int64_t>(m_pendingBudget, t.topK, t.experts))
        : static_cast<int>(std::min<std::int64_t>(t.experts, 2 * t.topK));
    m_pendingBudget = -1;
    m_budget->setValue(start);
    m_budgetBox->setValue(start);
    m_replay->setEnabled(t.hasSteps());
    m_replay->setChecked(!t.hasSteps() || m_replay->isChecked());
    for (QWidget* w : std::initializer_list<QWidget*> { m_policy, m_budget, m_budgetBox, m_warmup, m_batch, m_gamma,
             m_devices, m_placement, m_requestExperts, m_requests })
        w->setEnabled(true);
    {
        const QSignalBlocker block(m_coLayer);
        m_coLayer->setRange(0, std::max(0, static_cast<int>(t.layers) - 1));
    }
    if (m_pendingView >= 0) {
        // A restored workspace: its slice and view (the slice spin boxes take their ranges when
        // the computation lands; setRun keeps values within them).
        m_sliceLayer->setMaximum(std::max(m_sliceLayer->maximum(), m_pendingLayer));
        m_sliceBatch->setMaximum(std::max(m_sliceBatch->maximum(), m_pendingBatch));
        m_sliceLayer->setValue(m_pendingLayer);
        m_sliceBatch->setValue(m_pendingBatch);
        if (m_pendingView < m_tabs->count())
            m_tabs->setCurrentIndex(m_pendingView);
        m_pendingView = -1;
    }
    recompute();
    recomputeCoactivation();
    recomputeBatchSizes();
}

workspace::ExpertState ExpertsPage::workspaceState() const
{
    workspace::ExpertState w;
    const auto s = settings();
    w.trace = m_isDemo ? std::string("demo") : m_path.toStdString();
    w.counts = m_countsPath.toStdString();
    w.replay = s.replay;
    w.batchSize = s.batchSize;
    w.gamma = s.gamma;
    w.policy = moe::toString(s.policy);
    w.warmup = s.warmup;
    w.devices = s.devices;
    w.balanced = s.balanced;
    w.placementFile = m_placementFile.toStdString();
    w.requests = m_requests->text().toStdString();
    w.requestExperts = s.requestExperts;
    w.budget = m_trace ? m_budgetBox->value() : std::max(0, m_pendingBudget);
    w.view = m_tabs->currentIndex();
    w.sliceLayer = m_sliceLayer->value();
    w.sliceBatch = m_sliceBatch->value();
    return w;
}

void ExpertsPage::restoreWorkspace(const workspace::ExpertState& w)
{
    // Controls first, without a computation each; the trace's opening computes once.
    for (QWidget* box : std::initializer_list<QWidget*> {
             m_batch, m_gamma, m_warmup, m_devices, m_requestExperts, m_policy, m_placement, m_replay, m_requests })
        box->blockSignals(true);
    m_replay->setChecked(w.replay);
    m_batch->setValue(w.batchSize);
    m_gamma->setValue(w.gamma);
    moe::Policy policy = moe::Policy::Batch;
    moe::parsePolicy(w.policy, policy);
    m_policy->setCurrentIndex(std::max(0, m_policy->findData(int(policy))));
    m_warmup->setValue(w.warmup);
    m_devices->setValue(w.devices);
    m_requestExperts->setValue(w.requestExperts);
    m_requests->setText(QString::fromStdString(w.requests));
    m_placementFile = QString::fromStdString(w.placementFile);
    m_placement->setCurrentIndex(!m_placementFile.isEmpty() ? 2 : (w.balanced ? 1 : 0));
    for (QWidget* box : std::initializer_list<QWidget*> {
             m_batch, m_gamma, m_warmup, m_devices, m_requestExperts, m_policy, m_placement, m_replay, m_requests })
        box->blockSignals(false);
    m_pendingBudget = w.budget > 0 ? w.budget : -1;
    m_pendingLayer = w.sliceLayer;
    m_pendingBatch = w.sliceBatch;
    m_pendingView = w.view;
    if (!w.counts.empty())
        openCounts(QString::fromStdString(w.counts));
    if (w.trace == "demo")
        openDemo();
    else if (!w.trace.empty())
        openTrace(QString::fromStdString(w.trace));
    else if (w.view >= 0 && w.view < m_tabs->count())
        m_tabs->setCurrentIndex(w.view);
}

ExpertSettings ExpertsPage::settings() const
{
    ExpertSettings s;
    s.replay = m_replay->isChecked();
    s.batchSize = m_batch->value();
    s.gamma = m_gamma->value();
    s.policy = static_cast<moe::Policy>(m_policy->currentData().toInt());
    s.warmup = m_warmup->value();
    s.devices = m_devices->value();
    s.balanced = m_placement->currentIndex() == 1;
    s.placementFile = m_placement->currentIndex() == 2 ? m_placementFile : QString();
    QString why;
    if (!parseRequestList(m_requests->text(), s.requests, why))
        s.requests.clear(); // shown when the computation starts
    s.requestExperts = m_requestExperts->value();
    return s;
}

void ExpertsPage::setBudget(int budget)
{
    m_budgetBox->setValue(budget);
    m_debounce->stop();
    recompute();
}

void ExpertsPage::recompute()
{
    if (!m_trace)
        return;
    std::vector<std::int32_t> wanted;
    QString why;
    if (!parseRequestList(m_requests->text(), wanted, why)) {
        m_lastError = why;
        emit statusMessage(tr("Requests: %1").arg(why));
        return;
    }
    const auto trace = m_trace;
    const auto from = m_run;
    const auto s = settings();
    const int budget = m_budgetBox->value();
    const QString path = m_path;
    m_jobs->start(tr("Expert selection"),
        [this, trace, from, s, budget, path, compute = m_compute](JobControl& control) -> JobRunner::Apply {
            auto r = computeExperts(from, trace, path, s, budget, &control, compute.get());
            if (control.cancelled())
                return nullptr;
            return [this, r = std::move(r)] {
                if (!r.ok()) {
                    m_lastError = QString::fromStdString(r.error->toString());
                    emit statusMessage(m_lastError);
                    return;
                }
                setRun(*r.value);
            };
        });
}

void ExpertsPage::setRun(ExpertRunPtr run)
{
    m_run = std::move(run);
    const auto& cur = *m_run->current;
    const auto& r = cur.results.front();
    const auto& m = cur.maps;
    const double slices = static_cast<double>(std::max<std::int64_t>(1, cur.sliceCount));
    m_summary->setText(tr("M = %1: <b>%2 → %3</b> experts per slice (%4 fewer), <b>%5</b> of the gating mass kept, "
                          "%6 of tokens unchanged, peak per device %7 → %8")
                           .arg(r.budget)
                           .arg(static_cast<double>(r.activatedBase) / slices, 0, 'f', 2)
                           .arg(static_cast<double>(r.activated) / slices, 0, 'f', 2)
                           .arg(percent(r.reduction), percent(r.massRetained), percent(r.unchangedTokens))
                           .arg(r.peakDeviceLoadBase, 0, 'f', 2)
                           .arg(r.peakDeviceLoad, 0, 'f', 2));
    std::vector<double> diff(m.base.size());
    double span = 0.05;
    for (std::size_t i = 0; i < diff.size(); ++i) {
        diff[i] = m.policy[i] - m.base[i];
        span = std::max(span, std::abs(diff[i]));
    }
    const auto& ids = m_run->trace->layerIds;
    drawLayerExpertMap(m_mapBase, m.base, m.layers, m.experts, ids, tr("active fraction"), 0, 1, false);
    drawLayerExpertMap(m_mapPolicy, m.policy, m.layers, m.experts, ids, tr("active fraction"), 0, 1, false);
    drawLayerExpertMap(m_mapDiff, diff, m.layers, m.experts, ids, tr("difference"), -span, span, true);
    drawBudgetSweep(m_sweep, *m_run->sweep, r.budget);
    drawPerLayer(m_layers, r);
    drawDevices(m_devicesPlot, m);
    for (PlotView* p : { m_mapBase, m_mapPolicy, m_mapDiff, m_sweep, m_layers, m_devicesPlot })
        p->replot(QCustomPlot::rpQueuedReplot);
    m_layerModel->setRun(m_run);
    {
        const QSignalBlocker b1(m_sliceLayer);
        const QSignalBlocker b2(m_sliceBatch);
        m_sliceLayer->setRange(0, std::max(0, static_cast<int>(m_run->trace->layers) - 1));
        m_sliceBatch->setRange(0, std::max(0, static_cast<int>(m_run->batches->tokens.size()) - 1));
    }
    redrawSlice();
    emit statusMessage(tr("Expert selection on the %1 in %2 ms (%3 slices)")
                           .arg(m_run->backend)
                           .arg(qRound(1000 * m_run->seconds))
                           .arg(cur.sliceCount));
    emit computed();
}

void ExpertsPage::waitUntilIdle()
{
    if (m_debounce->isActive()) {
        m_debounce->stop();
        recompute();
    }
    // Applying one job's result may start another (a loaded trace starts its computation).
    while (m_jobs->busy() || m_coJobs->busy() || m_sizeJobs->busy()) {
        m_jobs->waitForIdle();
        m_coJobs->waitForIdle();
        m_sizeJobs->waitForIdle();
    }
}

void ExpertsPage::redrawSlice()
{
    if (!m_run)
        return;
    // The run's own policy, placement included, so the slice shows what the charts count.
    const auto d = moe::sliceDetail(
        *m_run->trace, *m_run->batches, m_sliceLayer->value(), m_sliceBatch->value(), *m_run->policy, m_run->budget);
    if (!d.ok()) {
        m_sliceInfo->setText(QString::fromStdString(d.error->toString()));
        return;
    }
    int changed = 0;
    for (int t = 0; t < d.value->tokens; ++t)
        changed
            += d.value->routed[static_cast<std::size_t>(t)] != d.value->baseline[static_cast<std::size_t>(t)] ? 1 : 0;
    m_sliceInfo->setText(
        tr("%1 tokens; %2 selected experts; %3 tokens re-routed")
            .arg(d.value->tokens)
            .arg(d.value->selected.empty() ? d.value->experts : static_cast<int>(d.value->selected.size()))
            .arg(changed));
    drawSlice(m_slice, *d.value);
    m_slice->replot(QCustomPlot::rpQueuedReplot);
}

void ExpertsPage::recomputeCoactivation()
{
    if (!m_trace)
        return;
    const auto trace = m_trace;
    const int layer = m_coLayer->value();
    m_coJobs->start(tr("Co-activation"), [this, trace, layer](JobControl&) -> JobRunner::Apply {
        auto m = std::make_shared<std::vector<double>>(moe::coactivation(*trace, layer));
        return [this, m, trace, layer] {
            MatrixView v;
            v.xLabel = tr("expert");
            v.yLabel = tr("expert");
            v.scaleLabel = tr("tokens choosing both");
            v.hi = 0.0;
            for (const double x : *m)
                v.hi = std::max(v.hi, x);
            v.hi = v.hi > 0 ? v.hi : 1.0;
            const int n = static_cast<int>(trace->experts);
            drawMatrix(m_coactivation, *m, n, n, v);
            m_coactivation->replot(QCustomPlot::rpQueuedReplot);
        };
    });
}

void ExpertsPage::recomputeBatchSizes()
{
    if (!m_trace)
        return;
    const auto trace = m_trace;
    m_sizeJobs->start(tr("Batch sizes"), [this, trace](JobControl& control) -> JobRunner::Apply {
        // Powers of two up to the number of requests: beyond it no batch grows.
        const auto requests = requestCount(*trace);
        std::vector<int> sizes;
        for (int b = 1; b <= 4096 && (b == 1 || b / 2 < requests); b *= 2)
            sizes.push_back(b);
        Progress p;
        p.callback
            = [&control](double f, std::string_view) { return control.progress(f, QStringLiteral("batch sizes")); };
        auto curve = std::make_shared<moe::BatchSizeCurve>(moe::activatedByBatchSize(*trace, sizes, p));
        return [this, curve] {
            drawBatchSizes(m_sizes, *curve);
            m_sizes->replot(QCustomPlot::rpQueuedReplot);
        };
    });
}

PlotView* ExpertsPage::plot(int i) const
{
    const PlotView* all[]
        = { m_mapBase, m_mapPolicy, m_mapDiff, m_sweep, m_layers, m_devicesPlot, m_slice, m_coactivation, m_sizes };
    return i >= 0 && i < 9 ? const_cast<PlotView*>(all[i]) : nullptr;
}

QStringList ExpertsPage::plotNames() const
{
    return { QStringLiteral("heatmap-topk"), QStringLiteral("heatmap-policy"), QStringLiteral("heatmap-difference"),
        QStringLiteral("budget-sweep"), QStringLiteral("per-layer"), QStringLiteral("per-device"),
        QStringLiteral("slice"), QStringLiteral("coactivation"), QStringLiteral("batch-size") };
}

void ExpertsPage::showPlot(int i)
{
    m_tabs->setCurrentIndex(i <= 2 ? 0 : i - 2);
}

QList<ReportPlot> ExpertsPage::reportPlots() const
{
    return { { tr("Top-k activation"),
                 tr("Fraction of slices (one layer of one batch) in which each expert is active "
                    "under the model's own top-k routing."),
                 m_mapBase },
        { tr("Policy activation"), tr("The same at the current budget."), m_mapPolicy },
        { tr("Difference"), tr("Policy minus top-k: blue experts are dropped from batches."), m_mapDiff },
        { tr("Budget sweep"),
            tr("Activated experts per slice and gating mass kept for every budget; the dashed "
               "line marks the current one."),
            m_sweep },
        { tr("Per device"), tr("Activated experts per slice on each device under expert parallelism."), m_devicesPlot },
        { tr("Batch size"), tr("Activated experts per layer against the batch size, next to uniform routing."),
            m_sizes } };
}

} // namespace deltascope::ui
