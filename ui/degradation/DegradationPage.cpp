// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/DegradationPage.h"

#include "common/AppSettings.h"
#include "common/Format.h"
#include "common/FrozenColumnsView.h"
#include "common/InputHelp.h"
#include "common/JobRunner.h"
#include "common/Problems.h"
#include "common/TableWidths.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DisagreementsView.h"
#include "degradation/DropZone.h"
#include "degradation/ExtraInputsButton.h"
#include "degradation/PowerPlanView.h"
#include "degradation/SampleView.h"
#include "degradation/SideChoice.h"
#include "degradation/TaskFilterProxy.h"
#include "degradation/TaskTableModel.h"
#include "plot/DegradationPlots.h"
#include "plot/PlotView.h"

#include <QCheckBox>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <climits>
#include <utility>

namespace deltascope::ui {

namespace {

QTableView* makeTable(QTableView* v)
{
    v->setSortingEnabled(true);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setAlternatingRowColors(true);
    v->verticalHeader()->hide();
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    v->horizontalHeader()->setStretchLastSection(true);
    v->setWordWrap(false);
    // Tab leaves the table (arrows move within it): no keyboard trap in a long table.
    v->setTabKeyNavigation(false);
    return v;
}

} // namespace

DegradationPage::DegradationPage(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
{
    // Alpha, permutations and seed start at the command line's defaults in every session (a saved
    // workspace keeps its own): a setting left from another comparison must not change a verdict
    // unseen.
    buildUi();
    showJobProgress(m_jobs, m_progressRow, m_progress, m_progressText);
    connect(m_jobs, &JobRunner::started, this, [this] {
        m_compare->setEnabled(false);
        emit busyChanged(true);
    });
    connect(m_jobs, &JobRunner::finished, this, [this](quint64, bool) {
        if (m_jobs->busy())
            return; // the result started the next job
        m_progressRow->hide();
        m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
        emit busyChanged(false);
    });
}

DegradationPage::~DegradationPage()
{
    m_jobs->shutdown(); // its jobs capture this page
}

void DegradationPage::buildUi()
{
    QLayout* inputs = buildInputs();
    QWidget* tasksBox = buildTasks();
    buildResults();
    // Assembly.
    auto* left = new QSplitter(Qt::Vertical, this);
    left->addWidget(tasksBox);
    // The decision panel scrolls when the window is short rather than setting its height.
    auto* decision = new QScrollArea(this);
    decision->setObjectName(QStringLiteral("decisionScroll"));
    decision->setFrameShape(QFrame::NoFrame);
    decision->setWidgetResizable(true);
    decision->setWidget(m_aggregate);
    left->addWidget(decision);
    left->setStretchFactor(0, 2);
    left->setStretchFactor(1, 3);
    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_disagreements);
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
    left->setSizes({ 300, 500 });
    right->setSizes({ 380, 520 });
    bottom->setSizes({ 380, 600 });
    AppSettings settings;
    for (int i = 0; i < m_splitters.size(); ++i) {
        m_splitters[i]->setObjectName(QStringLiteral("degradation%1").arg(i));
        m_splitters[i]->restoreState(settings.splitterState(m_splitters[i]->objectName()));
    }

    // The results once a comparison is loaded; until then, what to drop where.
    m_welcome = new WelcomePanel(tr("Did the optimisation make the model worse?"),
        tr("<p>Drop the <b>baseline</b> run on the <b>left</b> box above and the <b>candidate</b> run on the "
           "<b>right</b> box, or use their Folder… and File… buttons. A run is an lm-eval output folder written "
           "with <code>--log_samples</code>, an Inspect log (<code>.eval</code>, <code>.json</code>), a HELM run "
           "folder, or a CSV, TSV or JSONL table with an id and a score column per sample.</p>"
           "<p>Deltascope pairs the samples of the two runs, tests every task (exact McNemar on the regressions b "
           "and improvements c, sign-flip permutations for continuous metrics) and gives one verdict for the whole "
           "comparison: degraded, or no evidence of degradation, with the largest drop the data still allow. With a "
           "margin it can also say \"no worse than the margin\".</p>"
           "<p><a href='#demo'>Open the demo</a> (a model and its 4-bit quantization on four benchmarks) &nbsp;·&nbsp; "
           "<a href='#help'>How to produce these files</a></p>"
           "<p style='color:gray'>Hover a column header or a number for its definition.</p>"),
        this);
    connect(m_welcome, &WelcomePanel::demoRequested, this, &DegradationPage::demoRequested);
    m_body = new QStackedWidget(this);
    m_body->addWidget(m_welcome);
    m_body->addWidget(main);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(inputs);
    layout->addWidget(m_progressRow);
    layout->addWidget(m_body, 1);
    setComparison(nullptr);
}

QLayout* DegradationPage::buildInputs()
{
    // Inputs.
    m_baseZone = new DropZone(tr("Baseline"), this);
    m_candZone = new DropZone(tr("Candidate"), this);
    m_baseZone->setObjectName(QStringLiteral("baseZone"));
    m_candZone->setObjectName(QStringLiteral("candZone"));
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setEnabled(false);
    m_compare->setDefault(true);
    connect(m_baseZone, &DropZone::pathChosen, this, [this](const QString& p) { setSide(false, p); });
    connect(m_candZone, &DropZone::pathChosen, this, [this](const QString& p) { setSide(true, p); });
    connect(m_compare, &QPushButton::clicked, this, [this] { startLoad(); });
    m_extraInputs = new ExtraInputsButton(this);
    connect(m_extraInputs, &ExtraInputsButton::changed, this, [this] { startLoad(); });
    auto* inputs = new QHBoxLayout;
    inputs->addWidget(m_baseZone, 1);
    inputs->addWidget(m_candZone, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(m_compare);
    buttons->addWidget(m_extraInputs);
    inputs->addLayout(buttons);

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

    return inputs;
}

QWidget* DegradationPage::buildTasks()
{
    // Tasks.
    m_taskModel = new TaskTableModel(this);
    m_taskProxy = new TaskFilterProxy(this);
    m_taskProxy->setSourceModel(m_taskModel);
    // The task's name and its verdict stay in view while the numbers scroll sideways.
    m_taskView = makeTable(new FrozenColumnsView(2, this));
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
    // The disagreements follow the tasks the table shows (after the filter above has run).
    connect(m_taskFilter, &QLineEdit::textChanged, this, &DegradationPage::onTaskSelection);
    connect(m_onlyWorse, &QCheckBox::toggled, this, &DegradationPage::onTaskSelection);
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
    // Tab goes from the filter to the table it filters (the table was made first).
    QWidget::setTabOrder(m_taskFilter, m_onlyWorse);
    QWidget::setTabOrder(m_onlyWorse, m_taskView);
    tasksLayout->addWidget(m_taskView, 1);

    return tasksBox;
}

void DegradationPage::buildResults()
{
    m_aggregate = new AggregatePanel(this);
    m_aggregate->setAlpha(m_stats.alpha);
    m_aggregate->setPermutationSettings(static_cast<int>(m_stats.permutations), static_cast<int>(m_stats.seed));
    connect(m_aggregate, &AggregatePanel::alphaChanged, this, [this](double a) {
        m_stats.alpha = a;
        retestWith(m_stats.runPermutation);
    });
    connect(m_aggregate, &AggregatePanel::marginsChanged, this, [this](const report::MarginRequest& margins) {
        m_stats.margins = margins;
        retestWith(m_stats.runPermutation);
    });
    // The status bar follows the margin typed last, so an earlier refusal does not stay there.
    connect(m_aggregate, &AggregatePanel::marginRejected, this,
        [this](const QString& why) { emit statusMessage(tr("Not applied: %1").arg(why)); });
    connect(m_aggregate, &AggregatePanel::permutationRequested, this, [this](int perms, int seed) {
        m_stats.permutations = static_cast<std::uint64_t>(perms);
        m_stats.seed = static_cast<std::uint64_t>(seed);
        m_stats.maxPermutations = static_cast<std::uint64_t>(m_aggregate->maxPermutations());
        retestWith(true);
    });

    // Plots.
    m_plots = new QTabWidget(this);
    m_forest = new PlotView(this);
    m_pvalues = new PlotView(this);
    m_flips = new PlotView(this);
    m_powerPlan = new PowerPlanView(this);
    m_plots->addTab(m_forest, tr("Drop per task"));
    m_plots->addTab(m_pvalues, tr("p-values"));
    m_plots->addTab(m_flips, tr("Regressions vs improvements"));
    m_plots->addTab(m_powerPlan, tr("Power planner"));
    for (PlotView* p : { m_forest, m_pvalues, m_flips })
        connect(p, &PlotView::taskClicked, this, &DegradationPage::selectTask);

    // Disagreements and the sample.
    m_disagreements = new DisagreementsView(this);
    m_sample = new SampleView(this);
    connect(m_disagreements, &DisagreementsView::pairSelected, this, [this](int task, int pair) {
        if (m_comparison)
            m_sample->showPair(m_comparison, static_cast<std::uint32_t>(task), static_cast<std::uint32_t>(pair));
    });
    connect(m_disagreements, &DisagreementsView::cleared, m_sample, &SampleView::clear);
}

void DegradationPage::setComparison(ComparisonPtr c)
{
    const bool same = c && m_comparison && c->paired == m_comparison->paired;
    // A new test of the same pairs (alpha, permutations) keeps the selected tasks: the task table
    // is reset, and the disagreements must not stay filtered to a selection no longer shown.
    std::vector<std::string> keep;
    if (same)
        for (const QModelIndex& i : m_taskView->selectionModel()->selectedRows()) {
            const int t = i.data(TaskTableModel::TaskIndexRole).toInt();
            if (t >= 0 && static_cast<std::size_t>(t) < m_comparison->report.tasks.size())
                keep.push_back(m_comparison->report.tasks[static_cast<std::size_t>(t)].key());
        }
    m_comparison = std::move(c);
    m_body->setCurrentIndex(m_comparison ? 1 : 0);
    m_taskModel->setComparison(m_comparison);
    for (const int column : { TaskTableModel::Filter, TaskTableModel::Margin, TaskTableModel::NonInferiorityP,
             TaskTableModel::SamplesNeeded, TaskTableModel::NoiseFlips, TaskTableModel::Cluster })
        m_taskView->setColumnHidden(
            column, !m_comparison || !TaskTableModel::columnHasContent(m_comparison->report, column));
    fitColumns(m_taskView);
    // A current cell without a selection: Tab into the table shows where the keyboard is, and
    // the disagreements stay unfiltered until a task is picked.
    if (m_taskProxy->rowCount() > 0 && !m_taskView->currentIndex().isValid())
        m_taskView->selectionModel()->setCurrentIndex(m_taskProxy->index(0, 0), QItemSelectionModel::NoUpdate);
    m_disagreements->setComparison(m_comparison, same);
    onTaskSelection();
    if (same && !keep.empty())
        selectTasks(keep);
    m_aggregate->showReport(m_comparison ? &m_comparison->report : nullptr);
    m_aggregate->showRefused(
        m_comparison && m_comparison->refused ? QString::fromStdString(m_comparison->refused->message) : QString());
    if (m_comparison && !m_pendingTask.empty()) {
        // A restored workspace: its selected task again.
        const auto& tasks = m_comparison->report.tasks;
        for (std::size_t t = 0; t < tasks.size(); ++t)
            if (tasks[t].key() == m_pendingTask)
                selectTask(static_cast<int>(t));
        m_pendingTask.clear();
    }
    if (m_comparison) {
        std::size_t warnings = m_comparison->report.warnings.size();
        for (const auto& t : m_comparison->report.tasks)
            warnings += t.warnings.size();
        m_warnings->setText(
            warnings ? QStringLiteral("<a href='#'>%1</a>").arg(tr("%n warning(s)", "", int(warnings))) : QString());
        const auto& r = m_comparison->report;
        // A keep-list's excluded samples are rows of their own (tested apart, their regressions
        // joining the decision): counted as pairs, not as more tasks.
        std::size_t tasks = 0;
        for (const auto& t : r.tasks)
            tasks += t.audit ? 0 : 1;
        std::size_t excluded = 0;
        for (const auto& t : m_comparison->paired->tasks)
            excluded += t.audit ? t.base.size() : 0;
        const auto count = [](std::size_t n) { return int(std::min<std::size_t>(n, INT_MAX)); };
        emit statusMessage(
            tr("%1: %2, %3%4, %5; loaded in %6")
                .arg(AggregatePanel::verdictText(r), tr("%n task(s)", "", count(tasks)),
                    tr("%Ln pair(s)", "", count(m_comparison->pairCount())),
                    excluded ? tr(" (%L1 excluded by the keep-list, tested apart)").arg(excluded) : QString(),
                    tr("%Ln disagreement(s)", "", count(m_comparison->flips->size())),
                    duration(m_comparison->loadSeconds + m_comparison->pairSeconds)));
        // Settings refused: said last, so the summary does not hide it.
        if (m_comparison->refused)
            emit statusMessage(tr("Not applied: %1").arg(QString::fromStdString(m_comparison->refused->message)));
    } else {
        m_warnings->clear();
    }
    redrawPlots();
    emit comparisonChanged();
}

void DegradationPage::redrawPlots()
{
    m_powerPlan->setComparison(m_comparison);
    if (!m_comparison) {
        for (PlotView* p : { m_forest, m_pvalues, m_flips }) {
            p->reset();
            p->replot();
        }
        return;
    }
    drawForest(m_forest, m_comparison->report);
    drawPValues(m_pvalues, m_comparison->report);
    drawFlips(m_flips, m_comparison->report);
    markSelectedTasks();
}

void DegradationPage::onTaskSelection()
{
    // The disagreements of the selected tasks; with none selected, of every task the table shows
    // (all of them unless the name filter or "only worse" hides some).
    std::optional<QSet<int>> tasks;
    const QModelIndexList selected = m_taskView->selectionModel()->selectedRows();
    if (!selected.isEmpty() || m_taskProxy->filtering()) {
        tasks.emplace();
        for (const QModelIndex& i : selected)
            tasks->insert(i.data(TaskTableModel::TaskIndexRole).toInt());
        if (selected.isEmpty())
            for (int row = 0; row < m_taskProxy->rowCount(); ++row)
                tasks->insert(m_taskProxy->index(row, 0).data(TaskTableModel::TaskIndexRole).toInt());
    }
    m_disagreements->setTasks(std::move(tasks));
    markSelectedTasks();
}

void DegradationPage::markSelectedTasks()
{
    // The tasks selected in the table are shaded in every plot.
    if (!m_comparison)
        return;
    std::vector<int> tasks;
    for (const QModelIndex& i : m_taskView->selectionModel()->selectedRows())
        tasks.push_back(i.data(TaskTableModel::TaskIndexRole).toInt());
    for (PlotView* p : { m_forest, m_pvalues, m_flips }) {
        markTasks(p, m_comparison->report, tasks);
        p->replot(QCustomPlot::rpQueuedReplot);
    }
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

void DegradationPage::selectTasks(const std::vector<std::string>& keys)
{
    if (!m_comparison)
        return;
    QItemSelection selection;
    for (int row = 0; row < m_taskProxy->rowCount(); ++row) {
        const QModelIndex i = m_taskProxy->index(row, 0);
        const int t = i.data(TaskTableModel::TaskIndexRole).toInt();
        if (t >= 0 && static_cast<std::size_t>(t) < m_comparison->report.tasks.size()
            && std::find(keys.begin(), keys.end(), m_comparison->report.tasks[static_cast<std::size_t>(t)].key())
                != keys.end())
            selection.select(i, i);
    }
    m_taskView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QList<ReportPlot> DegradationPage::reportPlots() const
{
    QList<ReportPlot> plots {
        { tr("Drop per task"),
            tr("Baseline minus candidate with 95% intervals (Tango's score interval for binary metrics); "
               "tasks in colour are flagged worse: the comparison is degraded and their Holm-adjusted p is "
               "below alpha."),
            m_forest },
        { tr("p-values"), tr("One-sided p per task against alpha and Holm's strictest threshold."), m_pvalues },
        { tr("Regressions and improvements"), tr("Discordant pairs per task: the counts the exact tests use."),
            m_flips }
    };
    // The planner works on binary tasks: a report without any leaves it out.
    if (m_powerPlan->applies())
        plots.append({ tr("Power planner"), m_powerPlan->answer(), m_powerPlan->plot() });
    return plots;
}

std::vector<report::Disagreement> DegradationPage::visibleDisagreements() const
{
    return m_disagreements->visibleRows();
}

PlotView* DegradationPage::plot(int i) const
{
    PlotView* const all[] = { m_forest, m_pvalues, m_flips, m_powerPlan->plot() };
    return i >= 0 && i < 4 ? all[i] : nullptr;
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
