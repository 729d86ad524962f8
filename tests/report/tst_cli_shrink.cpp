// SPDX-License-Identifier: GPL-3.0-or-later
#include "CliRun.h"
#include "TestData.h"
#include "eval/KeepList.h"

#include <QFile>

using namespace deltascope;

namespace {

using test::cli;

// A score table "id,score" with `n` rows; score(i) gives row i's score.
template <typename F> std::string table(const QTemporaryDir& dir, const char* name, int n, F score)
{
    std::string text = "id,score\n";
    for (int i = 0; i < n; ++i)
        text += std::to_string(i) + "," + std::to_string(score(i)) + "\n";
    return test::writeFile(dir, QString::fromLatin1(name), QByteArray::fromStdString(text));
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestCliShrink : public QObject {
    Q_OBJECT
private slots:
    void refusesAListThatKeepsNothing();
    void auditFlagsRoundTrip();
    void auditOptionErrors_data();
    void auditOptionErrors();
    void brokenAlwaysRightAnswersAreDetected();
};

void TestCliShrink::refusesAListThatKeepsNothing()
{
    QTemporaryDir dir;
    const auto r = table(dir, "r.csv", 20, [](int i) { return i % 3 == 0 ? 1 : 0; });
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    // Two identical reruns: no sample varies, with or without an audit share.
    for (const QStringList& extra :
        { QStringList {}, QStringList { QStringLiteral("--audit"), QStringLiteral("0.5") } }) {
        const auto s
            = cli(QStringList { QStringLiteral("shrink"), q(r), q(r), QStringLiteral("--output"), keep } + extra);
        QCOMPARE(s.exitCode, 2);
        QVERIFY2(s.err.contains("would keep no sample"), s.err.constData());
        QVERIFY(s.err.contains("no signal to select by"));
        QVERIFY(s.err.contains("temperature above 0"));
        QVERIFY(!QFile::exists(keep));
    }
}

void TestCliShrink::auditFlagsRoundTrip()
{
    QTemporaryDir dir;
    // 400 samples; the two reruns disagree on the first 40.
    const auto r1 = table(dir, "r1.csv", 400, [](int i) { return i % 2; });
    const auto r2 = table(dir, "r2.csv", 400, [](int i) { return i < 40 ? 1 - i % 2 : i % 2; });
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    const auto s = cli({ QStringLiteral("shrink"), q(r1), q(r2), QStringLiteral("--output"), keep,
        QStringLiteral("--audit"), QStringLiteral("0.25"), QStringLiteral("--seed"), QStringLiteral("9") });
    QCOMPARE(s.exitCode, 0);
    QVERIFY2(
        s.out.contains("cannot see a candidate that breaks answers the baseline always gets right"), s.out.constData());

    QFile f(keep);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto root = QJsonDocument::fromJson(f.readAll()).object();
    const auto summary = root.value(QStringLiteral("summary")).toObject();
    QCOMPARE(summary.value(QStringLiteral("kept")).toInt(), 40);
    const int audited = summary.value(QStringLiteral("audited")).toInt();
    // 360 excluded samples at 0.25: each tail of Bin(360, 0.25) outside [44, 142] is below 1e-9
    // (exact, tests/stats/shrink_audit_vectors.py).
    QVERIFY2(audited >= 44 && audited <= 142, QByteArray::number(audited).constData());
    QCOMPARE(summary.value(QStringLiteral("cost_saved")).toDouble(), 1.0 - (40.0 + audited) / 400.0);
    QVERIFY(s.out.contains(QByteArray(QByteArray("kept 40 of 400 samples plus ") + QByteArray::number(audited))));

    std::set<std::string> kept;
    std::set<std::string> audit;
    for (const auto v : root.value(QStringLiteral("samples")).toArray()) {
        const auto o = v.toObject();
        const auto id = o.value(QStringLiteral("doc_id")).toString().toStdString();
        (o.value(QStringLiteral("audit")).toBool() ? audit : kept).insert(id);
    }
    QCOMPARE(static_cast<int>(audit.size()), audited);
    const auto loaded = eval::loadKeepList(keep.toStdString());
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error->toString().c_str());
    QCOMPARE(loaded.value->samples.size(), std::size_t(40));
    QCOMPARE(loaded.value->audit.size(), audit.size());
    for (const auto& id : kept)
        QVERIFY(loaded.value->keeps("r1", "none", id));
    for (const auto& id : audit) {
        QVERIFY(loaded.value->audits("r1", "none", id));
        QVERIFY(!loaded.value->keeps("r1", "none", id));
        QVERIFY(std::stoi(id) >= 40);
    }

    // Run again: the same choice, byte for byte.
    const QString again = dir.filePath(QStringLiteral("again.json"));
    QCOMPARE(cli({ QStringLiteral("shrink"), q(r1), q(r2), QStringLiteral("--output"), again, QStringLiteral("--audit"),
                     QStringLiteral("0.25"), QStringLiteral("--seed"), QStringLiteral("9") })
                 .exitCode,
        0);
    QFile g(again);
    QVERIFY(g.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(g.readAll()).object().value(QStringLiteral("samples")),
        root.value(QStringLiteral("samples")));

    // The summary on stdout in JSON carries the same counts and the sentence.
    const auto j = cli({ QStringLiteral("shrink"), q(r1), q(r2), QStringLiteral("--output"), again,
        QStringLiteral("--audit"), QStringLiteral("0.25"), QStringLiteral("--seed"), QStringLiteral("9"),
        QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(j.exitCode, 0);
    const auto js = QJsonDocument::fromJson(j.out).object();
    QCOMPARE(js.value(QStringLiteral("audited")).toInt(), audited);
    QVERIFY(js.value(QStringLiteral("blind_spot")).toString().contains(QStringLiteral("--audit F")));
}

void TestCliShrink::auditOptionErrors_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("expected");
    QTest::newRow("share 0") << QStringList { QStringLiteral("--audit"), QStringLiteral("0") }
                             << QStringLiteral("--audit must be a share in (0, 1]");
    QTest::newRow("share above 1") << QStringList { QStringLiteral("--audit"), QStringLiteral("1.5") }
                                   << QStringLiteral("--audit must be a share in (0, 1]");
    QTest::newRow("share not a number") << QStringList { QStringLiteral("--audit"), QStringLiteral("a lot") }
                                        << QStringLiteral("--audit");
    QTest::newRow("negative seed") << QStringList { QStringLiteral("--seed"), QStringLiteral("-1") }
                                   << QStringLiteral("--seed must be a non-negative integer");
}

void TestCliShrink::auditOptionErrors()
{
    QFETCH(QStringList, extra);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto r1 = table(dir, "r1.csv", 10, [](int i) { return i % 2; });
    const auto r2 = table(dir, "r2.csv", 10, [](int i) { return i == 0 ? 1 : i % 2; });
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    const auto s
        = cli(QStringList { QStringLiteral("shrink"), q(r1), q(r2), QStringLiteral("--output"), keep } + extra);
    QCOMPARE(s.exitCode, 2);
    QVERIFY2(QString::fromUtf8(s.err).contains(expected), s.err.constData());
    QVERIFY(!QFile::exists(keep));
}

void TestCliShrink::brokenAlwaysRightAnswersAreDetected()
{
    // 1000 samples: the baseline's two reruns disagree on the first 100 and always get the rest
    // right. The candidate equals the first rerun except on 40 always-right answers, which it breaks.
    // A keep-list chosen on the reruns keeps none of those 40; the comparison must still find them.
    QTemporaryDir dir;
    const auto r1 = table(dir, "base.csv", 1000, [](int i) { return i < 100 ? i % 2 : 1; });
    const auto r2 = table(dir, "base_rerun.csv", 1000, [](int i) { return i < 100 ? 1 - i % 2 : 1; });
    const auto cand = table(dir, "cand.csv", 1000, [](int i) { return i < 100 ? i % 2 : (i < 140 ? 0 : 1); });
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    QCOMPARE(cli({ QStringLiteral("shrink"), q(r1), q(r2), QStringLiteral("--output"), keep }).exitCode, 0);

    const QStringList compare { QStringLiteral("compare"), q(r1), q(cand), QStringLiteral("--format"),
        QStringLiteral("json"), QStringLiteral("--backend"), QStringLiteral("cpu") };
    const auto full = cli(compare);
    QCOMPARE(full.exitCode, 1);
    const auto shrunk = cli(compare + QStringList { QStringLiteral("--keep-list"), keep });
    QVERIFY2(shrunk.exitCode == 1, shrunk.err.constData());
    const auto tasks = QJsonDocument::fromJson(shrunk.out).object().value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 2); // the kept samples, then those the keep-list excluded
    QCOMPARE(tasks[0].toObject().value(QStringLiteral("n")).toInt(), 100);
    QCOMPARE(tasks[0].toObject().value(QStringLiteral("b")).toInt(), 0);
    QCOMPARE(tasks[1].toObject().value(QStringLiteral("n")).toInt(), 900);
    QCOMPARE(tasks[1].toObject().value(QStringLiteral("b")).toInt(), 40);
    QCOMPARE(tasks[1].toObject().value(QStringLiteral("c")).toInt(), 0);
}

QTEST_GUILESS_MAIN(TestCliShrink)
#include "tst_cli_shrink.moc"
