// SPDX-License-Identifier: GPL-3.0-or-later
#include "deltascope/config.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

// The window's command-line modes, run as a user (or CI) would: offscreen, no display.
class TestGuiApp : public QObject {
    Q_OBJECT
private slots:
    void screenshotOfTheDemo();
    void reportWithoutWindow();
    void badInputExitsTwo();
    void marginExitsWithTheVerdict();
    void expertWorkspaceScreenshot();
    void malformedRecordStopsOrIsSkipped();
    void workspaceFileOnTheCommandLine();
    void traceRendersWithoutABudget_data();
    void traceRendersWithoutABudget();
    void countsRenderAndReport();
    void helpAndVersionWithoutADisplay_data();
    void helpAndVersionWithoutADisplay();
    void headlessRunsWithoutADisplay();
    void headlessRunPrintsNoPlatformNotes();
    void helpNamesEveryPlot();

private:
    static int run(const QStringList& args, QByteArray* err = nullptr, bool leakCheck = true)
    {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        // LeakSanitizer's tracer itself crashes at the exit of the PDF export in the fresh Debian
        // CI root ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error"):
        // that run keeps ASan and UBSan but not the leak check.
        if (!leakCheck && env.contains(QStringLiteral("ASAN_OPTIONS")))
            env.insert(QStringLiteral("ASAN_OPTIONS"),
                env.value(QStringLiteral("ASAN_OPTIONS")) + QStringLiteral(":detect_leaks=0"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("DELTASCOPE_DEMO_DIR"), QStringLiteral(DELTASCOPE_DEMO_DIR));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(DELTASCOPE_GUI_APP), args);
        if (!p.waitForFinished(120000))
            return -1;
        if (err)
            *err = p.readAllStandardError();
        return p.exitCode();
    }
};

void TestGuiApp::screenshotOfTheDemo()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("shot.png"));
    // The demo's candidate is worse: exit status 1, like the command-line tool.
    QCOMPARE(run({ QStringLiteral("--demo"), QStringLiteral("--screenshot"), png, QStringLiteral("--size"),
                 QStringLiteral("1280x800") }),
        1);
    const QImage image(png);
    QCOMPARE(image.size(), QSize(1280, 800));
    // Not a blank window: many distinct colours (tables, plots, text).
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 40, qPrintable(QString::number(colours.size())));
}

void TestGuiApp::reportWithoutWindow()
{
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("report.html"));
    QCOMPARE(run({ QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline"), QStringLiteral(DELTASCOPE_DEMO_DIR "/candidate"),
                 QStringLiteral("--export-report"), html }),
        1);
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.startsWith("<!DOCTYPE html>"));
    QVERIFY(text.contains("DEGRADED: the candidate is worse than the baseline"));
    QCOMPARE(text.count("data:image/png;base64,"), 4); // every plot embedded
    const QString pdf = dir.filePath(QStringLiteral("report.pdf"));
    // On failure the program's own words (an abort's message, a sanitizer's report) are shown.
    QByteArray err;
    const int status = run({ QStringLiteral("--demo"), QStringLiteral("--export-report"), pdf }, &err, false);
    QVERIFY2(status == 1,
        qPrintable(QStringLiteral("exit %1: %2").arg(status).arg(QString::fromLocal8Bit(err.right(4000)))));
    QFile p(pdf);
    QVERIFY(p.open(QIODevice::ReadOnly));
    QCOMPARE(p.read(5), QByteArray("%PDF-"));
}

void TestGuiApp::badInputExitsTwo()
{
    QTemporaryDir dir;
    QByteArray err;
    const QString out = dir.filePath(QStringLiteral("r.html"));
    QCOMPARE(run({ dir.filePath(QStringLiteral("nope")), dir.filePath(QStringLiteral("nope2")),
                     QStringLiteral("--export-report"), out },
                 &err),
        2);
    QVERIFY2(err.contains("nope"), err.constData());
    QVERIFY(!QFile::exists(out));
    QCOMPARE(run({ QStringLiteral("--screenshot"), out }, &err), 2);
    // The report's format follows its extension: any other is refused before anything is written.
    const QString txt = dir.filePath(QStringLiteral("r.txt"));
    QCOMPARE(run({ QStringLiteral("--demo"), QStringLiteral("--export-report"), txt }, &err), 2);
    QVERIFY2(err.contains("--export-report writes FILE.html or FILE.pdf"), err.constData());
    QVERIFY(!QFile::exists(txt));

    // The headless modes never write over what they read: an input file, or a file already inside
    // an input folder. Both refusals leave the file as it was.
    const QString table = dir.filePath(QStringLiteral("cand.csv"));
    QFile t(table);
    QVERIFY(t.open(QIODevice::WriteOnly));
    t.write("id,score\n1,1\n2,0\n");
    t.close();
    QCOMPARE(run({ table, table, QStringLiteral("--export-report"), table }, &err), 2);
    QVERIFY2(err.contains("is one of the inputs"), err.constData());
    QDir().mkpath(dir.filePath(QStringLiteral("run")));
    const QString inside = dir.filePath(QStringLiteral("run/cand.csv"));
    QVERIFY(QFile::copy(table, inside));
    QCOMPARE(run({ table, dir.filePath(QStringLiteral("run")), QStringLiteral("--screenshot"), inside }, &err), 2);
    QVERIFY2(err.contains("inside the input folder"), err.constData());
    for (const QString& f : { table, inside }) {
        QFile in(f);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QCOMPARE(in.readAll(), QByteArray("id,score\n1,1\n2,0\n"));
    }
}

void TestGuiApp::marginExitsWithTheVerdict()
{
    // The baseline against itself: 0.01 points cannot be shown with these samples (inconclusive,
    // 3), 5 points can (0); the demo's candidate is degraded whatever the margin (1).
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("r.html"));
    const QString base = QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline");
    QByteArray err;
    QCOMPARE(
        run({ base, base, QStringLiteral("--margin"), QStringLiteral("0.01"), QStringLiteral("--export-report"), html },
            &err),
        3);
    QCOMPARE(
        run({ base, base, QStringLiteral("--margin"), QStringLiteral("5"), QStringLiteral("--export-report"), html }),
        0);
    QCOMPARE(run({ QStringLiteral("--demo"), QStringLiteral("--margin"), QStringLiteral("5"),
                 QStringLiteral("--export-report"), html }),
        1);
    QCOMPARE(
        run({ base, base, QStringLiteral("--margin"), QStringLiteral("five"), QStringLiteral("--export-report"), html },
            &err),
        2);
    QVERIFY2(err.contains("--margin") && err.contains("five"), err.constData());
    // --cluster reaches the loader: a key no item has is an error naming it.
    QCOMPARE(run({ base, base, QStringLiteral("--cluster"), QStringLiteral("no_such_field"),
                     QStringLiteral("--export-report"), html },
                 &err),
        2);
    QVERIFY2(err.contains("no_such_field"), err.constData());
}

void TestGuiApp::expertWorkspaceScreenshot()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("experts.png"));
    QCOMPARE(
        run({ QStringLiteral("--workspace"), QStringLiteral("experts"), QStringLiteral("--demo"),
            QStringLiteral("--budget"), QStringLiteral("12"), QStringLiteral("--plot"), QStringLiteral("budget-sweep"),
            QStringLiteral("--screenshot"), png, QStringLiteral("--size"), QStringLiteral("1200x800") }),
        0);
    QCOMPARE(QImage(png).size(), QSize(1200, 800));
    QByteArray err;
    QCOMPARE(run({ QStringLiteral("--trace"), dir.filePath(QStringLiteral("missing.safetensors")),
                     QStringLiteral("--screenshot"), png },
                 &err),
        2);
    QVERIFY(err.contains("missing.safetensors"));
}

void TestGuiApp::malformedRecordStopsOrIsSkipped()
{
    // A candidate whose mmlu samples end in a cut-off record: named with its line, or skipped.
    QTemporaryDir dir;
    const QString cand = dir.filePath(QStringLiteral("cand"));
    QVERIFY(QProcess::execute(
                QStringLiteral("cp"), { QStringLiteral("-r"), QStringLiteral(DELTASCOPE_DEMO_DIR "/candidate"), cand })
        == 0);
    QString samples;
    QDirIterator it(cand, { QStringLiteral("samples_mmlu_*.jsonl") }, QDir::Files, QDirIterator::Subdirectories);
    if (it.hasNext())
        samples = it.next();
    QVERIFY(!samples.isEmpty());
    QFile f(samples);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray where = ':' + QByteArray::number(f.readAll().count('\n') + 1) + ':';
    f.close();
    QVERIFY(f.open(QIODevice::Append));
    f.write("{\"doc_id\": 5, \"acc\": [1,\n");
    f.close();
    const QString out = dir.filePath(QStringLiteral("r.html"));
    QByteArray err;
    const QStringList inputs { QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline"), cand };
    QCOMPARE(run(inputs + QStringList { QStringLiteral("--export-report"), out }, &err), 2);
    QVERIFY2(err.contains("samples_mmlu_") && err.contains(where), err.constData());
    QVERIFY(!QFile::exists(out));
    QCOMPARE(
        run(inputs + QStringList { QStringLiteral("--skip-bad-lines"), QStringLiteral("--export-report"), out }), 1);
    QFile r(out);
    QVERIFY(r.open(QIODevice::ReadOnly));
    QVERIFY(r.readAll().contains(where)); // the skipped record is listed among the warnings
}

void TestGuiApp::workspaceFileOnTheCommandLine()
{
    // A saved workspace opens from the command line, with the workspace it had in front.
    QTemporaryDir dir;
    const QString ws = dir.filePath(QStringLiteral("experts.deltascope"));
    QFile f(ws);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"deltascope_workspace": 1, "front": "experts",
  "experts": {"trace": "demo", "budget": 14, "policy": "spec", "view": 1}})");
    f.close();
    const QString png = dir.filePath(QStringLiteral("ws.png"));
    const QString html = dir.filePath(QStringLiteral("ws.html"));
    QCOMPARE(run({ ws, QStringLiteral("--screenshot"), png, QStringLiteral("--export-report"), html }), 0);
    QVERIFY(!QImage(png).isNull());
    QFile report(html);
    QVERIFY(report.open(QIODevice::ReadOnly));
    const QByteArray text = report.readAll();
    QVERIFY(text.contains("spec"));
    QVERIFY(text.contains("14"));
    // A broken one names the file and line.
    QFile bad(dir.filePath(QStringLiteral("bad.deltascope")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("{\n\"deltascope_workspace\": 1,\n\"front\": \"sideways\"}");
    bad.close();
    QByteArray err;
    QCOMPARE(run({ bad.fileName(), QStringLiteral("--screenshot"), png }, &err), 2);
    QVERIFY2(err.contains("bad.deltascope:3"), err.constData());
}

// Any valid trace renders and reports headless, computed at the default budget: no --budget
// needed; a single trace argument opens the expert workspace.
void TestGuiApp::traceRendersWithoutABudget_data()
{
    QTest::addColumn<QString>("trace");
    QTest::addColumn<QString>("budget"); // as the headline and report show it
    const QString mixtral
        = QStringLiteral(DELTASCOPE_SHARED_DATA "/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl");
    if (QFileInfo::exists(mixtral))
        // 8 experts, top-2; the default 2k = 4 changes nothing on two requests, so it opens at 3
        QTest::newRow("mixtral-8x7b-jsonl") << mixtral << QStringLiteral("M = 3");
    QTest::newRow("synthetic-safetensors") << QString() << QStringLiteral("M = 8"); // 32 experts, top-4
}

void TestGuiApp::traceRendersWithoutABudget()
{
    QFETCH(QString, trace);
    QFETCH(QString, budget);
    QTemporaryDir dir;
    if (trace.isEmpty()) {
        deltascope::moe::SynthOptions o;
        o.requests = 16;
        o.tokensPerRequest = 24;
        o.layers = 3;
        o.experts = 32;
        o.topK = 4;
        trace = dir.filePath(QStringLiteral("synthetic.safetensors"));
        QCOMPARE(deltascope::moe::writeTraceFile(trace.toStdString(), deltascope::moe::makeSyntheticTrace(o)),
            std::string());
    }
    const QString png = dir.filePath(QStringLiteral("trace.png"));
    const QString html = dir.filePath(QStringLiteral("trace.html"));
    QByteArray err;
    QCOMPARE(run({ QStringLiteral("--trace"), trace, QStringLiteral("--screenshot"), png, QStringLiteral("--size"),
                     QStringLiteral("1200x800") },
                 &err),
        0);
    QCOMPARE(QImage(png).size(), QSize(1200, 800));
    QCOMPARE(run({ QStringLiteral("--trace"), trace, QStringLiteral("--export-report"), html }, &err), 0);
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY2(text.contains(budget.toUtf8()), text.left(2000).constData());
    QVERIFY(text.count("data:image/png;base64,") >= 5);
    f.close();
    // One argument that is a trace: the expert workspace, not "give two inputs".
    QVERIFY(QFile::remove(png));
    QCOMPARE(run({ trace, QStringLiteral("--screenshot"), png }, &err), 0);
    QVERIFY(!QImage(png).isNull());
}

void TestGuiApp::countsRenderAndReport()
{
    QTemporaryDir dir;
    deltascope::moe::SynthOptions o;
    o.requests = 8;
    o.tokensPerRequest = 16;
    o.layers = 2;
    o.experts = 16;
    o.topK = 2;
    const QString trace = dir.filePath(QStringLiteral("t.safetensors"));
    QCOMPARE(
        deltascope::moe::writeTraceFile(trace.toStdString(), deltascope::moe::makeSyntheticTrace(o)), std::string());
    const QString counts = dir.filePath(QStringLiteral("counts.csv"));
    QFile c(counts);
    QVERIFY(c.open(QIODevice::WriteOnly));
    c.write("layer_id,expert_id,count\n");
    for (int l = 0; l < 2; ++l)
        for (int e = 0; e < 16; ++e)
            c.write(QByteArray::number(l) + ',' + QByteArray::number(e) + ',' + QByteArray::number(10 + 7 * e) + '\n');
    c.close();
    const QString png = dir.filePath(QStringLiteral("counts.png"));
    const QString html = dir.filePath(QStringLiteral("counts.html"));
    QByteArray err;
    QCOMPARE(run({ QStringLiteral("--trace"), trace, QStringLiteral("--counts"), counts, QStringLiteral("--screenshot"),
                     png, QStringLiteral("--export-report"), html },
                 &err),
        0);
    QVERIFY(!QImage(png).isNull());
    QVERIFY(QFileInfo::exists(html));
    QFile both(html);
    QVERIFY(both.open(QIODevice::ReadOnly));
    QVERIFY(both.readAll().contains("Expert load counts")); // the counts' figure joins the run's
    both.close();
    // Counts alone: rendered, and reported on their own.
    QVERIFY(QFile::remove(png));
    QCOMPARE(run({ QStringLiteral("--counts"), counts, QStringLiteral("--screenshot"), png }, &err), 0);
    QVERIFY(!QImage(png).isNull());
    const QString alone = html + QStringLiteral("2.html");
    QCOMPARE(run({ QStringLiteral("--counts"), counts, QStringLiteral("--export-report"), alone }, &err), 0);
    QFile r(alone);
    QVERIFY(r.open(QIODevice::ReadOnly));
    const QByteArray text = r.readAll();
    QVERIFY(text.contains("counts.csv"));
    QVERIFY(text.contains("busiest device carries"));
    QCOMPARE(text.count("data:image/png;base64,"), 1);
    // Unreadable counts are an error, not a blank picture.
    QCOMPARE(run({ QStringLiteral("--counts"), dir.filePath(QStringLiteral("none.csv")), QStringLiteral("--screenshot"),
                     png },
                 &err),
        2);
    QVERIFY2(err.contains("none.csv"), err.constData());
}

// Over ssh or in CI there is no display and no platform chosen: --help and --version still answer
// (a QApplication would stop at "could not connect to display").
void TestGuiApp::helpAndVersionWithoutADisplay_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("expected"); // lines or phrases of the standard output
    const QStringList usage { QStringLiteral("Usage: "), QStringLiteral("--screenshot <FILE>"),
        QStringLiteral("--export-report <FILE>"), QStringLiteral("--margin <D>"),
        // the exit statuses of a headless run are in the help, not only in the man page
        QStringLiteral("exit status is the verdict"), QStringLiteral("0 no evidence of degradation"),
        QStringLiteral("1 degraded"), QStringLiteral("2 error"), QStringLiteral("3 inconclusive") };
    const QStringList version { QStringLiteral("Deltascope " DELTASCOPE_VERSION_STRING "\n") };
    QTest::newRow("--help") << QStringList { QStringLiteral("--help") } << usage;
    QTest::newRow("-h") << QStringList { QStringLiteral("-h") } << usage;
    QTest::newRow("help-after-inputs") << QStringList { QStringLiteral("a.jsonl"), QStringLiteral("b.jsonl"),
        QStringLiteral("--help") } << usage;
    QTest::newRow("help-with-a-window-system-option")
        << QStringList { QStringLiteral("-style"), QStringLiteral("fusion"), QStringLiteral("--help") } << usage;
    QTest::newRow("--version") << QStringList { QStringLiteral("--version") } << version;
    QTest::newRow("-v") << QStringList { QStringLiteral("-v") } << version;
}

void TestGuiApp::helpAndVersionWithoutADisplay()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, expected);
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* name : { "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORMTHEME" })
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(DELTASCOPE_GUI_APP), args);
    QVERIFY(p.waitForFinished(60000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 0, err.constData());
    QVERIFY2(!err.contains("display"), err.constData());
    for (const QString& phrase : expected)
        QVERIFY2(out.contains(phrase), qPrintable(phrase + QStringLiteral(" not in:\n") + out));
}

// A report or a screenshot over ssh: no display and no platform chosen, and still no error.
void TestGuiApp::headlessRunsWithoutADisplay()
{
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("report.html"));
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* name : { "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORMTHEME" })
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("DELTASCOPE_DEMO_DIR"), QStringLiteral(DELTASCOPE_DEMO_DIR));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(DELTASCOPE_GUI_APP), { QStringLiteral("--demo"), QStringLiteral("--export-report"), html });
    QVERIFY(p.waitForFinished(120000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 1, err.constData()); // the demo is degraded
    QVERIFY2(!err.contains("display"), err.constData());
    QVERIFY(QFileInfo::exists(html));
}

// A headless run's standard error holds what concerns the result, not the offscreen platform's
// notes about itself (it cannot follow size hints; no runtime folder under root).
void TestGuiApp::headlessRunPrintsNoPlatformNotes()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("DELTASCOPE_DEMO_DIR"), QStringLiteral(DELTASCOPE_DEMO_DIR));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(DELTASCOPE_GUI_APP),
        { QStringLiteral("--demo"), QStringLiteral("--screenshot"), png, QStringLiteral("--size"),
            QStringLiteral("900x600") });
    QVERIFY(p.waitForFinished(120000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitCode(), 1); // the demo is degraded
    QVERIFY(QFileInfo::exists(png));
    QVERIFY2(!err.contains("propagateSizeHints"), err.constData());
    QVERIFY2(!err.contains("XDG_RUNTIME_DIR"), err.constData());
}

// The --plot names of both workspaces, as the window checks them, are all in --help.
void TestGuiApp::helpNamesEveryPlot()
{
    QProcess p;
    p.start(QStringLiteral(DELTASCOPE_GUI_APP), { QStringLiteral("--help") });
    QVERIFY(p.waitForFinished(60000));
    const QString help = QString::fromUtf8(p.readAllStandardOutput()).simplified();
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("shot.png"));
    int names = 0;
    for (const QStringList& workspace :
        { QStringList {}, QStringList { QStringLiteral("--workspace"), QStringLiteral("experts") } }) {
        QByteArray err;
        QCOMPARE(run(workspace
                         + QStringList { QStringLiteral("--demo"), QStringLiteral("--screenshot"), png,
                             QStringLiteral("--plot"), QStringLiteral("no-such-plot") },
                     &err),
            2);
        const QString text = QString::fromUtf8(err).trimmed();
        const QString lead = QStringLiteral("--plot must be one of ");
        QVERIFY2(text.contains(lead), err.constData());
        const QStringList list = text.mid(text.indexOf(lead) + lead.size()).split(QStringLiteral(", "));
        QVERIFY(list.size() >= 4);
        for (const QString& name : list) {
            QVERIFY2(help.contains(name), qPrintable(name + QStringLiteral(" is not in deltascope --help")));
            ++names;
        }
    }
    QCOMPARE(names, 13);
}

QTEST_GUILESS_MAIN(TestGuiApp)
#include "tst_guiapp.moc"
