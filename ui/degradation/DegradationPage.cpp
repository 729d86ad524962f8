#include "degradation/DegradationPage.h"

#include "common/AppSettings.h"
#include "common/Format.h"
#include "common/JobRunner.h"
#include "degradation/AggregatePanel.h"
#include "degradation/ColumnMappingDialog.h"
#include "degradation/DisagreementModel.h"
#include "degradation/DisagreementProxy.h"
#include "degradation/DropZone.h"
#include "degradation/RunPickerDialog.h"
#include "degradation/SampleView.h"
#include "degradation/TaskFilterProxy.h"
#include "degradation/TaskTableModel.h"
#include "eval/RunDiscovery.h"
#include "plot/DegradationPlots.h"
#include "plot/PlotView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <climits>

namespace deltascope::ui {

namespace {

QTableView* makeTable(QWidget* parent)
{
    auto* v = new QTableView(parent);
    v->setSortingEnabled(true);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setAlternatingRowColors(true);
    v->verticalHeader()->hide();
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    v->horizontalHeader()->setStretchLastSection(true);
    v->setWordWrap(false);
    return v;
}

} // namespace

DegradationPage::DegradationPage(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
{
    AppSettings settings;
    m_stats.alpha = settings.alpha();
    m_stats.permutations = static_cast<std::uint64_t>(settings.permutations());
    m_stats.seed = static_cast<std::uint64_t>(settings.seed());
    buildUi();
    connect(m_jobs, &JobRunner::started, this, [this](quint64, const QString& label) {
        m_progressRow->show();
        m_progress->setRange(0, 0); // indeterminate until the first fraction arrives
        m_progressText->setText(label);
        m_compare->setEnabled(false);
        emit busyChanged(true);
    });
    connect(m_jobs, &JobRunner::progressed, this, [this](quint64, double f, const QString& stage, double eta) {
        if (f >= 0) {
            m_progress->setRange(0, 1000);
            m_progress->setValue(static_cast<int>(1000 * f));
        }
        m_progressText->setText(eta > 0 ? tr("%1 (about %2 left)").arg(stage, duration(eta)) : stage);
    });
    connect(m_jobs, &JobRunner::finished, this, [this](quint64, bool) {
        m_progressRow->hide();
        m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
        emit busyChanged(false);
    });
}

DegradationPage::~DegradationPage()
{
    m_jobs->cancel();
}

void DegradationPage::buildUi()
{
    // Inputs.
    m_baseZone = new DropZone(tr("Baseline"), this);
    m_candZone = new DropZone(tr("Candidate"), this);
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setEnabled(false);
    m_compare->setDefault(true);
    connect(m_baseZone, &DropZone::pathChosen, this, [this](const QString& p) { setSide(false, p); });
    connect(m_candZone, &DropZone::pathChosen, this, [this](const QString& p) { setSide(true, p); });
    connect(m_compare, &QPushButton::clicked, this, &DegradationPage::startLoad);
    auto* inputs = new QHBoxLayout;
    inputs->addWidget(m_baseZone, 1);
    inputs->addWidget(m_candZone, 1);
    inputs->addWidget(m_compare);

    m_progressRow = new QWidget(this);
    m_progress = new QProgressBar(m_progressRow);
    m_progressText = new QLabel(m_progressRow);
    m_cancel = new QPushButton(tr("Cancel"), m_progressRow);
    connect(m_cancel, &QPushButton::clicked, this, &DegradationPage::cancel);
    auto* progressLayout = new QHBoxLayout(m_progressRow);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    progressLayout->addWidget(m_progress, 1);
    progressLayout->addWidget(m_progressText, 1);
    progressLayout->addWidget(m_cancel);
    m_progressRow->hide();

    // Tasks.
    m_taskModel = new TaskTableModel(this);
    m_taskProxy = new TaskFilterProxy(this);
    m_taskProxy->setSourceModel(m_taskModel);
    m_taskView = makeTable(this);
    m_taskView->setModel(m_taskProxy);
    m_taskView->sortByColumn(TaskTableModel::PValue, Qt::AscendingOrder);
    m_taskFilter = new QLineEdit(this);
    m_taskFilter->setPlaceholderText(tr("Filter tasks…"));
    m_taskFilter->setClearButtonEnabled(true);
    // Ctrl+F searches the tasks, Ctrl+Shift+F the disagreements.
    auto* findTask = new QShortcut(QKeySequence::Find, this);
    connect(findTask, &QShortcut::activated, this, [this] {
        m_taskFilter->setFocus();
        m_taskFilter->selectAll();
    });
    m_onlyWorse = new QCheckBox(tr("only worse"), this);
    m_warnings = new QLabel(this);
    m_warnings->setTextInteractionFlags(Qt::LinksAccessibleByMouse);
    connect(m_warnings, &QLabel::linkActivated, this, &DegradationPage::showWarnings);
    connect(m_taskFilter, &QLineEdit::textChanged, m_taskProxy, &TaskFilterProxy::setText);
    connect(m_onlyWorse, &QCheckBox::toggled, m_taskProxy, &TaskFilterProxy::setOnlyWorse);
    connect(
        m_taskView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &DegradationPage::onTaskSelection);
    auto* tasksBox = new QWidget(this);
    auto* tasksLayout = new QVBoxLayout(tasksBox);
    tasksLayout->setContentsMargins(0, 0, 0, 0);
    auto* taskBar = new QHBoxLayout;
    taskBar->addWidget(m_taskFilter, 1);
    taskBar->addWidget(m_onlyWorse);
    taskBar->addWidget(m_warnings);
    tasksLayout->addLayout(taskBar);
    tasksLayout->addWidget(m_taskView, 1);

    m_aggregate = new AggregatePanel(this);
    m_aggregate->setAlpha(m_stats.alpha);
    m_aggregate->setPermutationSettings(static_cast<int>(m_stats.permutations), static_cast<int>(m_stats.seed));
    connect(m_aggregate, &AggregatePanel::alphaChanged, this, [this](double a) {
        m_stats.alpha = a;
        AppSettings().setAlpha(a);
        retestWith(m_stats.runPermutation);
    });
    connect(m_aggregate, &AggregatePanel::permutationRequested, this, [this](int perms, int seed) {
        m_stats.permutations = static_cast<std::uint64_t>(perms);
        m_stats.seed = static_cast<std::uint64_t>(seed);
        AppSettings s;
        s.setPermutations(perms);
        s.setSeed(seed);
        retestWith(true);
    });

    // Plots.
    m_plots = new QTabWidget(this);
    m_forest = new PlotView(this);
    m_pvalues = new PlotView(this);
    m_flips = new PlotView(this);
    m_power = new PlotView(this);
    m_plots->addTab(m_forest, tr("Drop per task"));
    m_plots->addTab(m_pvalues, tr("p-values"));
    m_plots->addTab(m_flips, tr("Regressions vs improvements"));
    auto* powerTab = new QWidget(this);
    m_powerLevel = new QDoubleSpinBox(powerTab);
    m_powerLevel->setRange(0.5, 0.99);
    m_powerLevel->setSingleStep(0.05);
    m_powerLevel->setValue(0.8);
    m_targetDrop = new QDoubleSpinBox(powerTab);
    m_targetDrop->setRange(0.05, 50);
    m_targetDrop->setDecimals(2);
    m_targetDrop->setSuffix(tr(" pts"));
    m_targetDrop->setValue(1.0);
    m_powerAnswer = new QLabel(powerTab);
    m_powerAnswer->setWordWrap(true);
    auto* powerBar = new QHBoxLayout;
    powerBar->addWidget(new QLabel(tr("power"), powerTab));
    powerBar->addWidget(m_powerLevel);
    powerBar->addWidget(new QLabel(tr("drop to detect"), powerTab));
    powerBar->addWidget(m_targetDrop);
    powerBar->addWidget(m_powerAnswer, 1);
    auto* powerLayout = new QVBoxLayout(powerTab);
    powerLayout->setContentsMargins(0, 0, 0, 0);
    powerLayout->addLayout(powerBar);
    powerLayout->addWidget(m_power, 1);
    m_plots->addTab(powerTab, tr("Power planner"));
    connect(m_powerLevel, &QDoubleSpinBox::valueChanged, this, &DegradationPage::redrawPower);
    connect(m_targetDrop, &QDoubleSpinBox::valueChanged, this, &DegradationPage::redrawPower);
    for (PlotView* p : { m_forest, m_pvalues, m_flips })
        connect(p, &PlotView::taskClicked, this, &DegradationPage::selectTask);

    // Disagreements and the sample.
    m_flipModel = new DisagreementModel(this);
    m_flipProxy = new DisagreementProxy(this);
    m_flipProxy->setSourceModel(m_flipModel);
    m_flipView = makeTable(this);
    m_flipView->setModel(m_flipProxy);
    m_flipView->setSortingEnabled(false); // sorting 100,000 ids on load is not worth the wait; a click sorts
    m_flipView->horizontalHeader()->setSectionsClickable(true);
    connect(m_flipView->horizontalHeader(), &QHeaderView::sectionClicked, this, [this](int column) {
        const auto order = m_flipProxy->sortColumn() == column && m_flipProxy->sortOrder() == Qt::AscendingOrder
            ? Qt::DescendingOrder
            : Qt::AscendingOrder;
        m_flipProxy->sort(column, order);
        m_flipView->horizontalHeader()->setSortIndicatorShown(true);
        m_flipView->horizontalHeader()->setSortIndicator(column, order);
    });
    m_direction = new QComboBox(this);
    m_direction->addItems({ tr("regressions and improvements"), tr("regressions only"), tr("improvements only") });
    m_flipFilter = new QLineEdit(this);
    m_flipFilter->setPlaceholderText(tr("Filter by doc id or task…"));
    m_flipFilter->setClearButtonEnabled(true);
    m_flipFilter->setMinimumWidth(180);
    auto* findFlip = new QShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F), this);
    connect(findFlip, &QShortcut::activated, this, [this] {
        m_flipFilter->setFocus();
        m_flipFilter->selectAll();
    });
    m_allPairs = new QCheckBox(tr("all pairs"), this);
    m_allPairs->setToolTip(tr("List every pair, not only those whose scores differ"));
    m_flipCount = new QLabel(this);
    connect(m_direction, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_flipProxy->setDirection(static_cast<DisagreementProxy::Direction>(i));
        m_flipCount->setText(tr("%1 rows").arg(m_flipProxy->rowCount()));
    });
    connect(m_flipFilter, &QLineEdit::textChanged, this, [this](const QString& t) {
        m_flipProxy->setText(t);
        m_flipCount->setText(tr("%1 rows").arg(m_flipProxy->rowCount()));
    });
    connect(m_allPairs, &QCheckBox::toggled, this, [this](bool all) {
        m_flipModel->setComparison(m_comparison, all);
        m_flipCount->setText(tr("%1 rows").arg(m_flipProxy->rowCount()));
    });
    connect(m_flipView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &DegradationPage::onDisagreementSelection);
    auto* flipsBox = new QWidget(this);
    auto* flipsLayout = new QVBoxLayout(flipsBox);
    flipsLayout->setContentsMargins(0, 0, 0, 0);
    auto* flipBar = new QHBoxLayout;
    flipBar->addWidget(m_direction);
    flipBar->addWidget(m_flipFilter, 1);
    flipBar->addWidget(m_allPairs);
    flipBar->addWidget(m_flipCount);
    flipsLayout->addLayout(flipBar);
    flipsLayout->addWidget(m_flipView, 1);
    m_sample = new SampleView(this);

    // Assembly.
    auto* left = new QSplitter(Qt::Vertical, this);
    left->addWidget(tasksBox);
    left->addWidget(m_aggregate);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);
    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(flipsBox);
    bottom->addWidget(m_sample);
    bottom->setStretchFactor(0, 2);
    bottom->setStretchFactor(1, 3);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(m_plots);
    right->addWidget(bottom);
    auto* main = new QSplitter(Qt::Horizontal, this);
    main->addWidget(left);
    main->addWidget(right);
    main->setStretchFactor(0, 1);
    main->setStretchFactor(1, 1);
    m_splitters = { left, bottom, right, main };
    // First run: tasks and verdict get room enough for their columns; later runs restore the
    // user's layout.
    main->setSizes({ 620, 980 });
    right->setSizes({ 380, 520 });
    bottom->setSizes({ 420, 560 });
    AppSettings settings;
    for (int i = 0; i < m_splitters.size(); ++i) {
        m_splitters[i]->setObjectName(QStringLiteral("degradation%1").arg(i));
        m_splitters[i]->restoreState(settings.splitterState(m_splitters[i]->objectName()));
    }

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(inputs);
    layout->addWidget(m_progressRow);
    layout->addWidget(main, 1);
    setComparison(nullptr);
}

void DegradationPage::saveState() const
{
    AppSettings settings;
    for (auto* s : m_splitters)
        settings.setSplitterState(s->objectName(), s->saveState());
}

namespace {

workspace::SideState sideState(const SideSpec& spec)
{
    workspace::SideState s;
    s.path = spec.path.toStdString();
    using F = eval::LoadOptions::Format;
    s.format = spec.options.format == F::Table ? "table" : (spec.options.format == F::LmEval ? "lm-eval" : "auto");
    s.runTimestamp = spec.options.runTimestamp;
    s.idColumn = spec.options.columns.id;
    s.scoreColumn = spec.options.columns.score;
    s.taskColumn = spec.options.columns.task;
    s.filterColumn = spec.options.columns.filter;
    return s;
}

SideSpec sideSpec(const workspace::SideState& s, bool skipBadLines)
{
    SideSpec spec;
    spec.path = QString::fromStdString(s.path);
    using F = eval::LoadOptions::Format;
    spec.options.format = s.format == "table" ? F::Table : (s.format == "lm-eval" ? F::LmEval : F::Auto);
    spec.options.runTimestamp = s.runTimestamp;
    spec.options.columns = { s.idColumn, s.scoreColumn, s.taskColumn, s.filterColumn };
    spec.options.skipBadLines = skipBadLines;
    return spec;
}

} // namespace

workspace::DegradationState DegradationPage::workspaceState() const
{
    workspace::DegradationState s;
    s.base = sideState(m_base);
    s.cand = sideState(m_cand);
    s.alpha = m_stats.alpha;
    s.permutations = m_stats.permutations;
    s.seed = m_stats.seed;
    s.runPermutation = m_stats.runPermutation;
    s.skipBadLines = m_skipBadLines;
    s.taskFilter = m_taskFilter->text().toStdString();
    s.onlyWorse = m_onlyWorse->isChecked();
    const auto rows = m_taskView->selectionModel()->selectedRows();
    if (m_comparison && !rows.isEmpty()) {
        const int task = rows.front().data(TaskTableModel::TaskIndexRole).toInt();
        if (task >= 0 && static_cast<std::size_t>(task) < m_comparison->report.tasks.size())
            s.selectedTask = m_comparison->report.tasks[static_cast<std::size_t>(task)].key();
    } else {
        s.selectedTask = m_pendingTask;
    }
    s.plot = m_plots->currentIndex();
    s.flipFilter = m_flipFilter->text().toStdString();
    s.direction = m_direction->currentIndex();
    s.allPairs = m_allPairs->isChecked();
    s.powerLevel = m_powerLevel->value();
    s.targetDrop = m_targetDrop->value() / 100.0;
    return s;
}

void DegradationPage::restoreWorkspace(const workspace::DegradationState& s)
{
    m_stats.alpha = s.alpha;
    m_stats.permutations = s.permutations;
    m_stats.seed = s.seed;
    m_stats.runPermutation = s.runPermutation;
    m_skipBadLines = s.skipBadLines;
    {
        const QSignalBlocker block(m_aggregate);
        m_aggregate->setAlpha(s.alpha);
        m_aggregate->setPermutationSettings(static_cast<int>(std::min<std::uint64_t>(s.permutations, INT_MAX)),
            static_cast<int>(s.seed % static_cast<std::uint64_t>(INT_MAX)));
    }
    m_taskFilter->setText(QString::fromStdString(s.taskFilter));
    m_onlyWorse->setChecked(s.onlyWorse);
    m_flipFilter->setText(QString::fromStdString(s.flipFilter));
    if (s.direction >= 0 && s.direction < m_direction->count())
        m_direction->setCurrentIndex(s.direction);
    m_allPairs->setChecked(s.allPairs);
    m_powerLevel->setValue(s.powerLevel);
    m_targetDrop->setValue(100.0 * s.targetDrop);
    showPlot(s.plot);
    m_pendingTask = s.selectedTask;
    m_base = sideSpec(s.base, s.skipBadLines);
    m_cand = sideSpec(s.cand, s.skipBadLines);
    m_baseZone->setPath(m_base.path);
    m_candZone->setPath(m_cand.path);
    m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
    startLoad();
}

bool DegradationPage::prepareSide(bool candidate, const QString& path, bool interactive)
{
    SideSpec spec;
    spec.path = path;
    spec.options.skipBadLines = m_skipBadLines;
    const std::string p = path.toStdString();
    if (eval::detectFormat(p) == eval::LoadOptions::Format::Table) {
        spec.options.format = eval::LoadOptions::Format::Table;
        if (interactive && QFileInfo(path).isFile()) {
            ColumnMappingDialog dialog(path, this);
            if (dialog.exec() != QDialog::Accepted)
                return false;
            spec.options.columns = dialog.columns();
        }
    } else if (QFileInfo(path).isDir()) {
        auto runs = eval::discoverRuns(p);
        if (runs.ok() && runs.value->size() > 1) {
            // Several runs of one model: the newest unless the user picks; several models: ask.
            auto chosen = eval::chooseRun(*runs.value, p, {});
            if (interactive) {
                RunPickerDialog picker(path, *runs.value, this);
                if (picker.exec() != QDialog::Accepted || picker.chosen() < 0)
                    return false;
                spec.options.runTimestamp = (*runs.value)[static_cast<std::size_t>(picker.chosen())].timestamp;
            } else if (chosen.ok()) {
                spec.options.runTimestamp = chosen.value->timestamp;
            }
        }
    }
    (candidate ? m_cand : m_base) = spec;
    (candidate ? m_candZone : m_baseZone)->setPath(path);
    return true;
}

void DegradationPage::setSide(bool candidate, const QString& path, bool interactive)
{
    if (!prepareSide(candidate, path, interactive))
        return;
    m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
    if (!m_base.path.isEmpty() && !m_cand.path.isEmpty())
        startLoad();
}

void DegradationPage::compare(const QString& base, const QString& cand, bool interactive)
{
    if (!prepareSide(false, base, interactive) || !prepareSide(true, cand, interactive))
        return;
    startLoad();
}

void DegradationPage::cancel()
{
    m_jobs->cancel();
    emit statusMessage(tr("Cancelled"));
}

void DegradationPage::waitUntilIdle()
{
    m_jobs->waitForIdle();
}

void DegradationPage::startLoad()
{
    if (m_base.path.isEmpty() || m_cand.path.isEmpty())
        return;
    const SideSpec base = m_base;
    const SideSpec cand = m_cand;
    const StatsSettings stats = m_stats;
    m_lastError.clear();
    emit statusMessage(tr("Loading %1 and %2…").arg(QFileInfo(base.path).fileName(), QFileInfo(cand.path).fileName()));
    m_jobs->start(tr("Loading runs"), [this, base, cand, stats](JobControl& control) -> JobRunner::Apply {
        auto result = loadComparison(base, cand, stats, &control);
        if (control.cancelled())
            return nullptr;
        return [this, result = std::move(result), base, cand] {
            if (!result.ok()) {
                m_lastError = QString::fromStdString(result.error->toString());
                emit statusMessage(tr("Could not compare: %1").arg(m_lastError));
                if (!isVisible())
                    return;
                // A malformed record in a large file: the user chooses to skip such lines or stop.
                const bool lineError = result.error->line > 0 && !base.options.skipBadLines;
                if (!lineError) {
                    QMessageBox::warning(this, tr("Could not compare"), m_lastError);
                    return;
                }
                QMessageBox box(QMessageBox::Warning, tr("Malformed record"),
                    tr("%1\n\nSkip malformed records (each is listed as a warning) and go on, or stop?")
                        .arg(m_lastError),
                    QMessageBox::NoButton, this);
                auto* skip = box.addButton(tr("Skip bad lines"), QMessageBox::AcceptRole);
                box.addButton(tr("Stop"), QMessageBox::RejectRole);
                box.exec();
                if (box.clickedButton() == skip) {
                    m_skipBadLines = true;
                    m_base.options.skipBadLines = true;
                    m_cand.options.skipBadLines = true;
                    startLoad();
                }
                return;
            }
            setComparison(*result.value);
            emit comparisonOpened(base.path, cand.path);
        };
    });
}

void DegradationPage::retestWith(bool permutation)
{
    if (!m_comparison)
        return;
    m_stats.runPermutation = permutation;
    const ComparisonPtr from = m_comparison;
    const StatsSettings stats = m_stats;
    m_jobs->start(permutation ? tr("Permutation test") : tr("Testing"),
        [this, from, stats](JobControl& control) -> JobRunner::Apply {
            auto next = retest(from, stats, &control);
            return [this, next] { setComparison(next); };
        });
}

void DegradationPage::setComparison(ComparisonPtr c)
{
    const bool same = c && m_comparison && c->paired == m_comparison->paired;
    m_comparison = std::move(c);
    m_taskModel->setComparison(m_comparison);
    m_taskView->resizeColumnsToContents();
    if (!same) {
        m_flipModel->setComparison(m_comparison, m_allPairs->isChecked());
        m_sample->clear();
        // The first flipped sample is open from the start: the question is always "what changed?"
        if (m_flipProxy->rowCount() > 0)
            m_flipView->setCurrentIndex(m_flipProxy->index(0, 0));
    }
    m_aggregate->showReport(m_comparison ? &m_comparison->report : nullptr);
    if (m_comparison && !m_pendingTask.empty()) {
        // A restored workspace: its selected task again.
        const auto& tasks = m_comparison->report.tasks;
        for (std::size_t t = 0; t < tasks.size(); ++t)
            if (tasks[t].key() == m_pendingTask)
                selectTask(static_cast<int>(t));
        m_pendingTask.clear();
    }
    if (m_comparison) {
        m_flipView->resizeColumnsToContents();
        std::size_t warnings = m_comparison->report.warnings.size();
        for (const auto& t : m_comparison->report.tasks)
            warnings += t.warnings.size();
        m_warnings->setText(
            warnings ? QStringLiteral("<a href='#'>%1</a>").arg(tr("%n warning(s)", "", int(warnings))) : QString());
        m_flipCount->setText(tr("%1 rows").arg(m_flipProxy->rowCount()));
        const auto& r = m_comparison->report;
        emit statusMessage(tr("%1: %2 tasks, %3 pairs, %4 disagreements; loaded in %5")
                               .arg(r.degraded ? tr("Candidate is worse") : tr("No degradation detected"))
                               .arg(r.tasks.size())
                               .arg(QLocale().toString(qulonglong(m_comparison->pairCount())))
                               .arg(QLocale().toString(qulonglong(m_comparison->flips->size())))
                               .arg(duration(m_comparison->loadSeconds + m_comparison->pairSeconds)));
    } else {
        m_warnings->clear();
        m_flipCount->clear();
    }
    redrawPlots();
    emit comparisonChanged();
}

void DegradationPage::redrawPlots()
{
    if (!m_comparison) {
        for (PlotView* p : { m_forest, m_pvalues, m_flips, m_power }) {
            p->reset();
            p->replot();
        }
        return;
    }
    drawForest(m_forest, m_comparison->report);
    drawPValues(m_pvalues, m_comparison->report);
    drawFlips(m_flips, m_comparison->report);
    for (PlotView* p : { m_forest, m_pvalues, m_flips })
        p->replot(QCustomPlot::rpQueuedReplot);
    redrawPower();
}

void DegradationPage::redrawPower()
{
    if (!m_comparison)
        return;
    PowerPlan plan;
    std::int64_t n = 0;
    std::int64_t flips = 0;
    for (const auto& t : m_comparison->report.tasks)
        if (!t.continuous) {
            n += t.n;
            flips += t.b + t.c;
        }
    plan.currentN = n;
    plan.flipRate = n > 0 ? static_cast<double>(flips) / static_cast<double>(n) : 0.0;
    plan.alpha = m_comparison->report.alpha;
    plan.power = m_powerLevel->value();
    plan.targetDrop = m_targetDrop->value() / 100.0;
    drawPower(m_power, plan);
    m_power->replot(QCustomPlot::rpQueuedReplot);
    if (n == 0)
        m_powerAnswer->setText(tr("The planner needs binary tasks."));
    else
        m_powerAnswer->setText(
            tr("With %1 pairs (flip rate %2) a drop of %3 is detected with power %4; %5 needs "
               "%6 pairs.")
                .arg(QLocale().toString(qlonglong(n)), percent(plan.flipRate), signedPoints(plan.detectableNow),
                    percent(plan.power), signedPoints(plan.targetDrop), QLocale().toString(qlonglong(plan.neededN))));
}

void DegradationPage::onTaskSelection()
{
    QSet<int> tasks;
    for (const QModelIndex& i : m_taskView->selectionModel()->selectedRows())
        tasks.insert(i.data(TaskTableModel::TaskIndexRole).toInt());
    m_flipProxy->setTasks(tasks);
    m_flipCount->setText(tr("%1 rows").arg(m_flipProxy->rowCount()));
}

void DegradationPage::selectTask(int task)
{
    for (int row = 0; row < m_taskProxy->rowCount(); ++row) {
        const QModelIndex i = m_taskProxy->index(row, 0);
        if (i.data(TaskTableModel::TaskIndexRole).toInt() == task) {
            m_taskView->selectRow(row);
            m_taskView->scrollTo(i);
            return;
        }
    }
}

void DegradationPage::onDisagreementSelection()
{
    const QModelIndex i = m_flipView->currentIndex();
    if (!i.isValid() || !m_comparison) {
        m_sample->clear();
        return;
    }
    const QModelIndex s = m_flipProxy->mapToSource(i);
    const auto& d = m_flipModel->rowAt(s.row());
    m_sample->showPair(m_comparison, d.task, d.pair);
}

void DegradationPage::showWarnings()
{
    if (!m_comparison)
        return;
    QStringList lines;
    for (const auto& w : m_comparison->report.warnings)
        lines << QString::fromStdString(w.toString());
    for (const auto& t : m_comparison->report.tasks)
        for (const auto& w : t.warnings)
            lines << QString::fromStdString(t.key() + ": " + w.toString());
    QMessageBox box(QMessageBox::Information, tr("Warnings"),
        tr("%n warning(s) about the inputs. They do not stop the comparison; read them before trusting it.", "",
            int(lines.size())),
        QMessageBox::Ok, this);
    box.setDetailedText(lines.join(QLatin1Char('\n')));
    box.exec();
}

QList<ReportPlot> DegradationPage::reportPlots() const
{
    return { { tr("Drop per task"),
                 tr("Baseline minus candidate with 95% intervals; tasks in colour are significantly "
                    "worse after Holm's adjustment."),
                 m_forest },
        { tr("p-values"), tr("One-sided p per task against alpha and Holm's strictest threshold."), m_pvalues },
        { tr("Regressions and improvements"), tr("Discordant pairs per task: the counts the exact tests use."),
            m_flips },
        { tr("Power planner"), m_powerAnswer->text(), m_power } };
}

std::vector<report::Disagreement> DegradationPage::visibleDisagreements() const
{
    std::vector<report::Disagreement> rows;
    rows.reserve(static_cast<std::size_t>(m_flipProxy->rowCount()));
    for (int r = 0; r < m_flipProxy->rowCount(); ++r)
        rows.push_back(m_flipModel->rowAt(m_flipProxy->mapToSource(m_flipProxy->index(r, 0)).row()));
    return rows;
}

PlotView* DegradationPage::plot(int i) const
{
    const PlotView* all[] = { m_forest, m_pvalues, m_flips, m_power };
    return i >= 0 && i < 4 ? const_cast<PlotView*>(all[i]) : nullptr;
}

void DegradationPage::showPlot(int i)
{
    if (i >= 0 && i < m_plots->count())
        m_plots->setCurrentIndex(i);
}

QStringList DegradationPage::plotNames() const
{
    return { QStringLiteral("drop-per-task"), QStringLiteral("p-values"), QStringLiteral("regressions-improvements"),
        QStringLiteral("power") };
}

} // namespace deltascope::ui
