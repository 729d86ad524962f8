// SPDX-License-Identifier: GPL-3.0-or-later
// The Frontier workspace's widgets: the inputs column and the results (table, plot, budget
// frontier, payoff), built once; FrontierPage.cpp holds what they do.
#include "analysis/CandidateCosts.h"
#include "analysis/MatrixWriters.h"
#include "backend/CpuBackend.h"
#include "common/Format.h"
#include "common/JobRunner.h"
#include "degradation/DropZone.h"
#include "degradation/SideChoice.h"
#include "export/ExportFiles.h"
#include "frontier/CandidateListModel.h"
#include "frontier/FrontierPage.h"
#include "frontier/MatrixTableModel.h"
#include "frontier/PayoffPanel.h"
#include "plot/FrontierPlots.h"
#include "plot/PlotView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextDocument>
#include <QVBoxLayout>
#include <cmath>

namespace deltascope::ui {

QWidget* FrontierPage::buildInputs()
{
    auto* box = new QWidget(this);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    m_baseZone = new DropZone(tr("Baseline"), box);
    connect(m_baseZone, &DropZone::pathChosen, this, &FrontierPage::setBaseline);
    layout->addWidget(m_baseZone);

    m_candidateZone = new DropZone(tr("Add candidates"), box);
    m_candidateZone->setObjectName(QStringLiteral("candidateZone"));
    m_candidateZone->setPrompts(tr("Drop candidate runs here (a folder of several models' runs adds each)"),
        tr("Add a run folder"), tr("Add a results file or score table"),
        tr("Evaluation files (*.json *.jsonl *.eval *.csv *.tsv);;All files (*)"));
    connect(m_candidateZone, &DropZone::pathChosen, this, [this](const QString& p) {
        addCandidates(p);
        m_candidateZone->setPath({});
    });
    layout->addWidget(m_candidateZone);

    m_candidates = new CandidateListModel(this);
    m_candidateView = new QTableView(box);
    m_candidateView->setObjectName(QStringLiteral("candidateList"));
    m_candidateView->setModel(m_candidates);
    m_candidateView->verticalHeader()->hide();
    // A narrow column: names are cut in the middle (where runs of one model differ at the end),
    // cost and budget take what they need, and the run is in each name's tooltip.
    m_candidateView->setTextElideMode(Qt::ElideMiddle);
    m_candidateView->setWordWrap(false);
    auto* header = m_candidateView->horizontalHeader();
    header->setSectionResizeMode(CandidateListModel::Name, QHeaderView::Stretch);
    header->setSectionResizeMode(CandidateListModel::Cost, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(CandidateListModel::Budget, QHeaderView::ResizeToContents);
    m_candidateView->setColumnHidden(CandidateListModel::Run, true);
    m_candidateView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_candidateView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_candidateView->setToolTip(tr("Double-click a name, cost or budget to edit it"));
    layout->addWidget(m_candidateView, 1);
    auto* remove = new QPushButton(tr("Remove"), box);
    remove->setToolTip(tr("Remove the selected candidates"));
    const auto removeSelected = [this] {
        auto rows = m_candidateView->selectionModel()->selectedRows();
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.row() > b.row(); });
        for (const auto& r : rows)
            removeCandidate(r.row());
    };
    connect(remove, &QPushButton::clicked, this, removeSelected);
    auto* del = new QShortcut(QKeySequence::Delete, m_candidateView, nullptr, nullptr, Qt::WidgetShortcut);
    connect(del, &QShortcut::activated, this, removeSelected);

    auto* form = new QFormLayout;
    m_costColumn = new QComboBox(box);
    m_costColumn->setEditable(true);
    for (const auto& c : analysis::knownCostColumns())
        m_costColumn->addItem(QString::fromStdString(c.name));
    m_costColumn->setToolTip(tr("What the costs typed in the candidates' Cost column measure (the frontier plot's "
                                "x axis): choosing a name labels them, it does not fill them"));
    connect(m_costColumn, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        const auto c = analysis::costColumn(name.toStdString());
        m_candidates->setCostLabel(
            c.unit.empty() ? name : QStringLiteral("%1 (%2)").arg(name, QString::fromStdString(c.unit)));
    });
    m_candidates->setCostLabel(m_costColumn->currentText());
    auto* costRow = new QHBoxLayout;
    costRow->addWidget(m_costColumn, 1);
    costRow->addWidget(remove);
    form->addRow(tr("Costs measure"), costRow);
    m_marginEdit = new QLineEdit(box);
    m_marginEdit->setObjectName(QStringLiteral("frontierMargin"));
    m_marginEdit->setPlaceholderText(tr("none: degraded or no evidence"));
    m_marginEdit->setToolTip(tr("Claim \"no worse than D\": points for binary tasks, metric units or D% for "
                                "continuous ones, TASK=D for one task; comma-separated"));
    connect(m_marginEdit, &QLineEdit::editingFinished, this, [this] {
        QString why;
        if (!setMargins(m_marginEdit->text(), &why))
            emit statusMessage(tr("Margin: %1").arg(why));
    });
    form->addRow(tr("Margin"), m_marginEdit);
    m_alpha = new QDoubleSpinBox(box);
    m_alpha->setDecimals(3);
    m_alpha->setRange(0.001, 0.5);
    m_alpha->setSingleStep(0.01);
    m_alpha->setValue(analysis::StatsRequest {}.alpha);
    m_alpha->setToolTip(tr("Family-wise level, across the tasks and across the candidates (Holm)"));
    m_perCandidate = new QCheckBox(tr("per candidate"), box);
    m_perCandidate->setToolTip(tr("Decide each candidate at alpha alone, without the correction across candidates"));
    auto* alphaRow = new QHBoxLayout;
    alphaRow->addWidget(m_alpha);
    alphaRow->addWidget(m_perCandidate);
    form->addRow(tr("Alpha"), alphaRow);
    layout->addLayout(form);

    m_traceZone = new DropZone(tr("Router trace (budget frontier)"), box);
    m_traceZone->setObjectName(QStringLiteral("traceZone"));
    m_traceZone->setPrompts(tr("Drop the router trace the budgets were run on"), tr("A trace folder"),
        tr("A router trace file"), tr("Router traces (*.safetensors *.jsonl *.npy);;All files (*)"));
    connect(m_traceZone, &DropZone::pathChosen, this, &FrontierPage::setTrace);
    layout->addWidget(m_traceZone);
    m_batchSize = new QSpinBox(box);
    m_batchSize->setRange(0, 1 << 20);
    m_batchSize->setSpecialValueText(tr("default"));
    m_batchSize->setToolTip(tr("Requests per decode step when replaying the trace (default: as recorded, or 32)"));
    auto* batchForm = new QFormLayout;
    batchForm->addRow(tr("Batch size"), m_batchSize);
    layout->addLayout(batchForm);

    m_compare = new QPushButton(tr("Compare all"), box);
    m_compare->setObjectName(QStringLiteral("compareAll"));
    m_compare->setDefault(true);
    connect(m_compare, &QPushButton::clicked, this, &FrontierPage::compareAll);
    layout->addWidget(m_compare);
    m_progressRow = new QWidget(box);
    auto* progress = new QHBoxLayout(m_progressRow);
    progress->setContentsMargins(0, 0, 0, 0);
    m_progress = new QProgressBar(m_progressRow);
    m_progressText = new QLabel(m_progressRow);
    auto* cancel = new QPushButton(tr("Cancel"), m_progressRow);
    connect(cancel, &QPushButton::clicked, this, &FrontierPage::cancel);
    progress->addWidget(m_progress, 1);
    progress->addWidget(cancel);
    layout->addWidget(m_progressRow);
    layout->addWidget(m_progressText);
    m_progressRow->hide();
    return box;
}

QWidget* FrontierPage::buildResults()
{
    auto* box = new QWidget(this);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    m_headline = new QLabel(tr("Choose a baseline, add candidates, then Compare all."), box);
    m_headline->setObjectName(QStringLiteral("frontierHeadline"));
    m_headline->setWordWrap(true);
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_headline);
    m_stale = new QLabel(tr("<b>The inputs changed since these results.</b> Compare all to update them."), box);
    m_stale->setObjectName(QStringLiteral("frontierStale"));
    m_stale->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(warningColor().name()));
    m_stale->hide();
    layout->addWidget(m_stale);

    auto* split = new QSplitter(Qt::Vertical, box);
    m_matrixModel = new MatrixTableModel(this);
    m_matrixView = new QTableView(split);
    m_matrixView->setObjectName(QStringLiteral("matrixTable"));
    m_matrixView->setModel(m_matrixModel);
    m_matrixView->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_matrixView->setTabKeyNavigation(false); // Tab leaves the table; arrows move within it
    m_matrixView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(m_matrixView, &QTableView::doubleClicked, this,
        [this](const QModelIndex& i) { activateCandidate(i.column()); });
    split->addWidget(m_matrixView);

    m_tabs = new QTabWidget(split);
    auto* plotTab = new QWidget(m_tabs);
    auto* plotLayout = new QVBoxLayout(plotTab);
    auto* choices = new QHBoxLayout;
    m_task = new QComboBox(plotTab);
    m_task->setToolTip(tr("The task whose drop the plot shows"));
    m_plotCost = new QComboBox(plotTab);
    m_plotCost->setToolTip(tr("The cost on the x axis"));
    choices->addWidget(new QLabel(tr("Task"), plotTab));
    choices->addWidget(m_task, 1);
    choices->addWidget(new QLabel(tr("x axis"), plotTab));
    choices->addWidget(m_plotCost, 1);
    plotLayout->addLayout(choices);
    m_plot = new PlotView(plotTab);
    m_plot->setObjectName(QStringLiteral("frontierPlot"));
    plotLayout->addWidget(m_plot, 1);
    connect(m_task, &QComboBox::currentIndexChanged, this, &FrontierPage::redrawPlot);
    connect(m_plotCost, &QComboBox::currentIndexChanged, this, &FrontierPage::redrawPlot);
    connect(m_plot, &PlotView::taskClicked, this, &FrontierPage::activateCandidate);
    m_tabs->addTab(plotTab, tr("Frontier plot"));

    auto* budgetTab = new QWidget(m_tabs);
    auto* budgetLayout = new QVBoxLayout(budgetTab);
    m_answer = new QLabel(tr("Set a router trace and give the candidates their budgets to find the smallest "
                             "budget that is no worse than the margin."),
        budgetTab);
    m_answer->setObjectName(QStringLiteral("frontierAnswer"));
    m_answer->setWordWrap(true);
    budgetLayout->addWidget(m_answer);
    m_budgets = new QTableWidget(budgetTab);
    m_budgets->setObjectName(QStringLiteral("budgetTable"));
    m_budgets->setColumnCount(6);
    m_budgets->setHorizontalHeaderLabels({ tr("Budget"), tr("Candidate"), tr("Verdict"), tr("Activated experts saved"),
        tr("Gating mass kept"), tr("Acceptable") });
    m_budgets->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_budgets->verticalHeader()->hide();
    m_budgets->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_budgets->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_budgets->setToolTip(tr("Double-click a budget to open the trace at that budget in the expert workspace"));
    connect(m_budgets, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (auto* item = m_budgets->item(row, 0))
            activateBudget(item->data(Qt::UserRole).toInt());
    });
    budgetLayout->addWidget(m_budgets, 1);
    m_tabs->addTab(budgetTab, tr("Budget frontier"));

    m_payoff = new PayoffPanel(m_tabs);
    connect(m_payoff, &PayoffPanel::statusMessage, this, &FrontierPage::statusMessage);
    connect(m_payoff, &PayoffPanel::busyChanged, this, [this] { emit busyChanged(busy()); });
    // The model and GPU fields scroll rather than set the window's height.
    auto* payoffScroll = new QScrollArea(m_tabs);
    payoffScroll->setWidget(m_payoff);
    payoffScroll->setWidgetResizable(true);
    payoffScroll->setFrameShape(QFrame::NoFrame);
    m_tabs->addTab(payoffScroll, tr("Will it pay off?"));
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);
    return box;
}

} // namespace deltascope::ui
