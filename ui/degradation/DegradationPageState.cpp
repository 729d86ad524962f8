// SPDX-License-Identifier: GPL-3.0-or-later
// The degradation page's saved state: splitter positions and the .deltascope workspace (what the
// user chose, and restoring it, which starts the comparison once).
#include "common/AppSettings.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DegradationPage.h"
#include "degradation/DisagreementsView.h"
#include "degradation/DropZone.h"
#include "degradation/ExtraInputsButton.h"
#include "degradation/PowerPlanView.h"
#include "degradation/SideChoice.h"
#include "degradation/TaskTableModel.h"

#include <QCheckBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <algorithm>
#include <climits>

namespace deltascope::ui {

void DegradationPage::saveState() const
{
    AppSettings settings;
    for (auto* s : m_splitters)
        settings.setSplitterState(s->objectName(), s->saveState());
}

workspace::DegradationState DegradationPage::workspaceState() const
{
    workspace::DegradationState s;
    s.base = sideState(m_base);
    s.cand = sideState(m_cand);
    s.alpha = m_stats.alpha;
    s.permutations = m_stats.permutations;
    s.maxPermutations = m_stats.maxPermutations;
    s.seed = m_stats.seed;
    s.runPermutation = m_stats.runPermutation;
    s.margins = analysis::marginTexts(m_stats.margins);
    s.clusterKey = m_extraInputs->clusterKey().toStdString();
    s.skipBadLines = m_skipBadLines;
    s.keepList = m_extraInputs->keepList().toStdString();
    const LoadSelection chosen = m_extraInputs->selection();
    for (const auto& t : chosen.tasks)
        s.tasks.push_back(t.toStdString());
    for (const auto& [task, metric] : chosen.metrics)
        s.metrics.push_back(task + "=" + metric);
    for (const auto& f : chosen.filters)
        s.filters.push_back(f.toStdString());
    for (const auto& r : m_extraInputs->reruns(false))
        s.baseReruns.push_back(r.toStdString());
    for (const auto& r : m_extraInputs->reruns(true))
        s.candReruns.push_back(r.toStdString());
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
    s.flipFilter = m_disagreements->filterText().toStdString();
    s.direction = m_disagreements->direction();
    s.allPairs = m_disagreements->allPairs();
    s.powerLevel = m_powerPlan->power();
    s.targetDrop = m_powerPlan->targetDrop();
    return s;
}

void DegradationPage::restoreWorkspace(const workspace::DegradationState& s)
{
    m_stats.alpha = s.alpha;
    m_stats.permutations = s.permutations;
    m_stats.maxPermutations = s.maxPermutations;
    m_stats.seed = s.seed;
    m_stats.runPermutation = s.runPermutation;
    m_stats.margins = {};
    for (const auto& m : s.margins) {
        std::string why; // a margin that no longer reads is dropped, with a note
        if (!analysis::parseMargin(m, m_stats.margins, why))
            emit statusMessage(tr("Margin \"%1\" of the workspace ignored: %2")
                                   .arg(QString::fromStdString(m), QString::fromStdString(why)));
    }
    m_skipBadLines = s.skipBadLines;
    {
        const QSignalBlocker block(m_extraInputs); // the comparison starts once, below
        m_extraInputs->setKeepList(QString::fromStdString(s.keepList));
        m_extraInputs->setClusterKey(QString::fromStdString(s.clusterKey));
        LoadSelection chosen;
        for (const auto& t : s.tasks)
            chosen.tasks << QString::fromStdString(t);
        for (const auto& m : s.metrics) {
            const auto eq = m.rfind('='); // the file reader checked that each has one
            chosen.metrics[m.substr(0, eq)] = m.substr(eq + 1);
        }
        for (const auto& f : s.filters)
            chosen.filters << QString::fromStdString(f);
        m_extraInputs->setSelection(chosen);
        m_extraInputs->clearReruns();
        for (const auto& r : s.baseReruns)
            m_extraInputs->addRerun(false, QString::fromStdString(r));
        for (const auto& r : s.candReruns)
            m_extraInputs->addRerun(true, QString::fromStdString(r));
    }
    {
        const QSignalBlocker block(m_aggregate);
        m_aggregate->setAlpha(s.alpha);
        m_aggregate->setMargins(m_stats.margins);
        m_aggregate->setMaxPermutations(static_cast<int>(std::min<std::uint64_t>(s.maxPermutations, 2000000000)));
        m_aggregate->setPermutationSettings(static_cast<int>(std::min<std::uint64_t>(s.permutations, INT_MAX)),
            static_cast<int>(s.seed % static_cast<std::uint64_t>(INT_MAX)));
    }
    m_taskFilter->setText(QString::fromStdString(s.taskFilter));
    m_onlyWorse->setChecked(s.onlyWorse);
    m_disagreements->setFilters(QString::fromStdString(s.flipFilter), s.direction, s.allPairs);
    m_powerPlan->setPlan(s.powerLevel, s.targetDrop);
    showPlot(s.plot);
    m_pendingTask = s.selectedTask;
    m_base = sideSpec(s.base, s.skipBadLines);
    m_cand = sideSpec(s.cand, s.skipBadLines);
    m_baseZone->setPath(m_base.path);
    m_candZone->setPath(m_cand.path);
    m_compare->setEnabled(!m_base.path.isEmpty() && !m_cand.path.isEmpty());
    // The workspace's runs, or nothing: no comparison of other runs under its name (not even
    // while they load, or when the load is cancelled).
    setComparison(nullptr);
    startLoad(false);
}

void DegradationPage::openComparison(const analysis::ComparisonRequest& request)
{
    m_stats.alpha = request.stats.alpha;
    m_stats.margins = request.stats.margins;
    {
        const QSignalBlocker block(m_aggregate);
        m_aggregate->setAlpha(request.stats.alpha);
        m_aggregate->setMargins(m_stats.margins);
    }
    const auto specOf = [](const analysis::SideRequest& side) {
        SideSpec spec;
        spec.path = QString::fromStdString(side.path);
        spec.options = side.load;
        for (const auto& r : side.reruns)
            spec.reruns << QString::fromStdString(r);
        return spec;
    };
    m_base = specOf(request.base);
    m_cand = specOf(request.cand);
    m_baseZone->setPath(m_base.path);
    m_candZone->setPath(m_cand.path);
    m_compare->setEnabled(true);
    startLoad();
}

} // namespace deltascope::ui
