// SPDX-License-Identifier: GPL-3.0-or-later
#include "MainWindow.h"
#include "TestData.h"
#include "common/AppSettings.h"
#include "common/EnglishPlurals.h"
#include "common/Problems.h"
#include "common/Workspace.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DegradationPage.h"
#include "degradation/DropZone.h"
#include "degradation/ExtraInputsButton.h"
#include "degradation/TaskTableModel.h"
#include "experts/ExpertControls.h"
#include "experts/ExpertRun.h"
#include "experts/ExpertsPage.h"
#include "experts/TraceImportDialog.h"
#include "export/ExpertExports.h"
#include "frontier/FrontierPage.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"
#include "plot/DegradationPlots.h"
#include "plot/PlotView.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QProgressBar>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <functional>
#include <set>

using namespace deltascope;
using namespace deltascope::ui;

// The window driven as a user drives it: every way of opening a trace computes, loads can be
// cancelled, failures clear what belonged to the old inputs, clicks select.
class TestWindowFlows : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void openedTraceComputesByEveryRoute();
    void recentMenusOfferWhatExists();
    void recomputeCanBeCancelled();
    void skipBadLinesLoadsTheRuns();
    void onlyBadRecordsOfferSkipping();
    void sameNamedRunsAreToldApart();
    void tabReachesTheTables();
    void failedInputKeepsTheShownComparison();
    void newRunWaitsForItsPartner();
    void binaryFileIsNotARun();
    void cancelledColumnsKeepTheOtherSide();
    void exportShortcutWorksInTextFields();
    void inspectLogsOpenByDropAndPicker();
    void realFormatsOpenByDrop();
    void openBaselineTakesAFile();
    void exportsKeepTheirOwnFolder();
    void clickOnADropSelectsTheTask();
    void marginEditDecidesTheVerdict();
    void placementControlsReachTheRun();
    void brokenPlacementFileIsNotKept();
    void keepListAndRerunsReachTheComparison();
    void routerTraceIsNotARun();
    void exportedJsonIsTheCommandLines();
    void warningsAreGrouped();
    void npyTraceOpensWithImportOptions();
    void traceErrorNamesTheFile();
    void traceErrorOffersImportOptions();
    void traceWarningsOpenFromTheFacts();

private:
    static QString demo(const char* side) { return QStringLiteral(DELTASCOPE_DEMO_DIR "/") + QLatin1String(side); }

    // A copy of the demo candidate whose mmlu samples end in a cut-off record; empty on failure.
    static QString cutCandidate(const QTemporaryDir& dir)
    {
        const QString cand = dir.filePath(QStringLiteral("cand"));
        if (QProcess::execute(QStringLiteral("cp"), { QStringLiteral("-r"), demo("candidate"), cand }) != 0)
            return {};
        QDirIterator it(cand, { QStringLiteral("samples_mmlu_*.jsonl") }, QDir::Files, QDirIterator::Subdirectories);
        if (!it.hasNext())
            return {};
        QFile f(it.next());
        if (!f.open(QIODevice::Append) || f.write("{\"doc_id\": 5, \"acc\": [1,\n") <= 0)
            return {};
        return cand;
    }

    static QString writeTrace(
        const QTemporaryDir& dir, int experts = 32, const QString& name = QStringLiteral("synthetic.safetensors"))
    {
        moe::SynthOptions o;
        o.requests = 24;
        o.tokensPerRequest = 32;
        o.layers = 4;
        o.experts = experts;
        o.topK = 4;
        const QString path = dir.filePath(name);
        const std::string why = moe::writeTraceFile(path.toStdString(), moe::makeSyntheticTrace(o));
        if (!why.empty())
            qFatal("cannot write the trace: %s", why.c_str());
        return path;
    }

    /// Drags a file or folder onto a drop zone and lets it go, as a file manager does.
    static void dropOn(QWidget* zone, const QString& path)
    {
        QMimeData data;
        data.setUrls({ QUrl::fromLocalFile(path) });
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(zone, &enter);
        QVERIFY2(enter.isAccepted(), "the zone refused the drag");
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(zone, &drop);
        QVERIFY2(drop.isAccepted(), "the zone refused the drop");
    }

    /// Answers the next modal dialogs: `handle` gets each one and says whether it dealt with it;
    /// any other dialog is recorded in `others` and rejected, so that a test never hangs on one.
    static QTimer* answerDialogs(std::function<bool(QWidget*)> handle, QStringList* others = nullptr)
    {
        auto* timer = new QTimer(qApp);
        timer->setInterval(20);
        QObject::connect(timer, &QTimer::timeout, timer, [timer, handle, others] {
            auto* modal = QApplication::activeModalWidget();
            if (!modal)
                return;
            if (handle && handle(modal))
                return;
            if (others)
                *others << QString::fromLatin1(modal->metaObject()->className());
            if (auto* dialog = qobject_cast<QDialog*>(modal))
                dialog->reject();
        });
        timer->start();
        return timer;
    }

    /// Reads the next message box's text and details into text and details, and closes it.
    static QTimer* readMessageBox(QString& text, QString& details)
    {
        return answerDialogs([&text, &details](QWidget* w) {
            auto* box = qobject_cast<QMessageBox*>(w);
            if (!box)
                return false;
            text = box->text();
            details = box->detailedText();
            box->accept();
            return true;
        });
    }

    /// Types the path in a file dialog and presses Open.
    static void choose(QFileDialog* dialog, const QString& path)
    {
        dialog->selectFile(path);
        if (auto* edit = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit")))
            edit->setText(path);
        static_cast<QDialog*>(dialog)->accept(); // QFileDialog::accept, as the Open button does
    }

    static void check(ExpertsPage& page)
    {
        QTRY_VERIFY_WITH_TIMEOUT(page.run() != nullptr, 60000);
        page.waitUntilIdle();
        QVERIFY2(page.headline().startsWith(QStringLiteral("M = ")), qPrintable(page.headline()));
        for (int i = 0; i < 6; ++i)
            QVERIFY2(page.plot(i)->plottableCount() > 0, qPrintable(page.plotNames()[i]));
        QVERIFY(page.plot(8)->plottableCount() > 0); // the batch-size curve
    }
};

void TestWindowFlows::recentMenusOfferWhatExists()
{
    // Two traces of one name in different folders, and one that was deleted since.
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("run-a")) && QDir(dir.path()).mkpath(QStringLiteral("run-b")));
    const QString a = dir.filePath(QStringLiteral("run-a/t.safetensors"));
    const QString b = dir.filePath(QStringLiteral("run-b/t.safetensors"));
    const QString gone = dir.filePath(QStringLiteral("gone.safetensors"));
    for (const QString& f : { a, b, gone }) {
        QFile file(f);
        QVERIFY(file.open(QIODevice::WriteOnly));
    }
    AppSettings settings;
    for (const QString& f : { gone, a, b })
        settings.addRecentTrace(f);
    QVERIFY(QFile::remove(gone));
    MainWindow w;
    QMenu* traces = nullptr;
    for (QMenu* m : w.findChildren<QMenu*>())
        if (m->title() == QStringLiteral("Recent t&races"))
            traces = m;
    QVERIFY(traces);
    QStringList texts;
    for (QAction* act : traces->actions())
        texts << act->text();
    // Newest first (other suites' traces may follow), each named with its folder; the deleted one
    // is not offered.
    QVERIFY2(texts.size() >= 2, qPrintable(texts.join(QLatin1Char(','))));
    QCOMPARE(
        texts.mid(0, 2), QStringList({ QStringLiteral("run-b/t.safetensors"), QStringLiteral("run-a/t.safetensors") }));
    QVERIFY(!texts.contains(QStringLiteral("gone.safetensors")));
}

void TestWindowFlows::openedTraceComputesByEveryRoute()
{
    QTemporaryDir dir;
    const QString trace = writeTrace(dir);
    {
        // deltascope --trace FILE
        ExpertsPage page;
        page.openTrace(trace);
        check(page);
    }
    {
        // File > Open router trace...
        MainWindow window;
        QAction* open = nullptr;
        for (QAction* a : window.findChildren<QAction*>())
            if (a->text().startsWith(QStringLiteral("Open router &trace")))
                open = a;
        QVERIFY(open);
        std::unique_ptr<QTimer> answer(answerDialogs([trace](QWidget* w) {
            auto* dialog = qobject_cast<QFileDialog*>(w);
            if (!dialog)
                return false;
            choose(dialog, trace);
            return true;
        }));
        open->trigger();
        check(*window.experts());
        QCOMPARE(window.experts()->workspaceState().trace, trace.toStdString());
        // The title names the trace in front.
        QCOMPARE(window.windowTitle(), QFileInfo(trace).fileName() + QStringLiteral(" - Deltascope"));
    }
    {
        // Reopening a saved workspace, at its budget.
        const QString ws = dir.filePath(QStringLiteral("saved.deltascope"));
        QFile f(ws);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
            R"({"deltascope_workspace": 1, "front": "experts", "experts": {"trace": "%1", "budget": 9}})")
                    .arg(trace)
                    .toUtf8());
        f.close();
        MainWindow window;
        QCOMPARE(window.openWorkspace(ws), QString());
        check(*window.experts());
        QCOMPARE(window.experts()->run()->budget, 9);
        QCOMPARE(window.windowTitle(),
            QStringLiteral("saved.deltascope (%1) - Deltascope").arg(QFileInfo(trace).fileName()));
    }
}

void TestWindowFlows::recomputeCanBeCancelled()
{
    QTemporaryDir dir;
    const QString trace = writeTrace(dir);
    ExpertsPage page;
    page.openTrace(trace);
    check(page);
    const int before = page.run()->budget;
    const int next = before + 3;
    page.setBudget(next);
    QVERIFY(page.busy());
    // While it computes, the headline says so: it never shows the old M as the new one.
    QVERIFY2(page.headline().contains(QStringLiteral("Computing M = %1").arg(next)), qPrintable(page.headline()));
    page.cancel();
    QVERIFY(!page.busy());
    page.waitUntilIdle();
    QCOMPARE(page.run()->budget, before); // the cancelled result never lands
    QVERIFY2(page.headline().contains(QStringLiteral("Cancelled")), qPrintable(page.headline()));
    QVERIFY(page.headline().contains(QStringLiteral("M = %1").arg(before)));

    // Esc in the window cancels a trace load in the expert workspace.
    MainWindow window;
    window.showExperts();
    auto* cancel = window.findChild<QAction*>(QStringLiteral("cancelAction"));
    QVERIFY(cancel);
    QVERIFY(!cancel->isEnabled());
    window.experts()->openTrace(trace);
    QVERIFY(window.experts()->busy());
    QVERIFY(cancel->isEnabled());
    QCOMPARE(cancel->shortcut(), QKeySequence(Qt::Key_Escape));
    cancel->trigger();
    QVERIFY(!window.experts()->busy());
    QVERIFY(!cancel->isEnabled());
    window.experts()->waitUntilIdle();
    QVERIFY(!window.experts()->run());
    QVERIFY(window.experts()->headline().contains(QStringLiteral("cancelled")));
    // Once everything the page computes has landed, there is nothing left to cancel.
    window.experts()->openTrace(trace);
    QTRY_VERIFY_WITH_TIMEOUT(window.experts()->run() != nullptr, 60000);
    window.experts()->waitUntilIdle();
    QTRY_VERIFY(!cancel->isEnabled());
}

void TestWindowFlows::skipBadLinesLoadsTheRuns()
{
    // A candidate whose samples end in a cut-off record: the user chooses "Skip bad lines".
    QTemporaryDir dir;
    const QString cand = cutCandidate(dir);
    QVERIFY(!cand.isEmpty());

    DegradationPage page;
    page.resize(1200, 800);
    page.show();
    QString asked;
    std::unique_ptr<QTimer> answer(answerDialogs([&asked](QWidget* w) {
        auto* box = qobject_cast<QMessageBox*>(w);
        if (!box || box->objectName() != QStringLiteral("malformedRecordBox"))
            return false;
        asked = box->text();
        for (QAbstractButton* b : box->buttons())
            if (b->text() == QStringLiteral("Skip bad lines"))
                b->click();
        return true;
    }));
    page.compare(demo("baseline"), cand, false);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    QVERIFY(!page.busy());
    // The question names the file by its name and line, not by its full path.
    QVERIFY2(asked.startsWith(QStringLiteral("samples_mmlu_")), qPrintable(asked));
    QVERIFY(!asked.contains(dir.path()));
    QVERIFY(page.workspaceState().skipBadLines);
}

void TestWindowFlows::onlyBadRecordsOfferSkipping()
{
    // "Skip bad lines" is offered for a bad record (an Inspect sample scored NaN, which has no line
    // of its own), not for a log cut short, which skipping cannot mend.
    QFile log(QString::fromStdString(test::dataPath("inspect/epochs.json")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray full = log.readAll();
    QTemporaryDir dir;
    const QString base = QString::fromStdString(test::writeFile(dir, QStringLiteral("base.json"), full));
    const QString cut
        = QString::fromStdString(test::writeFile(dir, QStringLiteral("cut.json"), full.left(full.size() / 2)));
    QByteArray withNan = full;
    const auto at = withNan.indexOf("\"value\": \"C\"");
    QVERIFY(at > 0);
    withNan.replace(at, 12, "\"value\": \"nan\"");
    const QString nan = QString::fromStdString(test::writeFile(dir, QStringLiteral("nan.json"), withNan));

    DegradationPage page;
    page.resize(1200, 800);
    page.show();
    QStringList boxes;
    bool progressShown = false;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        auto* box = qobject_cast<QMessageBox*>(w);
        if (!box)
            return false;
        boxes << (box->objectName().isEmpty() ? box->windowTitle() : box->objectName());
        // The failed load's progress bar is not left behind the question.
        progressShown = progressShown || page.findChild<QProgressBar*>()->isVisible();
        for (QAbstractButton* b : box->buttons())
            if (b->text() == QStringLiteral("Skip bad lines"))
                b->click();
        if (box->isVisible())
            box->accept();
        return true;
    }));
    page.compare(base, cut, false);
    QTRY_COMPARE_WITH_TIMEOUT(boxes.size(), 1, 60000);
    page.waitUntilIdle();
    QCOMPARE(boxes.front(), QStringLiteral("Could not compare"));
    QVERIFY(!page.comparison());
    QVERIFY(!page.workspaceState().skipBadLines);

    boxes.clear();
    page.compare(base, nan, false);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    QCOMPARE(boxes, QStringList { QStringLiteral("malformedRecordBox") });
    QVERIFY(page.workspaceState().skipBadLines);
    QVERIFY(!progressShown);
}

void TestWindowFlows::sameNamedRunsAreToldApart()
{
    // Two models' lm-eval output folders are both named "lm-eval": the title and the recent list
    // name the folder above, not "lm-eval vs lm-eval".
    QCOMPARE((RecentComparison { QStringLiteral("/runs/llama-fp16/lm-eval"), QStringLiteral("/runs/llama-q4/lm-eval") }
                     .label()),
        QStringLiteral("llama-q4/lm-eval vs llama-fp16/lm-eval"));
    QCOMPARE((RecentComparison { QStringLiteral("/runs/base.jsonl"), QStringLiteral("/runs/cand.jsonl") }.label()),
        QStringLiteral("cand.jsonl vs base.jsonl"));
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("fp16/lm-eval"))
        && QDir(dir.path()).mkpath(QStringLiteral("q4/lm-eval")));
    const QString base = dir.filePath(QStringLiteral("fp16/lm-eval"));
    const QString cand = dir.filePath(QStringLiteral("q4/lm-eval"));
    for (const auto& [from, to] : { std::pair { demo("baseline"), base }, std::pair { demo("candidate"), cand } })
        for (QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
            const QString file = it.next();
            const QString copy = to + QLatin1Char('/') + QDir(from).relativeFilePath(file);
            QVERIFY(QDir().mkpath(QFileInfo(copy).path()) && QFile::copy(file, copy));
        }
    MainWindow window;
    window.degradation()->compare(base, cand, false);
    QTRY_VERIFY_WITH_TIMEOUT(window.degradation()->comparison() != nullptr, 60000);
    QCOMPARE(window.windowTitle(), QStringLiteral("q4/lm-eval vs fp16/lm-eval - Deltascope"));
    // Each tab's title names what it shows: the Expert sharing tab has no trace yet.
    auto* tabs = window.findChild<QTabWidget*>();
    QVERIFY(tabs);
    const QString said = window.statusBar()->currentMessage();
    QVERIFY(!said.isEmpty());
    tabs->setCurrentWidget(window.experts());
    QCOMPARE(window.windowTitle(), QStringLiteral("Deltascope"));
    // The status bar follows the tab: the Expert sharing page has said nothing yet.
    QVERIFY(window.statusBar()->currentMessage().isEmpty());
    window.experts()->openDemo();
    QTRY_COMPARE(window.windowTitle(), QStringLiteral("demo trace - Deltascope"));
    tabs->setCurrentWidget(window.degradation());
    QCOMPARE(window.windowTitle(), QStringLiteral("q4/lm-eval vs fp16/lm-eval - Deltascope"));
    QCOMPARE(window.statusBar()->currentMessage(), said);
    if (!FrontierPage::demoDirectory().isEmpty()) {
        tabs->setCurrentWidget(window.frontier());
        QVERIFY(window.frontier()->openDemo());
        window.frontier()->waitUntilIdle();
        QTRY_COMPARE(window.windowTitle(), QStringLiteral("5 candidates against baseline - Deltascope"));
    }
}

void TestWindowFlows::tabReachesTheTables()
{
    // Keyboard users move through the page with Tab: from the task filter, the task table and the
    // disagreement table are both reached.
    MainWindow window;
    window.resize(1500, 1000);
    window.show();
    QApplication::setActiveWindow(&window);
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    DegradationPage* page = window.degradation();
    page->compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(page->comparison() != nullptr, 60000);
    page->waitUntilIdle();
    QLineEdit* filter = nullptr;
    for (auto* e : page->findChildren<QLineEdit*>())
        if (e->placeholderText() == QStringLiteral("Filter tasks…"))
            filter = e;
    QVERIFY(filter);
    filter->setFocus(Qt::TabFocusReason);
    QTRY_VERIFY(filter->hasFocus());
    QStringList seen;
    bool taskTable = false;
    bool disagreements = false;
    bool docFilter = false; // the disagreements' own filter, reached before the table it filters
    bool docFilterFirst = false;
    for (int i = 0; i < 60 && !(taskTable && disagreements); ++i) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QWidget* w = QApplication::focusWidget();
        QVERIFY(w);
        seen << QString::fromLatin1(w->metaObject()->className()) + QLatin1Char(':') + w->objectName();
        if (auto* edit = qobject_cast<QLineEdit*>(w))
            docFilter = docFilter || edit->placeholderText().startsWith(QStringLiteral("Filter by doc id"));
        if (auto* view = qobject_cast<QTableView*>(w)) {
            taskTable = taskTable || view->model()->columnCount() == TaskTableModel::ColumnCount;
            if (view->model()->columnCount() != TaskTableModel::ColumnCount && !disagreements)
                docFilterFirst = docFilter;
            disagreements = disagreements || view->model()->columnCount() != TaskTableModel::ColumnCount;
            // A table reached by Tab shows where the keyboard is: it has a current cell.
            QVERIFY2(view->currentIndex().isValid(), qPrintable(seen.join(QStringLiteral(", "))));
        }
    }
    QVERIFY2(taskTable, qPrintable(seen.join(QStringLiteral(", "))));
    QVERIFY2(disagreements, qPrintable(seen.join(QStringLiteral(", "))));
    QVERIFY2(docFilterFirst, qPrintable(seen.join(QStringLiteral(", "))));
}

void TestWindowFlows::failedInputKeepsTheShownComparison()
{
    MainWindow window;
    DegradationPage* page = window.degradation();
    page->compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(page->comparison() != nullptr, 60000);
    const auto shown = page->comparison();
    auto* tasks = page->findChild<TaskTableModel*>();
    QVERIFY(tasks && tasks->rowCount() > 0);
    const QString title = window.windowTitle();
    QVERIFY(title.contains(QStringLiteral(" vs ")));

    // A new candidate that cannot be read: the comparison shown stays, and the boxes go back to
    // the runs it was made with, so that nothing is shown under the name of another file.
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("no-such-run"));
    page->setSide(true, missing, false);
    page->waitUntilIdle();
    QCOMPARE(page->comparison(), shown);
    QVERIFY(tasks->rowCount() > 0);
    QCOMPARE(window.windowTitle(), title);
    QCOMPARE(page->workspaceState().cand.path, demo("candidate").toStdString());
    QVERIFY2(page->lastError().contains(QStringLiteral("no-such-run")), qPrintable(page->lastError()));

    // A recent pair of which a side is not a run: nothing is loaded, and the menu's choices for
    // the comparison shown stay.
    auto* extra = page->findChild<ExtraInputsButton*>();
    QVERIFY(extra);
    LoadSelection only;
    only.tasks = { QStringLiteral("mmlu") };
    extra->setSelection(only);
    page->waitUntilIdle();
    const auto chosen = page->comparison();
    const QString png = dir.filePath(QStringLiteral("plot.png"));
    {
        QFile f(png);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + QByteArray(2000, '\x01'));
    }
    page->compareAnew(png, demo("candidate"), false);
    page->waitUntilIdle();
    QCOMPARE(page->comparison(), chosen);
    QCOMPARE(extra->selection().tasks, only.tasks);
    // A new test while other runs load: the load stops, and the comparison shown is tested again
    // with its own runs in the boxes.
    page->setSide(true, demo("baseline"), false);
    QVERIFY(page->busy());
    page->setMargins({});
    page->waitUntilIdle();
    QVERIFY(page->comparison() && page->comparison() != chosen);
    QCOMPARE(page->comparison()->analysis.request.cand.path, demo("candidate").toStdString());
    QCOMPARE(page->workspaceState().cand.path, demo("candidate").toStdString());

    // A workspace whose runs cannot be read shows nothing rather than the comparison before, from
    // the moment it starts loading.
    auto state = page->workspaceState();
    state.cand.path = missing.toStdString();
    page->restoreWorkspace(state);
    QVERIFY(!page->comparison());
    page->waitUntilIdle();
    QVERIFY(!page->comparison());
    QCOMPARE(tasks->rowCount(), 0);
    QCOMPARE(page->plot(0)->plottableCount(), 0);
    QCOMPARE(window.windowTitle(), QStringLiteral("Deltascope"));
}

void TestWindowFlows::cancelledColumnsKeepTheOtherSide()
{
    // Two tables whose columns are not guessed (as given on the command line): Esc on the
    // baseline's column dialog leaves the candidate chosen, with nothing compared.
    QTemporaryDir dir;
    const auto base = QString::fromStdString(test::writeFile(dir, QStringLiteral("b.csv"), "q,right\n1,1\n2,0\n"));
    const auto cand = QString::fromStdString(test::writeFile(dir, QStringLiteral("c.csv"), "q,right\n1,0\n2,0\n"));
    DegradationPage page;
    int asked = 0;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        if (!w->inherits("deltascope::ui::ColumnMappingDialog"))
            return false;
        auto* dialog = qobject_cast<QDialog*>(w);
        if (++asked == 1) {
            dialog->reject(); // Esc
            return true;
        }
        // The candidate's: id "q", score "right", for this side only.
        for (auto* box : dialog->findChildren<QCheckBox*>())
            box->setChecked(false);
        const auto combos = dialog->findChildren<QComboBox*>();
        for (auto* combo : combos) {
            if (combo->objectName() == QStringLiteral("idColumn"))
                combo->setCurrentText(QStringLiteral("q"));
            if (combo->objectName() == QStringLiteral("scoreColumn"))
                combo->setCurrentText(QStringLiteral("right"));
        }
        dialog->accept();
        return true;
    }));
    QSignalSpy status(&page, &DegradationPage::statusMessage);
    page.compare(base, cand, true);
    page.waitUntilIdle();
    QCOMPARE(asked, 2);
    QVERIFY(!page.comparison());
    // The empty side is explained.
    QStringList said;
    for (const auto& m : status)
        said << m.at(0).toString();
    QVERIFY2(said.contains(QStringLiteral("b.csv not opened as the baseline: nothing was chosen")),
        qPrintable(said.join(QLatin1Char('|'))));
    QVERIFY(page.workspaceState().base.path.empty());
    QCOMPARE(QString::fromStdString(page.workspaceState().cand.path), cand);
}

void TestWindowFlows::newRunWaitsForItsPartner()
{
    // A comparison shown (with a margin typed since), then the first half of another pair: the new
    // baseline shares no sample with the old candidate. It stays chosen, the candidate's box asks
    // for its partner, and the comparison shown stays with its margin; the partner then compares.
    const QString fp16 = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4/mmlu_fp16.jsonl"));
    const QString q4 = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4/mmlu_q4_K_M.jsonl"));
    if (!QFileInfo::exists(fp16) || !QFileInfo::exists(q4))
        QSKIP("../shared/data/real is not present");
    DegradationPage page;
    page.compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    page.waitUntilIdle();
    auto* margin = page.findChild<QLineEdit*>(QStringLiteral("margin"));
    auto* candZone = page.findChild<DropZone*>(QStringLiteral("candZone"));
    QVERIFY(margin && candZone);
    margin->setText(QStringLiteral("1"));
    QTest::keyClick(margin, Qt::Key_Return);
    page.waitUntilIdle();
    const auto shown = page.comparison();
    QVERIFY(shown->report.hasMargin);
    const auto zoneText = [&] {
        QStringList texts;
        for (const QLabel* l : candZone->findChildren<QLabel*>())
            texts << l->text();
        return texts.join(QLatin1Char('\n'));
    };

    // A run that cannot be read: everything goes back to the comparison shown, margin included.
    QTemporaryDir dir;
    page.setSide(true, dir.filePath(QStringLiteral("no-such-run")), false);
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), shown);
    QCOMPARE(margin->text(), QStringLiteral("1"));
    QCOMPARE(page.workspaceState().cand.path, demo("candidate").toStdString());

    page.setSide(false, fp16, false);
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), shown);
    QCOMPARE(margin->text(), QStringLiteral("1"));
    QCOMPARE(page.workspaceState().base.path, fp16.toStdString());
    QCOMPARE(page.workspaceState().cand.path, demo("candidate").toStdString());
    QVERIFY2(zoneText().contains(QStringLiteral("shares no sample with the new baseline: choose its candidate")),
        qPrintable(zoneText()));
    QVERIFY2(page.lastError().contains(QStringLiteral("could be paired")), qPrintable(page.lastError()));

    page.setSide(true, q4, false);
    page.waitUntilIdle();
    QVERIFY(page.comparison() && page.comparison() != shown);
    QCOMPARE(page.comparison()->pairCount(), std::size_t { 499 });
    QVERIFY2(!zoneText().contains(QStringLiteral("shares no sample")), qPrintable(zoneText()));
}

void TestWindowFlows::binaryFileIsNotARun()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("plot.png"));
    QFile f(png);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    for (int i = 0; i < 2000; ++i)
        bytes.append(static_cast<char>((i * 37) % 256));
    f.write(bytes);
    f.close();
    DegradationPage page;
    QStringList dialogs;
    std::unique_ptr<QTimer> answer(answerDialogs({}, &dialogs));
    page.setSide(false, png, true);
    QCOMPARE(dialogs, QStringList()); // no column mapping of "\x89PNG"
    QVERIFY2(page.lastError().contains(QStringLiteral("not a text file")), qPrintable(page.lastError()));
    QVERIFY(page.workspaceState().base.path.empty());
    // An empty file: no columns to map, said at once.
    const QString empty = dir.filePath(QStringLiteral("empty.jsonl"));
    QFile e(empty);
    QVERIFY(e.open(QIODevice::WriteOnly));
    e.close();
    page.setSide(false, empty, true);
    QCOMPARE(dialogs, QStringList());
    QVERIFY2(page.lastError().contains(QStringLiteral("empty.jsonl")), qPrintable(page.lastError()));
    QVERIFY2(page.lastError().contains(QStringLiteral("the file is empty")), qPrintable(page.lastError()));
    QVERIFY(page.workspaceState().base.path.empty());
}

void TestWindowFlows::inspectLogsOpenByDropAndPicker()
{
    // Inspect's .eval logs are zip archives: dropped, they load without a column dialog. A folder
    // of logs of several models opens the run picker; the two popularity logs share their
    // timestamp, so the pick must name the log itself.
    const QString folder = QStringLiteral(DELTASCOPE_SHARED_DATA "/inspect_logs");
    const QString sonnet = folder + QStringLiteral("/2025-09-15T15-02-26-04-00_popularity_LthYhadZHuQjsMYHHKRep2.eval");
    if (!QFile::exists(sonnet))
        QSKIP("the shared real data (../shared/data/real) is not beside this checkout");
    DegradationPage page;
    QStringList others;
    bool picked = false;
    // Esc in the picker first: the dropped folder is not shown as if it were chosen.
    auto* baseZone = page.findChild<DropZone*>(QStringLiteral("baseZone"));
    QVERIFY(baseZone);
    {
        bool dismissed = false;
        std::unique_ptr<QTimer> esc(answerDialogs(
            [&dismissed](QWidget* w) {
                if (!w->findChild<QTableWidget*>())
                    return false;
                dismissed = true;
                qobject_cast<QDialog*>(w)->reject();
                return true;
            },
            &others));
        baseZone->setPath(folder); // as a drop does before it is handled
        emit baseZone->pathChosen(folder);
        QVERIFY(dismissed);
        QCOMPARE(baseZone->path(), QString());
        QVERIFY(page.workspaceState().base.path.empty());
    }
    std::unique_ptr<QTimer> answer(answerDialogs(
        [&picked](QWidget* w) {
            auto* table = w->findChild<QTableWidget*>();
            if (!table)
                return false;
            for (int row = 0; row < table->rowCount(); ++row)
                if (table->item(row, 0)->text() == QStringLiteral("openai/gpt-5"))
                    table->selectRow(row);
            picked = true;
            qobject_cast<QDialog*>(w)->accept();
            return true;
        },
        &others));
    page.setSide(false, folder, true);
    QVERIFY(picked);
    QCOMPARE(baseZone->path(), folder);
    installEnglishPlurals();
    QSignalSpy status(&page, &DegradationPage::statusMessage);
    page.setSide(true, sonnet, true);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    QCOMPARE(others, QStringList());
    // One task: "1 task", not "1 tasks".
    QVERIFY(!status.isEmpty());
    const QString said = status.last().at(0).toString();
    QVERIFY2(said.contains(QStringLiteral(": 1 task, ")), qPrintable(said));
    const auto c = page.comparison();
    QCOMPARE(c->base->info.model, std::string("openai/gpt-5"));
    QCOMPARE(c->cand->info.format, std::string("Inspect .eval"));
    // b and c as make_inspect_vectors.py counts them (tests/data/inspect/vectors.json).
    QFile f(QStringLiteral(DELTASCOPE_TEST_DATA "/inspect/vectors.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto v
        = QJsonDocument::fromJson(f.readAll()).object()[QStringLiteral("popularity_gpt5_vs_sonnet4")].toObject();
    QCOMPARE(c->report.tasks.size(), std::size_t(1));
    QCOMPARE(c->report.tasks[0].b, static_cast<std::int64_t>(v[QStringLiteral("b")].toInt()));
    QCOMPARE(c->report.tasks[0].c, static_cast<std::int64_t>(v[QStringLiteral("c")].toInt()));
}

void TestWindowFlows::realFormatsOpenByDrop()
{
    // Files written by HELM, simple-evals and a vLLM route logger, dropped on the window's zones as
    // a user drops them: each comparison shows what the independent counts in tests/data say, and
    // the route log computes in the expert workspace with the batches vLLM recorded.
    const QString real = QStringLiteral(DELTASCOPE_SHARED_DATA);
    const QString helmBase = real + QStringLiteral("/helm_runs/bbq_meta_llama-3-8b");
    if (!QFile::exists(helmBase + QStringLiteral("/run_spec.json")))
        QSKIP("the shared real data (../shared/data/real) is not beside this checkout");
    QFile vf(QStringLiteral(DELTASCOPE_TEST_DATA "/helm/helm_vectors.json"));
    QVERIFY(vf.open(QIODevice::ReadOnly));
    const QJsonObject vectors = QJsonDocument::fromJson(vf.readAll()).object();
    struct Pair {
        QString base, cand, vector;
    };
    const QString se = real + QStringLiteral("/simple_evals_healthbench/healthbench_hard_gpt-4o-mini_20260113_");
    const std::vector<Pair> pairs {
        { helmBase, helmBase + QStringLiteral("-chat"), QStringLiteral("bbq_exact_match") },
        { se + QStringLiteral("121409_allresults.json"), se + QStringLiteral("121425_tta_allresults.json"),
            QStringLiteral("healthbench") },
    };
    for (const Pair& pair : pairs) {
        MainWindow window;
        window.resize(1500, 1000);
        DegradationPage* page = window.degradation();
        const auto zones = page->findChildren<DropZone*>();
        QCOMPARE(zones.size(), qsizetype(2));
        DropZone* baseZone
            = zones[0]->mapToGlobal(QPoint()).x() <= zones[1]->mapToGlobal(QPoint()).x() ? zones[0] : zones[1];
        DropZone* candZone = baseZone == zones[0] ? zones[1] : zones[0];
        QStringList dialogs;
        std::unique_ptr<QTimer> answer(answerDialogs({}, &dialogs));
        dropOn(baseZone, pair.base);
        dropOn(candZone, pair.cand);
        QTRY_VERIFY_WITH_TIMEOUT(page->comparison() != nullptr || !page->lastError().isEmpty(), 60000);
        QVERIFY2(page->comparison() != nullptr, qPrintable(page->lastError()));
        QCOMPARE(dialogs, QStringList()); // recognised: no column mapping asked
        QCOMPARE(QString::fromStdString(page->workspaceState().base.path), pair.base);
        QCOMPARE(QString::fromStdString(page->workspaceState().cand.path), pair.cand);
        const auto v = vectors[pair.vector].toObject();
        const auto& t = page->comparison()->report.tasks.at(0);
        QCOMPARE(t.n, static_cast<std::int64_t>(v[QStringLiteral("n")].toInt()));
        if (v.contains(QStringLiteral("b"))) {
            QCOMPARE(t.b, static_cast<std::int64_t>(v[QStringLiteral("b")].toInt()));
            QCOMPARE(t.c, static_cast<std::int64_t>(v[QStringLiteral("c")].toInt()));
        } else {
            QCOMPARE(t.b, static_cast<std::int64_t>(v[QStringLiteral("worse")].toInt()));
            QCOMPARE(t.c, static_cast<std::int64_t>(v[QStringLiteral("better")].toInt()));
        }
    }

    // The route log: one forward pass per recorded batch, counted by count_vllm_batches.py.
    const QString routes = real + QStringLiteral("/vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl");
    QFile bf(QStringLiteral(DELTASCOPE_TEST_DATA "/vllm/expected_batches.json"));
    QVERIFY(bf.open(QIODevice::ReadOnly));
    const auto expected = QJsonDocument::fromJson(bf.readAll())
                              .object()[QStringLiteral("vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl")]
                              .toObject();
    MainWindow window;
    window.resize(1500, 1000);
    ExpertsPage* experts = window.experts();
    const auto zones = experts->findChildren<DropZone*>();
    QCOMPARE(zones.size(), qsizetype(1));
    std::unique_ptr<QTimer> answer(answerDialogs([](QWidget* w) {
        // The import options (keys, split runs) are asked for a JSONL trace: their defaults read it.
        if (!w->inherits("deltascope::ui::TraceImportDialog"))
            return false;
        qobject_cast<QDialog*>(w)->accept();
        return true;
    }));
    dropOn(zones[0], routes);
    QTRY_VERIFY_WITH_TIMEOUT(experts->run() != nullptr || !experts->lastError().isEmpty(), 60000);
    QVERIFY2(experts->run() != nullptr, qPrintable(experts->lastError()));
    experts->waitUntilIdle();
    const auto run = experts->run();
    QCOMPARE(run->trace->experts, static_cast<std::int64_t>(expected[QStringLiteral("experts")].toInt()));
    QCOMPARE(run->trace->topK, static_cast<std::int64_t>(expected[QStringLiteral("top_k")].toInt()));
    QCOMPARE(run->batches->mode, std::string("recorded")); // the passes vLLM ran, not a replay
    // Its warm-up passes (every token routed alike) are left out by default.
    QCOMPARE(static_cast<qsizetype>(run->batches->tokens.size()),
        static_cast<qsizetype>(expected[QStringLiteral("batches")].toInt()
            - expected[QStringLiteral("uniform_batches")].toArray().size()));
    QVERIFY2(experts->headline().startsWith(QStringLiteral("M = ")), qPrintable(experts->headline()));
}

void TestWindowFlows::exportShortcutWorksInTextFields()
{
    // Ctrl+E typed in the margin field opens the report export, as it does elsewhere in the window.
    // A text field claims Ctrl+E ("end of line") under the X11 key bindings: run under Xvfb with
    // QT_QPA_PLATFORM=xcb to exercise that (the offscreen platform has no such binding).
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.degradation()->compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(window.degradation()->comparison() != nullptr, 60000);
    window.degradation()->waitUntilIdle();
    auto* margin = window.findChild<QLineEdit*>(QStringLiteral("margin"));
    QVERIFY(margin);
    QApplication::setActiveWindow(&window); // no window manager gives it the focus under Xvfb
    margin->setFocus();
    QTRY_VERIFY(margin->hasFocus());
    margin->setText(QStringLiteral("12"));
    margin->setCursorPosition(0);
    int fileDialogs = 0;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        auto* dialog = qobject_cast<QFileDialog*>(w);
        if (!dialog)
            return false;
        ++fileDialogs;
        dialog->reject();
        return true;
    }));
    QTest::keyClick(margin, Qt::Key_E, Qt::ControlModifier);
    QTRY_COMPARE(fileDialogs, 1);
    QCOMPARE(margin->text(), QStringLiteral("12")); // the field was left as it was
    QCOMPARE(margin->cursorPosition(), 0);
}

void TestWindowFlows::openBaselineTakesAFile()
{
    QDirIterator it(demo("baseline"), { QStringLiteral("results_*.json") }, QDir::Files, QDirIterator::Subdirectories);
    QVERIFY(it.hasNext());
    const QString results = it.next();
    MainWindow window;
    QAction* open = nullptr;
    for (QAction* a : window.findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_B))
            open = a;
    QVERIFY(open);
    std::unique_ptr<QTimer> answer(answerDialogs([results](QWidget* w) {
        auto* dialog = qobject_cast<QFileDialog*>(w);
        if (!dialog)
            return false;
        choose(dialog, results);
        if (dialog->isVisible())
            dialog->reject(); // it would not take a file
        return true;
    }));
    open->trigger();
    QCOMPARE(QString::fromStdString(window.degradation()->workspaceState().base.path), results);
}

void TestWindowFlows::exportsKeepTheirOwnFolder()
{
    // An export written to a reports folder does not send the next run's file dialog there, and
    // the next export starts where the last one was written.
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("runs")) && QDir(dir.path()).mkpath(QStringLiteral("reports")));
    const QString runs = QDir(dir.filePath(QStringLiteral("runs"))).absolutePath();
    const QString reports = QDir(dir.filePath(QStringLiteral("reports"))).absolutePath();
    AppSettings().setLastDirectory(runs);
    AppSettings().setLastExportDirectory({});
    MainWindow window;
    window.degradation()->compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(window.degradation()->comparison() != nullptr, 60000);
    window.degradation()->waitUntilIdle();
    auto trigger = [&](const QString& text) {
        for (QAction* a : window.findChildren<QAction*>())
            if (a->text() == text) {
                a->trigger();
                return true;
            }
        return false;
    };
    QStringList opened;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        auto* dialog = qobject_cast<QFileDialog*>(w);
        if (!dialog)
            return false;
        opened << QDir(dialog->directory()).absolutePath();
        if (dialog->acceptMode() == QFileDialog::AcceptSave)
            choose(dialog,
                dialog->windowTitle() == QStringLiteral("Save workspace") ? runs + QStringLiteral("/w.deltascope")
                                                                          : reports + QStringLiteral("/results.json"));
        else
            dialog->reject();
        return true;
    }));
    QVERIFY(trigger(QStringLiteral("Export results (&JSON)…")));
    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(opened[0], runs); // no export yet: the inputs' folder
    QVERIFY(QFileInfo::exists(reports + QStringLiteral("/results.json")));
    QCOMPARE(AppSettings().lastDirectory(), runs);
    QCOMPARE(AppSettings().lastExportDirectory(), reports);
    QAction* openBaseline = nullptr;
    for (QAction* a : window.findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_B))
            openBaseline = a;
    QVERIFY(openBaseline);
    openBaseline->trigger();
    QTRY_COMPARE(opened.size(), 2);
    QCOMPARE(opened[1], runs);
    QFile::remove(reports + QStringLiteral("/results.json"));
    QVERIFY(trigger(QStringLiteral("Export results (&JSON)…")));
    QTRY_COMPARE(opened.size(), 3);
    QCOMPARE(opened[2], reports);
    // A workspace is saved where inputs are opened from (and opened from there again), and it
    // leaves the exports' folder as it was.
    QVERIFY(trigger(QStringLiteral("Save workspace &as…")));
    QTRY_COMPARE(opened.size(), 4);
    QCOMPARE(opened[3], runs);
    QTRY_VERIFY(QFileInfo::exists(runs + QStringLiteral("/w.deltascope")));
    QCOMPARE(AppSettings().lastExportDirectory(), reports);
}

void TestWindowFlows::clickOnADropSelectsTheTask()
{
    DegradationPage page;
    page.resize(1500, 1000);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    page.compare(demo("baseline"), demo("candidate"), false);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    page.waitUntilIdle();
    page.showPlot(0);
    PlotView* forest = page.plot(0);
    forest->replot(QCustomPlot::rpImmediateRefresh);
    QCPGraph* graph = nullptr;
    for (int g = 0; g < forest->graphCount() && !graph; ++g)
        if (forest->graph(g)->dataCount() > 0)
            graph = forest->graph(g);
    QVERIFY(graph);
    const auto point = graph->data()->at(graph->dataCount() - 1);
    // The plot draws the tasks in the task table's order: the place on the axis names the task.
    const auto order = taskDrawOrder(page.comparison()->report);
    const int task = order[static_cast<std::size_t>(point->key)];
    const QPoint at(
        qRound(graph->valueAxis()->coordToPixel(point->value)), qRound(graph->keyAxis()->coordToPixel(point->key)));
    QTest::mouseClick(forest, Qt::LeftButton, Qt::NoModifier, at);
    const std::string key = page.comparison()->report.tasks[static_cast<std::size_t>(task)].key();
    QCOMPARE(page.workspaceState().selectedTask, key);
    // The chosen task is shaded at its place in every plot, and only there.
    for (int p = 0; p < 3; ++p) {
        PlotView* view = page.plot(p);
        std::vector<QCPItemRect*> marks;
        for (int i = 0; i < view->itemCount(); ++i)
            if (view->item(i)->objectName() == QStringLiteral("taskMark"))
                marks.push_back(qobject_cast<QCPItemRect*>(view->item(i)));
        QCOMPARE(marks.size(), std::size_t(1));
        const bool down = p == 0; // the drop plot runs its tasks down the side; five tasks lie along the others
        const double from = down ? marks[0]->topLeft->coords().y() : marks[0]->topLeft->coords().x();
        QCOMPARE(from + 0.5, point->key);
    }
    const auto shown = page.visibleDisagreements();
    QVERIFY(!shown.empty());
    for (const auto& d : shown)
        QCOMPARE(d.task, static_cast<std::uint32_t>(task));
    // The sample shown is one of that task's, and its row is in view.
    QTableView* flips = nullptr;
    for (auto* view : page.findChildren<QTableView*>())
        if (view->parentWidget() && view->parentWidget()->inherits("deltascope::ui::DisagreementsView"))
            flips = view;
    QVERIFY(flips);
    const QModelIndex current = flips->currentIndex();
    QVERIFY(current.isValid());
    QVERIFY(flips->viewport()->rect().intersects(flips->visualRect(current)));
    QVERIFY(current.siblingAtColumn(0).data().toString().startsWith(
        QString::fromStdString(page.comparison()->report.tasks[static_cast<std::size_t>(task)].task)));

    // A new alpha keeps the selection and the filter together.
    auto* panel = page.findChild<AggregatePanel*>();
    QVERIFY(panel);
    emit panel->alphaChanged(0.01);
    page.waitUntilIdle();
    QCOMPARE(page.comparison()->report.alpha, 0.01);
    QCOMPARE(page.workspaceState().selectedTask, key);
    QCOMPARE(page.visibleDisagreements().size(), shown.size());
}

void TestWindowFlows::marginEditDecidesTheVerdict()
{
    // The baseline against itself: no evidence without a margin; a margin typed beside alpha
    // retests (the same pairs) and the banner, the task table and the workspace follow.
    DegradationPage page;
    page.resize(1500, 1000);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    page.compare(demo("baseline"), demo("baseline"), false);
    QTRY_VERIFY_WITH_TIMEOUT(page.comparison() != nullptr, 60000);
    page.waitUntilIdle();
    auto* verdict = page.findChild<QLabel*>(QStringLiteral("verdict"));
    auto* edit = page.findChild<QLineEdit*>(QStringLiteral("margin"));
    auto* error = page.findChild<QLabel*>(QStringLiteral("marginError"));
    QVERIFY(verdict && edit && error);
    QCOMPARE(verdict->text(), QStringLiteral("No evidence of degradation"));
    QTableView* tasks = nullptr;
    for (auto* view : page.findChildren<QTableView*>())
        if ((qobject_cast<TaskTableModel*>(view->model())
                || view->model()->columnCount() == TaskTableModel::ColumnCount)
            && view->objectName() != QStringLiteral("frozenColumns")) // the overlay of the frozen columns
            tasks = view;
    QVERIFY(tasks);
    QVERIFY(tasks->isColumnHidden(TaskTableModel::Margin));
    const auto paired = page.comparison()->paired;

    edit->setText(QStringLiteral("0.01"));
    QTest::keyClick(edit, Qt::Key_Return);
    page.waitUntilIdle();
    QCOMPARE(page.comparison()->report.verdict, std::string("inconclusive"));
    QCOMPARE(page.comparison()->paired, paired); // retested, not reloaded
    QVERIFY(verdict->text().startsWith(QStringLiteral("Inconclusive")));
    QVERIFY(!tasks->isColumnHidden(TaskTableModel::Margin));
    QVERIFY(!tasks->isColumnHidden(TaskTableModel::SamplesNeeded));
    QVERIFY(tasks->isColumnHidden(TaskTableModel::Cluster));
    QCOMPARE(page.workspaceState().margins, std::vector<std::string> { "0.01" });
    // The task table's verdicts say which tasks keep the claim open: each is not shown within.
    auto verdicts = [&] {
        QStringList words;
        for (int row = 0; row < tasks->model()->rowCount(); ++row)
            words << tasks->model()->index(row, TaskTableModel::Verdict).data().toString();
        words.removeDuplicates();
        return words;
    };
    QCOMPARE(verdicts(), QStringList { QStringLiteral("not shown within margin") });

    edit->setText(QStringLiteral("5"));
    QTest::keyClick(edit, Qt::Key_Return);
    page.waitUntilIdle();
    QCOMPARE(verdict->text(), QStringLiteral("No worse than the margin"));
    QCOMPARE(verdicts(), QStringList { QStringLiteral("within margin") });
    // The drop plot marks each task's one-sided bound, the value the margin is judged against.
    const QCPGraph* bounds = nullptr;
    for (int g = 0; g < page.plot(0)->graphCount(); ++g)
        if (page.plot(0)->graph(g)->objectName() == QStringLiteral("upperBounds"))
            bounds = page.plot(0)->graph(g);
    QVERIFY(bounds);
    QCOMPARE(bounds->dataCount(), static_cast<int>(page.comparison()->report.tasks.size()));
    for (int i = 0; i < bounds->dataCount(); ++i)
        QVERIFY(bounds->data()->at(i)->value < 5.0); // each within the 5-point margin

    // Bad text: the reason beside the field, and no retest.
    const auto before = page.comparison();
    edit->setText(QStringLiteral("5 points"));
    QTest::keyClick(edit, Qt::Key_Return);
    page.waitUntilIdle();
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().contains(QStringLiteral("5 points")), qPrintable(error->text()));
    QCOMPARE(page.comparison(), before);

    // A percentage on right-or-wrong tasks is refused by the test itself: the reason shows beside
    // the field too (not only among the warnings), in the field's own syntax, and the verdict stays.
    edit->setText(QStringLiteral("5%"));
    QTest::keyClick(edit, Qt::Key_Return);
    page.waitUntilIdle();
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().startsWith(QStringLiteral("Not applied: ")), qPrintable(error->text()));
    QVERIFY2(error->text().contains(QStringLiteral("not as a percentage")), qPrintable(error->text()));
    QVERIFY2(!error->text().contains(QStringLiteral("--margin")), qPrintable(error->text()));
    QCOMPARE(verdict->text(), QStringLiteral("No worse than the margin"));
    edit->setText(QStringLiteral("5"));
    QTest::keyClick(edit, Qt::Key_Return);
    page.waitUntilIdle();
    QVERIFY(!error->isVisible());
    QVERIFY(!page.comparison()->refused);
    QCOMPARE(verdict->text(), QStringLiteral("No worse than the margin"));

    // A saved workspace brings the margin back, and with it the verdict.
    const auto state = page.workspaceState();
    QCOMPARE(state.margins, std::vector<std::string> { "5" });
    DegradationPage restored;
    restored.restoreWorkspace(state);
    QTRY_VERIFY_WITH_TIMEOUT(restored.comparison() != nullptr, 60000);
    restored.waitUntilIdle();
    QCOMPARE(restored.comparison()->report.verdict, std::string("no_worse_than_margin"));
    QCOMPARE(restored.findChild<QLineEdit*>(QStringLiteral("margin"))->text(), QStringLiteral("5"));
}

void TestWindowFlows::placementControlsReachTheRun()
{
    // Balanced by a counts file with extra copies (the CLI's --placement balanced
    // --placement-counts F --replicas R): the run computed is the one those settings give.
    QTemporaryDir dir;
    const QString trace = writeTrace(dir);
    const QString counts = dir.filePath(QStringLiteral("counts.csv"));
    QFile c(counts);
    QVERIFY(c.open(QIODevice::WriteOnly));
    c.write("layer_id,expert_id,count\n");
    for (int l = 0; l < 4; ++l)
        for (int e = 0; e < 32; ++e)
            c.write(QByteArray::number(l) + ',' + QByteArray::number(e) + ',' + QByteArray::number(1 + e * e) + '\n');
    c.close();
    ExpertsPage page;
    page.openTrace(trace);
    check(page);
    page.controls()->useCountsForBalance(counts, 8, 3);
    page.waitUntilIdle();
    const auto run = page.run();
    QVERIFY(run);
    QVERIFY(run->settings.balanced);
    QCOMPARE(run->settings.placementCounts, counts);
    QCOMPARE(run->settings.replicas, 3);
    // The same settings computed directly give the same numbers.
    const auto direct = computeExperts(nullptr, run->trace, trace, run->settings, run->budget, nullptr);
    QVERIFY2(direct.ok(), direct.ok() ? "" : direct.error->toString().c_str());
    const auto& a = run->current->results.front();
    const auto& b = (*direct.value)->current->results.front();
    QCOMPARE(a.activated, b.activated);
    QCOMPARE(a.peakDeviceLoad, b.peakDeviceLoad);
    // Contiguous placement is another answer on the busiest device.
    ExpertSettings contiguous = run->settings;
    contiguous.balanced = false;
    contiguous.placementCounts.clear();
    contiguous.replicas = 0;
    const auto other = computeExperts(nullptr, run->trace, trace, contiguous, run->budget, nullptr);
    QVERIFY(other.ok());
    QVERIFY((*other.value)->current->results.front().peakDeviceLoadBase != b.peakDeviceLoadBase);
    // A saved workspace keeps them.
    const auto state = page.workspaceState();
    QCOMPARE(state.replicas, 3);
    QCOMPARE(state.placementCounts, counts.toStdString());
    ExpertsPage reopened;
    reopened.restoreWorkspace(state);
    check(reopened);
    QCOMPARE(reopened.run()->settings.placementCounts, counts);
    QCOMPARE(reopened.run()->settings.replicas, 3);
    QCOMPARE(reopened.run()->current->results.front().peakDeviceLoad, a.peakDeviceLoad);
}

void TestWindowFlows::brokenPlacementFileIsNotKept()
{
    // A placement file that does not fit the trace is named when it is picked, and the placement
    // goes back to the one before; the next computation runs as before.
    QTemporaryDir dir;
    const QString trace = writeTrace(dir);
    QString broken = QString::fromStdString( // 3 experts for a trace of 32
        test::writeFile(dir, QStringLiteral("placement.json"), "{\"placement\": [0, 1, 2]}"));
    ExpertsPage page;
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    page.openTrace(trace);
    check(page);
    auto* box = page.controls()->findChild<QComboBox*>(QStringLiteral("placement"));
    QVERIFY(box);
    QString text;
    QString details;
    bool picked = false;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        if (auto* dialog = qobject_cast<QFileDialog*>(w)) {
            choose(dialog, broken);
            picked = true;
            return true;
        }
        if (auto* message = qobject_cast<QMessageBox*>(w)) {
            text = message->text();
            details = message->detailedText();
            message->accept();
            return true;
        }
        return false;
    }));
    box->setCurrentIndex(1); // balanced by the trace's own loads: the placement to go back to
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->settings.balanced, 60000);
    page.waitUntilIdle();
    const ExpertRun* before = page.run().get();
    box->setCurrentIndex(box->count() - 1); // "from a placement file…"
    QTRY_VERIFY(picked);
    QTRY_VERIFY(!text.isEmpty());
    QVERIFY2(text.contains(QStringLiteral("placement.json")) && !text.contains(dir.path()), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("stays \"balanced\"")), qPrintable(text));
    QVERIFY2(details.contains(broken), qPrintable(details)); // the full path under details
    QCOMPARE(box->currentIndex(), 1);
    QTest::qWait(400); // past the page's pause before computing: a refused file starts nothing
    QVERIFY(!page.busy());
    QCOMPARE(page.run().get(), before);

    // A file for more devices than are set is taken: the devices may be raised after it.
    QByteArray sixteen = "{\"placement\": [0";
    for (int e = 1; e < 32; ++e)
        sixteen += ',' + QByteArray::number(e % 16);
    const QString wide = QString::fromStdString(test::writeFile(dir, QStringLiteral("wide.json"), sixteen + "]}"));
    broken = wide;
    picked = false;
    text.clear();
    box->setCurrentIndex(box->count() - 1);
    QTRY_VERIFY(picked);
    QTest::qWait(200);
    QVERIFY2(text.isEmpty(), qPrintable(text));
    QCOMPARE(page.controls()->settings().placementFile, wide);
    page.controls()->findChild<QSpinBox*>(QStringLiteral("devices"))->setValue(16);
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->settings.placementFile == wide, 60000);
    page.waitUntilIdle();
    QCOMPARE(page.run()->settings.devices, 16);
    box->setCurrentIndex(0);
    page.controls()->findChild<QSpinBox*>(QStringLiteral("devices"))->setValue(0);
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->settings.placementFile.isEmpty(), 60000);
    page.waitUntilIdle();
    QVERIFY(page.controls()->settings().placementFile.isEmpty());
    page.controls()->setBudget(page.controls()->budget() + 1);
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->budget == page.controls()->budget(), 60000);
    page.waitUntilIdle();
    QVERIFY(page.run()->settings.placementFile.isEmpty());

    // A placement that fits this trace is taken; the next trace, of 16 experts, lets it go.
    QByteArray devices = "{\"placement\": [0";
    for (int e = 1; e < 32; ++e)
        devices += ',' + QByteArray::number(e % 8);
    const QString fits = QString::fromStdString(test::writeFile(dir, QStringLiteral("fits.json"), devices + "]}"));
    page.controls()->usePlacementFile(fits);
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->settings.placementFile == fits, 60000);
    page.waitUntilIdle();
    const QString small = writeTrace(dir, 16, QStringLiteral("small.safetensors"));
    text.clear();
    details.clear();
    page.openTrace(small);
    QTRY_VERIFY_WITH_TIMEOUT(page.run() && page.run()->trace->experts == 16, 60000);
    page.waitUntilIdle();
    QTRY_VERIFY(!text.isEmpty());
    QVERIFY2(
        text.contains(QStringLiteral("fits.json")) && text.contains(QStringLiteral("contiguous")), qPrintable(text));
    QVERIFY2(details.contains(fits), qPrintable(details));
    QCOMPARE(box->currentIndex(), 0);
    QVERIFY(page.run()->settings.placementFile.isEmpty());
}

void TestWindowFlows::routerTraceIsNotARun()
{
    // Router records dropped on a run's box are named as a trace, not offered as columns.
    QTemporaryDir dir;
    const QString trace = dir.filePath(QStringLiteral("routing.jsonl"));
    QFile f(trace);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"problem_id": 0, "layer": 0, "token_idx": 0, "experts": [1, 2], "gating_probs": [0.6, 0.4]})"
            "\n");
    f.close();
    DegradationPage page;
    page.compare(trace, demo("candidate"), false);
    page.waitUntilIdle();
    QVERIFY(!page.comparison());
    QVERIFY2(page.lastError().contains(QStringLiteral("router trace")), qPrintable(page.lastError()));
    QVERIFY(page.lastError().contains(QStringLiteral("Expert sharing")));
    // A score table with a "layer" column but no experts is still a table.
    QVERIFY(!moe::looksLikeRouterRecords(R"({"id": "a", "layer": 3, "score": 1})"));
    QVERIFY(moe::looksLikeRouterRecords(R"({"layer_idx": 3, "topk_ids": [1]})"));
}

void TestWindowFlows::keepListAndRerunsReachTheComparison()
{
    installEnglishPlurals(); // as the program does
    DegradationPage page;
    page.compare(demo("baseline"), demo("candidate"), false);
    page.waitUntilIdle();
    QVERIFY(page.comparison());
    const auto& task = page.comparison()->report.tasks.front();
    QTemporaryDir dir;
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    QFile f(keep);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QStringLiteral(
        R"({"format": "deltascope-keep-list", "version": 1, "samples": [{"task": "%1", "filter": "%2", "doc_id": "0"}]})")
                .arg(QString::fromStdString(task.task), QString::fromStdString(task.filter))
                .toUtf8());
    f.close();
    auto* extra = page.findChild<ExtraInputsButton*>();
    QVERIFY(extra);
    QSignalSpy status(&page, &DegradationPage::statusMessage);
    extra->setKeepList(keep);
    extra->addRerun(false, demo("baseline"));
    page.waitUntilIdle();
    QVERIFY2(page.comparison(), qPrintable(page.lastError()));
    // The status line counts the tasks compared; the samples the keep-list excludes are pairs
    // tested apart, not more tasks.
    const QString summary = status.last().at(0).toString();
    QVERIFY2(summary.contains(QStringLiteral(": 1 task, ")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral(" pairs (%1 excluded by the keep-list, tested apart), ")
                                  .arg(QLocale().toString(qlonglong(page.comparison()->pairCount() - 1)))),
        qPrintable(summary));
    const auto& request = page.comparison()->analysis.request;
    QCOMPARE(request.keepListPath, keep.toStdString());
    QCOMPARE(request.base.reruns, std::vector<std::string> { demo("baseline").toStdString() });
    QVERIFY(request.cand.reruns.empty());
    QVERIFY(page.comparison()->analysis.loaded->keepList);
    QVERIFY(extra->toolTip().contains(keep));
    QVERIFY(extra->text().startsWith(QStringLiteral("keep-list ")));
    // A long keep-list name is cut to the button's width, whole in the tooltip.
    const QString longName = dir.filePath(QStringLiteral("results_2025-04-30T18-24-41.082644-keep-list.json"));
    QVERIFY(QFile::copy(keep, longName));
    {
        const QSignalBlocker quiet(extra); // only the label is looked at here
        extra->setKeepList(longName);
    }
    QVERIFY2(extra->fontMetrics().horizontalAdvance(extra->text()) <= 30 * extra->fontMetrics().averageCharWidth(),
        qPrintable(extra->text()));
    QVERIFY(extra->toolTip().contains(longName));
    {
        const QSignalBlocker quiet(extra);
        extra->setKeepList(keep);
    }
    // A saved workspace keeps the keep-list.
    const auto state = page.workspaceState();
    QCOMPARE(state.keepList, keep.toStdString());
    DegradationPage reopened;
    reopened.restoreWorkspace(state);
    reopened.waitUntilIdle();
    QVERIFY(reopened.comparison());
    QCOMPARE(reopened.comparison()->analysis.request.keepListPath, keep.toStdString());
    // Only some tasks, with a metric chosen: the command line's --task and --metric.
    const int tasksBefore = static_cast<int>(page.comparison()->report.tasks.size());
    LoadSelection only;
    only.tasks = { QStringLiteral("hellaswag"), QStringLiteral("arc_easy") };
    only.metrics = { { "hellaswag", "acc_norm" } };
    extra->setSelection(only);
    page.waitUntilIdle();
    QVERIFY2(page.comparison(), qPrintable(page.lastError()));
    QVERIFY(tasksBefore > 2);
    // The keep-list is still set: each task's excluded samples form a row of their own (a task the
    // list keeps nothing of has only that row).
    std::set<std::string> names;
    for (const auto& t : page.comparison()->report.tasks)
        names.insert(t.task);
    QCOMPARE(names.size(), std::size_t(2));
    QCOMPARE(page.comparison()->analysis.request.cand.load.metrics.at("hellaswag"), std::string("acc_norm"));
    for (const auto& t : page.comparison()->report.tasks)
        QVERIFY(t.task == "hellaswag" || t.task == "arc_easy");
    {
        // A saved workspace keeps the tasks, metrics and reruns chosen, through its file.
        QTemporaryDir wsDir;
        const std::string file = wsDir.filePath(QStringLiteral("w.deltascope")).toStdString();
        workspace::Workspace w;
        w.degradation = page.workspaceState();
        QCOMPARE(workspace::writeWorkspace(file, w), std::string());
        const auto read = workspace::readWorkspace(file);
        QVERIFY2(read.ok(), read.ok() ? "" : read.error->toString().c_str());
        DegradationPage again;
        again.restoreWorkspace(read.value->degradation);
        again.waitUntilIdle();
        QVERIFY2(again.comparison(), qPrintable(again.lastError()));
        const auto& load = again.comparison()->analysis.request.cand.load;
        QCOMPARE(load.tasks, (std::vector<std::string> { "hellaswag", "arc_easy" }));
        QCOMPARE(load.metrics, (std::map<std::string, std::string> { { "hellaswag", "acc_norm" } }));
        QCOMPARE(again.comparison()->analysis.request.base.reruns,
            std::vector<std::string> { demo("baseline").toStdString() });
        QCOMPARE(again.findChild<ExtraInputsButton*>()->selection().tasks, only.tasks);
        // Other runs (a recent pair, the demo) start without the choices made for these.
        LoadSelection helm;
        helm.tasks = { QStringLiteral("bbq:subject=all,method=multiple_choice_joint") };
        again.findChild<ExtraInputsButton*>()->setSelection(helm);
        again.waitUntilIdle();
        again.compareAnew(demo("baseline"), demo("candidate"), false);
        again.waitUntilIdle();
        QVERIFY2(again.comparison(), qPrintable(again.lastError()));
        QVERIFY(again.comparison()->analysis.request.cand.load.tasks.empty());
        QVERIFY(again.comparison()->analysis.request.keepListPath.empty());
        QVERIFY(again.findChild<ExtraInputsButton*>()->selection().empty());
    }
    std::map<std::string, std::string> metrics;
    QString why;
    QVERIFY(!parseMetricChoices(QStringLiteral("hellaswag"), metrics, why));
    QVERIFY(why.contains(QStringLiteral("TASK=METRIC")));
    // HELM run names hold ',' and '=': they stay whole, and the metric follows the last '='.
    QVERIFY2(parseMetricChoices(QStringLiteral("bbq:subject=all,method=multiple_choice_joint=exact_match, "
                                               "hellaswag=acc_norm, narrative_qa:model=openai_gpt2=f1_score"),
                 metrics, why),
        qPrintable(why));
    QCOMPARE(metrics,
        (std::map<std::string, std::string> { { "bbq:subject=all,method=multiple_choice_joint", "exact_match" },
            { "hellaswag", "acc_norm" }, { "narrative_qa:model=openai_gpt2", "f1_score" } }));
    QVERIFY(!parseMetricChoices(QStringLiteral("bbq:subject=all,method=multiple_choice_joint"), metrics, why));
    QCOMPARE(splitTaskList(QStringLiteral("bbq:subject=all,method=multiple_choice_joint, mmlu,gsm8k")),
        (QStringList { QStringLiteral("bbq:subject=all,method=multiple_choice_joint"), QStringLiteral("mmlu"),
            QStringLiteral("gsm8k") }));
    extra->setSelection({});
    page.waitUntilIdle();
    const auto shown = page.comparison();
    QVERIFY(shown);
    // A keep-list that cannot be read, or a task name that matches nothing, is an error; the
    // comparison of the same runs stays, with the inputs it was made with.
    extra->setKeepList(dir.filePath(QStringLiteral("missing.json")));
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), shown);
    QVERIFY(page.lastError().contains(QStringLiteral("missing.json")));
    QCOMPARE(extra->keepList(), keep);
    LoadSelection typo;
    typo.tasks = { QStringLiteral("hellaswagg") };
    extra->setSelection(typo);
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), shown);
    QVERIFY2(page.lastError().contains(QStringLiteral("hellaswagg")), qPrintable(page.lastError()));
    QVERIFY(extra->selection().tasks.isEmpty());
    QVERIFY(!extra->text().contains(QStringLiteral("1 task")));
    // Cancelled, a load with new inputs leaves the comparison and its inputs as they were.
    LoadSelection other;
    other.tasks = { QStringLiteral("mmlu") };
    extra->setSelection(other);
    page.cancel();
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), shown);
    QVERIFY(extra->selection().tasks.isEmpty());
    // The inputs put back are those compared: a change now compares them again.
    extra->clearReruns();
    page.waitUntilIdle();
    QVERIFY(page.comparison() && page.comparison() != shown);
    QCOMPARE(page.comparison()->analysis.request.keepListPath, keep.toStdString());
    QVERIFY(page.comparison()->analysis.request.base.reruns.empty());
    // Other runs that fail to load leave it too, with the runs it was made with in the boxes.
    const auto before = page.comparison();
    const QString cand = cutCandidate(dir);
    QVERIFY(!cand.isEmpty());
    page.compare(demo("baseline"), cand, false);
    page.waitUntilIdle();
    QCOMPARE(page.comparison(), before);
    QCOMPARE(page.workspaceState().cand.path, demo("candidate").toStdString());
    QCOMPARE(extra->keepList(), keep);
}

void TestWindowFlows::exportedJsonIsTheCommandLines()
{
    // The window's defaults are the command line's: the same trace gives the same JSON, every
    // budget, byte for byte once parsed.
    QTemporaryDir dir;
    const QString trace = writeTrace(dir);
    ExpertsPage page;
    page.openTrace(trace);
    check(page);
    const QString json = dir.filePath(QStringLiteral("window.json"));
    QCOMPARE(exporter::expertsJson(json, *page.run()), QString());
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto window = QJsonDocument::fromJson(f.readAll());
    f.close();
    QProcess cli;
    cli.start(QStringLiteral(DELTASCOPE_CLI),
        { QStringLiteral("xshare"), trace, QStringLiteral("--format"), QStringLiteral("json"),
            QStringLiteral("--backend"), QStringLiteral("cpu") });
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    const auto expected = QJsonDocument::fromJson(cli.readAllStandardOutput());
    QVERIFY(!expected.isNull());
    QCOMPARE(window.object().value(QStringLiteral("results")).toArray().size(), 32 - 4 + 1);
    QCOMPARE(window, expected);

    // A trace with recorded batches: both use them unless told to replay.
    moe::SynthOptions o;
    o.requests = 12;
    o.tokensPerRequest = 8;
    o.layers = 2;
    o.experts = 16;
    o.topK = 2;
    auto stepped = moe::makeSyntheticTrace(o);
    stepped.stepId.resize(static_cast<std::size_t>(stepped.tokens));
    for (std::size_t t = 0; t < stepped.stepId.size(); ++t)
        stepped.stepId[t] = static_cast<std::int32_t>(t / 5); // five tokens a step
    const QString steppedPath = dir.filePath(QStringLiteral("stepped.safetensors"));
    QCOMPARE(moe::writeTraceFile(steppedPath.toStdString(), stepped), std::string());
    ExpertsPage recorded;
    recorded.openTrace(steppedPath);
    check(recorded);
    QCOMPARE(QString::fromStdString(recorded.run()->batches->mode), QStringLiteral("recorded"));
    QCOMPARE(exporter::expertsJson(json, *recorded.run()), QString());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto windowStepped = QJsonDocument::fromJson(f.readAll());
    f.close();
    cli.start(QStringLiteral(DELTASCOPE_CLI),
        { QStringLiteral("xshare"), steppedPath, QStringLiteral("--format"), QStringLiteral("json"),
            QStringLiteral("--backend"), QStringLiteral("cpu") });
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    QCOMPARE(windowStepped, QJsonDocument::fromJson(cli.readAllStandardOutput()));
}

void TestWindowFlows::warningsAreGrouped()
{
    // Eleven skipped records of one file: one line with the count and the first lines, the file
    // by its name; the full paths are for the details.
    std::vector<Diagnostic> all;
    for (int i = 0; i < 11; ++i)
        all.push_back(Diagnostic::warning("/very/long/path/samples_mmlu.jsonl", 10 + i, "skipped a malformed record"));
    all.push_back(Diagnostic::warning("/very/long/path/results.json", 0, "no higher_is_better for acc"));
    const QString text = summarizeProblems(all);
    QCOMPARE(text.split(QLatin1Char('\n')).size(), 2);
    QVERIFY2(text.startsWith(
                 QStringLiteral("• samples_mmlu.jsonl: 11 × skipped a malformed record (line 10, 11, 12, 13, …)")),
        qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("\n• results.json: no higher_is_better for acc")));
    QVERIFY(!text.contains(QStringLiteral("/very/long")));
    QCOMPARE(shortProblem(Diagnostic::error("/a/b/c.csv", 3, "cannot read /a/b/c.csv")),
        QStringLiteral("c.csv:3: cannot read c.csv"));
    // A message that points at "this line" names it, rather than a "(line N)" after it.
    QCOMPARE(summarizeProblems({ Diagnostic::warning("/t/x.csv", 151,
                 "1 row(s) with a NaN score left out of the comparison (the first is on this line)") }),
        QStringLiteral("x.csv: 1 row(s) with a NaN score left out of the comparison (the first is on line 151)"));
}

void TestWindowFlows::npyTraceOpensWithImportOptions()
{
    // A dense .npy [tokens, layers, experts] says neither the model's k nor the requests: the
    // window asks for them (the command line's --top-k and --tokens-per-request).
    QTemporaryDir dir;
    const QString npy = dir.filePath(QStringLiteral("scores.npy"));
    const int tokens = 24, layers = 2, experts = 8;
    QByteArray header = "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 2, 8), }";
    while ((10 + header.size() + 1) % 64 != 0)
        header.append(' ');
    header.append('\n');
    QByteArray bytes("\x93NUMPY\x01\x00", 8);
    bytes.append(static_cast<char>(header.size() & 0xff));
    bytes.append(static_cast<char>(header.size() >> 8));
    bytes.append(header);
    for (int t = 0; t < tokens; ++t)
        for (int l = 0; l < layers; ++l)
            for (int e = 0; e < experts; ++e) {
                const float v = 1.0f / static_cast<float>(1 + (t * 7 + l * 3 + e * 5) % experts);
                bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
            }
    QFile f(npy);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();

    // Opened over the demo: the failure leaves the demo shown, and the trace box names it.
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    const auto demoRun = page.run();
    QVERIFY(demoRun);
    auto* zone = page.findChild<DropZone*>();
    QVERIFY(zone);
    zone->setPath(npy); // as a drop or the File… button does
    emit zone->pathChosen(npy);
    page.waitUntilIdle();
    QCOMPARE(page.run(), demoRun);
    QVERIFY2(page.lastError().contains(QStringLiteral("top-k")), qPrintable(page.lastError()));
    QVERIFY2(!zone->path().contains(QStringLiteral("scores.npy")), qPrintable(zone->path()));
    // Shown, the page asks for the top-k at once, then reads the array with it.
    {
        ExpertsPage shown;
        shown.resize(1000, 700);
        shown.show();
        bool asked = false;
        std::unique_ptr<QTimer> answer(answerDialogs([&asked](QWidget* w) {
            if (w->objectName() != QStringLiteral("TraceImportDialog"))
                return false;
            asked = true;
            w->findChild<QSpinBox*>()->setValue(2); // the first box: the model's top-k
            qobject_cast<QDialog*>(w)->accept();
            return true;
        }));
        shown.openTrace(npy);
        QTRY_VERIFY_WITH_TIMEOUT(shown.run() != nullptr, 30000);
        QVERIFY(asked);
        QCOMPARE(shown.run()->trace->topK, 2);
    }
    // Import options then read the trace that failed, not the demo.
    TraceImport import;
    import.topK = 2;
    import.options.tokensPerRequest = 4;
    page.setTraceImport(import); // reads the trace again
    check(page);
    QCOMPARE(page.run()->trace->topK, 2);
    QCOMPARE(requestCount(*page.run()->trace), 6);
    // Each step's six tokens fall on two score patterns, 4 experts in all: the default 2k = 4
    // changes nothing, so the trace opens at the largest budget that does.
    QCOMPARE(page.run()->budget, 3);
    QVERIFY(page.run()->current->results.front().activated < page.run()->current->results.front().activatedBase);
}

void TestWindowFlows::traceErrorNamesTheFile()
{
    // The dialog says which file by its name; the full path is in the details.
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("broken.safetensors"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a safetensors file at all");
    f.close();
    ExpertsPage page;
    page.resize(1200, 800);
    page.show();
    QString text;
    QString details;
    std::unique_ptr<QTimer> answer(readMessageBox(text, details));
    page.openTrace(bad);
    QTRY_VERIFY_WITH_TIMEOUT(!text.isEmpty(), 30000);
    QVERIFY2(text.startsWith(QStringLiteral("broken.safetensors")), qPrintable(text));
    QVERIFY2(!text.contains(dir.path()), qPrintable(text));
    QVERIFY(details.contains(bad));
    QVERIFY(page.lastError().contains(bad));
}

void TestWindowFlows::traceWarningsOpenFromTheFacts()
{
    // A trace read with a malformed record skipped: the facts line links its warning, and the link
    // opens every warning with its file and line.
    QTemporaryDir dir;
    const QString jsonl = dir.filePath(QStringLiteral("routes.jsonl"));
    QFile f(jsonl);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"problem_id\": 0, \"layer\": 0, \"experts\": [1, 2], \"gating_probs\": [0.6, 0.4], \"token_idx\": 0}\n"
            "{\"problem_id\": 0, \"layer\": 0, \"experts\": [1, \n"
            "{\"problem_id\": 0, \"layer\": 0, \"experts\": [0, 3], \"gating_probs\": [0.7, 0.3], \"token_idx\": 1}\n");
    f.close();
    installEnglishPlurals();
    ExpertsPage page;
    TraceImport import;
    import.options.skipBadLines = true;
    page.setTraceImport(import);
    page.resize(1200, 800);
    page.show();
    page.openTrace(jsonl);
    page.waitUntilIdle();
    QVERIFY(page.run());
    auto* facts = page.findChild<QLabel*>(QStringLiteral("traceFacts"));
    QVERIFY(facts);
    QVERIFY2(facts->text().contains(QStringLiteral("<a href='#warnings'><b>1 warning</b></a> while reading")),
        qPrintable(facts->text()));
    QVERIFY(facts->textInteractionFlags() & Qt::LinksAccessibleByMouse);
    QString text;
    QString details;
    std::unique_ptr<QTimer> answer(readMessageBox(text, details));
    emit facts->linkActivated(QStringLiteral("#warnings"));
    QVERIFY2(text.startsWith(QStringLiteral("1 warning while reading the trace")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("routes.jsonl")), qPrintable(text));
    QVERIFY2(details.contains(jsonl + QStringLiteral(":2")), qPrintable(details));
}

void TestWindowFlows::traceErrorOffersImportOptions()
{
    // JSONL records the import options could read otherwise: the error dialog offers them, and the
    // button opens them; a broken safetensors file (nothing to set) gets no such button.
    QTemporaryDir dir;
    const QString jsonl = dir.filePath(QStringLiteral("routes.jsonl"));
    QFile f(jsonl);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"req\": 1, \"lyr\": 0, \"pos\": 0, \"ids\": [1, 2], \"w\": [0.5, 0.5]}\n");
    f.close();
    ExpertsPage page;
    page.resize(1200, 800);
    page.show();
    QString text;
    bool offered = false;
    bool opened = false;
    std::unique_ptr<QTimer> answer(answerDialogs([&](QWidget* w) {
        if (auto* box = qobject_cast<QMessageBox*>(w)) {
            text = box->text();
            for (QAbstractButton* b : box->buttons())
                if (b->text() == QStringLiteral("Import options…")) {
                    offered = true;
                    b->click();
                    return true;
                }
            box->accept();
            return true;
        }
        if (qobject_cast<TraceImportDialog*>(w)) {
            opened = true;
            qobject_cast<QDialog*>(w)->reject();
            return true;
        }
        return false;
    }));
    page.openTrace(jsonl);
    QTRY_VERIFY_WITH_TIMEOUT(opened || (!text.isEmpty() && !offered), 30000);
    QVERIFY2(offered && opened, qPrintable(text));
    QVERIFY2(text.startsWith(QStringLiteral("routes.jsonl:1")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Import options… set how the trace is read")), qPrintable(text));
    QVERIFY(importOptionsCanHelp(jsonl, page.lastError()));
    QVERIFY(!importOptionsCanHelp(dir.filePath(QStringLiteral("t.safetensors")), page.lastError()));
    QVERIFY(!importOptionsCanHelp(
        dir.filePath(QStringLiteral("gone.jsonl")), QStringLiteral("gone.jsonl: error: no such file")));
}

QTEST_MAIN(TestWindowFlows)
#include "tst_windowflows.moc"
