// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "moe/MegatronImport.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"

#include <numeric>
#include <set>

using namespace deltascope;

namespace {

moe::Trace smallDense()
{
    std::vector<float> scores;
    for (int i = 0; i < 3 * 2 * 4; ++i)
        scores.push_back(static_cast<float>(i % 7) / 7.0f + 0.01f);
    auto t = moe::makeOwnedTrace(3, 2, 4, 2, false, scores, {}, { 0, 0, 1 });
    t.stepId = { 0, 1, 1 };
    t.model = "tiny";
    t.layerIds = { 3, 7 };
    return t;
}

QByteArray header(const std::string& json)
{
    QByteArray out(8, '\0');
    const auto n = static_cast<quint64>(json.size());
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + QByteArray::fromStdString(json);
}

} // namespace

class TestTraceIo : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void sparseRoundTrip();
    void badFiles_data();
    void badFiles();
    void notATraceIsSaidPlainly();
    void mixtralTrace();
    void jsonlErrors();
    void jsonlSparseGrid();
    void olmoeCounts();
    void countsJson();
    void synthIsSeededAndTopical();
    void halfPrecision();
    void builtinCounts();
    void megatronIdsOnly();
    void megatronWithLogits();
    void fuzzFindingsAreErrors();
    void largeCaptureReportsProgress();
};

namespace {

QByteArray megatronRecord(int step, int rank, int layer, const QList<QList<int>>& ids, const QByteArray& logits = {})
{
    QJsonArray rows;
    for (const auto& r : ids) {
        QJsonArray row;
        for (const int id : r)
            row.append(id);
        rows.append(row);
    }
    QJsonObject o { { QStringLiteral("step"), step }, { QStringLiteral("stage"), QStringLiteral("pre_dispatch") },
        { QStringLiteral("block"), QStringLiteral("decoder") }, { QStringLiteral("layer"), layer },
        { QStringLiteral("rank"), rank }, { QStringLiteral("num_tokens"), static_cast<int>(ids.size()) },
        { QStringLiteral("topk"), static_cast<int>(ids.front().size()) }, { QStringLiteral("top_indices"), rows } };
    if (!logits.isEmpty()) {
        o.insert(QStringLiteral("logit_offset"), logits.toInt());
        o.insert(QStringLiteral("logit_bytes"), static_cast<int>(ids.size()) * 4 * 2);
        o.insert(QStringLiteral("logit_shape"), QJsonArray { static_cast<int>(ids.size()), 4 });
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

} // namespace

void TestTraceIo::megatronIdsOnly()
{
    QTemporaryDir dir;
    QByteArray r0 = megatronRecord(0, 0, 1, { { 0, 2 }, { 1, 2 } }) + megatronRecord(0, 0, 3, { { 3, 1 }, { 0, 1 } })
        + megatronRecord(1, 0, 1, { { 2, 3 } }) + megatronRecord(1, 0, 3, { { 0, 3 } });
    test::writeFile(dir, QStringLiteral("router_trace_rank0.jsonl"), r0);
    // rank 1 replicates rank 0's decisions: read once
    test::writeFile(
        dir, QStringLiteral("router_trace_rank1.jsonl"), QByteArray(r0).replace("\"rank\":0", "\"rank\":1"));
    QVERIFY(moe::isMegatronTrace(dir.path().toStdString()));
    const auto r = moe::openTrace(dir.path().toStdString(), 0, {});
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = *r.value;
    QVERIFY(t.sparse);
    QCOMPARE(t.tokens, std::int64_t(3));
    QCOMPARE(t.layers, std::int64_t(2));
    QCOMPARE(t.layerIds, (std::vector<int> { 1, 3 }));
    QCOMPARE(t.experts, std::int64_t(4));
    QCOMPARE(t.topK, std::int64_t(2));
    QCOMPARE(t.stepId, (std::vector<std::int32_t> { 0, 0, 1 }));
    std::vector<float> row(4);
    t.gatingRow(1, 1, row.data()); // step 0, token 1, layer 3 -> experts 0 and 1
    QCOMPARE(row[0], 0.5f);
    QCOMPARE(row[1], 0.5f);
    QVERIFY(std::isinf(row[2]));
    bool replicaNote = false;
    for (const auto& w : r.warnings)
        replicaNote = replicaNote || w.message.find("read once") != std::string::npos;
    QVERIFY(replicaNote);
}

void TestTraceIo::megatronWithLogits()
{
    QTemporaryDir dir;
    // logits for 2 tokens x 4 experts at offset 0 (layer 0) and 16 (layer 1), bf16
    QByteArray side;
    for (const float v :
        { 2.0f, 0.0f, 1.0f, -1.0f, 0.0f, 3.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.5f, 0.0f, 0.0f, 4.0f }) {
        const auto b = moe::floatToBf16(v);
        side.append(static_cast<char>(b & 0xff));
        side.append(static_cast<char>(b >> 8));
    }
    test::writeFile(dir, QStringLiteral("logits_rank0.bin"), side);
    test::writeFile(dir, QStringLiteral("router_trace_rank0.jsonl"),
        megatronRecord(0, 0, 0, { { 0, 2 }, { 1, 0 } }, "0") + megatronRecord(0, 0, 1, { { 0, 1 }, { 3, 0 } }, "16"));
    const auto r = moe::openTrace(dir.filePath(QStringLiteral("router_trace_rank0.jsonl")).toStdString(), 0, {});
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = *r.value;
    QVERIFY(!t.sparse);
    QCOMPARE(t.scoreKind, moe::ScoreKind::Logits);
    std::vector<float> row(4);
    t.gatingRow(0, 0, row.data());
    const double z = std::exp(2.0) + 1 + std::exp(1.0) + std::exp(-1.0);
    QVERIFY(std::abs(row[0] - std::exp(2.0) / z) < 1e-6);
    t.gatingRow(1, 1, row.data());
    QVERIFY(row[3] > 0.9f);
    // a record pointing past the sidecar is refused
    test::writeFile(
        dir, QStringLiteral("router_trace_rank0.jsonl"), megatronRecord(0, 0, 0, { { 0, 2 }, { 1, 0 } }, "1000"));
    const auto bad = moe::openTrace(dir.path().toStdString(), 0, {});
    QVERIFY(!bad.ok());
    QVERIFY(bad.error->message.find("sidecar") != std::string::npos);
}

void TestTraceIo::builtinCounts()
{
    const auto& c = moe::builtinOlmoeCounts();
    QCOMPARE(c.experts, std::int64_t(64));
    QCOMPARE(c.layers, std::int64_t(3));
    const std::string file = test::sharedPath("expert_counts_olmoe_repo/olmoe_c4.csv");
    if (QFileInfo::exists(QString::fromStdString(file))) {
        const auto r = moe::loadExpertCounts(file);
        QVERIFY(r.ok());
        QVERIFY(r.value->counts == c.counts);
    }
    // Resampled to 128 experts, the synthetic popularity keeps the real profile's skew: the most
    // chosen expert of a layer is picked far more often than the least chosen.
    moe::SynthOptions o;
    o.requests = 16;
    o.tokensPerRequest = 64;
    o.layers = 1;
    o.experts = 128;
    o.topK = 8;
    o.topic = 0.0;
    o.popularity = &c;
    const auto t = moe::makeSyntheticTrace(o);
    std::vector<double> mean(128, 0.0);
    std::vector<float> row(128);
    for (std::int64_t i = 0; i < t.tokens; ++i) {
        t.gatingRow(i, 0, row.data());
        for (int e = 0; e < 128; ++e)
            mean[static_cast<std::size_t>(e)] += row[static_cast<std::size_t>(e)];
    }
    const auto [lo, hi] = std::minmax_element(mean.begin(), mean.end());
    QVERIFY(*hi > 4.0 * *lo);
}

void TestTraceIo::roundTrip_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("F32") << static_cast<int>(moe::ScoreType::F32);
    QTest::newRow("F16") << static_cast<int>(moe::ScoreType::F16);
    QTest::newRow("BF16") << static_cast<int>(moe::ScoreType::BF16);
}

void TestTraceIo::roundTrip()
{
    QFETCH(int, type);
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
    const auto src = smallDense();
    QVERIFY(moe::writeTraceFile(path, src, static_cast<moe::ScoreType>(type)).empty());
    const auto r = moe::readTraceFile(path);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = *r.value;
    QCOMPARE(t.tokens, std::int64_t(3));
    QCOMPARE(t.layers, std::int64_t(2));
    QCOMPARE(t.experts, std::int64_t(4));
    QCOMPARE(t.topK, std::int64_t(2));
    QCOMPARE(t.requestId, (std::vector<std::int32_t> { 0, 0, 1 }));
    QCOMPARE(t.stepId, (std::vector<std::int32_t> { 0, 1, 1 }));
    QCOMPARE(t.layerIds, (std::vector<int> { 3, 7 }));
    QCOMPARE(t.model, std::string("tiny"));
    const double tol = type == 0 ? 0.0 : (type == 1 ? 1e-3 : 1e-2);
    for (std::size_t i = 0; i < 24; ++i)
        QVERIFY(std::abs(t.rawScore(i) - src.rawScore(i)) <= tol * std::abs(src.rawScore(i)));
}

void TestTraceIo::sparseRoundTrip()
{
    auto src = moe::makeOwnedTrace(2, 1, 8, 2, true, { 0.7f, 0.3f, 0.6f, 0.4f }, { 5, 1, -1, -1 }, { 4, 4 });
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("s.safetensors")).toStdString();
    QVERIFY(moe::writeTraceFile(path, src).empty());
    const auto r = moe::readTraceFile(path);
    QVERIFY(r.ok());
    QVERIFY(r.value->sparse);
    QCOMPARE(r.value->experts, std::int64_t(8));
    std::vector<float> row(8);
    r.value->gatingRow(0, 0, row.data());
    QCOMPARE(row[5], 0.7f);
    QCOMPARE(row[1], 0.3f);
    QVERIFY(std::isinf(row[0]));
    r.value->gatingRow(1, 0, row.data());
    for (const float v : row)
        QVERIFY(std::isinf(v)); // a missing record: nothing known

    // A header claiming more experts than a trace may have is refused, by name, before anything
    // the size of that claim is allocated; the most that is allowed still reads.
    for (const std::int64_t claim : { moe::kMaxExperts + 1, std::int64_t(2147483647) }) {
        auto big = moe::makeOwnedTrace(2, 1, claim, 2, true, { 0.7f, 0.3f, 0.6f, 0.4f }, { 5, 1, 2, 3 }, { 4, 4 });
        const auto bigPath = dir.filePath(QStringLiteral("big.safetensors")).toStdString();
        QVERIFY(moe::writeTraceFile(bigPath, big).empty());
        const auto refused = moe::readTraceFile(bigPath);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error->toString().find(std::to_string(claim) + " experts per layer") != std::string::npos,
            refused.error->toString().c_str());
        QVERIFY(!moe::openTrace(bigPath, 0, {}).ok());
    }
    auto most
        = moe::makeOwnedTrace(2, 1, moe::kMaxExperts, 2, true, { 0.7f, 0.3f, 0.6f, 0.4f }, { 5, 1, 2, 3 }, { 4, 4 });
    const auto mostPath = dir.filePath(QStringLiteral("most.safetensors")).toStdString();
    QVERIFY(moe::writeTraceFile(mostPath, most).empty());
    QVERIFY(moe::openTrace(mostPath, 0, {}).ok());
}

void TestTraceIo::badFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("too short");
    QTest::newRow("header longer than file")
        << QByteArray("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10) << QStringLiteral("header claims");
    QTest::newRow("not json") << header("{not json}") << QStringLiteral("malformed safetensors header");
    QTest::newRow("offsets past the end") << header(
        R"({"scores":{"dtype":"F32","shape":[1,1,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
                                          << QStringLiteral("run past the end of the file");
    QTest::newRow("shape does not match bytes")
        << header(
               R"({"scores":{"dtype":"F32","shape":[1000000,1000,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
            + QByteArray(20, '\0')
        << QStringLiteral("do not match");
    QTest::newRow("k greater than N")
        << header(
               R"({"__metadata__":{"top_k":"9"},"scores":{"dtype":"F32","shape":[1,1,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
            + QByteArray(20, '\0')
        << QStringLiteral("exceeds the 4 experts");
    QTest::newRow("empty trace") << header(
        R"({"__metadata__":{"top_k":"1"},"scores":{"dtype":"F32","shape":[0,1,4],"data_offsets":[0,0]},"request_id":{"dtype":"I32","shape":[0],"data_offsets":[0,0]}})")
                                 << QStringLiteral("empty");
    QTest::newRow("expert id out of range")
        << header(
               R"({"__metadata__":{"num_experts":"4","top_k":"1"},"topk_ids":{"dtype":"I32","shape":[1,1,1],"data_offsets":[0,4]},"topk_scores":{"dtype":"F32","shape":[1,1,1],"data_offsets":[4,8]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}})")
            + QByteArray("\x09\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x00", 12)
        << QStringLiteral("expert id 9 out of range");
    QTest::newRow("expert twice in one token's top-k")
        << header(
               R"({"__metadata__":{"num_experts":"4","top_k":"2"},"topk_ids":{"dtype":"I32","shape":[1,1,2],"data_offsets":[0,8]},"topk_scores":{"dtype":"F32","shape":[1,1,2],"data_offsets":[8,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
            + QByteArray("\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x00\x3f\x00\x00\x00\x00", 20)
        << QStringLiteral("expert id 1 appears twice among the top-k of token 0, layer 0");
    QTest::newRow("sparse with k = 0")
        << header(
               R"({"__metadata__":{"num_experts":"8"},"topk_ids":{"dtype":"I32","shape":[2,1,0],"data_offsets":[0,0]},"topk_scores":{"dtype":"F32","shape":[2,1,0],"data_offsets":[0,0]},"request_id":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})")
            + QByteArray(8, '\0')
        << QStringLiteral("routes each token to no expert");
    QTest::newRow("overlapping tensors")
        << header(
               R"({"scores":{"dtype":"F32","shape":[1,1,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[12,16]}})")
            + QByteArray(16, '\0')
        << QStringLiteral("tensors \"scores\" and \"request_id\" overlap");
    QTest::newRow("entry not an object")
        << header(R"({"a":5})")
        << QStringLiteral("tensor \"a\": its header entry must be an object with dtype, shape and data_offsets");
    QTest::newRow("entry without a shape") << header(R"({"scores":{"dtype":"F32","data_offsets":[0,16]}})")
            + QByteArray(16, '\0') << QStringLiteral("shape must be a list of dimensions");
    QTest::newRow("top_k 0")
        << header(
               R"({"__metadata__":{"top_k":"0"},"scores":{"dtype":"F32","shape":[1,1,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
            + QByteArray(20, '\0')
        << QStringLiteral("metadata top_k must be at least 1, got 0");
    QTest::newRow("no top_k")
        << header(
               R"({"scores":{"dtype":"F32","shape":[1,1,4],"data_offsets":[0,16]},"request_id":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}})")
            + QByteArray(20, '\0')
        << QStringLiteral("a dense trace needs metadata top_k");
    QTest::newRow("no scores") << header(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})")
            + QByteArray(4, '\0')
                               << QStringLiteral("not a Deltascope trace");
}

void TestTraceIo::badFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("bad.safetensors"), content);
    const auto r = moe::readTraceFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QVERIFY2(QString::fromStdString(r.error->message).contains(expected), r.error->message.c_str());
}

void TestTraceIo::notATraceIsSaidPlainly()
{
    // A file that is no trace at all (a README dropped on the trace box) is named as such, not as
    // broken JSON with the parser's own error code; a missing file says so in plain words.
    QTemporaryDir dir;
    const auto md = test::writeFile(dir, QStringLiteral("SOURCES.md"), "# Sources\n\n{ not this }\n");
    const auto r = moe::openTrace(md, 0, {});
    QVERIFY(!r.ok());
    const std::string m = r.error->toString();
    QVERIFY2(m.find("not a router trace") != std::string::npos, m.c_str());
    QVERIFY2(m.find("json.exception") == std::string::npos, m.c_str());
    // A JSON line that does not parse is still malformed JSON, without the parser's tag.
    const auto bad = test::writeFile(dir, QStringLiteral("bad.jsonl"), "{\"layer\": 0, \"experts\": [1,}\n");
    const auto b = moe::openTrace(bad, 0, {});
    QVERIFY(!b.ok());
    const std::string bm = b.error->toString();
    QVERIFY2(bm.find("malformed JSON record") != std::string::npos, bm.c_str());
    QVERIFY2(bm.find("json.exception") == std::string::npos, bm.c_str());
    const auto missing = moe::openTrace(dir.filePath(QStringLiteral("gone.jsonl")).toStdString(), 0, {});
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error->toString().ends_with("error: no such file"), missing.error->toString().c_str());
    // JSONL by its name is read as JSON, even when its ninth byte is the '{' of a second line.
    const auto twoLines = test::writeFile(dir, QStringLiteral("two.jsonl"), "{\"a\":1}\n{\"b\":2}\n");
    const auto t = moe::openTrace(twoLines, 0, {});
    QVERIFY(!t.ok());
    QVERIFY2(t.error->message.find("cannot read the first record as a router record") != std::string::npos,
        t.error->message.c_str());
    QVERIFY2(t.error->message.find("safetensors") == std::string::npos, t.error->message.c_str());
    // A JSON document over several lines (statistics) is named as such, not as a broken record.
    const auto stats
        = test::writeFile(dir, QStringLiteral("stats.json"), "{\n  \"num_experts\": 128,\n  \"usage\": [1, 2]\n}\n");
    const auto st = moe::openTrace(stats, 0, {});
    QVERIFY(!st.ok());
    QVERIFY2(st.error->message.starts_with("a JSON document written over several lines, not router records"),
        st.error->message.c_str());
    // A folder without Megatron trace files says what a folder may hold.
    const QString empty = dir.filePath(QStringLiteral("empty"));
    QVERIFY(QDir().mkpath(empty));
    const auto folder = moe::openTrace(empty.toStdString(), 0, {});
    QVERIFY(!folder.ok());
    QVERIFY2(folder.error->message.starts_with("a folder without a router trace in it"), folder.error->message.c_str());
}

void TestTraceIo::mixtralTrace()
{
    const std::string file = test::sharedPath("router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl");
    if (!QFileInfo::exists(QString::fromStdString(file)))
        QSKIP("../shared/data/real is not present");
    moe::TraceImportOptions o;
    const auto r = moe::importJsonlTrace(file, o);
    QVERIFY2(r.ok(), r.error ? r.error->toString().c_str() : "");
    const auto& t = *r.value;
    QVERIFY(t.sparse);
    QCOMPARE(t.layers, std::int64_t(32));
    QCOMPARE(t.experts, std::int64_t(8));
    QCOMPARE(t.topK, std::int64_t(2));
    QCOMPARE(t.requestCount(), std::int64_t(2));
    QCOMPARE(t.tokens, std::int64_t(168 + 79));
    // The first record: problem 0, layer 0, token 0 -> experts 7 and 0.
    std::vector<float> row(8);
    t.gatingRow(0, 0, row.data());
    QVERIFY(std::abs(row[7] - 0.80038011f) < 1e-6f);
    QVERIFY(std::abs(row[0] - 0.19961987f) < 1e-6f);
    // 7,889 records for 247 x 32 slots: the rest are reported missing.
    QVERIFY(!r.warnings.empty());
    QVERIFY(r.warnings[0].message.find(std::to_string(247 * 32 - 7889)) == 0);
}

void TestTraceIo::jsonlErrors()
{
    QTemporaryDir dir;
    const auto bad = test::writeFile(dir, QStringLiteral("r.jsonl"),
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 0, \"experts\": [1, 2], \"gating_probs\": [0.5, 0.5]}\n"
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 1, \"experts\": [1, 99], \"gating_probs\": [0.5, 0.5]}\n");
    moe::TraceImportOptions o;
    o.experts = 8;
    auto r = moe::importJsonlTrace(bad, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY(r.error->message.find("expert id 99 out of range") != std::string::npos);
    const auto nan = test::writeFile(dir, QStringLiteral("n.jsonl"),
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 0, \"experts\": [1, 2], \"gating_probs\": [0.5, -0.5]}\n");
    r = moe::importJsonlTrace(nan, o);
    QVERIFY(!r.ok());
    // A negative probability: the message points to logits.
    QVERIFY2(r.error->message.find("is negative, which no probability is: if these are router logits, read them as "
                                   "logits")
            != std::string::npos,
        r.error->message.c_str());
    // A token routed to the same expert twice would count its gating mass twice.
    const auto twice = test::writeFile(dir, QStringLiteral("t.jsonl"),
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 0, \"experts\": [1, 2], \"gating_probs\": [0.5, 0.5]}\n"
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 1, \"experts\": [3, 3], \"gating_probs\": [0.5, 0.5]}\n");
    r = moe::importJsonlTrace(twice, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->line, std::int64_t(2));
    QVERIFY2(r.error->message.find("expert id 3 appears twice") != std::string::npos, r.error->message.c_str());
    const auto huge = test::writeFile(dir, QStringLiteral("h.jsonl"),
        "{\"problem_id\": 0, \"layer\": 0, \"token_idx\": 0, \"experts\": [1, 2], \"gating_probs\": [1e300, 0.5]}\n");
    r = moe::importJsonlTrace(huge, o);
    QVERIFY(!r.ok());
    QVERIFY2(r.error->message.find("beyond what a 32-bit float holds") != std::string::npos, r.error->message.c_str());
    const auto keys = test::writeFile(dir, QStringLiteral("k.jsonl"), "{\"a\": 1}\n");
    r = moe::importJsonlTrace(keys, o);
    QVERIFY(!r.ok());
    // The message names the setting; each front end says which flag or control that is.
    QVERIFY(r.error->message.find("name the record keys") != std::string::npos);
    QVERIFY(r.error->message.find("--") == std::string::npos);
}

void TestTraceIo::jsonlSparseGrid()
{
    // 300 records on a diagonal (token 1,000,000 + i at layer i) with top-2: a 300 x 300 x 2 grid
    // of 180,000 cells for 600 ids. The bound is 8 cells per id plus 65,536 = 70,336; the grid
    // first passes it at record 188 (188 x 188 x 2 = 70,688), line 188.
    QByteArray text;
    for (int i = 0; i < 300; ++i)
        text += "{\"problem_id\": 0, \"layer\": " + QByteArray::number(i) + ", \"token_idx\": "
            + QByteArray::number(1000000 + i) + ", \"experts\": [1, 2], \"gating_probs\": [0.5, 0.5]}\n";
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("diagonal.jsonl"), text);
    for (const bool skip : { false, true }) {
        moe::TraceImportOptions o;
        o.skipBadLines = skip;
        const auto r = moe::openTrace(path, 0, o);
        QVERIFY(!r.ok());
        QCOMPARE(r.error->file, path);
        QCOMPARE(r.error->line, std::int64_t { 188 });
        QVERIFY2(r.error->message.find("300 tokens x 300 layers x 2 experts") != std::string::npos,
            r.error->message.c_str());
    }
}

void TestTraceIo::olmoeCounts()
{
    const std::string file = test::sharedPath("expert_counts_olmoe_repo/olmoe_c4.csv");
    if (!QFileInfo::exists(QString::fromStdString(file)))
        QSKIP("../shared/data/real is not present");
    const auto r = moe::loadExpertCounts(file);
    QVERIFY(r.ok());
    QCOMPARE(r.value->layers, std::int64_t(3));
    QCOMPARE(r.value->experts, std::int64_t(64));
    QCOMPARE(r.value->layerIds, (std::vector<int> { 0, 7, 15 }));
    double total = 0;
    for (int e = 0; e < 64; ++e)
        total += r.value->at(0, e);
    QCOMPARE(total, 208896.0 * 8); // every token assigns 8 experts
}

void TestTraceIo::countsJson()
{
    QTemporaryDir dir;
    const auto path
        = test::writeFile(dir, QStringLiteral("c.json"), "{\"logical_count\": [[[1, 2], [3, 4]], [[1, 0], [0, 1]]]}");
    const auto r = moe::loadExpertCounts(path);
    QVERIFY(r.ok());
    QCOMPARE(r.value->at(0, 1), 2.0);
    QCOMPARE(r.value->at(1, 0), 3.0);
    QCOMPARE(r.value->at(1, 1), 5.0);
}

void TestTraceIo::synthIsSeededAndTopical()
{
    moe::SynthOptions o;
    o.requests = 8;
    o.tokensPerRequest = 16;
    o.layers = 2;
    o.experts = 32;
    o.topK = 4;
    o.topic = 2.0;
    const auto a = moe::makeSyntheticTrace(o);
    const auto b = moe::makeSyntheticTrace(o);
    QCOMPARE(a.tokens, b.tokens);
    for (std::size_t i = 0; i < static_cast<std::size_t>(a.tokens * 2 * 32); ++i)
        QCOMPARE(a.rawScore(i), b.rawScore(i));
    // Tokens of one request share top-k experts more than tokens of different requests.
    auto topSet = [&](std::int64_t t) {
        std::vector<float> row(32);
        a.gatingRow(t, 0, row.data());
        std::vector<int> idx(32);
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + 4, idx.end(), [&](int x, int y) { return row[x] > row[y]; });
        return std::set<int>(idx.begin(), idx.begin() + 4);
    };
    double same = 0, other = 0;
    int nSame = 0, nOther = 0;
    for (std::int64_t i = 0; i < a.tokens; ++i)
        for (std::int64_t j = i + 1; j < a.tokens; ++j) {
            const auto si = topSet(i);
            const auto sj = topSet(j);
            int common = 0;
            for (const int e : si)
                common += sj.count(e) ? 1 : 0;
            if (a.requestId[static_cast<std::size_t>(i)] == a.requestId[static_cast<std::size_t>(j)]) {
                same += common;
                ++nSame;
            } else {
                other += common;
                ++nOther;
            }
        }
    QVERIFY(same / nSame > 1.5 * (other / nOther));
    for (std::int64_t t = 0; t < a.tokens; ++t) {
        std::vector<float> row(32);
        a.gatingRow(t, 1, row.data());
        double s = 0;
        for (const float v : row)
            s += v;
        QVERIFY(std::abs(s - 1.0) < 1e-5);
    }
}

void TestTraceIo::halfPrecision()
{
    for (const float v : { 0.0f, 1.0f, 0.333f, 1e-5f, 65504.0f, -2.5f, 6.1e-5f })
        QVERIFY(std::abs(moe::f16ToFloat(moe::floatToF16(v)) - v) <= 1e-3f * std::abs(v) + 1e-7f);
    for (const float v : { 0.0f, 1.0f, 0.333f, 1e-20f, 3e38f, -2.5f })
        QVERIFY(std::abs(moe::bf16ToFloat(moe::floatToBf16(v)) - v) <= 8e-3f * std::abs(v));
    QCOMPARE(moe::floatToF16(1.0f), std::uint16_t(0x3c00));
    QCOMPARE(moe::floatToBf16(1.0f), std::uint16_t(0x3f80));
}

void TestTraceIo::fuzzFindingsAreErrors()
{
    // Inputs the fuzzers found (tests/fuzz/corpus/*/crash_*): each is now a clear error.
    QTemporaryDir dir;
    // Counts with a layer id far beyond any integer.
    auto c = moe::parseExpertCounts("layer_id,expert_id,count\n1e85,0,3\n", "c.csv");
    QVERIFY(!c.ok());
    QCOMPARE(c.error->line, std::int64_t { 2 });
    QVERIFY(c.error->message.find("whole numbers") != std::string::npos);
    QVERIFY(!moe::parseExpertCounts("layer_id,expert_id,count\n0.5,0,3\n", "c.csv").ok());
    QVERIFY(!moe::parseExpertCounts("layer_id,expert_id,count\n0,0,inf\n", "c.csv").ok());
    // logical_count steps after the first that are not lists (was an uncaught exception).
    for (const char* steps :
        { "[[[1]],5]", "[[[1]],\"x\"]", "[[[1]],{\"a\":1}]", "{\"logical_count\":[[[1,2]],[1,2]]}" }) {
        const auto s = moe::parseExpertCounts(steps, "c.json");
        QVERIFY2(!s.ok(), steps);
        QVERIFY2(s.error->message.find("logical_count") != std::string::npos, s.error->message.c_str());
    }
    // More experts per layer than any trace may have: refused by name, before a large allocation.
    const auto wide = moe::parseExpertCounts("layer_id,expert_id,count\n0,65535,1\n1,0,1\n", "c.csv");
    QVERIFY(!wide.ok());
    QVERIFY(wide.error->message.find("65536 experts") != std::string::npos);
    // A Megatron record with a step of 1e43 (was cast to an integer).
    const auto m = test::writeFile(dir, QStringLiteral("router_trace_rank0.jsonl"),
        QByteArray(R"({"step": 1e43, "layer": 0, "rank": 0, "num_tokens": 1, "topk": 1, "top_indices": [[0]]})")
            + '\n');
    const auto mr = moe::importMegatronTrace(m, {});
    QVERIFY(!mr.ok());
    QCOMPARE(mr.error->line, std::int64_t { 1 });
    QVERIFY(mr.error->message.find("step must be a whole number") != std::string::npos);
    QTemporaryDir other;
    const auto m2 = test::writeFile(other, QStringLiteral("router_trace_rank0.jsonl"),
        QByteArray(R"({"step": 0, "layer": 0, "rank": 0, "num_tokens": 2, "topk": 2, "top_indices": [[0, 1], [2, 2]]})")
            + '\n');
    const auto mr2 = moe::importMegatronTrace(m2, {});
    QVERIFY(!mr2.ok());
    QCOMPARE(mr2.error->line, std::int64_t { 1 });
    QVERIFY2(mr2.error->message.find("expert id 2 appears twice") != std::string::npos, mr2.error->message.c_str());
    // A .npy header whose shape is not a number (was an uncaught exception), or whose product
    // overflows 64 bits.
    auto npy = [&](const QByteArray& shape) {
        QByteArray header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        while ((10 + header.size() + 1) % 64)
            header += ' ';
        header += '\n';
        QByteArray file("\x93NUMPY\x01\x00", 8);
        file += char(header.size() & 0xff);
        file += char(header.size() >> 8);
        file += header + QByteArray(64, '\0');
        return test::writeFile(dir, QStringLiteral("a.npy"), file);
    };
    // A safetensors header with a data offset of 4e32 (was cast out of range).
    const QByteArray header = R"({"scores": {"dtype": "F32", "shape": [1, 1, 2], "data_offsets": [0, 4e32]}})";
    QByteArray st(8, '\0');
    st[0] = char(header.size());
    const auto sp = test::writeFile(dir, QStringLiteral("bad.safetensors"), st + header + QByteArray(8, '\0'));
    const auto sr = moe::readTraceFile(sp);
    QVERIFY(!sr.ok());
    QVERIFY2(sr.error->message.find("whole number") != std::string::npos, sr.error->message.c_str());
    QVERIFY(moe::importNpyTrace(npy("(4, 4)"), 2, {}).ok());
    // A shape of another rank: the error says which shape the file has.
    const auto rank4 = moe::importNpyTrace(npy("(2, 1, 2, 4)"), 2, {});
    QVERIFY(!rank4.ok());
    QVERIFY2(rank4.error->message.find("found shape (2, 1, 2, 4)") != std::string::npos, rank4.error->message.c_str());
    {
        // Another dtype: named, with the way to convert it.
        QByteArray dict = "{'descr': '>f8', 'fortran_order': False, 'shape': (4, 4), }";
        dict += QByteArray(static_cast<int>(64 - 10 - dict.size() - 1), ' ') + '\n';
        const auto f8 = moe::importNpyTrace(
            test::writeFile(dir, QStringLiteral("f8.npy"),
                QByteArray("\x93NUMPY\x01\x00", 8) + char(dict.size()) + '\0' + dict + QByteArray(128, '\0')),
            2, {});
        QVERIFY(!f8.ok());
        QVERIFY2(
            f8.error->message.find("dtype '>f8' is not supported") != std::string::npos, f8.error->message.c_str());
    }
    for (const char* bad : { "(4, x)", "(99999999999999999999, 4)", "(1099511627776, 1099511627776, 16)" }) {
        const auto r = moe::importNpyTrace(npy(bad), 2, {});
        QVERIFY2(!r.ok(), bad);
        QVERIFY2(r.error->message.find("shape") != std::string::npos, r.error->message.c_str());
    }
}

void TestTraceIo::largeCaptureReportsProgress()
{
    // 140,000 JSONL records: the import reports how far it got and can be cancelled.
    QTemporaryDir dir;
    QByteArray text;
    for (int t = 0; t < 70000; ++t)
        for (int l = 0; l < 2; ++l)
            text += "{\"request\": " + QByteArray::number(t / 100) + ", \"layer\": " + QByteArray::number(l)
                + ", \"token\": " + QByteArray::number(t % 100) + ", \"experts\": [" + QByteArray::number(t % 8) + ", "
                + QByteArray::number((t + 1) % 8) + "], \"scores\": [0.6, 0.4]}\n";
    const auto path = test::writeFile(dir, QStringLiteral("big.jsonl"), text);
    std::vector<double> seen;
    moe::TraceImportOptions o;
    o.progress.callback = [&](double f, std::string_view) {
        seen.push_back(f);
        return true;
    };
    const auto r = moe::importJsonlTrace(path, o);
    QVERIFY(r.ok());
    QCOMPARE(r.value->tokens, std::int64_t { 70000 });
    QCOMPARE(seen.size(), std::size_t { 2 }); // every 65,536 records
    QVERIFY(seen[0] > 0.4 && seen[0] < 0.5 && seen[1] > seen[0] && seen[1] < 1.0);
    o.progress.callback = [](double, std::string_view) { return false; };
    const auto c = moe::importJsonlTrace(path, o);
    QVERIFY(!c.ok());
    QCOMPARE(c.error->message, std::string("cancelled"));
}

QTEST_GUILESS_MAIN(TestTraceIo)
#include "tst_traceio.moc"
