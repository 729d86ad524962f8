// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "moe/Batching.h"

using namespace deltascope;

namespace {

moe::Trace traceOf(std::vector<std::int32_t> requests)
{
    const auto T = static_cast<std::int64_t>(requests.size());
    return moe::makeOwnedTrace(
        T, 1, 2, 1, false, std::vector<float>(static_cast<std::size_t>(T * 2), 0.5f), {}, std::move(requests));
}

} // namespace

class TestBatching : public QObject {
    Q_OBJECT
private slots:
    void recordedSteps();
    void replayRefillsSlots();
    void replaySpeculative();
    void chosenRequests();
    void errors();
};

void TestBatching::recordedSteps()
{
    auto t = traceOf({ 0, 0, 1, 1 });
    t.stepId = { 5, 7, 5, 9 };
    const auto b = moe::makeBatches(t, {});
    QVERIFY(b.ok());
    QCOMPARE(b.value->mode, std::string("recorded"));
    QCOMPARE(b.value->tokens, (std::vector<std::vector<std::int64_t>> { { 0, 2 }, { 1 }, { 3 } }));
}

void TestBatching::replayRefillsSlots()
{
    // Requests: 0 has 3 tokens (rows 0-2), 1 has 1 (row 3), 2 has 2 (rows 4-5). B = 2.
    // step 0: r0 t0, r1 t0 (r1 ends) | step 1: r0 t1, r2 t0 | step 2: r0 t2, r2 t1.
    const auto t = traceOf({ 0, 0, 0, 1, 2, 2 });
    moe::BatchingOptions o;
    o.replay = true;
    o.batchSize = 2;
    const auto b = moe::makeBatches(t, o);
    QVERIFY(b.ok());
    QCOMPARE(b.value->tokens, (std::vector<std::vector<std::int64_t>> { { 0, 3 }, { 1, 4 }, { 2, 5 } }));
}

void TestBatching::replaySpeculative()
{
    // gamma = 1: two tokens per request and step (fewer at its end).
    const auto t = traceOf({ 0, 0, 0, 1, 1 });
    moe::BatchingOptions o;
    o.replay = true;
    o.batchSize = 1;
    o.gamma = 1;
    const auto b = moe::makeBatches(t, o);
    QVERIFY(b.ok());
    QCOMPARE(b.value->tokens, (std::vector<std::vector<std::int64_t>> { { 0, 1 }, { 2 }, { 3, 4 } }));
}

void TestBatching::chosenRequests()
{
    const auto t = traceOf({ 0, 1, 2, 1 });
    moe::BatchingOptions o;
    o.replay = true;
    o.batchSize = 4;
    o.requests = { 1 };
    const auto b = moe::makeBatches(t, o);
    QVERIFY(b.ok());
    QCOMPARE(b.value->tokens, (std::vector<std::vector<std::int64_t>> { { 1 }, { 3 } }));
}

void TestBatching::errors()
{
    const auto t = traceOf({ 0 });
    QVERIFY(!moe::makeBatches(t, {}).ok()); // no recorded steps
    moe::BatchingOptions o;
    o.replay = true;
    o.requests = { 4 };
    QVERIFY(!moe::makeBatches(t, o).ok());
}

QTEST_GUILESS_MAIN(TestBatching)
#include "tst_batching.moc"
