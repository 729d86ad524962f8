// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "stats/McNemar.h"
#include "stats/Philox.h"
#include "stats/SignFlip.h"

#include <random>

using namespace deltascope;

namespace {

std::vector<double> doublesOf(const QJsonArray& a)
{
    std::vector<double> out;
    for (const auto v : a)
        out.push_back(v.toDouble());
    return out;
}

} // namespace

class TestSignFlip : public QObject {
    Q_OBJECT
private slots:
    void philoxKnownAnswers();
    void philoxPublishedVectors();
    void streamMatchesReference_data();
    void streamMatchesReference();
    void closeToExactEnumeration_data();
    void closeToExactEnumeration();
    void binaryAgreesWithMcNemar();
    void independentOfThreads();
    void perTaskRanges();
    void quantizationIsExactForIntegers();
    void cancel();
};

void TestSignFlip::philoxKnownAnswers()
{
    for (const auto v : test::vectors().value(QStringLiteral("philox_kat")).toArray()) {
        const auto o = v.toObject();
        const auto c = o.value(QStringLiteral("ctr")).toArray();
        const auto k = o.value(QStringLiteral("key")).toArray();
        const auto e = o.value(QStringLiteral("out")).toArray();
        const auto out = stats::Philox4x32::generate(
            { static_cast<std::uint32_t>(c[0].toDouble()), static_cast<std::uint32_t>(c[1].toDouble()),
                static_cast<std::uint32_t>(c[2].toDouble()), static_cast<std::uint32_t>(c[3].toDouble()) },
            { static_cast<std::uint32_t>(k[0].toDouble()), static_cast<std::uint32_t>(k[1].toDouble()) });
        for (int i = 0; i < 4; ++i)
            QCOMPARE(out[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(e[i].toDouble()));
    }
}

void TestSignFlip::philoxPublishedVectors()
{
    // The known-answer vectors published with the Random123 library.
    using P = stats::Philox4x32;
    QCOMPARE(P::generate({ 0, 0, 0, 0 }, { 0, 0 }), (P::Counter { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 }));
    QCOMPARE(P::generate({ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff }),
        (P::Counter { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd }));
    QCOMPARE(P::generate({ 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 }),
        (P::Counter { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 }));
}

void TestSignFlip::streamMatchesReference_data()
{
    QTest::addColumn<QJsonObject>("row");
    int i = 0;
    for (const auto v : test::vectors().value(QStringLiteral("sign_flip_stream")).toArray())
        QTest::addRow("stream %d", i++) << v.toObject();
}

void TestSignFlip::streamMatchesReference()
{
    // The reference replays the same Philox stream in Python: the p-value must be identical.
    QFETCH(QJsonObject, row);
    const auto d = doublesOf(row.value(QStringLiteral("d")).toArray());
    stats::SignFlipOptions o;
    o.permutations = static_cast<std::uint64_t>(row.value(QStringLiteral("permutations")).toDouble());
    o.seed = static_cast<std::uint64_t>(row.value(QStringLiteral("seed")).toDouble());
    const auto r = stats::signFlipTest(d, {}, o);
    QCOMPARE(r.pValue, row.value(QStringLiteral("p")).toDouble());
}

void TestSignFlip::closeToExactEnumeration_data()
{
    QTest::addColumn<QJsonObject>("row");
    int i = 0;
    for (const auto v : test::vectors().value(QStringLiteral("sign_flip_exact")).toArray())
        QTest::addRow("sample %d", i++) << v.toObject();
}

void TestSignFlip::closeToExactEnumeration()
{
    QFETCH(QJsonObject, row);
    const auto d = doublesOf(row.value(QStringLiteral("d")).toArray());
    const double exact = row.value(QStringLiteral("exact_p")).toDouble();
    stats::SignFlipOptions o;
    o.permutations = 200000;
    o.seed = 99;
    const auto r = stats::signFlipTest(d, {}, o);
    const double sigma = std::sqrt(exact * (1.0 - exact) / static_cast<double>(o.permutations));
    QVERIFY2(std::abs(r.pValue - exact) < 5.0 * sigma + 1e-5,
        qPrintable(QStringLiteral("p = %1, exact %2").arg(r.pValue).arg(exact)));
}

void TestSignFlip::binaryAgreesWithMcNemar()
{
    // d in {-1, 0, 1}: the permutation p estimates the exact binomial tail.
    std::vector<double> d;
    d.insert(d.end(), 60, 1.0);
    d.insert(d.end(), 40, -1.0);
    d.insert(d.end(), 900, 0.0);
    std::mt19937 g(5);
    std::shuffle(d.begin(), d.end(), g);
    const double exact = stats::mcnemar(60, 40, 1000).pOneSided;
    stats::SignFlipOptions o;
    o.permutations = 100000;
    o.seed = 3;
    const auto r = stats::signFlipTest(d, {}, o);
    const double sigma = std::sqrt(exact * (1 - exact) / 1e5);
    QVERIFY2(std::abs(r.pValue - exact) < 5 * sigma, qPrintable(QStringLiteral("%1 vs %2").arg(r.pValue).arg(exact)));
}

void TestSignFlip::independentOfThreads()
{
    std::mt19937_64 g(11);
    std::normal_distribution<double> nd(0.02, 1.0);
    std::vector<double> d(5000);
    for (auto& x : d)
        x = nd(g);
    const std::vector<std::size_t> offsets { 0, 1000, 3500, 5000 };
    stats::SignFlipOptions o;
    o.permutations = 3000;
    o.seed = 42;
    o.threads = 1;
    const auto one = stats::signFlipTest(d, offsets, o);
    o.threads = 4;
    const auto four = stats::signFlipTest(d, offsets, o);
    QCOMPARE(one.pValue, four.pValue);
    QVERIFY(one.taskPValue == four.taskPValue);
    o.seed = 43;
    const auto other = stats::signFlipTest(d, offsets, o);
    QVERIFY(other.taskPValue != one.taskPValue); // the seed matters
}

void TestSignFlip::perTaskRanges()
{
    // Task 0 is clearly worse, task 1 is noise around zero.
    std::vector<double> d(400, 0.0);
    for (std::size_t i = 0; i < 200; ++i)
        d[i] = (i % 4 == 0) ? -1.0 : 1.0;
    for (std::size_t i = 200; i < 400; ++i)
        d[i] = (i % 2 == 0) ? 1.0 : -1.0;
    const std::vector<std::size_t> offsets { 0, 200, 400 };
    stats::SignFlipOptions o;
    o.permutations = 5000;
    const auto r = stats::signFlipTest(d, offsets, o);
    QCOMPARE(r.taskPValue.size(), std::size_t(2));
    QVERIFY(r.taskPValue[0] < 0.001);
    QVERIFY(r.taskPValue[1] > 0.2);
    QCOMPARE(r.taskStatistic[0], 100.0);
    QCOMPARE(r.taskStatistic[1], 0.0);
    QVERIFY(r.taskPValueLower[0] > 0.99);
}

void TestSignFlip::quantizationIsExactForIntegers()
{
    const std::vector<double> d { 1, -1, 0, 1, 1, -1 };
    const auto q = stats::quantizeDifferences(d);
    const std::int64_t unit = q[0];
    QVERIFY(unit > 0);
    for (std::size_t i = 0; i < d.size(); ++i)
        QCOMPARE(q[i], static_cast<std::int64_t>(d[i]) * unit);
}

void TestSignFlip::cancel()
{
    std::vector<double> d(20000, 0.5);
    stats::SignFlipOptions o;
    o.permutations = 2000000;
    o.progress.callback = [](double, std::string_view) { return false; };
    const auto r = stats::signFlipTest(d, {}, o);
    QVERIFY(r.cancelled);
}

QTEST_GUILESS_MAIN(TestSignFlip)
#include "tst_signflip.moc"
