// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "eval/SamplesParser.h"

#include <QRegularExpression>
#include <limits>

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

// Whether a warning says `text` (at `line`, where given).
bool warned(const std::vector<Diagnostic>& warnings, const std::string& text, std::int64_t line = -1)
{
    for (const auto& w : warnings)
        if ((line < 0 || w.line == line) && w.message.find(text) != std::string::npos)
            return true;
    return false;
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

// Checks the weights the parser reads for the three corpus metrics against the counts lm-eval
// makes from each document's text (words: re.split(r"\s+", page); bytes: UTF-8 length).
void checkWeightsAgainstText(const std::string& path, std::size_t records)
{
    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = file.readAll().split('\n');
    lines.removeAll(QByteArray());
    QCOMPARE(static_cast<std::size_t>(lines.size()), records);
    const QRegularExpression space(QStringLiteral("\\s+"), QRegularExpression::UseUnicodePropertiesOption);
    for (const char* metric : { "word_perplexity", "byte_perplexity", "bits_per_byte" }) {
        eval::SamplesParseOptions o = optionsFor("wikitext");
        o.metric = metric;
        const auto r = eval::parseSamplesFile(path, o);
        QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
        const auto& samples = r.value->front().samples;
        QCOMPARE(samples.size(), records);
        for (std::size_t i = 0; i < records; ++i) {
            const QJsonObject rec = QJsonDocument::fromJson(lines[static_cast<qsizetype>(i)]).object();
            const QString page = rec[QStringLiteral("doc")].toObject()[QStringLiteral("page")].toString();
            const double words = static_cast<double>(page.split(space).size());
            const double bytes = static_cast<double>(page.toUtf8().size());
            QCOMPARE(samples[i].docId, std::to_string(rec[QStringLiteral("doc_id")].toInt()));
            QCOMPARE(samples[i].weight, std::string_view(metric) == "word_perplexity" ? words : bytes);
            QCOMPARE(samples[i].score, rec[QLatin1String(metric)].toArray()[0].toDouble());
        }
    }
}

} // namespace

class TestSamplesParser : public QObject {
    Q_OBJECT
private slots:
    void layouts_data();
    void layouts();
    void nonFiniteAndStrings();
    void infinitiesReachTheRecord_data();
    void infinitiesReachTheRecord();
    void nanScoreFailsNamingTheLine_data();
    void nanScoreFailsNamingTheLine();
    void nanScoreCanBeSkipped();
    void corpusWeights_data();
    void corpusWeights();
    void weightsOnlyForCorpusItems();
    void goldPredictionMetrics();
    void malformedCorpusItems_data();
    void malformedCorpusItems();
    void stringDocIdsAndCorpusItems();
    void malformedLineNamesTheLine();
    void malformedLineCanBeSkipped();
    void truncatedFile();
    void recordsAcrossReadWindows();
    void emptyFile();
    void notJson();
    void metricOverride();
    void missingDocId();
    void repeatedKeysAreRefused();
    void outOfOrderLines();
    void loadWithProgress();
    void realWikitext();
    void realWikitextExcerptWeights();
    void realGsm8kTiny();
    void clustersFromDocSubject();
    void clustersFromNumericPassageIds();
    void clusterFromTopLevelField();
    void noClusterKeyReadsNoClusters();
    void recordsWithoutTheClusterAreSingletons();
    void clusterKeyNoRecordHas_data();
    void clusterKeyNoRecordHas();
    void clusterValueThatIsAList();
    void clustersThroughLoadRunMatchAJsonScan();
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
    // NaN outside the metric does not matter; infinities in the metric are kept as such.
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": 1.0}\n"
        "{\"doc_id\": 1, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": -Infinity, \"extra\": [Infinity, "
        "NaN]}\n"
        "{\"doc_id\": 2, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": \"N/A\"}\n"
        "{\"doc_id\": 3, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": \"0.0\"}\n"
        "{\"doc_id\": 4, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": true}\n"
        "{\"doc_id\": 5, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": Infinity}\n"
        "{\"doc_id\": 6, \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": null}\n");
    eval::SamplesParseOptions o;
    o.task = "t";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& s = r.value->front().samples;
    QCOMPARE(s.size(), std::size_t(7));
    QCOMPARE(s[0].score, 1.0);
    QCOMPARE(s[1].score, -std::numeric_limits<double>::infinity());
    QVERIFY(std::isnan(s[2].score));
    QCOMPARE(s[3].score, 0.0);
    QCOMPARE(s[4].score, 1.0);
    QCOMPARE(s[5].score, std::numeric_limits<double>::infinity());
    QVERIFY(std::isnan(s[6].score));
    QCOMPARE(s[2].line, std::int64_t(3));
    // Missing scores (N/A, null) are not NaN scores: kept, counted, reported with the first line.
    bool warned = false;
    for (const auto& w : r.warnings)
        warned = warned || (w.line == 3 && w.message.find("2 record(s) have no value") != std::string::npos);
    QVERIFY(warned);
}

void TestSamplesParser::infinitiesReachTheRecord_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<double>("expected");
    const double inf = std::numeric_limits<double>::infinity();
    QTest::newRow("bare -Infinity") << QByteArray("-Infinity") << -inf;
    QTest::newRow("bare Infinity") << QByteArray("Infinity") << inf;
    QTest::newRow("string -inf") << QByteArray("\"-inf\"") << -inf;
    QTest::newRow("string inf") << QByteArray("\"inf\"") << inf;
    QTest::newRow("string -Infinity") << QByteArray("\"-Infinity\"") << -inf;
    QTest::newRow("string -INFINITY") << QByteArray("\"-INFINITY\"") << -inf;
    QTest::newRow("list [-Infinity]") << QByteArray("[-Infinity]") << -inf;
}

void TestSamplesParser::infinitiesReachTheRecord()
{
    // In both the JSON lines layout and the JSON array layout, and through the pairing.
    QFETCH(QByteArray, value);
    QFETCH(double, expected);
    QTemporaryDir dir;
    const QByteArray good = "{\"doc_id\": 0, \"acc\": 1.0}";
    const QByteArray bad = "{\"doc_id\": 1, \"acc\": " + value + "}";
    const auto lines
        = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"), good + "\n" + bad + "\n");
    const auto array = test::writeFile(dir, QStringLiteral("model_t.jsonl"), "[\n  " + good + ",\n  " + bad + "\n]\n");
    for (const auto& path : { lines, array }) {
        const auto r = eval::parseSamplesFile(path, optionsFor("t"));
        QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
        const auto& s = r.value->front().samples;
        QCOMPARE(s.size(), std::size_t(2));
        QCOMPARE(s[1].score, expected);
        QCOMPARE(s[1].line, std::int64_t(path == lines ? 2 : 3));
    }
    const auto base = eval::parseSamplesFile(lines, optionsFor("t"));
    QTemporaryDir other;
    const auto candPath = test::writeFile(other, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        good + "\n{\"doc_id\": 1, \"acc\": 0.5}\n");
    const auto cand = eval::parseSamplesFile(candPath, optionsFor("t"));
    QVERIFY(base.ok() && cand.ok());
    eval::EvalRun b, c;
    b.tasks = *base.value;
    c.tasks = *cand.value;
    const auto paired = eval::pairRuns(b, c);
    QCOMPARE(paired.tasks.size(), std::size_t(1));
    QCOMPARE(paired.tasks.front().base.size(), std::size_t(2)); // the infinite pair is kept
}

void TestSamplesParser::nanScoreFailsNamingTheLine_data()
{
    QTest::addColumn<QByteArray>("metric");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("bare NaN") << QByteArray("acc") << QByteArray("NaN");
    QTest::newRow("string nan") << QByteArray("acc") << QByteArray("\"nan\"");
    QTest::newRow("string NaN") << QByteArray("exact_match") << QByteArray("\"NaN\"");
    QTest::newRow("list with NaN") << QByteArray("acc") << QByteArray("[1.0, NaN]");
    QTest::newRow("NaN log-likelihood") << QByteArray("word_perplexity") << QByteArray("[NaN, 1093]");
    QTest::newRow("NaN weight") << QByteArray("byte_perplexity") << QByteArray("[-2528.1, NaN]");
    QTest::newRow("string pair with nan") << QByteArray("bits_per_byte") << QByteArray("\"[nan, 5667]\"");
}

void TestSamplesParser::nanScoreFailsNamingTheLine()
{
    QFETCH(QByteArray, metric);
    QFETCH(QByteArray, value);
    QTemporaryDir dir;
    const QByteArray head = "{\"doc_id\": ";
    const QByteArray tail = ", \"metrics\": [\"" + metric + "\"], \"" + metric + "\": ";
    const auto path = test::writeFile(dir, QStringLiteral("samples_x_2026-01-01T00-00-00.000001.jsonl"),
        head + "0" + tail + "[-1.5, 3]}\n" + head + "1" + tail + "[-2.5, 4]}\n\n" + head + "2" + tail + value + "}\n"
            + head + "3" + tail + "[-3.5, 5]}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("x"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, std::int64_t(4));
    const std::string text = r.error->toString();
    QVERIFY2(text.find("samples_x_2026-01-01T00-00-00.000001.jsonl:4:") != std::string::npos, text.c_str());
    QVERIFY2(text.find("the " + metric.toStdString() + " score is NaN") != std::string::npos, text.c_str());
    QVERIFY2(text.find("--skip-bad-lines") != std::string::npos, text.c_str());
    QVERIFY(r.error->skippable);
}

void TestSamplesParser::nanScoreCanBeSkipped()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": 1.0}\n"
        "{\"doc_id\": 1, \"acc\": \"N/A\"}\n"
        "{\"doc_id\": 2, \"acc\": NaN}\n"
        "{\"doc_id\": 3, \"acc\": 0.0}\n"
        "{\"doc_id\": 4, \"acc\": \"nan\"}\n");
    eval::SamplesParseOptions o = optionsFor("t");
    o.skipBadLines = true;
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& s = r.value->front().samples;
    QCOMPARE(s.size(), std::size_t(3)); // the missing score stays (counted as missing), NaN ones go
    QCOMPARE(s[0].docId, std::string("0"));
    QCOMPARE(s[1].docId, std::string("1"));
    QCOMPARE(s[2].docId, std::string("3"));
    int nanWarnings = 0;
    for (const auto& w : r.warnings) {
        if (w.message.find("NaN") == std::string::npos)
            continue;
        ++nanWarnings;
        QCOMPARE(w.line, std::int64_t(3));
        QCOMPARE(w.file, path);
        QVERIFY2(w.message.find("2 sample(s)") != std::string::npos, w.message.c_str());
    }
    QCOMPARE(nanWarnings, 1);
}

void TestSamplesParser::malformedCorpusItems_data()
{
    // A perplexity's item is [log-likelihood, words or bytes]: anything else would change the
    // perplexity shown, so the record is left out with a warning that says why.
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("why");
    QTest::newRow("one number in a list") << QByteArray("[-2528.1]") << QStringLiteral("got 1 number");
    QTest::newRow("a plain number") << QByteArray("-2528.1") << QStringLiteral("got 1 number");
    QTest::newRow("three numbers") << QByteArray("[-2528.1, 1093, 7]") << QStringLiteral("got 3 numbers");
    QTest::newRow("zero words") << QByteArray("[-2528.1, 0]") << QStringLiteral("must be positive, got 0");
    QTest::newRow("negative words") << QByteArray("[-2528.1, -1093]") << QStringLiteral("must be positive");
    QTest::newRow("positive log-likelihood") << QByteArray("[2528.1, 1093]") << QStringLiteral("at most 0");
    QTest::newRow("as a string") << QByteArray("\"[-2528.1, 0]\"") << QStringLiteral("must be positive");
}

void TestSamplesParser::malformedCorpusItems()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, why);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_wikitext_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"word_perplexity\"], \"word_perplexity\": [-1.0, 2]}\n"
        "{\"doc_id\": 1, \"metrics\": [\"word_perplexity\"], \"word_perplexity\": "
            + value + "}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("wikitext"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->front();
    QCOMPARE(t.samples.size(), std::size_t(2));
    QCOMPARE(t.samples[0].weight, 2.0);
    QVERIFY(std::isnan(t.samples[1].score));
    const bool said = std::any_of(r.warnings.begin(), r.warnings.end(),
        [&](const Diagnostic& d) { return d.line == 2 && d.message.find(why.toStdString()) != std::string::npos; });
    QVERIFY2(said, r.warnings.empty() ? "no warning" : r.warnings.front().toString().c_str());
}

void TestSamplesParser::corpusWeights_data()
{
    QTest::addColumn<QByteArray>("metric");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<double>("score");
    QTest::addColumn<double>("weight");
    QTest::newRow("word_perplexity number")
        << QByteArray("word_perplexity") << QByteArray("[-2528.156415355567, 1093]") << -2528.156415355567 << 1093.0;
    QTest::newRow("word_perplexity string")
        << QByteArray("word_perplexity") << QByteArray("\"[-2528.1, 1093]\"") << -2528.1 << 1093.0;
    QTest::newRow("byte_perplexity number")
        << QByteArray("byte_perplexity") << QByteArray("[-5935.9, 12300]") << -5935.9 << 12300.0;
    QTest::newRow("byte_perplexity string")
        << QByteArray("byte_perplexity") << QByteArray("\"[-5935.9,12300]\"") << -5935.9 << 12300.0;
    QTest::newRow("bits_per_byte number")
        << QByteArray("bits_per_byte") << QByteArray("[-14952.5, 24540]") << -14952.5 << 24540.0;
    QTest::newRow("bits_per_byte string")
        << QByteArray("bits_per_byte") << QByteArray("\" [-14952.5, 24540]\"") << -14952.5 << 24540.0;
    QTest::newRow("-Infinity log-likelihood") << QByteArray("word_perplexity") << QByteArray("[-Infinity, 17]")
                                              << -std::numeric_limits<double>::infinity() << 17.0;
    QTest::newRow("string -inf log-likelihood") << QByteArray("bits_per_byte") << QByteArray("\"[-inf, 17]\"")
                                                << -std::numeric_limits<double>::infinity() << 17.0;
}

void TestSamplesParser::corpusWeights()
{
    QFETCH(QByteArray, metric);
    QFETCH(QByteArray, value);
    QFETCH(double, score);
    QFETCH(double, weight);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_wikitext_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"" + metric + "\"], \"" + metric + "\": " + value + "}\n"
            + "{\"doc_id\": 1, \"metrics\": [\"" + metric + "\"], \"" + metric + "\": [-1.0, 2]}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("wikitext"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->front();
    QVERIFY(t.logLikelihood);
    QCOMPARE(t.samples[0].score, score);
    QCOMPARE(t.samples[0].weight, weight);
    QCOMPARE(t.samples[1].weight, 2.0);
}

void TestSamplesParser::weightsOnlyForCorpusItems()
{
    // A list on an ordinary metric is averaged and carries no weight.
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": [1, 0, 1, 1]}\n{\"doc_id\": 1, \"acc\": \"[0, 1]\"}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("t"));
    QVERIFY(r.ok());
    const auto& s = r.value->front().samples;
    QCOMPARE(s[0].score, 0.75);
    QCOMPARE(s[0].weight, 0.0);
    QCOMPARE(s[1].score, 0.5);
    QCOMPARE(s[1].weight, 0.0);
}

// lm-eval logs a corpus-aggregated metric (Matthews correlation, F1) per sample as [gold,
// prediction]: a sample counts 1 when they agree, 0 when not; never their mean.
void TestSamplesParser::goldPredictionMetrics()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_cola_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"mcc\"], \"mcc\": [1, 1]}\n"
        "{\"doc_id\": 1, \"metrics\": [\"mcc\"], \"mcc\": [1, 0]}\n"
        "{\"doc_id\": 2, \"metrics\": [\"mcc\"], \"mcc\": [0, 0]}\n"
        "{\"doc_id\": 3, \"metrics\": [\"mcc\"], \"mcc\": \"[0, 1]\"}\n"
        "{\"doc_id\": 4, \"metrics\": [\"mcc\"], \"mcc\": [2, 2]}\n");
    const auto r = eval::parseSamplesFile(path, optionsFor("cola"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->front();
    QCOMPARE(t.metric, std::string("mcc (pred = gold)"));
    QVERIFY(t.rightOrWrong);
    QCOMPARE(t.samples.size(), std::size_t(5));
    QCOMPARE(t.samples[0].score, 1.0);
    QCOMPARE(t.samples[1].score, 0.0);
    QCOMPARE(t.samples[2].score, 1.0);
    QCOMPARE(t.samples[3].score, 0.0);
    QCOMPARE(t.samples[4].score, 1.0); // agreement, not the mean (2)
    QVERIFY(warned(r.warnings, "[gold, prediction]"));

    // An F1 written per sample as a number (DROP, CoQA) is a score of its own: kept, named as it is.
    const auto plain = test::writeFile(dir, QStringLiteral("samples_drop_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"f1\"], \"f1\": 0.5}\n"
        "{\"doc_id\": 1, \"metrics\": [\"f1\"], \"f1\": 1.0}\n");
    const auto rp = eval::parseSamplesFile(plain, optionsFor("drop"));
    QVERIFY(rp.ok());
    QCOMPARE(rp.value->front().metric, std::string("f1"));
    QVERIFY(!rp.value->front().rightOrWrong);
    QCOMPARE(rp.value->front().samples[0].score, 0.5);
    for (const auto& w : rp.warnings)
        QVERIFY2(w.message.find("[gold, prediction]") == std::string::npos, w.message.c_str());

    // Three values are not a [gold, prediction] item: that record is left out, and said so.
    const auto bad = test::writeFile(dir, QStringLiteral("samples_mrpc_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"f1\"], \"f1\": [1, 1]}\n"
        "{\"doc_id\": 1, \"metrics\": [\"f1\"], \"f1\": [1, 0, 1]}\n");
    const auto rb = eval::parseSamplesFile(bad, optionsFor("mrpc"));
    QVERIFY(rb.ok());
    QVERIFY(warned(rb.warnings, "expected [gold, prediction]", 2));

    // Class labels written as text: the same label agrees, different ones (or a label against a
    // number) do not; a third value is still refused as such, not as a corpus-level metric.
    const auto labels = test::writeFile(dir, QStringLiteral("samples_sst_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"f1\"], \"f1\": [\"positive\", \"positive\"]}\n"
        "{\"doc_id\": 1, \"metrics\": [\"f1\"], \"f1\": [\"positive\", \"negative\"]}\n"
        "{\"doc_id\": 2, \"metrics\": [\"f1\"], \"f1\": [\"\", \"\"]}\n"
        "{\"doc_id\": 3, \"metrics\": [\"f1\"], \"f1\": [\"yes\", 1]}\n"
        "{\"doc_id\": 4, \"metrics\": [\"f1\"], \"f1\": [\"2\", 2]}\n"
        "{\"doc_id\": 5, \"metrics\": [\"f1\"], \"f1\": [\"Yes\", \"yes\"]}\n"
        "{\"doc_id\": 6, \"metrics\": [\"f1\"], \"f1\": [\"a\", \"a\", \"b\"]}\n");
    const auto rl = eval::parseSamplesFile(labels, optionsFor("sst"));
    QVERIFY2(rl.ok(), rl.error ? rl.error->toString().c_str() : "");
    const auto& tl = rl.value->front();
    QCOMPARE(tl.metric, std::string("f1 (pred = gold)"));
    QCOMPARE(tl.samples.size(), std::size_t(7));
    const double expected[] = { 1.0, 0.0, 1.0, 0.0, 1.0, 0.0 };
    for (std::size_t i = 0; i < 6; ++i)
        QCOMPARE(tl.samples[i].score, expected[i]);
    QVERIFY(std::isnan(tl.samples[6].score)); // kept without a score, and said so
    QVERIFY(!warned(rl.warnings, "BLEU"));
    QVERIFY(warned(rl.warnings, "expected [gold, prediction]", 7));

    // Matthews correlation takes labels alike; a list of text under another metric is still a
    // corpus-level item, refused as such.
    const auto mcc = test::writeFile(dir, QStringLiteral("samples_boolq_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"mcc\"], \"mcc\": [\"yes\", \"yes\"]}\n"
        "{\"doc_id\": 1, \"metrics\": [\"mcc\"], \"mcc\": [\"yes\", \"no\"]}\n");
    const auto rm = eval::parseSamplesFile(mcc, optionsFor("boolq"));
    QVERIFY(rm.ok());
    QCOMPARE(rm.value->front().samples[0].score, 1.0);
    QCOMPARE(rm.value->front().samples[1].score, 0.0);
    const auto bleu = test::writeFile(dir, QStringLiteral("samples_wmt_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"metrics\": [\"bleu\"], \"bleu\": [\"the cat\", \"a cat\"]}\n");
    const auto rbl = eval::parseSamplesFile(bleu, optionsFor("wmt"));
    QVERIFY(warned(rbl.warnings, "corpus-level metric")
        || (!rbl.ok() && rbl.error->message.find("corpus-level metric") != std::string::npos));
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
    QVERIFY(r.error->skippable); // the cut record can be left out
    o.skipBadLines = true;
    QVERIFY(eval::parseSamplesFile(path, o).ok());

    // A JSON array of samples (lm-eval 0.4.0-0.4.2) cut short: said at its last line, as cut.
    QByteArray array = "[\n";
    for (int i = 0; i < 3; ++i)
        array += "  {\n    \"doc_id\": " + QByteArray::number(i) + ",\n    \"acc\": 1.0\n  },\n";
    array += "  {\n    \"doc_id\": 3,\n";
    const auto cut = test::writeFile(dir, QStringLiteral("m_arc_easy.jsonl"), array);
    o.skipBadLines = false;
    const auto rc = eval::parseSamplesFile(cut, o);
    QVERIFY(!rc.ok());
    QCOMPARE(rc.error->line, std::int64_t(array.count('\n')));
    QVERIFY2(rc.error->message.find("ends early, inside an unfinished sample") != std::string::npos,
        rc.error->message.c_str());
}

void TestSamplesParser::recordsAcrossReadWindows()
{
    // A file read in windows of a few MB: records cut by a window's end, one record longer than a
    // window, CRLF line ends, a byte-order mark, blank lines and no newline at the end. Every
    // sample keeps the line, offset and length of its own record in the file.
    QByteArray text = "\xEF\xBB\xBF";
    const int n = 60000;
    std::vector<qsizetype> starts;
    std::vector<int> lines;
    int line = 1;
    for (int i = 0; i < n; ++i) {
        if (i % 997 == 5) {
            text += "\r\n";
            ++line;
        }
        starts.push_back(text.size());
        lines.push_back(line);
        const QByteArray pad(i == 777 ? 9 << 20 : (i * 7919) % 300, 'x');
        text += "{\"doc_id\": " + QByteArray::number(i) + ", \"doc\": {\"q\": \"" + pad
            + "\"}, \"acc\": " + QByteArray::number(i % 3 == 0 ? 1 : 0) + "}";
        if (i + 1 < n) {
            text += "\r\n";
            ++line;
        }
    }
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"), text);
    const auto r = eval::parseSamplesFile(path, optionsFor("t"));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& samples = r.value->front().samples;
    QCOMPARE(samples.size(), std::size_t(n));
    for (int i = 0; i < n; ++i) {
        const auto& s = samples[static_cast<std::size_t>(i)];
        QCOMPARE(s.docId, std::to_string(i));
        QCOMPARE(s.score, i % 3 == 0 ? 1.0 : 0.0);
        QCOMPARE(s.line, std::int64_t(lines[static_cast<std::size_t>(i)]));
        // Offsets count from the text, after the byte-order mark.
        QCOMPARE(s.offset + 3, std::uint64_t(starts[static_cast<std::size_t>(i)]));
        const QByteArray record = text.mid(starts[static_cast<std::size_t>(i)], s.length);
        QVERIFY(record.startsWith(QByteArray("{\"doc_id\": " + QByteArray::number(i) + ",")));
        QVERIFY(record.endsWith("}\r") || record.endsWith("}"));
    }
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

void TestSamplesParser::repeatedKeysAreRefused()
{
    // A record giving a key it is read by twice: which value counts would depend on the reader, so
    // it is refused naming the line and the key (or skipped with skipBadLines). Other repeated keys
    // (a prompt field the comparison never reads) are no concern of the comparison.
    for (const auto& [record, key] :
        { std::pair { std::string("{\"doc_id\": 1, \"acc\": 1.0, \"doc_id\": 7}"), std::string("doc_id") },
            std::pair { std::string("{\"doc_id\": 1, \"acc\": 1.0, \"acc\": 0.0}"), std::string("acc") },
            std::pair { std::string("{\"doc_id\": 1, \"filter\": \"a\", \"acc\": 1, \"filter\": \"b\"}"),
                std::string("filter") } }) {
        QTemporaryDir dir;
        const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
            QByteArray::fromStdString(
                "{\"doc_id\": 0, \"acc\": 1.0}\n" + record + "\n{\"doc_id\": 2, \"acc\": 0.0}\n"));
        const auto r = eval::parseSamplesFile(path, optionsFor("t"));
        QVERIFY2(!r.ok(), record.c_str());
        QCOMPARE(r.error->line, std::int64_t(2));
        QVERIFY2(r.error->message.find("gives \"" + key + "\" twice") != std::string::npos, r.error->message.c_str());
        auto o = optionsFor("t");
        o.skipBadLines = true;
        const auto skipped = eval::parseSamplesFile(path, o);
        QVERIFY(skipped.ok());
        QCOMPARE(skipped.value->front().samples.size(), std::size_t(2));
    }
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"acc\": 1.0, \"resps\": [], \"resps\": []}\n");
    QVERIFY(eval::parseSamplesFile(path, optionsFor("t")).ok());
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
    QCOMPARE(t.samples[0].weight, 1093.0);
    QCOMPARE(r.value->info.model, std::string("meta-llama/Llama-3.2-1B-Instruct"));
    QCOMPARE(r.value->files.size(), std::size_t(1));
    // Every document's weights, against the counts from its own text.
    checkWeightsAgainstText(r.value->files.front(), 62);
    QCOMPARE(r.value->info.lmEvalVersion, std::string("0.4.12"));
}

void TestSamplesParser::realWikitextExcerptWeights()
{
    // Two documents of a real wikitext run (tests/data/eval/wikitext_excerpt/README.md).
    const std::string path = test::dataPath("eval/wikitext_excerpt/samples_wikitext_2026-06-08T23-31-58.362852.jsonl");
    checkWeightsAgainstText(path, 2);
    if (QTest::currentTestFailed())
        return;
    // The first document, as written in the file: 1093 words, 5667 bytes.
    eval::SamplesParseOptions o = optionsFor("wikitext");
    o.metric = "bits_per_byte";
    const auto r = eval::parseSamplesFile(path, o);
    QVERIFY(r.ok());
    QCOMPARE(r.value->front().samples[0].weight, 5667.0);
    QCOMPARE(r.value->front().samples[1].docId, std::string("2"));
    QCOMPARE(r.value->front().samples[1].weight, 12300.0);
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

namespace {

const std::string kClusterDir = "eval/clusters/";

std::vector<std::uint32_t> clustersOf(const eval::TaskSamples& t)
{
    std::vector<std::uint32_t> out;
    for (const auto& s : t.samples)
        out.push_back(s.cluster);
    return out;
}

eval::SamplesParseOptions clusterOptions(const std::string& task, const std::string& key)
{
    eval::SamplesParseOptions o = optionsFor(task);
    o.clusterKey = key;
    return o;
}

} // namespace

void TestSamplesParser::clustersFromDocSubject()
{
    const auto path = test::dataPath((kClusterDir + "samples_mmlu_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, clusterOptions("mmlu", "doc.subject"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QVERIFY(r.warnings.empty());
    const auto& t = r.value->front();
    QCOMPARE(t.clusterKey, std::string("doc.subject"));
    // anatomy, astronomy, anatomy, virology, astronomy, anatomy, virology, college_physics
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "anatomy", "astronomy", "virology", "college_physics" }));
    QCOMPARE(clustersOf(t), (std::vector<std::uint32_t> { 0, 1, 0, 2, 1, 0, 2, 3 }));
    // The rest of the record is read as before.
    QCOMPARE(t.samples[3].docId, std::string("3"));
    QCOMPARE(t.samples[3].score, 0.0);
    QCOMPARE(t.samples[4].score, 1.0);
}

void TestSamplesParser::clustersFromNumericPassageIds()
{
    const auto path = test::dataPath((kClusterDir + "samples_boolq_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, clusterOptions("boolq", "doc.passage_id"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->front();
    // passages 17, 17, 42, 3, 42, 17, 3, 99, 99, 5: named by their text
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "17", "42", "3", "99", "5" }));
    QCOMPARE(clustersOf(t), (std::vector<std::uint32_t> { 0, 0, 1, 2, 1, 0, 2, 3, 3, 4 }));
}

void TestSamplesParser::clusterFromTopLevelField()
{
    const auto path = test::dataPath((kClusterDir + "samples_mmlu_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, clusterOptions("mmlu", "target"));
    QVERIFY(r.ok());
    const auto& t = r.value->front();
    // targets i % 4 for i = 0..7
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "0", "1", "2", "3" }));
    QCOMPARE(clustersOf(t), (std::vector<std::uint32_t> { 0, 1, 2, 3, 0, 1, 2, 3 }));
}

void TestSamplesParser::noClusterKeyReadsNoClusters()
{
    const auto path = test::dataPath((kClusterDir + "samples_mmlu_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, optionsFor("mmlu"));
    QVERIFY(r.ok());
    const auto& t = r.value->front();
    QVERIFY(t.clusterKey.empty());
    QVERIFY(t.clusterNames.empty());
    for (const auto c : clustersOf(t))
        QCOMPARE(c, eval::kNoCluster);
}

void TestSamplesParser::recordsWithoutTheClusterAreSingletons()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T00-00-00.000001.jsonl"),
        "{\"doc_id\": 0, \"doc\": {\"subject\": \"a\"}, \"acc\": 1}\n"
        "{\"doc_id\": 1, \"doc\": {\"question\": \"q\"}, \"acc\": 0}\n"
        "{\"doc_id\": 2, \"doc\": {\"subject\": null}, \"acc\": 1}\n"
        "{\"doc_id\": 3, \"doc\": \"just text\", \"acc\": 1}\n"
        "{\"doc_id\": 4, \"doc\": {\"subject\": \"a\"}, \"acc\": 0}\n");
    const auto r = eval::parseSamplesFile(path, clusterOptions("t", "doc.subject"));
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = r.value->front();
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "a" }));
    QCOMPARE(
        clustersOf(t), (std::vector<std::uint32_t> { 0, eval::kNoCluster, eval::kNoCluster, eval::kNoCluster, 0 }));
    QCOMPARE(r.warnings.size(), std::size_t(1));
    const auto& w = r.warnings.front();
    QCOMPARE(w.line, std::int64_t(2));
    QCOMPARE(w.file, path);
    QVERIFY2(w.message.find("3 of 5 records") != std::string::npos, w.message.c_str());
    QVERIFY(w.message.find("doc.subject") != std::string::npos);
    QVERIFY(w.message.find("task t") != std::string::npos);
}

void TestSamplesParser::clusterKeyNoRecordHas_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("listing");
    QTest::newRow("typo in a doc field") << "doc.subjct"
                                         << "the doc has: question, subject, choices, answer";
    QTest::newRow("typo in a top-level field")
        << "subjct"
        << "the record has: doc_id, doc, target, arguments, resps, filtered_resps, filter";
    QTest::newRow("a path below a scalar") << "doc.subject.name"
                                           << "the doc.subject is not an object";
}

void TestSamplesParser::clusterKeyNoRecordHas()
{
    QFETCH(QString, key);
    QFETCH(QString, listing);
    const auto path = test::dataPath((kClusterDir + "samples_mmlu_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, clusterOptions("mmlu", key.toStdString()));
    QVERIFY(!r.ok());
    const auto& e = *r.error;
    QCOMPARE(e.file, path);
    QCOMPARE(e.line, std::int64_t(1));
    QVERIFY2(e.message.find("no record of task mmlu has the cluster field " + key.toStdString()) != std::string::npos,
        e.message.c_str());
    QVERIFY2(e.message.find(listing.toStdString()) != std::string::npos, e.message.c_str());
}

void TestSamplesParser::clusterValueThatIsAList()
{
    const auto path = test::dataPath((kClusterDir + "samples_mmlu_2026-05-01T00-00-00.000001.jsonl").c_str());
    const auto r = eval::parseSamplesFile(path, clusterOptions("mmlu", "doc.choices"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(1));
    QVERIFY2(
        r.error->message.find("doc.choices holds an object or a list") != std::string::npos, r.error->message.c_str());
}

void TestSamplesParser::clustersThroughLoadRunMatchAJsonScan()
{
    // doc.answer of the committed lm-eval layout: numbers in arc_easy, strings in gsm8k (two filters).
    const std::string root = test::dataPath("eval/layout_current/baseline");
    eval::LoadOptions lo;
    lo.clusterKey = "doc.answer";
    const auto r = eval::loadRun(root, lo);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    QVERIFY(!r.value->tasks.empty());
    for (const auto& t : r.value->tasks) {
        QCOMPARE(t.clusterKey, std::string("doc.answer"));
        // The distinct answers, by a plain JSON read of the file.
        const auto& s0 = t.samples.front();
        QFile file(QString::fromStdString(r.value->files[s0.file]));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray all = file.readAll();
        QSet<QString> answers;
        for (const auto& s : t.samples) {
            const auto rec = QJsonDocument::fromJson(all.mid(static_cast<qsizetype>(s.offset), s.length)).object();
            const auto answer = rec[QStringLiteral("doc")].toObject()[QStringLiteral("answer")];
            const QString text = answer.isString() ? answer.toString() : QString::number(answer.toInt());
            answers.insert(text);
            QVERIFY(s.cluster < t.clusterNames.size());
            QCOMPARE(QString::fromStdString(t.clusterNames[s.cluster]), text);
        }
        QCOMPARE(t.clusterNames.size(), static_cast<std::size_t>(answers.size()));
    }
}

QTEST_GUILESS_MAIN(TestSamplesParser)
#include "tst_samplesparser.moc"
