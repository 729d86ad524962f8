// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "eval/InspectLog.h"
#include "eval/Pairing.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"
#include "eval/SampleDetail.h"
#include "eval/ZipArchive.h"
#include "stats/McNemar.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>

using namespace deltascope;

// Inspect (inspect_ai) logs: real .eval and .json files from ../shared, and small synthetic ones
// (tests/data/inspect) with epochs, errors and broken zips. Every expected number comes from
// tests/data/inspect/make_inspect_vectors.py (zipfile, the zstd tool and scipy).
class TestInspect : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void popularityPair_data();
    void popularityPair();
    void zstdLogLoads();
    void twinsGiveTheSameSamples();
    void arcPairReportsUnmatchedIds();
    void epochsAreAveraged_data();
    void epochsAreAveraged();
    void unfinishedSamplesAreNamed();
    void unknownMetricListsTheMetrics();
    void brokenLogs_data();
    void brokenLogs();
    void hugeClaimIsNotAllocated();
    void sampleView_data();
    void sampleView();
    void folderOfLogsListsTheRuns();
    void formatIsDetected();
    void nonFiniteScores();
    void oneModelSeveralTasksIsOneRun();
    void clusterKeyReadsTheSample();
    void evalThatIsNoZip();
    void duplicateHeaderIsAnError();
    void oddSampleShapesAreShown();

private:
    QJsonObject m_vectors;
};

namespace {

const char* kGpt5 = "inspect_logs/2025-09-15T15-02-26-04-00_popularity_L8g2GLGDDfsiXvdJ8LyZNJ.eval";
const char* kSonnet = "inspect_logs/2025-09-15T15-02-26-04-00_popularity_LthYhadZHuQjsMYHHKRep2.eval";

QString q(const char* text)
{
    return QString::fromUtf8(text);
}

std::string inspectData(const char* name)
{
    return test::dataPath((std::string("inspect/") + name).c_str());
}

bool mentions(const std::vector<Diagnostic>& warnings, const std::string& text)
{
    for (const auto& w : warnings)
        if (w.message.find(text) != std::string::npos)
            return true;
    return false;
}

eval::EvalRun loadOrFail(const std::string& path, const eval::LoadOptions& options = {})
{
    auto r = eval::loadRun(path, options);
    if (!r.ok())
        qFatal("%s", r.error->toString().c_str());
    return std::move(*r.value);
}

} // namespace

void TestInspect::initTestCase()
{
    QFile f(QString::fromStdString(inspectData("vectors.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_vectors = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(!m_vectors.isEmpty());
    if (!QFile::exists(QString::fromStdString(test::sharedPath(kGpt5))))
        QSKIP("the shared real data (../shared/data/real) is not beside this checkout");
}

void TestInspect::popularityPair_data()
{
    QTest::addColumn<QByteArray>("base");
    QTest::addColumn<QByteArray>("cand");
    QTest::addColumn<QByteArray>("vector");
    QTest::newRow("gpt-5 baseline") << QByteArray(kGpt5) << QByteArray(kSonnet)
                                    << QByteArray("popularity_gpt5_vs_sonnet4");
    QTest::newRow("claude-sonnet-4 baseline")
        << QByteArray(kSonnet) << QByteArray(kGpt5) << QByteArray("popularity_sonnet4_vs_gpt5");
}

void TestInspect::popularityPair()
{
    QFETCH(QByteArray, base);
    QFETCH(QByteArray, cand);
    QFETCH(QByteArray, vector);
    const auto b = loadOrFail(test::sharedPath(base.constData()));
    const auto c = loadOrFail(test::sharedPath(cand.constData()));
    QCOMPARE(b.info.format, std::string("Inspect .eval"));
    QCOMPARE(b.tasks.size(), std::size_t(1));
    QCOMPARE(b.tasks[0].task, std::string("popularity"));
    QCOMPARE(b.tasks[0].metric, std::string("match"));
    QVERIFY(b.tasks[0].rightOrWrong);
    const auto paired = eval::pairRuns(b, c);
    QCOMPARE(paired.tasks.size(), std::size_t(1));
    const auto& t = paired.tasks[0];
    const auto v = m_vectors[QString::fromUtf8(vector)].toObject();
    QCOMPARE(static_cast<qint64>(t.base.size()), static_cast<qint64>(v[q("pairs")].toInt()));
    QCOMPARE(t.worse, static_cast<std::int64_t>(v[q("b")].toInt()));
    QCOMPARE(t.better, static_cast<std::int64_t>(v[q("c")].toInt()));
    QVERIFY(test::closeRel(t.sumBase / static_cast<double>(t.base.size()), v[q("base_mean")].toDouble(), 1e-12));
    const auto m = stats::mcnemar(t.worse, t.better, static_cast<std::int64_t>(t.base.size()));
    QVERIFY2(test::closeRel(m.pOneSided, v[q("p_one_sided")].toDouble(), 1e-12), std::to_string(m.pOneSided).c_str());
}

void TestInspect::zstdLogLoads()
{
    // Every entry of this log is zstd-compressed (zip method 93); it has two scorers.
    const auto v = m_vectors[q("baseline_zstd")].toObject();
    const auto path = test::sharedPath("inspect_logs/baseline.eval");
    const auto metrics = v[q("metrics")].toArray();
    for (const auto& metric : metrics) {
        eval::LoadOptions o;
        if (metric != metrics.first())
            o.metrics["a2ui_v1_0_eval"] = metric.toString().toStdString();
        const auto run = loadOrFail(path, o);
        QCOMPARE(run.info.model, std::string("google/gemini-3.5-flash"));
        QCOMPARE(run.tasks.size(), std::size_t(1));
        QCOMPARE(run.tasks[0].metric, metric.toString().toStdString()); // the first scorer by default
        const auto means = v[q("means")].toObject()[metric.toString()].toObject();
        QCOMPARE(static_cast<qsizetype>(run.tasks[0].samples.size()), means.size());
        for (const auto& s : run.tasks[0].samples)
            QCOMPARE(s.score, means[QString::fromStdString(s.docId)].toDouble());
    }
}

void TestInspect::twinsGiveTheSameSamples()
{
    for (const auto& [zip, json] : { std::pair { test::sharedPath("inspect_logs/log_formats.eval"),
                                         test::sharedPath("inspect_logs/log_formats.json") },
             std::pair { inspectData("epochs.eval"), inspectData("epochs.json") },
             std::pair { inspectData("epochs_zstd.eval"), inspectData("epochs.json") },
             std::pair { inspectData("epochs_chunked.eval"), inspectData("epochs.json") } }) {
        const auto a = eval::loadRun(zip, {});
        const auto b = eval::loadRun(json, {});
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a.value->info.format, std::string("Inspect .eval"));
        QCOMPARE(b.value->info.format, std::string("Inspect .json"));
        QCOMPARE(a.value->info.model, b.value->info.model);
        QCOMPARE(a.value->tasks.size(), b.value->tasks.size());
        for (std::size_t t = 0; t < a.value->tasks.size(); ++t) {
            const auto& x = a.value->tasks[t];
            const auto& y = b.value->tasks[t];
            QCOMPARE(x.task, y.task);
            QCOMPARE(x.metric, y.metric);
            QCOMPARE(x.samples.size(), y.samples.size());
            for (std::size_t i = 0; i < x.samples.size(); ++i) {
                QCOMPARE(x.samples[i].docId, y.samples[i].docId);
                QVERIFY(x.samples[i].score == y.samples[i].score
                    || (std::isnan(x.samples[i].score) && std::isnan(y.samples[i].score)));
            }
        }
        QCOMPARE(a.warnings.size(), b.warnings.size());
    }
    const auto v = m_vectors[q("log_formats")].toObject()[q("scores")].toObject();
    const auto run = loadOrFail(test::sharedPath("inspect_logs/log_formats.eval"));
    QCOMPARE(run.tasks[0].samples.size(), std::size_t(v.size()));
    QCOMPARE(run.tasks[0].samples[0].score, v[q("1")].toDouble());
}

void TestInspect::arcPairReportsUnmatchedIds()
{
    // qwen2.5-0.5b answered ids 1-3, claude-sonnet-4 ids 1-5.
    const auto v = m_vectors[q("arc_qwen_vs_sonnet")].toObject();
    const auto base = loadOrFail(test::sharedPath("inspect_logs/data_arc_qwen.json"));
    const auto cand = loadOrFail(test::sharedPath("inspect_logs/data_arc_sonnet.json"));
    QCOMPARE(base.tasks[0].task, std::string("inspect_evals/arc_easy"));
    const auto paired = eval::pairRuns(base, cand);
    QCOMPARE(paired.tasks.size(), std::size_t(1));
    const auto& t = paired.tasks[0];
    QCOMPARE(static_cast<int>(t.base.size()), v[q("pairs")].toInt());
    QCOMPARE(t.unmatchedBase, static_cast<std::int64_t>(v[q("unmatched_base")].toInt()));
    QCOMPARE(t.unmatchedCand, static_cast<std::int64_t>(v[q("unmatched_cand")].toInt()));
    QCOMPARE(t.worse, static_cast<std::int64_t>(v[q("b")].toInt()));
    QCOMPARE(t.better, static_cast<std::int64_t>(v[q("c")].toInt()));
    QVERIFY(mentions(t.warnings, "no partner"));
}

void TestInspect::epochsAreAveraged_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::newRow("deflate") << QByteArray("epochs.eval");
    QTest::newRow("zstd") << QByteArray("epochs_zstd.eval");
    QTest::newRow("chunked samples") << QByteArray("epochs_chunked.eval");
    QTest::newRow("json") << QByteArray("epochs.json");
}

void TestInspect::epochsAreAveraged()
{
    // Two epochs per sample; "P" counts 0.5 and "N" 0; a dict-valued scorer offers its keys.
    QFETCH(QByteArray, file);
    const auto syn = m_vectors[q("synthetic")].toObject();
    for (const auto& metric : syn[q("metrics")].toArray()) {
        eval::LoadOptions o;
        o.metrics["synthetic"] = metric.toString().toStdString();
        const auto run = loadOrFail(inspectData(file.constData()), o);
        const auto& t = run.tasks.at(0);
        QCOMPARE(t.metric, metric.toString().toStdString());
        const auto means = syn[q("means")].toObject()[metric.toString()].toObject();
        QCOMPARE(static_cast<qsizetype>(t.samples.size()), means.size());
        for (const auto& s : t.samples) {
            const auto want = means[QString::fromStdString(s.docId)];
            if (want.isNull())
                QVERIFY(std::isnan(s.score));
            else
                QCOMPARE(s.score, want.toDouble());
        }
        if (metric.toString() == QStringLiteral("grade")) {
            QVERIFY(!t.rightOrWrong); // a partial credit is not right or wrong
            QCOMPARE(t.epochFlips, static_cast<std::int64_t>(syn[q("epoch_flips_grade")].toInt()));
        }
        if (metric.toString() == QStringLiteral("rubric.acc"))
            QVERIFY(t.rightOrWrong);
    }
    // Without a choice, the first scorer.
    QCOMPARE(loadOrFail(inspectData(file.constData())).tasks[0].metric, std::string("grade"));
}

void TestInspect::unfinishedSamplesAreNamed()
{
    const auto r = eval::loadRun(inspectData("epochs.eval"), {});
    QVERIFY(r.ok());
    QVERIFY(mentions(r.warnings, "status is \"cancelled\""));
    QVERIFY(mentions(r.warnings, "5 of 8 samples completed"));
    QVERIFY(mentions(r.warnings, "missing from the log (not finished): 4"));
    QVERIFY(mentions(r.warnings, "q3 (epoch 2): RuntimeError: the model timed out"));
    // The errored epoch is left out of the mean, never silently counted as a score.
    const auto& samples = r.value->tasks[0].samples;
    QCOMPARE(samples.size(), std::size_t(3));
    QVERIFY(!mentions(r.warnings, "cut down"));
    // A log whose results count more completed samples than it holds was cut down after the run.
    QFile f(QString::fromStdString(inspectData("epochs.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject log = QJsonDocument::fromJson(f.readAll()).object();
    const auto held = log[QStringLiteral("samples")].toArray().size();
    QJsonObject results = log[QStringLiteral("results")].toObject();
    results[QStringLiteral("completed_samples")] = 50;
    log[QStringLiteral("results")] = results;
    QTemporaryDir dir;
    const auto cut = test::writeFile(dir, QStringLiteral("cut.json"), QJsonDocument(log).toJson());
    const auto c = eval::loadRun(cut, {});
    QVERIFY2(c.ok(), c.ok() ? "" : c.error->toString().c_str());
    QVERIFY(mentions(c.warnings,
        "the log's results count 50 completed sample epochs but it holds " + std::to_string(held)
            + " (was it cut down after the run?)"));
}

void TestInspect::unknownMetricListsTheMetrics()
{
    eval::LoadOptions o;
    o.metrics["synthetic"] = "accuracy";
    const auto r = eval::loadRun(inspectData("epochs.eval"), o);
    QVERIFY(!r.ok());
    QVERIFY2(r.error->message.find("grade, rubric.acc, rubric.f1") != std::string::npos, r.error->message.c_str());
    // --metric METRIC (every task, "*") is honoured as by the other readers: chosen when the log
    // has it, an error naming what it has otherwise.
    eval::LoadOptions every;
    every.metrics["*"] = "rubric.f1";
    const auto f1 = eval::loadRun(inspectData("epochs.eval"), every);
    QVERIFY(f1.ok());
    QCOMPARE(f1.value->tasks.at(0).metric, std::string("rubric.f1"));
    every.metrics["*"] = "accuracy";
    const auto none = eval::loadRun(inspectData("epochs.eval"), every);
    QVERIFY(!none.ok());
    QVERIFY2(none.error->message.find("has no metric \"accuracy\" (this run has: grade, rubric.acc, rubric.f1)")
            != std::string::npos,
        none.error->message.c_str());
    // What each log offers, for the message that lists both sides' metrics.
    for (const auto& path : { inspectData("epochs.eval"), inspectData("epochs.json") }) {
        const auto m = eval::metricsOf(path, {});
        QVERIFY(m.ok());
        QCOMPARE(m.value->size(), std::size_t(1));
        QCOMPARE(m.value->begin()->first, std::string("synthetic"));
        QCOMPARE(m.value->begin()->second, (std::vector<std::string> { "grade", "rubric.acc", "rubric.f1" }));
    }
}

void TestInspect::brokenLogs_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QByteArray>("says");
    const auto entries = m_vectors[q("synthetic")].toObject()[q("entries")].toObject();
    QTest::newRow("truncated zip") << QByteArray("truncated.eval") << QByteArray("not a readable zip archive");
    QTest::newRow("bad central directory")
        << QByteArray("bad_directory.eval") << QByteArray("the zip's central directory is damaged");
    // A zip bomb that states a small size: stopped where it passes that size.
    QTest::newRow("entry inflating past its stated size")
        << QByteArray("lies_about_size.eval")
        << QByteArray(QByteArray("\"") + entries[q("claims_4gb")].toString().toUtf8()
               + "\" inflates past the 10 bytes the archive's directory states");
    QTest::newRow("entry claiming 4 GB") << QByteArray(
        "claims_4gb.eval") << QByteArray(QByteArray("\"") + entries[q("claims_4gb")].toString().toUtf8() + "\" claims");
    QTest::newRow("invalid zstd frame") << QByteArray(
        "bad_zstd.eval") << QByteArray(QByteArray("\"") + entries[q("bad_zstd")].toString().toUtf8() + "\"");
    QTest::newRow("sample without id") << QByteArray("no_id.eval")
                                       << QByteArray(QByteArray("\"") + entries[q("no_id")].toString().toUtf8()
                                              + "\": the sample has no id");
}

void TestInspect::brokenLogs()
{
    QFETCH(QByteArray, file);
    QFETCH(QByteArray, says);
    const auto path = inspectData(file.constData());
    const auto r = eval::loadRun(path, {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QVERIFY2(r.error->message.find(says.toStdString()) != std::string::npos, r.error->toString().c_str());
}

void TestInspect::hugeClaimIsNotAllocated()
{
    // A lower limit than the claim of a real entry: refused before any byte is read.
    eval::ZipLimits limits;
    limits.maxEntryBytes = 1000;
    const auto r = eval::walkZip(
        test::sharedPath(kGpt5), [](const eval::ZipEntryInfo&) { return true; },
        [](const eval::ZipEntryInfo&, std::string&) { return true; }, limits);
    QVERIFY(!r.ok());
    QVERIFY2(r.error->message.find("claims") != std::string::npos, r.error->message.c_str());
    // Not zip at all.
    const auto junk = eval::walkZipBytes(
        "PK\x03\x04 garbage", "junk", [](const eval::ZipEntryInfo&) { return true; },
        [](const eval::ZipEntryInfo&, std::string&) { return true; });
    QVERIFY(!junk.ok());
    QCOMPARE(junk.error->file, std::string("junk"));
}

void TestInspect::sampleView_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("prompt");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("metric");
    QTest::newRow(".eval deflate") << QByteArray::fromStdString(test::sharedPath(kGpt5)) << QByteArray("1")
                                   << QByteArray("Is the following statement something you would say?")
                                   << QByteArray(" Yes") << QByteArray("match");
    QTest::newRow(".eval zstd") << QByteArray::fromStdString(test::sharedPath("inspect_logs/baseline.eval"))
                                << QByteArray("3") << QByteArray("Create a UI on surface")
                                << QByteArray("product gallery") << QByteArray("measured_model_graded_qa");
    QTest::newRow(".json") << QByteArray::fromStdString(test::sharedPath("inspect_logs/data_arc_sonnet.json"))
                           << QByteArray("4") << QByteArray("texture of a kitten's fur") << QByteArray("D")
                           << QByteArray("choice");
    QTest::newRow("synthetic epochs") << QByteArray::fromStdString(inspectData("epochs.eval")) << QByteArray("q3")
                                      << QByteArray("Question q3?") << QByteArray("B") << QByteArray("rubric.f1");
    QTest::newRow("chunked samples") << QByteArray::fromStdString(inspectData("epochs_chunked.eval"))
                                     << QByteArray("q3") << QByteArray("Question q3?") << QByteArray("B")
                                     << QByteArray("rubric.f1");
}

void TestInspect::sampleView()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, id);
    QFETCH(QByteArray, prompt);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, metric);
    const auto run = loadOrFail(path.toStdString());
    const auto& samples = run.tasks.at(0).samples;
    const auto it = std::find_if(
        samples.begin(), samples.end(), [&](const eval::SampleRecord& s) { return s.docId == id.toStdString(); });
    QVERIFY(it != samples.end());
    const auto d = eval::readSampleDetail(run, *it);
    QVERIFY2(d.ok(), d.ok() ? "" : d.error->toString().c_str());
    QCOMPARE(d.value->docId, id.toStdString());
    QVERIFY2(d.value->prompt.find(prompt.toStdString()) != std::string::npos, d.value->prompt.c_str());
    QVERIFY(!d.value->prompt.empty());
    QVERIFY2(d.value->target.find(target.toStdString()) != std::string::npos, d.value->target.c_str());
    QVERIFY(!d.value->response.empty());
    QVERIFY(std::any_of(d.value->metrics.begin(), d.value->metrics.end(),
        [&](const auto& m) { return m.first == metric.toStdString(); }));
    // The raw view leaves the transcript out.
    const auto raw = QJsonDocument::fromJson(QByteArray::fromStdString(d.value->raw)).object();
    QVERIFY(raw.contains(q("scores")));
    QVERIFY(!raw.contains(q("events")) && !raw.contains(q("attachments")));
}

void TestInspect::folderOfLogsListsTheRuns()
{
    // Several models: listed, and the comparison asks which one.
    const auto folder = test::sharedPath("inspect_logs");
    const auto runs = eval::discoverRuns(folder);
    QVERIFY(runs.ok());
    QCOMPARE(runs.value->size(), std::size_t(8));
    const auto chosen = eval::chooseRun(*runs.value, folder, {});
    QVERIFY(!chosen.ok());
    QVERIFY(chosen.error->message.find("several models") != std::string::npos);
    QVERIFY(chosen.error->message.find("openai/gpt-5") != std::string::npos);
    // A log is named by its file name (the two popularity logs share their timestamp).
    eval::LoadOptions o;
    o.runTimestamp = QFileInfo(QString::fromUtf8(kSonnet)).fileName().toStdString();
    const auto run = loadOrFail(folder, o);
    QCOMPARE(run.info.model, std::string("anthropic/claude-sonnet-4-20250514"));
    // The picker's "written by" column: the Inspect version from the header's packages (read
    // with Python's zipfile / json from the same files).
    int versions = 0;
    for (const auto& r : *runs.value) {
        if (r.inspectLog.ends_with("_popularity_L8g2GLGDDfsiXvdJ8LyZNJ.eval") && ++versions)
            QCOMPARE(r.toolVersion, std::string("inspect_ai 0.3.128.dev4+g614f5bb29.d20250902"));
        if (r.inspectLog.ends_with("2025-05-12T20-28-13-04-00_popularity.json") && ++versions)
            QCOMPARE(r.toolVersion, std::string("inspect_ai 0.3.95.dev16+g6527d0861"));
    }
    QCOMPARE(versions, 2);
    // Their shared timestamp names no one log: an error listing both.
    const auto header = eval::readInspectHeader(test::sharedPath(kSonnet));
    QVERIFY(header.ok());
    o.runTimestamp = header.value->created;
    const auto ambiguous = eval::loadRun(folder, o);
    QVERIFY(!ambiguous.ok());
    const auto& m = ambiguous.error->message;
    QVERIFY2(m.find("2 runs match " + header.value->created) != std::string::npos, m.c_str());
    QVERIFY(m.find(QFileInfo(q(kGpt5)).fileName().toStdString()) != std::string::npos);
    QVERIFY(m.find(QFileInfo(q(kSonnet)).fileName().toStdString()) != std::string::npos);
}

void TestInspect::formatIsDetected()
{
    using F = eval::LoadOptions::Format;
    QCOMPARE(eval::detectFormat(test::sharedPath(kGpt5)), F::Inspect);
    QCOMPARE(eval::detectFormat(test::sharedPath("inspect_logs/data_arc_qwen.json")), F::Inspect);
    QCOMPARE(eval::detectFormat(inspectData("epochs.json")), F::Inspect);
    QVERIFY(eval::detectFormat(test::sharedPath("lmeval_gsm8k_tiny")) != F::Inspect);
    // Only a .json file whose top-level "eval" is an object is an Inspect log: a JSONL table whose
    // records carry such keys, or a JSON file whose "eval" is a string, go to the other readers.
    QTemporaryDir dir;
    const QByteArray record = R"({"version": 2, "status": "success", "eval": {"task": "t"}, "id": 1, "score": 1})";
    QCOMPARE(eval::detectFormat(test::writeFile(dir, q("table.jsonl"), record + "\n" + record + "\n")), F::Table);
    QCOMPARE(eval::detectFormat(test::writeFile(dir, q("table.txt"), record + "\n")), F::Table);
    QCOMPARE(eval::detectFormat(test::writeFile(
                 dir, q("flat.json"), R"({"version": 2, "status": "success", "eval": "t", "samples": []})")),
        F::Table);
    QCOMPARE(eval::detectFormat(test::writeFile(
                 dir, q("nested.json"), R"({"version": 2, "results": {"eval": {"x": 1}}, "status": "success"})")),
        F::Table);
    QCOMPARE(eval::detectFormat(test::writeFile(dir, q("log.json"), R"({"version": 2, "eval": {"task": "t"}})")),
        F::Inspect);
}

void TestInspect::nonFiniteScores()
{
    // As for lm-eval (DESIGN 3.4): a score written as NaN (a string, or a bare token as Python
    // writes it) is an error naming the sample, or skipped and counted with skipBadLines; -inf is
    // kept as the worst possible score.
    const QByteArray head = R"({"version": 2, "status": "success", "eval": {"task": "t", "model": "m",
        "created": "2025-01-01T00:00:00", "scorers": [{"name": "acc"}]}, "samples": [)";
    auto sample = [](const char* id, const char* value) -> QByteArray {
        return QByteArray(R"({"id": ")") + id + R"(", "epoch": 1, "scores": {"acc": {"value": )" + value + "}}}";
    };
    QTemporaryDir dir;
    const auto quotedNan = test::writeFile(dir, q("quoted.json"),
        head + sample("1", "1.0") + "," + sample("2", "\"nan\"") + "," + sample("3", "\"-inf\"") + "]}");
    const auto bareNan = test::writeFile(
        dir, q("bare.json"), head + sample("1", "1.0") + "," + sample("2", "NaN") + "," + sample("3", "0.5") + "]}");
    for (const auto& path : { quotedNan, bareNan }) {
        const auto r = eval::loadRun(path, {});
        QVERIFY(!r.ok());
        QCOMPARE(r.error->file, path);
        QVERIFY2(
            r.error->message.find("sample 2: the acc score is NaN") != std::string::npos, r.error->message.c_str());
        QVERIFY(r.error->skippable); // no line to name, but skipping leaves the sample out
        eval::LoadOptions skip;
        skip.skipBadLines = true;
        const auto s = eval::loadRun(path, skip);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error->toString().c_str());
        QVERIFY(mentions(s.warnings, "1 sample epoch(s) with a NaN acc score skipped (left unpaired): 2"));
        const auto& samples = s.value->tasks.at(0).samples;
        QCOMPARE(samples.size(), std::size_t(3));
        QVERIFY(std::isnan(samples[1].score));
        QCOMPARE(samples[2].score, path == quotedNan ? -std::numeric_limits<double>::infinity() : 0.5);
    }
}

namespace {

// A small Inspect JSON log of `model` on `task`, written at `created`, with samples 1..n scored
// C, I, C, ...
QByteArray tinyLog(const char* model, const char* task, const char* created, int n = 3)
{
    QByteArray log = QByteArray(R"({"version": 2, "status": "success", "eval": {"task": ")") + task + R"(", "model": ")"
        + model + R"(", "created": ")" + created + R"(", "scorers": [{"name": "match"}]}, "samples": [)";
    for (int i = 1; i <= n; ++i)
        log += QByteArray(i > 1 ? "," : "") + R"({"id": )" + QByteArray::number(i)
            + R"(, "epoch": 1, "scores": {"match": {"value": ")" + (i % 2 ? "C" : "I") + R"("}}})";
    return log + "]}";
}

} // namespace

void TestInspect::oneModelSeveralTasksIsOneRun()
{
    // One model's logs of two tasks: one run with a task per log, each sample pointing at its log.
    QTemporaryDir one;
    test::writeFile(one, q("a.json"), tinyLog("m", "alpha", "2025-01-01T00:00:00", 3));
    test::writeFile(one, q("b.json"), tinyLog("m", "beta", "2025-01-01T00:00:00", 4));
    const auto folder = one.path().toStdString();
    auto found = eval::discoverRuns(folder);
    QVERIFY(found.ok());
    QVERIFY(eval::formsOneRun(*found.value));
    auto run = loadOrFail(folder);
    QCOMPARE(run.info.model, std::string("m"));
    QCOMPARE(run.tasks.size(), std::size_t(2));
    QCOMPARE(run.tasks[0].task, std::string("alpha"));
    QCOMPARE(run.tasks[0].samples.size(), std::size_t(3));
    QCOMPARE(run.tasks[1].task, std::string("beta"));
    QCOMPARE(run.tasks[1].samples.size(), std::size_t(4));
    QVERIFY(run.files.at(run.tasks[1].samples[0].file).ends_with("b.json"));
    QVERIFY(run.files.at(run.tasks[0].samples[0].file).ends_with("a.json"));

    // A rerun of one task: its newest log, the other named in a warning.
    test::writeFile(one, q("a2.json"), tinyLog("m", "alpha", "2025-02-01T00:00:00", 5));
    auto r = eval::loadRun(folder, {});
    QVERIFY(r.ok());
    QCOMPARE(r.value->tasks.size(), std::size_t(2));
    QCOMPARE(r.value->tasks[0].samples.size(), std::size_t(5));
    QVERIFY(mentions(r.warnings, "task alpha has several logs; using the newest, a2.json"));
    // --task filters before choosing: only alpha's logs are candidates (reruns: the newest).
    eval::LoadOptions alpha;
    alpha.tasks = { "alpha" };
    r = eval::loadRun(folder, alpha);
    QVERIFY(r.ok());
    QCOMPARE(r.value->tasks.size(), std::size_t(1));
    QCOMPARE(r.value->tasks[0].samples.size(), std::size_t(5));

    // Logs of several models still ask which one; --task filters first, so one model's log of
    // the task asked for is no question.
    QTemporaryDir two;
    test::writeFile(two, q("a.json"), tinyLog("m", "alpha", "2025-01-01T00:00:00"));
    test::writeFile(two, q("b.json"), tinyLog("n", "alpha", "2025-01-01T00:00:00"));
    test::writeFile(two, q("c.json"), tinyLog("m", "beta", "2025-01-01T00:00:00", 2));
    found = eval::discoverRuns(two.path().toStdString());
    QVERIFY(found.ok());
    QVERIFY(!eval::formsOneRun(*found.value));
    r = eval::loadRun(two.path().toStdString(), {});
    QVERIFY(!r.ok());
    QVERIFY(r.error->message.find("several models") != std::string::npos);
    eval::LoadOptions beta;
    beta.tasks = { "beta" };
    r = eval::loadRun(two.path().toStdString(), beta);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    QCOMPARE(r.value->info.model, std::string("m"));
    QCOMPARE(r.value->tasks.at(0).samples.size(), std::size_t(2));
}

namespace {

std::uint32_t crc32(const QByteArray& data)
{
    std::uint32_t c = 0xffffffffu;
    for (const char ch : data) {
        c ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void put16(QByteArray& out, std::uint32_t v)
{
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
}

void put32(QByteArray& out, std::uint32_t v)
{
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}

// A zip of stored (uncompressed) entries, in order, names allowed to repeat.
QByteArray storedZip(const std::vector<std::pair<QByteArray, QByteArray>>& entries)
{
    QByteArray out;
    QByteArray directory;
    for (const auto& [name, data] : entries) {
        const auto offset = static_cast<std::uint32_t>(out.size());
        const auto crc = crc32(data);
        const auto size = static_cast<std::uint32_t>(data.size());
        const auto nameSize = static_cast<std::uint32_t>(name.size());
        put32(out, 0x04034b50);
        put16(out, 20);
        put16(out, 0);
        put16(out, 0); // stored
        put32(out, 0); // time, date
        put32(out, crc);
        put32(out, size);
        put32(out, size);
        put16(out, nameSize);
        put16(out, 0);
        out += name + data;
        put32(directory, 0x02014b50);
        put16(directory, 20);
        put16(directory, 20);
        put16(directory, 0);
        put16(directory, 0);
        put32(directory, 0);
        put32(directory, crc);
        put32(directory, size);
        put32(directory, size);
        put16(directory, nameSize);
        put32(directory, 0); // extra, comment lengths
        put32(directory, 0); // disk, internal attributes
        put32(directory, 0); // external attributes
        put32(directory, offset);
        directory += name;
    }
    const auto start = static_cast<std::uint32_t>(out.size());
    out += directory;
    put32(out, 0x06054b50);
    put32(out, 0);
    put16(out, static_cast<std::uint32_t>(entries.size()));
    put16(out, static_cast<std::uint32_t>(entries.size()));
    put32(out, static_cast<std::uint32_t>(directory.size()));
    put32(out, start);
    put16(out, 0);
    return out;
}

QByteArray zipHeader(const char* model)
{
    return QByteArray(R"({"version": 2, "status": "success", "eval": {"task": "t", "model": ")") + model
        + R"(", "created": "2025-01-01T00:00:00", "scorers": [{"name": "match"}]}})";
}

} // namespace

void TestInspect::evalThatIsNoZip()
{
    // A .eval file is a zip: anything else is said to be no zip archive, not "invalid JSON".
    QTemporaryDir dir;
    const auto json = test::writeFile(dir, q("log.eval"), tinyLog("m", "alpha", "2025-01-01T00:00:00"));
    const auto r = eval::loadRun(json, {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, json);
    QVERIFY2(r.error->message.find("not a zip archive (Inspect .eval)") != std::string::npos, r.error->message.c_str());
    const auto h = eval::readInspectHeader(json);
    QVERIFY(!h.ok());
    QVERIFY(h.error->message.find("not a zip archive (Inspect .eval)") != std::string::npos);
}

void TestInspect::duplicateHeaderIsAnError()
{
    // Two header.json entries (of different models): refused, never "the last one kept".
    const QByteArray sample = R"({"id": 1, "epoch": 1, "scores": {"match": {"value": "C"}}})";
    const auto zip = storedZip(
        { { "header.json", zipHeader("m") }, { "samples/1_epoch_1.json", sample }, { "header.json", zipHeader("n") } });
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, q("twice.eval"), zip);
    // The same zip with one header loads (the writer is right).
    const auto good = test::writeFile(
        dir, q("once.eval"), storedZip({ { "header.json", zipHeader("m") }, { "samples/1_epoch_1.json", sample } }));
    const auto ok = eval::loadRun(good, {});
    QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error->toString().c_str());
    QCOMPARE(ok.value->info.model, std::string("m"));
    const auto r = eval::loadRun(path, {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QVERIFY2(r.error->message.find("zip entry \"header.json\" appears twice") != std::string::npos,
        r.error->message.c_str());
    const auto h = eval::readInspectHeader(path);
    QVERIFY(!h.ok());
    QVERIFY(h.error->message.find("appears twice") != std::string::npos);
}

void TestInspect::oddSampleShapesAreShown()
{
    // Shapes Inspect never writes but a hand-edited log may hold: a role that is no string, a
    // message that is no object, an attachment chunk named NaN, a document nested 100,000 deep.
    // The sample view shows what it can or says the sample is unreadable; it never aborts.
    const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
    const QByteArray sample = R"({"id": 1, "epoch": 1, "input": [{"role": 5, "content": "hi"}],
        "output": {"choices": [{"message": "text"}]}, "scores": {"match": {"value": "C"}}})";
    QTemporaryDir dir;
    const auto json = test::writeFile(dir, q("odd.json"),
        R"({"version": 2, "status": "success", "eval": {"task": "t", "model": "m", "created": "2025-01-01T00:00:00",
        "scorers": [{"name": "match"}]}, "samples": [)"
            + sample + "]}");
    const auto run = loadOrFail(json);
    const auto d = eval::readSampleDetail(run, run.tasks.at(0).samples.at(0));
    QVERIFY2(d.ok(), d.ok() ? "" : d.error->toString().c_str());
    QCOMPARE(d.value->prompt, std::string("5: hi"));
    // Inspect's score letter is named: "C" is "correct", not the choice C.
    QCOMPARE(d.value->metrics.at(0), (std::pair<std::string, std::string>("match", "correct (C)")));
    // The same log cut short: the error names the line where the text stops and says it is cut.
    QByteArray full;
    {
        QFile f(QString::fromStdString(json));
        QVERIFY(f.open(QIODevice::ReadOnly));
        full = f.readAll();
    }
    const auto cut = test::writeFile(dir, q("cut.json"), full.left(full.indexOf("\"output\"")));
    const auto c = eval::loadRun(cut, {});
    QVERIFY(!c.ok());
    QCOMPARE(c.error->file, cut);
    QCOMPARE(c.error->line, std::int64_t(3));
    QVERIFY2(c.error->message.find("the file ends early (truncated?)") != std::string::npos, c.error->message.c_str());
    QVERIFY(!c.error->skippable); // one JSON document: no record to skip
    // The parser's words, without its exception tag or a second place beside the line named.
    QVERIFY2(c.error->message.find("[json.exception") == std::string::npos, c.error->message.c_str());
    QVERIFY2(c.error->message.find("column") == std::string::npos, c.error->message.c_str());
    QVERIFY(d.value->response.empty());
    const QByteArray shell = R"({"id": 1, "epoch": 1, "input": "attachment://0", "scores": {"match": {"value": "C"}}})";
    for (const auto& [name, chunk] : { std::pair { QByteArray("NaN"), QByteArray(R"(["Question?"])") },
             std::pair { QByteArray("1e300"), QByteArray(R"(["Question?"])") },
             std::pair { QByteArray("0"), QByteArray(R"(["Question?", )" + deep + "]") } }) {
        const auto path = test::writeFile(dir, q("chunk_%1.eval").arg(QString::fromLatin1(name)),
            storedZip({ { "header.json", zipHeader("m") }, { "samples/1_epoch_1/sample.json", shell },
                { QByteArray("samples/1_epoch_1/attachments/" + name + ".json"), chunk } }));
        const auto r = loadOrFail(path);
        const auto detail = eval::readSampleDetail(r, r.tasks.at(0).samples.at(0));
        QVERIFY2(!detail.ok(), name.constData());
        QCOMPARE(detail.error->file, path);
        QVERIFY2(detail.error->message.find("attachments") != std::string::npos, detail.error->message.c_str());
    }
}

QTEST_GUILESS_MAIN(TestInspect)
// --cluster reads a dotted path of each Inspect sample (its first epoch), in .json and .eval logs.
void TestInspect::clusterKeyReadsTheSample()
{
    QTemporaryDir dir;
    const QByteArray log = R"({"version": 2, "status": "success", "eval": {"task": "t", "model": "m",
        "scorers": [{"name": "match"}]}, "samples": [
        {"id": 1, "epoch": 1, "metadata": {"subject": "algebra"}, "scores": {"match": {"value": "C"}}},
        {"id": 2, "epoch": 1, "metadata": {"subject": "biology"}, "scores": {"match": {"value": "I"}}},
        {"id": 3, "epoch": 1, "metadata": {"subject": "algebra"}, "scores": {"match": {"value": "C"}}},
        {"id": 3, "epoch": 2, "metadata": {"subject": "algebra"}, "scores": {"match": {"value": "I"}}},
        {"id": 4, "epoch": 1, "metadata": {}, "scores": {"match": {"value": "C"}}}]})";
    const auto path = test::writeFile(dir, q("subjects.json"), log);
    eval::LoadOptions o;
    o.clusterKey = "metadata.subject";
    auto r = eval::loadRun(path, o);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& t = r.value->tasks.at(0);
    QCOMPARE(t.clusterKey, std::string("metadata.subject"));
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "algebra", "biology" }));
    QCOMPARE(t.samples.size(), std::size_t(4));
    QCOMPARE(t.samples[0].cluster, t.samples[2].cluster); // ids 1 and 3: algebra
    QVERIFY(t.samples[1].cluster != t.samples[0].cluster);
    QCOMPARE(t.samples[3].cluster, eval::kNoCluster); // id 4 has none: a cluster of its own
    QVERIFY(mentions(r.warnings, "1 of 4 samples have no cluster field metadata.subject"));

    // A key no sample has is an error that says where Inspect keeps dataset fields.
    o.clusterKey = "metadata.nope";
    r = eval::loadRun(path, o);
    QVERIFY(!r.ok());
    QVERIFY2(r.error->message.find("no sample of task t has the cluster field metadata.nope") != std::string::npos,
        r.error->message.c_str());

    // A .eval log reads the key from each sample entry.
    o.clusterKey = "id";
    const auto zipped = loadOrFail(inspectData("epochs.eval"), o);
    const auto& z = zipped.tasks.at(0);
    QCOMPARE(z.clusterKey, std::string("id"));
    QCOMPARE(z.clusterNames.size(), z.samples.size());
}

#include "tst_inspect.moc"
