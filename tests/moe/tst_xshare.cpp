// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "moe/Batching.h"
#include "moe/Placement.h"
#include "moe/SweepKernels.h"
#include "moe/Trace.h"
#include "moe/XShare.h"
#include "moe/XShareRun.h"

#include <QTemporaryDir>
#include <array>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using namespace deltascope;
using moe::Policy;

namespace {

constexpr float kNone = -std::numeric_limits<float>::infinity();

moe::SliceInput slice(
    const std::vector<float>& g, int tokens, int experts, int k, const std::vector<std::int32_t>* req = nullptr)
{
    moe::SliceInput in;
    in.tokens = tokens;
    in.experts = experts;
    in.topK = k;
    in.scores = g.data();
    in.request = req ? req->data() : nullptr;
    return in;
}

moe::SliceSweep sweep(const moe::SliceInput& in, moe::PolicyConfig cfg)
{
    moe::SliceSweep s;
    moe::SliceScratch scratch;
    moe::sweepSlice(in, cfg, in.experts, s, scratch);
    return s;
}

moe::SliceSweep direct(const moe::SliceInput& in, moe::PolicyConfig cfg, int budget)
{
    moe::SliceSweep s;
    moe::SliceScratch scratch;
    moe::runSliceBudget(in, cfg, budget, s, scratch);
    return s;
}

// n scores, each a product of two uniforms (skewed like router probabilities), seeded.
std::vector<float> randomScores(std::size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(n);
    for (auto& x : g)
        x = u(rng) * u(rng);
    return g;
}

moe::Batches replayBatches(const moe::Trace& trace, std::int64_t batchSize)
{
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = batchSize;
    return *moe::makeBatches(trace, bo).value;
}

moe::PolicyConfig cfgOf(Policy p, int warmup = 1)
{
    moe::PolicyConfig c;
    c.policy = p;
    c.warmup = warmup;
    return c;
}

} // namespace

class TestXShare : public QObject {
    Q_OBJECT
private slots:
    void handWorkedBatch();
    void tiesGoToLowerId();
    void warmupLargerThanBudget();
    void budgetEqualsN();
    void sparseKeepsOnlyKnown();
    void speculativeHandWorked();
    void expertParallelCapacity();
    void sweepEqualsBudgetByBudget_data();
    void sweepEqualsBudgetByBudget();
    void fastPathsEqualReference_data();
    void fastPathsEqualReference();
    void rowsInPlaceAreChecked();
    void runFallsBackToCheckedCopies();
    void balancedPlacementWithReplicas();
    void replicasShareTokens();
    void replicatedFastPathsEqualReference();
    void sweepWalksAgree_data();
    void sweepWalksAgree();
    void sweepWalksAgreeFlushingSubnormals();
    void placementFiles();
    void activationMaps();
    void budgetMapsEqualPerBudgetMaps_data();
    void budgetMapsEqualPerBudgetMaps();
    void uniformRoutingExpectation();
    void speculativeFillsBudget();
    void emptySlicesAreSkipped();
    void selectedForEveryPolicy();
    void messagesNameSettings();
};

void TestXShare::handWorkedBatch()
{
    // 3 tokens, 4 experts, k = 1.
    //        e0   e1   e2   e3
    // t0    0.6  0.3  0.1  0.0
    // t1    0.1  0.5  0.4  0.0
    // t2    0.1  0.2  0.3  0.4
    // utilities: 0.8, 1.0, 0.8, 0.4; top-1: e0, e1, e3 -> A = {0, 1, 3}, base mass 1.5.
    // warm-up (w = 1) = {0, 1, 3}: order by utility 1 (1.0), 0 (0.8, lower id than... only 0), 3; then 2.
    const std::vector<float> g { 0.6f, 0.3f, 0.1f, 0.0f, 0.1f, 0.5f, 0.4f, 0.0f, 0.1f, 0.2f, 0.3f, 0.4f };
    const auto in = slice(g, 3, 4, 1);
    QCOMPARE(moe::batchPriority(in, 1), (std::vector<int> { 1, 0, 3, 2 }));
    QCOMPARE(moe::batchPriority(in, 0), (std::vector<int> { 1, 0, 2, 3 })); // ties (0.8) to the lower id
    const auto s = sweep(in, cfgOf(Policy::Batch));
    QCOMPARE(s.activatedBase, 3);
    QVERIFY(std::abs(s.massBase - 1.5) < 1e-6);
    // M = 1: S = {1}: every token routes to e1; mass 0.3 + 0.5 + 0.2.
    QCOMPARE(s.activated[1], 1);
    QVERIFY(std::abs(s.mass[1] - 1.0) < 1e-6);
    QCOMPARE(s.overlap[1], 1);
    QCOMPARE(s.unchanged[1], 1);
    // M = 2: S = {1, 0}: t0 -> e0, t1 -> e1, t2 -> e1.
    QCOMPARE(s.activated[2], 2);
    QVERIFY(std::abs(s.mass[2] - (0.6 + 0.5 + 0.2)) < 1e-6);
    QCOMPARE(s.unchanged[2], 2);
    // M = 3: S = {1, 0, 3}: everyone has its top-1.
    QCOMPARE(s.activated[3], 3);
    QVERIFY(std::abs(s.mass[3] - 1.5) < 1e-6);
    QCOMPARE(s.unchanged[3], 3);
    QCOMPARE(s.order, (std::vector<int> { 1, 0, 3, 2 }));
}

void TestXShare::tiesGoToLowerId()
{
    // Two tokens with identical uniform rows: every expert ties; k = 2.
    const std::vector<float> g(2 * 6, 1.0f / 6.0f);
    const auto in = slice(g, 2, 6, 2);
    const auto s = sweep(in, cfgOf(Policy::Batch));
    QCOMPARE(s.order, (std::vector<int> { 0, 1, 2, 3, 4, 5 }));
    QCOMPARE(s.activatedBase, 2); // both tokens' top-2 are {0, 1}
    QCOMPARE(s.activated[2], 2);
    QCOMPARE(s.unchanged[2], 2);
}

void TestXShare::warmupLargerThanBudget()
{
    // Four tokens with four different favourites: W = {0, 1, 2, 3}, budget 2 < |W|.
    std::vector<float> g(4 * 6, 0.02f);
    for (int t = 0; t < 4; ++t)
        g[static_cast<std::size_t>(t * 6 + t)] = 0.9f;
    g[1 * 6 + 0] = 0.05f; // raises expert 0's utility above 1, 2, 3
    const auto in = slice(g, 4, 6, 1);
    const auto s = sweep(in, cfgOf(Policy::Batch));
    QCOMPARE(std::vector<int>(s.order.begin(), s.order.begin() + 2), (std::vector<int> { 0, 1 }));
    QCOMPARE(s.activated[2], 2);
    const auto d = direct(in, cfgOf(Policy::Batch), 2);
    QCOMPARE(d.selected, (std::vector<int> { 0, 1 }));
}

void TestXShare::budgetEqualsN()
{
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(16 * 12);
    for (auto& x : g)
        x = u(rng);
    const auto in = slice(g, 16, 12, 3);
    const auto s = sweep(in, cfgOf(Policy::Batch));
    QCOMPARE(s.activated[12], s.activatedBase);
    QCOMPARE(s.unchanged[12], 16);
    QCOMPARE(s.overlap[12], 16 * 3);
    QVERIFY(std::abs(s.mass[12] - s.massBase) < 1e-9 * s.massBase);
    // At M = k, exactly k experts are in use.
    QVERIFY(s.activated[3] <= 3);
}

void TestXShare::sparseKeepsOnlyKnown()
{
    // Sparse top-2: a token whose experts are both outside S keeps nothing (no re-routing to
    // experts whose scores are unknown).
    std::vector<float> g(3 * 5, kNone);
    auto set = [&](int t, int e, float v) { g[static_cast<std::size_t>(t * 5 + e)] = v; };
    set(0, 0, 0.7f);
    set(0, 1, 0.3f);
    set(1, 0, 0.6f);
    set(1, 2, 0.4f);
    set(2, 3, 0.55f);
    set(2, 4, 0.45f);
    const auto in = slice(g, 3, 5, 2);
    const auto s = sweep(in, cfgOf(Policy::Batch));
    QCOMPARE(s.activatedBase, 5);
    // utilities: e0 1.3, e1 0.3, e2 0.4, e3 0.55, e4 0.45; warm-up {0, 3}; order 0, 3, 4, 2, 1
    QCOMPARE(s.order, (std::vector<int> { 0, 3, 4, 2, 1 }));
    QCOMPARE(s.activated[2], 2); // S = {0, 3}
    QVERIFY(std::abs(s.mass[2] - (0.7 + 0.6 + 0.55)) < 1e-6);
    QCOMPARE(s.overlap[2], 3);
    QCOMPARE(s.unchanged[2], 0);
    QCOMPARE(s.unchanged[3], 1); // + e4: t2 is whole again
    QCOMPARE(s.unchanged[4], 2); // + e2: t1 too; t0 still lacks e1
    QCOMPARE(s.unchanged[5], 3);
}

void TestXShare::speculativeHandWorked()
{
    // Two requests of two tokens, 4 experts, k = 1, m = 1.
    // r0: t0 (0.7 0.2 0.1 0), t1 (0.6 0.3 0.1 0) -> u = (1.3, 0.5, 0.2, 0) keeps e0
    // r1: t2 (0 0.1 0.3 0.6), t3 (0 0.2 0.2 0.6) -> u = (0, 0.3, 0.5, 1.2) keeps e3
    // batch utility: e0 1.3, e3 1.2; union {0, 3}; then the rest by plain utility: e1 0.8, e2 0.7.
    const std::vector<float> g { 0.7f, 0.2f, 0.1f, 0.0f, 0.6f, 0.3f, 0.1f, 0.0f, 0.0f, 0.1f, 0.3f, 0.6f, 0.0f, 0.2f,
        0.2f, 0.6f };
    const std::vector<std::int32_t> req { 0, 0, 1, 1 };
    const auto in = slice(g, 4, 4, 1, &req);
    QCOMPARE(moe::speculativePriority(in, 1), (std::vector<int> { 0, 3, 1, 2 }));
    const auto s = sweep(in, cfgOf(Policy::Speculative));
    QCOMPARE(s.activated[1], 1);
    QCOMPARE(s.activated[2], 2);
    QCOMPARE(s.activated[4], 2); // every token's own top-1 is in the union
    QCOMPARE(s.unchanged[2], 4);
    const auto d = direct(in, cfgOf(Policy::Speculative), 1);
    QCOMPARE(d.selected, (std::vector<int> { 0 }));
}

void TestXShare::expertParallelCapacity()
{
    // 8 experts on 2 devices (0-3, 4-7); the popular experts are all on device 0.
    std::vector<float> g(4 * 8, 0.01f);
    for (int t = 0; t < 4; ++t)
        g[static_cast<std::size_t>(t * 8 + t)] = 0.9f;
    auto cfg = cfgOf(Policy::ExpertParallel);
    cfg.devices = 2;
    const auto in = slice(g, 4, 8, 1);
    const auto sel = moe::expertParallelSelection(in, cfg, 4);
    // At most ceil(4 / 2) = 2 per device: two of the favourites, then two from device 1.
    int dev0 = 0;
    for (const int e : sel)
        dev0 += e < 4 ? 1 : 0;
    QCOMPARE(static_cast<int>(sel.size()), 4);
    QCOMPARE(dev0, 2);
    const auto d = direct(in, cfg, 4);
    QCOMPARE(d.peakBase, 4);
    QVERIFY(d.peak[4] <= 2);
}

void TestXShare::sweepEqualsBudgetByBudget_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("policy");
    QTest::addColumn<bool>("sparse");
    QTest::addColumn<int>("warmup");
    for (const auto& [t, n, k] : std::vector<std::tuple<int, int, int>> {
             { 1, 8, 2 }, { 7, 16, 4 }, { 64, 128, 8 }, { 33, 64, 1 }, { 200, 32, 6 }, { 16, 256, 16 } }) {
        for (const int p : { 1, 3 })
            for (const bool sp : { false, true })
                QTest::addRow("T=%d N=%d k=%d %s %s", t, n, k, p == 1 ? "batch" : "spec", sp ? "sparse" : "dense")
                    << t << n << k << p << sp << (t % 3);
    }
    QTest::newRow("quantised scores with many ties") << 50 << 32 << 4 << 1 << false << -1;
}

void TestXShare::sweepEqualsBudgetByBudget()
{
    QFETCH(int, tokens);
    QFETCH(int, experts);
    QFETCH(int, k);
    QFETCH(int, policy);
    QFETCH(bool, sparse);
    QFETCH(int, warmup);
    std::mt19937 rng(static_cast<unsigned>(tokens * 131 + experts * 7 + k));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(static_cast<std::size_t>(tokens * experts));
    for (auto& x : g)
        x = warmup < 0 ? std::round(u(rng) * 4.0f) / 4.0f : u(rng) * u(rng);
    if (sparse) {
        // keep each token's k best only
        for (int t = 0; t < tokens; ++t) {
            std::vector<int> idx(static_cast<std::size_t>(experts));
            std::iota(idx.begin(), idx.end(), 0);
            float* row = g.data() + static_cast<std::size_t>(t * experts);
            std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return row[a] > row[b]; });
            for (std::size_t j = static_cast<std::size_t>(k); j < idx.size(); ++j)
                row[idx[j]] = kNone;
        }
    }
    std::vector<std::int32_t> req(static_cast<std::size_t>(tokens));
    for (int t = 0; t < tokens; ++t)
        req[static_cast<std::size_t>(t)] = t % 5;
    const auto in = slice(g, tokens, experts, k, &req);
    auto cfg = cfgOf(policy == 1 ? Policy::Batch : Policy::Speculative, std::max(0, warmup));
    cfg.devices = 4;
    const auto s = sweep(in, cfg);
    for (int m = k; m <= experts; ++m) {
        const auto d = direct(in, cfg, m);
        const auto M = static_cast<std::size_t>(m);
        QCOMPARE(s.activated[M], d.activated[M]);
        QCOMPARE(s.overlap[M], d.overlap[M]);
        QCOMPARE(s.unchanged[M], d.unchanged[M]);
        QCOMPARE(s.peak[M], d.peak[M]);
        QCOMPARE(s.peakTokens[M], d.peakTokens[M]);
        QVERIFY2(std::abs(s.mass[M] - d.mass[M]) <= 1e-9 * std::max(1.0, d.mass[M]),
            qPrintable(QStringLiteral("M=%1").arg(m)));
        QVERIFY(d.activated[M] <= m);
    }
}

void TestXShare::fastPathsEqualReference_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("scores"); // 0 products of uniforms, 1 quantised (ties), 2 mostly zero, 3 sparse
    // The vector kernels take dense rows of a multiple of 8 (>= 16) experts and k <= 8; the other
    // shapes check the scalar fallbacks of the same functions.
    for (const auto& [t, n, k] :
        std::vector<std::tuple<int, int, int>> { { 1, 16, 2 }, { 64, 128, 8 }, { 33, 64, 1 }, { 200, 32, 6 },
            { 16, 256, 8 }, { 9, 512, 4 }, { 64, 60, 4 }, { 12, 24, 3 }, { 40, 128, 16 }, { 5, 8, 2 } })
        for (int sc = 0; sc < 4; ++sc)
            QTest::addRow("T=%d N=%d k=%d scores=%d", t, n, k, sc) << t << n << k << sc;
}

void TestXShare::fastPathsEqualReference()
{
    // sweepSlice and sliceBudgets (the production paths: vector kernels, bit masks, rows read in
    // place) against runSliceBudget (plain loops), for every policy and every budget.
    QFETCH(int, tokens);
    QFETCH(int, experts);
    QFETCH(int, k);
    QFETCH(int, scores);
    std::mt19937 rng(static_cast<unsigned>(tokens * 31 + experts * 3 + k + scores * 1000));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const auto T = static_cast<std::size_t>(tokens);
    const auto N = static_cast<std::size_t>(experts);
    std::vector<float> g(T * N);
    for (auto& x : g) {
        switch (scores) {
        case 1:
            x = std::round(u(rng) * 4.0f) / 4.0f;
            break;
        case 2:
            x = u(rng) < 0.9f ? 0.0f : u(rng);
            break;
        default:
            x = u(rng) * u(rng);
        }
    }
    if (scores == 3)
        for (std::size_t t = 0; t < T; ++t)
            for (std::size_t e = 0; e < N; ++e)
                if ((e * 7 + t * 3) % 5 > 1)
                    g[t * N + e] = kNone;
    // Rows in place: the same rows reached through pointers, in a scrambled layout.
    std::vector<float> scrambled(T * N);
    std::vector<const float*> rows(T);
    for (std::size_t t = 0; t < T; ++t) {
        const std::size_t at = T - 1 - t; // reversed
        std::copy(g.begin() + static_cast<std::ptrdiff_t>(t * N), g.begin() + static_cast<std::ptrdiff_t>((t + 1) * N),
            scrambled.begin() + static_cast<std::ptrdiff_t>(at * N));
        rows[t] = scrambled.data() + at * N;
    }
    std::vector<std::int32_t> req(T);
    for (std::size_t t = 0; t < T; ++t)
        req[t] = static_cast<std::int32_t>((t * 7) % 5 == 0 ? t : t % 3); // single- and multi-token requests
    for (const Policy p : { Policy::TopK, Policy::Batch, Policy::ExpertParallel, Policy::Speculative }) {
        for (const bool inPlace : { false, true }) {
            if (inPlace && scores == 3)
                continue; // rows read in place are dense
            auto in = slice(g, tokens, experts, k, &req);
            in.hasUnknown = scores == 3;
            if (inPlace)
                in.rows = rows.data();
            auto cfg = cfgOf(p, tokens % 3);
            cfg.devices = 4;
            cfg.requestExperts = p == Policy::Speculative && experts > 16 ? k + 1 : 0;
            moe::SliceScratch scratch;
            moe::SliceSweep sw;
            moe::SliceSweep shared; // the shared template's own one-pass sweep
            if (p != Policy::ExpertParallel) {
                QVERIFY(moe::sweepSlice(in, cfg, experts, sw, scratch));
                std::vector<int> all(static_cast<std::size_t>(experts - k + 1));
                std::iota(all.begin(), all.end(), k);
                auto ref = slice(g, tokens, experts, k, &req);
                ref.hasUnknown = true;
                moe::referenceSlice(ref, cfg, all, true, shared, scratch);
                if (p != Policy::TopK)
                    QCOMPARE(sw.order, shared.order);
            }
            for (int m = k; m <= experts; ++m) {
                auto ref = slice(g, tokens, experts, k, &req);
                ref.hasUnknown = true;
                const auto d = direct(ref, cfg, m);
                moe::SliceSweep one;
                QVERIFY(moe::sliceBudgets(in, cfg, { m }, one, scratch));
                const auto M = static_cast<std::size_t>(m);
                const QString where = QStringLiteral("policy %1 M=%2 in place %3")
                                          .arg(QLatin1String(moe::toString(p)))
                                          .arg(m)
                                          .arg(inPlace);
                QVERIFY2(one.activatedBase == d.activatedBase && one.peakBase == d.peakBase
                        && one.peakTokensBase == d.peakTokensBase && one.routedTokens == d.routedTokens,
                    qPrintable(where));
                QVERIFY2(std::abs(one.massBase - d.massBase) <= 1e-9 * std::max(1.0, d.massBase), qPrintable(where));
                QVERIFY2(one.activated[M] == d.activated[M], qPrintable(where));
                QVERIFY2(one.overlap[M] == d.overlap[M], qPrintable(where));
                QVERIFY2(one.unchanged[M] == d.unchanged[M], qPrintable(where));
                QVERIFY2(one.peak[M] == d.peak[M] && one.peakTokens[M] == d.peakTokens[M], qPrintable(where));
                QVERIFY2(std::abs(one.mass[M] - d.mass[M]) <= 1e-9 * std::max(1.0, d.mass[M]), qPrintable(where));
                QVERIFY2(one.selected == d.selected, qPrintable(where));
                if (p != Policy::ExpertParallel) {
                    QVERIFY2(sw.activated[M] == d.activated[M] && sw.overlap[M] == d.overlap[M]
                            && sw.unchanged[M] == d.unchanged[M] && sw.peak[M] == d.peak[M]
                            && sw.peakTokens[M] == d.peakTokens[M],
                        qPrintable(where + QStringLiteral(" (sweep)")));
                    QVERIFY2(std::abs(sw.mass[M] - d.mass[M]) <= 1e-9 * std::max(1.0, d.mass[M]),
                        qPrintable(where + QStringLiteral(" (sweep)")));
                    QVERIFY2(shared.activated[M] == d.activated[M] && shared.overlap[M] == d.overlap[M]
                            && shared.unchanged[M] == d.unchanged[M] && shared.peak[M] == d.peak[M]
                            && shared.peakTokens[M] == d.peakTokens[M]
                            && std::abs(shared.mass[M] - d.mass[M]) <= 1e-9 * std::max(1.0, d.mass[M]),
                        qPrintable(where + QStringLiteral(" (shared sweep)")));
                }
            }
        }
    }
}

void TestXShare::rowsInPlaceAreChecked()
{
    // Rows read in place are refused, not ranked, when a score cannot be ordered; the run then
    // copies them and reports the first bad score.
    // With 35 tokens the rows go through two blocks of sixteen, a pair and a single row; the bad
    // score sits in a block (token 21) or in the last row.
    for (const float bad :
        { -0.5f, -0.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity() }) {
        for (const int experts : { 64, 20 }) { // vector kernel and scalar check
            for (const auto& [tokens, badToken] : { std::pair { 4, 2 }, { 35, 21 }, { 35, 34 } }) {
                const auto at = static_cast<std::size_t>(badToken * experts + 5);
                std::vector<float> g(static_cast<std::size_t>(tokens * experts), 0.25f);
                g[at] = bad;
                std::vector<const float*> rows;
                for (int t = 0; t < tokens; ++t)
                    rows.push_back(g.data() + t * experts);
                auto in = slice(g, tokens, experts, 2);
                in.hasUnknown = false;
                in.rows = rows.data();
                moe::SliceScratch scratch;
                moe::SliceSweep s;
                const QString where = QStringLiteral("score %1, %2 experts, token %3 of %4")
                                          .arg(bad)
                                          .arg(experts)
                                          .arg(badToken)
                                          .arg(tokens);
                QVERIFY2(!moe::sliceBudgets(in, cfgOf(Policy::Batch), { 4 }, s, scratch), qPrintable(where));
                QVERIFY2(!moe::sweepSlice(in, cfgOf(Policy::Batch), experts, s, scratch), qPrintable(where));
                g[at] = 0.0f;
                QVERIFY2(moe::sliceBudgets(in, cfgOf(Policy::Batch), { 4 }, s, scratch), qPrintable(where));
            }
        }
    }
}

void TestXShare::runFallsBackToCheckedCopies()
{
    // A whole run over a dense fp32 trace (rows read in place): a -0 score is a zero score, so the
    // run equals the one with +0; a NaN is reported with its token, layer and expert.
    const int tokens = 40;
    const int layers = 2;
    const int experts = 32;
    auto g = randomScores(static_cast<std::size_t>(tokens * layers * experts), 5);
    std::vector<std::int32_t> req(static_cast<std::size_t>(tokens));
    for (int t = 0; t < tokens; ++t)
        req[static_cast<std::size_t>(t)] = t / 10;
    auto run = [&](const std::vector<float>& scores) {
        const auto trace = moe::makeOwnedTrace(tokens, layers, experts, 4, false, scores, {}, req);
        const auto batches = replayBatches(trace, 3);
        moe::XShareOptions o;
        o.budgets = { 6 };
        o.threads = 1;
        return moe::runXShare(trace, batches, o);
    };
    const std::size_t at = (17 * layers + 1) * experts + 9; // token 17, layer 1, expert 9
    g[at] = 0.0f;
    const auto plus = run(g);
    g[at] = -0.0f;
    const auto minus = run(g);
    QVERIFY(plus.ok() && minus.ok());
    QCOMPARE(minus.value->results[0].activated, plus.value->results[0].activated);
    QCOMPARE(minus.value->results[0].massRetained, plus.value->results[0].massRetained);
    QCOMPARE(minus.value->results[0].topkOverlap, plus.value->results[0].topkOverlap);
    g[at] = std::numeric_limits<float>::quiet_NaN();
    const auto nan = run(g);
    QVERIFY(!nan.ok());
    QVERIFY2(nan.error->message.find("NaN gating score at token 17, layer 1, expert 9") != std::string::npos,
        nan.error->message.c_str());
    g[at] = std::numeric_limits<float>::infinity();
    const auto inf = run(g);
    QVERIFY(!inf.ok());
    QVERIFY2(inf.error->message.find("infinite gating score at token 17, layer 1, expert 9") != std::string::npos,
        inf.error->message.c_str());
}

void TestXShare::balancedPlacementWithReplicas()
{
    // Loads 10, 1 x 5 on 2 devices. Without copies: 10 alone on one device, the five 1s fill the
    // other up to ceil(6/2) = 3 experts, the last two join expert 0.
    const std::vector<double> load { 10, 1, 1, 1, 1, 1 };
    const auto plain = moe::balancedPlacement(load, 2);
    QCOMPARE(plain.device, (std::vector<int> { 0, 1, 1, 1, 0, 0 }));
    QVERIFY(plain.replicas.empty());
    QCOMPARE(plain.copies(), 6);
    // One extra copy goes to expert 0 (10 per copy beats 1); its halves of 5 land on both devices
    // (never two copies on one), then the 1s alternate to the lighter device, lower id first.
    const auto one = moe::balancedPlacement(load, 2, 1);
    QCOMPARE(one.device, (std::vector<int> { 0, 0, 1, 0, 1, 0 }));
    QCOMPARE(one.replicas[0], (std::vector<int> { 1 }));
    QCOMPARE(one.copies(), 7);
    // Copies are capped at one per device: 5 extra copies on 2 devices give expert 0 two copies
    // and the rest go by load per copy (5 now, then the 1s).
    const auto many = moe::balancedPlacement(load, 2, 5);
    QCOMPARE(static_cast<int>(many.replicas[0].size()), 1);
    QCOMPARE(many.copies(), 11);
    for (std::size_t e = 0; e < load.size(); ++e)
        for (const int d : many.replicas[e])
            QVERIFY(d != many.device[e]);
}

void TestXShare::replicasShareTokens()
{
    // 3 tokens, 4 experts, k = 1, all routed to expert 0, which has a copy on device 1 (experts 0, 1
    // on device 0; 2, 3 on device 1). Round-robin: 2 tokens on device 0, 1 on device 1.
    const std::vector<float> g { 0.7f, 0.1f, 0.1f, 0.1f, 0.6f, 0.2f, 0.1f, 0.1f, 0.5f, 0.3f, 0.1f, 0.1f };
    auto cfg = cfgOf(Policy::TopK);
    cfg.devices = 2;
    const auto in = slice(g, 3, 4, 1);
    const auto plain = direct(in, cfg, 4);
    QCOMPARE(plain.peakBase, 1);
    QCOMPARE(plain.peakTokensBase, 3);
    cfg.replicas = { { 1 }, {}, {}, {} };
    const auto rep = direct(in, cfg, 4);
    QCOMPARE(rep.peakBase, 1); // one active copy per device
    QCOMPARE(rep.peakTokensBase, 2);
    moe::SliceScratch scratch;
    moe::SliceSweep fast;
    QVERIFY(moe::sliceBudgets(in, cfg, { 4 }, fast, scratch));
    QCOMPARE(fast.peakTokensBase, 2);
    QCOMPARE(fast.peakTokens[4], 2);
}

void TestXShare::replicatedFastPathsEqualReference()
{
    // Random placements with copies: the fast paths' per-device loads equal the reference's.
    for (const int experts : { 16, 64, 40 }) {
        const int tokens = 48;
        const int k = 4;
        std::mt19937 rng(static_cast<unsigned>(experts));
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        std::vector<float> g(static_cast<std::size_t>(tokens * experts));
        for (auto& x : g)
            x = u(rng) * u(rng) * u(rng);
        std::vector<double> load(static_cast<std::size_t>(experts));
        for (auto& x : load)
            x = u(rng);
        const auto placement = moe::balancedPlacement(load, 4, experts / 4);
        QVERIFY(!placement.replicas.empty());
        for (const Policy p : { Policy::TopK, Policy::Batch, Policy::ExpertParallel, Policy::Speculative }) {
            auto cfg = cfgOf(p);
            cfg.devices = 4;
            cfg.placement = placement.device;
            cfg.replicas = placement.replicas;
            auto in = slice(g, tokens, experts, k);
            in.hasUnknown = false;
            moe::SliceScratch scratch;
            moe::SliceSweep sw;
            if (p != Policy::ExpertParallel)
                QVERIFY(moe::sweepSlice(in, cfg, experts, sw, scratch));
            for (int m = k; m <= experts; ++m) {
                const auto d = direct(in, cfg, m);
                moe::SliceSweep one;
                QVERIFY(moe::sliceBudgets(in, cfg, { m }, one, scratch));
                const auto M = static_cast<std::size_t>(m);
                QCOMPARE(one.peakBase, d.peakBase);
                QCOMPARE(one.peakTokensBase, d.peakTokensBase);
                QCOMPARE(one.peak[M], d.peak[M]);
                QCOMPARE(one.peakTokens[M], d.peakTokens[M]);
                if (p != Policy::ExpertParallel) {
                    QCOMPARE(sw.peak[M], d.peak[M]);
                    QCOMPARE(sw.peakTokens[M], d.peakTokens[M]);
                }
            }
        }
    }
}

void TestXShare::sweepWalksAgreeFlushingSubnormals()
{
    // Scores small enough to be subnormal floats, swept while the thread treats subnormals as zero
    // (DAZ) and flushes them (FTZ), as some numeric libraries leave it: the vector walk must still
    // order them as the portable walk does.
#if defined(__x86_64__)
    const int tokens = 40;
    const int experts = 64;
    const int k = 4;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(static_cast<std::size_t>(tokens * experts));
    for (auto& x : g)
        x = u(rng) * 1e-39f;
    const auto in = slice(g, tokens, experts, k);
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040u);
    moe::SliceScratch scratch;
    moe::SliceSweep vec;
    moe::SliceSweep plain;
    const bool a
        = moe::detail::sweepSliceWith(in, cfgOf(Policy::Batch), experts, vec, scratch, moe::detail::SweepWalk::Best);
    const bool b = moe::detail::sweepSliceWith(
        in, cfgOf(Policy::Batch), experts, plain, scratch, moe::detail::SweepWalk::Portable);
    _mm_setcsr(saved);
    QVERIFY(a && b);
    QCOMPARE(vec.activated, plain.activated);
    QCOMPARE(vec.overlap, plain.overlap);
    QCOMPARE(vec.unchanged, plain.unchanged);
    QVERIFY(vec.mass == plain.mass);
#else
    QSKIP("the floating-point state is x86's");
#endif
}

void TestXShare::sweepWalksAgree_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("k");
    // The column walk takes up to 256 experts and k <= 8, 64 tokens a chunk in groups of 16 lanes
    // (halves of 8 on exact keys after a near tie): partial groups, halves and chunks, expert counts that are not a
    // multiple of 8 (the transpose's tail), several chunks, and shapes past its limits.
    for (const auto& [t, n, k] : std::vector<std::tuple<int, int, int>> { { 64, 128, 8 }, { 37, 128, 8 },
             { 50, 100, 3 }, { 23, 64, 1 }, { 17, 40, 5 }, { 30, 24, 8 }, { 9, 8, 2 }, { 64, 96, 6 }, { 11, 130, 4 },
             { 20, 48, 9 }, { 150, 77, 7 }, { 128, 40, 4 }, { 40, 256, 8 }, { 6, 257, 4 } })
        QTest::addRow("T=%d N=%d k=%d", t, n, k) << t << n << k;
}

void TestXShare::sweepWalksAgree()
{
    // The two walks of sweepSlice (vector where the machine has AVX-512, and the portable loop)
    // give bit-identical sweeps, for every kind of score, both nested policies, budgets cut short
    // (walks that stop before a token's last baseline expert), replicated experts; and their
    // budgets agree with the plain per-budget reference.
    QFETCH(int, tokens);
    QFETCH(int, experts);
    QFETCH(int, k);
    if (!moe::detail::sweepVectorWalk())
        qInfo("this machine has no AVX-512: both walks are the portable one");
    const auto T = static_cast<std::size_t>(tokens);
    const auto N = static_cast<std::size_t>(experts);
    for (int kind = 0; kind < 6; ++kind) {
        std::mt19937 rng(static_cast<unsigned>(tokens * 131 + experts * 7 + k * 3 + kind));
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        std::vector<float> g(T * N);
        for (std::size_t i = 0; i < g.size(); ++i) {
            const float a = u(rng);
            const float b = u(rng);
            switch (kind) {
            case 1:
                g[i] = std::round(a * 3.0f) / 3.0f; // many ties
                break;
            case 2:
                g[i] = a < 0.85f ? 0.0f : b; // mostly zero
                break;
            case 3:
                // sparse: some tokens with fewer than k known scores, every fifth with none
                g[i] = (i * 11 + i / N) % 4 == 0 || (i / N) % 5 == 2 ? kNone : a * b;
                break;
            case 4: {
                // near ties: a few values, each a few hundred units in the last place apart, which
                // the short keys of the column walk cannot order (every ninth row has none)
                float x = 0.25f * (1.0f + std::floor(a * 4.0f));
                if ((i / N) % 9 == 4)
                    x = a * b;
                else
                    for (int steps = static_cast<int>(b * 700.0f); steps > 0; --steps)
                        x = std::nextafter(x, 2.0f);
                g[i] = x;
                break;
            }
            case 5: {
                // stored in 16 bits (bfloat16): many exact ties, and no near ones
                float x = a * a * b;
                std::uint32_t bits;
                std::memcpy(&bits, &x, sizeof bits);
                bits &= 0xffff0000u;
                std::memcpy(&x, &bits, sizeof x);
                g[i] = x;
                break;
            }
            default:
                g[i] = a * a * b; // skewed like router probabilities
            }
        }
        std::vector<std::int32_t> req(T);
        for (std::size_t t = 0; t < T; ++t)
            req[t] = static_cast<std::int32_t>(t % 4 == 0 ? t : t % 5);
        std::vector<double> load(N);
        for (auto& x : load)
            x = u(rng);
        const auto placement = moe::balancedPlacement(load, 4, (experts + 3) / 4);
        for (const Policy p : { Policy::Batch, Policy::Speculative }) {
            for (const bool replicated : { false, true }) {
                if (replicated && placement.replicas.empty())
                    continue;
                int round = 0;
                for (const int maxBudget : { experts, (experts + k) / 2, k + 1, k }) {
                    auto in = slice(g, tokens, experts, k, &req);
                    in.hasUnknown = kind == 3;
                    auto cfg = cfgOf(p, kind % 2);
                    // Up to 8 devices the walk packs each budget's losses per device in one
                    // register (1, 3, 4, 8, also with sparse and mostly-zero scores), up to 16
                    // the totals keep them in one vector: 9, 12 and 20 take the other paths.
                    static constexpr int devicesOf[6][4] = { { 4, 8, 1, 3 }, { 12, 12, 12, 12 }, { 20, 8, 20, 8 },
                        { 9, 8, 9, 2 }, { 8, 3, 12, 8 }, { 8, 2, 16, 5 } };
                    cfg.devices = replicated ? 4 : devicesOf[kind][round++];
                    cfg.requestExperts = p == Policy::Speculative ? k + 1 : 0;
                    if (replicated) {
                        cfg.placement = placement.device;
                        cfg.replicas = placement.replicas;
                    }
                    const QString where = QStringLiteral("scores %1 policy %2 replicated %3 max budget %4")
                                              .arg(kind)
                                              .arg(QLatin1String(moe::toString(p)))
                                              .arg(replicated)
                                              .arg(maxBudget);
                    moe::SliceScratch scratch;
                    moe::SliceSweep vec;
                    moe::SliceSweep plain;
                    vec.deviceLoads = true;
                    plain.deviceLoads = true;
                    QVERIFY(
                        moe::detail::sweepSliceWith(in, cfg, maxBudget, vec, scratch, moe::detail::SweepWalk::Best));
                    QVERIFY(moe::detail::sweepSliceWith(
                        in, cfg, maxBudget, plain, scratch, moe::detail::SweepWalk::Portable));
                    QVERIFY2(vec.order == plain.order, qPrintable(where));
                    QVERIFY2(vec.activated == plain.activated, qPrintable(where));
                    QVERIFY2(vec.mass == plain.mass, qPrintable(where)); // exact: the same sums in the same order
                    QVERIFY2(vec.overlap == plain.overlap, qPrintable(where));
                    QVERIFY2(vec.unchanged == plain.unchanged, qPrintable(where));
                    QVERIFY2(vec.peak == plain.peak && vec.peakTokens == plain.peakTokens, qPrintable(where));
                    QVERIFY2(vec.deviceActive == plain.deviceActive && vec.deviceTokens == plain.deviceTokens,
                        qPrintable(where));
                    for (int m = k; m <= maxBudget; ++m) {
                        auto ref = slice(g, tokens, experts, k, &req);
                        ref.hasUnknown = true;
                        const auto d = direct(ref, cfg, m);
                        const auto M = static_cast<std::size_t>(m);
                        const QString at = where + QStringLiteral(" M=%1").arg(m);
                        QVERIFY2(vec.activated[M] == d.activated[M] && vec.overlap[M] == d.overlap[M]
                                && vec.unchanged[M] == d.unchanged[M] && vec.peak[M] == d.peak[M]
                                && vec.peakTokens[M] == d.peakTokens[M],
                            qPrintable(at));
                        QVERIFY2(std::abs(vec.mass[M] - d.mass[M]) <= 1e-9 * std::max(1.0, d.mass[M]), qPrintable(at));
                    }
                }
            }
        }
    }
}

void TestXShare::placementFiles()
{
    QTemporaryDir dir;
    const auto json = test::writeFile(dir, QStringLiteral("p.json"), "{\"placement\": [0, [1, 0], 1, 0]}");
    auto p = moe::loadPlacement(json, 4, 2);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error->toString().c_str());
    QCOMPARE(p.value->device, (std::vector<int> { 0, 1, 1, 0 }));
    QCOMPARE(p.value->replicas[1], (std::vector<int> { 0 }));
    QCOMPARE(p.value->copies(), 5);
    const auto csv = test::writeFile(dir, QStringLiteral("p.csv"), "expert_id,device\n0,0\n1,1\n2,1\n3,0\n2,0\n");
    p = moe::loadPlacement(csv, 4, 2);
    QVERIFY(p.ok());
    QCOMPARE(p.value->replicas[2], (std::vector<int> { 0 }));
    const auto twice = test::writeFile(dir, QStringLiteral("t.csv"), "0,0\n1,1\n2,1\n3,0\n2,1\n");
    p = moe::loadPlacement(twice, 4, 2);
    QVERIFY(!p.ok());
    QCOMPARE(p.error->line, std::int64_t(5));
    QVERIFY(p.error->message.find("two copies on device 1") != std::string::npos);
    const auto deep = test::writeFile(dir, QStringLiteral("d.json"), QByteArray(100000, '[') + QByteArray(100000, ']'));
    p = moe::loadPlacement(deep, 4, 2);
    QVERIFY(!p.ok());
    QVERIFY(p.error->message.find("nested more than") != std::string::npos);
    const auto far = test::writeFile(dir, QStringLiteral("f.json"), "[0, 1, 5, 0]");
    p = moe::loadPlacement(far, 4, 2);
    QVERIFY(!p.ok());
    QVERIFY(p.error->message.find("expert 2 is on device 5, but there are 2 devices") != std::string::npos);
    const auto missing = test::writeFile(dir, QStringLiteral("m.csv"), "0,0\n1,1\n3,0\n");
    p = moe::loadPlacement(missing, 4, 2);
    QVERIFY(!p.ok());
    QVERIFY(p.error->message.find("expert 2 is not placed") != std::string::npos);
}

void TestXShare::activationMaps()
{
    // The maps agree with the run's own per-layer means and with a brute-force count of each
    // slice's top-k union.
    const int tokens = 30;
    const int layers = 3;
    const int experts = 16;
    const int k = 2;
    const auto g = randomScores(static_cast<std::size_t>(tokens * layers * experts), 21);
    std::vector<std::int32_t> req(static_cast<std::size_t>(tokens));
    for (int t = 0; t < tokens; ++t)
        req[static_cast<std::size_t>(t)] = t % 6;
    const auto trace = moe::makeOwnedTrace(tokens, layers, experts, k, false, g, {}, req);
    const auto batches = replayBatches(trace, 4);
    moe::XShareOptions o;
    o.budgets = { 3, 8 };
    o.maps = true;
    o.policy.devices = 4;
    const auto r = moe::runXShare(trace, batches, o);
    QVERIFY(r.ok());
    const auto& m = r.value->maps;
    QCOMPARE(m.layers, layers);
    QCOMPARE(m.experts, experts);
    QCOMPARE(m.devices, 4);
    const auto& res = r.value->results.front(); // budget 3: the maps describe it
    QCOMPARE(res.budget, 3);
    double allBase = 0;
    double all = 0;
    for (int l = 0; l < layers; ++l) {
        double sumBase = 0;
        double sum = 0;
        for (int e = 0; e < experts; ++e) {
            sumBase += m.base[static_cast<std::size_t>(l * experts + e)];
            sum += m.policy[static_cast<std::size_t>(l * experts + e)];
        }
        QVERIFY(std::abs(sumBase - res.perLayer[static_cast<std::size_t>(l)].activatedBaseMean) < 1e-9);
        QVERIFY(std::abs(sum - res.perLayer[static_cast<std::size_t>(l)].activatedMean) < 1e-9);
        allBase += sumBase;
        all += sum;
    }
    double devBase = 0;
    double dev = 0;
    for (int d = 0; d < 4; ++d) {
        devBase += m.deviceBase[static_cast<std::size_t>(d)];
        dev += m.device[static_cast<std::size_t>(d)];
    }
    const double slices = static_cast<double>(r.value->sliceCount);
    QVERIFY(std::abs(devBase - static_cast<double>(res.activatedBase) / slices) < 1e-9);
    QVERIFY(std::abs(dev - static_cast<double>(res.activated) / slices) < 1e-9);
    // Brute force for layer 1, expert by expert: the fraction of batches whose tokens' top-2 use it.
    const auto& bt = batches.tokens;
    for (int e = 0; e < experts; ++e) {
        int hits = 0;
        for (const auto& rows : bt) {
            bool used = false;
            for (const auto t : rows) {
                const float* row = g.data() + (static_cast<std::size_t>(t) * layers + 1) * experts;
                int better = 0;
                for (int f = 0; f < experts; ++f)
                    better += row[f] > row[e] || (row[f] == row[e] && f < e) ? 1 : 0;
                used = used || better < k;
            }
            hits += used ? 1 : 0;
        }
        QVERIFY(
            std::abs(m.base[static_cast<std::size_t>(experts + e)] - hits / static_cast<double>(bt.size())) < 1e-12);
    }
    // Without maps nothing is filled.
    o.maps = false;
    QVERIFY(moe::runXShare(trace, batches, o).value->maps.base.empty());
}

void TestXShare::budgetMapsEqualPerBudgetMaps_data()
{
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("devices");
    QTest::newRow("batch") << int(moe::Policy::Batch) << 4;
    QTest::newRow("batch, 3 devices") << int(moe::Policy::Batch) << 3;
    QTest::newRow("batch, 1 device") << int(moe::Policy::Batch) << 1;
    QTest::newRow("speculative, 1 device") << int(moe::Policy::Speculative) << 1;
    QTest::newRow("speculative") << int(moe::Policy::Speculative) << 4;
    QTest::newRow("top-k") << int(moe::Policy::TopK) << 2;
}

void TestXShare::budgetMapsEqualPerBudgetMaps()
{
    // The maps of every budget from one sweep equal those of each budget computed on its own,
    // heatmaps and device loads alike: a budget step of the window reads them instead of a pass.
    QFETCH(int, policy);
    QFETCH(int, devices);
    const int tokens = 90;
    const int layers = 3;
    const int experts = 24;
    const int k = 3;
    const auto g = randomScores(static_cast<std::size_t>(tokens * layers * experts), 33);
    std::vector<std::int32_t> req(static_cast<std::size_t>(tokens));
    for (int t = 0; t < tokens; ++t)
        req[static_cast<std::size_t>(t)] = t % 7;
    const auto trace = moe::makeOwnedTrace(tokens, layers, experts, k, false, g, {}, req);
    const auto batches = replayBatches(trace, 8);
    moe::XShareOptions all;
    all.policy.policy = static_cast<moe::Policy>(policy);
    all.policy.devices = devices;
    for (int m = k; m <= experts; ++m)
        all.budgets.push_back(m);
    all.budgetMaps = true;
    all.threads = 2;
    const auto swept = moe::runXShare(trace, batches, all);
    QVERIFY(swept.ok());
    QCOMPARE(swept.value->budgetMaps.size(), all.budgets.size());
    for (std::size_t bi = 0; bi < all.budgets.size(); ++bi) {
        moe::XShareOptions one = all;
        one.budgetMaps = false;
        one.maps = true;
        one.budgets = { all.budgets[bi] };
        const auto r = moe::runXShare(trace, batches, one);
        QVERIFY(r.ok());
        const auto& want = r.value->maps;
        const auto& got = swept.value->budgetMaps[bi];
        QCOMPARE(got.layers, want.layers);
        QCOMPARE(got.devices, want.devices);
        auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
            if (a.size() != b.size())
                return false;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (std::abs(a[i] - b[i]) > 1e-12)
                    return false;
            return true;
        };
        QVERIFY2(same(got.base, want.base), qPrintable(QStringLiteral("budget %1").arg(all.budgets[bi])));
        QVERIFY2(same(got.policy, want.policy), qPrintable(QStringLiteral("budget %1").arg(all.budgets[bi])));
        QVERIFY(same(got.deviceBase, want.deviceBase));
        QVERIFY2(same(got.device, want.device), qPrintable(QStringLiteral("budget %1").arg(all.budgets[bi])));
        QVERIFY(same(got.deviceTokensBase, want.deviceTokensBase));
        QVERIFY2(
            same(got.deviceTokens, want.deviceTokens), qPrintable(QStringLiteral("budget %1").arg(all.budgets[bi])));
    }
    // Without the request, or with one budget (no sweep), there are none.
    all.budgetMaps = false;
    QVERIFY(moe::runXShare(trace, batches, all).value->budgetMaps.empty());
}

void TestXShare::uniformRoutingExpectation()
{
    // iid uniform scores: a token's top-k is a uniform k-subset, so the expected union over B
    // tokens is N (1 - (1 - k/N)^B): 163.3 for N = 256, k = 8, B = 32.
    const int N = 256;
    const int k = 8;
    const int B = 32;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(static_cast<std::size_t>(B * N));
    double sum = 0;
    double sumSq = 0;
    const int reps = 400;
    moe::SliceScratch scratch;
    moe::SliceSweep s;
    auto cfg = cfgOf(Policy::TopK);
    for (int r = 0; r < reps; ++r) {
        for (auto& x : g)
            x = u(rng);
        moe::sweepSlice(slice(g, B, N, k), cfg, N, s, scratch);
        sum += s.activatedBase;
        sumSq += static_cast<double>(s.activatedBase) * s.activatedBase;
    }
    const double mean = sum / reps;
    const double sd = std::sqrt(sumSq / reps - mean * mean);
    const double expected = N * (1.0 - std::pow(1.0 - static_cast<double>(k) / N, B));
    QVERIFY(std::abs(expected - 163.3) < 0.05);
    QVERIFY2(std::abs(mean - expected) < 5.0 * sd / std::sqrt(reps),
        qPrintable(QStringLiteral("%1 vs %2").arg(mean).arg(expected)));
}

void TestXShare::speculativeFillsBudget()
{
    // 8 experts, k = 2, gamma 3, batches of 2 requests: each request keeps its 2 best experts, so
    // the union holds at most 4. A budget beyond the union is filled with the best remaining
    // experts by plain utility: at M = N the policy is top-k (all the mass, every token unchanged).
    const int T = 40;
    const int N = 8;
    std::vector<std::int32_t> req(T);
    for (int t = 0; t < T; ++t)
        req[static_cast<std::size_t>(t)] = t / 4;
    auto trace = moe::makeOwnedTrace(T, 2, N, 2, false, randomScores(static_cast<std::size_t>(T * 2 * N), 5), {}, req);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 2;
    bo.gamma = 3;
    const auto batches = *moe::makeBatches(trace, bo).value;
    for (const auto& budgets : { std::vector<int> { 8 }, std::vector<int> { 8, 2, 3, 4, 5, 6, 7 } }) {
        moe::XShareOptions o;
        o.policy.policy = Policy::Speculative;
        o.budgets = budgets;
        o.perSlice = true;
        const auto r = moe::runXShare(trace, batches, o);
        QVERIFY(r.ok());
        const auto& atN = r.value->results.front();
        QCOMPARE(atN.activated, atN.activatedBase);
        QCOMPARE(atN.massRetained, 1.0);
        QCOMPARE(atN.unchangedTokens, 1.0);
        QCOMPARE(atN.topkOverlap, 1.0);
        for (const auto& rec : r.value->slices)
            QCOMPARE(static_cast<int>(rec.selected.size()), N);
    }
}

void TestXShare::emptySlicesAreSkipped()
{
    // A sparse top-2 trace over 8 experts, 4 single-token requests, 2 layers: layer 1 has no
    // record for tokens 0 and 1. Batches of 2: slice (layer 1, batch 0) routes no token and is not
    // counted; every other slice activates exactly 2 experts.
    const int T = 4;
    const int L = 2;
    const int K = 2;
    std::vector<float> scores(static_cast<std::size_t>(T * L * K), 0.5f);
    std::vector<std::int32_t> ids(static_cast<std::size_t>(T * L * K));
    for (int t = 0; t < T; ++t)
        for (int l = 0; l < L; ++l)
            for (int j = 0; j < K; ++j) {
                const auto at = static_cast<std::size_t>((t * L + l) * K + j);
                ids[at] = l == 1 && t < 2 ? -1 : (t < 2 ? j : 2 + j);
            }
    auto trace = moe::makeOwnedTrace(T, L, 8, K, true, scores, ids, { 0, 1, 2, 3 });
    const auto batches = replayBatches(trace, 2);
    QCOMPARE(batches.tokens.size(), std::size_t { 2 });
    moe::XShareOptions o;
    o.policy.policy = Policy::Batch;
    o.budgets = { 2, 4 };
    o.perSlice = true;
    o.maps = true;
    const auto r = moe::runXShare(trace, batches, o);
    QVERIFY(r.ok());
    QCOMPARE(r.value->sliceCount, std::int64_t { 3 });
    const auto& b = r.value->results.front();
    QCOMPARE(b.activatedBase, std::int64_t { 6 });
    QCOMPARE(static_cast<double>(b.activatedBase) / static_cast<double>(r.value->sliceCount), 2.0);
    QCOMPARE(b.peakDeviceLoadBase, 2.0); // one device: 2 per counted slice
    QCOMPARE(b.perLayer[1].activatedBaseMean, 2.0);
    QCOMPARE(r.value->slices.size(), std::size_t { 3 });
    for (const auto& rec : r.value->slices)
        QVERIFY(!(rec.layer == 1 && rec.batch == 0));
    // Layer 1's map: experts 2 and 3 active in its one counted slice.
    QCOMPARE(r.value->maps.base[8 + 2], 1.0);
    QCOMPARE(r.value->maps.deviceBase.front(), 2.0);
}

void TestXShare::selectedForEveryPolicy()
{
    // Per-slice records list the first budget's selected set for every policy, whatever the other
    // budgets (top-k: the experts its baseline activates).
    const int T = 48;
    const int N = 16;
    const int k = 2;
    std::vector<std::int32_t> req(T);
    for (int t = 0; t < T; ++t)
        req[static_cast<std::size_t>(t)] = t / 3;
    auto trace = moe::makeOwnedTrace(T, 2, N, k, false, randomScores(static_cast<std::size_t>(T * 2 * N), 8), {}, req);
    const auto batches = replayBatches(trace, 8);
    for (const Policy p : { Policy::TopK, Policy::Batch, Policy::ExpertParallel, Policy::Speculative }) {
        for (const bool maps : { false, true }) {
            moe::XShareOptions o;
            o.policy.policy = p;
            o.policy.devices = 4;
            o.budgets = { 6, 3, 12 };
            o.perSlice = true;
            o.maps = maps;
            const auto r = moe::runXShare(trace, batches, o);
            QVERIFY(r.ok());
            QVERIFY(!r.value->slices.empty());
            for (const auto& rec : r.value->slices) {
                QVERIFY(std::is_sorted(rec.selected.begin(), rec.selected.end()));
                if (p == Policy::TopK) {
                    QCOMPARE(static_cast<int>(rec.selected.size()), rec.activatedBase);
                    continue;
                }
                QCOMPARE(static_cast<int>(rec.selected.size()), 6);
                if (p == Policy::ExpertParallel) {
                    std::vector<int> perDevice(4, 0);
                    for (const int e : rec.selected)
                        ++perDevice[static_cast<std::size_t>(e * 4 / N)];
                    for (const int c : perDevice)
                        QVERIFY(c <= 2); // ceil(6 / 4)
                }
            }
        }
    }
}

void TestXShare::messagesNameSettings()
{
    // Core names the setting; the front ends say which flag or control it is.
    auto trace = moe::makeOwnedTrace(4, 1, 8, 2, false, randomScores(32, 1), {}, { 0, 0, 1, 1 });
    const auto batches = replayBatches(trace, 2);
    moe::XShareOptions o;
    o.budgets = { 4 };
    o.policy.devices = 16;
    auto problem = moe::checkXShareOptions(trace, o);
    QVERIFY(problem);
    QCOMPARE(QString::fromStdString(problem->message),
        QStringLiteral("expert-parallel devices (16) exceed the number of experts (8)"));
    QVERIFY(!moe::runXShare(trace, batches, o).ok());
    o.policy.devices = 0; // one device for the loads of the other policies
    QVERIFY(!moe::checkXShareOptions(trace, o));
    o.policy.policy = Policy::ExpertParallel;
    problem = moe::checkXShareOptions(trace, o);
    QVERIFY(problem);
    QCOMPARE(QString::fromStdString(problem->message), QStringLiteral("expert-parallel devices must be at least 1"));
    o.policy.devices = 8;
    QVERIFY(!moe::checkXShareOptions(trace, o));
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 0;
    const auto b = moe::makeBatches(trace, bo);
    QVERIFY(!b.ok());
    QCOMPARE(QString::fromStdString(b.error->message), QStringLiteral("batch size must be at least 1"));
    bo.batchSize = 2;
    bo.gamma = -1;
    const auto g = moe::makeBatches(trace, bo);
    QVERIFY(!g.ok());
    QVERIFY(g.error->message.find("--") == std::string::npos);
}

QTEST_GUILESS_MAIN(TestXShare)
#include "tst_xshare.moc"
