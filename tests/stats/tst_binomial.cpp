// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "stats/Binomial.h"
#include "stats/Holm.h"
#include "stats/McNemar.h"

using namespace deltascope;

class TestBinomial : public QObject {
    Q_OBJECT
private slots:
    void upperTail_data();
    void upperTail();
    void mcnemar_data();
    void mcnemar();
    void chiSquared();
    void normalQuantile();
    void studentQuantile();
    void holm();
    void tailIsMonotone();
};

void TestBinomial::upperTail_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<double>("expected");
    for (const auto v : test::vectors().value(QStringLiteral("upper_tail")).toArray()) {
        const auto o = v.toObject();
        const int n = o.value(QStringLiteral("n")).toInt();
        const int k = o.value(QStringLiteral("k")).toInt();
        QTest::addRow("n=%d k=%d", n, k) << n << k << o.value(QStringLiteral("p")).toDouble();
    }
}

void TestBinomial::upperTail()
{
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(double, expected);
    DS_COMPARE_REL(stats::binomialUpperTailHalf(n, k), expected, 1e-10);
}

void TestBinomial::mcnemar_data()
{
    QTest::addColumn<QJsonObject>("row");
    for (const auto v : test::vectors().value(QStringLiteral("mcnemar")).toArray()) {
        const auto o = v.toObject();
        QTest::addRow("b=%d c=%d n=%d", o.value(QStringLiteral("b")).toInt(), o.value(QStringLiteral("c")).toInt(),
            o.value(QStringLiteral("n")).toInt())
            << o;
    }
}

void TestBinomial::mcnemar()
{
    QFETCH(QJsonObject, row);
    auto get = [&](const char* k) { return row.value(QLatin1String(k)).toDouble(); };
    const auto r = stats::mcnemar(
        static_cast<std::int64_t>(get("b")), static_cast<std::int64_t>(get("c")), static_cast<std::int64_t>(get("n")));
    DS_COMPARE_REL(r.pOneSided, get("p"), 1e-9);
    DS_COMPARE_REL(r.pTwoSided, get("p2"), 1e-9);
    DS_COMPARE_REL(r.delta, get("delta"), 1e-12);
    DS_COMPARE_REL(r.flipRate, get("flip"), 1e-12);
    // The interval is Tango's score interval (checked against its own reference in tst_decision);
    // it always holds the estimate.
    QVERIFY(r.ciLow <= r.delta && r.delta <= r.ciHigh);
    QVERIFY(r.ciLow <= r.delta + 1e-15 && r.delta <= r.ciHigh + 1e-15);
}

void TestBinomial::chiSquared()
{
    for (const auto v : test::vectors().value(QStringLiteral("chi2_upper")).toArray()) {
        const auto o = v.toObject();
        DS_COMPARE_REL(stats::chiSquaredUpperTail(
                           o.value(QStringLiteral("x")).toDouble(), o.value(QStringLiteral("df")).toDouble()),
            o.value(QStringLiteral("p")).toDouble(), 1e-9);
    }
}

void TestBinomial::normalQuantile()
{
    for (const auto v : test::vectors().value(QStringLiteral("normal_quantile")).toArray()) {
        const auto o = v.toObject();
        const double z = stats::normalQuantile(o.value(QStringLiteral("p")).toDouble());
        QVERIFY(std::abs(z - o.value(QStringLiteral("z")).toDouble()) < 1e-12);
    }
}

void TestBinomial::studentQuantile()
{
    const auto cases = test::vectors().value(QStringLiteral("student_quantile")).toArray();
    QVERIFY(!cases.isEmpty());
    for (const auto v : cases) {
        const auto o = v.toObject();
        const double t
            = stats::studentQuantile(o.value(QStringLiteral("p")).toDouble(), o.value(QStringLiteral("df")).toDouble());
        const double want = o.value(QStringLiteral("t")).toDouble();
        QVERIFY2(std::abs(t - want) < 1e-12 * (1.0 + std::abs(want)), qPrintable(QString::number(t, 'g', 17)));
    }
}

void TestBinomial::holm()
{
    const auto h = test::vectors().value(QStringLiteral("holm")).toObject();
    std::vector<double> p;
    for (const auto v : h.value(QStringLiteral("p")).toArray())
        p.push_back(v.toDouble());
    const auto adjusted = stats::holmAdjust(p);
    const auto expected = h.value(QStringLiteral("adjusted")).toArray();
    QCOMPARE(adjusted.size(), static_cast<std::size_t>(expected.size()));
    for (std::size_t i = 0; i < adjusted.size(); ++i)
        DS_COMPARE_REL(adjusted[i], expected[static_cast<qsizetype>(i)].toDouble(), 1e-14);
}

void TestBinomial::tailIsMonotone()
{
    // Far into the tail the p-values keep decreasing instead of collapsing to 0 or 1 - tiny.
    double previous = 1.0;
    for (int k = 500; k <= 1000; ++k) {
        const double p = stats::binomialUpperTailHalf(1000, k);
        QVERIFY2(p > 0.0 && p <= previous, qPrintable(QStringLiteral("k=%1").arg(k)));
        previous = p;
    }
    QVERIFY(previous < 1e-300);
}

QTEST_GUILESS_MAIN(TestBinomial)
#include "tst_binomial.moc"
