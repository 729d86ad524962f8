// SPDX-License-Identifier: GPL-3.0-or-later
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

#ifndef DELTASCOPE_BUILD_DEMO_DIR
#define DELTASCOPE_BUILD_DEMO_DIR ""
#endif

namespace deltascope::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_tabs(new QTabWidget(this))
    , m_degradation(new DegradationPage(this))
    , m_experts(new ExpertsPage(this))
    , m_frontier(new FrontierPage(this))
{
    installEnglishPlurals(); // for windows made without the program's main (tests)
    setWindowTitle(tr("Deltascope"));
    setObjectName(QStringLiteral("MainWindow"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_degradation, tr("Degradation"));
    m_tabs->addTab(m_experts, tr("Expert sharing"));
    m_tabs->addTab(m_frontier, tr("Frontier"));
    setCentralWidget(m_tabs);
    buildMenus();

    m_backendLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_backendLabel);
    // The whole text of a cut message is its tooltip only while that message is shown.
    connect(statusBar(), &QStatusBar::messageChanged, this, [this](const QString& shown) {
        if (shown != m_statusShown)
            statusBar()->setToolTip({});
    });
    setBackend(std::make_shared<backend::CpuBackend>(), {});
    connect(m_degradation, &DegradationPage::statusMessage, this,
        [this](const QString& m) { pageStatus(m_degradation, m); });
    connect(m_degradation, &DegradationPage::comparisonChanged, this, [this] {
        // A failed or cleared comparison leaves no old title over the new inputs.
        if (!m_degradation->comparison())
            m_comparisonLabel.clear();
        updateTitle();
        updateActions();
    });
    connect(m_degradation, &DegradationPage::demoRequested, this, [this] { openDemo(); });
    connect(m_experts, &ExpertsPage::statusMessage, this, [this](const QString& m) { pageStatus(m_experts, m); });
    connect(m_experts, &ExpertsPage::computed, this, &MainWindow::updateActions);
    connect(m_experts, &ExpertsPage::countsOpened, this, &MainWindow::updateActions);
    connect(m_experts, &ExpertsPage::traceOpened, this, [this](const QString& path) {
        AppSettings settings;
        settings.addRecentTrace(path);
        // However it was opened (the command line, a drop, the recent list), the next file dialog
        // starts beside it.
        if (QFileInfo::exists(path))
            settings.setLastDirectory(QFileInfo(path).absolutePath());
        rebuildRecentMenu();
        // The Frontier tab's payoff estimate and budget frontier take it when they have none.
        if (const auto t = m_experts->trace())
            m_frontier->offerTrace(path, t->experts, t->topK, QString::fromStdString(t->model));
    });
    connect(m_experts, &ExpertsPage::traceShown, this, &MainWindow::updateTitle);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateActions);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateTitle);
    // The status bar follows the tab: the last message of the page in front.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (const auto it = m_pageStatus.find(m_tabs->currentWidget()); it != m_pageStatus.end())
            showStatus(it.value());
        else
            showStatus({});
    });
    connectFrontier();
    connect(m_degradation, &DegradationPage::comparisonOpened, this, [this](const QString& b, const QString& c) {
        AppSettings().addRecentComparison({ b, c });
        rebuildRecentMenu();
        m_comparisonLabel = RecentComparison { b, c }.label();
        updateTitle();
    });

    AppSettings settings;
    if (!restoreGeometry(settings.windowGeometry())) {
        // The first size fits the screen it opens on (a 1366x768 laptop included).
        QSize size(1440, 900);
        if (const QScreen* on = screen())
            size = size.boundedTo(on->availableGeometry().size() * 0.95);
        resize(size);
    } else if (!isMaximized() && !isFullScreen()) {
        // The screen the saved place is on (another monitor stays so), else the one the window
        // opens on; a size saved on a larger screen is shrunk to it and moved onto it, so that
        // Compare and the status bar are not off screen.
        const QScreen* on = QGuiApplication::screenAt(geometry().center());
        const bool placed = on != nullptr;
        if (!on)
            on = screen();
        if (on) {
            const QRect avail = on->availableGeometry();
            if (width() > avail.width() || height() > avail.height()) {
                resize(size().boundedTo(avail.size() * 0.95));
                move(avail.topLeft());
            } else if (!placed) {
                move(avail.topLeft());
            }
        }
    }
    restoreState(settings.windowState());
    updateActions();
    showStatus(tr("Drop a baseline and a candidate run on the boxes above, or open the demo."));
}

void MainWindow::updateTitle()
{
    QString shown;
    if (m_tabs->currentWidget() == m_experts)
        shown = m_experts->shownTraceName();
    else if (m_tabs->currentWidget() == m_degradation)
        shown = m_comparisonLabel;
    else if (const auto matrix = m_frontier->matrix())
        shown = tr("%n candidate(s) against %1", "", static_cast<int>(matrix->candidates.size()))
                    .arg(QFileInfo(QString::fromStdString(matrix->request.base.path)).fileName());
    const QString workspace = m_workspacePath.isEmpty() ? QString() : QFileInfo(m_workspacePath).fileName();
    if (!workspace.isEmpty() && !shown.isEmpty())
        shown = tr("%1 (%2)").arg(workspace, shown);
    else if (!workspace.isEmpty())
        shown = workspace;
    setWindowTitle(shown.isEmpty() ? tr("Deltascope") : tr("%1 - Deltascope").arg(shown));
}

MainWindow::~MainWindow()
{
    for (QObject* page :
        { static_cast<QObject*>(m_degradation), static_cast<QObject*>(m_experts), static_cast<QObject*>(m_frontier) })
        page->disconnect();
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    // A text field claims Ctrl+E before shortcuts see it; the window's export shortcut wins, as in
    // every other field of the window (End moves to the end of the line).
    if (event->type() == QEvent::ShortcutOverride) {
        const auto* key = static_cast<QKeyEvent*>(event);
        auto* field = qobject_cast<QLineEdit*>(watched);
        if (field && key->key() == Qt::Key_E && key->modifiers() == Qt::ControlModifier && isAncestorOf(field))
            return true;
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::connectFrontier()
{
    connect(m_frontier, &FrontierPage::computed, this, &MainWindow::updateActions);
    connect(m_frontier, &FrontierPage::computed, this, &MainWindow::updateTitle);
    connect(m_frontier, &FrontierPage::statusMessage, this, [this](const QString& m) { pageStatus(m_frontier, m); });
    // A point of the frontier opens its comparison; a budget opens the trace at that budget.
    connect(m_frontier, &FrontierPage::comparisonRequested, this, [this](int candidate) {
        showDegradation();
        m_degradation->openComparison(m_frontier->comparisonRequest(candidate));
    });
    connect(m_frontier, &FrontierPage::budgetRequested, this, [this](int budget) {
        workspace::ExpertState state = m_experts->workspaceState();
        state.trace = m_frontier->tracePath().toStdString();
        state.counts.clear();
        if (m_frontier->batchSize() > 0)
            state.batchSize = m_frontier->batchSize();
        state.budget = budget;
        showExperts();
        m_experts->restoreWorkspace(state);
    });
}

void MainWindow::buildMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    // A run is an lm-eval folder, a results or samples file, or a score table: either is accepted.
    const auto openSide = [this](bool candidate) {
        AppSettings settings;
        const QString p = FileOrFolderDialog::getPath(this,
            candidate ? tr("Candidate run (folder or file)") : tr("Baseline run (folder or file)"),
            settings.lastDirectory(), tr("Evaluation files (*.json *.jsonl *.eval *.csv *.tsv);;All files (*)"));
        if (p.isEmpty())
            return;
        settings.setLastDirectory(QFileInfo(p).absolutePath());
        showDegradation();
        m_degradation->setSide(candidate, p);
    };
    auto* openBase = file->addAction(tr("Open &baseline…"), this, [openSide] { openSide(false); });
    openBase->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    auto* openCand = file->addAction(tr("Open &candidate…"), this, [openSide] { openSide(true); });
    openCand->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    auto* demo = file->addAction(style()->standardIcon(QStyle::SP_DialogHelpButton), tr("Open &demo"), this, [this] {
        // The demo of the workspace in front.
        if (m_tabs->currentWidget() == m_experts)
            m_experts->openDemo();
        else if (m_tabs->currentWidget() == m_frontier) {
            if (!m_frontier->openDemo())
                QMessageBox::warning(this, tr("No demo"), m_frontier->lastError());
        } else
            openDemo();
    });
    demo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    auto* trace = file->addAction(tr("Open router &trace…"), this, [this] {
        AppSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Router trace"), settings.lastDirectory(),
            tr("Router traces (*.safetensors *.jsonl *.npy);;All files (*)"));
        if (p.isEmpty())
            return;
        settings.setLastDirectory(QFileInfo(p).absolutePath());
        showExperts();
        m_experts->openTrace(p);
    });
    trace->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    file->addAction(tr("Open expert load &counts…"), this, [this] {
        AppSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Expert load counts"), settings.lastDirectory(),
            tr("Expert counts (*.csv *.json);;All files (*)"));
        if (p.isEmpty())
            return;
        settings.setLastDirectory(QFileInfo(p).absolutePath());
        showExperts();
        m_experts->openCounts(p);
    });
    file->addAction(tr("Open demo trace"), this, [this] {
        showExperts();
        m_experts->openDemo();
    });
    file->addSeparator();
    auto* openWs = file->addAction(tr("&Open workspace…"), this, [this] {
        AppSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Open workspace"), settings.lastDirectory(),
            tr("Deltascope workspaces (*.deltascope);;All files (*)"));
        if (p.isEmpty())
            return;
        settings.setLastDirectory(QFileInfo(p).absolutePath());
        const QString why = openWorkspace(p);
        if (!why.isEmpty())
            QMessageBox::warning(this, tr("Could not open the workspace"), why);
    });
    openWs->setShortcut(QKeySequence::Open);
    auto* saveWs = file->addAction(tr("&Save workspace"), this, [this] { saveWorkspaceInteractive(false); });
    saveWs->setShortcut(QKeySequence::Save);
    auto* saveWsAs = file->addAction(tr("Save workspace &as…"), this, [this] { saveWorkspaceInteractive(true); });
    saveWsAs->setShortcut(QKeySequence::SaveAs);
    m_recent = file->addMenu(tr("&Recent comparisons"));
    m_recentTraces = file->addMenu(tr("Recent t&races"));
    rebuildRecentMenu();
    file->addSeparator();
    QAction* html = addExportActions(file);
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("How to &produce these files…"), this, [this] { showInputHelp(this); });
    help->addAction(tr("&About Deltascope"), this, [this] {
        QMessageBox::about(this, tr("About Deltascope"),
            tr("<h3>Deltascope %1</h3><p>Did an optimisation make the model worse? Paired, exact tests on the "
               "per-sample results of a baseline and a candidate run.</p>")
                .arg(QCoreApplication::applicationVersion()));
    });

    buildToolBar(demo, html);
}

QAction* MainWindow::addExportActions(QMenu* file)
{
    auto* html = file->addAction(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Export report (HTML)…"), this,
        [this] { exportReport(false); });
    html->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    qApp->installEventFilter(this);
    auto* pdf = file->addAction(tr("Export report (&PDF)…"), this, [this] { exportReport(true); });
    auto* json = file->addAction(tr("Export results (&JSON)…"), this, &MainWindow::exportJson);
    auto* csv = file->addAction(tr("Export disagreements (&CSV)…"), this, &MainWindow::exportDisagreements);
    auto* plot = file->addAction(tr("Export p&lot (PNG, SVG)…"), this, &MainWindow::exportPlot);
    auto* layers = file->addAction(tr("Export per-layer expert metrics (CSV)…"), this, &MainWindow::exportLayerCsv);
    auto* slices = file->addAction(tr("Export per-slice expert metrics (CSV)…"), this, &MainWindow::exportSliceCsv);
    m_needComparison = { html, pdf, json, csv, plot, layers, slices };
    return html;
}

void MainWindow::buildToolBar(QAction* demo, QAction* html)
{
    auto* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(demo);
    tools->addAction(html);
    // Esc cancels the work of the workspace in front: a load, a test, a trace or a computation.
    auto* cancel = tools->addAction(style()->standardIcon(QStyle::SP_BrowserStop), tr("Cancel"), this, [this] {
        if (m_tabs->currentWidget() == m_experts)
            m_experts->cancel();
        else if (m_tabs->currentWidget() == m_frontier)
            m_frontier->cancel();
        else
            m_degradation->cancel();
    });
    cancel->setObjectName(QStringLiteral("cancelAction"));
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    const auto updateCancel = [this, cancel] {
        cancel->setEnabled(m_tabs->currentWidget() == m_experts ? m_experts->busy()
                : m_tabs->currentWidget() == m_frontier         ? m_frontier->busy()
                                                                : m_degradation->busy());
    };
    updateCancel();
    connect(m_degradation, &DegradationPage::busyChanged, cancel, updateCancel);
    connect(m_experts, &ExpertsPage::busyChanged, cancel, updateCancel);
    connect(m_frontier, &FrontierPage::busyChanged, cancel, updateCancel);
    connect(m_tabs, &QTabWidget::currentChanged, cancel, updateCancel);
}

void MainWindow::rebuildRecentMenu()
{
    // Entries whose files are gone are not offered; names that repeat say their folder.
    const auto exists = [](const QString& p) { return QFileInfo::exists(p); };
    const auto named = [](const QString& p) -> QString {
        const QFileInfo f(p);
        return f.dir().dirName() + QLatin1Char('/') + f.fileName();
    };
    m_recentTraces->clear();
    QStringList traces;
    for (const auto& t : AppSettings().recentTraces())
        if (exists(t))
            traces << t;
    QStringList names;
    for (const auto& t : traces)
        names << QFileInfo(t).fileName();
    for (const auto& t : traces)
        m_recentTraces
            ->addAction(names.count(QFileInfo(t).fileName()) > 1 ? named(t) : QFileInfo(t).fileName(), this,
                [this, t] {
                    showExperts();
                    m_experts->openTrace(t);
                })
            ->setToolTip(t);
    m_recentTraces->setEnabled(!traces.isEmpty());
    m_recent->clear();
    QList<RecentComparison> list;
    for (const auto& c : AppSettings().recentComparisons())
        if (exists(c.baseline) && exists(c.candidate))
            list << c;
    QStringList labels;
    for (const auto& c : list)
        labels << c.label();
    for (const auto& c : list) {
        const QString label
            = labels.count(c.label()) > 1 ? named(c.candidate) + QStringLiteral(" vs ") + named(c.baseline) : c.label();
        auto* a = m_recent->addAction(label, this, [this, c] { m_degradation->compareAnew(c.baseline, c.candidate); });
        a->setToolTip(c.baseline + QStringLiteral("\n") + c.candidate);
    }
    m_recent->setEnabled(!list.isEmpty());
}

void MainWindow::updateActions()
{
    if (m_tabs->currentWidget() == m_frontier) {
        // The frontier exports its report (HTML, PDF) and its plot.
        for (int i = 0; i < m_needComparison.size(); ++i)
            m_needComparison[i]->setEnabled((i == 0 || i == 1 || i == 4) && m_frontier->matrix() != nullptr);
        return;
    }
    const bool experts = m_tabs->currentWidget() == m_experts;
    const bool have = experts ? m_experts->run() != nullptr : m_degradation->comparison() != nullptr;
    for (int i = 0; i < m_needComparison.size(); ++i) {
        // Reports, JSON results and plots belong to both workspaces; disagreements to the
        // degradation one; the per-layer and per-slice tables to expert sharing. Expert load
        // counts alone have a report too.
        const bool both = i == 0 || i == 1 || i == 2 || i == 4;
        const bool layerAction = i >= 5;
        const bool countsReport = experts && i <= 1 && m_experts->hasCounts();
        m_needComparison[i]->setEnabled((have && (both || (layerAction == experts))) || countsReport);
    }
}

void MainWindow::showExperts()
{
    m_tabs->setCurrentWidget(m_experts);
}

void MainWindow::showDegradation()
{
    m_tabs->setCurrentWidget(m_degradation);
}

void MainWindow::showFrontier()
{
    m_tabs->setCurrentWidget(m_frontier);
}

void MainWindow::setBackend(std::shared_ptr<const backend::ComputeBackend> compute, const QString& note)
{
    m_backendLabel->setText(tr("compute: %1").arg(QString::fromStdString(compute->name())));
    m_backendLabel->setToolTip(note.isEmpty() ? tr("Where permutation tests and expert selection run") : note);
    m_degradation->setBackend(compute);
    m_frontier->setBackend(compute);
    m_experts->setBackend(std::move(compute));
}

QString MainWindow::demoDirectory()
{
    const QStringList candidates { qEnvironmentVariable("DELTASCOPE_DEMO_DIR"),
        QCoreApplication::applicationDirPath() + QStringLiteral("/../../demo"),
        QCoreApplication::applicationDirPath() + QStringLiteral("/../share/deltascope/demo"),
        QStringLiteral(DELTASCOPE_BUILD_DEMO_DIR) };
    for (const auto& dir : candidates)
        if (!dir.isEmpty() && QFileInfo::exists(dir + QStringLiteral("/baseline"))
            && QFileInfo::exists(dir + QStringLiteral("/candidate")))
            return QDir(dir).canonicalPath();
    return {};
}

void MainWindow::openDemo(bool interactive)
{
    const QString dir = demoDirectory();
    if (dir.isEmpty()) {
        const QString why = tr("The demo runs were not found (they are generated at build time by "
                               "resources/demo/make_lmeval_runs.py; set DELTASCOPE_DEMO_DIR to their folder).");
        showStatus(why);
        if (interactive)
            QMessageBox::warning(this, tr("No demo"), why);
        return;
    }
    m_degradation->compareAnew(dir + QStringLiteral("/baseline"), dir + QStringLiteral("/candidate"), interactive);
}

void MainWindow::pageStatus(QWidget* page, const QString& message)
{
    m_pageStatus[page] = message;
    if (m_tabs->currentWidget() == page)
        showStatus(message);
}

void MainWindow::showStatus(const QString& message)
{
    m_status = message;
    QString oneLine = message;
    oneLine.replace(QLatin1Char('\n'), QLatin1Char(' '));
    // The room left of the permanent "compute: ..." label, with the bar's own margins.
    const int room = std::max(80, statusBar()->contentsRect().width() - m_backendLabel->sizeHint().width() - 40);
    m_statusShown = statusBar()->fontMetrics().elidedText(oneLine, Qt::ElideRight, room);
    statusBar()->setToolTip(m_statusShown == message ? QString() : message);
    statusBar()->showMessage(m_statusShown);
}

void MainWindow::resizeEvent(QResizeEvent* event)
{
    QMainWindow::resizeEvent(event);
    // Cut again to the new width, unless the message has gone (a menu's tip, a new message).
    if (!m_status.isEmpty() && statusBar()->currentMessage() == m_statusShown)
        showStatus(m_status);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_autosave) {
        // A normal close: nothing to recover next time.
        m_autosave->stop();
        QFile::remove(autosavePath());
    }
    AppSettings settings;
    settings.setWindowGeometry(saveGeometry());
    settings.setWindowState(saveState());
    m_degradation->saveState();
    m_degradation->cancel();
    m_frontier->cancel();
    QMainWindow::closeEvent(event);
}

} // namespace deltascope::ui
