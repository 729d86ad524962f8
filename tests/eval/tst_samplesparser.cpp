#include "TestData.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "eval/SamplesParser.h"

using namespace deltascope;

namespace {

const eval::TaskSamples* findTask(const eval::EvalRun& run, const std::string& task, const std::string& filter)
{
    for (const auto& t : run.tasks)
        if (t.task == task && t.filter == filter)
            return &t;
    return nullptr;
}

eval::SamplesParseOptions optionsFor(const std::string& task)
{
    eval::SamplesParseOptions o;
    o.task = task;
    return o;
}

struct Counts {
    std::int64_t n = 0, b = 0, c = 0;
};

Counts countsOf(const eval::PairedTask& t)
{
    Counts k;
    k.n = static_cast<std::int64_t>(t.base.size());
    for (std::size_t i = 0; i < t.base.size(); ++i) {
        k.b += t.difference(i) > 0 ? 1 : 0;
        k.c += t.difference(i) < 0 ? 1 : 0;
    }
    return k;
}

} // namespace

class TestSamplesParser : public QObject {
    Q_OBJECT
private slots:
    void layouts_data();
    void layouts();
    void nonFiniteAndStrings();
    void stringDocIdsAndCorpusItems();
    void malformedLineNamesTheLine();
    void malformedLineCanBeSkipped();
    void truncatedFile();
    void emptyFile();
    void notJson();
    void metricOverride();
    void missingDocId();
    void outOfOrderLines();
    void loadWithProgress();
    void realWikitext();
    void realGsm8kTiny();
};

void TestSamplesParser::layouts_data()
{
    QTest::addColumn<QString>("layout");
    QTest::addColumn<QString>("format");
    QTest::newRow("0.4.7+ JSONL with filter") << QStringLiteral("layout_current") << QStringLiteral("0.4.7+");
    QTest::newRow("0.4.3-0.4.6 JSONL, filters by repetition")
        << QStringLiteral("layout_0.4.3") << QStringLiteral("0.4.3-0.4.6");
    QTest::newRow("0.4.0-0.4.2 JSON arrays") << QStringLiteral("layout_0.4.0") << QStringLiteral("0.4.0-0.4.2");
}

void TestSamplesParser::layouts()
{
    // The same synthetic runs written in each lm-eval layout must give the flips they were made with:
    // arc_easy (b=3, c=1) and gsm8k strict-match (4, 1), flexible-extract (2, 2).
    QFETCH(QString, layout);
    QFETCH(QString, format);
    const std::string root = test::dataPath(("eval/" + layout.toStdString()).c_str());
    const auto base = eval::loadRun(root + "/baseline", {});
    const auto cand = eval::loadRun(root + "/candidate", {});
    QVERIFY2(base.ok(), base.error ? base.error->toString().c_str() : "");
    QVERIFY2(cand.ok(), cand.error ? cand.error->toString().c_str() : "");
    QVERIFY(base.value->info.format.find(format.toStdString()) != std::string::npos);
    QCOMPARE(base.value->info.model, std::string("acme/Llama-3.1-8B-Instruct"));
    QCOMPARE(cand.value->info.model, std::string("acme/Llama-3.1-8B-Instruct-W4A16"));
    QCOMPARE(base.value->tasks.size(), std::size_t(3));
    const auto* arc = findTask(*base.value, "arc_easy", "none");
    QVERIFY(arc);
    QCOMPARE(arc->metric, std::string("acc"));
    QCOMPARE(arc->samples.size(), std::size_t(40));
    QVERIFY(findTask(*base.value, "gsm8k", "strict-match"));
    QVERIFY(findTask(*base.value, "gsm8k", "flexible-extract"));

    const auto paired = eval::pairRuns(*base.value, *cand.value);
    QCOMPARE(paired.tasks.size(), std::size_t(3));
    std::map<std::string, Counts> got;
    for (const auto& t : paired.tasks) {
        got[t.task + "/" + t.filter] = countsOf(t);
        QCOMPARE(t.duplicates(), std::int64_t(0));
        QCOMPARE(t.unmatchedBase, std::int64_t(0));
        QCOMPARE(t.hashMismatches, std::int64_t(0));
        QVERIFY(t.binary);
    }
    QCOMPARE(got["arc_easy/none"].n, std::int64_t(40));
    QCOMPARE(got["arc_easy/none"].b, std::int64_t(3));
    QCOMPARE(got["arc_easy/none"].c, std::int64_t(1));
    QCOMPARE(got["gsm8k/strict-match"].b, std::int64_t(4));
    QCOMPARE(got["gsm8k/strict-match"].c, std::int64_t(1));
    QCOMPARE(got["gsm8k/flexible-extract"].n, std::int64_t(30));
    QCOMPARE(got["gsm8k/flexible-extract"].b, std::int64_t(2));
    QCOMPARE(got["gsm8k/flexible-extract"].c, std::int64_t(2));
}

void TestSamplesParser::nonFiniteAndStrings()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": 1.0}\n"
        "{\"doc_id\": 1, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": NaN, \"extra\": [Infinity, "
        "-Infinity]}\n"
        "{\"doc_id\": 2, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": \"N/A\"}\n"
        "{\"doc_id\": 3, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": \"0.0\"}\n"
        "{\"doc_id\": 4, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": true}\n"
        "{\"doc_id\": 5, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": Infinity}\n");
    eval::SamplesParseOptions o;
    o.task = "t";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& s = r.value->front().samples;
    QCOMPARE(s.size(), std::size_t(6));
    QCOMPARE(s[0].score, 1.0);
    QVERIFY(std::isnan(s[1].score));
    QVERIFY(std::isnan(s[2].score));
    QCOMPARE(s[3].score, 0.0);
    QCOMPARE(s[4].score, 1.0);
    QVERIFY(std::isinf(s[5].score));
    QCOMPARE(s[2].line, std::int64_t(3));
    // Missing scores are reported with the line of the first one.
    bool warned = false;
    for (const auto& w : r.warnings)
        warned = warned || (w.line == 2 && w.message.find("no value") != std::string::npos);
    QVERIFY(warned);
}

void TestSamplesParser::stringDocIdsAndCorpusItems()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_wikitext_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": \"7\", \"filter\": \"none\", \"metrics\": [\"word_perplexity\", \"bits_per_byte\"], "
        "\"word_perplexity\": [-2528.156415355567, 1093], \"bits_per_byte\": [-2528.1, 5667]}\n"
        "{\"doc_id\": 8, \"filter\": \"none\", \"metrics\": [\"word_perplexity\"], \"word_perplexity\": \"[-14952.5, "
        "4751]\"}\n");
    eval::SamplesParseOptions o;
    o.task = "wikitext";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY(r.ok());
    const auto& t = r.value->front();
    QCOMPARE(t.metric, std::string("word_perplexity"));
    QVERIFY(t.logLikelihood);
    QVERIFY(t.higherIsBetter); // a log-likelihood, whatever the perplexity's own flag says
    QCOMPARE(t.samples[0].docId, std::string("7"));
    QCOMPARE(t.samples[0].score, -2528.156415355567);
    QCOMPARE(t.samples[1].docId, std::string("8"));
    QCOMPARE(t.samples[1].score, -14952.5);
}

void TestSamplesParser::malformedLineNamesTheLine()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": 1.0}\n"
        "\n"
        "{\"doc_id\": 1, \"acc\": 1.0\n"
        "{\"doc_id\": 2, \"acc\": 0.0}\n");
    eval::SamplesParseOptions o;
    o.task = "t";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(3));
    QCOMPARE(r.error->file, path);
    QVERIFY(r.error->toString().find(":3: error: malformed JSON") != std::string::npos);
}

void TestSamplesParser::malformedLineCanBeSkipped()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": 1.0}\n{\"doc_id\": 1, \"acc\": \n{\"doc_id\": 2, \"acc\": 0.0}\n");
    eval::SamplesParseOptions o;
    o.task = "t";
    o.skipBadLines = true;
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY(r.ok());
    QCOMPARE(r.value->front().samples.size(), std::size_t(2));
    QCOMPARE(r.warnings.front().line, std::int64_t(2));
}

void TestSamplesParser::truncatedFile()
{
    // A real file cut in the middle of its last record.
    QFile real(QString::fromStdString(test::dataPath(
        "eval/layout_current/baseline/acme__Llama-3.1-8B-Instruct/samples_arc_easy_2026-03-02T10-15-42.118204.jsonl")));
    QVERIFY(real.open(QIODevice::ReadOnly));
    const QByteArray all = real.readAll();
    QTemporaryDir dir;
    const auto path = test::writeFile(
        dir, QStringLiteral("samples_arc_easy_2026-01-01T00-00-00.000001.jsonl"), all.left(all.size() - 200));
    eval::SamplesParseOptions o;
    o.task = "arc_easy";
    o.metric = "acc";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(all.count('\n')));
}

void TestSamplesParser::emptyFile()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"), "\n  \n");
    const auto r = eval::parseSamplesFile(path, optionsFor("t"));
    QVERIFY(!r.ok());
    QVERIFY(r.error->message.find("empty") != std::string::npos);
}

void TestSamplesParser::notJson()
{
    QTemporaryDir dir;
    const auto path
        = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"), "\nhello, world\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("t"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
}

void TestSamplesParser::metricOverride()
{
    eval::LoadOptions lo;
    lo.metrics["arc_easy"] = "acc_norm";
    const auto r = eval::loadRun(test::dataPath("eval/layout_current/baseline"), lo);
    QVERIFY(r.ok());
    QCOMPARE(findTask(*r.value, "arc_easy", "none")->metric, std::string("acc_norm"));
    QCOMPARE(findTask(*r.value, "gsm8k", "strict-match")->metric, std::string("exact_match"));
}

void TestSamplesParser::missingDocId()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": 1.0}\n{\"id\": 1, \"acc\": 1.0}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("t"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY(r.error->message.find("doc_id") != std::string::npos);
}

void TestSamplesParser::outOfOrderLines()
{
    // Data-parallel runs write lines out of order: pairing must not care.
    QFile real(QString::fromStdString(test::dataPath("eval/layout_current/candidate/acme__Llama-3.1-8B-Instruct-W4A16/"
                                                     "samples_arc_easy_2026-03-03T09-02-11.530977.jsonl")));
    QVERIFY(real.open(QIODevice::ReadOnly));
    auto lines = real.readAll().split('\n');
    lines.removeAll(QByteArray());
    std::reverse(lines.begin(), lines.end());
    QTemporaryDir dir;
    test::writeFile(
        dir, QStringLiteral("cand/samples_arc_easy_2026-03-03T09-02-11.530977.jsonl"), lines.join('\n') + '\n');
    eval::LoadOptions lo;
    lo.tasks = { "arc_easy" };
    const auto base = eval::loadRun(test::dataPath("eval/layout_current/baseline"), lo);
    const auto cand = eval::loadRun(dir.filePath(QStringLiteral("cand")).toStdString(), lo);
    QVERIFY(base.ok() && cand.ok());
    const auto paired = eval::pairRuns(*base.value, *cand.value);
    const auto k = countsOf(paired.tasks.front());
    QCOMPARE(k.n, std::int64_t(40));
    QCOMPARE(k.b, std::int64_t(3));
    QCOMPARE(k.c, std::int64_t(1));
}

void TestSamplesParser::loadWithProgress()
{
    const std::string root = test::dataPath("eval/layout_current/baseline");
    eval::LoadOptions lo;
    lo.threads = 2;
    // With a progress callback the calling thread only reports; the workers must still load
    // every file, in parallel, and the fraction never exceeds 1.
    bool sane = true;
    lo.progress.callback = [&](double f, std::string_view) {
        sane = sane && f <= 1.0;
        return true;
    };
    const auto ok = eval::loadRun(root, lo);
    QVERIFY(ok.ok());
    QCOMPARE(ok.value->tasks.size(), std::size_t(3));
    QCOMPARE(ok.value->sampleCount(), std::size_t(40 + 30 + 30));
    QVERIFY(sane);
}

void TestSamplesParser::realWikitext()
{
    const std::string root = test::sharedPath("lmeval_wikitext_quant/llama_3.2_1B/lm-eval");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    const auto r = eval::loadRun(root + "/Llama-3.2-1B-Instruct-Baseline", {});
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->tasks.size(), std::size_t(1));
    const auto& t = r.value->tasks.front();
    QCOMPARE(t.task, std::string("wikitext"));
    QCOMPARE(t.metric, std::string("word_perplexity"));
    QCOMPARE(t.samples.size(), std::size_t(62));
    QCOMPARE(t.samples[0].score, -2528.156415355567);
    QCOMPARE(r.value->info.model, std::string("meta-llama/Llama-3.2-1B-Instruct"));
    QCOMPARE(r.value->info.lmEvalVersion, std::string("0.4.12"));
}

void TestSamplesParser::realGsm8kTiny()
{
    const std::string root = test::sharedPath("lmeval_gsm8k_tiny");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    const auto r = eval::loadRun(root, {});
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QCOMPARE(r.value->info.model, std::string("tinyllama"));
    // The file holds the strict-match records only (its results file lists both filters).
    QCOMPARE(r.value->tasks.size(), std::size_t(1));
    QCOMPARE(r.value->tasks.front().filter, std::string("strict-match"));
    for (const auto& t : r.value->tasks) {
        QCOMPARE(t.samples.size(), std::size_t(3));
        for (const auto& s : t.samples)
            QCOMPARE(s.score, 0.0);
    }
}

QTEST_GUILESS_MAIN(TestSamplesParser)
#include "tst_samplesparser.moc"
