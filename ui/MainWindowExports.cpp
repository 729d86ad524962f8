// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's File > Export actions: reports, results, tables and plots of the workspace in front.
#include "MainWindow.h"
#include "backend/CpuBackend.h"
#include "common/AppSettings.h"
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
#include <QInputDialog>
#include <QKeySequence>
#include <QLabel>
#include <QLockFile>
#include <QMenuBar>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>

namespace deltascope::ui {

void MainWindow::exportLayerCsv()
{
    if (!m_experts->run())
        return;
    const QString path = askSavePath(tr("Export per-layer metrics"), tr("CSV (*.csv)"), QStringLiteral("layers.csv"));
    if (path.isEmpty())
        return;
    const QString why = exporter::expertsLayerCsv(path, *m_experts->run());
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        statusBar()->showMessage(tr("Per-layer metrics written to %1").arg(path));
}

QString MainWindow::askSavePath(const QString& title, const QString& filter, const QString& suggested)
{
    AppSettings settings;
    const QString path
        = QFileDialog::getSaveFileName(this, title, settings.lastDirectory() + QLatin1Char('/') + suggested, filter);
    if (!path.isEmpty())
        settings.setLastDirectory(QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::exportReport(bool pdf)
{
    if (m_tabs->currentWidget() == m_frontier) {
        if (!m_frontier->matrix())
            return;
        const QString path = askSavePath(tr("Export report"), pdf ? tr("PDF (*.pdf)") : tr("HTML (*.html)"),
            pdf ? QStringLiteral("deltascope-frontier.pdf") : QStringLiteral("deltascope-frontier.html"));
        if (path.isEmpty())
            return;
        const QString why = m_frontier->exportReport(path);
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), why);
        else
            statusBar()->showMessage(tr("Report written to %1").arg(path));
        return;
    }
    if (m_tabs->currentWidget() == m_experts) {
        if (!m_experts->run() && !m_experts->hasCounts())
            return;
        const QString path = askSavePath(tr("Export report"), pdf ? tr("PDF (*.pdf)") : tr("HTML (*.html)"),
            pdf ? QStringLiteral("deltascope-experts.pdf") : QStringLiteral("deltascope-experts.html"));
        if (path.isEmpty())
            return;
        const QString why = m_experts->exportReport(path);
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), why);
        else
            statusBar()->showMessage(tr("Report written to %1").arg(path));
        return;
    }
    const auto c = m_degradation->comparison();
    if (!c)
        return;
    const QString path = askSavePath(tr("Export report"), pdf ? tr("PDF (*.pdf)") : tr("HTML (*.html)"),
        pdf ? QStringLiteral("deltascope-report.pdf") : QStringLiteral("deltascope-report.html"));
    if (path.isEmpty())
        return;
    const QString why = pdf ? exporter::pdf(path, *c, m_degradation->reportPlots())
                            : exporter::html(path, *c, m_degradation->reportPlots());
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        statusBar()->showMessage(tr("Report written to %1").arg(path));
}

void MainWindow::exportJson()
{
    if (m_tabs->currentWidget() == m_experts) {
        // Every budget, as the command line's xshare writes it.
        const QString path = m_experts->run()
            ? askSavePath(tr("Export expert-sharing results"), tr("JSON (*.json)"), QStringLiteral("xshare.json"))
            : QString();
        if (path.isEmpty())
            return;
        const QString why = exporter::expertsJson(path, *m_experts->run());
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), why);
        else
            statusBar()->showMessage(tr("Results written to %1").arg(QFileInfo(path).fileName()));
        return;
    }
    const auto c = m_degradation->comparison();
    const QString path
        = c ? askSavePath(tr("Export results"), tr("JSON (*.json)"), QStringLiteral("deltascope.json")) : QString();
    if (path.isEmpty())
        return;
    const QString why = exporter::json(path, *c);
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        statusBar()->showMessage(tr("Results written to %1").arg(path));
}

void MainWindow::exportDisagreements()
{
    const auto c = m_degradation->comparison();
    const QString path = c
        ? askSavePath(tr("Export disagreements"), tr("CSV (*.csv)"), QStringLiteral("disagreements.csv"))
        : QString();
    if (path.isEmpty())
        return;
    const auto rows = m_degradation->visibleDisagreements();
    const QString why = exporter::disagreementsCsv(path, *c, rows);
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        statusBar()->showMessage(tr("%1 rows written to %2").arg(rows.size()).arg(path));
}

void MainWindow::exportPlot()
{
    if (m_tabs->currentWidget() == m_frontier) {
        const QString path = m_frontier->matrix()
            ? askSavePath(tr("Export plot"), tr("PNG (*.png);;SVG (*.svg)"), QStringLiteral("frontier.png"))
            : QString();
        const QString why = path.isEmpty() ? QString() : exporter::plotImage(path, m_frontier->plot());
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), why);
        else if (!path.isEmpty())
            statusBar()->showMessage(tr("Plot written to %1").arg(path));
        return;
    }
    const bool experts = m_tabs->currentWidget() == m_experts;
    if (experts ? !m_experts->run() : !m_degradation->comparison())
        return;
    bool ok = false;
    const QStringList names = experts ? m_experts->plotNames() : m_degradation->plotNames();
    const QString which = QInputDialog::getItem(this, tr("Export plot"), tr("Plot"), names, 0, false, &ok);
    if (!ok)
        return;
    const QString path = askSavePath(tr("Export plot"), tr("PNG (*.png);;SVG (*.svg)"), which + QStringLiteral(".png"));
    if (path.isEmpty())
        return;
    const int index = static_cast<int>(names.indexOf(which));
    const QString why = exporter::plotImage(path, experts ? m_experts->plot(index) : m_degradation->plot(index));
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        statusBar()->showMessage(tr("Plot written to %1").arg(path));
}

} // namespace deltascope::ui
