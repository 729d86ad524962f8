// SPDX-License-Identifier: GPL-3.0-or-later
// The Degradation page's runs: choosing each side, loading and comparing them, keeping the
// comparison shown when a load fails or is cancelled, and testing it again.
#include "common/AppSettings.h"
#include "common/Format.h"
#include "common/FrozenColumnsView.h"
#include "common/InputHelp.h"
#include "common/JobRunner.h"
#include "common/Problems.h"
#include "common/TableWidths.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DegradationPage.h"
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

bool DegradationPage::prepareSide(bool candidate, const QString& path, bool interactive)
{
    SideSpec spec;
    std::optional<Diagnostic> why;
    if (!chooseSide(this, path, interactive, m_skipBadLines, spec, why, &m_columnSharing,
            candidate ? tr("candidate") : tr("baseline"))) {
        // The zone showed the dropped or browsed path already: back to what is still chosen, so a
        // cancelled run picker or column dialog does not look like a choice.
        (candidate ? m_candZone : m_baseZone)->setPath((candidate ? m_cand : m_base).path);
        if (why) {
            m_lastError = fullProblem(*why);
            emit statusMessage(shortProblem(*why));
            if (interactive)
                showProblemBox(this, tr("Not a run"), shortProblem(*why), { m_lastError });
        } else {
            // Cancelled (the column dialog or the run picker): said, so an empty side is explained.
            emit statusMessage(tr("%1 not opened as the %2: nothing was chosen")
                                   .arg(QFileInfo(path).fileName(), candidate ? tr("candidate") : tr("baseline")));
        }
        return false;
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
    // Each side is taken on its own: a column dialog cancelled for one side leaves the other side
    // chosen, so only the cancelled one needs choosing again.
    const bool baseReady = prepareSide(false, base, interactive);
    const bool candReady = prepareSide(true, cand, interactive);
    m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
    if (baseReady && candReady)
        startLoad();
}

void DegradationPage::compareAnew(const QString& base, const QString& cand, bool interactive)
{
    const auto before = m_extraInputs->inputs();
    m_extraInputs->restore({}); // quietly: the comparison starts once, below
    compare(base, cand, interactive);
    // No load started (a side was not chosen): the menu goes back to the comparison shown.
    if (!m_jobs->busy())
        m_extraInputs->restore(before);
}

void DegradationPage::setMargins(const report::MarginRequest& margins)
{
    m_stats.margins = margins;
    m_aggregate->setMargins(margins);
    retestWith(m_stats.runPermutation);
}

void DegradationPage::setClusterKey(const QString& key)
{
    m_extraInputs->setClusterKey(key);
}

void DegradationPage::cancel()
{
    m_jobs->cancel();
    if (std::exchange(m_loadingNewInputs, false)) {
        // The comparison shown stays: so do the inputs it was made with.
        restoreShownInputs();
        emit statusMessage(tr("Cancelled: the comparison shown is still that of the inputs before"));
        return;
    }
    emit statusMessage(tr("Cancelled"));
}

bool DegradationPage::busy() const
{
    return m_jobs->busy();
}

void DegradationPage::waitUntilIdle()
{
    while (m_jobs->busy())
        m_jobs->waitForIdle();
}

void DegradationPage::restoreShownInputs()
{
    m_extraInputs->restore(m_shownInputs);
    m_base = m_shownBase;
    m_cand = m_shownCand;
    m_skipBadLines = m_base.options.skipBadLines || m_cand.options.skipBadLines;
    // Alpha and margins too (a comparison asked for from the Frontier sets its own).
    m_stats = m_shownStats;
    {
        const QSignalBlocker block(m_aggregate);
        m_aggregate->setAlpha(m_stats.alpha);
        m_aggregate->setMargins(m_stats.margins);
    }
    m_baseZone->setPath(m_base.path);
    m_candZone->setPath(m_cand.path);
    m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
}

void DegradationPage::startLoad(bool keepShownOnFailure)
{
    if (m_base.path.isEmpty() || m_cand.path.isEmpty())
        return;
    const SideSpec base = m_base;
    const SideSpec cand = m_cand;
    auto request = comparisonRequest(base, cand, m_stats);
    m_extraInputs->applyTo(request);
    m_lastError.clear();
    // If the new inputs fail or are cancelled, the comparison shown stays.
    const bool keepShown = keepShownOnFailure && m_comparison;
    m_loadingNewInputs = keepShown;
    emit statusMessage(tr("Loading %1 and %2…").arg(QFileInfo(base.path).fileName(), QFileInfo(cand.path).fileName()));
    m_jobs->start(tr("Loading runs"),
        [this, request, base, cand, keepShown, inputs = m_extraInputs->inputs(), stats = m_stats, compute = m_compute](
            JobControl& control) -> JobRunner::Apply {
            auto result = loadComparison(request, &control, compute.get());
            if (control.cancelled())
                return nullptr;
            return [this, result = std::move(result), base, cand, keepShown, inputs, stats] {
                m_loadingNewInputs = false;
                if (!result.ok()) {
                    onLoadFailed(*result.error, base.options.skipBadLines, keepShown);
                    return;
                }
                setComparison(*result.value);
                m_shownBase = base;
                m_shownCand = cand;
                m_shownInputs = inputs;
                m_shownStats = stats;
                emit comparisonOpened(base.path, cand.path);
            };
        });
}

void DegradationPage::retestWith(bool permutation)
{
    if (!m_comparison)
        return;
    if (std::exchange(m_loadingNewInputs, false)) {
        // The new test replaces the load of other inputs: the comparison tested again is the one
        // shown, with its own inputs.
        const StatsSettings asked = m_stats;
        restoreShownInputs();
        m_stats.alpha = asked.alpha;
        m_stats.margins = asked.margins;
        m_stats.permutations = asked.permutations;
        m_stats.maxPermutations = asked.maxPermutations;
        m_stats.seed = asked.seed;
        {
            const QSignalBlocker block(m_aggregate);
            m_aggregate->setAlpha(m_stats.alpha);
            m_aggregate->setMargins(m_stats.margins);
        }
        emit statusMessage(tr("The load of the new inputs was stopped: the comparison shown is tested again"));
    }
    m_stats.runPermutation = permutation;
    const ComparisonPtr from = m_comparison;
    const StatsSettings stats = m_stats;
    m_jobs->start(permutation ? tr("Permutation test") : tr("Testing"),
        [this, from, stats, compute = m_compute](JobControl& control) -> JobRunner::Apply {
            auto next = retest(from, stats, &control, compute.get());
            return [this, next, stats] {
                setComparison(next);
                m_shownStats = stats; // a failed load of new inputs later goes back to these
            };
        });
}

} // namespace deltascope::ui
