// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertsPage.h"

#include "common/Format.h"
#include "common/InputHelp.h"
#include "common/Problems.h"
#include "degradation/DropZone.h"
#include "experts/BatchSizeView.h"
#include "experts/CoactivationView.h"
#include "experts/ExpertControls.h"
#include "experts/ExpertCountsView.h"
#include "experts/ExpertMapsView.h"
#include "experts/ExpertSliceView.h"
#include "experts/ExpertsController.h"
#include "export/ExpertExports.h"
#include "plot/ExpertPlots.h"
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
#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

namespace deltascope::ui {

namespace {

const QString kDemoName = QStringLiteral("demo (synthetic, OLMoE-calibrated)");

} // namespace

ExpertsPage::ExpertsPage(QWidget* parent)
    : QWidget(parent)
    , m_controller(new ExpertsController(this))
    , m_debounce(new QTimer(this))
{
    // A slider drag sends many values: each starts a computation only after a short pause, and
    // the newest request wins anyway.
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(40);
    connect(m_debounce, &QTimer::timeout, this, &ExpertsPage::recompute);
    buildUi();
    connectController();
}

ExpertsPage::~ExpertsPage()
{
    // The controller goes first among the children and cancels its job on the way: its signals
    // must not reach this half-destroyed page.
    disconnect(m_controller, nullptr, this, nullptr);
    disconnect(m_coactivation, nullptr, this, nullptr);
    disconnect(m_sizes, nullptr, this, nullptr);
}

void ExpertsPage::showTraceWarnings()
{
    const auto& warnings = m_controller->traceWarnings();
    if (warnings.empty())
        return;
    QStringList lines;
    for (const auto& w : warnings)
        lines << fullProblem(w);
    showProblemBox(this, tr("Warnings"),
        tr("%n warning(s) while reading the trace. The results use what was read; read them before trusting them.", "",
            int(warnings.size()))
            + QStringLiteral("\n\n") + summarizeProblems(warnings),
        lines);
}

void ExpertsPage::setBackend(std::shared_ptr<const backend::ComputeBackend> compute)
{
    m_controller->setBackend(std::move(compute));
}

void ExpertsPage::connectController()
{
    connect(m_controller, &ExpertsController::busyChanged, this, [this](bool busy) {
        m_progress->setRange(0, 0); // indeterminate until the first fraction arrives
        m_progressRow->setVisible(busy);
        emit busyChanged(this->busy());
    });
    // The co-activation and batch-size views compute on their own runners: the page is busy
    // (and Esc has something to cancel) until they are done too.
    connect(m_coactivation, &CoactivationView::busyChanged, this, [this] { emit busyChanged(busy()); });
    connect(m_sizes, &BatchSizeView::busyChanged, this, [this] { emit busyChanged(busy()); });
    connect(m_controller, &ExpertsController::progressed, this, [this](double f, const QString&) {
        if (f >= 0) {
            m_progress->setRange(0, 1000);
            m_progress->setValue(static_cast<int>(1000 * f));
        }
    });
    connect(m_controller, &ExpertsController::traceChanged, this, &ExpertsPage::onTrace);
    connect(m_controller, &ExpertsController::traceFailed, this, [this](const QString& brief, const QString& full) {
        // The box names the trace still shown, not the file that failed (Import options… reads
        // that one again).
        showTraceInZone();
        // A .npy array holds no top-k: the user is asked for it at once rather than sent to find
        // the Import options.
        if (isVisible() && m_import.topK <= 0 && full.contains(QStringLiteral("needs the model's top-k"))) {
            m_lastError = full;
            emit statusMessage(
                tr("%1 needs the model's top-k: give it in the import options").arg(QFileInfo(m_tracePath).fileName()));
            TraceImportDialog dialog(m_import, this);
            dialog.setWindowTitle(tr("%1: the model's top-k").arg(QFileInfo(m_tracePath).fileName()));
            if (dialog.exec() == QDialog::Accepted && dialog.value().topK > 0)
                setTraceImport(dialog.value());
            return;
        }
        // Records the import options can read otherwise (keys, malformed lines, top-k): the dialog
        // offers them at once instead of leaving the user to find the button.
        if (importOptionsCanHelp(m_tracePath, full)) {
            m_lastError = full;
            const QString shown = brief.isEmpty() ? full : brief;
            emit statusMessage(tr("Could not open the trace: %1").arg(shown));
            if (askProblemBox(this, tr("Could not open the trace"),
                    shown
                        + tr("\n\nImport options… set how the trace is read: the record keys, the model's "
                             "top-k, and whether malformed records are skipped."),
                    { full }, tr("Import options…")))
                editTraceImport();
            return;
        }
        fail(tr("Could not open the trace"), full, brief);
    });
    connect(m_controller, &ExpertsController::computing, this, [this](int budget) {
        // The headline never shows an old M as if it were the new one.
        m_summary->setText(m_controller->run()
                ? tr("<i>Computing M = %1…</i> <span style='color:gray'>(the charts still show M = %2)</span>")
                      .arg(budget)
                      .arg(m_controller->run()->budget)
                : tr("<i>Computing M = %1…</i>").arg(budget));
    });
    connect(m_controller, &ExpertsController::runChanged, this, &ExpertsPage::onRun);
    connect(m_controller, &ExpertsController::computeFailed, this, [this](const QString& why) {
        m_lastError = why;
        // The charts keep the last results: the headline says which ones, as while computing.
        const auto& shown = m_controller->run();
        m_summary->setText(tr("<b>Not computed</b>: %1").arg(why.toHtmlEscaped())
            + (shown ? tr(" <span style='color:gray'>(the charts still show the last results, M = %1)</span>")
                           .arg(shown->budget)
                     : QString()));
        emit statusMessage(why);
    });
    connect(m_controller, &ExpertsController::cancelled, this, &ExpertsPage::onCancelled);
}

void ExpertsPage::editTraceImport()
{
    TraceImportDialog dialog(m_import, this);
    if (dialog.exec() == QDialog::Accepted)
        setTraceImport(dialog.value()); // reads the trace asked for last again
}

void ExpertsPage::fail(const QString& title, const QString& error, const QString& brief)
{
    // The dialog names files by their names; the full message (paths included) is under details.
    m_lastError = error;
    const QString shown = brief.isEmpty() ? error : brief;
    emit statusMessage(tr("%1: %2").arg(title, shown));
    showProblemBox(this, title, shown, { error });
}

void ExpertsPage::openTrace(const QString& path)
{
    m_lastError.clear();
    emit statusMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    m_tracePath = path;
    m_controller->openTrace(path, m_import);
}

void ExpertsPage::setTraceImport(const TraceImport& import)
{
    m_import = import;
    // The trace asked for last is read again (also one that could not be read without them).
    if (!m_tracePath.isEmpty())
        openTrace(QString(m_tracePath));
}

void ExpertsPage::openCounts(const QString& path)
{
    // The trace box names the trace shown, never a counts file chosen or dropped on it (the Load
    // counts tab names that one).
    showTraceInZone();
    const QString why = m_counts->open(path);
    if (!why.isEmpty()) {
        fail(tr("Could not read the counts"), why);
        return;
    }
    m_body->setCurrentWidget(m_tabs);
    m_tabs->setCurrentWidget(m_counts);
    emit statusMessage(tr("Expert load counts from %1").arg(QFileInfo(path).fileName()));
    emit countsOpened(path);
}

bool ExpertsPage::hasCounts() const
{
    return m_counts->hasCounts();
}

QString ExpertsPage::exportPlacement(const QString& path) const
{
    return m_counts->exportPlacement(path);
}

void ExpertsPage::openDemo()
{
    m_tracePath.clear();
    m_controller->setTrace(demoTrace(), kDemoName);
    showDemoInZone();
    m_isDemo = true;
}

std::shared_ptr<const moe::Trace> ExpertsPage::trace() const
{
    return m_controller->trace();
}

void ExpertsPage::showTraceInZone()
{
    if (m_isDemo)
        showDemoInZone();
    else
        m_zone->setPath(m_controller->trace() ? m_controller->path() : QString());
}

void ExpertsPage::showDemoInZone()
{
    m_zone->setPath(
        kDemoName, tr("built in: seeded requests with their own topics, expert popularity from OLMoE-1B-7B's counts"));
}

void ExpertsPage::onTrace(const QString& path)
{
    m_isDemo = false;
    m_body->setCurrentWidget(m_tabs);
    m_zone->setPath(path);
    m_counts->setTraceExperts(m_controller->trace()->experts);
    const auto& t = *m_controller->trace();
    m_facts->setText(
        tr("<b>%1</b><br>%2 in %3 · %4 · %5, top-%6 · %7 (%8 %9) · %10 MB")
            .arg(QString::fromStdString(t.model.empty() ? std::string("unnamed model") : t.model).toHtmlEscaped())
            .arg(tr("%1 token(s)", "", t.tokens == 1 ? 1 : 2).arg(t.tokens)) // counts past 2^31 too
            .arg(tr("%n request(s)", "", static_cast<int>(requestCount(t))))
            .arg(tr("%n layer(s)", "", static_cast<int>(t.layers)))
            .arg(tr("%n expert(s)", "", static_cast<int>(t.experts)))
            .arg(t.topK)
            .arg(t.sparse ? tr("sparse") : tr("dense"))
            .arg(QString::fromLatin1(moe::toString(t.scoreType)), QString::fromLatin1(moe::toString(t.scoreKind)))
            .arg(static_cast<double>(t.scoreBytes()) / 1e6, 0, 'f', 1));
    if (t.warmupPassesLeftOut > 0)
        m_facts->setText(m_facts->text()
            + (t.warmupPassesLeftOut == 1 ? tr(" · <b>1 warm-up pass left out</b>")
                                          : tr(" · <b>%1 warm-up passes left out</b>").arg(t.warmupPassesLeftOut))
            + tr(" (%1 tokens routed alike; the import options keep them)").arg(t.warmupTokensLeftOut));
    const auto& warnings = m_controller->traceWarnings();
    if (!warnings.empty()) {
        m_facts->setText(m_facts->text()
            + QStringLiteral(" · <a href='#warnings'><b>%1</b></a> %2")
                  .arg(tr("%n warning(s)", "", int(warnings.size())), tr("while reading")));
        m_facts->setToolTip(summarizeProblems(warnings));
    } else {
        m_facts->setToolTip({});
    }
    m_autoBudget = m_pendingBudget <= 0;
    m_controls->adaptTo(t, m_pendingBudget);
    m_pendingBudget = -1;
    // Settings carry over from the trace before; a placement file made for it may not fit this one.
    if (const auto why = m_controls->dropPlacementThatDoesNotFit()) {
        const QString brief = shortProblem(*why);
        const QString full = fullProblem(*why);
        emit statusMessage(tr("%1: the placement is back to contiguous").arg(brief));
        // After this trace is set up: the box's own event loop must not run a computation first.
        QTimer::singleShot(0, this, [this, brief, full] {
            showProblemBox(this, tr("The placement does not fit this trace"),
                tr("%1\n\nThe placement is back to \"contiguous\".").arg(brief), { full });
        });
    }
    if (m_pendingView >= 0) {
        // A restored workspace: its slice and view (the slice takes its ranges when the
        // computation lands and keeps its values within them).
        m_slice->setSlice(m_pendingLayer, m_pendingBatch);
        if (m_pendingView < m_tabs->count())
            m_tabs->setCurrentIndex(m_pendingView);
        m_pendingView = -1;
    }
    m_debounce->stop();
    recompute();
    m_coactivation->setTrace(m_controller->trace());
    m_sizes->setTrace(m_controller->trace());
    if (path != kDemoName)
        emit traceOpened(path);
    emit traceShown();
}

QString ExpertsPage::shownTraceName() const
{
    if (!m_controller->trace())
        return {};
    return m_controller->path() == kDemoName ? tr("demo trace") : QFileInfo(m_controller->path()).fileName();
}

void ExpertsPage::setBudget(int budget)
{
    m_controls->setBudget(budget);
    m_debounce->stop();
    recompute();
}

void ExpertsPage::recompute()
{
    if (!m_controller->trace())
        return;
    const ExpertSettings settings = m_controls->settings();
    m_sizes->setCurrentBatch(settings.replay, settings.batchSize, static_cast<int>(settings.requests.size()));
    const QString why = m_controls->requestsError();
    if (!why.isEmpty()) {
        m_lastError = why;
        m_summary->setText(tr("<b>Requests</b>: %1").arg(why.toHtmlEscaped()));
        emit statusMessage(tr("Requests: %1").arg(why));
        return;
    }
    m_lastError.clear();
    m_controller->compute(settings, m_controls->budget());
}

QString ExpertsPage::metricDefinitions()
{
    return tr("<p><b>Slice</b>: one MoE layer in one batch; every number is per slice, averaged.</p>"
              "<p><b>experts per slice</b>: the distinct experts the batch activates in the layer, top-k routing "
              "→ the policy at budget M (at most M). <b>fewer</b>: 1 - policy / top-k.</p>"
              "<p><b>gating mass kept</b>: the router scores of the experts tokens are routed to after sharing, "
              "over the scores of their own top-k (100%: nothing lost).</p>"
              "<p><b>top-k overlap</b>: the share of a token's top-k experts it keeps. <b>tokens unchanged</b>: "
              "tokens routed exactly as top-k routes them.</p>"
              "<p><b>peak per device</b>: under expert parallelism, the most experts active on one device "
              "(top-k → policy): the device every batch waits for.</p>");
}

QString ExpertsPage::runHeadline() const
{
    const auto run = m_controller->run();
    if (!run)
        return {};
    const auto& cur = *run->current;
    const auto& r = cur.results.front();
    const double slices = static_cast<double>(std::max<std::int64_t>(1, cur.sliceCount));
    return tr("M = %1: <b>%2 → %3</b> experts per slice (%4 fewer), <b>%5</b> of the gating mass kept, "
              "%6 of tokens unchanged, peak per device %7 → %8")
        .arg(r.budget)
        .arg(static_cast<double>(r.activatedBase) / slices, 0, 'f', 2)
        .arg(static_cast<double>(r.activated) / slices, 0, 'f', 2)
        .arg(percent(r.reduction), percent(r.massRetained), percent(r.unchangedTokens))
        .arg(r.peakDeviceLoadBase, 0, 'f', 2)
        .arg(r.peakDeviceLoad, 0, 'f', 2);
}

void ExpertsPage::onRun()
{
    const auto run = m_controller->run();
    m_summary->setText(runHeadline());
    const auto& r = run->current->results.front();
    drawBudgetSweep(m_sweep, *run->sweep, r.budget);
    drawPerLayer(m_layers, r);
    drawDevices(m_devicesPlot, run->current->maps, r.budget);
    for (PlotView* p : { m_sweep, m_layers, m_devicesPlot })
        p->replot(QCustomPlot::rpQueuedReplot);
    m_maps->setRun(run);
    m_slice->setRun(run);
    const QString took = run->seconds < 0.0005 ? tr("under 1 ms") : tr("%1 ms").arg(qRound(1000 * run->seconds));
    emit statusMessage(tr("Expert selection on the %1 in %2 (%3)")
                           .arg(run->backend, took)
                           .arg(tr("%n slice(s)", "", static_cast<int>(run->current->sliceCount))));
    emit computed();
    // The default budget changes nothing on this trace: on to one where the policy shows (the
    // charts drawn above stay until it lands).
    if (std::exchange(m_autoBudget, false) && run->sweep) {
        const int useful = usefulStartBudget(*run->sweep, run->budget);
        if (useful != run->budget)
            setBudget(useful);
    }
}

void ExpertsPage::cancel()
{
    m_debounce->stop();
    m_coactivation->cancel();
    m_sizes->cancel();
    m_controller->cancel();
}

void ExpertsPage::onCancelled()
{
    const auto run = m_controller->run();
    if (!m_controller->trace()) {
        m_summary->setText(tr("Opening the trace was cancelled."));
    } else if (!run) {
        m_summary->setText(tr("Cancelled: nothing computed yet (change a setting to compute)."));
    } else {
        m_summary->setText(runHeadline()
            + tr("<br><i>Cancelled: the charts show M = %1, not the M = %2 asked for.</i>")
                  .arg(run->budget)
                  .arg(m_controls->budget()));
    }
    emit statusMessage(tr("Cancelled"));
}

bool ExpertsPage::busy() const
{
    return m_controller->busy() || m_coactivation->busy() || m_sizes->busy();
}

void ExpertsPage::waitUntilIdle()
{
    if (m_debounce->isActive()) {
        m_debounce->stop();
        recompute();
    }
    while (busy()) {
        m_controller->waitUntilIdle();
        m_coactivation->waitUntilIdle();
        m_sizes->waitUntilIdle();
    }
}

ExpertRunPtr ExpertsPage::run() const
{
    return m_controller->run();
}

QString ExpertsPage::headline() const
{
    return m_summary->text();
}

workspace::ExpertState ExpertsPage::workspaceState() const
{
    workspace::ExpertState w;
    m_controls->saveTo(w);
    w.trace = m_isDemo ? std::string("demo") : m_controller->path().toStdString();
    w.counts = m_counts->path().toStdString();
    w.budget = m_controller->trace() ? m_controls->budget() : std::max(0, m_pendingBudget);
    w.view = m_tabs->currentIndex();
    w.sliceLayer = m_slice->layer();
    w.sliceBatch = m_slice->batch();
    return w;
}

void ExpertsPage::restoreWorkspace(const workspace::ExpertState& w)
{
    // Controls first, without a computation each; the trace's opening computes once.
    m_controls->restoreFrom(w);
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

PlotView* ExpertsPage::plot(int i) const
{
    PlotView* const all[] = { m_maps->topK(), m_maps->policy(), m_maps->difference(), m_sweep, m_layers, m_devicesPlot,
        m_slice->plot(), m_coactivation->plot(), m_sizes };
    return i >= 0 && i < 9 ? all[i] : nullptr;
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

QString ExpertsPage::exportReport(const QString& path) const
{
    const QList<ReportPlot> counts { { tr("Expert load counts"),
        tr("Each layer's share of its token-expert assignments per expert, from %1. %2")
            .arg(QFileInfo(m_counts->path()).fileName(), m_counts->summary()),
        m_counts->plot() } };
    if (!run()) {
        if (!m_counts->hasCounts())
            return tr("no trace or expert load counts are open");
        return exporter::countsReport(
            path, m_counts->path(), m_counts->summary(), m_counts->devices(), m_counts->replicas(), counts);
    }
    // Counts join a trace's report only when they can describe it (the same number of experts).
    const bool sameModel = m_counts->hasCounts() && m_counts->experts() == run()->trace->experts;
    return exporter::expertsReport(path, *run(), sameModel ? reportPlots() + counts : reportPlots());
}

QList<ReportPlot> ExpertsPage::reportPlots() const
{
    return { { tr("Top-k activation"),
                 tr("Fraction of slices (one layer of one batch) in which each expert is active "
                    "under the model's own top-k routing."),
                 m_maps->topK() },
        { tr("Policy activation"), tr("The same at the current budget."), m_maps->policy() },
        { tr("Difference"), tr("Policy minus top-k: blue experts are dropped from batches."), m_maps->difference() },
        { tr("Budget sweep"),
            tr("Activated experts per slice and gating mass kept for every budget; the dashed "
               "line marks the current one."),
            m_sweep },
        { tr("Per device"), tr("Activated experts per slice on each device under expert parallelism."), m_devicesPlot },
        { tr("Batch size"), tr("Activated experts per layer against the batch size, next to uniform routing."),
            m_sizes } };
}

} // namespace deltascope::ui
