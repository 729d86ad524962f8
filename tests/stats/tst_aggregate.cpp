// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "stats/Aggregate.h"

using namespace deltascope;

namespace {

std::vector<stats::TaskCounts> countsOf(const QJsonArray& tasks)
{
    std::vector<stats::TaskCounts> out;
    for (const auto t : tasks) {
        const auto pair = t.toArray();
        out.push_back({ pair.at(0).toInt(), pair.at(1).toInt() });
    }
    return out;
}

} // namespace

class TestAggregate : public QObject {
    Q_OBJECT
private slots:
    void againstScipy_data();
    void againstScipy();
    void maxDropAgainstEnumeration_data();
    void maxDropAgainstEnumeration();
    void decisionUsesAlphaOverThree();
    void noDiscordantPairs();
};

void TestAggregate::againstScipy_data()
{
    QTest::addColumn<QJsonObject>("row");
    int i = 0;
    for (const auto v : test::vectors().value(QStringLiteral("aggregate")).toArray())
        QTest::addRow("case %d", i++) << v.toObject();
}

void TestAggregate::againstScipy()
{
    QFETCH(QJsonObject, row);
    const auto counts = countsOf(row.value(QStringLiteral("tasks")).toArray());
    const auto r = stats::aggregate(counts, 0.05);
    DS_COMPARE_REL(r.pooled.pValue, row.value(QStringLiteral("pooled")).toDouble(), 1e-9);
    DS_COMPARE_REL(r.fisher.statistic, row.value(QStringLiteral("fisher_x")).toDouble(), 1e-12);
    QCOMPARE(r.fisher.df, row.value(QStringLiteral("fisher_df")).toInt());
    DS_COMPARE_REL(r.fisher.pValue, row.value(QStringLiteral("fisher")).toDouble(), 1e-9);
    DS_COMPARE_REL(r.maxDrop.statistic, row.value(QStringLiteral("max_z")).toDouble(), 1e-14);
    DS_COMPARE_REL(r.maxDrop.pValue, row.value(QStringLiteral("max_p")).toDouble(), 1e-9);
}

void TestAggregate::maxDropAgainstEnumeration_data()
{
    QTest::addColumn<QJsonObject>("row");
    int i = 0;
    for (const auto v : test::vectors().value(QStringLiteral("max_drop_enumerated")).toArray())
        QTest::addRow("tiny %d", i++) << v.toObject();
}

void TestAggregate::maxDropAgainstEnumeration()
{
    // The closed form must equal the probability summed over every possible outcome.
    QFETCH(QJsonObject, row);
    const auto r = stats::maxDropTest(countsOf(row.value(QStringLiteral("tasks")).toArray()));
    DS_COMPARE_REL(r.statistic, row.value(QStringLiteral("max_z")).toDouble(), 1e-14);
    DS_COMPARE_REL(r.pValue, row.value(QStringLiteral("max_p")).toDouble(), 1e-12);
}

void TestAggregate::decisionUsesAlphaOverThree()
{
    // Pooled p for (90, 60) is about 0.0088: with two tasks, degraded at alpha 0.05 (0.0167), not
    // at 0.02 (0.0067). One task alone is decided at alpha itself (the three tests are then one).
    const std::vector<stats::TaskCounts> two { { 90, 60 }, { 0, 0 } };
    QVERIFY(stats::aggregate(two, 0.05).degraded);
    QVERIFY(!stats::aggregate(two, 0.02).degraded);
    const std::vector<stats::TaskCounts> one { { 90, 60 } };
    QVERIFY(stats::aggregate(one, 0.02).degraded);
    QVERIFY(!stats::aggregate(one, 0.005).degraded);
}

void TestAggregate::noDiscordantPairs()
{
    const std::vector<stats::TaskCounts> none { { 0, 0 }, { 0, 0 } };
    const auto r = stats::aggregate(none, 0.05);
    QCOMPARE(r.pooled.pValue, 1.0);
    QCOMPARE(r.fisher.pValue, 1.0);
    QCOMPARE(r.fisher.df, 0);
    QCOMPARE(r.maxDrop.pValue, 1.0);
    QCOMPARE(r.maxDrop.task, -1);
    QVERIFY(!r.degraded);
}

QTEST_GUILESS_MAIN(TestAggregate)
#include "tst_aggregate.moc"
