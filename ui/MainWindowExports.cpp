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

void MainWindow::exportTo(const QString& title, const QString& filter, const QString& suggested,
    const std::function<QString(const QString&)>& write, const QString& done)
{
    const QString path = askSavePath(title, filter, suggested);
    if (path.isEmpty())
        return;
    const QString why = write(path);
    if (!why.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), why);
    else
        showStatus(done.arg(path));
}

void MainWindow::exportLayerCsv()
{
    if (!m_experts->run())
        return;
    exportTo(
        tr("Export per-layer metrics"), tr("CSV (*.csv)"), QStringLiteral("layers.csv"),
        [this](const QString& path) { return exporter::expertsLayerCsv(path, *m_experts->run()); },
        tr("Per-layer metrics written to %1"));
}

void MainWindow::exportSliceCsv()
{
    if (!m_experts->run())
        return;
    exportTo(
        tr("Export per-slice metrics"), tr("CSV (*.csv)"), QStringLiteral("slices.csv"),
        [this](const QString& path) { return exporter::expertsSliceCsv(path, *m_experts->run()); },
        tr("Per-slice metrics written to %1"));
}

QString MainWindow::askSavePath(const QString& title, const QString& filter, const QString& suggested, bool exportFile)
{
    AppSettings settings;
    QString chosenFilter;
    const QString folder = exportFile ? settings.lastExportDirectory() : settings.lastDirectory();
    const QString typed
        = QFileDialog::getSaveFileName(this, title, folder + QLatin1Char('/') + suggested, filter, &chosenFilter);
    // "report" typed in the PDF dialog is written as report.pdf (the format follows the extension).
    const QString path
        = exporter::confirmedSavePath(this, title, typed, chosenFilter.isEmpty() ? filter : chosenFilter);
    if (path.isEmpty())
        return {};
    if (exportFile)
        settings.setLastExportDirectory(QFileInfo(path).absolutePath());
    else
        settings.setLastDirectory(QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::exportReport(bool pdf)
{
    const QString filter = pdf ? tr("PDF (*.pdf)") : tr("HTML (*.html)");
    const QString suffix = pdf ? QStringLiteral(".pdf") : QStringLiteral(".html");
    const QString done = tr("Report written to %1");
    if (m_tabs->currentWidget() == m_frontier) {
        if (m_frontier->matrix())
            exportTo(
                tr("Export report"), filter, QStringLiteral("deltascope-frontier") + suffix,
                [this](const QString& path) { return m_frontier->exportReport(path); }, done);
        return;
    }
    if (m_tabs->currentWidget() == m_experts) {
        if (m_experts->run() || m_experts->hasCounts())
            exportTo(
                tr("Export report"), filter, QStringLiteral("deltascope-experts") + suffix,
                [this](const QString& path) { return m_experts->exportReport(path); }, done);
        return;
    }
    const auto c = m_degradation->comparison();
    if (!c)
        return;
    exportTo(
        tr("Export report"), filter, QStringLiteral("deltascope-report") + suffix,
        [&](const QString& path) {
            return pdf ? exporter::pdf(path, *c, m_degradation->reportPlots())
                       : exporter::html(path, *c, m_degradation->reportPlots());
        },
        done);
}

void MainWindow::exportJson()
{
    if (m_tabs->currentWidget() == m_experts) {
        // Every budget, as the command line's xshare writes it.
        if (m_experts->run())
            exportTo(
                tr("Export expert-sharing results"), tr("JSON (*.json)"), QStringLiteral("xshare.json"),
                [this](const QString& path) { return exporter::expertsJson(path, *m_experts->run()); },
                tr("Results written to %1"));
        return;
    }
    const auto c = m_degradation->comparison();
    if (!c)
        return;
    exportTo(
        tr("Export results"), tr("JSON (*.json)"), QStringLiteral("deltascope.json"),
        [&](const QString& path) { return exporter::json(path, *c); }, tr("Results written to %1"));
}

void MainWindow::exportDisagreements()
{
    const auto c = m_degradation->comparison();
    if (!c)
        return;
    const auto rows = m_degradation->visibleDisagreements();
    exportTo(
        tr("Export disagreements"), tr("CSV (*.csv)"), QStringLiteral("disagreements.csv"),
        [&](const QString& path) { return exporter::disagreementsCsv(path, *c, rows); },
        tr("%1 rows written to %2").arg(rows.size()));
}

void MainWindow::exportPlot()
{
    const QString filter = tr("PNG (*.png);;SVG (*.svg)");
    const QString done = tr("Plot written to %1");
    if (m_tabs->currentWidget() == m_frontier) {
        if (m_frontier->matrix())
            exportTo(
                tr("Export plot"), filter, QStringLiteral("frontier.png"),
                [this](const QString& path) { return exporter::plotImage(path, m_frontier->plot()); }, done);
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
    const int index = static_cast<int>(names.indexOf(which));
    exportTo(
        tr("Export plot"), filter, which + QStringLiteral(".png"),
        [&](const QString& path) {
            return exporter::plotImage(path, experts ? m_experts->plot(index) : m_degradation->plot(index));
        },
        done);
}

} // namespace deltascope::ui
