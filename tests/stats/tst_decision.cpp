// SPDX-License-Identifier: GPL-3.0-or-later
// The decision of a comparison (DESIGN 3.2-3.5): mixed suites, flags, levels, tiny p-values,
// intervals, exact differences, Monte Carlo error. Reference values come from
// tests/data/stats/make_decision_vectors.py (exact integer arithmetic, full enumeration, scipy).
#include "TestData.h"
#include "analysis/Comparison.h"
#include "backend/CpuBackend.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "stats/Aggregate.h"
#include "stats/Binomial.h"
#include "stats/Combination.h"
#include "stats/ExactDifferences.h"
#include "stats/Holm.h"
#include "stats/Power.h"
#include "stats/SignFlip.h"
#include "stats/Tango.h"

#include <QJsonArray>
#include <cmath>
#include <map>
#include <random>

using namespace deltascope;

namespace {

bool analysisParseMargin(const char* text, report::MarginRequest& into, std::string& error)
{
    return analysis::parseMargin(text, into, error);
}

QJsonObject decisionVectors()
{
    QFile f(QString::fromStdString(test::dataPath("stats/decision_vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open tests/data/stats/decision_vectors.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

double num(const QJsonObject& o, const char* key)
{
    return o.value(QLatin1String(key)).toDouble();
}

// A binary task with b regressions, c improvements and n pairs in all.
eval::PairedTask binaryTask(const std::string& name, std::int64_t b, std::int64_t c, std::int64_t n)
{
    eval::PairedTask t;
    t.task = name;
    t.metric = "acc";
    for (std::int64_t i = 0; i < n; ++i) {
        const bool regress = i < b;
        const bool improve = !regress && i < b + c;
        const bool bothRight = !regress && !improve && (i % 2 == 0);
        t.base.push_back(regress || bothRight ? 1.0 : 0.0);
        t.cand.push_back(improve || bothRight ? 1.0 : 0.0);
    }
    t.summarize();
    return t;
}

eval::PairedTask continuousTask(const std::string& name, const std::vector<double>& base,
    const std::vector<double>& cand, bool higherIsBetter = true)
{
    eval::PairedTask t;
    t.task = name;
    t.metric = "score";
    t.higherIsBetter = higherIsBetter;
    t.base = base;
    t.cand = cand;
    t.summarize();
    return t;
}

report::ComparisonReport decide(std::vector<eval::PairedTask> tasks, report::CompareSettings settings = {})
{
    eval::PairedRuns paired;
    paired.tasks = std::move(tasks);
    settings.threads = 2;
    return report::buildReport({}, {}, paired, settings);
}

// Noisy per-document log-likelihoods: thousands of units, no true difference.
eval::PairedTask noisyLogLikelihood(std::uint64_t seed, std::size_t n = 200)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> doc(-1500.0, 400.0);
    std::normal_distribution<double> noise(0.0, 300.0);
    std::vector<double> base;
    std::vector<double> cand;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = std::round(doc(rng) * 100.0) / 100.0;
        base.push_back(d);
        cand.push_back(std::round((d + noise(rng)) * 100.0) / 100.0);
    }
    return continuousTask("wikitext", base, cand);
}

} // namespace

class TestDecision : public QObject {
    Q_OBJECT
private slots:
    void binaryDropNotMaskedByContinuousTask();
    void flagsNeverContradictVerdict();
    void oneTaskDecidedAtAlpha();
    void powerAtDecisionLevel();
    void tinyPValuesSurvive();
    void tinyPValuesPrinted();
    void intervalWithoutFlips();
    void continuousIntervalIsStudentT();
    void intervalAccountsForFlipRate();
    void overflowIsAnError();
    void decimalTiesCount();
    void fractionTiesCount();
    void fractionMeansMatchExactP_data();
    void fractionMeansMatchExactP();
    void monteCarloIntervalAndExtension();
    void extensionContinuesTheStream();
    void infiniteScoresAreWorst();
    void exhaustiveSmallSuites();
    void corpusMetricInItsOwnTerms();
    void marginVerdicts();
    void badMargins();
    void relativeMarginOnPerplexity();
    void clustersFlipTogether();
    void noiseFloorFromBaselineReruns();
    void tangoMatchesRestrictedLikelihood();
    void averagedAccuracyMarginInPoints();
    void untestedTaskIsNotWithinItsMargin();
    void noCertaintyFromContinuousTasks();
    void upperBoundMatchesReference();
    void clustersMatchEnumeration();

    void logTailsMatchExactIntegers();
    void fisherAndMaxDropInLogs();
    void holmInLogs();
    void tangoMatchesReference();
    void powerMatchesReference();
    void combinationMatchesEnumeration();
    void combinationMatchesStreamReplay();
};

// DESIGN 3.3: a 10-point drop (b = 120, c = 20 of 1000, exact p = 7e-19) next to a noisy
// log-likelihood task was "no degradation" when the raw differences were pooled.
void TestDecision::binaryDropNotMaskedByContinuousTask()
{
    const auto rep = decide({ binaryTask("arc", 120, 20, 1000), noisyLogLikelihood(4) });
    QCOMPARE(rep.method, std::string("sign-flip, studentized"));
    QVERIFY(rep.degraded);
    QCOMPARE(rep.decision.size(), std::size_t { 3 });
    QCOMPARE(rep.tasks[0].flag, report::TaskFlag::Worse);
    QVERIFY(rep.tasks[0].pValue < 1e-17); // the binary task keeps its exact p-value
    QVERIFY(rep.tasks[1].monteCarlo);
    QVERIFY2(rep.tasks[1].pValue > 0.05, qPrintable(QString::number(rep.tasks[1].pValue)));
    QCOMPARE(rep.tasks[1].flag, report::TaskFlag::Ok);
    // Without the binary task, the noise alone decides nothing.
    QVERIFY(!decide({ noisyLogLikelihood(4) }).degraded);
}

void TestDecision::flagsNeverContradictVerdict()
{
    // Three tasks: one with p about 0.02 (below alpha, not below alpha/3 after combination).
    const auto rep = decide({ binaryTask("a", 30, 15, 500), binaryTask("b", 10, 10, 500), binaryTask("c", 8, 9, 500) });
    QVERIFY(rep.tasks[0].pValue < 0.05);
    QVERIFY(!rep.degraded);
    QCOMPARE(rep.tasks[0].flag, report::TaskFlag::Suggestive);
    for (const auto& t : rep.tasks)
        QVERIFY(t.flag != report::TaskFlag::Worse);
    QCOMPARE(rep.decisionLevel, 0.05 / 3.0);
    QCOMPARE(std::string(report::flagWord(report::TaskFlag::Suggestive)), std::string("suggestive"));
}

void TestDecision::oneTaskDecidedAtAlpha()
{
    // b = 30, c = 15: exact one-sided p = 0.018 (between alpha/3 and alpha).
    const auto rep = decide({ binaryTask("a", 30, 15, 500) });
    QVERIFY(rep.tasks[0].pValue > 0.05 / 3.0 && rep.tasks[0].pValue < 0.05);
    QCOMPARE(rep.decisionLevel, 0.05);
    QVERIFY(rep.degraded);
    QCOMPARE(rep.tasks[0].flag, report::TaskFlag::Worse);
    QCOMPARE(stats::decisionLevel(0.05, 1), 0.05);
    QCOMPARE(stats::decisionLevel(0.05, 2), 0.05 / 3.0);
}

void TestDecision::powerAtDecisionLevel()
{
    // The case: n = 1000, f = 0.1, drop 0.02 at alpha/3 has power about 0.41, not 0.60.
    stats::PowerQuery q;
    q.flipRate = 0.1;
    q.alpha = stats::decisionLevel(0.05, 2);
    const double atDecision = stats::exactPower(1000, 0.02, q);
    q.alpha = 0.05;
    const double atAlpha = stats::exactPower(1000, 0.02, q);
    QVERIFY2(std::abs(atDecision - 0.41) < 0.02, qPrintable(QString::number(atDecision)));
    QVERIFY2(std::abs(atAlpha - 0.60) < 0.03, qPrintable(QString::number(atAlpha)));
}

void TestDecision::tinyPValuesSurvive()
{
    // b = 1037, c = 38: exact p = 3.95e-254 (the incomplete beta function underflows to 0 here).
    const double lnP = stats::lnBinomialUpperTailHalf(1075, 1037);
    QVERIFY(std::abs(std::exp(lnP) - 3.95e-254) < 0.01e-254);
    const auto rep = decide({ binaryTask("a", 1037, 38, 1200), binaryTask("b", 3000, 10, 3100) });
    QVERIFY(rep.tasks[0].pValue > 0.0);
    QVERIFY(rep.tasks[1].lnP < std::log(1e-300)); // below any double: only its log is left
    QVERIFY(std::isfinite(rep.tasks[1].lnP));
    // Holm keeps the order: the smaller p gets the smaller adjusted p.
    QVERIFY(rep.tasks[1].lnPHolm < rep.tasks[0].lnPHolm);
    // Fisher's X is -2 sum ln p_t, never a clamped p.
    const double x = -2.0 * (rep.tasks[0].lnP + rep.tasks[1].lnP);
    DS_COMPARE_REL(rep.aggregate.fisher.statistic, x, 1e-12);
    QVERIFY(rep.degraded);
}

void TestDecision::tinyPValuesPrinted()
{
    QCOMPARE(report::formatP(0.0, -2000.0), std::string("< 1e-300"));
    QCOMPARE(report::formatP(-0.0, 0.0), std::string("0.00e+00"));
    QCOMPARE(report::formatP(3.95e-254, std::log(3.95e-254)), std::string("3.95e-254"));
    QCOMPARE(report::formatP(0.0123, std::log(0.0123)), std::string("0.0123"));
    // Max-drop of tasks whose tails underflow: a positive p with its log, never -0.
    const std::vector<stats::TaskCounts> counts { { 3000, 10 }, { 3000, 10 } };
    const auto m = stats::maxDropTest(counts);
    QVERIFY(!std::signbit(m.pValue));
    QVERIFY(m.lnP < std::log(1e-300) && std::isfinite(m.lnP));
}

void TestDecision::intervalWithoutFlips()
{
    // No discordant pair in 500: the drop is still bounded, about +-0.76 points (DESIGN 3.2).
    const auto [lo, hi] = stats::tangoInterval(0, 0, 500);
    QVERIFY(lo < 0.0 && hi > 0.0);
    QVERIFY(std::abs(hi - 0.0076) < 0.0002);
    QVERIFY(std::abs(lo + 0.0076) < 0.0002);
    const auto rep = decide({ binaryTask("a", 0, 0, 500) });
    QCOMPARE(rep.tasks[0].intervalMethod, std::string("Tango score"));
    QVERIFY(rep.tasks[0].ciHigh > 0.007);
    QVERIFY(rep.tasks[0].upperBound > 0.0 && rep.tasks[0].upperBound < rep.tasks[0].ciHigh);
}

void TestDecision::continuousIntervalIsStudentT()
{
    // The interval of a continuous task's drop and its upper bound: Student's t on the paired
    // differences, as scipy's one-sample t interval (tests/data/stats/make_vectors.py).
    const auto cases = test::vectors().value(QStringLiteral("paired_t_interval")).toArray();
    QVERIFY(!cases.isEmpty());
    for (const auto v : cases) {
        const auto o = v.toObject();
        std::vector<double> d;
        for (const auto x : o.value(QStringLiteral("d")).toArray())
            d.push_back(x.toDouble());
        report::CompareSettings settings;
        settings.alpha = num(o, "alpha");
        const auto rep = decide({ continuousTask("t", d, std::vector<double>(d.size(), 0.0)) }, settings);
        const auto& t = rep.tasks[0];
        QCOMPARE(t.intervalMethod, std::string("Student t, mean difference"));
        const double tol = 1e-9 * (1.0 + std::abs(num(o, "high")));
        QVERIFY2(std::abs(t.ciLow - num(o, "low")) < tol, qPrintable(QString::number(t.ciLow, 'g', 17)));
        QVERIFY2(std::abs(t.ciHigh - num(o, "high")) < tol, qPrintable(QString::number(t.ciHigh, 'g', 17)));
        QVERIFY2(std::abs(t.upperBound - num(o, "upper")) < tol, qPrintable(QString::number(t.upperBound, 'g', 17)));
    }
}

void TestDecision::intervalAccountsForFlipRate()
{
    // b = 3, c = 0, n = 50: the estimate 6 points must lie inside its interval, not on its edge.
    const auto [lo, hi] = stats::tangoInterval(3, 0, 50);
    QVERIFY(lo < 0.06 && hi > 0.06 + 0.02);
    QVERIFY(lo > -0.03);
    QVERIFY(std::abs(stats::tangoZ(3, 0, 50, 0.06)) < 1e-12);
    QVERIFY(std::abs(stats::tangoZ(3, 0, 50, hi) + 1.959963984540054) < 1e-6);
}

void TestDecision::overflowIsAnError()
{
    const auto rep = decide({ continuousTask("big", { 1.5e308, 1.7e308, 1.0 }, { -1.5e308, -1.0e308, 0.0 }) });
    QVERIFY(rep.failure.has_value());
    QVERIFY2(rep.failure->message.find("overflow") != std::string::npos, rep.failure->message.c_str());
    QVERIFY(rep.failure->message.find("big") != std::string::npos);
}

void TestDecision::decimalTiesCount()
{
    // 0.7 - 0.4 and 0.3 - 0.0 are both 0.3 exactly when read as decimals.
    const auto d
        = stats::exactDifferences(std::vector<double> { 0.7, 0.3, 0.1 }, std::vector<double> { 0.4, 0.0, 0.4 }, true);
    QVERIFY(d.ok());
    QVERIFY(d.exactGrid);
    QCOMPARE(d.q[0], d.q[1]);
    QCOMPARE(d.q[2], -d.q[0]);
    QVERIFY(0.7 - 0.4 != 0.3 - 0.0); // what a floating-point difference would have missed
}

void TestDecision::fractionTiesCount()
{
    // Means over three epochs: 1 - 1/3 and 2/3 - 0 are both two thirds, though not as doubles.
    const std::vector<double> base { 1.0, 2.0 / 3.0, 0.5, 1.0 / 3.0 };
    const std::vector<double> cand { 1.0 / 3.0, 0.0, 1.0 / 6.0, 1.0 };
    QVERIFY(1.0 - 1.0 / 3.0 != 2.0 / 3.0 - 0.0); // what a floating-point difference would miss
    const auto d = stats::exactDifferences(base, cand, true);
    QVERIFY(d.ok());
    QVERIFY(d.exactGrid);
    QCOMPARE(d.q[0], d.q[1]);
    QCOMPARE(d.q[0], 2 * d.q[2]); // 1/2 - 1/6 = 1/3
    QCOMPARE(d.q[3], -d.q[0]);
    // Tiny scores are never taken for 0, nor large ones merged with a neighbour a fraction away:
    // both keep every difference.
    std::vector<double> tiny;
    for (int i = 1; i <= 20; ++i)
        tiny.push_back(i * 1e-16);
    const auto t = stats::exactDifferences(tiny, std::vector<double>(tiny.size(), 0.0), true);
    QVERIFY(t.ok());
    for (std::size_t i = 0; i < tiny.size(); ++i)
        QVERIFY2(t.q[i] > 0 && (i == 0 || t.q[i] > t.q[i - 1]), qPrintable(QString::number(i)));
    const auto big = stats::exactDifferences(
        std::vector<double> { 281474976710656.0625, 3.0 }, std::vector<double> { 281474976710656.0, 3.0 }, true);
    QVERIFY(big.ok());
    QVERIFY(big.q[0] > 0);
    QCOMPARE(big.q[1], std::int64_t { 0 });
    // Scores off every small-fraction grid keep the power-of-two grid.
    const auto off = stats::exactDifferences(
        std::vector<double> { 0.1234567891234, 2.718281828459045 }, std::vector<double> { 0.0, 1.0 }, true);
    QVERIFY(off.ok());
    QVERIFY(!off.exactGrid);
}

void TestDecision::fractionMeansMatchExactP_data()
{
    QTest::addColumn<QJsonObject>("c");
    QFile f(QString::fromStdString(test::dataPath("stats/fraction_tie_vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open tests/data/stats/fraction_tie_vectors.json");
    const auto cases = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("cases")).toArray();
    QVERIFY(cases.size() >= 5);
    for (const auto& v : cases) {
        const auto o = v.toObject();
        QTest::newRow(qPrintable(o.value(QStringLiteral("name")).toString())) << o;
    }
}

// Scores that are means of a few outcomes (made by make_fraction_tie_vectors.py, with the exact p
// of the sign-flip test from the rationals): the permutation p counts the permuted sums that tie the
// observed one, so it is the exact p where every pattern is enumerated, and the exact p lies in its
// 99% Monte Carlo interval otherwise (seed 0, reproducible).
void TestDecision::fractionMeansMatchExactP()
{
    QFETCH(QJsonObject, c);
    std::vector<double> base;
    std::vector<double> cand;
    for (const auto& v : c.value(QStringLiteral("base")).toArray())
        base.push_back(v.toDouble());
    for (const auto& v : c.value(QStringLiteral("cand")).toArray())
        cand.push_back(v.toDouble());
    const double exact = num(c, "p");
    const auto rep = decide({ continuousTask("t", base, cand) });
    QVERIFY(!rep.failure);
    const auto& t = rep.tasks[0];
    QVERIFY(t.monteCarlo);
    if (t.exhaustive) {
        QVERIFY2(
            std::abs(t.pValue - exact) < 1e-12, qPrintable(QStringLiteral("%1 vs exact %2").arg(t.pValue).arg(exact)));
    } else {
        QVERIFY2(t.pMcLow <= exact && exact <= t.pMcHigh,
            qPrintable(QStringLiteral("p %1, interval [%2, %3], exact %4")
                           .arg(t.pValue)
                           .arg(t.pMcLow)
                           .arg(t.pMcHigh)
                           .arg(exact)));
    }
    // One task: the pooled, Fisher and max-drop tests are its own test and agree with it.
    for (const auto& test : rep.permutation.tests)
        QVERIFY2(std::abs(test.pValue - t.pValue) < 1e-12,
            qPrintable(QString::fromStdString(test.name)
                + QStringLiteral(" p %1 vs task p %2").arg(test.pValue).arg(t.pValue)));
}

namespace {

// One continuous task whose sign-flip p lies near 0.05 (shift chosen for that).
eval::PairedTask nearAlpha(double shift)
{
    std::mt19937_64 rng(11);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<double> base;
    std::vector<double> cand;
    for (int i = 0; i < 400; ++i) {
        base.push_back(std::round((nd(rng) + shift) * 1e4) / 1e4);
        cand.push_back(0.0);
    }
    return continuousTask("t", base, cand);
}

} // namespace

void TestDecision::monteCarloIntervalAndExtension()
{
    // At 2000 permutations the 99% interval holds 0.05, so the permutations double (the same
    // stream continued) until it does not: 32000 here.
    report::CompareSettings s;
    s.permutations = 2000;
    s.maxPermutations = 64000;
    const auto rep = decide({ nearAlpha(0.088) }, s);
    QVERIFY(rep.permutation.present);
    const auto& t = rep.tasks[0];
    QVERIFY(t.monteCarlo);
    QVERIFY(t.pMcLow <= t.pValue && t.pValue <= t.pMcHigh);
    QCOMPARE(rep.permutation.requested, std::uint64_t { 2000 });
    QCOMPARE(rep.permutation.permutations, std::uint64_t { 32000 });
    QVERIFY(rep.stable);
    QVERIFY(!(rep.decision[0].pMcLow <= 0.05 && 0.05 <= rep.decision[0].pMcHigh));
    QVERIFY(!rep.degraded);
    // The same p as running 32000 permutations at once.
    s.permutations = 32000;
    const auto direct = decide({ nearAlpha(0.088) }, s);
    QCOMPARE(direct.tasks[0].pValue, t.pValue);

    // Closer still: the limit is reached with the interval still holding alpha, and every output
    // says the verdict depends on the seed.
    const auto unstable = decide({ nearAlpha(0.09) }, [] {
        report::CompareSettings u;
        u.permutations = 2000;
        u.maxPermutations = 64000;
        return u;
    }());
    QCOMPARE(unstable.permutation.permutations, std::uint64_t { 64000 });
    QVERIFY(!unstable.stable);
    QVERIFY(!unstable.permutation.stable);
    QVERIFY(unstable.decisionBasis.find("unstable") != std::string::npos);

    const auto [lo, hi] = stats::monteCarloInterval(0, 10000);
    QCOMPARE(lo, 0.0);
    QVERIFY(std::abs(hi - 5.2969e-4) < 1e-6);
}

void TestDecision::extensionContinuesTheStream()
{
    // Permutations [0, 300) then [300, 900) give the sums [0, 900) gives at once.
    std::vector<std::int64_t> q;
    for (int i = 0; i < 333; ++i)
        q.push_back((i * 7919) % 201 - 100);
    const std::vector<std::size_t> offsets { 0, 150, 333 };
    stats::SignFlipBatch all;
    all.count = 900;
    all.seed = 5;
    const auto whole = stats::flippedSums(q, offsets, all);
    stats::SignFlipBatch first = all;
    first.count = 300;
    stats::SignFlipBatch second = all;
    second.first = 300;
    second.count = 600;
    auto a = stats::flippedSums(q, offsets, first).sums;
    const auto b = stats::flippedSums(q, offsets, second).sums;
    a.insert(a.end(), b.begin(), b.end());
    QVERIFY(a == whole.sums);
}

void TestDecision::infiniteScoresAreWorst()
{
    // A candidate with -inf log-likelihood on 30% of documents is worse, not dropped.
    std::vector<double> base;
    std::vector<double> cand;
    for (int i = 0; i < 100; ++i) {
        base.push_back(-100.0 - i);
        cand.push_back(i % 10 < 3 ? -INFINITY : -100.0 - i + (i % 2 ? 0.5 : -0.5));
    }
    auto t = continuousTask("wikitext", base, cand);
    const auto d = stats::exactDifferences(t.base, t.cand, true);
    QVERIFY(d.ok());
    QCOMPARE(d.infinite, std::int64_t { 30 });
    const auto rep = decide({ t });
    QVERIFY(!rep.failure);
    QVERIFY(rep.degraded);
}

void TestDecision::exhaustiveSmallSuites()
{
    // Few non-zero differences: every sign pattern is enumerated, the p-values are exact.
    const auto rep = decide({ continuousTask("t", { 1.0, 2.0, 3.0, 0.5 }, { 0.0, 0.0, 0.0, 0.0 }) });
    QVERIFY(rep.permutation.exhaustive);
    QCOMPARE(rep.tasks[0].pValue, 1.0 / 16.0); // only the data itself reaches T = 6.5
    QCOMPARE(rep.tasks[0].pMcLow, rep.tasks[0].pMcHigh);
    // The combined tests are exact too: no Monte Carlo interval is shown for them.
    QCOMPARE(rep.permutation.tests.size(), std::size_t(3));
    for (const auto& t : rep.permutation.tests)
        QVERIFY2(!t.monteCarlo, t.name.c_str());
}

// Word perplexity from per-document log-likelihoods and word counts, as lm-eval aggregates it: the
// values must equal the ones lm-eval wrote in its own results files.
void TestDecision::corpusMetricInItsOwnTerms()
{
    const std::string root = test::sharedPath("lmeval_wikitext_quant/deepseek_moe_16b/lm-eval/");
    const auto base = eval::loadRun(root + "deepseek-moe-16b-chat-Baseline", {});
    const auto cand = eval::loadRun(root + "deepseek-moe-16b-chat-W4A16", {});
    if (!base.ok() || !cand.ok())
        QSKIP("the shared wikitext runs are not here");
    const auto paired = eval::pairRuns(*base.value, *cand.value);
    report::CompareSettings s;
    s.threads = 2;
    const auto rep = report::buildReport(*base.value, *cand.value, paired, s);
    QCOMPARE(rep.tasks.size(), std::size_t { 1 });
    const auto& t = rep.tasks[0];
    QCOMPARE(t.corpusMetric, std::string("word_perplexity"));
    // lm-eval's results files: word_perplexity 29.804325078343005 and 32.560828705611215.
    DS_COMPARE_REL(t.corpusBase, 29.804325078343005, 1e-9);
    DS_COMPARE_REL(t.corpusCand, 32.560828705611215, 1e-9);
    QVERIFY(t.continuous && t.delta > 0.0); // tested on log-likelihoods: the candidate is worse
    QVERIFY(rep.degraded);
}

namespace {

report::CompareSettings withMargin(const char* text)
{
    report::CompareSettings s;
    std::string error;
    if (!analysisParseMargin(text, s.margins, error))
        qFatal("%s", error.c_str());
    return s;
}

} // namespace

void TestDecision::marginVerdicts()
{
    // 5 regressions and 5 improvements in 2000: no worse than 2 points.
    auto rep = decide({ binaryTask("a", 5, 5, 2000) }, withMargin("2"));
    QCOMPARE(rep.verdict, std::string("no_worse_than_margin"));
    QVERIFY(rep.tasks[0].hasMargin);
    QCOMPARE(rep.tasks[0].margin, 0.02);
    DS_COMPARE_REL(rep.tasks[0].pNonInferiority, stats::tangoNonInferiorityP(5, 5, 2000, 0.02), 1e-15);
    QVERIFY(rep.tasks[0].pNonInferiority < 0.05);
    // A 2-point drop with a 1-point margin, not significant as a degradation: inconclusive, and no
    // number of samples would show it within the margin.
    rep = decide({ binaryTask("a", 30, 20, 500) }, withMargin("1"));
    QVERIFY(!rep.degraded);
    QCOMPARE(rep.verdict, std::string("inconclusive"));
    QCOMPARE(rep.tasks[0].samplesNeeded, std::int64_t { -1 });
    // A small drop, too few samples: inconclusive, with the samples that would do.
    rep = decide({ binaryTask("a", 6, 4, 300) }, withMargin("2"));
    QCOMPARE(rep.verdict, std::string("inconclusive"));
    QVERIFY(rep.tasks[0].samplesNeeded > 300);
    // Those samples at the same rates clear the margin (power 80%: the statistic reaches the level).
    const auto more = rep.tasks[0].samplesNeeded;
    const double z = -stats::tangoZ(6 * more / 300, 4 * more / 300, more, 0.02);
    QVERIFY2(z > 1.64, qPrintable(QString::number(z)));
    // Degraded wins over the margin.
    rep = decide({ binaryTask("a", 120, 20, 1000) }, withMargin("50"));
    QCOMPARE(rep.verdict, std::string("degraded"));
    // Per-task margins; a task without one cannot clear.
    rep = decide({ binaryTask("a", 5, 5, 2000), binaryTask("b", 5, 5, 2000) }, withMargin("a=2"));
    QCOMPARE(rep.verdict, std::string("inconclusive"));
    QVERIFY(!rep.tasks[1].hasMargin);
    // Without a margin: no evidence, never "no loss".
    rep = decide({ binaryTask("a", 5, 5, 2000) });
    QCOMPARE(rep.verdict, std::string("no_evidence"));
}

void TestDecision::badMargins()
{
    report::MarginRequest m;
    std::string error;
    QVERIFY(!analysisParseMargin("-1", m, error));
    QVERIFY(error.find("negative") != std::string::npos);
    QVERIFY(!analysisParseMargin("abc", m, error));
    QVERIFY(!analysisParseMargin("=1", m, error));
    auto rep = decide({ binaryTask("a", 5, 5, 2000) }, withMargin("nosuchtask=1"));
    QVERIFY(rep.failure && rep.failure->message.find("nosuchtask") != std::string::npos);
    rep = decide({ binaryTask("a", 5, 5, 2000) }, withMargin("1%"));
    QVERIFY(rep.failure && rep.failure->message.find("points") != std::string::npos);
    rep = decide({ binaryTask("a", 5, 5, 2000) }, withMargin("150"));
    QVERIFY(rep.failure && rep.failure->message.find("100 points") != std::string::npos);
}

void TestDecision::relativeMarginOnPerplexity()
{
    const std::string root = test::sharedPath("lmeval_wikitext_quant/deepseek_moe_16b/lm-eval/deepseek-moe-16b-chat-");
    const auto base = eval::loadRun(root + "Baseline", {});
    const auto w8a8 = eval::loadRun(root + "W8A8", {});
    const auto w4a16 = eval::loadRun(root + "W4A16", {});
    if (!base.ok() || !w8a8.ok() || !w4a16.ok())
        QSKIP("the shared wikitext runs are not here");
    auto run = [&](const eval::EvalRun& cand, const char* margin) {
        auto s = withMargin(margin);
        s.threads = 2;
        return report::buildReport(*base.value, cand, eval::pairRuns(*base.value, cand), s);
    };
    // W8A8: word perplexity 29.70 against 29.80, no worse than 1%.
    auto rep = run(*w8a8.value, "wikitext=1%");
    QVERIFY(!rep.failure);
    QCOMPARE(rep.verdict, std::string("no_worse_than_margin"));
    QVERIFY(rep.tasks[0].marginRelative);
    // W4A16: 32.56 against 29.80 (+9%): worse than the baseline, whatever the margin says.
    rep = run(*w4a16.value, "wikitext=1%");
    QCOMPARE(rep.verdict, std::string("degraded"));
    // The margin in the metric's own units: 0.5 perplexity points is about 1.7%.
    rep = run(*w8a8.value, "wikitext=0.5");
    QCOMPARE(rep.verdict, std::string("no_worse_than_margin"));
}

void TestDecision::clustersFlipTogether()
{
    // Six clusters of a continuous task: the sign-flip test flips whole clusters, so with few
    // clusters it is the exact enumeration of 2^6 cluster sign patterns.
    auto t = continuousTask("reading", {}, {});
    const std::vector<double> d { 0.5, 0.25, -0.125, 1.0, 0.75, 0.5, -0.25, 0.5, 2.0, 0.125, 0.25, -1.0 };
    for (std::size_t i = 0; i < d.size(); ++i) {
        t.base.push_back(d[i]);
        t.cand.push_back(0.0);
        t.cluster.push_back(static_cast<std::uint32_t>(i / 2));
    }
    t.clusterNames = { "p1", "p2", "p3", "p4", "p5", "p6" };
    t.clusterKey = "doc.passage";
    t.summarize();
    const auto rep = decide({ t });
    QCOMPARE(rep.method, std::string("sign-flip, studentized, clustered"));
    const auto& row = rep.tasks[0];
    QCOMPARE(row.cluster.clusters, std::int64_t { 6 });
    QCOMPARE(row.cluster.key, std::string("doc.passage"));
    // Brute force over the cluster sums.
    std::vector<double> sums(6, 0.0);
    double squares = 0.0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        sums[i / 2] += d[i];
        squares += d[i] * d[i];
    }
    double observed = 0.0;
    double clustered = 0.0;
    for (const double v : sums) {
        observed += v;
        clustered += v * v;
    }
    int atLeast = 0;
    for (int m = 0; m < 64; ++m) {
        double t2 = 0.0;
        for (int c = 0; c < 6; ++c)
            t2 += (m >> c) & 1 ? -sums[static_cast<std::size_t>(c)] : sums[static_cast<std::size_t>(c)];
        atLeast += t2 >= observed ? 1 : 0;
    }
    QCOMPARE(row.pValue, atLeast / 64.0);
    DS_COMPARE_REL(row.cluster.designEffect, clustered / squares, 1e-12);
    QVERIFY(row.exhaustive);
}

void TestDecision::noiseFloorFromBaselineReruns()
{
    // Two baseline runs that disagree on 3 of 8 questions: the noise floor beside the candidate's flips.
    QTemporaryDir dir;
    const auto base
        = test::writeFile(dir, QStringLiteral("base.csv"), "id,score\n1,1\n2,0\n3,1\n4,1\n5,0\n6,1\n7,1\n8,0\n");
    const auto rerun
        = test::writeFile(dir, QStringLiteral("base2.csv"), "id,score\n1,1\n2,1\n3,0\n4,1\n5,0\n6,1\n7,0\n8,0\n");
    const auto cand
        = test::writeFile(dir, QStringLiteral("cand.csv"), "id,score\n1,0\n2,0\n3,1\n4,1\n5,0\n6,1\n7,1\n8,0\n");
    analysis::ComparisonRequest request;
    request.base.path = base;
    request.base.reruns = { rerun };
    request.cand.path = cand;
    const backend::CpuBackend cpu;
    const auto r = analysis::runComparison(request, cpu);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->message.c_str());
    QCOMPARE(r.value->report.tasks.size(), std::size_t { 1 });
    QCOMPARE(r.value->report.tasks[0].noiseFlips, std::int64_t { 3 });
    request.base.reruns.clear();
    QCOMPARE(analysis::runComparison(request, cpu).value->report.tasks[0].noiseFlips, std::int64_t { -1 });
}

namespace {

QJsonObject marginVectors()
{
    QFile f(QString::fromStdString(test::dataPath("stats/margin_vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open tests/data/stats/margin_vectors.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

// Baseline reruns average an accuracy into 0, 0.5 and 1: a margin of 1 is still one point.
void TestDecision::averagedAccuracyMarginInPoints()
{
    QTemporaryDir dir;
    QByteArray base = "id,score\n";
    QByteArray rerun = "id,score\n";
    QByteArray cand = "id,score\n";
    for (int i = 0; i < 200; ++i) {
        const int b = i < 160 ? 1 : 0; // 80% right
        int c = b;
        if (i < 8)
            c = 0; // 8 regressions
        if (i >= 160 && i < 162)
            c = 1; // 2 improvements
        const int r = (i >= 100 && i < 110) ? 1 - b : b; // the rerun differs on 10
        base += QByteArray::number(i) + "," + QByteArray::number(b) + "\n";
        rerun += QByteArray::number(i) + "," + QByteArray::number(r) + "\n";
        cand += QByteArray::number(i) + "," + QByteArray::number(c) + "\n";
    }
    analysis::ComparisonRequest request;
    request.base.path = test::writeFile(dir, QStringLiteral("base.csv"), base);
    request.base.reruns = { test::writeFile(dir, QStringLiteral("rerun.csv"), rerun) };
    request.cand.path = test::writeFile(dir, QStringLiteral("cand.csv"), cand);
    std::string error;
    QVERIFY(analysis::parseMargin("1", request.stats.margins, error));
    const backend::CpuBackend cpu;
    const auto r = analysis::runComparison(request, cpu);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->message.c_str());
    const auto& t = r.value->report.tasks[0];
    QVERIFY(t.continuous); // averaged: 0.5 on the samples the reruns disagree on
    QCOMPARE(t.margin, 0.01);
    QVERIFY(r.value->report.verdict != "no_worse_than_margin"); // a 3-point drop is not within 1 point
    // A percentage is refused for it, as for any accuracy.
    request.stats.margins = {};
    QVERIFY(analysis::parseMargin("1%", request.stats.margins, error));
    const auto pct = analysis::runComparison(request, cpu);
    QVERIFY(!pct.ok() && pct.error->message.find("points") != std::string::npos);
}

void TestDecision::untestedTaskIsNotWithinItsMargin()
{
    eval::PairedRuns paired;
    paired.tasks.push_back(binaryTask("arc", 5, 5, 2000));
    auto s = withMargin("1");
    s.threads = 2;
    QCOMPARE(report::buildReport({}, {}, paired, s).verdict, std::string("no_worse_than_margin"));
    paired.baselineOnly.push_back("gsm8k"); // the candidate never ran it
    const auto rep = report::buildReport({}, {}, paired, s);
    QCOMPARE(rep.verdict, std::string("inconclusive"));
    QVERIFY(rep.decisionBasis.find("gsm8k") != std::string::npos);
    // A task whose every pair was left out (no scores on one side) counts the same.
    paired.baselineOnly.clear();
    paired.tasks.push_back(continuousTask("empty", {}, {}));
    QCOMPARE(report::buildReport({}, {}, paired, s).verdict, std::string("inconclusive"));
}

void TestDecision::noCertaintyFromContinuousTasks()
{
    // Identical scores, or a single pair: no interval and no bound rather than [d, d].
    auto rep = decide({ continuousTask("same", { 0.5, 0.25, 0.75 }, { 0.5, 0.25, 0.75 }) });
    QVERIFY(std::isnan(rep.tasks[0].upperBound));
    QVERIFY(std::isnan(rep.tasks[0].ciLow) && std::isnan(rep.tasks[0].ciHigh));
    rep = decide({ continuousTask("one", { 0.6 }, { 0.5 }) });
    QVERIFY(std::isnan(rep.tasks[0].upperBound));
    // An infinitely bad baseline document: the mean drop and its interval come from the finite pairs.
    std::vector<double> base;
    std::vector<double> cand;
    for (int i = 0; i < 50; ++i) {
        base.push_back(i == 0 ? -INFINITY : -100.0 - i);
        cand.push_back(-101.0 - i - (i % 3));
    }
    rep = decide({ continuousTask("wiki", base, cand) });
    QVERIFY(std::isfinite(rep.tasks[0].delta) && rep.tasks[0].delta > 0.0);
    QVERIFY(std::isfinite(rep.tasks[0].ciLow) && std::isfinite(rep.tasks[0].upperBound));
}

// Tango's statistic in closed form against the restricted likelihood maximised numerically
// (tests/data/stats/make_margin_vectors.py), on a grid including b = c = 0 and D at the drop.
void TestDecision::tangoMatchesRestrictedLikelihood()
{
    int points = 0;
    for (const auto v : marginVectors().value(QStringLiteral("tango_grid")).toArray()) {
        const auto o = v.toObject();
        const auto b = static_cast<std::int64_t>(num(o, "b"));
        const auto c = static_cast<std::int64_t>(num(o, "c"));
        const auto n = static_cast<std::int64_t>(num(o, "n"));
        const double d = num(o, "D");
        const double z = stats::tangoZ(b, c, n, d);
        const QString what = QStringLiteral("b=%1 c=%2 n=%3 D=%4: z %5 vs %6")
                                 .arg(b)
                                 .arg(c)
                                 .arg(n)
                                 .arg(d, 0, 'g', 17)
                                 .arg(z, 0, 'g', 17)
                                 .arg(num(o, "z"), 0, 'g', 17);
        QVERIFY2(std::abs(z - num(o, "z")) <= 1e-8 * std::max(1.0, std::abs(num(o, "z"))), qPrintable(what));
        QVERIFY2(std::abs(stats::tangoNonInferiorityP(b, c, n, d) - num(o, "p_ni")) <= 1e-8, qPrintable(what));
        ++points;
    }
    QVERIFY(points > 300);
}

void TestDecision::upperBoundMatchesReference()
{
    for (const auto v : marginVectors().value(QStringLiteral("upper_bound")).toArray()) {
        const auto o = v.toObject();
        const auto b = static_cast<std::int64_t>(num(o, "b"));
        const auto c = static_cast<std::int64_t>(num(o, "c"));
        const auto n = static_cast<std::int64_t>(num(o, "n"));
        const double u = stats::tangoUpperBound(b, c, n, num(o, "alpha"));
        QVERIFY2(std::abs(u - num(o, "U")) <= 1e-8,
            qPrintable(QStringLiteral("b=%1 c=%2 n=%3: %4 vs %5")
                           .arg(b)
                           .arg(c)
                           .arg(n)
                           .arg(u, 0, 'g', 17)
                           .arg(num(o, "U"), 0, 'g', 17)));
    }
}

void TestDecision::clustersMatchEnumeration()
{
    for (const auto v : marginVectors().value(QStringLiteral("cluster_exact")).toArray()) {
        const auto o = v.toObject();
        auto t = continuousTask("t", {}, {});
        std::map<int, std::uint32_t> dense;
        const auto ids = o.value(QStringLiteral("cluster")).toArray();
        const auto ds = o.value(QStringLiteral("d")).toArray();
        for (int i = 0; i < ds.size(); ++i) {
            t.base.push_back(ds[i].toString().toDouble());
            t.cand.push_back(0.0);
            const auto id = ids[i].toInt();
            const auto it = dense.emplace(id, static_cast<std::uint32_t>(dense.size())).first;
            t.cluster.push_back(it->second);
        }
        for (std::size_t k = 0; k < dense.size(); ++k)
            t.clusterNames.push_back("c" + std::to_string(k));
        t.clusterKey = "passage";
        t.summarize();
        const auto rep = decide({ t });
        QVERIFY(rep.tasks[0].exhaustive);
        DS_COMPARE_REL(rep.tasks[0].pValue, num(o, "p"), 1e-15);
        DS_COMPARE_REL(rep.tasks[0].cluster.designEffect, num(o, "design_effect"), 1e-12);
    }
}

void TestDecision::logTailsMatchExactIntegers()
{
    for (const auto v : decisionVectors().value(QStringLiteral("log_upper_tail")).toArray()) {
        const auto o = v.toObject();
        const auto n = static_cast<std::int64_t>(num(o, "n"));
        const auto k = static_cast<std::int64_t>(num(o, "k"));
        const double expected = num(o, "ln_p");
        const double got = stats::lnBinomialUpperTailHalf(n, k);
        QVERIFY2(std::abs(got - expected) <= 1e-9 * std::max(1.0, std::abs(expected)),
            qPrintable(
                QStringLiteral("n=%1 k=%2: %3 vs %4").arg(n).arg(k).arg(got, 0, 'g', 17).arg(expected, 0, 'g', 17)));
    }
}

void TestDecision::fisherAndMaxDropInLogs()
{
    const auto vec = decisionVectors();
    auto countsOf = [](const QJsonArray& a) {
        std::vector<stats::TaskCounts> c;
        for (const auto t : a)
            c.push_back({ t.toArray()[0].toInteger(), t.toArray()[1].toInteger() });
        return c;
    };
    for (const auto v : vec.value(QStringLiteral("fisher_log")).toArray()) {
        const auto o = v.toObject();
        const auto f = stats::fisherTest(countsOf(o.value(QStringLiteral("tasks")).toArray()));
        DS_COMPARE_REL(f.statistic, num(o, "x"), 1e-10);
        QCOMPARE(f.df, o.value(QStringLiteral("df")).toInt());
        QVERIFY2(std::abs(f.lnP - num(o, "ln_p")) <= 1e-8 * std::max(1.0, std::abs(num(o, "ln_p"))),
            qPrintable(QStringLiteral("%1 vs %2").arg(f.lnP, 0, 'g', 17).arg(num(o, "ln_p"), 0, 'g', 17)));
    }
    for (const auto v : vec.value(QStringLiteral("max_drop_log")).toArray()) {
        const auto o = v.toObject();
        const auto m = stats::maxDropTest(countsOf(o.value(QStringLiteral("tasks")).toArray()));
        DS_COMPARE_REL(m.statistic, num(o, "max_z"), 1e-12);
        QVERIFY2(std::abs(m.lnP - num(o, "ln_p")) <= 1e-8 * std::max(1.0, std::abs(num(o, "ln_p"))),
            qPrintable(QStringLiteral("%1 vs %2").arg(m.lnP, 0, 'g', 17).arg(num(o, "ln_p"), 0, 'g', 17)));
        QVERIFY(!std::signbit(m.pValue));
    }
}

void TestDecision::holmInLogs()
{
    const auto o = decisionVectors().value(QStringLiteral("holm_log")).toObject();
    std::vector<double> lnP;
    for (const auto v : o.value(QStringLiteral("ln_p")).toArray())
        lnP.push_back(v.toDouble());
    const auto adjusted = stats::holmAdjustLog(lnP);
    const auto expected = o.value(QStringLiteral("ln_adjusted")).toArray();
    QCOMPARE(adjusted.size(), static_cast<std::size_t>(expected.size()));
    for (std::size_t i = 0; i < adjusted.size(); ++i)
        QVERIFY(std::abs(adjusted[i] - expected[static_cast<int>(i)].toDouble())
            < 1e-9 * std::max(1.0, std::abs(adjusted[i])));
}

void TestDecision::tangoMatchesReference()
{
    for (const auto v : decisionVectors().value(QStringLiteral("tango")).toArray()) {
        const auto o = v.toObject();
        const auto b = static_cast<std::int64_t>(num(o, "b"));
        const auto c = static_cast<std::int64_t>(num(o, "c"));
        const auto n = static_cast<std::int64_t>(num(o, "n"));
        const auto [lo, hi] = stats::tangoInterval(b, c, n);
        const QString what = QStringLiteral("b=%1 c=%2 n=%3").arg(b).arg(c).arg(n);
        QVERIFY2(std::abs(lo - num(o, "lo")) < 1e-7, qPrintable(what + QStringLiteral(" lo %1").arg(lo, 0, 'g', 12)));
        QVERIFY2(std::abs(hi - num(o, "hi")) < 1e-7, qPrintable(what + QStringLiteral(" hi %1").arg(hi, 0, 'g', 12)));
        const double u = stats::tangoUpperBound(b, c, n, num(o, "alpha"));
        QVERIFY2(std::abs(u - num(o, "upper")) < 1e-7, qPrintable(what + QStringLiteral(" U %1").arg(u, 0, 'g', 12)));
        for (const auto m : o.value(QStringLiteral("margins")).toArray()) {
            const auto mo = m.toObject();
            QVERIFY2(std::abs(stats::tangoZ(b, c, n, num(mo, "D")) - num(mo, "z")) < 1e-8, qPrintable(what));
            QVERIFY2(std::abs(stats::tangoNonInferiorityP(b, c, n, num(mo, "D")) - num(mo, "p_ni")) < 1e-9,
                qPrintable(what));
        }
    }
}

void TestDecision::powerMatchesReference()
{
    for (const auto v : decisionVectors().value(QStringLiteral("power_decision")).toArray()) {
        const auto o = v.toObject();
        stats::PowerQuery q;
        q.alpha = stats::decisionLevel(num(o, "alpha"), o.value(QStringLiteral("tasks")).toInt());
        DS_COMPARE_REL(q.alpha, num(o, "level"), 1e-15);
        q.power = num(o, "power");
        q.flipRate = num(o, "f");
        const auto n = static_cast<std::int64_t>(num(o, "n"));
        DS_COMPARE_REL(stats::minimumDetectableDrop(n, q), num(o, "mdd"), 1e-10);
        QCOMPARE(stats::samplesNeeded(num(o, "drop"), q), static_cast<std::int64_t>(num(o, "needed")));
        DS_COMPARE_REL(stats::exactPower(n, num(o, "drop"), q), num(o, "exact_power"), 1e-7);
    }
}

namespace {

struct SuiteQ {
    std::vector<std::int64_t> q;
    std::vector<std::size_t> offsets { 0 };
};

// Decimal strings to exact integers, task by task (the same rule as the loader's scores).
SuiteQ suiteOf(const QJsonArray& tasks)
{
    SuiteQ s;
    for (const auto t : tasks) {
        std::vector<double> d;
        for (const auto v : t.toArray())
            d.push_back(v.toString().toDouble());
        const auto e = stats::exactDifferences(d, std::vector<double>(d.size(), 0.0), true);
        s.q.insert(s.q.end(), e.q.begin(), e.q.end());
        s.offsets.push_back(s.q.size());
    }
    return s;
}

stats::SumsSource cpuSource(const std::vector<std::int64_t>& q, const std::vector<std::size_t>& offsets)
{
    return [&q, &offsets](const stats::SignFlipBatch& b) {
        Result<stats::FlippedSums> r;
        r.value = stats::flippedSums(q, offsets, b);
        return r;
    };
}

} // namespace

void TestDecision::combinationMatchesEnumeration()
{
    for (const auto v : decisionVectors().value(QStringLiteral("npc_exact")).toArray()) {
        const auto o = v.toObject();
        const auto s = suiteOf(o.value(QStringLiteral("tasks")).toArray());
        stats::CombinationOptions co;
        const auto r = stats::combineTasks(s.q, s.offsets, co, cpuSource(s.q, s.offsets));
        QVERIFY(r.ok());
        QVERIFY(r.value->exhaustive);
        const auto pt = o.value(QStringLiteral("p_task")).toArray();
        for (int t = 0; t < pt.size(); ++t)
            DS_COMPARE_REL(r.value->task[static_cast<std::size_t>(t)].pValue, pt[t].toDouble(), 1e-12);
        auto check = [&](const char* key, const stats::CountedP& got) {
            const auto e = o.value(QLatin1String(key)).toObject();
            DS_COMPARE_REL(got.pValue, num(e, "p"), 1e-12);
            QVERIFY2(std::abs(got.statistic - num(e, "stat")) < 1e-9 * std::max(1.0, std::abs(got.statistic)), key);
        };
        check("stouffer", r.value->pooled);
        check("fisher", r.value->fisher);
        check("max", r.value->maxZ);
    }
}

void TestDecision::combinationMatchesStreamReplay()
{
    for (const auto v : decisionVectors().value(QStringLiteral("npc_stream")).toArray()) {
        const auto o = v.toObject();
        const auto s = suiteOf(o.value(QStringLiteral("tasks")).toArray());
        stats::CombinationOptions co;
        co.permutations = static_cast<std::uint64_t>(num(o, "permutations"));
        co.maxPermutations = co.permutations; // no extension: the replay ran exactly P
        co.seed = static_cast<std::uint64_t>(o.value(QStringLiteral("seed")).toInteger());
        co.exhaustiveLimit = 0;
        const auto r = stats::combineTasks(s.q, s.offsets, co, cpuSource(s.q, s.offsets));
        QVERIFY(r.ok());
        const auto hits = o.value(QStringLiteral("hits")).toObject();
        QCOMPARE(r.value->pooled.hits, static_cast<std::uint64_t>(hits.value(QStringLiteral("stouffer")).toInteger()));
        QCOMPARE(r.value->fisher.hits, static_cast<std::uint64_t>(hits.value(QStringLiteral("fisher")).toInteger()));
        QCOMPARE(r.value->maxZ.hits, static_cast<std::uint64_t>(hits.value(QStringLiteral("max")).toInteger()));
        const auto th = o.value(QStringLiteral("task_hits")).toArray();
        for (int t = 0; t < th.size(); ++t)
            QCOMPARE(r.value->task[static_cast<std::size_t>(t)].hits, static_cast<std::uint64_t>(th[t].toInteger()));
        const auto mc = o.value(QStringLiteral("mc99")).toObject().value(QStringLiteral("stouffer")).toArray();
        DS_COMPARE_REL(r.value->pooled.mcLow, mc[0].toDouble(), 1e-9);
        DS_COMPARE_REL(r.value->pooled.mcHigh, mc[1].toDouble(), 1e-9);
    }
}

QTEST_GUILESS_MAIN(TestDecision)
#include "tst_decision.moc"
