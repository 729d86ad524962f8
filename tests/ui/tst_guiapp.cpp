#include <QDirIterator>
#include <QFile>
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
    void expertWorkspaceScreenshot();
    void malformedRecordStopsOrIsSkipped();
    void workspaceFileOnTheCommandLine();

private:
    static int run(const QStringList& args, QByteArray* err = nullptr)
    {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
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
    QVERIFY(text.contains("Candidate is worse than baseline"));
    QCOMPARE(text.count("data:image/png;base64,"), 4); // every plot embedded
    const QString pdf = dir.filePath(QStringLiteral("report.pdf"));
    QCOMPARE(run({ QStringLiteral("--demo"), QStringLiteral("--export-report"), pdf }), 1);
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

QTEST_GUILESS_MAIN(TestGuiApp)
#include "tst_guiapp.moc"
