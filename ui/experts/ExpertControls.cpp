// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertControls.h"

#include "common/Problems.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <algorithm>

namespace deltascope::ui {

namespace {

enum PlacementChoice { Contiguous = 0, Balanced = 1, BalancedCounts = 2, FromFile = 3 };

// A spin box that lets a number above its maximum be typed and then takes the maximum ("99" on a
// trace of 64 experts is 64), instead of refusing the second keystroke and leaving "9".
class ClampingSpinBox : public QSpinBox {
public:
    using QSpinBox::QSpinBox;

    QValidator::State validate(QString& text, int& pos) const override
    {
        const auto state = QSpinBox::validate(text, pos);
        bool ok = false;
        const int v = locale().toInt(text.trimmed(), &ok);
        return state == QValidator::Invalid && ok && v > maximum() ? QValidator::Intermediate : state;
    }

    void fixup(QString& text) const override
    {
        bool ok = false;
        const int v = locale().toInt(text.trimmed(), &ok);
        if (ok && v > maximum())
            text = locale().toString(maximum());
        else if (ok && v < minimum()) // below k: the least there can be, rather than the old value back
            text = locale().toString(minimum());
        else
            QSpinBox::fixup(text);
    }
};

QSpinBox* spinBox(int lo, int hi, int value, QWidget* parent)
{
    auto* box = new QSpinBox(parent);
    box->setRange(lo, hi);
    box->setValue(value);
    return box;
}

} // namespace

// Every initial value is the default of the settings (the analysis layer's defaults).
ExpertControls::ExpertControls(QWidget* parent)
    : QWidget(parent)
    , m_policy(new QComboBox(this))
    , m_budget(new QSlider(Qt::Horizontal, this))
    , m_budgetBox(new ClampingSpinBox(this))
    , m_warmup(spinBox(0, 64, ExpertSettings {}.warmup, this))
    , m_replay(new QCheckBox(tr("replay"), this))
    , m_batch(spinBox(1, 65536, ExpertSettings {}.batchSize, this))
    , m_gamma(spinBox(0, 64, ExpertSettings {}.gamma, this))
    , m_devices(spinBox(0, 1024, ExpertSettings {}.devices, this))
    , m_placement(new QComboBox(this))
    , m_replicas(spinBox(0, 65536, ExpertSettings {}.replicas, this))
    , m_requestExperts(spinBox(0, 4096, ExpertSettings {}.requestExperts, this))
    , m_requests(new QLineEdit(this))
{
    m_policy->setObjectName(QStringLiteral("policy"));
    m_warmup->setObjectName(QStringLiteral("warmup"));
    m_requestExperts->setObjectName(QStringLiteral("requestExperts"));
    m_replay->setObjectName(QStringLiteral("replay"));
    m_batch->setObjectName(QStringLiteral("batchSize"));
    m_gamma->setObjectName(QStringLiteral("gamma"));
    m_requests->setObjectName(QStringLiteral("requests"));
    m_devices->setObjectName(QStringLiteral("devices"));
    m_placement->setObjectName(QStringLiteral("placement"));
    m_policy->addItem(tr("top-k (no sharing)"), int(moe::Policy::TopK));
    m_policy->addItem(tr("XShare batch greedy"), int(moe::Policy::Batch));
    m_policy->addItem(tr("XShare expert-parallel"), int(moe::Policy::ExpertParallel));
    m_policy->addItem(tr("XShare speculative"), int(moe::Policy::Speculative));
    m_policy->setCurrentIndex(m_policy->findData(int(ExpertSettings {}.policy)));
    m_policy->setToolTip(tr("top-k: the model's own routing; XShare batch greedy: the M experts the batch wants "
                            "most, each token re-routed among them; expert-parallel: the same, at most M/G per "
                            "device; speculative: each request keeps its own best experts first"));
    m_budget->setToolTip(tr("budget M: the most distinct experts one layer may activate for one batch (k <= M <= N)"));
    m_budgetBox->setToolTip(m_budget->toolTip());
    m_budgetBox->setObjectName(QStringLiteral("budgetBox"));
    m_warmup->setToolTip(tr("warm-up w: each token's top-w experts go first, so no token loses its best expert "
                            "(0: none; raise it when gating mass kept is low at small budgets)"));
    m_replay->setChecked(ExpertSettings {}.replay);
    m_replay->setToolTip(tr("continuous batching replay; off: the batches recorded in the trace"));
    m_devices->setSpecialValueText(tr("auto"));
    m_devices->setToolTip(tr("expert-parallel devices the experts are placed on (auto: 8, or one per expert when "
                             "the model has fewer)"));
    m_replicas->setToolTip(tr("balanced placement: extra copies of the heaviest experts (EPLB-style)"));
    m_requestExperts->setSpecialValueText(tr("k"));
    m_requestExperts->setToolTip(tr("speculative policy: the experts each request keeps (k by default)"));
    m_placement->addItems(
        { tr("contiguous"), tr("balanced"), tr("balanced by a counts file…"), tr("from a placement file…") });
    m_placement->setToolTip(tr("where each expert lives: contiguous blocks, balanced by the trace's own loads or by "
                               "expert load counts (SGLang CSV, JSON logical_count), or an EPLB-style placement file "
                               "(JSON or CSV, copies allowed)"));
    m_requests->setPlaceholderText(tr("all requests"));
    m_requests->setToolTip(tr("replay only these requests, e.g. 0-9, 20, 31-40 (mix datasets by their request ids)"));
    m_requests->setClearButtonEnabled(true);

    connect(m_budget, &QSlider::valueChanged, m_budgetBox, &QSpinBox::setValue);
    connect(m_budgetBox, &QSpinBox::valueChanged, m_budget, &QSlider::setValue);
    connect(m_budgetBox, &QSpinBox::valueChanged, this, &ExpertControls::changed);
    for (QSpinBox* box : { m_warmup, m_batch, m_devices, m_replicas, m_requestExperts })
        connect(box, &QSpinBox::valueChanged, this, &ExpertControls::changed);
    // A speculative length replays: the replay box shows it before anyone reads the settings.
    connect(m_gamma, &QSpinBox::valueChanged, this, [this] {
        enableForPolicy();
        emit changed();
    });
    connect(m_policy, &QComboBox::currentIndexChanged, this, [this] {
        enableForPolicy();
        emit changed();
    });
    connect(m_replay, &QCheckBox::toggled, this, [this](bool on) {
        m_replayChosen = true;
        m_replayWanted = on;
        enableForPolicy();
        emit changed();
    });
    connect(m_requests, &QLineEdit::editingFinished, this, [this] {
        enableForPolicy(); // chosen requests are replayed: the batch size counts again
        emit changed();
    });
    connect(m_batch, &QSpinBox::valueChanged, this, &ExpertControls::enableForPolicy); // its tooltip
    connect(m_placement, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_replicas->setEnabled(m_placement->isEnabled() && (i == Balanced || i == BalancedCounts));
        if (i == FromFile || i == BalancedCounts) {
            choosePlacementFile(i);
            return;
        }
        m_placementChoice = i;
        emit changed();
    });

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(new QLabel(tr("policy"), this), 0, 0);
    grid->addWidget(m_policy, 0, 1);
    grid->addWidget(new QLabel(tr("budget M"), this), 0, 2);
    grid->addWidget(m_budget, 0, 3);
    grid->addWidget(m_budgetBox, 0, 4);
    grid->addWidget(new QLabel(tr("warm-up"), this), 0, 5);
    grid->addWidget(m_warmup, 0, 6);
    grid->addWidget(new QLabel(tr("experts per request"), this), 0, 7);
    grid->addWidget(m_requestExperts, 0, 8);
    // Batching on the second row, expert parallelism on the third.
    grid->addWidget(m_replay, 1, 0);
    const auto row = [this](std::initializer_list<std::pair<QString, QWidget*>> items, QWidget* stretched) {
        auto* line = new QHBoxLayout;
        for (const auto& [label, widget] : items) {
            line->addWidget(new QLabel(label, this));
            line->addWidget(widget, widget == stretched ? 1 : 0);
        }
        if (!stretched)
            line->addStretch(1);
        return line;
    };
    grid->addLayout(
        row({ { tr("batch size"), m_batch }, { tr("gamma"), m_gamma }, { tr("requests"), m_requests } }, m_requests), 1,
        1, 1, 8);
    grid->addWidget(new QLabel(tr("devices"), this), 2, 0);
    grid->addLayout(
        row({ { QString(), m_devices }, { tr("placement"), m_placement }, { tr("extra copies"), m_replicas } },
            nullptr),
        2, 1, 1, 8);
    grid->setColumnStretch(3, 1);
    // Tab walks the rows as they read: the policy row, then batching, then expert parallelism.
    const QList<QWidget*> order { m_policy, m_budget, m_budgetBox, m_warmup, m_requestExperts, m_replay, m_batch,
        m_gamma, m_requests, m_devices, m_placement, m_replicas };
    for (qsizetype i = 0; i + 1 < order.size(); ++i)
        setTabOrder(order[i], order[i + 1]);
    setInputsEnabled(false);
}

QList<QWidget*> ExpertControls::inputs() const
{
    return { m_policy, m_budget, m_budgetBox, m_warmup, m_replay, m_batch, m_gamma, m_devices, m_placement, m_replicas,
        m_requestExperts, m_requests };
}

void ExpertControls::choosePlacementFile(int choice)
{
    const bool counts = choice == BalancedCounts;
    const QString p = counts ? QFileDialog::getOpenFileName(
                          this, tr("Expert load counts"), QString(), tr("Expert counts (*.csv *.json);;All files (*)"))
                             : QFileDialog::getOpenFileName(this, tr("Expert placement"), QString(),
                                 tr("Placements (*.json *.csv);;All files (*)"));
    if (p.isEmpty()) {
        // Back to what was chosen before.
        const QSignalBlocker block(m_placement);
        m_placement->setCurrentIndex(m_placementChoice);
        m_replicas->setEnabled(m_placementChoice == Balanced || m_placementChoice == BalancedCounts);
        return;
    }
    // The file is read once here, so that a broken one is named now and never left chosen.
    const int before = m_placementChoice;
    const QString placementBefore = m_placementFile;
    const QString countsBefore = m_countsFile;
    setPlacement(choice, p);
    if (const auto why = m_placementCheck ? m_placementCheck(settings()) : std::nullopt) {
        m_placementFile = placementBefore;
        m_countsFile = countsBefore;
        setPlacement(before, before == BalancedCounts ? countsBefore : placementBefore);
        showProblemBox(this, counts ? tr("Could not balance by this counts file") : tr("Could not use this placement"),
            tr("%1\n\nThe placement stays \"%2\".").arg(shortProblem(*why), m_placement->itemText(before)),
            { fullProblem(*why) });
        return;
    }
    emit changed();
}

std::optional<Diagnostic> ExpertControls::dropPlacementThatDoesNotFit()
{
    const ExpertSettings s = settings();
    if (!m_placementCheck || (s.placementFile.isEmpty() && s.placementCounts.isEmpty()))
        return std::nullopt;
    auto why = m_placementCheck(s);
    if (why) {
        m_countsFile.clear();
        setPlacement(Contiguous, {});
    }
    return why;
}

void ExpertControls::setPlacementCheck(PlacementCheck check)
{
    m_placementCheck = std::move(check);
}

void ExpertControls::setPlacement(int choice, const QString& file)
{
    m_placementChoice = choice;
    (choice == BalancedCounts ? m_countsFile : m_placementFile) = file;
    const QSignalBlocker block(m_placement);
    m_placement->setCurrentIndex(choice);
    m_placement->setItemText(BalancedCounts,
        m_countsFile.isEmpty() ? tr("balanced by a counts file…")
                               : tr("balanced by %1").arg(QFileInfo(m_countsFile).fileName()));
    m_placement->setItemText(
        FromFile, m_placementFile.isEmpty() ? tr("from a placement file…") : QFileInfo(m_placementFile).fileName());
    m_replicas->setEnabled(m_placement->isEnabled() && (choice == Balanced || choice == BalancedCounts));
}

void ExpertControls::usePlacementFile(const QString& path)
{
    setPlacement(FromFile, path);
    emit changed();
}

void ExpertControls::useCountsForBalance(const QString& path, int devices, int replicas)
{
    setPlacement(BalancedCounts, path);
    m_devices->setValue(devices); // the devices the Load counts tab balanced over, not another count
    m_replicas->setValue(replicas);
    emit changed();
}

ExpertSettings ExpertControls::settings() const
{
    ExpertSettings s;
    s.replay = m_replay->isChecked();
    s.batchSize = m_batch->value();
    s.gamma = m_gamma->value();
    s.policy = static_cast<moe::Policy>(m_policy->currentData().toInt());
    s.warmup = m_warmup->value();
    s.devices = m_devices->value();
    const int choice = m_placement->currentIndex();
    s.balanced = choice == Balanced || choice == BalancedCounts;
    s.placementCounts = choice == BalancedCounts ? m_countsFile : QString();
    s.replicas = s.balanced ? m_replicas->value() : 0;
    s.placementFile = choice == FromFile ? m_placementFile : QString();
    QString why;
    if (!parseRequestList(m_requests->text(), s.requests, why))
        s.requests.clear(); // requestsError() says why before anything is computed
    s.requestExperts = m_requestExperts->value();
    return s;
}

int ExpertControls::budget() const
{
    return m_budgetBox->value();
}

void ExpertControls::setBudget(int budget)
{
    m_budgetBox->setValue(budget);
}

QString ExpertControls::requestsError() const
{
    std::vector<std::int32_t> ids;
    QString why;
    return parseRequestList(m_requests->text(), ids, why) ? QString() : why;
}

void ExpertControls::adaptTo(const moe::Trace& t, int budget)
{
    const QSignalBlocker b1(m_budget);
    const QSignalBlocker b2(m_budgetBox);
    const QSignalBlocker b3(m_replay);
    const int lo = static_cast<int>(t.topK);
    const int hi = static_cast<int>(t.experts);
    m_budget->setRange(lo, hi);
    m_budgetBox->setRange(lo, hi);
    // 0 stands for the model's own k; the box names its value, and stops at the experts a layer has.
    m_requestExperts->setSpecialValueText(tr("k = %1").arg(lo));
    m_requestExperts->setMaximum(hi);
    m_traceRequests = requestCount(t);
    const int start = budget > 0 ? std::clamp(budget, lo, hi) : std::min(hi, 2 * lo);
    m_budget->setValue(start);
    m_budgetBox->setValue(start);
    setInputsEnabled(true);
    // Recorded steps are only a choice when the trace has them; unless the user chose, they are
    // used when recorded (the analysis layer's automatic batching, as on the command line). A
    // trace without steps ticks the box for itself only: the next trace with steps gets the user's
    // own choice back (enableForPolicy sets the box).
    m_traceHasSteps = t.hasSteps();
    enableForPolicy();
}

void ExpertControls::setInputsEnabled(bool enabled)
{
    for (QWidget* w : inputs())
        w->setEnabled(enabled);
    const int choice = m_placement->currentIndex();
    m_replicas->setEnabled(enabled && (choice == Balanced || choice == BalancedCounts));
    enableForPolicy();
}

void ExpertControls::enableForPolicy()
{
    // Only the controls the chosen policy reads can be changed: the budget is XShare's; the warm-up
    // orders the batch's greedy pick; the experts per request are the speculative policy's own.
    const bool enabled = m_policy->isEnabled();
    const auto policy = static_cast<moe::Policy>(m_policy->currentData().toInt());
    m_warmup->setEnabled(enabled && (policy == moe::Policy::Batch || policy == moe::Policy::ExpertParallel));
    // Top-k keeps every token's own experts: no budget applies.
    m_budget->setEnabled(enabled && policy != moe::Policy::TopK);
    m_budgetBox->setEnabled(enabled && policy != moe::Policy::TopK);
    m_requestExperts->setEnabled(enabled && policy == moe::Policy::Speculative);
    // The batch size and gamma form the batches of a replay; the batches a trace recorded are used
    // as they are. Chosen requests or a speculative length replay anyway (as the analysis layer
    // does), so then they count again.
    // The replay box says what runs: ticked, and fixed, wherever the batches must be formed anew
    // (no recorded steps, chosen requests, a speculative length); else the user's choice.
    const bool forced = !m_requests->text().trimmed().isEmpty() || m_gamma->value() > 0;
    {
        const QSignalBlocker quiet(m_replay);
        m_replay->setChecked(!m_traceHasSteps || forced || (m_replayChosen && m_replayWanted));
    }
    m_replay->setEnabled(enabled && m_traceHasSteps && !forced);
    m_replay->setToolTip(!m_traceHasSteps
            ? tr("continuous batching replay: always on, since this trace records no batches (no step ids)")
            : forced
            ? tr("continuous batching replay: on, since chosen requests or a speculative length (gamma) form new "
                 "batches; clear them to use the batches recorded in the trace")
            : tr("continuous batching replay; off: the batches recorded in the trace"));
    const bool replay = m_replay->isChecked();
    m_batch->setEnabled(enabled && replay);
    m_gamma->setEnabled(enabled && replay);
    const QString recorded = tr("The trace's recorded batches are used as they are: tick replay to form batches "
                                "of a chosen size instead.");
    QString batchTip = tr("requests decoded together: each contributes one token per step (1 + gamma with "
                          "speculative decoding)");
    if (m_traceRequests > 0 && m_batch->value() > m_traceRequests)
        batchTip += tr(
            "; the trace has %1 request(s), so no batch holds more than %1", "", int(m_traceRequests == 1 ? 1 : 2))
                        .arg(m_traceRequests);
    m_batch->setToolTip(replay ? batchTip : recorded);
    m_gamma->setToolTip(replay ? tr("speculative length: each request adds 1 + gamma tokens per step") : recorded);
}

void ExpertControls::saveTo(workspace::ExpertState& w) const
{
    const auto s = settings();
    // Where the trace has no batches, or requests or gamma force a replay, the box shows it; what
    // is kept is the user's own choice, which holds again once they are gone.
    const bool forced = !m_traceHasSteps || !m_requests->text().trimmed().isEmpty() || m_gamma->value() > 0;
    w.replay = forced ? (m_replayChosen && m_replayWanted) : s.replay;
    w.batchSize = s.batchSize;
    w.gamma = s.gamma;
    w.policy = moe::toString(s.policy);
    w.warmup = s.warmup;
    w.devices = s.devices;
    w.balanced = s.balanced;
    w.replicas = m_replicas->value();
    w.placementCounts = s.placementCounts.toStdString();
    w.placementFile = m_placementFile.toStdString();
    w.requests = m_requests->text().toStdString();
    w.requestExperts = s.requestExperts;
}

void ExpertControls::restoreFrom(const workspace::ExpertState& w)
{
    const auto all = inputs();
    for (QWidget* box : all)
        box->blockSignals(true);
    m_replay->setChecked(w.replay);
    m_replayChosen = true; // the saved choice stands
    m_replayWanted = w.replay;
    m_batch->setValue(w.batchSize);
    m_gamma->setValue(w.gamma);
    moe::Policy policy = moe::Policy::Batch;
    moe::parsePolicy(w.policy, policy);
    m_policy->setCurrentIndex(std::max(0, m_policy->findData(int(policy))));
    m_warmup->setValue(w.warmup);
    m_devices->setValue(w.devices);
    m_requestExperts->setValue(w.requestExperts);
    m_requests->setText(QString::fromStdString(w.requests));
    m_replicas->setValue(w.replicas);
    for (QWidget* box : all)
        box->blockSignals(false);
    const QString file = QString::fromStdString(w.placementFile);
    const QString counts = QString::fromStdString(w.placementCounts);
    if (!file.isEmpty())
        setPlacement(FromFile, file);
    else if (w.balanced && !counts.isEmpty())
        setPlacement(BalancedCounts, counts);
    else
        setPlacement(w.balanced ? Balanced : Contiguous, {});
    enableForPolicy();
}

} // namespace deltascope::ui
