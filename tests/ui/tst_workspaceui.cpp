// SPDX-License-Identifier: GPL-3.0-or-later
// Saved workspaces through the window: everything both workspaces hold comes back from a
// .deltascope file, changed inputs are reported, and the autosave offers recovery after a crash.
#include "MainWindow.h"
#include "TestData.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DegradationPage.h"
#include "experts/ExpertsPage.h"

#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

using namespace deltascope;
using namespace deltascope::ui;

namespace {

// A copy of the demo runs the test may change.
bool copyTree(const QString& from, const QString& to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString f = it.next();
        const QString target = to + QStringLiteral("/") + QDir(from).relativeFilePath(f);
        if (!QDir().mkpath(QFileInfo(target).absolutePath()) || !QFile::copy(f, target))
            return false;
    }
    return true;
}

void waitIdle(MainWindow& w)
{
    w.degradation()->waitUntilIdle();
    w.experts()->waitUntilIdle();
    QCoreApplication::processEvents();
}

} // namespace

class TestWorkspaceUi : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void saveAndRestoreEverything();
    void changedInputsAreReported();
    void badWorkspaceSaysWhy();
    void autosaveAndRecovery();
    void statsSettingsStartAtTheDefaults();
};

void TestWorkspaceUi::saveAndRestoreEverything()
{
    QTemporaryDir dir;
    MainWindow a;
    a.openDemo(false);
    a.experts()->openDemo();
    waitIdle(a);
    QVERIFY(a.degradation()->comparison());
    QVERIFY(a.experts()->run());
    // Settings away from their defaults, on both pages.
    auto d = a.degradation()->workspaceState();
    QVERIFY(!d.base.path.empty());
    d.alpha = 0.01;
    d.onlyWorse = true;
    d.plot = 2;
    d.taskFilter = "a";
    d.targetDrop = 0.03;
    d.selectedTask = a.degradation()->comparison()->report.tasks.back().key();
    a.degradation()->restoreWorkspace(d);
    auto e = a.experts()->workspaceState();
    QCOMPARE(e.trace, std::string("demo"));
    e.policy = "ep";
    e.devices = 4;
    e.budget = 13;
    e.view = 2;
    e.requests = "0-9";
    a.experts()->restoreWorkspace(e);
    a.showExperts();
    waitIdle(a);
    QCOMPARE(a.degradation()->comparison()->report.alpha, 0.01);
    QCOMPARE(a.experts()->run()->budget, 13);

    const QString path = dir.filePath(QStringLiteral("analysis.deltascope"));
    QCOMPARE(a.saveWorkspace(path), QString());
    const auto saved = a.workspaceState();

    MainWindow b;
    QStringList changed;
    QCOMPARE(b.openWorkspace(path, &changed), QString());
    QVERIFY2(changed.isEmpty(), qPrintable(changed.join(QLatin1Char('\n'))));
    waitIdle(b);
    const auto back = b.workspaceState();
    // The same state, key for key (the JSON of both, inputs included).
    QCOMPARE(QString::fromStdString(workspace::toJson(back)), QString::fromStdString(workspace::toJson(saved)));
    // And the same results.
    QVERIFY(b.degradation()->comparison());
    QCOMPARE(b.degradation()->comparison()->pairCount(), a.degradation()->comparison()->pairCount());
    QCOMPARE(b.degradation()->comparison()->report.degraded, a.degradation()->comparison()->report.degraded);
    QCOMPARE(b.degradation()->comparison()->report.alpha, 0.01);
    QVERIFY(b.experts()->run());
    QCOMPARE(b.experts()->run()->budget, 13);
    QCOMPARE(b.experts()->run()->settings.policy, moe::Policy::ExpertParallel);
    QCOMPARE(
        b.experts()->run()->current->results.front().activated, a.experts()->run()->current->results.front().activated);
}

void TestWorkspaceUi::changedInputsAreReported()
{
    QTemporaryDir dir;
    const QString base = dir.filePath(QStringLiteral("base"));
    const QString cand = dir.filePath(QStringLiteral("cand"));
    QVERIFY(copyTree(MainWindow::demoDirectory() + QStringLiteral("/baseline"), base));
    QVERIFY(copyTree(MainWindow::demoDirectory() + QStringLiteral("/candidate"), cand));
    MainWindow a;
    a.degradation()->compare(base, cand, false);
    waitIdle(a);
    QVERIFY(a.degradation()->comparison());
    const QString path = dir.filePath(QStringLiteral("w.deltascope"));
    QCOMPARE(a.saveWorkspace(path), QString());

    // A file added to the candidate folder after saving.
    QFile extra(cand + QStringLiteral("/notes.txt"));
    QVERIFY(extra.open(QIODevice::WriteOnly));
    extra.write("rerun with a new seed\n");
    extra.close();
    MainWindow b;
    QStringList changed;
    QCOMPARE(b.openWorkspace(path, &changed), QString());
    QCOMPARE(changed.size(), 1);
    QVERIFY(changed.front().startsWith(QStringLiteral("candidate ")));
    QVERIFY(changed.front().contains(QStringLiteral("changed since")));
    waitIdle(b);
    QVERIFY(b.degradation()->comparison()); // still loads
}

void TestWorkspaceUi::badWorkspaceSaysWhy()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("bad.deltascope"),
        QByteArray("{\n  \"deltascope_workspace\": 1,\n  \"experts\": {\"policy\": 3}\n}\n"));
    MainWindow w;
    const QString why = w.openWorkspace(QString::fromStdString(path));
    QVERIFY(why.contains(QStringLiteral("bad.deltascope:3")));
    QVERIFY(why.contains(QStringLiteral("policy must be a string")));
    QVERIFY(
        w.openWorkspace(dir.filePath(QStringLiteral("none.deltascope"))).contains(QStringLiteral("none.deltascope")));
}

void TestWorkspaceUi::autosaveAndRecovery()
{
    const QString autosave = MainWindow::autosavePath();
    QFile::remove(autosave);
    QFile::remove(autosave + QStringLiteral(".previous"));
    {
        MainWindow a;
        a.enableAutosave(1);
        a.openDemo(false);
        waitIdle(a);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(autosave), 5000);
        // A crash: the window goes away without a close event; the autosave stays.
    }
    QVERIFY(QFile::exists(autosave));
    {
        MainWindow b;
        b.show();
        // Answer the recovery question with Yes.
        QTimer::singleShot(50, [] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (box)
                box->button(QMessageBox::Yes)->click();
        });
        QVERIFY(b.offerRecovery());
        waitIdle(b);
        QVERIFY(b.degradation()->comparison());
        QVERIFY(!QFile::exists(autosave));
        QVERIFY(QFile::exists(autosave + QStringLiteral(".previous")));
        // Nothing to offer the next time.
        QVERIFY(!b.offerRecovery());
        b.enableAutosave(1);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(autosave), 5000);
        b.close(); // a normal close removes it
        QVERIFY(!QFile::exists(autosave));
    }
}

QTEST_MAIN(TestWorkspaceUi)
void TestWorkspaceUi::statsSettingsStartAtTheDefaults()
{
    // An alpha, permutation count or seed chosen in one window does not carry over to the next:
    // the same inputs get the command line's verdict in every new session.
    {
        DegradationPage page;
        auto* panel = page.findChild<AggregatePanel*>();
        QVERIFY(panel);
        auto* alpha = panel->findChild<QDoubleSpinBox*>();
        QVERIFY(alpha);
        alpha->setValue(0.2);
        emit panel->alphaChanged(0.2);
        emit panel->permutationRequested(1000000, 7);
    }
    DegradationPage fresh;
    auto* panel = fresh.findChild<AggregatePanel*>();
    QVERIFY(panel);
    QCOMPARE(panel->alpha(), 0.05);
    QCOMPARE(panel->permutations(), 10000);
    QCOMPARE(panel->seed(), 0);
}

#include "tst_workspaceui.moc"
