// SPDX-License-Identifier: GPL-3.0-or-later
// The CPU row kernels at every vector level the processor has (plain loops, AVX2, AVX-512) must
// give the same results, bit for bit: the slice paths are run at each level on the same slices and
// compared with the plain loops' results. Shapes are chosen to reach every branch of the kernels:
// expert counts that are and are not multiples of 16, above 256 (no byte ids), many equal scores
// (more candidates than fit in a register), token counts past a multiple of 16 (rows left after
// the blocks of sixteen, some without a partner), every k.
#include "moe/RowKernels.h"
#include "moe/XShare.h"

#include <QTest>
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

using namespace deltascope;
using moe::Policy;

namespace {

// Slices' scores: 0 products of three uniforms (skewed like router probabilities), 1 quarters
// (ties everywhere), 2 mostly zero, 3 all scores within a few ulps of each other (the bound lets
// most of the row through), 4 uniforms with the largest score repeated in many experts, 5 scores
// from 2^20 down to 2^-40 (a sum of them rounds differently in another order, so the kept mass
// shows whether each token's experts were added best first).
std::vector<float> scoresOf(int kind, std::size_t tokens, std::size_t experts, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> g(tokens * experts);
    for (std::size_t t = 0; t < tokens; ++t)
        for (std::size_t e = 0; e < experts; ++e) {
            float& x = g[t * experts + e];
            switch (kind) {
            case 1:
                x = std::round(u(rng) * 4.0f) / 4.0f;
                break;
            case 2:
                x = u(rng) < 0.9f ? 0.0f : u(rng);
                break;
            case 3:
                x = std::nextafter(0.5f, 1.0f + static_cast<float>(rng() % 3));
                break;
            case 4:
                x = (e % 5 == 0) ? 0.75f : u(rng) * 0.7f;
                break;
            case 5:
                x = std::ldexp(0.5f + u(rng), 20 - static_cast<int>(rng() % 61));
                break;
            default:
                x = u(rng) * u(rng) * u(rng);
            }
        }
    return g;
}

bool sameBits(double a, double b)
{
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// Every field of two slice results, exactly.
QString differences(const moe::SliceSweep& a, const moe::SliceSweep& b, int from, int to)
{
    if (a.routedTokens != b.routedTokens || a.activatedBase != b.activatedBase || !sameBits(a.massBase, b.massBase)
        || a.peakBase != b.peakBase || a.peakTokensBase != b.peakTokensBase)
        return QStringLiteral("baseline");
    for (int m = from; m <= to; ++m) {
        const auto i = static_cast<std::size_t>(m);
        if (a.activated[i] != b.activated[i] || !sameBits(a.mass[i], b.mass[i]) || a.overlap[i] != b.overlap[i]
            || a.unchanged[i] != b.unchanged[i] || a.peak[i] != b.peak[i] || a.peakTokens[i] != b.peakTokens[i])
            return QStringLiteral("budget %1").arg(m);
    }
    if (a.selected != b.selected)
        return QStringLiteral("selected set");
    return {};
}

// Asks for the best level for the test, and asks for what was asked before afterwards.
struct LevelGuard {
    int saved = moe::rows::setVectorLevel(moe::rows::kAvx512);
    ~LevelGuard() { moe::rows::setVectorLevel(saved); }
};

} // namespace

class TestRowKernels : public QObject {
    Q_OBJECT
private slots:
    void levelsAgree_data();
    void levelsAgree();
    void priorityPositions();
    void levelIsClamped();
};

void TestRowKernels::levelsAgree_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("kind");
    for (const auto& [t, n, k] : std::vector<std::tuple<int, int, int>> { { 64, 128, 8 }, { 65, 128, 2 }, { 7, 16, 1 },
             { 33, 32, 6 }, { 20, 48, 4 }, { 31, 24, 3 }, { 16, 256, 8 }, { 9, 272, 8 }, { 5, 512, 6 }, { 64, 64, 8 },
             { 1, 128, 8 }, { 40, 160, 5 } })
        for (int kind = 0; kind < 6; ++kind)
            QTest::addRow("T=%d N=%d k=%d kind=%d", t, n, k, kind) << t << n << k << kind;
}

void TestRowKernels::levelsAgree()
{
    QFETCH(int, tokens);
    QFETCH(int, experts);
    QFETCH(int, k);
    QFETCH(int, kind);
    LevelGuard guard;
    const int best = moe::rows::vectorLevel();
    if (best == moe::rows::kScalar)
        QSKIP("this processor has no vector kernels to compare");
    const auto T = static_cast<std::size_t>(tokens);
    const auto N = static_cast<std::size_t>(experts);
    const auto g = scoresOf(kind, T, N, static_cast<unsigned>(tokens * 131 + experts * 7 + k + kind * 1000));
    // The rows also as a mapped trace gives them: pointers into a larger block, one row apart.
    std::vector<float> block(T * N * 3, 0.0f);
    std::vector<const float*> rows(T);
    for (std::size_t t = 0; t < T; ++t) {
        std::copy_n(g.begin() + static_cast<std::ptrdiff_t>(t * N), N,
            block.begin() + static_cast<std::ptrdiff_t>((3 * t + 1) * N));
        rows[t] = block.data() + (3 * t + 1) * N;
    }
    std::vector<std::int32_t> request(T);
    for (std::size_t t = 0; t < T; ++t)
        request[t] = static_cast<std::int32_t>(t % 3 == 0 ? t : t % 4);
    std::vector<int> budgets { k, std::min(experts, k + 1), std::min(experts, 16), std::max(k, std::min(experts, 17)),
        std::max(k, std::min(experts, 28)), std::max(k, experts / 2), experts };

    for (const Policy p : { Policy::Batch, Policy::ExpertParallel, Policy::Speculative })
        for (const bool inPlace : { false, true }) {
            moe::SliceInput in;
            in.tokens = tokens;
            in.experts = experts;
            in.topK = k;
            in.scores = g.data();
            in.rows = inPlace ? rows.data() : nullptr;
            in.request = request.data();
            in.hasUnknown = false;
            moe::PolicyConfig cfg;
            cfg.policy = p;
            cfg.devices = 4;
            auto run = [&](int level, std::vector<moe::SliceSweep>& one, moe::SliceSweep& all) {
                moe::rows::setVectorLevel(level);
                moe::SliceScratch scratch;
                one.assign(budgets.size(), {});
                for (std::size_t b = 0; b < budgets.size(); ++b)
                    QVERIFY(moe::sliceBudgets(in, cfg, { budgets[b] }, one[b], scratch));
                if (p != Policy::ExpertParallel)
                    QVERIFY(moe::sweepSlice(in, cfg, experts, all, scratch));
            };
            std::vector<moe::SliceSweep> plainOne;
            moe::SliceSweep plainAll;
            run(moe::rows::kScalar, plainOne, plainAll);
            for (int level = moe::rows::kAvx2; level <= best; ++level) {
                std::vector<moe::SliceSweep> one;
                moe::SliceSweep all;
                run(level, one, all);
                const QString where = QStringLiteral("%1, policy %2, in place %3")
                                          .arg(QLatin1String(moe::rows::vectorLevelName(level)))
                                          .arg(QLatin1String(moe::toString(p)))
                                          .arg(inPlace);
                for (std::size_t b = 0; b < budgets.size(); ++b) {
                    const QString d = differences(one[b], plainOne[b], budgets[b], budgets[b]);
                    QVERIFY2(d.isEmpty(), qPrintable(where + QStringLiteral(", budget %1: ").arg(budgets[b]) + d));
                }
                if (p != Policy::ExpertParallel) {
                    const QString d = differences(all, plainAll, k, experts);
                    QVERIFY2(d.isEmpty(), qPrintable(where + QStringLiteral(", sweep: ") + d));
                    QVERIFY2(all.order == plainAll.order, qPrintable(where + QStringLiteral(", sweep order")));
                }
            }
        }
}

void TestRowKernels::priorityPositions()
{
#if DELTASCOPE_AVX2_DISPATCH
    LevelGuard guard;
    if (moe::rows::vectorLevel() < moe::rows::kAvx512)
        QSKIP("this processor has no AVX-512");
    std::mt19937_64 rng(7);
    for (const int n : { 8, 16, 24, 128, 256, 1024 }) {
        for (int variant = 0; variant < 3; ++variant) {
            std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
            for (auto& key : keys) {
                key = rng();
                if (variant == 1)
                    key = (key & 0xffffffffULL) | 0x4010000000000000ULL; // one upper half: the full keys decide
            }
            if (variant == 2)
                keys[static_cast<std::size_t>(n) / 2] = keys[0]; // two equal keys
            std::vector<std::int32_t> position(static_cast<std::size_t>(n), -1);
            const bool distinct = moe::rows::positionsOfDistinct512(keys.data(), n, position.data());
            QCOMPARE(distinct, variant != 2);
            if (!distinct)
                continue;
            std::vector<int> order(static_cast<std::size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            std::sort(order.begin(), order.end(),
                [&](int a, int b) { return keys[static_cast<std::size_t>(a)] > keys[static_cast<std::size_t>(b)]; });
            for (int i = 0; i < n; ++i)
                QCOMPARE(position[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])], i);
        }
    }
#else
    QSKIP("no vector kernels on this processor family");
#endif
}

void TestRowKernels::levelIsClamped()
{
    LevelGuard guard;
    moe::rows::setVectorLevel(moe::rows::kAvx512 + 5);
    const int top = moe::rows::vectorLevel();
    QVERIFY(top >= moe::rows::kScalar && top <= moe::rows::kAvx512);
    QVERIFY(moe::rows::avx512Allowed());
    QCOMPARE(moe::rows::setVectorLevel(moe::rows::kScalar), static_cast<int>(moe::rows::kAvx512));
    QCOMPARE(moe::rows::vectorLevel(), static_cast<int>(moe::rows::kScalar));
    QVERIFY(!moe::rows::avx512Allowed()); // the sweep's AVX-512 walk stays off too
    moe::rows::setVectorLevel(moe::rows::kAvx2);
    QCOMPARE(moe::rows::vectorLevel(), std::min(top, static_cast<int>(moe::rows::kAvx2)));
    QVERIFY(!moe::rows::avx512Allowed());
    moe::rows::setVectorLevel(moe::rows::kAvx512);
    QCOMPARE(moe::rows::vectorLevel(), top);
    QCOMPARE(QString::fromLatin1(moe::rows::vectorLevelName(moe::rows::kScalar)), QStringLiteral("scalar"));
}

QTEST_APPLESS_MAIN(TestRowKernels)
#include "tst_rowkernels.moc"
