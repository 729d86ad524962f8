// SPDX-License-Identifier: GPL-3.0-or-later
#include "frontier/FrontierPage.h"

#include "analysis/CandidateCosts.h"
#include "analysis/MatrixWriters.h"
#include "backend/CpuBackend.h"
#include "common/Format.h"
#include "common/JobRunner.h"
#include "degradation/DropZone.h"
#include "degradation/SideChoice.h"
#include "export/ExportFiles.h"
#include "frontier/CandidateListModel.h"
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

namespace {

Progress progressOf(JobControl& control)
{
    Progress p;
    p.callback = [&control](double f, std::string_view stage) {
        return control.progress(f, QString::fromUtf8(stage.data(), qsizetype(stage.size())));
    };
    return p;
}

analysis::SideRequest sideRequestOf(const workspace::SideState& state)
{
    const SideSpec spec = sideSpec(state, false);
    analysis::SideRequest side;
    side.path = spec.path.toStdString();
    side.load = spec.options;
    return side;
}

// The result of one "Compare all": the matrix alone, or the budget frontier that holds it.
struct Outcome {
    std::shared_ptr<const analysis::MatrixResult> matrix;
    std::shared_ptr<const analysis::FrontierResult> frontier;
    QString error;
    QString note;
};

} // namespace

FrontierPage::FrontierPage(QWidget* parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
{
    auto* split = new QSplitter(Qt::Horizontal, this);
    // The inputs scroll rather than set the window's height: the page fits a 1366x768 laptop.
    auto* inputs = new QScrollArea(this);
    inputs->setWidget(buildInputs());
    inputs->setWidgetResizable(true);
    inputs->setFrameShape(QFrame::NoFrame);
    inputs->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // As wide as its controls (it scrolls only vertically), the scroll bar beside them.
    inputs->setMinimumWidth(inputs->widget()->minimumSizeHint().width()
        + inputs->verticalScrollBar()->sizeHint().width() + 2 * inputs->frameWidth());
    split->addWidget(inputs);
    split->addWidget(buildResults());
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 5);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    showJobProgress(m_jobs, m_progressRow, m_progress, m_progressText);
    connect(m_jobs, &JobRunner::started, this, [this] {
        m_compare->setEnabled(false);
        emit busyChanged(true);
    });
    connect(m_jobs, &JobRunner::finished, this, [this](quint64, bool) {
        if (m_jobs->busy())
            return;
        m_progressRow->hide();
        m_progressText->clear();
        m_compare->setEnabled(true);
        emit busyChanged(false);
    });
    // What the results were computed from: a change to any of it is said above them.
    connect(m_marginEdit, &QLineEdit::editingFinished, this, &FrontierPage::markStale);
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, &FrontierPage::markStale);
    connect(m_perCandidate, &QCheckBox::toggled, this, &FrontierPage::markStale);
    connect(m_costColumn, &QComboBox::currentTextChanged, this, &FrontierPage::markStale);
    connect(m_batchSize, &QSpinBox::valueChanged, this, &FrontierPage::markStale);
    connect(m_candidates, &QAbstractItemModel::dataChanged, this, &FrontierPage::markStale);
    connect(m_candidates, &QAbstractItemModel::rowsInserted, this, &FrontierPage::markStale);
    connect(m_candidates, &QAbstractItemModel::rowsRemoved, this, &FrontierPage::markStale);
    connect(this, &FrontierPage::computed, m_stale, &QWidget::hide);
}

void FrontierPage::markStale()
{
    if (m_matrix || m_frontier)
        m_stale->show();
}

FrontierPage::~FrontierPage()
{
    m_jobs->shutdown(); // its jobs capture this page
}

void FrontierPage::setBackend(std::shared_ptr<const backend::ComputeBackend> compute)
{
    m_compute = compute;
    m_payoff->setBackend(std::move(compute));
}

void FrontierPage::setBaseline(const QString& path)
{
    markStale();
    m_base = {};
    m_base.path = path.toStdString();
    m_baseZone->setPath(path);
}

void FrontierPage::addCandidates(const QString& path)
{
    analysis::MatrixRequest probe;
    probe.base = sideRequestOf(m_base);
    workspace::SideState side;
    side.path = path.toStdString();
    probe.candidates.push_back(sideRequestOf(side));
    const auto expanded = analysis::expandCandidates(probe);
    if (!expanded.ok()) {
        emit statusMessage(
            tr("%1: %2").arg(QFileInfo(path).fileName(), QString::fromStdString(expanded.error->message)));
        return;
    }
    for (const auto& c : *expanded.value) {
        workspace::FrontierCandidateState row;
        row.side.path = c.side.path;
        row.side.runTimestamp = c.side.load.runTimestamp;
        row.name = c.name;
        addCandidate(row);
    }
}

void FrontierPage::addCandidate(const workspace::FrontierCandidateState& candidate)
{
    m_candidates->append(candidate);
    m_candidateView->resizeColumnsToContents();
}

void FrontierPage::removeCandidate(int row)
{
    m_candidates->remove(row);
}

void FrontierPage::setTrace(const QString& path)
{
    if (path != m_trace)
        markStale();
    m_trace = path;
    m_traceZone->setPath(path);
    updatePayoffInputs();
}

void FrontierPage::offerTrace(const QString& path, std::int64_t experts, std::int64_t topK, const QString& model)
{
    if (!m_trace.isEmpty())
        return;
    setTrace(path);
    m_payoff->fitTrace(experts, topK, model);
}

bool FrontierPage::setMargins(const QString& text, QString* why)
{
    report::MarginRequest margins;
    for (const auto& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        std::string error;
        if (!analysis::parseMargin(part.trimmed().toStdString(), margins, error)) {
            if (why)
                *why = QString::fromStdString(error);
            // The field keeps what was typed, marked, until it reads; Compare all refuses it.
            m_marginEdit->setStyleSheet(QStringLiteral("border: 1px solid #c0392b"));
            m_marginEdit->setToolTip(QString::fromStdString(error));
            return false;
        }
    }
    m_marginEdit->setStyleSheet({});
    m_marginEdit->setToolTip(tr("Claim \"no worse than D\": points for binary tasks, metric units or D% for "
                                "continuous ones, TASK=D for one task; comma-separated"));
    m_margins = margins;
    if (m_marginEdit->text() != text)
        m_marginEdit->setText(text);
    return true;
}

void FrontierPage::setAlpha(double alpha)
{
    m_alpha->setValue(alpha);
}

void FrontierPage::setAlphaPerCandidate(bool on)
{
    m_perCandidate->setChecked(on);
}

void FrontierPage::setCostColumn(const QString& name)
{
    m_costColumn->setCurrentText(name);
}

analysis::MatrixRequest FrontierPage::matrixRequest() const
{
    analysis::MatrixRequest request;
    request.base = sideRequestOf(m_base);
    for (const auto& c : m_candidates->candidates())
        request.candidates.push_back(sideRequestOf(c.side));
    request.stats.alpha = m_alpha->value();
    request.stats.margins = m_margins;
    request.alphaPerCandidate = m_perCandidate->isChecked();
    return request;
}

void FrontierPage::compareAll()
{
    const auto rows = m_candidates->candidates();
    if (m_base.path.empty() || rows.empty()) {
        m_lastError = tr("Choose a baseline and at least one candidate first.");
        emit statusMessage(m_lastError);
        return;
    }
    // The margin as the field shows it now: a margin that does not read is refused, not replaced
    // by the one read before.
    if (QString why; !setMargins(m_marginEdit->text(), &why)) {
        m_lastError
            = tr("the margin \"%1\" does not read (%2); fix it, then Compare all").arg(m_marginEdit->text(), why);
        markStale();
        m_headline->setText(headline());
        emit statusMessage(m_lastError);
        return;
    }
    m_lastError.clear();
    const analysis::MatrixRequest request = matrixRequest();
    const std::string costName = m_costColumn->currentText().trimmed().toStdString();
    const std::string trace = m_trace.toStdString();
    const int batchSize = m_batchSize->value();
    QStringList names;
    std::vector<int> recorded; // what each run's results record, read when it was added
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
        names << QString::fromStdString(rows[static_cast<std::size_t>(i)].name);
        recorded.push_back(m_candidates->recordedBudget(i));
    }
    updatePayoffInputs();
    emit statusMessage(tr("Comparing %n candidate(s) with the baseline…", "", int(rows.size())));
    m_jobs->start(tr("Comparing all candidates"),
        [this, request, rows, recorded, costName, trace, batchSize, names, compute = m_compute](
            JobControl& control) -> JobRunner::Apply {
            static const backend::CpuBackend cpu;
            const backend::ComputeBackend& backend = compute ? *compute : cpu;
            analysis::MatrixRequest req = request;
            // Costs and budgets are keyed by the names the analysis gives the candidates; each row
            // of the list is one run, so the i-th name is the i-th row's.
            std::vector<std::string> keys;
            if (const auto expanded = analysis::expandCandidates(req);
                expanded.ok() && expanded.value->size() == rows.size())
                for (const auto& c : *expanded.value)
                    keys.push_back(c.name);
            else
                for (const auto& r : rows)
                    keys.push_back(r.side.path);
            std::vector<std::pair<std::string, int>> budgets;
            bool everyBudget = !trace.empty();
            for (std::size_t i = 0; i < rows.size(); ++i) {
                if (rows[i].hasCost && !costName.empty())
                    req.costs.set(keys[i], costName, rows[i].cost);
                const int budget = rows[i].budget > 0 ? rows[i].budget : recorded[i];
                if (budget > 0) {
                    req.costs.set(keys[i], "budget", budget);
                    budgets.emplace_back(keys[i], budget);
                } else {
                    everyBudget = false;
                }
            }
            Outcome out;
            if (everyBudget) {
                analysis::FrontierRequest f;
                f.matrix = req;
                f.budgets = budgets;
                f.scenario.tracePath = trace;
                f.scenario.batchSize = batchSize;
                auto r = analysis::runFrontier(f, backend, progressOf(control));
                if (r.ok()) {
                    auto frontier = std::make_shared<const analysis::FrontierResult>(std::move(*r.value));
                    out.matrix = std::shared_ptr<const analysis::MatrixResult>(frontier, &frontier->matrix);
                    out.frontier = frontier;
                } else {
                    out.error = QString::fromStdString(r.error->toString());
                }
            } else {
                if (!trace.empty())
                    out.note = tr("The budget frontier needs every candidate's budget (type it in the list, or "
                                  "record it in the run's results).");
                auto r = analysis::runMatrix(req, backend, progressOf(control));
                if (r.ok())
                    out.matrix = std::make_shared<const analysis::MatrixResult>(std::move(*r.value));
                else
                    out.error = QString::fromStdString(r.error->toString());
            }
            if (control.cancelled())
                return nullptr;
            return [this, out, names] {
                m_matrixModel->setResult(out.matrix, names);
                showResult(out.matrix, out.frontier, out.error);
                if (!out.note.isEmpty())
                    m_answer->setText(out.note);
                if (out.frontier && out.frontier->sharing.prepared.trace) {
                    const auto& swept = *out.frontier->sharing.prepared.trace;
                    m_payoff->fitTrace(swept.experts, swept.topK, QString::fromStdString(swept.model));
                }
                updatePayoffInputs();
                if (out.matrix && !m_trace.isEmpty())
                    m_payoff->estimate();
                emit computed();
            };
        });
}

void FrontierPage::showResult(std::shared_ptr<const analysis::MatrixResult> matrix,
    std::shared_ptr<const analysis::FrontierResult> frontier, const QString& error)
{
    m_matrix = std::move(matrix);
    m_frontier = std::move(frontier);
    m_lastError = error;
    m_matrixView->resizeColumnsToContents();
    {
        const QSignalBlocker a(m_task), b(m_plotCost);
        const QString task = m_pendingTask.empty() ? m_task->currentText() : QString::fromStdString(m_pendingTask);
        const QString cost = m_plotCost->currentText();
        m_task->clear();
        m_plotCost->clear();
        if (m_matrix) {
            for (const auto& r : m_matrix->rows)
                m_task->addItem(QString::fromStdString(r.task));
            for (const auto& c : m_matrix->costColumns)
                m_plotCost->addItem(QString::fromStdString(c.name));
            if (const auto i = m_task->findText(task); i >= 0)
                m_task->setCurrentIndex(static_cast<int>(i));
            // The cost shown before, else what the budgets save (the frontier's activated experts).
            if (const auto i = m_plotCost->findText(cost); i >= 0)
                m_plotCost->setCurrentIndex(static_cast<int>(i));
            else if (const auto e = m_plotCost->findText(QStringLiteral("activated_experts")); e >= 0)
                m_plotCost->setCurrentIndex(static_cast<int>(e));
        }
        m_pendingTask.clear();
    }
    redrawPlot();
    showBudgets();
    m_headline->setText(headline());
    if (!error.isEmpty())
        emit statusMessage(tr("Could not compare: %1").arg(error));
    else if (m_matrix)
        emit statusMessage(tr("%n candidate(s) compared in %1", "", int(m_matrix->candidates.size()))
                               .arg(duration(m_matrix->seconds)));
}

QString FrontierPage::headline() const
{
    if (!m_lastError.isEmpty())
        return tr("Could not compare: %1").arg(m_lastError.toHtmlEscaped());
    if (!m_matrix)
        return tr("Choose a baseline, add candidates, then Compare all.");
    std::map<std::string, int> counts;
    for (const auto& c : m_matrix->candidates)
        ++counts[c.verdict];
    QStringList parts;
    for (const auto& [verdict, n] : counts)
        parts << QStringLiteral("%1 %2").arg(n).arg(MatrixTableModel::verdictText(verdict));
    // Each count in its own text, so that each noun agrees with its own number.
    const QString counted = tr("across %1: %2; %3 the data can separate.")
                                .arg(tr("%n candidate(s)", "", int(m_matrix->candidates.size())),
                                    parts.join(QStringLiteral(", ")), tr("%n tier(s)", "", int(m_matrix->tiers)));
    // With budgets, the budget answer is the question asked: it leads, and the candidates' counts
    // follow (their overall verdict, the worst of them, is "degraded" as soon as one small budget
    // fails, which is no answer to "which budget").
    if (m_frontier)
        return QStringLiteral("<b>%1</b><br>%2")
            .arg(QString::fromStdString(m_frontier->answer).toHtmlEscaped(),
                tr("Each budget's run against the baseline, %1").arg(counted));
    return QStringLiteral("<b>%1</b> %2").arg(MatrixTableModel::verdictText(m_matrix->verdict), counted);
}

void FrontierPage::redrawPlot()
{
    if (!m_matrix || m_task->currentIndex() < 0 || m_plotCost->currentIndex() < 0) {
        if (m_matrix && m_plotCost->count() == 0)
            m_plot->showEmptyNote(tr("No cost to plot the drops against.\nType each candidate's cost in the "
                                     "candidates list (\"Costs measure\" names what it is),\nor give them budgets "
                                     "and a router trace, then Compare all again."));
        else
            m_plot->reset();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const auto row = static_cast<std::size_t>(m_task->currentIndex());
    const auto& column = m_matrix->costColumns[static_cast<std::size_t>(m_plotCost->currentIndex())];
    FrontierPlotInput in;
    in.points = analysis::frontierPlot(*m_matrix, row, column.name);
    for (int i = 0; i < m_matrixModel->columnCount(); ++i)
        in.names << m_matrixModel->candidateName(i);
    in.costLabel = column.unit.empty()
        ? QString::fromStdString(column.name)
        : QStringLiteral("%1 (%2)").arg(QString::fromStdString(column.name), QString::fromStdString(column.unit));
    in.higherIsBetter = column.higherIsBetter;
    in.continuous = m_matrix->rows[row].continuous;
    in.task = QString::fromStdString(m_matrix->rows[row].task);
    // The task's margin where it is in the drop's own units (one margin request for all candidates).
    for (const auto& c : m_matrix->candidates)
        for (const auto& t : c.comparison.report.tasks)
            if (t.key() == m_matrix->rows[row].task && t.hasMargin && !t.marginRelative)
                in.margin = t.margin;
    drawFrontier(m_plot, in);
    m_plot->replot(QCustomPlot::rpQueuedRefresh);
}

void FrontierPage::showBudgets()
{
    m_budgets->setRowCount(0);
    if (!m_frontier) {
        if (m_lastError.isEmpty())
            m_answer->setText(tr("Set a router trace and give the candidates their budgets to find the smallest "
                                 "budget that is no worse than the margin."));
        return;
    }
    m_answer->setText(QString::fromStdString(m_frontier->answer));
    const auto& points = m_frontier->points;
    m_budgets->setRowCount(static_cast<int>(points.size()));
    for (int i = 0; i < static_cast<int>(points.size()); ++i) {
        const auto& p = points[static_cast<std::size_t>(i)];
        const bool chosen = m_frontier->chosen && *m_frontier->chosen == static_cast<std::size_t>(i);
        const QString name = m_matrixModel->candidateName(p.candidate);
        const QStringList cells { QString::number(p.budget), name, MatrixTableModel::verdictText(p.verdict),
            percent(p.sharing.reduction), percent(p.sharing.massRetained),
            chosen ? tr("yes: the smallest") : (p.acceptable ? tr("yes") : tr("no")) };
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 0)
                item->setData(Qt::UserRole, p.budget);
            if (c == 2)
                item->setForeground(MatrixTableModel::verdictColour(p.verdict));
            if (chosen) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            m_budgets->setItem(i, c, item);
        }
    }
}

void FrontierPage::updatePayoffInputs()
{
    // The budgets the frontier swept (typed or read from the runs), else those typed so far.
    std::vector<int> budgets;
    if (m_frontier)
        for (const auto& p : m_frontier->points)
            budgets.push_back(p.budget);
    else
        for (const auto& c : m_candidates->candidates())
            if (c.budget > 0)
                budgets.push_back(c.budget);
    std::sort(budgets.begin(), budgets.end());
    budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());
    m_payoff->setInputs(m_trace, m_batchSize->value(), budgets);
    m_payoff->setChosenBudget(!m_frontier ? 0
            : m_frontier->chosen          ? m_frontier->points[*m_frontier->chosen].budget
                                          : -1);
}

void FrontierPage::cancel()
{
    m_jobs->cancel();
    m_payoff->cancel();
    emit statusMessage(tr("Cancelled"));
}

bool FrontierPage::busy() const
{
    return m_jobs->busy() || m_payoff->busy();
}

void FrontierPage::waitUntilIdle()
{
    m_jobs->waitForIdle();
    m_payoff->waitUntilIdle();
}

analysis::ComparisonRequest FrontierPage::comparisonRequest(int index) const
{
    if (!m_matrix || index < 0 || index >= static_cast<int>(m_matrix->candidates.size()))
        return {};
    auto request = m_matrix->candidates[static_cast<std::size_t>(index)].comparison.request;
    request.base.load.progress = {};
    request.cand.load.progress = {};
    return request;
}

void FrontierPage::showPlot(int i)
{
    if (i == 0)
        m_tabs->setCurrentIndex(0);
}

QString FrontierPage::tracePath() const
{
    return m_trace;
}

int FrontierPage::batchSize() const
{
    return m_batchSize->value();
}

void FrontierPage::activateCandidate(int index)
{
    if (m_matrix && index >= 0 && index < static_cast<int>(m_matrix->candidates.size()))
        emit comparisonRequested(index);
}

void FrontierPage::activateBudget(int budget)
{
    if (!m_trace.isEmpty() && budget > 0)
        emit budgetRequested(budget);
}

QString FrontierPage::exportReport(const QString& path) const
{
    if (!m_matrix)
        return tr("nothing compared yet: choose a baseline and candidates, then Compare all");
    const std::string html = m_frontier ? analysis::frontierHtml(*m_frontier) : analysis::matrixHtml(*m_matrix);
    if (!exporter::wantsPdf(path))
        return exporter::writeFile(path, QByteArray::fromStdString(html));
    // Printing does not draw inline SVG: the plot goes in as a figure in its place.
    QTextDocument doc;
    QString page = QString::fromStdString(html);
    static const QRegularExpression svg(QStringLiteral("<svg[\\s\\S]*?</svg>"));
    const auto figures = exporter::figuresOf(
        { { tr("Drop against cost"), tr("Each candidate's drop with its interval against its cost."), m_plot } }, &doc);
    QString img;
    for (const auto& f : figures)
        img += QStringLiteral("<p><img src=\"%1\" width=\"640\"></p>").arg(QString::fromStdString(f.source));
    page.replace(svg, QString());
    page.replace(QStringLiteral("</body>"), img + QStringLiteral("</body>"));
    return exporter::printPdf(path, doc, page);
}

} // namespace deltascope::ui
