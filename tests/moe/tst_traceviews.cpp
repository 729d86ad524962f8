// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "moe/SynthTrace.h"
#include "moe/TraceViews.h"

using namespace deltascope;

class TestTraceViews : public QObject {
    Q_OBJECT
private slots:
    void coactivationByHand();
    void sliceDetail();
    void batchSizeCurve();
};

void TestTraceViews::coactivationByHand()
{
    // 3 tokens, 1 layer, 4 experts, top-2: {0, 1}, {0, 2}, {0, 1}.
    const std::vector<float> g { 0.5f, 0.4f, 0.1f, 0.0f, 0.6f, 0.1f, 0.3f, 0.0f, 0.7f, 0.2f, 0.05f, 0.05f };
    const auto t = moe::makeOwnedTrace(3, 1, 4, 2, false, g, {}, { 0, 0, 1 });
    const auto m = moe::coactivation(t, 0);
    auto at = [&](int a, int b) { return m[static_cast<std::size_t>(a * 4 + b)]; };
    QCOMPARE(at(0, 0), 1.0);
    QVERIFY(std::abs(at(1, 1) - 2.0 / 3) < 1e-12);
    QVERIFY(std::abs(at(2, 2) - 1.0 / 3) < 1e-12);
    QVERIFY(std::abs(at(0, 1) - 2.0 / 3) < 1e-12);
    QCOMPARE(at(0, 1), at(1, 0));
    QVERIFY(std::abs(at(0, 2) - 1.0 / 3) < 1e-12);
    QCOMPARE(at(1, 2), 0.0);
    QCOMPARE(at(3, 3), 0.0);
    QVERIFY(moe::coactivation(t, 5) == std::vector<double>(16, 0.0)); // a layer out of range: nothing
    // The loads a balanced placement spreads: token-expert assignments per expert.
    QCOMPARE(moe::expertLoads(t), (std::vector<double> { 3, 2, 1, 0 }));
}

void TestTraceViews::sliceDetail()
{
    moe::SynthOptions o;
    o.requests = 6;
    o.tokensPerRequest = 10;
    o.layers = 2;
    o.experts = 16;
    o.topK = 4;
    const auto t = moe::makeSyntheticTrace(o);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 4;
    const auto b = moe::makeBatches(t, bo);
    moe::PolicyConfig p;
    const auto d = moe::sliceDetail(t, *b.value, 1, 2, p, 6);
    QVERIFY(d.ok());
    QCOMPARE(d.value->tokens, static_cast<int>(b.value->tokens[2].size()));
    QCOMPARE(d.value->selected.size(), std::size_t(6));
    for (int i = 0; i < d.value->tokens; ++i) {
        const auto& routed = d.value->routed[static_cast<std::size_t>(i)];
        QCOMPARE(routed.size(), std::size_t(4));
        for (const int e : routed)
            QVERIFY(std::binary_search(d.value->selected.begin(), d.value->selected.end(), e));
        // The baseline is the token's own top-4 of the row shown.
        const float* row = d.value->scores.data() + static_cast<std::size_t>(i) * 16;
        const auto& base = d.value->baseline[static_cast<std::size_t>(i)];
        for (int e = 0; e < 16; ++e)
            if (std::find(base.begin(), base.end(), e) == base.end())
                QVERIFY(row[e] <= row[base.back()]);
    }
    QVERIFY(!moe::sliceDetail(t, *b.value, 2, 0, p, 6).ok());
    const auto far = moe::sliceDetail(t, *b.value, 0, 999, p, 6);
    QVERIFY(!far.ok());
    QVERIFY(far.error->message.find("batch 999") != std::string::npos);
}

void TestTraceViews::batchSizeCurve()
{
    moe::SynthOptions o;
    o.requests = 40;
    o.tokensPerRequest = 20;
    o.layers = 2;
    o.experts = 32;
    o.topK = 4;
    const auto t = moe::makeSyntheticTrace(o);
    const auto c = moe::activatedByBatchSize(t, { 1, 4, 16 });
    QCOMPARE(c.batchSize, (std::vector<int> { 1, 4, 16 }));
    QCOMPARE(c.activated[0], 4.0); // one token: its own k experts
    QCOMPARE(c.uniform[0], 4.0);
    QVERIFY(std::abs(c.uniform[2] - 32.0 * (1.0 - std::pow(1.0 - 4.0 / 32.0, 16))) < 1e-12);
    QVERIFY(c.activated[1] > c.activated[0] && c.activated[2] > c.activated[1]);
    // Tokens share experts (popularity, topics): fewer than under uniform routing.
    QVERIFY(c.activated[2] < c.uniform[2]);
    QCOMPARE(c.requests, std::int64_t(40));
    QVERIFY(c.recordedActivated < 0); // no recorded batches

    // One request recorded in two steps of three tokens (top-1 of 4 experts): replay has no
    // larger batch to form, the recorded batches are their own point.
    //   step 0: e0, e1, e0 -> 2 experts; step 1: e2, e2, e2 -> 1 expert.
    std::vector<float> scores(6 * 4, 0.1f);
    const int favourite[6] = { 0, 1, 0, 2, 2, 2 };
    for (int i = 0; i < 6; ++i)
        scores[static_cast<std::size_t>(i * 4 + favourite[i])] = 0.7f;
    auto one = moe::makeOwnedTrace(6, 1, 4, 1, false, scores, {}, std::vector<std::int32_t>(6, 0));
    one.stepId = { 0, 0, 0, 1, 1, 1 };
    const auto r = moe::activatedByBatchSize(one, { 1, 2 });
    QCOMPARE(r.requests, std::int64_t(1));
    QCOMPARE(r.activated, (std::vector<double> { 1.0, 1.0 }));
    QCOMPARE(r.recordedBatch, 3.0);
    QCOMPARE(r.recordedActivated, 1.5);
}

QTEST_GUILESS_MAIN(TestTraceViews)
#include "tst_traceviews.moc"
