// SPDX-License-Identifier: GPL-3.0-or-later
#include "CliRun.h"
#include "TestData.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <array>
#include <cmath>
#include <sys/stat.h>

using namespace deltascope;

namespace {

using test::cli;
using test::fixture;

// A synthetic trace of 2 requests x 4 tokens, 1 layer, 16 experts, top-2 in dir; empty on failure.
QString tinyTrace(const QTemporaryDir& dir)
{
    const QString trace = dir.filePath(QStringLiteral("t.safetensors"));
    const auto r = cli({ QStringLiteral("synth-trace"), trace, QStringLiteral("--requests"), QStringLiteral("2"),
        QStringLiteral("--tokens"), QStringLiteral("4"), QStringLiteral("--layers"), QStringLiteral("1"),
        QStringLiteral("--experts"), QStringLiteral("16"), QStringLiteral("--top-k"), QStringLiteral("2") });
    return r.exitCode == 0 ? trace : QString();
}

// One task "qa" of n right/wrong samples on each side, written by the test as JSONL: the first c
// samples only the candidate gets right, the next b only the baseline; the others both get right.
// Each sample belongs to one of 8 groups ("group" field). Returns {baseline, candidate}.
std::pair<QString, QString> qaPair(const QTemporaryDir& dir, int n, int b, int c, const QString& tag = QString())
{
    QByteArray base;
    QByteArray cand;
    for (int i = 0; i < n; ++i) {
        const int sb = i < c ? 0 : 1;
        const int sc = (i >= c && i < c + b) ? 0 : 1;
        const QByteArray head = "{\"doc_id\": " + QByteArray::number(i) + ", \"task\": \"qa\", \"group\": \"g"
            + QByteArray::number(i % 8) + "\", \"score\": ";
        base += head + QByteArray::number(sb) + "}\n";
        cand += head + QByteArray::number(sc) + "}\n";
    }
    return { QString::fromStdString(test::writeFile(dir, QStringLiteral("base%1.jsonl").arg(tag), base)),
        QString::fromStdString(test::writeFile(dir, QStringLiteral("cand%1.jsonl").arg(tag), cand)) };
}

QJsonObject jsonOf(const test::CliRun& r)
{
    return QJsonDocument::fromJson(r.out).object();
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void demoIsDegraded();
    void noDegradationExitsZero();
    void jsonToFileAtomically();
    void errorsExitTwoWithFileAndLine_data();
    void errorsExitTwoWithFileAndLine();
    void binaryInput();
    void refusesToOverwriteInput();
    void realMmluWithColumns();
    void powerAndShrink();
    void xshareJsonShape();
    void xshareRealMixtral();
    void xshareBadInputs_data();
    void xshareBadInputs();
    void xshareBackends();
    void optionErrors_data();
    void optionErrors();
    void placementCountsOfTheTracesLayers();
    void severalRunsHintNamesEachSide();
    void verdictsAndExitCodes_data();
    void verdictsAndExitCodes();
    void badMarginsExitTwo_data();
    void badMarginsExitTwo();
    void clusterAndNoiseInJson();
    void maxPermutations();
};

void TestCli::xshareJsonShape()
{
    QTemporaryDir dir;
    const QString trace = dir.filePath(QStringLiteral("t.safetensors"));
    QCOMPARE(
        cli({ QStringLiteral("synth-trace"), trace, QStringLiteral("--requests"), QStringLiteral("6"),
                QStringLiteral("--tokens"), QStringLiteral("8"), QStringLiteral("--layers"), QStringLiteral("3"),
                QStringLiteral("--experts"), QStringLiteral("16"), QStringLiteral("--top-k"), QStringLiteral("2") })
            .exitCode,
        0);
    const auto r = cli({ QStringLiteral("xshare"), trace, QStringLiteral("--budgets"), QStringLiteral("2,4,16"),
        QStringLiteral("--batch-size"), QStringLiteral("4"), QStringLiteral("--per-slice"), QStringLiteral("--format"),
        QStringLiteral("json") });
    QCOMPARE(r.exitCode, 0);
    // Keys come in the order the writer puts them (what the run read, how, then the results; each
    // result opens with its budget), not sorted.
    QVERIFY2(r.out.startsWith("{\n  \"trace\": {\n    \"path\""), r.out.left(40).constData());
    qsizetype at = 0;
    for (const char* key : { "\"batching\"", "\"backend\"", "\"policy\"", "\"results\"", "\"budget\"",
             "\"activated_base\"", "\"reduction\"", "\"per_layer\"", "\"slices\"" }) {
        const qsizetype next = r.out.indexOf(key, at);
        QVERIFY2(next > at, key);
        at = next;
    }
    const auto j = QJsonDocument::fromJson(r.out).object();
    const auto t = j.value(QStringLiteral("trace")).toObject();
    for (const char* key : { "tokens", "layers", "experts", "top_k", "requests", "kind" })
        QVERIFY2(t.contains(QLatin1String(key)), key);
    QCOMPARE(t.value(QStringLiteral("kind")).toString(), QStringLiteral("dense"));
    QCOMPARE(t.value(QStringLiteral("requests")).toInt(), 6);
    const auto b = j.value(QStringLiteral("batching")).toObject();
    QCOMPARE(b.value(QStringLiteral("mode")).toString(), QStringLiteral("replay"));
    QCOMPARE(b.value(QStringLiteral("batch_size")).toInt(), 4);
    QVERIFY(b.contains(QStringLiteral("gamma")));
    const auto p = j.value(QStringLiteral("policy")).toObject();
    for (const char* key : { "name", "warmup", "devices", "request_experts" })
        QVERIFY2(p.contains(QLatin1String(key)), key);
    const auto results = j.value(QStringLiteral("results")).toArray();
    QCOMPARE(results.size(), 3);
    for (const auto v : results) {
        const auto o = v.toObject();
        for (const char* key : { "budget", "activated_base", "activated", "reduction", "mass_retained", "topk_overlap",
                 "unchanged_tokens", "peak_device_load_base", "peak_device_load", "per_layer" })
            QVERIFY2(o.contains(QLatin1String(key)), key);
        QCOMPARE(o.value(QStringLiteral("per_layer")).toArray().size(), 3);
        const double reduction = 1.0
            - o.value(QStringLiteral("activated")).toDouble() / o.value(QStringLiteral("activated_base")).toDouble();
        QVERIFY(std::abs(reduction - o.value(QStringLiteral("reduction")).toDouble()) < 1e-12);
    }
    // budget N: nothing changes
    QCOMPARE(results[2].toObject().value(QStringLiteral("activated")).toInt(),
        results[2].toObject().value(QStringLiteral("activated_base")).toInt());
    QCOMPARE(results[2].toObject().value(QStringLiteral("mass_retained")).toDouble(), 1.0);
    const auto slices = j.value(QStringLiteral("slices")).toArray();
    QVERIFY(!slices.isEmpty());
    qint64 sum = 0;
    for (const auto v : slices) {
        const auto o = v.toObject();
        QCOMPARE(o.value(QStringLiteral("selected")).toArray().size(), 2); // first budget
        sum += o.value(QStringLiteral("activated")).toInt();
    }
    QCOMPARE(sum, static_cast<qint64>(results[0].toObject().value(QStringLiteral("activated")).toInt()));
}

void TestCli::xshareRealMixtral()
{
    const QString file
        = QString::fromStdString(test::sharedPath("router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl"));
    if (!QFileInfo::exists(file))
        QSKIP("../shared/data/real is not present");
    QTemporaryDir dir;
    const QString native = dir.filePath(QStringLiteral("mixtral.safetensors"));
    QCOMPARE(
        cli({ QStringLiteral("convert"), file, native, QStringLiteral("--experts"), QStringLiteral("8") }).exitCode, 0);
    const auto info = cli({ QStringLiteral("trace-info"), native, QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(info.exitCode, 0);
    const auto ij = QJsonDocument::fromJson(info.out).object();
    QCOMPARE(ij.value(QStringLiteral("kind")).toString(), QStringLiteral("sparse"));
    QCOMPARE(ij.value(QStringLiteral("layers")).toInt(), 32);
    QCOMPARE(ij.value(QStringLiteral("experts")).toInt(), 8);
    QCOMPARE(ij.value(QStringLiteral("top_k")).toInt(), 2);
    QCOMPARE(ij.value(QStringLiteral("requests")).toInt(), 2);
    const auto r = cli({ QStringLiteral("xshare"), native, QStringLiteral("--batch-size"), QStringLiteral("2"),
        QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(r.exitCode, 0);
    const auto results = QJsonDocument::fromJson(r.out).object().value(QStringLiteral("results")).toArray();
    QCOMPARE(results.size(), 7); // budgets 2..8
    double previous = 0.0;
    for (const auto v : results) {
        const double kept = v.toObject().value(QStringLiteral("mass_retained")).toDouble();
        QVERIFY(kept >= previous - 1e-12); // more experts never keep less mass
        previous = kept;
    }
    QCOMPARE(previous, 1.0);
    // Two requests, one token each per step: at most 4 experts per slice, so budget 4 loses nothing.
    QCOMPARE(results[2].toObject().value(QStringLiteral("activated")).toInt(),
        results[2].toObject().value(QStringLiteral("activated_base")).toInt());
}

void TestCli::xshareBadInputs_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("expected");
    QTest::newRow("budget below k") << QStringList { QStringLiteral("--budget"), QStringLiteral("1") }
                                    << QStringLiteral("outside [k, N]");
    QTest::newRow("budget above N") << QStringList { QStringLiteral("--budget"), QStringLiteral("17") }
                                    << QStringLiteral("outside [k, N]");
    QTest::newRow("unknown policy") << QStringList { QStringLiteral("--policy"), QStringLiteral("random") }
                                    << QStringLiteral("--policy");
    QTest::newRow("missing request") << QStringList { QStringLiteral("--requests"), QStringLiteral("99") }
                                     << QStringLiteral("request 99");
    QTest::newRow("unknown backend") << QStringList { QStringLiteral("--backend"), QStringLiteral("gpu") }
                                     << QStringLiteral("--backend must be auto, cpu or cuda");
}

void TestCli::xshareBadInputs()
{
    QFETCH(QStringList, extra);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString trace = tinyTrace(dir);
    QVERIFY(!trace.isEmpty());
    const auto r = cli(QStringList { QStringLiteral("xshare"), trace } + extra);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    // A truncated trace names the file and never crashes.
    QFile f(trace);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray all = f.readAll();
    const auto cut = test::writeFile(dir, QStringLiteral("cut.safetensors"), all.left(all.size() / 2));
    const auto c = cli({ QStringLiteral("xshare"), QString::fromStdString(cut) });
    QCOMPARE(c.exitCode, 2);
    QVERIFY(c.err.contains("cut.safetensors"));
    // A NaN score is an error of the file, said as such: "path: error: NaN gating score at ...".
    // Two tokens of dense fp32 probabilities: one layer of four experts, or (square) two layers of
    // two. The header is padded so that the scores lie 8-byte aligned in the file and are read
    // where they lie (mapped), as large traces are.
    auto scoresTrace = [&](const QString& name, const std::array<float, 8>& scores, bool square = false) {
        QByteArray json = square
            ? R"({"__metadata__":{"top_k":"1"},"scores":{"dtype":"F32","shape":[2,2,2],"data_offsets":[0,32]},"request_id":{"dtype":"I32","shape":[2],"data_offsets":[32,40]}})"
            : R"({"__metadata__":{"top_k":"1"},"scores":{"dtype":"F32","shape":[2,1,4],"data_offsets":[0,32]},"request_id":{"dtype":"I32","shape":[2],"data_offsets":[32,40]}})";
        while (json.size() % 8 != 0)
            json += ' ';
        QByteArray bytes(8, '\0');
        for (int i = 0; i < 8; ++i)
            bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
        bytes += json;
        bytes += QByteArray(reinterpret_cast<const char*>(scores.data()), sizeof(float) * 8) + QByteArray(8, '\0');
        return QString::fromStdString(test::writeFile(dir, name, bytes));
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const QString nanTrace
        = scoresTrace(QStringLiteral("nan.safetensors"), { 0.25f, 0.25f, 0.25f, 0.25f, 0.5f, nan, 0.25f, 0.25f });
    const auto n = cli({ QStringLiteral("xshare"), nanTrace, QStringLiteral("--backend"), QStringLiteral("cpu"),
        QStringLiteral("--budget"), QStringLiteral("2") });
    QCOMPARE(n.exitCode, 2);
    QVERIFY2(
        n.err.contains("nan.safetensors: error: NaN gating score at token 1, layer 0, expert 1"), n.err.constData());

    // trace-info reads the scores as xshare does: the same score is named, and fails it, in both
    // formats, unless the check is skipped.
    const auto info = cli({ QStringLiteral("trace-info"), nanTrace });
    QCOMPARE(info.exitCode, 2);
    QVERIFY2(info.err.contains("NaN gating score at token 1, layer 0, expert 1"), info.err.constData());
    QVERIFY(info.out.contains("experts    4, top-1")); // the summary is still printed
    const auto infoJson
        = cli({ QStringLiteral("trace-info"), nanTrace, QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(infoJson.exitCode, 2);
    QVERIFY(QJsonDocument::fromJson(infoJson.out)
                .object()
                .value(QStringLiteral("score_problem"))
                .toString()
                .startsWith(QStringLiteral("NaN gating score at token 1, layer 0, expert 1")));
    const auto unchecked = cli({ QStringLiteral("trace-info"), nanTrace, QStringLiteral("--no-score-check"),
        QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(unchecked.exitCode, 0);
    QCOMPARE(
        QJsonDocument::fromJson(unchecked.out).object().value(QStringLiteral("scores_checked")).toBool(true), false);
    const QString negative = scoresTrace(
        QStringLiteral("negative.safetensors"), { 0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0.25f, 0.25f, -0.25f });
    const auto neg = cli({ QStringLiteral("trace-info"), negative });
    QCOMPARE(neg.exitCode, 2);
    QVERIFY2(neg.err.contains("negative gating score at token 1, layer 0, expert 3"), neg.err.constData());
    // Where the bad score lies (token 1, layer 1, expert 0 of two layers of two experts), and what
    // it is, is said as xshare says it.
    const float inf = std::numeric_limits<float>::infinity();
    for (const float v : { inf, -inf, -nan, -1e-40f }) {
        const QString t
            = scoresTrace(QStringLiteral("square.safetensors"), { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, v, 0.5f }, true);
        const auto i = cli({ QStringLiteral("trace-info"), t });
        QCOMPARE(i.exitCode, 2);
        const QByteArray where = QByteArray(std::isnan(v) ? "NaN" : (std::isinf(v) ? "infinite" : "negative"))
            + QByteArray(" gating score at token 1, layer 1, expert 0");
        QVERIFY2(i.err.contains(where), i.err.constData());
        const auto x = cli({ QStringLiteral("xshare"), t, QStringLiteral("--backend"), QStringLiteral("cpu") });
        QCOMPARE(x.exitCode, 2);
        QVERIFY2(x.err.contains(where), x.err.constData());
    }
    // -0 is a zero score, taken by both commands.
    const QString zero
        = scoresTrace(QStringLiteral("zero.safetensors"), { 0.5f, -0.0f, 0.25f, 0.25f, 0.5f, 0.25f, 0.25f, 0.0f });
    const auto z = cli({ QStringLiteral("trace-info"), zero, QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(z.exitCode, 0);
    QVERIFY(QJsonDocument::fromJson(z.out).object().value(QStringLiteral("score_problem")).isNull());
    QCOMPARE(cli({ QStringLiteral("xshare"), zero, QStringLiteral("--backend"), QStringLiteral("cpu") }).exitCode, 0);
}

void TestCli::xshareBackends()
{
    // Every backend choice gives the same numbers; where the CUDA device is missing the run says
    // so once on stderr and goes on on the CPU.
    QTemporaryDir dir;
    const QString trace = dir.filePath(QStringLiteral("t.safetensors"));
    QCOMPARE(
        cli({ QStringLiteral("synth-trace"), trace, QStringLiteral("--requests"), QStringLiteral("5"),
                QStringLiteral("--tokens"), QStringLiteral("12"), QStringLiteral("--layers"), QStringLiteral("2"),
                QStringLiteral("--experts"), QStringLiteral("32"), QStringLiteral("--top-k"), QStringLiteral("4") })
            .exitCode,
        0);
    QJsonArray reference;
    for (const char* backend : { "cpu", "auto", "cuda" }) {
        const auto r = cli({ QStringLiteral("xshare"), trace, QStringLiteral("--budgets"), QStringLiteral("all"),
            QStringLiteral("--batch-size"), QStringLiteral("3"), QStringLiteral("--backend"), QLatin1String(backend),
            QStringLiteral("--format"), QStringLiteral("json") });
        QCOMPARE(r.exitCode, 0);
        const auto j = QJsonDocument::fromJson(r.out).object();
        const QString name = j.value(QStringLiteral("backend")).toString();
        QVERIFY2(name == QStringLiteral("CPU") || name.startsWith(QStringLiteral("GPU, ")), qPrintable(name));
        if (name == QStringLiteral("CPU") && std::string(backend) != "cpu")
            QCOMPARE(QString::fromUtf8(r.err).count(QStringLiteral("running on the CPU")), 1);
        if (std::string(backend) == "cpu")
            QVERIFY(r.err.isEmpty());
        const auto results = j.value(QStringLiteral("results")).toArray();
        QCOMPARE(results.size(), 32 - 4 + 1);
        if (reference.isEmpty()) {
            reference = results;
            continue;
        }
        for (qsizetype i = 0; i < results.size(); ++i) {
            const auto a = reference[i].toObject();
            const auto b = results[i].toObject();
            for (const char* key :
                { "activated_base", "activated", "topk_overlap", "unchanged_tokens", "peak_device_load" })
                QCOMPARE(b.value(QLatin1String(key)).toDouble(), a.value(QLatin1String(key)).toDouble());
            QVERIFY(std::abs(b.value(QStringLiteral("mass_retained")).toDouble()
                        - a.value(QStringLiteral("mass_retained")).toDouble())
                <= 1e-6);
        }
    }
}

void TestCli::demoIsDegraded()
{
    const QString demo = QStringLiteral(DELTASCOPE_DEMO_DIR);
    if (!QFileInfo::exists(demo + QStringLiteral("/baseline")))
        QSKIP("the demo runs were not generated (python3 missing at build time)");
    const auto r = cli({ QStringLiteral("compare"), demo + QStringLiteral("/baseline"),
        demo + QStringLiteral("/candidate"), QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(r.exitCode, 1);
    const auto doc = QJsonDocument::fromJson(r.out).object();
    const auto agg = doc.value(QStringLiteral("aggregate")).toObject();
    QVERIFY(agg.value(QStringLiteral("degraded")).toBool());
    // Every task lost less than one point, so a 1-point threshold would pass this candidate...
    for (const auto t : doc.value(QStringLiteral("tasks")).toArray())
        QVERIFY(t.toObject().value(QStringLiteral("delta")).toDouble() < 0.01);
    // ...while the pooled exact test catches it.
    QVERIFY(agg.value(QStringLiteral("pooled")).toObject().value(QStringLiteral("p_value")).toDouble() < 0.05 / 3);
    // The format names the frontier's command takes mean the same here.
    auto text = [&](const char* format) {
        return cli({ QStringLiteral("compare"), demo + QStringLiteral("/baseline"), demo + QStringLiteral("/candidate"),
            QStringLiteral("--format"), QLatin1String(format) });
    };
    const auto md = text("md");
    QVERIFY(md.out.startsWith("### Deltascope: "));
    QCOMPARE(text("markdown").out, md.out);
    QCOMPARE(text("text").out, text("table").out);
    const auto bad = text("markdwn");
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("--format must be table, json, csv or md (markdown)"), bad.err.constData());
}

void TestCli::noDegradationExitsZero()
{
    const auto r = cli(
        { QStringLiteral("compare"), fixture("eval/layout_0.4.0/baseline"), fixture("eval/layout_0.4.0/candidate") });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("VERDICT: NO EVIDENCE OF DEGRADATION"));
    QVERIFY(r.out.contains("gsm8k [strict-match]"));
}

void TestCli::jsonToFileAtomically()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("r.json"));
    const auto r = cli(
        { QStringLiteral("compare"), fixture("eval/layout_0.4.3/baseline"), fixture("eval/layout_0.4.3/candidate"),
            QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--output"), out,
            QStringLiteral("--permutations"), QStringLiteral("1000"), QStringLiteral("--seed"), QStringLiteral("3") });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.isEmpty());
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto doc = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(doc.value(QStringLiteral("tasks")).toArray().size(), 3);
    QCOMPARE(doc.value(QStringLiteral("permutation")).toObject().value(QStringLiteral("seed")).toInt(), 3);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1); // no temporary file left behind
}

void TestCli::errorsExitTwoWithFileAndLine_data()
{
    // hinted: a bad record, which --skip-bad-lines would leave out, names the flag.
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("hinted");
    QTest::newRow("malformed line 2") << QByteArray("{\"doc_id\": 0, \"acc\": 1}\n{\"doc_id\": 1, \"acc\"\n")
                                      << QStringLiteral(".jsonl:2: error: malformed JSON") << true;
    QTest::newRow("empty file") << QByteArray("") << QStringLiteral("is empty") << false;
    QTest::newRow("not json") << QByteArray("<html>\n") << QStringLiteral(".jsonl:1: error: expected a JSON object")
                              << false;
    QTest::newRow("truncated record") << QByteArray(
        "{\"doc_id\": 0, \"acc\": 1}\n{\"doc_id\": 1, \"doc\": {\"question\": \"Wh")
                                      << QStringLiteral(".jsonl:2: error: malformed JSON") << true;
    QTest::newRow("score is an object") << QByteArray("{\"doc_id\": 0, \"metrics\": [\"acc\"], \"acc\": {\"x\": 1}}\n")
                                        << QStringLiteral("no sample of") << false;
    // An infinitely good accuracy (Python writes a bare Infinity) leaves no drop to measure.
    QTest::newRow("infinitely good score")
        << QByteArray("{\"doc_id\": 0, \"acc\": 1}\n{\"doc_id\": 1, \"acc\": Infinity}\n")
        << QStringLiteral(".jsonl:2: error: task t: a score of +infinity") << true;
}

void TestCli::errorsExitTwoWithFileAndLine()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QFETCH(bool, hinted);
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("bad/samples_t_2026-01-01T00-00-00.000001.jsonl"), content);
    const auto r = cli(
        { QStringLiteral("compare"), dir.filePath(QStringLiteral("bad")), fixture("eval/layout_current/candidate") });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    QCOMPARE(r.err.count("--skip-bad-lines"), hinted ? 1 : 0);
}

void TestCli::binaryInput()
{
    QTemporaryDir dir;
    QByteArray junk;
    for (int i = 0; i < 4096; ++i)
        junk.append(static_cast<char>((i * 7919) % 251));
    const auto path = test::writeFile(dir, QStringLiteral("junk.jsonl"), junk);
    const auto r = cli({ QStringLiteral("compare"), QString::fromStdString(path), QString::fromStdString(path) });
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains("not a text file"));
    // Named pipes are refused at once instead of waiting for a writer: tables, Inspect logs and
    // traces.
    for (const char* name : { "pipe.jsonl", "pipe.eval", "pipe.safetensors" }) {
        const QByteArray fifo = dir.filePath(QString::fromLatin1(name)).toLocal8Bit();
        QCOMPARE(::mkfifo(fifo.constData(), 0600), 0);
        const bool trace = QByteArray(name).endsWith(".safetensors");
        const auto p = trace
            ? cli({ QStringLiteral("trace-info"), QString::fromLocal8Bit(fifo) })
            : cli({ QStringLiteral("compare"), QString::fromLocal8Bit(fifo), QString::fromStdString(path) });
        QCOMPARE(p.exitCode, 2);
        QVERIFY2(p.err.contains("not a regular file") && p.err.contains(name), p.err.constData());
    }
}

void TestCli::refusesToOverwriteInput()
{
    QTemporaryDir dir;
    const auto a = test::writeFile(dir, QStringLiteral("a.csv"), "id,score\n1,1\n");
    const auto b = test::writeFile(dir, QStringLiteral("b.csv"), "id,score\n1,0\n");
    const auto r = cli({ QStringLiteral("compare"), QString::fromStdString(a), QString::fromStdString(b),
        QStringLiteral("--output"), QString::fromStdString(b) });
    QCOMPARE(r.exitCode, 2);
    QFile f(QString::fromStdString(b));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("id,score\n1,0\n"));
    // A file that already exists inside an input folder (a run's results file) is not replaced;
    // a new file there is written.
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("run")));
    const auto inside = test::writeFile(dir, QStringLiteral("run/scores.csv"), "id,score\n1,0\n");
    const QString run = dir.filePath(QStringLiteral("run"));
    const auto r2 = cli({ QStringLiteral("compare"), QString::fromStdString(a), run, QStringLiteral("--output"),
        QString::fromStdString(inside) });
    QCOMPARE(r2.exitCode, 2);
    QVERIFY2(r2.err.contains("inside the input folder"), r2.err.constData());
    QFile g(QString::fromStdString(inside));
    QVERIFY(g.open(QIODevice::ReadOnly));
    QCOMPARE(g.readAll(), QByteArray("id,score\n1,0\n"));
    const QString fresh = dir.filePath(QStringLiteral("run/report.json"));
    const auto r3 = cli({ QStringLiteral("compare"), QString::fromStdString(a), QString::fromStdString(b),
        QStringLiteral("--output"), fresh, QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(r3.exitCode == 0 || r3.exitCode == 1, r3.err.constData());
    QVERIFY(QFileInfo::exists(fresh));
    // A file name in another encoding than UTF-8 goes into the JSON with its bad byte replaced
    // (it used to abort). The shell makes the name: Qt passes arguments as UTF-8.
    QProcess sh;
    sh.setWorkingDirectory(dir.path());
    sh.start(QStringLiteral("/bin/sh"),
        { QStringLiteral("-c"),
            QStringLiteral(
                "odd=$(printf 'm\\377.csv'); cp a.csv \"$odd\" && \"$0\" compare \"$odd\" b.csv --format json"),
            QStringLiteral(DELTASCOPE_CLI) });
    QVERIFY(sh.waitForFinished(60000));
    QCOMPARE(sh.exitStatus(), QProcess::NormalExit);
    QVERIFY2(sh.exitCode() == 0 || sh.exitCode() == 1, sh.readAllStandardError().constData());
    const auto odd = QJsonDocument::fromJson(sh.readAllStandardOutput()).object();
    QVERIFY(odd.value(QStringLiteral("baseline"))
                .toObject()
                .value(QStringLiteral("path"))
                .toString()
                .contains(QChar(0xfffd)));
}

void TestCli::realMmluWithColumns()
{
    const QString root = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4"));
    if (!QFileInfo::exists(root))
        QSKIP("../shared/data/real is not present");
    const auto r = cli({ QStringLiteral("compare"), root + QStringLiteral("/mmlu_fp16.jsonl"),
        root + QStringLiteral("/mmlu_q4_K_M.jsonl"), QStringLiteral("--id-column"), QStringLiteral("example_id"),
        QStringLiteral("--score-column"), QStringLiteral("score"), QStringLiteral("--format"),
        QStringLiteral("json") });
    QCOMPARE(r.exitCode, 0);
    const auto t = QJsonDocument::fromJson(r.out).object().value(QStringLiteral("tasks")).toArray().at(0).toObject();
    QCOMPARE(t.value(QStringLiteral("n")).toInt(), 499);
    QCOMPARE(t.value(QStringLiteral("duplicates")).toInt(), 2); // one repeated id on each side
    QVERIFY(r.err.contains("first occurrence is kept"));
}

void TestCli::powerAndShrink()
{
    const auto p = cli({ QStringLiteral("power"), QStringLiteral("--n"), QStringLiteral("6000"),
        QStringLiteral("--flip-rate"), QStringLiteral("0.025"), QStringLiteral("--drop"), QStringLiteral("0.5"),
        QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(p.exitCode, 0);
    const auto j = QJsonDocument::fromJson(p.out).object();
    // --drop is in points, as compare prints drops; the JSON keeps fractions with the points beside.
    QCOMPARE(j.value(QStringLiteral("drop")).toDouble(), 0.005);
    QCOMPARE(j.value(QStringLiteral("drop_points")).toDouble(), 0.5);
    QVERIFY(j.value(QStringLiteral("min_detectable_drop")).toDouble() > 0.004);
    QVERIFY(std::abs(j.value(QStringLiteral("min_detectable_drop_points")).toDouble()
                - 100 * j.value(QStringLiteral("min_detectable_drop")).toDouble())
        < 1e-12);
    QVERIFY(j.value(QStringLiteral("samples_needed")).toInt() > 5000);
    QCOMPARE(cli({ QStringLiteral("power") }).exitCode, 2);
    // The README's example: 1.6 points at a 9.2% flip rate is in range; 10 points is not, and the
    // error says the unit and the bound.
    const auto readme = cli({ QStringLiteral("power"), QStringLiteral("--n"), QStringLiteral("499"),
        QStringLiteral("--flip-rate"), QStringLiteral("0.092"), QStringLiteral("--drop"), QStringLiteral("1.6") });
    QCOMPARE(readme.exitCode, 0);
    QVERIFY2(readme.out.contains("samples needed to detect a drop of 1.6 points (0.016): "), readme.out.constData());
    // A drop given with more digits is printed as given, not rounded to 0.02.
    const auto fine = cli({ QStringLiteral("power"), QStringLiteral("--n"), QStringLiteral("499"),
        QStringLiteral("--flip-rate"), QStringLiteral("0.092"), QStringLiteral("--drop"), QStringLiteral("0.016") });
    QVERIFY2(fine.out.contains("samples needed to detect a drop of 0.016 points (0.00016): "), fine.out.constData());
    const auto tooBig = cli({ QStringLiteral("power"), QStringLiteral("--n"), QStringLiteral("499"),
        QStringLiteral("--flip-rate"), QStringLiteral("0.092"), QStringLiteral("--drop"), QStringLiteral("10") });
    QCOMPARE(tooBig.exitCode, 2);
    QVERIFY2(tooBig.err.contains("in points") && tooBig.err.contains("(0, 9.2]"), tooBig.err.constData());
    // A drop too small for any count of samples: said, in an instant (the exact sum is not tried).
    const auto tiny = cli({ QStringLiteral("power"), QStringLiteral("--flip-rate"), QStringLiteral("1"),
        QStringLiteral("--drop"), QStringLiteral("1e-300"), QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(tiny.exitCode, 0);
    const auto tj = QJsonDocument::fromJson(tiny.out).object();
    QVERIFY(tj.value(QStringLiteral("samples_needed")).isNull());
    QVERIFY(tj.value(QStringLiteral("exact_power")).isNull());

    // Power at the level the decision uses: alpha/3 for several tasks (the default), alpha for one.
    // n = 1000, f = 0.1, drop 2 points: about 0.41 at alpha/3, 0.60 at alpha.
    auto powerAt = [&](const QStringList& extra) {
        const auto r = cli(QStringList { QStringLiteral("power"), QStringLiteral("--n"), QStringLiteral("1000"),
                               QStringLiteral("--flip-rate"), QStringLiteral("0.1"), QStringLiteral("--drop"),
                               QStringLiteral("2"), QStringLiteral("--format"), QStringLiteral("json") }
            + extra);
        return QJsonDocument::fromJson(r.out).object();
    };
    const auto several = powerAt({});
    QVERIFY(std::abs(several.value(QStringLiteral("level")).toDouble() - 0.05 / 3) < 1e-12);
    QVERIFY(std::abs(several.value(QStringLiteral("exact_power")).toDouble() - 0.41) < 0.02);
    const auto one = powerAt({ QStringLiteral("--tasks"), QStringLiteral("1") });
    QCOMPARE(one.value(QStringLiteral("level")).toDouble(), 0.05);
    QVERIFY(std::abs(one.value(QStringLiteral("exact_power")).toDouble() - 0.60) < 0.03);

    QTemporaryDir dir;
    const auto r1 = test::writeFile(dir, QStringLiteral("r1.csv"), "id,score\n1,1\n2,0\n3,1\n4,0\n");
    const auto r2 = test::writeFile(dir, QStringLiteral("r2.csv"), "id,score\n1,1\n2,1\n3,1\n4,0\n");
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    const auto s = cli({ QStringLiteral("shrink"), QString::fromStdString(r1), QString::fromStdString(r2),
        QStringLiteral("--output"), keep });
    QCOMPARE(s.exitCode, 0);
    QVERIFY(s.out.contains("kept 1 of 4 samples"));
    // The keep-list restricts a later comparison to sample 2.
    const auto c = cli({ QStringLiteral("compare"), QString::fromStdString(r1), QString::fromStdString(r2),
        QStringLiteral("--keep-list"), keep, QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(c.exitCode, 0);
    const auto t = QJsonDocument::fromJson(c.out).object().value(QStringLiteral("tasks")).toArray().at(0).toObject();
    QCOMPARE(t.value(QStringLiteral("n")).toInt(), 1);
    QCOMPARE(t.value(QStringLiteral("c")).toInt(), 1);
}

void TestCli::optionErrors_data()
{
    // {command line after the trace/inputs are filled in, what stderr must say}
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QString t = QStringLiteral("TRACE");
    const QString b = fixture("eval/layout_0.4.3/baseline");
    const QString c = fixture("eval/layout_0.4.3/candidate");
    const auto unknown
        = [](const char* name) -> QString { return QStringLiteral("unknown option --") + QLatin1String(name); };
    QTest::newRow("power, unknown flag at the end") << QStringList { QStringLiteral("power"),
        QStringLiteral("--flip-rate"), QStringLiteral("0.1"), QStringLiteral("--quiet") }
                                                    << unknown("quiet");
    QTest::newRow("compare, unknown at the end")
        << QStringList { QStringLiteral("compare"), b, c, QStringLiteral("--bogus") } << unknown("bogus");
    QTest::newRow("compare, unknown before the inputs")
        << QStringList { QStringLiteral("compare"), QStringLiteral("--bogus"), b, c } << unknown("bogus");
    QTest::newRow("shrink") << QStringList { QStringLiteral("shrink"), b, c, QStringLiteral("--nope") }
                            << unknown("nope");
    QTest::newRow("trace-info, unknown with a value")
        << QStringList { QStringLiteral("trace-info"), t, QStringLiteral("--foo"), QStringLiteral("bar") }
        << unknown("foo");
    QTest::newRow("trace-info, unknown at the end")
        << QStringList { QStringLiteral("trace-info"), t, QStringLiteral("--foo") } << unknown("foo");
    QTest::newRow("convert") << QStringList { QStringLiteral("convert"), t, QStringLiteral("out.safetensors"),
        QStringLiteral("--x") }
                             << unknown("x");
    QTest::newRow("xshare") << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--nope") } << unknown("nope");
    QTest::newRow("synth-trace") << QStringList { QStringLiteral("synth-trace"), QStringLiteral("o.safetensors"),
        QStringLiteral("--nope"), QStringLiteral("1") }
                                 << unknown("nope");
    QTest::newRow("flag given a value") << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--per-slice=1") }
                                        << QStringLiteral("option --per-slice takes no value");
    QTest::newRow("devices above the experts")
        << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--devices"), QStringLiteral("17") }
        << QStringLiteral("devices (--devices) must be at most the number of experts (16), not 17");
    QTest::newRow("request list") << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--requests"),
        QStringLiteral("0-3,x") } << QStringLiteral("--requests: \"x\" is not an id");
    QTest::newRow("batching") << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--batching"),
        QStringLiteral("sometimes") }
                              << QStringLiteral("--batching must be auto, replay or recorded");
    // Contradicting flags are refused, not resolved in silence.
    QTest::newRow("recorded batches with gamma")
        << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--batching"), QStringLiteral("recorded"),
               QStringLiteral("--gamma"), QStringLiteral("3") }
        << QStringLiteral("--batching recorded uses the trace's batches as they are, but --gamma forms new ones");
    QTest::newRow("replicas without balanced")
        << QStringList { QStringLiteral("xshare"), t, QStringLiteral("--replicas"), QStringLiteral("2") }
        << QStringLiteral("--replicas and --placement-counts go with --placement balanced");
    // Core names the setting; the command line names its flags.
    QTest::newRow("router record keys") << QStringList {
        QStringLiteral("trace-info"), QStringLiteral("KEYS")
    } << QStringLiteral("name them with --request-key, --layer-key, --token-key, --experts-key, --scores-key");
    QTest::newRow("alpha") << QStringList { QStringLiteral("compare"), b, c, QStringLiteral("--alpha"),
        QStringLiteral("2") }
                           << QStringLiteral("the level alpha (--alpha) must be between 0 and 1");
    // Four counts whose product overflows 64 bits (was an abort on the allocation).
    QTest::newRow("synth-trace beyond 64 bits") << QStringList { QStringLiteral("synth-trace"),
        QStringLiteral("o.safetensors"), QStringLiteral("--requests"), QStringLiteral("16777216"),
        QStringLiteral("--tokens"), QStringLiteral("16777216"), QStringLiteral("--layers"), QStringLiteral("4096"),
        QStringLiteral("--experts"), QStringLiteral("4096"), QStringLiteral("--top-k"), QStringLiteral("1") }
                                                << QStringLiteral("that trace would take about 1.89e+13 GB");
}

void TestCli::optionErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString trace = tinyTrace(dir);
    QVERIFY(!trace.isEmpty());
    args.replaceInStrings(QStringLiteral("TRACE"), trace);
    args.replaceInStrings(QStringLiteral("KEYS"),
        QString::fromStdString(test::writeFile(dir, QStringLiteral("keys.jsonl"), "{\"a\": 1}\n")));
    const auto r = cli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    QVERIFY(!r.err.contains("needs a value"));
}

// Counts kept per layer balance a placement by the trace's own layers' rows; counts of other layers
// only are summed over all of them, and a warning says so.
void TestCli::placementCountsOfTheTracesLayers()
{
    QTemporaryDir dir;
    const QString trace = tinyTrace(dir); // one layer: layer 0
    QVERIFY(!trace.isEmpty());
    const auto countsFile = [&](const QString& name, const QList<int>& layers) {
        QByteArray csv = "layer_id,expert_id,count\n";
        for (const int l : layers)
            for (int e = 0; e < 16; ++e) // layer 0 loads the low experts, layer 9 the high ones
                csv += QByteArray::number(l) + ',' + QByteArray::number(e) + ','
                    + QByteArray::number(l == 0 ? (16 - e) * (16 - e) : (e + 1) * (e + 1) * 7) + '\n';
        return QString::fromStdString(test::writeFile(dir, name, csv));
    };
    const auto run = [&](const QString& counts) {
        return cli({ QStringLiteral("xshare"), trace, QStringLiteral("--budgets"), QStringLiteral("4"),
            QStringLiteral("--devices"), QStringLiteral("4"), QStringLiteral("--placement"), QStringLiteral("balanced"),
            QStringLiteral("--placement-counts"), counts, QStringLiteral("--format"), QStringLiteral("json") });
    };
    const auto both = run(countsFile(QStringLiteral("both.csv"), { 0, 9 }));
    const auto own = run(countsFile(QStringLiteral("own.csv"), { 0 }));
    const auto other = run(countsFile(QStringLiteral("other.csv"), { 9 }));
    QCOMPARE(both.exitCode, 0);
    QCOMPARE(own.exitCode, 0);
    QCOMPARE(other.exitCode, 0);
    const auto results = [](const QByteArray& out) {
        return QJsonDocument::fromJson(out).object().value(QStringLiteral("results")).toArray();
    };
    QCOMPARE(results(both.out), results(own.out)); // layer 9's rows are left out
    QVERIFY(!both.err.contains("none of the trace's"));
    QVERIFY2(other.err.contains("hold layer(s) 9, none of the trace's: the placement balances their sum"),
        other.err.constData());
}

void TestCli::severalRunsHintNamesEachSide()
{
    // A baseline folder with two runs of one model: the newest is used, and the hint names the flag
    // that picks a run on that side only.
    QTemporaryDir dir;
    const QString src = fixture("eval/layout_0.4.3/baseline/acme__Llama-3.1-8B-Instruct");
    const QString both = dir.filePath(QStringLiteral("runs"));
    QVERIFY(QDir().mkpath(both));
    const QString older = QStringLiteral("2026-03-01T08-00-00.000001");
    for (const auto& name : QDir(src).entryList(QDir::Files)) {
        QVERIFY(QFile::copy(src + QLatin1Char('/') + name, both + QLatin1Char('/') + name));
        QString renamed = name;
        renamed.replace(QStringLiteral("2026-03-02T10-15-42.118204"), older);
        QVERIFY(QFile::copy(src + QLatin1Char('/') + name, both + QLatin1Char('/') + renamed));
    }
    const QString cand = fixture("eval/layout_0.4.3/candidate");
    const auto r = cli({ QStringLiteral("compare"), both, cand, QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1, r.err.constData());
    QVERIFY2(r.err.contains("--base-run TIMESTAMP"), r.err.constData());
    // --base-run picks the older run; the candidate keeps its own.
    const auto picked = cli({ QStringLiteral("compare"), both, cand, QStringLiteral("--base-run"), older,
        QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(picked.exitCode == 0 || picked.exitCode == 1, picked.err.constData());
    const auto base = QJsonDocument::fromJson(picked.out).object().value(QStringLiteral("baseline")).toObject();
    QCOMPARE(base.value(QStringLiteral("timestamp")).toString(), older);
    // --run applies to both sides, so it fails on the candidate, which has no such run.
    const auto wrong = cli({ QStringLiteral("compare"), both, cand, QStringLiteral("--run"), older });
    QCOMPARE(wrong.exitCode, 2);
    QVERIFY(wrong.err.contains("no run with timestamp"));
}

void TestCli::verdictsAndExitCodes_data()
{
    QTest::addColumn<int>("b");
    QTest::addColumn<int>("c");
    QTest::addColumn<QStringList>("margins");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("headline");
    // 1000 samples. b = 60, c = 0: exact McNemar p = 2^-60. b = c = 10: no drop, the one-sided 95% bound
    // near 1.1 points. b = 8, c = 2: p = 56/1024 = 0.055, not degraded, but the 0.6-point drop exceeds a
    // 0.5-point margin.
    QTest::newRow("degraded") << 60 << 0 << QStringList {} << 1 << QStringLiteral("degraded")
                              << QStringLiteral("VERDICT: DEGRADED");
    QTest::newRow("degraded, though within the margin")
        << 60 << 0 << QStringList { QStringLiteral("10") } << 1 << QStringLiteral("degraded")
        << QStringLiteral("VERDICT: DEGRADED");
    QTest::newRow("no evidence") << 10 << 10 << QStringList {} << 0 << QStringLiteral("no_evidence")
                                 << QStringLiteral("VERDICT: NO EVIDENCE OF DEGRADATION");
    QTest::newRow("no worse than the margin")
        << 10 << 10 << QStringList { QStringLiteral("5") } << 0 << QStringLiteral("no_worse_than_margin")
        << QStringLiteral("VERDICT: NO WORSE THAN THE MARGIN");
    QTest::newRow("per-task margin") << 10 << 10 << QStringList { QStringLiteral("qa=5") } << 0
                                     << QStringLiteral("no_worse_than_margin")
                                     << QStringLiteral("VERDICT: NO WORSE THAN THE MARGIN");
    QTest::newRow("inconclusive, more samples would tell")
        << 10 << 10 << QStringList { QStringLiteral("0.5") } << 3 << QStringLiteral("inconclusive")
        << QStringLiteral("VERDICT: INCONCLUSIVE");
    QTest::newRow("inconclusive, the drop is above the margin")
        << 8 << 2 << QStringList { QStringLiteral("0.5") } << 3 << QStringLiteral("inconclusive")
        << QStringLiteral("VERDICT: INCONCLUSIVE");
}

void TestCli::verdictsAndExitCodes()
{
    QFETCH(int, b);
    QFETCH(int, c);
    QFETCH(QStringList, margins);
    QFETCH(int, exitCode);
    QFETCH(QString, verdict);
    QFETCH(QString, headline);
    QTemporaryDir dir;
    const auto [base, cand] = qaPair(dir, 1000, b, c);
    QStringList args { QStringLiteral("compare"), base, cand, QStringLiteral("--quiet") };
    for (const auto& m : margins)
        args << QStringLiteral("--margin") << m;
    const auto table = cli(args);
    QCOMPARE(table.exitCode, exitCode);
    const QString text = QString::fromUtf8(table.out);
    QVERIFY2(text.contains(headline), table.out.constData());

    const auto json = cli(args + QStringList { QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(json.exitCode, exitCode);
    const auto doc = jsonOf(json);
    QCOMPARE(doc.value(QStringLiteral("verdict")).toString(), verdict);
    const auto task = doc.value(QStringLiteral("tasks")).toArray().at(0).toObject();
    QCOMPARE(task.value(QStringLiteral("n")).toInt(), 1000);
    QCOMPARE(task.value(QStringLiteral("b")).toInt(), b);
    const double bound = task.value(QStringLiteral("upper_bound")).toDouble();
    QVERIFY(bound > (b - c) / 1000.0);
    if (margins.isEmpty()) {
        // No margin: the answer is degraded or no evidence, and U is said for every task.
        QVERIFY(doc.value(QStringLiteral("margin")).isNull());
        QVERIFY(task.value(QStringLiteral("p_noninferiority")).isNull());
        QVERIFY(task.value(QStringLiteral("samples_needed")).isNull());
        const QString sentence
            = QStringLiteral("qa: the data rule out a drop above %1 points").arg(100.0 * bound, 0, 'f', 2);
        QVERIFY2(text.contains(sentence), qPrintable(sentence + QLatin1Char('\n') + text));
        QCOMPARE(task.value(QStringLiteral("advice")).toString(), sentence);
        return;
    }
    // The margin in delta's units: points / 100.
    const double points = margins[0].section(QLatin1Char('='), -1).toDouble();
    const QJsonValue top = doc.value(QStringLiteral("margin"));
    QVERIFY(top.isDouble());
    QCOMPARE(top.toDouble(), points / 100.0);
    QCOMPARE(task.value(QStringLiteral("margin")).toDouble(), points / 100.0);
    const double p = task.value(QStringLiteral("p_noninferiority")).toDouble();
    const int needed = task.value(QStringLiteral("samples_needed")).toInt();
    QVERIFY(!text.contains(QStringLiteral("the data rule out")));
    if (verdict == QLatin1String("no_worse_than_margin"))
        QVERIFY(p < 0.05);
    if (verdict != QLatin1String("inconclusive"))
        return;
    QVERIFY(p >= 0.05);
    if (b - c > 0) {
        // The observed drop (0.6 points) is above the margin: no number of samples would do.
        QCOMPARE(needed, -1);
        QVERIFY(text.contains(QStringLiteral("qa: the observed drop is above its margin; more samples would not "
                                             "show it within")));
    } else {
        QVERIFY(needed > 1000);
        const QString sentence = QStringLiteral("collect about %1 more samples of qa").arg(needed - 1000);
        QVERIFY2(text.contains(sentence), qPrintable(text));
        QVERIFY(task.value(QStringLiteral("advice")).toString().startsWith(sentence));
    }
}

void TestCli::badMarginsExitTwo_data()
{
    QTest::addColumn<QString>("margin");
    QTest::addColumn<QString>("expected");
    QTest::newRow("negative") << QStringLiteral("-1") << QStringLiteral("is negative");
    QTest::newRow("negative, one task") << QStringLiteral("qa=-0.5") << QStringLiteral("is negative");
    QTest::newRow("above 100 points") << QStringLiteral("101") << QStringLiteral("cannot drop by more than 100 points");
    QTest::newRow("unknown task") << QStringLiteral("gsm8k=1")
                                  << QStringLiteral("names task \"gsm8k\", which this comparison does not have");
    QTest::newRow("percentage on a binary task")
        << QStringLiteral("qa=2%")
        << QStringLiteral("task qa is scored right or wrong: give its margin in accuracy "
                          "points");
    QTest::newRow("not a number") << QStringLiteral("one") << QStringLiteral("--margin");
}

void TestCli::badMarginsExitTwo()
{
    QFETCH(QString, margin);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto [base, cand] = qaPair(dir, 100, 2, 2);
    const auto r = cli({ QStringLiteral("compare"), base, cand, QStringLiteral("--margin"), margin });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestCli::clusterAndNoiseInJson()
{
    QTemporaryDir dir;
    const auto [base, cand] = qaPair(dir, 400, 6, 4);
    // A rerun of the baseline that disagrees with it on 7 samples (c = 4 .. 10: right there, wrong here).
    const auto [rerun, unused] = qaPair(dir, 400, 0, 11, QStringLiteral("rerun"));
    Q_UNUSED(unused);
    const auto plain = cli({ QStringLiteral("compare"), base, cand, QStringLiteral("--format"), QStringLiteral("json"),
        QStringLiteral("--quiet") });
    QCOMPARE(plain.exitCode, 0);
    auto task = jsonOf(plain).value(QStringLiteral("tasks")).toArray().at(0).toObject();
    QVERIFY(task.contains(QStringLiteral("cluster")) && task.value(QStringLiteral("cluster")).isNull());
    QVERIFY(task.contains(QStringLiteral("noise_flips")) && task.value(QStringLiteral("noise_flips")).isNull());

    const QStringList args { QStringLiteral("compare"), base, cand, QStringLiteral("--cluster"),
        QStringLiteral("group"), QStringLiteral("--base-rerun"), rerun, QStringLiteral("--quiet") };
    const auto r = cli(args + QStringList { QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1, r.err.constData());
    task = jsonOf(r).value(QStringLiteral("tasks")).toArray().at(0).toObject();
    const auto cluster = task.value(QStringLiteral("cluster")).toObject();
    QCOMPARE(cluster.value(QStringLiteral("key")).toString(), QStringLiteral("group"));
    QCOMPARE(cluster.value(QStringLiteral("clusters")).toInt(), 8);
    QVERIFY(cluster.value(QStringLiteral("design_effect")).toDouble() > 0.0);
    QCOMPARE(task.value(QStringLiteral("noise_flips")).toInt(), 7);
    // The table shows them beside the candidate's own flips.
    const auto table = cli(args);
    const QString text = QString::fromUtf8(table.out);
    QVERIFY2(text.contains(QStringLiteral("group: 8 clusters, design effect")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral(" vs 7")), qPrintable(text));
}

void TestCli::maxPermutations()
{
    QTemporaryDir dir;
    const auto [base, cand] = qaPair(dir, 200, 5, 3);
    const auto refused = cli({ QStringLiteral("compare"), base, cand, QStringLiteral("--permutations"),
        QStringLiteral("2000"), QStringLiteral("--max-permutations"), QStringLiteral("1000") });
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("--max-permutations (1000) must be at least --permutations (2000)"),
        refused.err.constData());
    const auto r = cli({ QStringLiteral("compare"), base, cand, QStringLiteral("--permutations"),
        QStringLiteral("1000"), QStringLiteral("--max-permutations"), QStringLiteral("5000"),
        QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--quiet") });
    QCOMPARE(r.exitCode, 0);
    const auto perm = jsonOf(r).value(QStringLiteral("permutation")).toObject();
    QCOMPARE(perm.value(QStringLiteral("max_permutations")).toInteger(), 5000);
    QCOMPARE(perm.value(QStringLiteral("requested")).toInteger(), 1000);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
