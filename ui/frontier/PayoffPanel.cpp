// SPDX-License-Identifier: GPL-3.0-or-later
#include "frontier/PayoffPanel.h"

#include "backend/CpuBackend.h"
#include "common/Format.h"
#include "common/JobRunner.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace deltascope::ui {

namespace {

// The model's fields by their workspace (and model JSON) names.
struct Field {
    const char* key;
    const char* label;
    int decimals;
    double max;
};
const Field kFields[] = {
    { "layers", "Layers", 0, 1e4 },
    { "moe_layers", "MoE layers", 0, 1e4 },
    { "hidden_size", "Hidden size", 0, 1e6 },
    { "expert_ffn", "Expert FFN size", 0, 1e6 },
    { "experts", "Routed experts (N)", 0, 1e5 },
    { "top_k", "Experts per token (k)", 0, 1e4 },
    { "shared_experts", "Shared experts", 0, 1e4 },
    { "shared_ffn", "Shared expert FFN size", 0, 1e6 },
    { "dense_params", "Other weights (parameters)", 0, 1e14 },
    { "kv_per_token", "KV values per token and layer", 0, 1e7 },
    { "dtype_bytes", "Bytes per weight", 3, 16 },
    { "kv_bytes", "Bytes per KV value", 3, 16 },
};

double get(const moe::MoeModel& m, std::string_view key)
{
    if (key == "layers")
        return m.layers;
    if (key == "moe_layers")
        return m.moeLayers;
    if (key == "hidden_size")
        return static_cast<double>(m.hidden);
    if (key == "expert_ffn")
        return static_cast<double>(m.expertFfn);
    if (key == "experts")
        return m.experts;
    if (key == "top_k")
        return m.topK;
    if (key == "shared_experts")
        return m.sharedExperts;
    if (key == "shared_ffn")
        return static_cast<double>(m.sharedFfn);
    if (key == "dense_params")
        return m.denseParams;
    if (key == "kv_per_token")
        return m.kvPerToken;
    if (key == "dtype_bytes")
        return m.dtypeBytes;
    return m.kvBytes;
}

void set(moe::MoeModel& m, std::string_view key, double v)
{
    const auto i = static_cast<std::int64_t>(v);
    if (key == "layers")
        m.layers = static_cast<int>(i);
    else if (key == "moe_layers")
        m.moeLayers = static_cast<int>(i);
    else if (key == "hidden_size")
        m.hidden = i;
    else if (key == "expert_ffn")
        m.expertFfn = i;
    else if (key == "experts")
        m.experts = static_cast<int>(i);
    else if (key == "top_k")
        m.topK = static_cast<int>(i);
    else if (key == "shared_experts")
        m.sharedExperts = static_cast<int>(i);
    else if (key == "shared_ffn")
        m.sharedFfn = i;
    else if (key == "dense_params")
        m.denseParams = v;
    else if (key == "kv_per_token")
        m.kvPerToken = v;
    else if (key == "dtype_bytes")
        m.dtypeBytes = v;
    else if (key == "kv_bytes")
        m.kvBytes = v;
}

QString bytes(double b)
{
    if (b >= 1e9)
        return QObject::tr("%1 GB").arg(b / 1e9, 0, 'f', 2);
    return QObject::tr("%1 MB").arg(b / 1e6, 0, 'f', 1);
}

QString micro(double seconds)
{
    return seconds >= 1e-3 ? QObject::tr("%1 ms").arg(seconds * 1e3, 0, 'f', 2)
                           : QObject::tr("%1 µs").arg(seconds * 1e6, 0, 'f', 0);
}

Progress progressOf(JobControl& control)
{
    Progress p;
    p.callback = [&control](double f, std::string_view stage) {
        return control.progress(f, QString::fromUtf8(stage.data(), qsizetype(stage.size())));
    };
    return p;
}

} // namespace

PayoffPanel::PayoffPanel(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* settings = new QHBoxLayout;
    auto* modelBox = new QGroupBox(tr("Model"), this);
    auto* modelForm = new QFormLayout(modelBox);
    m_model = new QComboBox(modelBox);
    m_model->setObjectName(QStringLiteral("payoffModel"));
    for (const auto& m : moe::modelPresets())
        m_model->addItem(QString::fromStdString(m.name));
    m_model->setToolTip(tr("A public MoE model's published configuration; every field below may be edited"));
    modelForm->addRow(tr("Preset"), m_model);
    for (const auto& f : kFields) {
        auto* spin = new QDoubleSpinBox(modelBox);
        spin->setDecimals(f.decimals);
        spin->setRange(0, f.max);
        spin->setObjectName(QString::fromLatin1(f.key));
        modelForm->addRow(tr(f.label), spin);
        m_fields.emplace_back(QString::fromLatin1(f.key), spin);
    }
    settings->addWidget(modelBox);

    auto* gpuBox = new QGroupBox(tr("Hardware"), this);
    auto* gpuForm = new QFormLayout(gpuBox);
    m_gpu = new QComboBox(gpuBox);
    m_gpu->setObjectName(QStringLiteral("payoffGpu"));
    for (const auto& g : moe::gpuPresets())
        m_gpu->addItem(QString::fromStdString(g.name));
    gpuForm->addRow(tr("GPU"), m_gpu);
    m_bandwidth = new QDoubleSpinBox(gpuBox);
    m_bandwidth->setRange(1, 1e6);
    m_bandwidth->setDecimals(0);
    m_bandwidth->setSuffix(tr(" GB/s"));
    m_bandwidth->setToolTip(tr("Memory bandwidth the decode step is bound by (edit for your part)"));
    gpuForm->addRow(tr("Bandwidth"), m_bandwidth);
    m_devices = new QSpinBox(gpuBox);
    m_devices->setRange(1, 4096);
    m_devices->setToolTip(tr("Expert-parallel devices: a step waits for the busiest one"));
    gpuForm->addRow(tr("Devices"), m_devices);
    m_run = new QPushButton(tr("Estimate"), gpuBox);
    m_run->setToolTip(tr("Estimate the MoE weight bytes and time per decode step at each budget on the trace"));
    gpuForm->addRow(m_run);
    settings->addWidget(gpuBox);
    settings->addStretch(1);
    layout->addLayout(settings);

    m_conclusion = new QLabel(tr("Set a router trace to estimate whether expert sharing pays off."), this);
    m_conclusion->setObjectName(QStringLiteral("payoffConclusion"));
    m_conclusion->setWordWrap(true);
    m_conclusion->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_conclusion);
    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("payoffTable"));
    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels({ tr("Budget"), tr("Activated / slice"), tr("Expert bytes / step"),
        tr("Step time"), tr("Saving"), tr("Gating mass kept") });
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // Room for a few budgets at least: in a short window the panel scrolls rather than squeeze
    // the table to its header.
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height() + 6 * (fontMetrics().height() + 8));
    layout->addWidget(m_table, 1);

    connect(m_model, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i >= 0 && i < static_cast<int>(moe::modelPresets().size()))
            applyModel(moe::modelPresets()[static_cast<std::size_t>(i)]);
    });
    connect(m_gpu, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i >= 0 && i < static_cast<int>(moe::gpuPresets().size()))
            m_bandwidth->setValue(moe::gpuPresets()[static_cast<std::size_t>(i)].bandwidthGBs);
    });
    connect(m_run, &QPushButton::clicked, this, &PayoffPanel::estimate);
    connect(m_jobs, &JobRunner::started, this, [this] { emit busyChanged(true); });
    connect(m_jobs, &JobRunner::finished, this, [this] {
        if (!m_jobs->busy())
            emit busyChanged(false);
    });
    applyModel(moe::modelPresets().front());
    // The command line's default GPU, so that both give the same estimate unasked.
    const auto h100 = m_gpu->findText(QStringLiteral("H100 SXM"));
    m_gpu->setCurrentIndex(h100 >= 0 ? static_cast<int>(h100) : 0);
    m_bandwidth->setValue(moe::gpuPresets()[static_cast<std::size_t>(m_gpu->currentIndex())].bandwidthGBs);
    m_run->setEnabled(false);
}

PayoffPanel::~PayoffPanel()
{
    m_jobs->shutdown();
}

void PayoffPanel::applyModel(const moe::MoeModel& model)
{
    for (auto& [key, spin] : m_fields)
        spin->setValue(get(model, key.toStdString()));
}

void PayoffPanel::fitTrace(std::int64_t experts, std::int64_t topK, const QString& model)
{
    const auto& presets = moe::modelPresets();
    // A preset the trace names (its model "Qwen/Qwen1.5-MoE-A2.7B-Chat" names Qwen1.5-MoE-A2.7B)
    // and whose shape it has, first; else one of its shape, unless the chosen model has it.
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (presets[i].experts == experts && presets[i].topK == topK
            && model.contains(QString::fromStdString(presets[i].name), Qt::CaseInsensitive)) {
            m_model->setCurrentIndex(static_cast<int>(i));
            return;
        }
    const auto o = options();
    if (o.model.experts == experts && o.model.topK == topK)
        return;
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (presets[i].experts == experts && presets[i].topK == topK) {
            m_model->setCurrentIndex(static_cast<int>(i));
            return;
        }
}

moe::PayoffOptions PayoffPanel::options() const
{
    moe::PayoffOptions o;
    o.model.name = m_model->currentText().toStdString();
    for (const auto& [key, spin] : m_fields)
        set(o.model, key.toStdString(), spin->value());
    const auto g = static_cast<std::size_t>(std::max(0, m_gpu->currentIndex()));
    if (g < moe::gpuPresets().size())
        o.gpu = moe::gpuPresets()[g];
    o.gpu.bandwidthGBs = m_bandwidth->value();
    o.devices = m_devices->value();
    return o;
}

void PayoffPanel::setInputs(const QString& trace, int batchSize, const std::vector<int>& budgets)
{
    if (trace != m_trace || batchSize != m_batchSize || budgets != m_budgets)
        show(nullptr, {});
    m_trace = trace;
    m_batchSize = batchSize;
    m_budgets = budgets;
    m_run->setEnabled(!m_trace.isEmpty());
    if (m_trace.isEmpty())
        m_conclusion->setText(tr("Set a router trace to estimate whether expert sharing pays off."));
}

void PayoffPanel::setChosenBudget(int budget)
{
    m_chosen = budget;
    if (m_result)
        show(m_result, {});
}

void PayoffPanel::estimate()
{
    if (m_trace.isEmpty())
        return;
    analysis::PayoffRequest request;
    request.scenario.tracePath = m_trace.toStdString();
    request.scenario.batchSize = m_batchSize;
    request.scenario.budgets = m_budgets;
    request.options = options();
    request.scenario.devices = request.options.devices;
    m_conclusion->setText(tr("Estimating on %1…").arg(QFileInfo(m_trace).fileName()));
    m_jobs->start(tr("Payoff estimate"), [this, request, compute = m_compute](JobControl& control) -> JobRunner::Apply {
        static const backend::CpuBackend cpu;
        auto r = analysis::runPayoff(request, compute ? *compute : cpu, progressOf(control));
        if (control.cancelled())
            return nullptr;
        return [this, r = std::move(r)] {
            if (!r.ok())
                show(nullptr, QString::fromStdString(r.error->toString()));
            else
                show(std::make_shared<const analysis::PayoffResult>(*r.value), {});
        };
    });
}

void PayoffPanel::show(std::shared_ptr<const analysis::PayoffResult> result, const QString& error)
{
    m_result = std::move(result);
    m_table->setRowCount(0);
    if (!m_result) {
        m_conclusion->setText(error.isEmpty() ? QString() : tr("No estimate: %1").arg(error));
        if (!error.isEmpty())
            emit statusMessage(tr("Payoff estimate failed: %1").arg(error));
        return;
    }
    const auto& e = m_result->estimate;
    // The status line says no more than the panel: a speed gain is qualified by what stands in
    // its way (memory, the paired tests).
    QString status
        = tr("Payoff estimated: %1")
              .arg(QString::fromLatin1(moe::toString(e.verdict)).replace(QLatin1Char('_'), QLatin1Char(' ')));
    if (m_chosen < 0 && e.verdict == moe::PayoffVerdict::Pays)
        status += tr(" by speed alone; no budget's run is shown no worse than the margin");
    if (!e.fits)
        status += tr("; the model does not fit on one %1").arg(QString::fromStdString(e.options.gpu.name));
    emit statusMessage(status);
    std::vector<const moe::PayoffRow*> rows { &e.baseline };
    for (const auto& r : e.budgets)
        rows.push_back(&r);
    m_table->setRowCount(static_cast<int>(rows.size()));
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
        const auto& r = *rows[static_cast<std::size_t>(i)];
        const QStringList cells { r.budget == 0 ? tr("top-k (baseline)") : QString::number(r.budget),
            QString::number(r.activatedDevice, 'f', 2), bytes(r.expertBytes), micro(r.stepSeconds),
            r.budget == 0 ? QString() : percent(r.saving), percent(r.massRetained) };
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(c == 0 ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
            // Green: the budget to use. Once the paired tests have spoken, the one they accept
            // (a faster budget they do not accept is no recommendation); before, the fastest.
            if (r.budget != 0 && r.budget == (m_chosen != 0 ? m_chosen : e.bestBudget))
                item->setForeground(improvementColor());
            if (r.budget != 0 && r.budget == m_chosen) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            m_table->setItem(i, c, item);
        }
    }
    // The estimate speaks of speed only; here the paired tests' answer is on screen beside it.
    std::string said = e.conclusion;
    static const std::string cliPointer = " Whether accuracy holds is for the paired tests (deltascope-cli frontier).";
    if (const auto at = said.find(cliPointer); at != std::string::npos)
        said.erase(at, cliPointer.size());
    QString text = QString::fromStdString(said).toHtmlEscaped();
    if (e.verdict == moe::PayoffVerdict::ComputeBound || e.verdict == moe::PayoffVerdict::SmallShare)
        text = tr("<b>Not bandwidth-bound: expect no gain.</b> ") + text;
    const bool pays = e.verdict == moe::PayoffVerdict::Pays;
    const moe::PayoffRow* chosen = nullptr;
    for (const auto& r : e.budgets)
        if (m_chosen > 0 && r.budget == m_chosen)
            chosen = &r;
    if (chosen) {
        const QString accepted
            = tr("At budget %1, the smallest the paired tests accept, a step reads %2 of expert "
                 "weights instead of %3 and is estimated %4 shorter.")
                  .arg(m_chosen)
                  .arg(bytes(chosen->expertBytes), bytes(e.baseline.expertBytes), percent(chosen->saving));
        if (pays && e.bestBudget < m_chosen)
            text = tr("<b>%1</b><br>The fastest budget, M = %2, is not one the paired tests accept (see the table "
                      "above). By speed alone: %3")
                       .arg(accepted)
                       .arg(e.bestBudget)
                       .arg(text);
        else
            text += QStringLiteral("<br><b>") + accepted + QStringLiteral("</b>");
    } else if (m_chosen < 0) {
        text = tr("<b>No budget's run is shown no worse than the margin, so none is recommended.</b><br>By speed "
                  "alone: %1")
                   .arg(text);
    } else if (pays) {
        text += tr(" Whether accuracy holds is for the paired tests: give the candidates their budgets and a margin, "
                   "then Compare all.");
    }
    if (!e.fits)
        text = tr("<b>The model does not fit: its weights take %1 GB per device, more than the %2's %3 GB; the "
                  "estimate assumes it does.</b><br>")
                   .arg(e.weightBytesDevice / 1e9, 0, 'f', 1)
                   .arg(QString::fromStdString(e.options.gpu.name).toHtmlEscaped())
                   .arg(e.options.gpu.memoryGB, 0, 'f', 0)
            + text;
    text += tr("<br><small>Routed experts are %1 of the bytes a step reads; %2 tokens per activated expert.</small>")
                .arg(percent(e.expertShare), QString::number(e.tokensPerExpert, 'f', 1));
    m_conclusion->setText(text);
}

QString PayoffPanel::conclusion() const
{
    return m_conclusion->text();
}

void PayoffPanel::cancel()
{
    m_jobs->cancel();
}

bool PayoffPanel::busy() const
{
    return m_jobs->busy();
}

void PayoffPanel::waitUntilIdle()
{
    m_jobs->waitForIdle();
}

void PayoffPanel::storeState(workspace::FrontierState& state) const
{
    state.model = m_model->currentText().toStdString();
    state.modelFields.clear();
    for (const auto& [key, spin] : m_fields)
        state.modelFields.emplace_back(key.toStdString(), spin->value());
    state.gpu = m_gpu->currentText().toStdString();
    state.bandwidthGBs = m_bandwidth->value();
    state.devices = m_devices->value();
}

void PayoffPanel::restoreState(const workspace::FrontierState& state)
{
    if (const auto i = m_model->findText(QString::fromStdString(state.model)); i >= 0)
        m_model->setCurrentIndex(static_cast<int>(i));
    for (const auto& [key, value] : state.modelFields)
        for (auto& [name, spin] : m_fields)
            if (name.toStdString() == key)
                spin->setValue(value);
    if (const auto g = m_gpu->findText(QString::fromStdString(state.gpu)); g >= 0)
        m_gpu->setCurrentIndex(static_cast<int>(g));
    if (state.bandwidthGBs > 0)
        m_bandwidth->setValue(state.bandwidthGBs);
    m_devices->setValue(std::max(1, state.devices));
}

} // namespace deltascope::ui
