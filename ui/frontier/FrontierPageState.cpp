// SPDX-License-Identifier: GPL-3.0-or-later
// The frontier workspace as a `.deltascope` file keeps it, and its demo.
#include "analysis/CandidateCosts.h"
#include "common/JobRunner.h"
#include "degradation/DropZone.h"
#include "frontier/CandidateListModel.h"
#include "frontier/FrontierPage.h"
#include "frontier/PayoffPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLineEdit>
#include <QSpinBox>
#include <QTableView>
#include <cmath>

#ifndef DELTASCOPE_BUILD_DEMO_DIR
#define DELTASCOPE_BUILD_DEMO_DIR ""
#endif
#ifndef DELTASCOPE_SOURCE_DEMO_DIR
#define DELTASCOPE_SOURCE_DEMO_DIR ""
#endif

namespace deltascope::ui {

workspace::FrontierState FrontierPage::workspaceState() const
{
    workspace::FrontierState s;
    s.base = m_base;
    s.candidates = m_candidates->candidates();
    s.costColumn = m_costColumn->currentText().trimmed().toStdString();
    for (const auto& part : m_marginEdit->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        s.margins.push_back(part.trimmed().toStdString());
    s.alpha = m_alpha->value();
    s.alphaPerCandidate = m_perCandidate->isChecked();
    s.trace = m_trace.toStdString();
    s.batchSize = m_batchSize->value();
    s.selectedTask = m_task->currentText().toStdString();
    m_payoff->storeState(s);
    return s;
}

void FrontierPage::restoreWorkspace(const workspace::FrontierState& s)
{
    m_jobs->cancel();
    setBaseline(QString::fromStdString(s.base.path));
    m_base = s.base;
    m_candidates->setCandidates(s.candidates);
    m_candidateView->resizeColumnsToContents();
    m_costColumn->setCurrentText(QString::fromStdString(s.costColumn));
    QStringList margins;
    for (const auto& m : s.margins)
        margins << QString::fromStdString(m);
    QString why;
    if (!setMargins(margins.join(QStringLiteral(", ")), &why))
        emit statusMessage(tr("Margins of the workspace ignored: %1").arg(why));
    m_alpha->setValue(s.alpha);
    m_perCandidate->setChecked(s.alphaPerCandidate);
    m_batchSize->setValue(s.batchSize);
    m_payoff->restoreState(s);
    setTrace(QString::fromStdString(s.trace));
    m_pendingTask = s.selectedTask;
    if (!m_base.path.empty() && !s.candidates.empty())
        compareAll();
}

QString FrontierPage::demoDirectory()
{
    const QString sub = QStringLiteral("/frontier");
    const QStringList candidates { qEnvironmentVariable("DELTASCOPE_FRONTIER_DEMO_DIR"),
        qEnvironmentVariable("DELTASCOPE_DEMO_DIR").isEmpty() ? QString()
                                                              : qEnvironmentVariable("DELTASCOPE_DEMO_DIR") + sub,
        QCoreApplication::applicationDirPath() + QStringLiteral("/../../demo") + sub,
        QCoreApplication::applicationDirPath() + QStringLiteral("/../share/deltascope/demo") + sub,
        QStringLiteral(DELTASCOPE_BUILD_DEMO_DIR) + sub, QStringLiteral(DELTASCOPE_SOURCE_DEMO_DIR) + sub };
    for (const auto& dir : candidates)
        if (!dir.isEmpty() && dir != sub && QFileInfo(dir + QStringLiteral("/baseline")).exists())
            return QDir(dir).canonicalPath();
    return {};
}

bool FrontierPage::openDemo()
{
    // The demo folder: baseline/, one folder per candidate, optionally a router trace and a
    // costs.csv (the first column names the candidates by folder or model).
    const QString dir = demoDirectory();
    if (dir.isEmpty()) {
        m_lastError = tr("The frontier demo was not found (set DELTASCOPE_FRONTIER_DEMO_DIR to its folder).");
        emit statusMessage(m_lastError);
        return false;
    }
    m_jobs->cancel();
    m_candidates->setCandidates({});
    setBaseline(dir + QStringLiteral("/baseline"));
    QDir d(dir);
    for (const auto& sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (sub.fileName() != QStringLiteral("baseline") && !sub.fileName().startsWith(QLatin1Char('.'))
            && sub.fileName() != QStringLiteral("trace"))
            addCandidates(sub.absoluteFilePath());
    QString trace;
    for (const auto& f : d.entryInfoList(
             { QStringLiteral("*.safetensors"), QStringLiteral("*.jsonl"), QStringLiteral("*.npy") }, QDir::Files))
        if (trace.isEmpty() || f.fileName().contains(QStringLiteral("trace")))
            trace = f.absoluteFilePath();
    if (trace.isEmpty() && QFileInfo(dir + QStringLiteral("/trace")).isDir())
        for (const auto& f : QDir(dir + QStringLiteral("/trace")).entryInfoList(QDir::Files, QDir::Name))
            if (trace.isEmpty())
                trace = f.absoluteFilePath();
    const QString costs = dir + QStringLiteral("/costs.csv");
    if (QFileInfo::exists(costs)) {
        const auto table = analysis::loadCostTable(costs.toStdString());
        if (table.ok() && !table.value->columns.empty()) {
            const std::string column = table.value->columns.front().name;
            setCostColumn(QString::fromStdString(column));
            auto rows = m_candidates->candidates();
            for (auto& row : rows) {
                const std::string folder = QFileInfo(QString::fromStdString(row.side.path)).fileName().toStdString();
                const std::string names[] = { row.name, folder, row.side.path };
                const double v = table.value->value(names, column);
                if (std::isfinite(v)) {
                    row.hasCost = true;
                    row.cost = v;
                }
            }
            m_candidates->setCandidates(rows);
        }
    }
    setTrace(trace);
    // A 2-point margin: walking down from budget 8, 8 and 6 are no worse, 4 is inconclusive and 3
    // and 2 are degraded, so the answer is 6 (resources/demo/README.md).
    if (m_marginEdit->text().trimmed().isEmpty())
        setMargins(QStringLiteral("2"));
    compareAll();
    return true;
}

} // namespace deltascope::ui
