// SPDX-License-Identifier: GPL-3.0-or-later
// vLLM route logs (forward passes as recorded batches), concatenated JSONL traces (refused, or
// split into runs) and what trace-info says about files that are not traces. The batch counts come
// from tests/data/vllm/count_vllm_batches.py, an independent reading of the same files.
#include "CliRun.h"
#include "TestData.h"
#include "moe/Batching.h"
#include "moe/TraceImport.h"
#include "moe/VllmRoutes.h"

#include <QFileInfo>
#include <csignal>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

// AddressSanitizer (GCC says so with __SANITIZE_ADDRESS__, Clang with __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define DS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DS_UNDER_ASAN 1
#endif
#endif
#ifndef DS_UNDER_ASAN
#define DS_UNDER_ASAN 0
#endif

using namespace deltascope;
using test::cli;

namespace {

QJsonObject expected()
{
    QFile f(QString::fromStdString(test::dataPath("vllm/expected_batches.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open tests/data/vllm/expected_batches.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The fixture is in tests/data; the real logs in ../shared/data/real (empty when absent).
std::string logPath(const QString& name)
{
    const auto path = name.contains(QLatin1Char('/'))
        ? test::sharedPath(name.toUtf8().constData())
        : test::dataPath(QString(QStringLiteral("vllm/") + name).toUtf8().constData());
    return QFileInfo::exists(QString::fromStdString(path)) ? path : std::string();
}

QByteArray readAll(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read a fixture");
    return f.readAll();
}

// Tokens of each recorded step, in step order.
std::vector<std::int64_t> stepSizes(const moe::Trace& t)
{
    std::map<std::int32_t, std::int64_t> n;
    for (const auto s : t.stepId)
        ++n[s];
    std::vector<std::int64_t> out;
    for (const auto& [step, count] : n)
        out.push_back(count);
    return out;
}

std::vector<std::int64_t> toSizes(const QJsonArray& a)
{
    std::vector<std::int64_t> out;
    for (const auto& v : a)
        out.push_back(v.toInteger());
    return out;
}

// The pass sizes the independent count found, without the passes it lists as routing every token
// alike (which the importer leaves out by default).
std::vector<std::int64_t> withoutUniform(const QJsonObject& e)
{
    const auto all = toSizes(e.value(QStringLiteral("tokens_per_batch")).toArray());
    std::set<std::int64_t> uniform;
    for (const auto& v : e.value(QStringLiteral("uniform_batches")).toArray())
        uniform.insert(v.toInteger());
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (!uniform.count(static_cast<std::int64_t>(i)))
            out.push_back(all[i]);
    return out;
}

// A small per-token-layer JSONL trace in the Mixtral capture's shape: 2 problems x 2 tokens x 2
// layers, one record per line (8 lines).
QByteArray smallJsonl()
{
    QByteArray text;
    for (int p = 0; p < 2; ++p)
        for (int l = 0; l < 2; ++l)
            for (int t = 0; t < 2; ++t)
                text += "{\"problem_id\": " + QByteArray::number(p) + ", \"layer\": " + QByteArray::number(l)
                    + ", \"token_idx\": " + QByteArray::number(t) + ", \"experts\": [" + QByteArray::number((p + t) % 4)
                    + ", " + QByteArray::number((p + t + 1) % 4) + "], \"gating_probs\": [0.75, 0.25]}\n";
    return text;
}

bool hasNote(const std::vector<Diagnostic>& ds, const char* text)
{
    for (const auto& d : ds)
        if (d.message.find(text) != std::string::npos)
            return true;
    return false;
}

} // namespace

class TestVllmRoutes : public QObject {
    Q_OBJECT
private slots:
    void passesAreBatches_data();
    void passesAreBatches();
    void xshareReplaysRecordedBatches_data();
    void xshareReplaysRecordedBatches();
    void twoLayerRecords();
    void concatenatedJsonl();
    void concatenatedVllmLog();
    void cliSplitRuns();
    void traceInfoOnSamples();
    void brokenLogs_data();
    void brokenLogs();
    void expertsFromOptions();
    void gridBoundCountsTopK();
    void outOfMemoryIsAnError();
};

void TestVllmRoutes::passesAreBatches_data()
{
    QTest::addColumn<QString>("name");
    for (const auto& name : expected().keys())
        QTest::newRow(name.toUtf8().constData()) << name;
}

void TestVllmRoutes::passesAreBatches()
{
    QFETCH(QString, name);
    const auto path = logPath(name);
    if (path.empty())
        QSKIP("../shared/data/real is not present");
    const auto e = expected().value(name).toObject();
    QVERIFY(moe::isVllmRouteLog(readAll(path).toStdString()));
    // The same loader the CLI and the window use, keeping every pass (warm-up passes are left out
    // by default: checked at the end).
    moe::TraceImportOptions keepAll;
    keepAll.keepUniformPasses = true;
    const auto r = moe::openTrace(path, 0, keepAll);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = *r.value;
    QVERIFY(t.sparse);
    QCOMPARE(QString::fromStdString(t.model), e.value(QStringLiteral("model")).toString());
    QCOMPARE(t.topK, e.value(QStringLiteral("top_k")).toInteger());
    QCOMPARE(t.experts, e.value(QStringLiteral("experts")).toInteger());
    std::vector<int> layers;
    for (const auto& v : e.value(QStringLiteral("layers")).toArray())
        layers.push_back(v.toInt());
    QCOMPARE(t.layerIds, layers);
    QCOMPARE(t.tokens, e.value(QStringLiteral("tokens")).toInteger());
    QVERIFY(t.hasSteps());
    const auto sizes = toSizes(e.value(QStringLiteral("tokens_per_batch")).toArray());
    QCOMPARE(static_cast<qint64>(sizes.size()), e.value(QStringLiteral("batches")).toInteger());
    QCOMPARE(stepSizes(t), sizes);
    // Recorded batching forms one batch per forward pass, in file order.
    const auto b = moe::makeBatches(t, {});
    QVERIFY(b.ok());
    QCOMPARE(b.value->mode, std::string("recorded"));
    std::vector<std::int64_t> batchSizes;
    for (const auto& rows : b.value->tokens)
        batchSizes.push_back(static_cast<std::int64_t>(rows.size()));
    QCOMPARE(batchSizes, sizes);
    // Every route record fills one (token, layer) slot: nothing is reported missing.
    QVERIFY(!hasNote(r.warnings, "have no route record"));
    // A long log whose token_idx never restarts (OLMoE's) is one pass: said, since all its tokens
    // would form one recorded batch; logs that restart it are not flagged.
    QCOMPARE(hasNote(r.warnings, "token_idx never restarts in this log"), sizes.size() == 1 && t.tokens > 512);
    if (sizes.size() == 1 && t.tokens > 512)
        QVERIFY(
            hasNote(r.warnings, ("its " + std::to_string(t.tokens) + " tokens read as a single forward pass").c_str()));
    // Passes whose tokens all route alike (dummy-input runs) are named, with their sizes.
    std::string alike;
    for (const auto& v : e.value(QStringLiteral("uniform_batches")).toArray()) {
        const auto pass = v.toInt();
        alike += (alike.empty() ? "" : ", ") + std::to_string(pass) + " ("
            + std::to_string(sizes[static_cast<std::size_t>(pass)]) + " tokens)";
    }
    if (alike.empty()) {
        QVERIFY(!hasNote(r.warnings, "route every token to the same experts"));
    } else {
        QVERIFY2(hasNote(r.warnings, (alike + " route every token to the same experts").c_str()), alike.c_str());
        QVERIFY(hasNote(r.warnings, "They count as batches like the others"));
    }
    // By default those passes are left out, and the rest keep their sizes and order.
    const auto d = moe::openTrace(path, 0, {});
    QVERIFY2(d.ok(), d.error ? d.error->toString().c_str() : "");
    const auto kept = withoutUniform(e);
    QCOMPARE(stepSizes(*d.value), kept);
    const auto keptTokens = std::accumulate(kept.begin(), kept.end(), std::int64_t { 0 });
    QCOMPARE(d.value->tokens, keptTokens);
    if (!alike.empty())
        QVERIFY(hasNote(d.warnings,
            ("left out (" + std::to_string(t.tokens - keptTokens) + " of the log's " + std::to_string(t.tokens)
                + " tokens)")
                .c_str()));
    else
        QCOMPARE(d.value->stepId, t.stepId);
}

void TestVllmRoutes::xshareReplaysRecordedBatches_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("fixture, two layers") << QStringLiteral("two_layers.jsonl");
    QTest::newRow("Qwen1.5-MoE layer 0") << QStringLiteral("vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl");
    QTest::newRow("OLMoE, one pass") << QStringLiteral("vllm_moe_routes/olmoe_route_logger/moe_routes.jsonl");
}

void TestVllmRoutes::xshareReplaysRecordedBatches()
{
    QFETCH(QString, name);
    const auto path = logPath(name);
    if (path.empty())
        QSKIP("../shared/data/real is not present");
    const auto e = expected().value(name).toObject();
    const auto budget = QString::number(e.value(QStringLiteral("top_k")).toInt() + 2);
    const auto run = cli({ QStringLiteral("xshare"), QString::fromStdString(path), QStringLiteral("--batching"),
        QStringLiteral("recorded"), QStringLiteral("--budget"), budget, QStringLiteral("--per-slice"),
        QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--backend"), QStringLiteral("cpu") });
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const auto j = QJsonDocument::fromJson(run.out).object();
    const auto batching = j.value(QStringLiteral("batching")).toObject();
    QCOMPARE(batching.value(QStringLiteral("mode")).toString(), QStringLiteral("recorded"));
    // Per layer, the slices' token counts in batch order are the passes' sizes.
    const auto sizes = withoutUniform(e); // warm-up passes are left out by default
    QCOMPARE(batching.value(QStringLiteral("batches")).toInteger(), static_cast<qint64>(sizes.size()));
    std::map<int, std::map<int, std::int64_t>> slices;
    for (const auto& v : j.value(QStringLiteral("slices")).toArray()) {
        const auto s = v.toObject();
        slices[s.value(QStringLiteral("layer")).toInt()][s.value(QStringLiteral("batch")).toInt()]
            = s.value(QStringLiteral("tokens")).toInteger();
    }
    QCOMPARE(static_cast<qsizetype>(slices.size()), e.value(QStringLiteral("layers")).toArray().size());
    for (const auto& [layer, perBatch] : slices) {
        std::vector<std::int64_t> got;
        int next = 0;
        for (const auto& [batch, tokens] : perBatch) {
            QCOMPARE(batch, next++);
            got.push_back(tokens);
        }
        QCOMPARE(got, sizes);
    }
}

void TestVllmRoutes::twoLayerRecords()
{
    // Each pass logs layer 3 for all its tokens, then layer 7: the restart at layer 7 is not a new
    // pass, the restart at layer 3 is. Pass 1 (lines 8-11), token 1, layer 7 is line 11.
    const auto path = test::dataPath("vllm/two_layers.jsonl");
    const auto lines = readAll(path).split('\n');
    const auto rec = QJsonDocument::fromJson(lines[10]).object();
    QCOMPARE(rec.value(QStringLiteral("layer")).toInt(), 7);
    QCOMPARE(rec.value(QStringLiteral("token_idx")).toInt(), 1);
    const auto r = moe::openTrace(path, 0, {});
    QVERIFY(r.ok());
    const auto& t = *r.value;
    QCOMPARE(t.stepId, (std::vector<std::int32_t> { 0, 0, 0, 1, 1, 2, 2, 3 }));
    QCOMPARE(t.requestCount(), std::int64_t { 1 });
    std::vector<float> row(8);
    t.gatingRow(4, 1, row.data()); // token 4 = pass 1, token_idx 1
    const auto ids = rec.value(QStringLiteral("topk_ids")).toArray();
    const auto weights = rec.value(QStringLiteral("topk_weights")).toArray();
    std::set<int> known;
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(row[static_cast<std::size_t>(ids[i].toInt())], static_cast<float>(weights[i].toDouble()));
        known.insert(ids[i].toInt());
    }
    for (int e = 0; e < 8; ++e)
        if (!known.count(e))
            QVERIFY(std::isinf(row[static_cast<std::size_t>(e)]));
    // Weights add up to 1: the model renormalises.
    QVERIFY(t.normTopkProb);
}

void TestVllmRoutes::concatenatedJsonl()
{
    QTemporaryDir dir;
    const auto one = test::writeFile(dir, QStringLiteral("one.jsonl"), smallJsonl());
    const auto single = moe::importJsonlTrace(one, {});
    QVERIFY(single.ok());
    QCOMPARE(single.value->tokens, std::int64_t { 4 });
    // Two captures appended: the first repeat is line 9, the first record of the second copy.
    const auto two = test::writeFile(dir, QStringLiteral("two.jsonl"), smallJsonl() + smallJsonl());
    const auto refused = moe::importJsonlTrace(two, {});
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error->file, two);
    QCOMPARE(refused.error->line, std::int64_t { 9 });
    QVERIFY2(refused.error->message.find("repeats the record at line 1") != std::string::npos,
        refused.error->message.c_str());
    QVERIFY(refused.error->message.find("split the file into runs") != std::string::npos);
    // openTrace (the CLI's and the window's loader) says the same.
    QCOMPARE(moe::openTrace(two, 0, {}).error->line, std::int64_t { 9 });
    // Split: two runs, whose requests are numbered apart.
    moe::TraceImportOptions o;
    o.splitRuns = true;
    const auto split = moe::importJsonlTrace(two, o);
    QVERIFY2(split.ok(), split.error ? split.error->toString().c_str() : "");
    const auto& t = *split.value;
    QCOMPARE(t.tokens, std::int64_t { 8 });
    QCOMPARE(t.requestCount(), std::int64_t { 4 });
    QCOMPARE(t.requestId, (std::vector<std::int32_t> { 0, 0, 1, 1, 2, 2, 3, 3 }));
    QVERIFY(hasNote(split.warnings, "run 2 starts here"));
    QVERIFY(!hasNote(split.warnings, "have no record"));
    // The second run's routes are the first run's, request by request.
    std::vector<float> a(4), b(4);
    for (std::int64_t tok = 0; tok < 4; ++tok)
        for (std::int64_t l = 0; l < 2; ++l) {
            t.gatingRow(tok, l, a.data());
            t.gatingRow(tok + 4, l, b.data());
            QCOMPARE(a, b);
        }
}

void TestVllmRoutes::concatenatedVllmLog()
{
    QTemporaryDir dir;
    const auto log = readAll(test::dataPath("vllm/two_layers.jsonl"));
    const auto path = test::writeFile(dir, QStringLiteral("routes.jsonl"), log + log);
    const auto refused = moe::openTrace(path, 0, {});
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error->file, path);
    QCOMPARE(refused.error->line, std::int64_t { 18 }); // the second meta record
    QVERIFY2(refused.error->message.find("second meta record") != std::string::npos, refused.error->message.c_str());
    moe::TraceImportOptions o;
    o.splitRuns = true;
    const auto split = moe::openTrace(path, 0, o);
    QVERIFY2(split.ok(), split.error ? split.error->toString().c_str() : "");
    QCOMPARE(split.value->tokens, std::int64_t { 16 });
    QCOMPARE(split.value->requestCount(), std::int64_t { 2 });
    QCOMPARE(stepSizes(*split.value), (std::vector<std::int64_t> { 3, 2, 2, 1, 3, 2, 2, 1 }));
    QVERIFY(hasNote(split.warnings, "run 2 starts here; its passes are numbered from 4"));
    // A run of another model is not a second run of the same trace.
    auto other = log;
    other.replace("tiny/two-layer-moe", "another/model");
    const auto mixed = test::writeFile(dir, QStringLiteral("mixed.jsonl"), log + other);
    const auto m = moe::openTrace(mixed, 0, o);
    QVERIFY(!m.ok());
    QCOMPARE(m.error->line, std::int64_t { 18 });
    QVERIFY(m.error->message.find("one model") != std::string::npos);
}

void TestVllmRoutes::cliSplitRuns()
{
    QTemporaryDir dir;
    const auto two
        = QString::fromStdString(test::writeFile(dir, QStringLiteral("two.jsonl"), smallJsonl() + smallJsonl()));
    const auto refused = cli({ QStringLiteral("trace-info"), two });
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(QByteArray(two.toUtf8() + ":9: error")), refused.err.constData());
    QVERIFY(refused.err.contains("--split-runs"));
    const auto split = cli({ QStringLiteral("trace-info"), two, QStringLiteral("--split-runs"),
        QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(split.exitCode == 0, split.err.constData());
    const auto j = QJsonDocument::fromJson(split.out).object();
    QCOMPARE(j.value(QStringLiteral("requests")).toInt(), 4);
    QCOMPARE(j.value(QStringLiteral("tokens")).toInt(), 8);
    // The help says what the flag does.
    QVERIFY(cli({ QStringLiteral("xshare"), QStringLiteral("--help") }).out.contains("--split-runs"));
}

void TestVllmRoutes::traceInfoOnSamples()
{
    // An lm-eval samples file given where a trace is expected: the message names the keys looked
    // for, not "?".
    const auto samples = test::fixture(
        "eval/layout_current/baseline/acme__Llama-3.1-8B-Instruct/samples_gsm8k_2026-03-02T10-15-42.118204.jsonl");
    const auto run = cli({ QStringLiteral("trace-info"), samples });
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QByteArray(samples.toUtf8() + ":1: error")), run.err.constData());
    for (const char* key :
        { "problem_id", "request_id", "req_id", "layer_id", "token_idx", "topk_ids", "gating_probs", "topk_weights" })
        QVERIFY2(run.err.contains(key), key);
    QVERIFY(!run.err.contains("?"));
    QVERIFY(run.err.contains("LM Evaluation Harness samples"));
    QVERIFY(run.err.contains("--request-key"));
    // The same in core, for the window: the setting, not the flag.
    const auto r = moe::openTrace(samples.toStdString(), 0, {});
    QVERIFY(!r.ok());
    QVERIFY(r.error->message.find("no layer key (looked for layer, layer_id, layer_idx)") != std::string::npos);
    QVERIFY(r.error->message.find("--") == std::string::npos);
}

void TestVllmRoutes::brokenLogs_data()
{
    // Line `line` of two_layers.jsonl (layers 3 and 7, k 2, 8 experts) becomes `replacement`
    // ("<delete>" removes it, "<truncate>" keeps its first half).
    QTest::addColumn<int>("line");
    QTest::addColumn<QByteArray>("replacement");
    QTest::addColumn<int>("errorLine");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("skippable"); // skipping bad lines turns it into a warning
    const QByteArray route = R"({"type": "route", "req_id": "r1", "token_idx": 0, "layer": 3, )";
    QTest::newRow("truncated record") << 17 << QByteArray("<truncate>") << 17 << QStringLiteral("malformed JSON record")
                                      << true;
    QTest::newRow("meta missing") << 1 << QByteArray("<delete>") << 1 << QStringLiteral("expected the meta record")
                                  << false;
    QTest::newRow("ids and weights of different lengths")
        << 2 << route + R"("topk_ids": [1, 2], "topk_weights": [0.5, 0.3, 0.2]})" << 2
        << QStringLiteral("\"topk_ids\" has 2 experts but \"topk_weights\" has 3 weights") << true;
    QTest::newRow("expert id out of range") << 2 << route + R"("topk_ids": [8, 1], "topk_weights": [0.5, 0.5]})" << 2
                                            << QStringLiteral("expert id 8 is out of range [0, 8)") << true;
    QTest::newRow("more experts than top_k")
        << 2 << route + R"("topk_ids": [1, 2, 3], "topk_weights": [0.5, 0.3, 0.2]})" << 2
        << QStringLiteral("has 3 experts but the meta record's top_k is 2") << true;
    QTest::newRow("expert twice") << 2 << route + R"("topk_ids": [3, 3], "topk_weights": [0.5, 0.5]})" << 2
                                  << QStringLiteral("expert 3 appears twice") << true;
    QTest::newRow("negative weight") << 2 << route + R"("topk_ids": [1, 2], "topk_weights": [-0.5, 0.5]})" << 2
                                     << QStringLiteral("not a finite non-negative number") << true;
    QTest::newRow("layer not logged")
        << 2
        << QByteArray(R"({"type": "route", "req_id": "r1", "token_idx": 0, "layer": 5, "topk_ids": [1, 2], )"
                      R"("topk_weights": [0.5, 0.5]})")
        << 2 << QStringLiteral("layer 5 is not among the meta record's layers_logged") << true;
    QTest::newRow("token_idx missing") << 2
                                       << QByteArray(
                                              R"({"type": "route", "req_id": "r1", "layer": 3, "topk_ids": [1, 2], )"
                                              R"("topk_weights": [0.5, 0.5]})")
                                       << 2 << QStringLiteral("\"token_idx\" is missing") << true;
    QTest::newRow("req_id neither string nor number")
        << 2
        << QByteArray(R"({"type": "route", "req_id": {}, "token_idx": 0, "layer": 3, "topk_ids": [1, 2], )"
                      R"("topk_weights": [0.5, 0.5]})")
        << 2 << QStringLiteral("\"req_id\" must be a string or a whole number") << true;
    QTest::newRow("unknown record type") << 2 << QByteArray(R"({"type": "step", "step": 1})") << 2
                                         << QStringLiteral("record type \"step\" is neither meta nor route") << true;
    QTest::newRow("top_k beyond num_experts")
        << 1
        << QByteArray(R"({"type": "meta", "model_id": "m", "layers_logged": [3, 7], "top_k": 9, "num_experts": 8})")
        << 1 << QStringLiteral("exceeds its num_experts") << false;
    QTest::newRow("layers_logged not a list")
        << 1 << QByteArray(R"({"type": "meta", "model_id": "m", "layers_logged": "3,7", "top_k": 2, "num_experts": 8})")
        << 1 << QStringLiteral("\"layers_logged\" must be a list") << false;
}

void TestVllmRoutes::brokenLogs()
{
    QFETCH(int, line);
    QFETCH(QByteArray, replacement);
    QFETCH(int, errorLine);
    QFETCH(QString, expected);
    QFETCH(bool, skippable);
    auto lines = readAll(test::dataPath("vllm/two_layers.jsonl")).split('\n');
    auto& target = lines[line - 1];
    if (replacement == "<delete>")
        lines.removeAt(line - 1);
    else if (replacement == "<truncate>")
        target = target.left(target.size() / 2);
    else
        target = replacement;
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("broken.jsonl"), lines.join('\n'));
    // Through the loader the CLI and the window use.
    moe::TraceImportOptions o;
    const auto r = moe::openTrace(path, 0, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, std::int64_t { errorLine });
    QVERIFY2(QString::fromStdString(r.error->message).contains(expected), r.error->message.c_str());
    o.skipBadLines = true;
    const auto skipped = moe::openTrace(path, 0, o);
    QCOMPARE(skipped.ok(), skippable);
    if (skippable) {
        QVERIFY(hasNote(skipped.warnings, "; skipped"));
        QCOMPARE(skipped.warnings.front().line, std::int64_t { errorLine });
    }
}

void TestVllmRoutes::expertsFromOptions()
{
    // The Qwen log's meta record names no num_experts: the largest id + 1, with a warning, unless
    // the number of experts is set; a setting that contradicts the meta record is refused.
    QTemporaryDir dir;
    auto log = readAll(test::dataPath("vllm/two_layers.jsonl"));
    const auto noCount
        = test::writeFile(dir, QStringLiteral("a.jsonl"), QByteArray(log).replace(", \"num_experts\": 8", ""));
    auto r = moe::openTrace(noCount, 0, {});
    QVERIFY(r.ok());
    QCOMPARE(r.value->experts, std::int64_t { 8 });
    QVERIFY(hasNote(r.warnings, "gives no num_experts"));
    moe::TraceImportOptions o;
    o.experts = 16;
    r = moe::openTrace(noCount, 0, o);
    QVERIFY(r.ok());
    QCOMPARE(r.value->experts, std::int64_t { 16 });
    QVERIFY(!hasNote(r.warnings, "gives no num_experts"));
    const auto withCount = test::writeFile(dir, QStringLiteral("b.jsonl"), log);
    r = moe::openTrace(withCount, 0, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t { 1 });
    QVERIFY(r.error->message.find("num_experts 8") != std::string::npos);
}

void TestVllmRoutes::gridBoundCountsTopK()
{
    // 40 route records on a diagonal (token i at layer i, one pass) with top_k 64: a 40 x 40 x 64
    // grid of 102,400 cells for 2,560 ids. Sparse importers allow 8 cells per id read plus 65,536,
    // i.e. 86,016 here; the grid first passes that at record 37 (37 x 37 x 64 = 87,616), line 38.
    QByteArray log = R"({"type": "meta", "model_id": "m", "top_k": 64, "num_experts": 64})"
                     "\n";
    QByteArray ids;
    QByteArray weights;
    for (int e = 0; e < 64; ++e) {
        ids += (e ? "," : "") + QByteArray::number(e);
        weights += e ? ",0" : "1";
    }
    for (int i = 0; i < 40; ++i)
        log += R"({"type": "route", "req_id": "r1", "token_idx": )" + QByteArray::number(i) + R"(, "layer": )"
            + QByteArray::number(i) + R"(, "topk_ids": [)" + ids + R"(], "topk_weights": [)" + weights + "]}\n";
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("diagonal.jsonl"), log);
    const auto r = moe::openTrace(path, 0, {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, std::int64_t { 38 });
    QVERIFY2(
        r.error->message.find("40 tokens x 40 layers x 64 experts") != std::string::npos, r.error->message.c_str());
    QVERIFY2(r.error->message.find("at most 86016 cells") != std::string::npos, r.error->message.c_str());
}

void TestVllmRoutes::outOfMemoryIsAnError()
{
#if DS_UNDER_ASAN
    QSKIP("AddressSanitizer's allocator ends the process when memory runs out instead of throwing "
          "std::bad_alloc; the regular build runs this test");
#endif
    // A log whose records alone need far more memory than the process may have: the importer says
    // so with the file's name instead of aborting on std::bad_alloc. Run in a child process whose
    // address space is capped at 64 MB above what it already uses.
    std::string log = R"({"type": "meta", "model_id": "m", "top_k": 64, "num_experts": 64})"
                      "\n";
    std::string tail = R"(, "layer": 0, "topk_ids": [)";
    for (int e = 0; e < 64; ++e)
        tail += (e ? "," : "") + std::to_string(e);
    tail += R"(], "topk_weights": [1)";
    for (int e = 1; e < 64; ++e)
        tail += ",0";
    tail += "]}\n";
    for (int i = 0; log.size() < (32u << 20); ++i)
        log += R"({"type": "route", "req_id": "r1", "token_idx": )" + std::to_string(i) + tail;
    const pid_t child = fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        // Die plainly on an abort (the test's crash handler would try to start a debugger), and
        // never outlive 20 seconds.
        std::signal(SIGABRT, SIG_DFL);
        std::signal(SIGSEGV, SIG_DFL);
        alarm(20);
        long pages = 0;
        std::ifstream("/proc/self/statm") >> pages;
        const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (64u << 20);
        const rlimit limit { cap, cap };
        if (setrlimit(RLIMIT_AS, &limit) != 0)
            _exit(3);
        const auto r = moe::parseVllmRoutes(log, "huge.jsonl", {});
        _exit(r.ok() ? 1
                     : (r.error->file == "huge.jsonl" && r.error->message.find("memory") != std::string::npos ? 0 : 2));
    }
    int status = 0;
    QCOMPARE(waitpid(child, &status, 0), child);
    QVERIFY2(WIFEXITED(status), "the importer aborted");
    QCOMPARE(WEXITSTATUS(status), 0);
}

QTEST_GUILESS_MAIN(TestVllmRoutes)
#include "tst_vllmroutes.moc"
