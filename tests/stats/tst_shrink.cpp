// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "stats/Shrink.h"

#include <algorithm>
#include <set>

using namespace deltascope;

namespace {

// One task with `n` samples ("0".."n-1") over two reruns; the first `varying` change between them.
stats::RerunTask reruns(std::size_t n, std::size_t varying)
{
    stats::RerunTask t;
    t.task = "t";
    t.filter = "none";
    t.scores.resize(2);
    for (std::size_t i = 0; i < n; ++i) {
        t.ids.push_back(std::to_string(i));
        t.scores[0].push_back(1.0);
        t.scores[1].push_back(i < varying ? 0.0 : 1.0);
    }
    return t;
}

std::set<std::string> asSet(const std::vector<std::string>& v)
{
    return { v.begin(), v.end() };
}

} // namespace

class TestShrink : public QObject {
    Q_OBJECT
private slots:
    void keepsOnlyVaryingSamples();
    void auditHashMatchesReference_data();
    void auditHashMatchesReference();
    void auditShareWithinBinomialBounds();
    void auditIndependentOfRecordOrder();
    void auditPicksOnlyExcludedSamples();
    void auditShareEdges();
};

void TestShrink::keepsOnlyVaryingSamples()
{
    const auto r = stats::shrink({ reruns(10, 3) });
    QCOMPARE(r.kept, std::int64_t(3));
    QCOMPARE(r.audited, std::int64_t(0));
    QCOMPARE(r.total, std::int64_t(10));
    QCOMPARE(r.costSaved, 0.7);
    QCOMPARE(r.tasks[0].keep, (std::vector<std::string> { "0", "1", "2" }));
    QVERIFY(r.tasks[0].audit.empty());
    // Identical reruns: nothing varies, nothing is kept (the command line refuses to write such a list).
    const auto none = stats::shrink({ reruns(10, 0) });
    QCOMPARE(none.kept, std::int64_t(0));
}

void TestShrink::auditHashMatchesReference_data()
{
    // From tests/stats/shrink_audit_vectors.py (an independent implementation of the hash).
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<QString>("task");
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QString>("doc");
    QTest::addColumn<quint64>("hash");
    struct Row {
        quint64 seed;
        const char* task;
        const char* filter;
        const char* doc;
        quint64 hash;
    };
    const Row rows[] = {
        { 0ULL, "gsm8k", "none", "0", 0xe15283354a1390cfULL },
        { 0ULL, "gsm8k", "strict-match", "17", 0x04e11bc1eeb26039ULL },
        { 7ULL, "arc_easy", "none", "1234", 0x48f5eebc0363d13fULL },
        { 18446744073709551615ULL, "mmlu_high_school_physics", "none", "42", 0x9524f090c64abd44ULL },
        { 0ULL, "ab", "c", "d", 0x507357905a8748deULL }, // fields are delimited: not the same as ("a", "bc", "d")
        { 0ULL, "a", "bc", "d", 0xa0885678ad875186ULL },
    };
    for (const auto& r : rows)
        QTest::addRow("%s/%s/%s seed %llu", r.task, r.filter, r.doc, static_cast<unsigned long long>(r.seed))
            << r.seed << QString::fromLatin1(r.task) << QString::fromLatin1(r.filter) << QString::fromLatin1(r.doc)
            << r.hash;
}

void TestShrink::auditHashMatchesReference()
{
    QFETCH(quint64, seed);
    QFETCH(QString, task);
    QFETCH(QString, filter);
    QFETCH(QString, doc);
    QFETCH(quint64, hash);
    QCOMPARE(stats::auditHash(seed, task.toStdString(), filter.toStdString(), doc.toStdString()), hash);
}

void TestShrink::auditShareWithinBinomialBounds()
{
    // 2000 excluded samples, share 0.1: the reference implementation picks 189 (seed 0) and 199
    // (seed 1); P[Bin(2000, 0.1) outside [124, 285]] < 2e-9 (exact, same script).
    stats::ShrinkOptions o;
    o.auditFraction = 0.1;
    const auto seed0 = stats::shrink({ reruns(2000, 0) }, o);
    o.seed = 1;
    const auto seed1 = stats::shrink({ reruns(2000, 0) }, o);
    QCOMPARE(seed0.audited, std::int64_t(189));
    QCOMPARE(seed1.audited, std::int64_t(199));
    for (const auto& r : { seed0, seed1 }) {
        QVERIFY(r.audited >= 124 && r.audited <= 285);
        QCOMPARE(r.costSaved, 1.0 - static_cast<double>(r.audited) / 2000.0);
    }
    // Another seed is another sample, and the same seed the same sample.
    QVERIFY(asSet(seed0.tasks[0].audit) != asSet(seed1.tasks[0].audit));
    o.seed = 0;
    QCOMPARE(stats::shrink({ reruns(2000, 0) }, o).tasks[0].audit, seed0.tasks[0].audit);
}

void TestShrink::auditIndependentOfRecordOrder()
{
    stats::ShrinkOptions o;
    o.auditFraction = 0.25;
    o.seed = 42;
    const auto t = reruns(500, 50);
    const auto ordered = stats::shrink({ t }, o);
    // The same samples in another order (a fixed permutation: i -> 7i mod 500 is one since gcd(7, 500) = 1).
    stats::RerunTask shuffled = t;
    for (std::size_t i = 0; i < t.ids.size(); ++i) {
        const std::size_t j = (7 * i) % t.ids.size();
        shuffled.ids[i] = t.ids[j];
        shuffled.scores[0][i] = t.scores[0][j];
        shuffled.scores[1][i] = t.scores[1][j];
    }
    QVERIFY(shuffled.ids != t.ids);
    const auto other = stats::shrink({ shuffled }, o);
    QCOMPARE(other.kept, ordered.kept);
    QCOMPARE(other.audited, ordered.audited);
    QVERIFY(ordered.audited > 0);
    QCOMPARE(asSet(other.tasks[0].audit), asSet(ordered.tasks[0].audit));
    QCOMPARE(asSet(other.tasks[0].keep), asSet(ordered.tasks[0].keep));
}

void TestShrink::auditPicksOnlyExcludedSamples()
{
    stats::ShrinkOptions o;
    o.auditFraction = 0.5;
    const auto r = stats::shrink({ reruns(400, 100) }, o);
    QCOMPARE(r.kept, std::int64_t(100));
    const auto kept = asSet(r.tasks[0].keep);
    for (const auto& id : r.tasks[0].audit) {
        QVERIFY2(!kept.count(id), id.c_str());
        QVERIFY(std::stoi(id) >= 100);
    }
    QCOMPARE(r.costSaved, 1.0 - static_cast<double>(r.kept + r.audited) / 400.0);
    QCOMPARE(r.keptFlipRate, 1.0); // the flip rate is that of the samples kept for their signal
}

void TestShrink::auditShareEdges()
{
    QVERIFY(!stats::auditPick(0.0, 0, "t", "none", "1"));
    QVERIFY(stats::auditPick(1.0, 0, "t", "none", "1"));
    stats::ShrinkOptions o;
    o.auditFraction = 1.0;
    const auto all = stats::shrink({ reruns(30, 10) }, o);
    QCOMPARE(all.audited, std::int64_t(20));
    QCOMPARE(all.costSaved, 0.0);
    // The pick agrees with the hash threshold it documents.
    const std::uint64_t h = stats::auditHash(5, "t", "none", "9");
    const double justAbove = std::ldexp(static_cast<double>(h >> 11) + 1.0, -53);
    const double justBelow = std::ldexp(static_cast<double>(h >> 11), -53);
    QVERIFY(stats::auditPick(justAbove, 5, "t", "none", "9"));
    QVERIFY(!stats::auditPick(justBelow, 5, "t", "none", "9"));
}

QTEST_GUILESS_MAIN(TestShrink)
#include "tst_shrink.moc"
