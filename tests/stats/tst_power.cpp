// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "stats/Power.h"
#include "stats/Shrink.h"

#include <cmath>
#include <limits>

using namespace deltascope;

class TestPower : public QObject {
    Q_OBJECT
private slots:
    void againstScipy_data();
    void againstScipy();
    void powerGrowsWithSamples();
    void shrinkKeepsChangingSamples();
};

void TestPower::againstScipy_data()
{
    QTest::addColumn<QJsonObject>("row");
    for (const auto v : test::vectors().value(QStringLiteral("power")).toArray()) {
        const auto o = v.toObject();
        QTest::addRow("n=%d f=%g", o.value(QStringLiteral("n")).toInt(), o.value(QStringLiteral("f")).toDouble()) << o;
    }
}

void TestPower::againstScipy()
{
    QFETCH(QJsonObject, row);
    auto get = [&](const char* k) { return row.value(QLatin1String(k)).toDouble(); };
    stats::PowerQuery q;
    q.alpha = get("alpha");
    q.power = get("power");
    q.flipRate = get("f");
    const auto n = static_cast<std::int64_t>(get("n"));
    DS_COMPARE_REL(stats::minimumDetectableDrop(n, q), get("mdd"), 1e-12);
    QCOMPARE(stats::samplesNeeded(get("drop"), q), static_cast<std::int64_t>(get("needed")));
    DS_COMPARE_REL(stats::exactPower(n, get("drop"), q), get("exact_power"), 1e-7);
}

void TestPower::powerGrowsWithSamples()
{
    stats::PowerQuery q;
    q.flipRate = 0.05;
    const double small = stats::exactPower(500, 0.01, q);
    const double large = stats::exactPower(20000, 0.01, q);
    QVERIFY(small < 0.3);
    QVERIFY(large > 0.95);
    // At the normal-approximation sample size the exact power is close to the target.
    const auto n = stats::samplesNeeded(0.01, q);
    QVERIFY(std::abs(stats::exactPower(n, 0.01, q) - 0.8) < 0.05);
    // Millions of pairs: the critical value is found by bisection, not by climbing from 1.
    q.flipRate = 0.3;
    const auto many = stats::samplesNeeded(0.001, q);
    QVERIFY(many > 1'000'000);
    QVERIFY(std::abs(stats::exactPower(many, 0.001, q) - 0.8) < 0.01);
    QVERIFY(stats::exactPower(many / 4, 0.001, q) < 0.4);
    // Past what can be summed, or counted, the answer says so instead of looping or overflowing.
    QVERIFY(std::isnan(stats::exactPower(stats::kMaxExactPowerPairs + 1, 0.001, q)));
    QCOMPARE(stats::samplesNeeded(1e-300, q), std::numeric_limits<std::int64_t>::max());
}

void TestPower::shrinkKeepsChangingSamples()
{
    stats::RerunTask t;
    t.task = "arc";
    t.filter = "none";
    t.ids = { "0", "1", "2", "3" };
    t.scores = { { 1, 0, 1, 0 }, { 1, 1, 1, 0 }, { 1, 0, 0, 0 } };
    const auto r = stats::shrink({ t });
    QCOMPARE(r.total, std::int64_t(4));
    QCOMPARE(r.kept, std::int64_t(2));
    QCOMPARE(r.tasks[0].keep, (std::vector<std::string> { "1", "2" }));
    QCOMPARE(r.costSaved, 0.5);
    // Pairs (0,1): 1 of 4 differ, (0,2): 1 of 4, (1,2): 2 of 4 -> mean 1/3; on the kept 2: 2/3.
    QVERIFY(std::abs(r.flipRate - 1.0 / 3.0) < 1e-15);
    QVERIFY(std::abs(r.keptFlipRate - 2.0 / 3.0) < 1e-15);
}

QTEST_GUILESS_MAIN(TestPower)
#include "tst_power.moc"
