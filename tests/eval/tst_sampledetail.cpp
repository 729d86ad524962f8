// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "common/TextDiff.h"
#include "common/TextUtil.h"
#include "eval/RunLoader.h"
#include "eval/SampleDetail.h"
#include "eval/SamplesParser.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

using namespace deltascope;

class TestSampleDetail : public QObject {
    Q_OBJECT
private slots:
    void realGsm8kRecord();
    void legacyArrayRecord();
    void byteOrderMarkIsSkipped();
    void deepNestingIsShownRaw();
    void loglikelihoodResponses();
    void tableRowIsRaw();
    void shrunkFileIsAnError();
    void wordDiff_data();
    void wordDiff();
    void wordDiffLongTextsStayBounded();
    void utf8Repair_data();
    void utf8Repair();
    void invalidUtf8ShowsReplacementCharacters();
};

namespace {

// Reassembles one side of a diff from its spans and the changed pieces.
std::pair<std::string, std::string> rebuild(const std::string& text, const std::vector<DiffSpan>& spans)
{
    std::string all;
    std::string changed;
    std::size_t at = 0;
    for (const auto& s : spans) {
        if (s.begin != at)
            return { "gap", "" };
        all += text.substr(s.begin, s.length);
        if (s.changed)
            changed += "[" + text.substr(s.begin, s.length) + "]";
        at = s.begin + s.length;
    }
    return { all, changed };
}

} // namespace

void TestSampleDetail::realGsm8kRecord()
{
    // A real lm-eval 0.4.x gsm8k record: generation arguments, target, filtered answer and metric.
    auto run = eval::loadRun(test::sharedPath("lmeval_gsm8k_tiny"), {});
    QVERIFY(run.ok());
    const auto& task = run.value->tasks.front();
    const auto it
        = std::find_if(task.samples.begin(), task.samples.end(), [](const auto& s) { return s.docId == "0"; });
    QVERIFY(it != task.samples.end());
    const auto d = eval::readSampleDetail(*run.value, *it);
    QVERIFY(d.ok());
    QCOMPARE(d.value->docId, std::string("0"));
    QVERIFY(d.value->prompt.rfind("Question: Jen and Tyler", 0) == 0);
    QVERIFY(d.value->prompt.find("Janet’s ducks") != std::string::npos);
    QVERIFY(d.value->target.find("#### 18") != std::string::npos);
    QVERIFY(d.value->doc.find("\"question\"") != std::string::npos);
    QVERIFY(!d.value->docHash.empty() && !d.value->promptHash.empty());
    QVERIFY(d.value->choices.empty()); // generation: the second argument holds settings, not a choice
    const bool hasMetric = std::any_of(
        d.value->metrics.begin(), d.value->metrics.end(), [](const auto& m) { return m.first == "exact_match"; });
    QVERIFY(hasMetric);
    QVERIFY(!d.value->response.empty());
    QCOMPARE(d.value->line, it->line);
}

void TestSampleDetail::byteOrderMarkIsSkipped()
{
    // The same real gsm8k run written with a UTF-8 byte-order mark before its first record (as some
    // Windows tools do), and a JSONL score table with one: both load as without it, and a record
    // read back later is the same bytes (offsets count from after the mark).
    const std::string src = test::sharedPath("lmeval_gsm8k_tiny");
    if (!QFileInfo::exists(QString::fromStdString(src)))
        QSKIP("../shared/data/real is not present");
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("run"));
    QVERIFY(QDir().mkpath(copy));
    for (const auto& name : QDir(QString::fromStdString(src)).entryList(QDir::Files)) {
        QFile in(QString::fromStdString(src) + QLatin1Char('/') + name);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QFile out(copy + QLatin1Char('/') + name);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("\xEF\xBB\xBF");
        out.write(in.readAll());
    }
    auto plain = eval::loadRun(src, {});
    auto marked = eval::loadRun(copy.toStdString(), {});
    QVERIFY(plain.ok());
    QVERIFY2(marked.ok(), marked.error ? marked.error->toString().c_str() : "");
    const auto& a = plain.value->tasks.front().samples;
    const auto& b = marked.value->tasks.front().samples;
    QCOMPARE(b.size(), a.size());
    for (std::size_t i = 0; i < a.size(); i += 7) {
        QCOMPARE(b[i].docId, a[i].docId);
        QCOMPARE(b[i].score, a[i].score);
        QCOMPARE(b[i].line, a[i].line);
        const auto da = eval::readSampleDetail(*plain.value, a[i]);
        const auto db = eval::readSampleDetail(*marked.value, b[i]);
        QVERIFY(da.ok() && db.ok());
        QCOMPARE(db.value->prompt, da.value->prompt);
        QCOMPARE(db.value->response, da.value->response);
    }

    const QString table = dir.filePath(QStringLiteral("t.jsonl"));
    QFile t(table);
    QVERIFY(t.open(QIODevice::WriteOnly));
    t.write("\xEF\xBB\xBF{\"example_id\": \"q1\", \"score\": 1}\n{\"example_id\": \"q2\", \"score\": 0}\n");
    t.close();
    eval::LoadOptions o;
    o.columns.id = "example_id";
    o.columns.score = "score";
    auto rows = eval::loadRun(table.toStdString(), o);
    QVERIFY2(rows.ok(), rows.error ? rows.error->toString().c_str() : "");
    const auto& first = rows.value->tasks.front().samples.front();
    QCOMPARE(first.docId, std::string("q1"));
    const auto d = eval::readSampleDetail(*rows.value, first);
    QVERIFY(d.ok());
    QVERIFY2(d.value->raw.find("{\"example_id\": \"q1\"") == 0, d.value->raw.c_str());
}

void TestSampleDetail::deepNestingIsShownRaw()
{
    // A record whose unread response field nests 600 lists deep, more than the sample view walks
    // (the loader's parser takes up to 1024 levels, and the comparison never reads that field):
    // its sample view shows the raw record instead of walking the nesting. Far deeper documents
    // would otherwise run the stack out.
    const QByteArray deep = QByteArray(600, '[') + "1" + QByteArray(600, ']');
    QTemporaryDir dir;
    const QByteArray record = "{\"example_id\": \"q1\", \"score\": 1, \"response\": " + deep + "}";
    const auto table
        = test::writeFile(dir, QStringLiteral("t.jsonl"), record + "\n{\"example_id\": \"q2\", \"score\": 0}\n");
    eval::LoadOptions o;
    o.columns.id = "example_id";
    o.columns.score = "score";
    const auto rows = eval::loadRun(table, o);
    QVERIFY2(rows.ok(), rows.error ? rows.error->toString().c_str() : "");
    const auto d = eval::readSampleDetail(*rows.value, rows.value->tasks.front().samples.front());
    QVERIFY(d.ok());
    QVERIFY2(d.value->response.empty(), d.value->response.substr(0, 40).c_str());
    QCOMPARE(d.value->raw, record.toStdString());
}

void TestSampleDetail::legacyArrayRecord()
{
    // 0.4.0-0.4.2 keep records in an indented JSON array: the offsets point into it.
    auto run = eval::loadRun(test::dataPath("eval/layout_0.4.0/baseline"), {});
    QVERIFY(run.ok());
    for (const auto& task : run.value->tasks) {
        if (task.task != "gsm8k")
            continue;
        const auto d = eval::readSampleDetail(*run.value, task.samples.front());
        QVERIFY(d.ok());
        QVERIFY(d.value->prompt.rfind("Question: ", 0) == 0);
        QVERIFY(d.value->target.find("####") != std::string::npos);
        return;
    }
    QFAIL("no gsm8k task in the fixture");
}

void TestSampleDetail::loglikelihoodResponses()
{
    // Multiple choice: one [log-likelihood, is_greedy] per choice, as strings in newer versions.
    QTemporaryDir dir;
    const std::string record
        = R"({"doc_id": 7, "doc": {"q": "x"}, "target": 2, )"
          R"("arguments": {"gen_args_0": {"arg_0": "Q?", "arg_1": " A"}, "gen_args_1": )"
          R"({"arg_0": "Q?", "arg_1": " B"}, "gen_args_2": {"arg_0": "Q?", "arg_1": " C"}}, )"
          R"("resps": [[["-4.5", "False"]], [["-1.25", "True"]], [["-9", "False"]]], )"
          R"("filtered_resps": [["-4.5", "False"], ["-1.25", "True"], ["-9", "False"]], "acc": 0.0})";
    const auto path = test::writeFile(
        dir, QStringLiteral("samples_mc_2025-01-01T00-00-00.jsonl"), QByteArray::fromStdString(record + "\n"));
    eval::EvalRun run;
    run.files.push_back(path);
    eval::SampleRecord rec;
    rec.docId = "7";
    rec.length = static_cast<std::uint32_t>(record.size());
    rec.line = 1;
    const auto d = eval::readSampleDetail(run, rec);
    QVERIFY(d.ok());
    QCOMPARE(d.value->prompt, std::string("Q?"));
    QCOMPARE(d.value->choices, (std::vector<std::string> { " A", " B", " C" }));
    QCOMPARE(d.value->target, std::string("2"));
    QCOMPARE(d.value->response,
        std::string("[0] log-likelihood -4.5\n[1] log-likelihood -1.25, greedy  <- picked\n[2] log-likelihood -9"));
    QCOMPARE(d.value->filtered, d.value->response);
    QCOMPARE(d.value->metrics.size(), std::size_t(1)); // no "metrics" list: the numbers outside known fields
    QCOMPARE(d.value->metrics[0].first, std::string("acc"));
}

void TestSampleDetail::tableRowIsRaw()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("t.csv"), "doc_id,score\nq1,1\nq2,0\n");
    eval::EvalRun run;
    run.files.push_back(path);
    eval::SampleRecord rec;
    rec.docId = "q2";
    rec.offset = 18;
    rec.length = 4;
    rec.line = 3;
    const auto d = eval::readSampleDetail(run, rec);
    QVERIFY(d.ok());
    QCOMPARE(d.value->raw, std::string("q2,0"));
    QVERIFY(d.value->prompt.empty());
}

void TestSampleDetail::shrunkFileIsAnError()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("s.jsonl"), "{\"doc_id\": 1}\n");
    eval::EvalRun run;
    run.files.push_back(path);
    eval::SampleRecord rec;
    rec.offset = 4;
    rec.length = 100;
    rec.line = 9;
    const auto d = eval::readSampleDetail(run, rec);
    QVERIFY(!d.ok());
    QCOMPARE(d.error->file, path);
    QCOMPARE(d.error->line, std::int64_t(9));
}

void TestSampleDetail::wordDiff_data()
{
    QTest::addColumn<QString>("left");
    QTest::addColumn<QString>("right");
    QTest::addColumn<QString>("leftChanged");
    QTest::addColumn<QString>("rightChanged");
    QTest::newRow("same") << "The answer is 18."
                          << "The answer is 18."
                          << ""
                          << "";
    QTest::newRow("one number") << "The answer is 18."
                                << "The answer is 16."
                                << "[18]"
                                << "[16]";
    QTest::newRow("inserted word") << "so 9 eggs"
                                   << "so 9 duck eggs"
                                   << ""
                                   << "[duck ]";
    QTest::newRow("punctuation") << "#### 18"
                                 << "#### 18."
                                 << ""
                                 << "[.]";
    QTest::newRow("empty left") << ""
                                << "new text"
                                << ""
                                << "[new text]";
    QTest::newRow("all different") << "alpha"
                                   << "beta"
                                   << "[alpha]"
                                   << "[beta]";
    // Two different sentences share only spaces and a short word: one changed block each, not
    // every word marked apart.
    QTest::newRow("different sentences") << "The cat sat on a mat"
                                         << "One dog lay under a rug"
                                         << "[The cat sat on a mat]"
                                         << "[One dog lay under a rug]";
    // A shared real word between two changes stays unmarked.
    QTest::newRow("shared word kept") << "we need 12 apples in total"
                                      << "so need 12 pears in total"
                                      << "[we][apples]"
                                      << "[so][pears]";
}

void TestSampleDetail::wordDiff()
{
    QFETCH(QString, left);
    QFETCH(QString, right);
    QFETCH(QString, leftChanged);
    QFETCH(QString, rightChanged);
    const auto l = left.toStdString();
    const auto r = right.toStdString();
    const auto d = diffWords(l, r);
    const auto [lAll, lChanged] = rebuild(l, d.left);
    const auto [rAll, rChanged] = rebuild(r, d.right);
    QCOMPARE(lAll, l);
    QCOMPARE(rAll, r);
    QCOMPARE(QString::fromStdString(lChanged), leftChanged);
    QCOMPARE(QString::fromStdString(rChanged), rightChanged);
}

void TestSampleDetail::wordDiffLongTextsStayBounded()
{
    // Beyond the token cap the common head and tail are kept and the middle marked changed.
    std::string a = "start ";
    std::string b = "start ";
    for (int i = 0; i < 5000; ++i) {
        a += "a" + std::to_string(i) + " ";
        b += "b" + std::to_string(i) + " ";
    }
    a += "end";
    b += "end";
    const auto d = diffWords(a, b, 1000);
    QCOMPARE(rebuild(a, d.left).first, a);
    QCOMPARE(rebuild(b, d.right).first, b);
    QVERIFY(!d.left.front().changed);
    QVERIFY(!d.left.back().changed);
    QCOMPARE(d.left.size(), std::size_t(3));
}

void TestSampleDetail::utf8Repair_data()
{
    QTest::addColumn<QByteArray>("in");
    QTest::addColumn<QByteArray>("out");
    const QByteArray r("\xEF\xBF\xBD");
    QTest::newRow("valid") << QByteArray("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")
                           << QByteArray("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    QTest::newRow("lone continuation") << QByteArray("a\x80"
                                                     "b")
                                       << QByteArray("a" + r + "b");
    QTest::newRow("truncated") << QByteArray("a\xE2\x82") << QByteArray("a" + r + r);
    QTest::newRow("overlong") << QByteArray("\xC0\xAF") << QByteArray(r + r);
    QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80") << QByteArray(r + r + r);
    QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << QByteArray(r + r + r + r);
    QTest::newRow("latin-1") << QByteArray("na\xEF"
                                           "ve")
                             << QByteArray("na" + r + "ve");
}

void TestSampleDetail::utf8Repair()
{
    QFETCH(QByteArray, in);
    QFETCH(QByteArray, out);
    const std::string_view v(in.constData(), static_cast<std::size_t>(in.size()));
    QCOMPARE(QByteArray::fromStdString(replaceInvalidUtf8(v)), out);
    QCOMPARE(isValidUtf8(v), in == out);
    // The one-byte replacement keeps the length.
    QCOMPARE(replaceInvalidUtf8(v, "?").size(), v.size());
}

void TestSampleDetail::invalidUtf8ShowsReplacementCharacters()
{
    // A response holding bytes that are not UTF-8 (Latin-1 "\xE9"): the file loads, the sample
    // opens, and the bad byte shows as U+FFFD. Both the JSON-lines and the array layouts.
    QTemporaryDir dir;
    const QByteArray record = R"({"doc_id": 3, "doc": {"q": "x"}, "target": "caf)" + QByteArray("\xE9")
        + R"(", "arguments": {"gen_args_0": {"arg_0": "Say caf)" + QByteArray("\xE9")
        + R"(", "arg_1": {}}}, "resps": [["caf)" + QByteArray("\xE9\xE9") + R"("]], "filtered_resps": ["caf)"
        + QByteArray("\xE9") + R"("], "exact_match": 1.0})";
    for (const bool array : { false, true }) {
        const QString name = array ? QStringLiteral("samples_t_2025-01-01T00-00-00.json")
                                   : QStringLiteral("samples_t_2025-01-01T00-00-00.jsonl");
        const QByteArray text = array ? QByteArray("[\n  " + record + "\n]\n") : QByteArray(record + "\n");
        const auto path = test::writeFile(dir, name, text);
        eval::SamplesParseOptions o;
        o.task = "t";
        o.metric = "exact_match";
        const auto parsed = eval::parseSamplesFile(path, o);
        QVERIFY2(parsed.ok(), parsed.error ? parsed.error->toString().c_str() : "");
        const auto& rec = parsed.value->front().samples.front();
        QCOMPARE(rec.docId, std::string("3"));
        QCOMPARE(rec.score, 1.0);
        eval::EvalRun run;
        run.files.push_back(path);
        const auto d = eval::readSampleDetail(run, rec);
        QVERIFY(d.ok());
        QCOMPARE(d.value->prompt, std::string("Say caf\xEF\xBF\xBD"));
        QVERIFY2(d.value->response.find("caf\xEF\xBF\xBD\xEF\xBF\xBD") != std::string::npos, d.value->response.c_str());
        QVERIFY(isValidUtf8(d.value->raw));
    }
}

QTEST_GUILESS_MAIN(TestSampleDetail)
#include "tst_sampledetail.moc"
