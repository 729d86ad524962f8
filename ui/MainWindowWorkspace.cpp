// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's workspace files: saving, opening, the autosave and its recovery.
#include "MainWindow.h"
#include "backend/CpuBackend.h"
#include "common/AppSettings.h"
#include "common/EnglishPlurals.h"
#include "common/FileOrFolderDialog.h"
#include "common/InputHelp.h"
#include "degradation/DegradationPage.h"
#include "experts/ExpertsPage.h"
#include "export/ReportExporter.h"
#include "frontier/FrontierPage.h"
#include "plot/PlotView.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QInputDialog>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLockFile>
#include <QMenuBar>
#include <QMessageBox>
#include <QResizeEvent>
#include <QScreen>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <algorithm>

namespace deltascope::ui {

workspace::Workspace MainWindow::workspaceState() const
{
    workspace::Workspace w;
    w.front = m_tabs->currentWidget() == m_experts ? "experts"
        : m_tabs->currentWidget() == m_frontier    ? "frontier"
                                                   : "degradation";
    w.degradation = m_degradation->workspaceState();
    w.experts = m_experts->workspaceState();
    w.frontier = m_frontier->workspaceState();
    const std::pair<const char*, std::string> inputs[]
        = { { "baseline", w.degradation.base.path }, { "candidate", w.degradation.cand.path },
              { "trace", w.experts.trace }, { "counts", w.experts.counts }, { "placement", w.experts.placementFile } };
    for (const auto& [role, path] : inputs)
        if (!path.empty() && path != "demo")
            w.inputs.push_back(workspace::describeInput(role, path));
    std::vector<std::string> frontierInputs { w.frontier.base.path, w.frontier.trace };
    for (const auto& c : w.frontier.candidates)
        frontierInputs.push_back(c.side.path);
    for (std::size_t i = 0; i < frontierInputs.size(); ++i)
        if (!frontierInputs[i].empty())
            w.inputs.push_back(workspace::describeInput(i == 0 ? "baseline"
                    : i == 1                                   ? "trace"
                                                               : "candidate",
                frontierInputs[i]));
    return w;
}

QString MainWindow::saveWorkspace(const QString& path)
{
    const std::string why = workspace::writeWorkspace(path.toStdString(), workspaceState());
    if (!why.empty())
        return QString::fromStdString(why);
    if (path != autosavePath()) {
        m_workspacePath = path;
        updateTitle();
    }
    return {};
}

void MainWindow::saveWorkspaceInteractive(bool askPath)
{
    QString path = m_workspacePath;
    if (askPath || path.isEmpty()) {
        path = askSavePath(tr("Save workspace"), tr("Deltascope workspaces (*.deltascope)"),
            m_workspacePath.isEmpty() ? QStringLiteral("analysis.deltascope") : QFileInfo(m_workspacePath).fileName(),
            false);
        if (path.isEmpty())
            return;
        if (!path.endsWith(QStringLiteral(".deltascope")))
            path += QStringLiteral(".deltascope");
    }
    const QString why = saveWorkspace(path);
    if (!why.isEmpty()) {
        QMessageBox::warning(this, tr("Could not save the workspace"), why);
        return;
    }
    showStatus(tr("Workspace saved to %1").arg(path));
}

QString MainWindow::openWorkspace(const QString& path, QStringList* warnings)
{
    const auto w = workspace::readWorkspace(path.toStdString());
    if (!w.ok())
        return QString::fromStdString(w.error->toString());
    QStringList changed;
    for (const auto& line : workspace::changedInputs(*w.value))
        changed << QString::fromStdString(line);
    if (warnings)
        *warnings = changed;
    m_experts->restoreWorkspace(w.value->experts);
    m_degradation->restoreWorkspace(w.value->degradation);
    m_frontier->restoreWorkspace(w.value->frontier);
    m_tabs->setCurrentWidget(w.value->front == "experts" ? static_cast<QWidget*>(m_experts)
            : w.value->front == "frontier"               ? static_cast<QWidget*>(m_frontier)
                                                         : m_degradation);
    if (path != autosavePath()) {
        m_workspacePath = path;
        updateTitle();
    }
    showStatus(changed.isEmpty()
            ? tr("Workspace %1 restored").arg(QFileInfo(path).fileName())
            : tr("Workspace %1 restored; %n input(s) changed since it was saved", "", int(changed.size()))
                  .arg(QFileInfo(path).fileName()));
    if (!changed.isEmpty() && isVisible()) {
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Inputs changed"),
            tr("Some inputs changed since the workspace was saved; the results may differ from before."),
            QMessageBox::Ok, this);
        box->setDetailedText(changed.join(QLatin1Char('\n')));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    return {};
}

QString MainWindow::autosavePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    return dir + QStringLiteral("/autosave.deltascope");
}

void MainWindow::enableAutosave(int seconds)
{
    QDir().mkpath(QFileInfo(autosavePath()).absolutePath());
    m_autosaveLock = std::make_unique<QLockFile>(autosavePath() + QStringLiteral(".lock"));
    m_autosaveLock->setStaleLockTime(0);
    if (!m_autosaveLock->tryLock(0)) {
        // Another window autosaves; this one does not compete for the file.
        m_autosaveLock.reset();
        return;
    }
    m_autosave = new QTimer(this);
    connect(m_autosave, &QTimer::timeout, this, &MainWindow::autosave);
    m_autosave->start(seconds * 1000);
}

void MainWindow::autosave()
{
    const auto w = workspaceState();
    if (w.degradation.base.path.empty() && w.degradation.cand.path.empty() && w.experts.trace.empty()
        && w.frontier.base.path.empty())
        return; // nothing worth recovering
    saveWorkspace(autosavePath());
}

bool MainWindow::offerRecovery()
{
    const QString path = autosavePath();
    if (!QFileInfo::exists(path))
        return false;
    QLockFile probe(path + QStringLiteral(".lock"));
    if (!m_autosaveLock && !probe.tryLock(0))
        return false; // a running window owns it
    const auto saved = QFileInfo(path).lastModified();
    const auto answer = QMessageBox::question(this, tr("Restore the last session?"),
        tr("Deltascope did not close normally last time. Restore the session autosaved at %1?")
            .arg(QLocale().toString(saved, QLocale::ShortFormat)),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    bool restored = false;
    if (answer == QMessageBox::Yes) {
        const QString why = openWorkspace(path);
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Could not restore the session"), why);
        restored = why.isEmpty();
    }
    // Kept aside rather than deleted: declining once does not lose it.
    QFile::remove(path + QStringLiteral(".previous"));
    QFile::rename(path, path + QStringLiteral(".previous"));
    return restored;
}

} // namespace deltascope::ui
