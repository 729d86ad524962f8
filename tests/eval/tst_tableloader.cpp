// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "common/MemoryReuse.h"
#include "common/TextUtil.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "eval/TableLoader.h"

#include <cstdlib>
#include <limits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <map>

using namespace deltascope;

class TestTableLoader : public QObject {
    Q_OBJECT
private slots:
    void csvWithQuotes();
    void jsonlIdsBeyond64Bits();
    void csvTaskFromFileName();
    void tabSeparated();
    void csvMissingColumn();
    void csvBadScore();
    void jsonlDottedTaskColumn();
    void jsonlMissingField();
    void realMmluPair();
    void jsonlAcrossReadWindows();
    void largeBlocksStayForReuse();
    void jsonlMalformedInsideARecord_data();
    void jsonlMalformedInsideARecord();
    void oneDocumentIsNotATable();
    void nanScoreFailsNamingTheLine_data();
    void nanScoreFailsNamingTheLine();
    void nanRowsCanBeSkipped_data();
    void nanRowsCanBeSkipped();
    void infinitiesAreKept();
    void weightColumn_data();
    void weightColumn();
    void badWeight();
    void clusterColumn_data();
    void clusterColumn();
    void missingClusterColumn();
    void rowsWithoutAClusterAreSingletons_data();
    void rowsWithoutAClusterAreSingletons();
    void clusterFieldNoRecordHas();
    void clusterFieldHoldingAnObject();
    void realMmluClustersBySubject();
};

void TestTableLoader::csvWithQuotes()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("scores.csv"),
        "prompt_id,score,task,note\n"
        "a1,1,arc,\"plain\"\n"
        "\"a,2\",0,arc,\"has \"\"quotes\"\" and, commas\"\n"
        "a3,N/A,arc,\"multi\nline\"\n"
        "b1,1.0,boolq,x\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->tasks.size(), std::size_t(2));
    const auto& arc = r.value->tasks[0];
    QCOMPARE(arc.task, std::string("arc"));
    QCOMPARE(arc.samples.size(), std::size_t(3));
    QCOMPARE(arc.samples[1].docId, std::string("a,2"));
    QCOMPARE(arc.samples[1].score, 0.0);
    QVERIFY(std::isnan(arc.samples[2].score));
    QCOMPARE(r.value->tasks[1].samples[0].line, std::int64_t(6)); // the quoted newline counts
}

void TestTableLoader::csvTaskFromFileName()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("hellaswag.csv"), "id,score\n1,1\n2,0\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY(r.ok());
    QCOMPARE(r.value->tasks[0].task, std::string("hellaswag"));
}

void TestTableLoader::tabSeparated()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("runs.tsv"), "id\tscore\tnote\n1\t1\ta, b\n2\t0\tc\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->tasks[0].samples.size(), std::size_t(2));
    QCOMPARE(r.value->tasks[0].samples[0].score, 1.0);
    QCOMPARE(r.value->tasks[0].samples[1].docId, std::string("2"));
}

void TestTableLoader::csvMissingColumn()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("t.csv"), "id,correct\n1,1\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(1));
    QVERIFY(r.error->message.find("score") != std::string::npos);
    QVERIFY(r.error->message.find("columns: id, correct") != std::string::npos);
    QVERIFY(!r.error->skippable); // skipping rows does not give the table a score column
    // A column the comparison reads, named twice: refused, naming both places.
    const auto twice = eval::loadScoreTable(
        test::writeFile(dir, QStringLiteral("twice.csv"), "id,score,note,score\n1,1,x,0\n"), {}, false);
    QVERIFY(!twice.ok());
    QCOMPARE(twice.error->line, std::int64_t(1));
    QVERIFY2(twice.error->message.find("\"score\" twice (columns 2 and 4)") != std::string::npos,
        twice.error->message.c_str());
    // A repeated column that is not read is harmless.
    QVERIFY(eval::loadScoreTable(
        test::writeFile(dir, QStringLiteral("notes.csv"), "id,score,note,note\n1,1,x,y\n"), {}, false)
                .ok());
}

void TestTableLoader::csvBadScore()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("t.csv"), "id,score\n1,1\n2,yes please\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(3));
    QVERIFY(r.error->message.find("not a number") != std::string::npos);
    QVERIFY(r.error->skippable); // a bad row: skipping bad lines leaves it out
    const auto skipped = eval::loadScoreTable(path, {}, true);
    QVERIFY(skipped.ok());
    QCOMPARE(skipped.value->tasks[0].samples.size(), std::size_t(1));
    // Every row skipped (a text column read as the score): said so, with the first row's reason,
    // not "the table has no rows".
    eval::TableColumns textScore;
    textScore.score = "task";
    const auto none = eval::loadScoreTable(
        test::writeFile(dir, QStringLiteral("text.csv"), "id,task\n1,mmlu\n2,mmlu\n"), textScore, true);
    QVERIFY(!none.ok());
    QCOMPARE(none.error->line, std::int64_t(2));
    QVERIFY2(
        none.error->message.find("rows were skipped as malformed") != std::string::npos, none.error->message.c_str());
    QVERIFY2(none.error->message.find("\"mmlu\" is not a number") != std::string::npos, none.error->message.c_str());
}

void TestTableLoader::jsonlDottedTaskColumn()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("runs.jsonl"),
        "{\"example_id\": \"q1\", \"score\": 1.0, \"metadata\": {\"subject\": \"algebra\"}}\n"
        "{\"example_id\": 17, \"score\": \"0\", \"metadata\": {\"subject\": \"law\"}}\n"
        "{\"example_id\": \"q3\", \"score\": null, \"metadata\": {\"subject\": \"law\"}}\n");
    eval::TableColumns cols;
    cols.id = "example_id";
    cols.task = "metadata.subject";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->tasks.size(), std::size_t(2));
    QCOMPARE(r.value->tasks[0].task, std::string("algebra"));
    QCOMPARE(r.value->tasks[1].task, std::string("law"));
    QCOMPARE(r.value->tasks[1].samples[0].docId, std::string("17"));
    QVERIFY(std::isnan(r.value->tasks[1].samples[1].score));
}

void TestTableLoader::jsonlMissingField()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("r.jsonl"),
        "{\"example_id\": \"q1\", \"score\": 1.0}\n{\"example_id\": \"q2\", \"points\": 1.0}\n");
    eval::TableColumns cols;
    cols.id = "example_id";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY(r.error->message.find("\"score\"") != std::string::npos);
}

void TestTableLoader::realMmluPair()
{
    const std::string root = test::sharedPath("mmlu_llama31_8b_fp16_vs_q4");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    eval::LoadOptions lo;
    lo.columns.id = "example_id";
    lo.columns.score = "score";
    const auto base = eval::loadRun(root + "/mmlu_fp16.jsonl", lo);
    const auto cand = eval::loadRun(root + "/mmlu_q4_K_M.jsonl", lo);
    QVERIFY2(base.ok(), base.error ? base.error->toString().c_str() : "");
    QVERIFY(cand.ok());
    QCOMPARE(base.value->tasks.size(), std::size_t(1));
    QCOMPARE(base.value->tasks[0].task, std::string("mmlu"));
    QCOMPARE(base.value->tasks[0].samples.size(), std::size_t(500));
    const auto paired = eval::pairRuns(*base.value, *cand.value);
    const auto& t = paired.tasks.front();
    QCOMPARE(t.base.size(), std::size_t(499));
    QCOMPARE(t.duplicatesBase, std::int64_t(1));
    QCOMPARE(t.duplicatesCand, std::int64_t(1));
    bool said = false;
    for (const auto& w : t.warnings)
        said = said
            || (w.message.find("high_school_mathematics::d3f3d532") != std::string::npos
                && w.message.find("first occurrence is kept") != std::string::npos);
    QVERIFY(said);
}

void TestTableLoader::largeBlocksStayForReuse()
{
    // The programs' first step: a block of a few megabytes (a sample list that grows) comes from
    // the heap, so that the one it replaces can serve the next list instead of a fresh mapping
    // faulted in page by page.
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    deltascope::keepLargeBlocksForReuse();
    QVERIFY(deltascope::largeBlocksKeptForReuse());
    const auto before = mallinfo2().hblks; // blocks mapped on their own
    void* block = std::malloc(std::size_t { 16 } << 20);
    QVERIFY(block != nullptr);
    const auto during = mallinfo2().hblks;
    std::free(block);
    QCOMPARE(during, before);
#else
    QSKIP("the C library's allocator settings are those of glibc (and not under a sanitizer)");
#endif
}

void TestTableLoader::jsonlAcrossReadWindows()
{
    // A JSONL table read in windows of a few MB: a byte-order mark, CRLF line ends, blank lines,
    // a record longer than a window and no newline at the end. Each row keeps its own line, offset
    // (from the text after the mark) and length.
    QByteArray text = "\xEF\xBB\xBF";
    const int n = 40000;
    std::vector<qsizetype> starts;
    std::vector<int> lines;
    int line = 1;
    for (int i = 0; i < n; ++i) {
        if (i % 1013 == 7) {
            text += "\r\n";
            ++line;
        }
        starts.push_back(text.size());
        lines.push_back(line);
        const QByteArray pad(i == 555 ? 6 << 20 : (i * 7919) % 250, 'y');
        text += QByteArray("{\"id\": \"r" + QByteArray::number(i) + "\", \"note\": \"" + pad
            + "\", \"score\": " + QByteArray::number(i % 2) + "}");
        if (i + 1 < n) {
            text += "\r\n";
            ++line;
        }
    }
    QTemporaryDir dir;
    const auto r = eval::loadScoreTable(test::writeFile(dir, QStringLiteral("big.jsonl"), text), {}, false);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& samples = r.value->tasks.at(0).samples;
    QCOMPARE(samples.size(), std::size_t(n));
    for (int i = 0; i < n; ++i) {
        const auto& s = samples[static_cast<std::size_t>(i)];
        QCOMPARE(s.docId, "r" + std::to_string(i));
        QCOMPARE(s.score, double(i % 2));
        QCOMPARE(s.line, std::int64_t(lines[static_cast<std::size_t>(i)]));
        QCOMPARE(s.offset + 3, std::uint64_t(starts[static_cast<std::size_t>(i)]));
        QVERIFY(text.mid(starts[static_cast<std::size_t>(i)], s.length).startsWith(QByteArray("{\"id\": \"r")));
    }
}

void TestTableLoader::jsonlMalformedInsideARecord_data()
{
    // Broken structure that is only met when a field is looked up (found by fuzzing: this used to
    // crash); wherever it sits, the record is malformed.
    QTest::addColumn<QByteArray>("record");
    QTest::addColumn<QString>("expected");
    const QString malformed = QStringLiteral("malformed JSON record");
    QTest::newRow("before the id") << QByteArray(R"({"metadata": {"x": [1, }, "id": "b", "score": 0})") << malformed;
    QTest::newRow("in the task") << QByteArray(R"({"id": "a", "task": {"x": [1, }, "score": 1})") << malformed;
    QTest::newRow("after the score") << QByteArray(R"({"id": "a", "score": 1, "task": {"x": [1, }})") << malformed;
    // An id, task or score that is an object or a list has no text: it used to be read as its
    // first character, so that two different ids paired as duplicates.
    QTest::newRow("object id") << QByteArray(R"({"id": {"a": 2}, "score": 0})")
                               << QStringLiteral("id field \"id\" holds an object or a list");
    QTest::newRow("list id") << QByteArray(R"({"id": [2], "score": 0})")
                             << QStringLiteral("id field \"id\" holds an object or a list");
    QTest::newRow("list task") << QByteArray(R"({"id": "b", "task": [1, 2], "score": 0})")
                               << QStringLiteral("task field \"task\" holds an object or a list");
    QTest::newRow("object score") << QByteArray(R"({"id": "b", "score": {"v": 1}})")
                                  << QStringLiteral("score field \"score\" is not a number");
    // A field read twice: which one counts is a guess, so the record is refused.
    QTest::newRow("score twice") << QByteArray(R"({"id": "b", "score": 1, "x": 2, "score": 0})")
                                 << QStringLiteral("the record gives \"score\" twice");
    QTest::newRow("id twice") << QByteArray(R"({"id": "b", "id": "c", "score": 1})")
                              << QStringLiteral("the record gives \"id\" twice");
    // A line of valid JSON that is not an object says what it holds.
    QTest::newRow("list line") << QByteArray(R"(["b", 0])")
                               << QStringLiteral("a record must be a JSON object ({\"id\": ..., \"score\": ...}); this "
                                                 "line holds a list");
    QTest::newRow("number line") << QByteArray("7")
                                 << QStringLiteral("must be a JSON object")
            + QStringLiteral(" ({\"id\": ..., \"score\": ...}); this line holds a number");
    QTest::newRow("task twice") << QByteArray(R"({"task": "a", "id": "b", "score": 1, "task": "c"})")
                                << QStringLiteral("the record gives \"task\" twice");
}

void TestTableLoader::jsonlMalformedInsideARecord()
{
    QFETCH(QByteArray, record);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto path
        = test::writeFile(dir, QStringLiteral("r.jsonl"), "{\"id\": \"q1\", \"score\": 1.0}\n" + record + "\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t { 2 });
    QVERIFY2(r.error->message.find(expected.toStdString()) != std::string::npos, r.error->message.c_str());
    // Skipping bad lines keeps the good record and lists the bad one.
    const auto s = eval::loadScoreTable(path, {}, true);
    QVERIFY(s.ok());
    QCOMPARE(s.value->tasks.front().samples.size(), std::size_t { 1 });
    QVERIFY(!s.warnings.empty());
}

void TestTableLoader::oneDocumentIsNotATable()
{
    // simple-evals' summary (pretty-printed aggregate metrics) names the per-sample file beside it.
    const std::string dir = test::sharedPath("simple_evals_healthbench");
    if (!QFileInfo::exists(QString::fromStdString(dir)))
        QSKIP("../shared/data/real is not present");
    const auto summary = eval::loadScoreTable(dir + "/healthbench_hard_gpt-4o-mini_20260113_121409.json", {}, false);
    QVERIFY(!summary.ok());
    QVERIFY2(summary.error->message.find("a simple-evals summary: aggregate metrics, not per-sample results; compare "
                                         "the per-sample file beside it, "
                                         "healthbench_hard_gpt-4o-mini_20260113_121409_allresults.json")
            != std::string::npos,
        summary.error->message.c_str());
    // Without that file beside it, the message says what simple-evals calls it.
    QTemporaryDir tmp;
    const auto alone = test::writeFile(tmp, QStringLiteral("he.json"), "{\n  \"score\": 0.4,\n  \"n\": 3\n}\n");
    const auto a = eval::loadScoreTable(alone, {}, false);
    QVERIFY(!a.ok());
    QVERIFY2(a.error->message.find("NAME_allresults.json") != std::string::npos, a.error->message.c_str());
    // Any other pretty-printed document: not a table, with the formats that are read.
    const auto other = test::writeFile(tmp, QStringLiteral("o.json"), "{\n  \"rows\": [1, 2]\n}\n");
    const auto o = eval::loadScoreTable(other, {}, false);
    QVERIFY(!o.ok());
    QVERIFY2(
        o.error->message.find("one JSON document over several lines") != std::string::npos, o.error->message.c_str());
    // A JSONL table whose first record is broken is still read as a table, naming the line.
    const auto broken
        = test::writeFile(tmp, QStringLiteral("b.jsonl"), "{\"id\": 1, \"score\": \n{\"id\": 2, \"score\": 1}\n");
    const auto b = eval::loadScoreTable(broken, {}, false);
    QVERIFY(!b.ok());
    QCOMPARE(b.error->line, std::int64_t { 1 });
    QVERIFY2(b.error->message.find("malformed JSON record") != std::string::npos, b.error->message.c_str());
}

void TestTableLoader::nanScoreFailsNamingTheLine_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("CSV nan") << QStringLiteral("t.csv") << QByteArray("id,score\n1,1\n3,nan\n4,1\n");
    QTest::newRow("CSV NaN quoted") << QStringLiteral("t.csv") << QByteArray("id,score\n1,1\n3,\"NaN\"\n");
    QTest::newRow("JSONL bare NaN") << QStringLiteral("t.jsonl")
                                    << QByteArray("{\"id\": 1, \"score\": 1}\n{\"id\": 2, \"score\": 0}\n"
                                                  "{\"id\": 3, \"score\": NaN}\n");
    QTest::newRow("JSONL string nan") << QStringLiteral("t.jsonl")
                                      << QByteArray("{\"id\": 1, \"score\": 1}\n\n{\"id\": 3, \"score\": \"nan\"}\n");
}

void TestTableLoader::nanScoreFailsNamingTheLine()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, name, content);
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(3));
    const std::string text = r.error->toString();
    QVERIFY2(text.find(name.toStdString() + ":3:") != std::string::npos, text.c_str());
    QVERIFY2(text.find("score is NaN") != std::string::npos, text.c_str());
    QVERIFY2(text.find("--skip-bad-lines") != std::string::npos, text.c_str());
    QVERIFY(r.error->skippable);
}

void TestTableLoader::nanRowsCanBeSkipped_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("CSV") << QStringLiteral("t.csv") << QByteArray("id,score\n1,1\n2,\n3,NaN\n4,0\n5,nan\n");
    QTest::newRow("JSONL") << QStringLiteral("t.jsonl")
                           << QByteArray("{\"id\": 1, \"score\": 1}\n{\"id\": 2, \"score\": null}\n"
                                         "{\"id\": 3, \"score\": NaN}\n{\"id\": 4, \"score\": 0}\n"
                                         "{\"id\": 5, \"score\": \"NaN\"}\n");
}

void TestTableLoader::nanRowsCanBeSkipped()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, name, content);
    const auto r = eval::loadScoreTable(path, {}, true);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& s = r.value->tasks.front().samples;
    // The empty score is missing (kept as NaN and counted apart); the two NaN rows are left out.
    QCOMPARE(s.size(), std::size_t(3));
    QCOMPARE(s[0].docId, std::string("1"));
    QCOMPARE(s[1].docId, std::string("2"));
    QVERIFY(std::isnan(s[1].score));
    QCOMPARE(s[2].docId, std::string("4"));
    int nanWarnings = 0;
    for (const auto& w : r.warnings) {
        if (w.message.find("NaN") == std::string::npos)
            continue;
        ++nanWarnings;
        QCOMPARE(w.line, std::int64_t(name.endsWith(QLatin1String(".csv")) ? 4 : 3));
        QVERIFY2(w.message.find("2 row(s)") != std::string::npos, w.message.c_str());
    }
    QCOMPARE(nanWarnings, 1);
}

void TestTableLoader::infinitiesAreKept()
{
    const double inf = std::numeric_limits<double>::infinity();
    QTemporaryDir dir;
    const auto csv
        = test::writeFile(dir, QStringLiteral("t.csv"), "id,score\n1,-inf\n2,-Infinity\n3,inf\n4,\"-INF\"\n");
    const auto rc = eval::loadScoreTable(csv, {}, false);
    QVERIFY2(rc.ok(), rc.error ? rc.error->toString().c_str() : "");
    const auto& c = rc.value->tasks.front().samples;
    QCOMPARE(c.size(), std::size_t(4));
    QCOMPARE(c[0].score, -inf);
    QCOMPARE(c[1].score, -inf);
    QCOMPARE(c[2].score, inf);
    QCOMPARE(c[3].score, -inf);
    const auto jsonl = test::writeFile(dir, QStringLiteral("t.jsonl"),
        "{\"id\": 1, \"score\": -Infinity}\n{\"id\": 2, \"score\": \"-inf\"}\n{\"id\": 3, \"score\": Infinity}\n");
    const auto rj = eval::loadScoreTable(jsonl, {}, false);
    QVERIFY2(rj.ok(), rj.error ? rj.error->toString().c_str() : "");
    const auto& j = rj.value->tasks.front().samples;
    QCOMPARE(j.size(), std::size_t(3));
    QCOMPARE(j[0].score, -inf);
    QCOMPARE(j[1].score, -inf);
    QCOMPARE(j[2].score, inf);
}

void TestTableLoader::weightColumn_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("CSV") << QStringLiteral("wikitext.csv")
                         << QByteArray("doc_id,word_perplexity,words\n0,-2528.156415355567,1093\n2,-5935.9,2434\n");
    QTest::newRow("JSONL") << QStringLiteral("wikitext.jsonl")
                           << QByteArray("{\"doc_id\": 0, \"word_perplexity\": -2528.156415355567, \"words\": 1093}\n"
                                         "{\"doc_id\": 2, \"word_perplexity\": \"-5935.9\", \"words\": \"2434\"}\n");
}

void TestTableLoader::weightColumn()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, name, content);
    eval::TableColumns cols;
    cols.score = "word_perplexity";
    cols.weight = "words";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->tasks.front();
    QVERIFY(t.logLikelihood);
    QVERIFY(t.higherIsBetter);
    QCOMPARE(t.metric, std::string("word_perplexity"));
    QCOMPARE(t.samples.size(), std::size_t(2));
    QCOMPARE(t.samples[0].score, -2528.156415355567);
    QCOMPARE(t.samples[0].weight, 1093.0);
    QCOMPARE(t.samples[1].score, -5935.9);
    QCOMPARE(t.samples[1].weight, 2434.0);
    // Without the weight column, the same table is an ordinary score table.
    cols.weight.clear();
    const auto plain = eval::loadScoreTable(path, cols, false);
    QVERIFY(plain.ok());
    QVERIFY(!plain.value->tasks.front().logLikelihood);
    QCOMPARE(plain.value->tasks.front().samples[0].weight, 0.0);
}

void TestTableLoader::badWeight()
{
    QTemporaryDir dir;
    eval::TableColumns cols;
    cols.weight = "bytes";
    const auto noColumn = test::writeFile(dir, QStringLiteral("a.csv"), "id,score\n1,-3.5\n");
    const auto r0 = eval::loadScoreTable(noColumn, cols, false);
    QVERIFY(!r0.ok());
    QVERIFY2(r0.error->message.find("no weight column \"bytes\"") != std::string::npos, r0.error->message.c_str());
    const auto csv = test::writeFile(dir, QStringLiteral("b.csv"), "id,score,bytes\n1,-3.5,10\n2,-1.5,lots\n");
    const auto r1 = eval::loadScoreTable(csv, cols, false);
    QVERIFY(!r1.ok());
    QCOMPARE(r1.error->line, std::int64_t(3));
    QVERIFY2(r1.error->message.find("weight \"lots\"") != std::string::npos, r1.error->message.c_str());
    const auto jsonl = test::writeFile(
        dir, QStringLiteral("c.jsonl"), "{\"id\": 1, \"score\": -3.5, \"bytes\": 10}\n{\"id\": 2, \"score\": -1}\n");
    const auto r2 = eval::loadScoreTable(jsonl, cols, false);
    QVERIFY(!r2.ok());
    QCOMPARE(r2.error->line, std::int64_t(2));
    QVERIFY2(r2.error->message.find("no weight field \"bytes\"") != std::string::npos, r2.error->message.c_str());
    const auto skipped = eval::loadScoreTable(jsonl, cols, true);
    QVERIFY(skipped.ok());
    QCOMPARE(skipped.value->tasks.front().samples.size(), std::size_t(1));
}

namespace {

std::vector<std::uint32_t> clustersOf(const eval::TaskSamples& t)
{
    std::vector<std::uint32_t> out;
    for (const auto& s : t.samples)
        out.push_back(s.cluster);
    return out;
}

// The expected counts of tests/data/eval/clusters/count_subjects.py ("name value" lines).
std::map<std::string, std::size_t> expectedSubjects()
{
    std::map<std::string, std::size_t> out;
    QFile f(QString::fromStdString(test::dataPath("eval/clusters/mmlu_subjects_expected.txt")));
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const auto& line : f.readAll().split('\n')) {
        const auto parts = line.split(' ');
        if (parts.size() == 2)
            out[parts[0].toStdString()] = parts[1].toULongLong();
    }
    return out;
}

} // namespace

void TestTableLoader::clusterColumn_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("CSV column, quoted value")
        << "scores_with_subject.csv"
        << "subject"
        << QStringList { QStringLiteral("anatomy"), QStringLiteral("virology"), QStringLiteral("college, physics") };
    QTest::newRow("JSONL dotted path, strings and numbers")
        << "scores_with_subject.jsonl"
        << "meta.subject"
        << QStringList { QStringLiteral("anatomy"), QStringLiteral("virology"), QStringLiteral("12") };
}

void TestTableLoader::clusterColumn()
{
    QFETCH(QString, file);
    QFETCH(QString, key);
    QFETCH(QStringList, names);
    // Through loadRun: LoadOptions::clusterKey names the column.
    eval::LoadOptions lo;
    lo.format = eval::LoadOptions::Format::Table;
    lo.clusterKey = key.toStdString();
    const auto r = eval::loadRun(test::dataPath(("eval/clusters/" + file.toStdString()).c_str()), lo);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QVERIFY(r.warnings.empty());
    QCOMPARE(r.value->tasks.size(), std::size_t(1));
    const auto& t = r.value->tasks[0];
    QCOMPARE(t.clusterKey, key.toStdString());
    std::vector<std::string> expected;
    for (const auto& n : names)
        expected.push_back(n.toStdString());
    QCOMPARE(t.clusterNames, expected);
    // rows q1..q6: anatomy, virology, anatomy, 3rd, virology, anatomy (CSV) / 3rd (JSONL)
    const std::uint32_t last = file.endsWith(QStringLiteral(".csv")) ? 0 : 2;
    QCOMPARE(clustersOf(t), (std::vector<std::uint32_t> { 0, 1, 0, 2, 1, last }));
    QCOMPARE(t.samples[3].docId, std::string("q4"));
    QCOMPARE(t.samples[1].score, 0.0);
}

void TestTableLoader::missingClusterColumn()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("s.csv"), "id,score,topic\n1,1,a\n");
    eval::TableColumns cols;
    cols.cluster = "subject";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(1));
    QVERIFY2(r.error->message.find("no cluster column \"subject\" (columns: id, score, topic)") != std::string::npos,
        r.error->message.c_str());
}

void TestTableLoader::rowsWithoutAClusterAreSingletons_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("key");
    QTest::newRow("CSV empty cells") << "s.csv"
                                     << QByteArray("id,score,task,subject\n1,1,a,x\n2,0,a,\n3,1,b,y\n4,1,a,x\n5,0,a,\n"
                                                   "6,0,b,y\n")
                                     << "subject";
    QTest::newRow("JSONL missing and null") << "s.jsonl"
                                            << QByteArray("{\"id\": 1, \"score\": 1, \"task\": \"a\", \"s\": \"x\"}\n"
                                                          "{\"id\": 2, \"score\": 0, \"task\": \"a\"}\n"
                                                          "{\"id\": 3, \"score\": 1, \"task\": \"b\", \"s\": \"y\"}\n"
                                                          "{\"id\": 4, \"score\": 1, \"task\": \"a\", \"s\": \"x\"}\n"
                                                          "{\"id\": 5, \"score\": 0, \"task\": \"a\", \"s\": null}\n"
                                                          "{\"id\": 6, \"score\": 0, \"task\": \"b\", \"s\": \"y\"}\n")
                                            << "s";
}

void TestTableLoader::rowsWithoutAClusterAreSingletons()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QFETCH(QString, key);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, name, content);
    eval::TableColumns cols;
    cols.cluster = key.toStdString();
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->tasks.size(), std::size_t(2));
    const auto& a = r.value->tasks[0];
    QCOMPARE(a.task, std::string("a"));
    QCOMPARE(a.clusterNames, (std::vector<std::string> { "x" }));
    QCOMPARE(clustersOf(a), (std::vector<std::uint32_t> { 0, eval::kNoCluster, 0, eval::kNoCluster }));
    QCOMPARE(clustersOf(r.value->tasks[1]), (std::vector<std::uint32_t> { 0, 0 }));
    // One warning, for task a only, at the first row without a cluster.
    QCOMPARE(r.warnings.size(), std::size_t(1));
    const auto& w = r.warnings.front();
    QCOMPARE(w.line, std::int64_t(name.endsWith(QStringLiteral(".csv")) ? 3 : 2));
    QVERIFY2(w.message.find("task a: 2 of 4 records have no cluster field " + key.toStdString()) != std::string::npos,
        w.message.c_str());
}

void TestTableLoader::clusterFieldNoRecordHas()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("s.jsonl"),
        "{\"id\": 1, \"score\": 1, \"task\": \"a\", \"meta\": {\"subject\": \"x\"}}\n"
        "{\"id\": 2, \"score\": 1, \"task\": \"b\", \"meta\": {\"topic\": \"x\", \"len\": 3}}\n"
        "{\"id\": 3, \"score\": 0, \"task\": \"b\", \"meta\": {\"topic\": \"y\"}}\n");
    eval::TableColumns cols;
    cols.cluster = "meta.subject";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY2(r.error->message.find("no record of task b has the cluster field meta.subject; on this line the meta "
                                   "has: topic, len")
            != std::string::npos,
        r.error->message.c_str());
}

void TestTableLoader::clusterFieldHoldingAnObject()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("s.jsonl"),
        "{\"id\": 1, \"score\": 1, \"meta\": \"x\"}\n{\"id\": 2, \"score\": 1, \"meta\": {\"a\": 1}}\n");
    eval::TableColumns cols;
    cols.cluster = "meta";
    const auto r = eval::loadScoreTable(path, cols, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY(r.error->message.find("holds an object or a list") != std::string::npos);
    const auto skipped = eval::loadScoreTable(path, cols, true);
    QVERIFY(skipped.ok());
    QCOMPARE(skipped.value->tasks[0].samples.size(), std::size_t(1));
}

void TestTableLoader::realMmluClustersBySubject()
{
    const std::string root = test::sharedPath("mmlu_llama31_8b_fp16_vs_q4");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    const auto expected = expectedSubjects();
    QVERIFY(expected.count("base_subjects") && expected.count("pair_subjects") && expected.count("pairs"));
    eval::LoadOptions lo;
    lo.columns.id = "example_id";
    lo.clusterKey = "metadata.subject";
    const auto base = eval::loadRun(root + "/mmlu_fp16.jsonl", lo);
    const auto cand = eval::loadRun(root + "/mmlu_q4_K_M.jsonl", lo);
    QVERIFY2(base.ok(), base.error ? base.error->toString().c_str() : "");
    QVERIFY(cand.ok());
    QVERIFY(base.warnings.empty()); // every record has a subject
    QCOMPARE(base.value->tasks[0].clusterNames.size(), expected.at("base_subjects"));
    QCOMPARE(cand.value->tasks[0].clusterNames.size(), expected.at("cand_subjects"));
    const auto paired = eval::pairRuns(*base.value, *cand.value);
    const auto& t = paired.tasks.front();
    QCOMPARE(t.clusterKey, std::string("metadata.subject"));
    QCOMPARE(t.base.size(), expected.at("pairs"));
    QCOMPARE(t.cluster.size(), t.base.size());
    QCOMPARE(t.clusterNames.size(), expected.at("pair_subjects"));
    // Every pair's cluster names the subject its baseline record's id starts with.
    const auto& bt = base.value->tasks[0];
    for (std::size_t i = 0; i < t.cluster.size(); ++i) {
        QVERIFY(t.cluster[i] < t.clusterNames.size());
        const auto& id = bt.samples[t.baseIndex[i]].docId;
        QCOMPARE(id.substr(0, id.find("::")), t.clusterNames[t.cluster[i]]);
    }
}

QTEST_GUILESS_MAIN(TestTableLoader)
// Integer ids of 20 digits and more are valid JSON no 64-bit integer holds: each keeps its digits,
// and two that differ in the last one stay two samples.
void TestTableLoader::jsonlIdsBeyond64Bits()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("big.jsonl"),
        "{\"id\": 100000000000000000000, \"score\": 1, \"note\": \"12345678901234567890123\"}\n"
        "{\"id\": 100000000000000000001, \"score\": 0}\n"
        "{\"id\": -123456789012345678901234, \"score\": 1}\n"
        "{\"id\": 7, \"score\": 0.5}\n"
        "{\"id\": -9300000000000000000, \"score\": 0.00012345678901234567}\n");
    const auto r = eval::loadScoreTable(path, {}, false);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& s = r.value->tasks.at(0).samples;
    QCOMPARE(s.size(), std::size_t(5));
    QCOMPARE(s[0].docId, std::string("100000000000000000000"));
    QCOMPARE(s[1].docId, std::string("100000000000000000001"));
    QCOMPARE(s[2].docId, std::string("-123456789012345678901234"));
    QCOMPARE(s[3].docId, std::string("7"));
    QCOMPARE(s[0].score, 1.0);
    QCOMPARE(s[3].score, 0.5);
    QCOMPARE(s[4].docId, std::string("-9300000000000000000")); // below the least 64-bit integer
    QCOMPARE(s[4].score, 0.00012345678901234567); // a long fraction stays a number
    QCOMPARE(
        quoteLongIntegers(R"({"a": 123456789012345678901, "b": "123456789012345678901", "c": 1.5e300, )"
                          R"("d": 18446744073709551615, "e": -9223372036854775808, "f": 0.000123456789012345678901})"),
        std::string(R"({"a": "123456789012345678901", "b": "123456789012345678901", "c": 1.5e300, )"
                    R"("d": 18446744073709551615, "e": -9223372036854775808, "f": 0.000123456789012345678901})"));
}

#include "tst_tableloader.moc"
