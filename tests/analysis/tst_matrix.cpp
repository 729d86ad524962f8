// SPDX-License-Identifier: GPL-3.0-or-later
// Many candidates against one baseline, costs and the expert-budget frontier (core/analysis/Matrix.h,
// Frontier.h). Reference values for the constructed matrix come from
// tests/data/analysis/matrix/make_matrix_vectors.py (scipy, its own Holm and tier code).
#include "CliRun.h"
#include "TestData.h"
#include "analysis/CandidateCosts.h"
#include "analysis/Comparison.h"
#include "analysis/Frontier.h"
#include "analysis/Matrix.h"
#include "analysis/MatrixWriters.h"
#include "backend/CpuBackend.h"
#include "moe/SynthTrace.h"
#include "report/ReportWriters.h"

#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <cmath>
#include <limits>
#include <random>

using namespace deltascope;

namespace {

const backend::CpuBackend& cpu()
{
    static const backend::CpuBackend b;
    return b;
}

analysis::SideRequest side(const std::string& path)
{
    analysis::SideRequest s;
    s.path = path;
    return s;
}

std::string wikitext(const char* rel)
{
    return test::sharedPath((std::string("lmeval_wikitext_quant/") + rel).c_str());
}

// A comparison report as JSON without the candidate's path (a split folder names the run's own
// folder, the separate comparison the folder the user gave).
QJsonObject reportJson(const report::ComparisonReport& r)
{
    auto o = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(r))).object();
    auto cand = o.value(QStringLiteral("candidate")).toObject();
    cand.remove(QStringLiteral("path"));
    o.insert(QStringLiteral("candidate"), cand);
    return o;
}

QJsonObject matrixVectors()
{
    QFile f(QString::fromStdString(test::dataPath("analysis/matrix/matrix_vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open tests/data/analysis/matrix/matrix_vectors.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

analysis::MatrixRequest constructedRequest(const QStringList& names)
{
    analysis::MatrixRequest r;
    r.base = side(test::dataPath("analysis/matrix/base.csv"));
    for (const auto& n : names)
        r.candidates.push_back(side(test::dataPath("analysis/matrix") + "/" + n.toStdString() + ".csv"));
    return r;
}

const analysis::MatrixCandidate& named(const analysis::MatrixResult& r, const std::string& name)
{
    for (const auto& c : r.candidates)
        if (c.name == name)
            return c;
    qFatal("no candidate named %s", name.c_str());
}

// One right/wrong task of n samples; the candidate at budget M regresses a right answer with a
// probability that grows as M shrinks below the number of experts, and improves a wrong one rarely.
struct BudgetTables {
    QTemporaryDir dir;
    std::string base;
    std::vector<std::pair<int, std::string>> cands; // budget, path
};

void writeBudgetTables(BudgetTables& t, const std::vector<int>& budgets, int experts, int n)
{
    std::mt19937 rng(7);
    auto uniform = [&] { return static_cast<double>(rng()) / 4294967296.0; };
    std::vector<int> base(static_cast<std::size_t>(n));
    QByteArray csv("doc_id,score\n");
    for (int i = 0; i < n; ++i) {
        base[static_cast<std::size_t>(i)] = uniform() < 0.7 ? 1 : 0;
        csv += QByteArray::number(i) + ',' + QByteArray::number(base[static_cast<std::size_t>(i)]) + '\n';
    }
    t.base = test::writeFile(t.dir, QStringLiteral("task_base.csv"), csv);
    for (const int m : budgets) {
        const double shortfall = static_cast<double>(experts - m) / static_cast<double>(experts);
        const double regress = 0.005 + 0.4 * std::pow(shortfall, 4.0);
        QByteArray c("doc_id,score\n");
        for (int i = 0; i < n; ++i) {
            const double u = uniform();
            int s = base[static_cast<std::size_t>(i)];
            if (s == 1 && u < regress / 0.7)
                s = 0;
            else if (s == 0 && u < 0.005 / 0.3)
                s = 1;
            c += QByteArray::number(i) + ',' + QByteArray::number(s) + '\n';
        }
        t.cands.emplace_back(m, test::writeFile(t.dir, QStringLiteral("task_m%1.csv").arg(m), c));
    }
}

} // namespace

class TestMatrix : public QObject {
    Q_OBJECT

private slots:
    // The matrix on the real wikitext runs: each candidate's report equals a separate comparison,
    // field by field; a folder of several models' runs is split, the baseline's run left out.
    void realWikitextEqualsCompare_data()
    {
        QTest::addColumn<QString>("base");
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QStringList>("runs");
        QTest::addColumn<QString>("margin");
        QTest::newRow("deepseek") << QString::fromStdString(
            wikitext("deepseek_moe_16b/lm-eval/deepseek-moe-16b-chat-Baseline"))
                                  << QString::fromStdString(wikitext("deepseek_moe_16b/lm-eval"))
                                  << QStringList { QStringLiteral("deepseek-moe-16b-chat-FP8"),
                                         QStringLiteral("deepseek-moe-16b-chat-W4A16"),
                                         QStringLiteral("deepseek-moe-16b-chat-W8A8") }
                                  << QString();
        QTest::newRow("llama, margin 1%")
            << QString::fromStdString(wikitext("llama_3.2_1B/lm-eval/Llama-3.2-1B-Instruct-Baseline"))
            << QString::fromStdString(wikitext("llama_3.2_1B/lm-eval"))
            << QStringList { QStringLiteral("Llama-3.2-1B-Instruct-FP8"), QStringLiteral("Llama-3.2-1B-Instruct-W8A8") }
            << QStringLiteral("1%");
    }
    void realWikitextEqualsCompare()
    {
        QFETCH(QString, base);
        QFETCH(QString, folder);
        QFETCH(QStringList, runs);
        QFETCH(QString, margin);
        if (!QFileInfo::exists(base))
            QSKIP("the real wikitext runs are not here");
        analysis::MatrixRequest request;
        request.base = side(base.toStdString());
        request.candidates.push_back(side(folder.toStdString()));
        std::string error;
        if (!margin.isEmpty())
            QVERIFY(analysis::parseMargin(margin.toStdString(), request.stats.margins, error));
        auto m = analysis::runMatrix(request, cpu());
        QVERIFY2(m.ok(), m.ok() ? "" : m.error->toString().c_str());
        QCOMPARE(m.value->candidates.size(), static_cast<std::size_t>(runs.size()));
        std::vector<double> decisionP;
        for (const auto& run : runs) {
            const auto& c = named(*m.value, run.toStdString());
            analysis::ComparisonRequest alone;
            alone.base = request.base;
            alone.cand = side(QString(folder + QLatin1Char('/') + run).toStdString());
            alone.stats = request.stats;
            auto one = analysis::runComparison(alone, cpu());
            QVERIFY(one.ok());
            const auto& a = c.comparison.report;
            const auto& b = one.value->report;
            QCOMPARE(reportJson(a), reportJson(b));
            QCOMPARE(a.verdict, b.verdict);
            QCOMPARE(a.degraded, b.degraded);
            QCOMPARE(a.tasks.size(), b.tasks.size());
            for (std::size_t t = 0; t < a.tasks.size(); ++t) {
                QCOMPARE(a.tasks[t].delta, b.tasks[t].delta);
                QCOMPARE(a.tasks[t].ciLow, b.tasks[t].ciLow);
                QCOMPARE(a.tasks[t].ciHigh, b.tasks[t].ciHigh);
                QCOMPARE(a.tasks[t].pValue, b.tasks[t].pValue);
                QCOMPARE(a.tasks[t].pNonInferiority, b.tasks[t].pNonInferiority);
                QCOMPARE(a.tasks[t].upperBound, b.tasks[t].upperBound);
                QCOMPARE(a.tasks[t].corpusCand, b.tasks[t].corpusCand);
            }
            QCOMPARE(a.decision.size(), b.decision.size());
            for (std::size_t d = 0; d < a.decision.size(); ++d)
                QCOMPARE(a.decision[d].pValue, b.decision[d].pValue);
            // One task: the decision p is the task's p, uncorrected within the comparison.
            QCOMPARE(c.decisionP, b.decision.front().pValue);
            decisionP.push_back(c.decisionP);
            // The table's cell holds the same numbers.
            QCOMPARE(m.value->rows.size(), std::size_t { 1 });
            const auto idx = static_cast<std::size_t>(&c - m.value->candidates.data());
            QCOMPARE(m.value->rows[0].cells[idx].delta, b.tasks[0].delta);
        }
        // Holm across candidates: the smallest decision p times the number of candidates, at least.
        const double smallest = *std::min_element(decisionP.begin(), decisionP.end());
        double smallestAdjusted = 1.0;
        for (const auto& c : m.value->candidates)
            smallestAdjusted = std::min(smallestAdjusted, c.decisionPAdjusted);
        QCOMPARE(smallestAdjusted, std::min(1.0, smallest * static_cast<double>(runs.size())));
    }

    void constructedMatchesReference()
    {
        const auto ref = matrixVectors();
        const double alpha = ref.value(QStringLiteral("alpha")).toDouble();
        auto m = analysis::runMatrix(constructedRequest({ QStringLiteral("twin_a"), QStringLiteral("twin_b"),
                                         QStringLiteral("mild"), QStringLiteral("bad") }),
            cpu());
        QVERIFY2(m.ok(), m.ok() ? "" : m.error->toString().c_str());
        const auto& r = *m.value;
        QCOMPARE(r.candidates.size(), std::size_t { 4 });
        for (const auto v : ref.value(QStringLiteral("candidates")).toArray()) {
            const auto o = v.toObject();
            const auto& c = named(r, o.value(QStringLiteral("name")).toString().toStdString());
            DS_COMPARE_REL(c.decisionP, o.value(QStringLiteral("decision_p")).toDouble(), 1e-9);
            DS_COMPARE_REL(c.decisionPAdjusted, o.value(QStringLiteral("decision_p_holm")).toDouble(), 1e-9);
            DS_COMPARE_REL(c.score, o.value(QStringLiteral("score")).toDouble(), 1e-12);
            QCOMPARE(c.verdict == "degraded", o.value(QStringLiteral("degraded")).toBool());
            QCOMPARE(c.tier, o.value(QStringLiteral("tier")).toInt());
            QCOMPARE(c.wins, o.value(QStringLiteral("wins")).toInt());
        }
        const auto pairs = ref.value(QStringLiteral("pairs")).toArray();
        QCOMPARE(r.pairs.size(), static_cast<std::size_t>(pairs.size()));
        for (std::size_t k = 0; k < r.pairs.size(); ++k) {
            const auto o = pairs[static_cast<qsizetype>(k)].toObject();
            const auto& p = r.pairs[k];
            QCOMPARE(QString::fromStdString(r.candidates[static_cast<std::size_t>(p.a)].name),
                o.value(QStringLiteral("a")).toString());
            QCOMPARE(QString::fromStdString(r.candidates[static_cast<std::size_t>(p.b)].name),
                o.value(QStringLiteral("b")).toString());
            QCOMPARE(p.method, std::string("McNemar, exact"));
            QCOMPARE(p.aBetter, o.value(QStringLiteral("a_better")).toInteger());
            QCOMPARE(p.bBetter, o.value(QStringLiteral("b_better")).toInteger());
            DS_COMPARE_REL(p.pValue, o.value(QStringLiteral("p")).toDouble(), 1e-9);
            DS_COMPARE_REL(p.pHolm, o.value(QStringLiteral("p_holm")).toDouble(), 1e-9);
            QCOMPARE(p.separated, o.value(QStringLiteral("separated")).toBool());
        }
        // Two candidates identical in distribution share a tier; a clearly worse one is below it.
        QCOMPARE(named(r, "twin_a").tier, named(r, "twin_b").tier);
        QCOMPARE(named(r, "twin_a").tier, 1);
        QVERIFY(named(r, "bad").tier > named(r, "mild").tier);
        QCOMPARE(r.verdict, std::string("degraded"));
        QCOMPARE(analysis::matrixExitCode(r), 1);
        QVERIFY(alpha > 0.0);
    }

    // Sign-flip pairs on continuous scores (log-likelihoods): two candidates with the same noise
    // around the baseline keep one tier, a shifted one goes below.
    void continuousTiers()
    {
        QTemporaryDir dir;
        std::mt19937 rng(11);
        std::normal_distribution<double> noise(0.0, 1.0);
        QByteArray base("doc_id,score\n"), a = base, b = base, worse = base;
        for (int i = 0; i < 300; ++i) {
            const double s = -3.0 + 0.5 * noise(rng);
            base += QByteArray::number(i) + ',' + QByteArray::number(s, 'g', 12) + '\n';
            a += QByteArray::number(i) + ',' + QByteArray::number(s + 0.1 * noise(rng), 'g', 12) + '\n';
            b += QByteArray::number(i) + ',' + QByteArray::number(s + 0.1 * noise(rng), 'g', 12) + '\n';
            worse += QByteArray::number(i) + ',' + QByteArray::number(s - 0.3 + 0.1 * noise(rng), 'g', 12) + '\n';
        }
        analysis::MatrixRequest r;
        r.base = side(test::writeFile(dir, QStringLiteral("ll_base.csv"), base));
        r.candidates = { side(test::writeFile(dir, QStringLiteral("ll_a.csv"), a)),
            side(test::writeFile(dir, QStringLiteral("ll_b.csv"), b)),
            side(test::writeFile(dir, QStringLiteral("ll_worse.csv"), worse)) };
        r.stats.permutations = 2000;
        auto m = analysis::runMatrix(r, cpu());
        QVERIFY2(m.ok(), m.ok() ? "" : m.error->toString().c_str());
        QCOMPARE(m.value->pairs.front().method, std::string("sign-flip, studentized"));
        QCOMPARE(named(*m.value, "ll_a").tier, named(*m.value, "ll_b").tier);
        QVERIFY(named(*m.value, "ll_worse").tier > named(*m.value, "ll_a").tier);
        QCOMPARE(named(*m.value, "ll_worse").verdict, std::string("degraded"));
        QVERIFY(m.value->warnings.empty());

        // So few permutations that the Monte Carlo error decides the corrected verdict: said.
        r.stats.permutations = 20;
        r.stats.maxPermutations = 20;
        auto few = analysis::runMatrix(r, cpu());
        QVERIFY(few.ok());
        QCOMPARE(few.value->warnings.size(), std::size_t { 1 });
        QVERIFY(few.value->warnings.front().message.starts_with("ll_worse: "));
        QVERIFY(few.value->warnings.front().message.find("permutation seed") != std::string::npos);
    }

    void alphaPerCandidateKeepsEachVerdict()
    {
        auto request = constructedRequest({ QStringLiteral("twin_a"), QStringLiteral("mild"), QStringLiteral("bad") });
        std::string error;
        QVERIFY(analysis::parseMargin("6", request.stats.margins, error));
        request.alphaPerCandidate = true;
        auto m = analysis::runMatrix(request, cpu());
        QVERIFY(m.ok());
        for (const auto& c : m.value->candidates) {
            QCOMPARE(c.verdict, c.comparison.report.verdict);
            QCOMPARE(c.decisionPAdjusted, c.decisionP);
        }
        QCOMPARE(named(*m.value, "twin_a").verdict, std::string("no_worse_than_margin"));
        // With the correction, "no worse" needs the largest p_ni times the Holm factor below alpha.
        request.alphaPerCandidate = false;
        auto h = analysis::runMatrix(request, cpu());
        QVERIFY(h.ok());
        const auto& twin = named(*h.value, "twin_a");
        QVERIFY(twin.nonInferiorityPAdjusted >= twin.nonInferiorityP);
        QCOMPARE(
            twin.verdict, std::string(twin.nonInferiorityPAdjusted < 0.05 ? "no_worse_than_margin" : "inconclusive"));
    }

    void paretoFront_data()
    {
        QTest::addColumn<QList<double>>("costs");
        QTest::addColumn<QList<double>>("drops");
        QTest::addColumn<bool>("higherIsBetter");
        QTest::addColumn<QList<bool>>("front");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        QTest::newRow("chain and a dominated point") << QList<double> { 4, 8, 16, 8 } << QList<double> { 3, 1, 0, 2 }
                                                     << false << QList<bool> { true, true, true, false };
        QTest::newRow("throughput: more is cheaper") << QList<double> { 100, 200, 150 } << QList<double> { 0, 1, 2 }
                                                     << true << QList<bool> { true, true, false };
        QTest::newRow("equal points both stay")
            << QList<double> { 4, 4, 5 } << QList<double> { 1, 1, 1 } << false << QList<bool> { true, true, false };
        QTest::newRow("no cost: off the plane")
            << QList<double> { nan, 4, 8 } << QList<double> { -5, 1, 0 } << false << QList<bool> { false, true, true };
        QTest::newRow("same cost, lower drop wins")
            << QList<double> { 4, 4 } << QList<double> { 1, 0.5 } << false << QList<bool> { false, true };
    }
    void paretoFront()
    {
        QFETCH(QList<double>, costs);
        QFETCH(QList<double>, drops);
        QFETCH(bool, higherIsBetter);
        QFETCH(QList<bool>, front);
        std::vector<analysis::ParetoPoint> pts;
        for (qsizetype i = 0; i < costs.size(); ++i)
            pts.push_back({ costs[i], drops[i] });
        const auto got = analysis::paretoFront(pts, higherIsBetter);
        QCOMPARE(got.size(), pts.size());
        for (qsizetype i = 0; i < front.size(); ++i)
            QCOMPARE(bool(got[static_cast<std::size_t>(i)]), front[i]);
    }

    void costTable()
    {
        QTemporaryDir dir;
        const auto good = test::writeFile(dir, QStringLiteral("costs.csv"),
            "name,bits_per_weight,throughput,my_cost\ntwin_a,8,1200,\n\"bad\",4,1500,2.5\n");
        auto t = analysis::loadCostTable(good);
        QVERIFY2(t.ok(), t.ok() ? "" : t.error->toString().c_str());
        QCOMPARE(t.value->columns.size(), std::size_t { 3 });
        QVERIFY(t.value->columns[1].higherIsBetter);
        QCOMPARE(t.value->columns[0].unit, std::string("bits"));
        const std::vector<std::string> a { "twin_a" }, b { "bad" };
        QCOMPARE(t.value->value(a, "bits_per_weight"), 8.0);
        QVERIFY(std::isnan(t.value->value(a, "my_cost")));
        QCOMPARE(t.value->value(b, "my_cost"), 2.5);

        const auto bad = test::writeFile(dir, QStringLiteral("bad.csv"), "name,memory_gb\nx,12\ny,twelve\n");
        auto e = analysis::loadCostTable(bad);
        QVERIFY(!e.ok());
        QCOMPARE(e.error->line, std::int64_t { 3 });
        QVERIFY(e.error->file == bad);
        QVERIFY(e.error->message.find("twelve") != std::string::npos);
        QVERIFY(!analysis::loadCostTable(test::writeFile(dir, QStringLiteral("one.csv"), "name\nx\n")).ok());
        QVERIFY(!analysis::loadCostTable(test::writeFile(dir, QStringLiteral("dup.csv"), "n,c\nx,1\nx,2\n")).ok());
        QVERIFY(!analysis::loadCostTable(test::writeFile(dir, QStringLiteral("wide.csv"), "n,c\nx,1,2\n")).ok());
        QVERIFY(!analysis::loadCostTable(dir.filePath(QStringLiteral("missing.csv")).toStdString()).ok());

        analysis::CostTable c;
        std::string error;
        QVERIFY(analysis::parseCost("mild=4.5", "bits_per_weight", c, error));
        QVERIFY(!analysis::parseCost("mild", "bits_per_weight", c, error));
        QVERIFY(!analysis::parseCost("mild=abc", "bits_per_weight", c, error));
        QVERIFY(!analysis::parseCost("=3", "bits_per_weight", c, error));
        const std::vector<std::string> mild { "mild" };
        QCOMPARE(c.value(mild, "bits_per_weight"), 4.5);
    }

    void costsReachTheCandidatesAndThePlot()
    {
        auto request = constructedRequest({ QStringLiteral("twin_a"), QStringLiteral("mild"), QStringLiteral("bad") });
        std::string error;
        QVERIFY(analysis::parseCost("twin_a=8", "bits_per_weight", request.costs, error));
        QVERIFY(analysis::parseCost("mild=6", "bits_per_weight", request.costs, error));
        QVERIFY(analysis::parseCost("bad=4", "bits_per_weight", request.costs, error));
        QVERIFY(analysis::parseCost("nobody=4", "bits_per_weight", request.costs, error));
        auto m = analysis::runMatrix(request, cpu());
        QVERIFY(m.ok());
        QCOMPARE(named(*m.value, "mild").costs.front(), 6.0);
        QCOMPARE(m.value->warnings.size(), std::size_t { 1 }); // "nobody" names no candidate
        const auto pts = analysis::frontierPlot(*m.value, 0, "bits_per_weight");
        QCOMPARE(pts.size(), std::size_t { 3 });
        for (const auto& p : pts)
            QVERIFY(p.pareto); // each is cheaper and worse than the one before
        const auto svg = analysis::frontierSvg(*m.value, 0, "bits_per_weight");
        QVERIFY(svg.starts_with("<svg"));
        QVERIFY(analysis::matrixHtml(*m.value, { "bits_per_weight" }).find("<svg") != std::string::npos);
        const auto json = QJsonDocument::fromJson(QByteArray::fromStdString(analysis::matrixJson(*m.value)));
        QVERIFY(json.isObject());
        QCOMPARE(json.object().value(QStringLiteral("candidates")).toArray().size(), 3);
    }

    // The frontier picks the budget a brute-force loop over separate comparisons and separate
    // expert-sharing runs picks, and reports the same savings.
    // With --cluster the candidates are compared cluster by cluster: 40 clusters of 10 identical items,
    // a equal to the baseline, b losing 5 whole clusters. Per item that is 50 against 0 (p ~ 1e-15);
    // per cluster 5 against 0, whose exact two-sided p is 2 / 2^5 = 0.0625: not separated, one tier.
    void pairwiseTestsFlipWholeClusters()
    {
        QTemporaryDir dir;
        std::string base = "id,score,grp\n", a = base, b = base;
        for (int i = 0; i < 400; ++i) {
            const int g = i / 10;
            const std::string row = std::to_string(i) + ",1,g" + std::to_string(g) + "\n";
            base += row;
            a += row;
            b += std::to_string(i) + (g < 5 ? ",0,g" : ",1,g") + std::to_string(g) + "\n";
        }
        analysis::MatrixRequest r;
        r.base = side(test::writeFile(dir, QStringLiteral("base.csv"), QByteArray::fromStdString(base)));
        r.candidates = { side(test::writeFile(dir, QStringLiteral("a.csv"), QByteArray::fromStdString(a))),
            side(test::writeFile(dir, QStringLiteral("b.csv"), QByteArray::fromStdString(b))) };
        for (auto* s : { &r.base, &r.candidates[0], &r.candidates[1] })
            s->load.clusterKey = "grp";
        auto m = analysis::runMatrix(r, cpu());
        QVERIFY2(m.ok(), m.ok() ? "" : m.error->toString().c_str());
        QCOMPARE(m.value->pairs.size(), std::size_t(1));
        const auto& p = m.value->pairs[0];
        QCOMPARE(p.method, std::string("sign-flip over clusters"));
        QCOMPARE(p.n, std::int64_t(400));
        QVERIFY2(p.pValue > 0.05 && p.pValue < 0.08, std::to_string(p.pValue).c_str()); // 0.0625 up to Monte Carlo
        QVERIFY(!p.separated);
        QCOMPARE(m.value->candidates[0].tier, m.value->candidates[1].tier);
        // Without the clusters the same data separate them.
        for (auto* s : { &r.base, &r.candidates[0], &r.candidates[1] })
            s->load.clusterKey.clear();
        auto flat = analysis::runMatrix(r, cpu());
        QVERIFY(flat.ok());
        QVERIFY(flat.value->pairs[0].separated);
    }

    // A cost or budget may name a candidate by the end of its name when that end is unique.
    void candidatesNamedByTheirEnd()
    {
        std::vector<analysis::MatrixCandidate> c(4);
        c[0].name = "deepseek-moe-16b-chat-FP8";
        c[1].name = "deepseek-moe-16b-chat-W8A8";
        c[2].name = "llama-W8A8";
        c[3].name = "xFP8"; // no separator before the end: not named by "FP8"
        c[3].givenAs = "runs/xfp8";
        using V = std::vector<std::size_t>;
        QCOMPARE(analysis::candidatesNamed(c, "FP8"), V { 0 });
        QCOMPARE(analysis::candidatesNamed(c, "W8A8"), (V { 1, 2 })); // ambiguous
        QCOMPARE(analysis::candidatesNamed(c, "chat-W8A8"), V { 1 });
        QCOMPARE(analysis::candidatesNamed(c, "xFP8"), V { 3 }); // exact wins
        QCOMPARE(analysis::candidatesNamed(c, "runs/xfp8"), V { 3 });
        QCOMPARE(analysis::candidatesNamed(c, "8"), V {});
        QCOMPARE(analysis::candidatesNamed(c, ""), V {});
    }

    // The walk from the largest budget down stops at the first failure: a smaller budget that passes
    // after it is not claimed, and two runs at one budget must both pass.
    void frontierWalksFromTheLargestBudget()
    {
        auto point = [](int budget, bool passes) {
            analysis::FrontierPoint p;
            p.budget = budget;
            p.passes = passes;
            return p;
        };
        std::vector<analysis::FrontierPoint> pts { point(2, true), point(3, false), point(4, true), point(8, true),
            point(6, true) };
        auto chosen = analysis::smallestAcceptable(pts);
        QVERIFY(chosen);
        QCOMPARE(pts[*chosen].budget, 4);
        QCOMPARE(pts[0].acceptable, false); // passes alone, after 3 failed
        QCOMPARE(pts[1].acceptable, false);
        QCOMPARE(pts[2].acceptable, true);
        QCOMPARE(pts[3].acceptable, true);
        QCOMPARE(pts[4].acceptable, true);

        std::vector<analysis::FrontierPoint> twice { point(8, true), point(6, true), point(6, false), point(4, true) };
        chosen = analysis::smallestAcceptable(twice);
        QVERIFY(chosen);
        QCOMPARE(twice[*chosen].budget, 8);
        QVERIFY(!twice[1].acceptable); // it passes, but a run at its budget does not
        QVERIFY(!twice[2].acceptable);
        // The order the runs come in changes nothing.
        std::vector<analysis::FrontierPoint> reordered { point(6, false), point(4, true), point(8, true),
            point(6, true) };
        chosen = analysis::smallestAcceptable(reordered);
        QVERIFY(chosen);
        QCOMPARE(reordered[*chosen].budget, 8);
        QVERIFY(!reordered[3].acceptable);

        std::vector<analysis::FrontierPoint> none { point(8, false), point(4, true) };
        QVERIFY(!analysis::smallestAcceptable(none));
        QVERIFY(!none[1].acceptable);
    }

    // On the shipped frontier demo the command finds the budget that a loop of `compare` runs finds
    // (the smallest budget whose compare exits 0 with the margin), for two margins, and says what
    // each budget saves as a loop of `xshare` runs does.
    void frontierOnTheDemoEqualsCompareLoop()
    {
        const QString demo = QDir::cleanPath(QStringLiteral(DELTASCOPE_TEST_DATA "/../../resources/demo/frontier"));
        const QList<int> budgets { 2, 3, 4, 6, 8 };
        for (const QString& margin : { QStringLiteral("2"), QStringLiteral("3") }) {
            std::optional<int> brute;
            for (const int m : budgets) {
                const auto r = test::cli({ QStringLiteral("compare"), demo + QStringLiteral("/baseline"),
                    demo + QStringLiteral("/budget_%1").arg(m), QStringLiteral("--margin"), margin,
                    QStringLiteral("--quiet") });
                QVERIFY(r.exitCode == 0 || r.exitCode == 1 || r.exitCode == 3);
                if (r.exitCode == 0 && !brute)
                    brute = m;
            }
            QVERIFY(brute);
            QStringList args { QStringLiteral("frontier"), QStringLiteral("--trace"),
                demo + QStringLiteral("/trace.safetensors"), demo + QStringLiteral("/baseline") };
            for (const int m : budgets)
                args << demo + QStringLiteral("/budget_%1").arg(m);
            args << QStringLiteral("--margin") << margin << QStringLiteral("--format") << QStringLiteral("json");
            const auto r = test::cli(args);
            const auto j = QJsonDocument::fromJson(r.out).object();
            QVERIFY2(j.contains(QStringLiteral("chosen")), r.err.constData());
            QCOMPARE(j[QStringLiteral("chosen")].toObject()[QStringLiteral("budget")].toInt(), *brute);
            // What each budget saves is what `xshare` alone says at that budget on the same trace.
            for (const auto& v : j[QStringLiteral("points")].toArray()) {
                const auto point = v.toObject();
                const auto x = test::cli({ QStringLiteral("xshare"), demo + QStringLiteral("/trace.safetensors"),
                    QStringLiteral("--budget"), QString::number(point[QStringLiteral("budget")].toInt()),
                    QStringLiteral("--format"), QStringLiteral("json") });
                QCOMPARE(x.exitCode, 0);
                const auto one
                    = QJsonDocument::fromJson(x.out).object()[QStringLiteral("results")].toArray().at(0).toObject();
                QCOMPARE(point[QStringLiteral("activated")].toInteger(), one[QStringLiteral("activated")].toInteger());
                QCOMPARE(point[QStringLiteral("activated_base")].toInteger(),
                    one[QStringLiteral("activated_base")].toInteger());
                QCOMPARE(
                    point[QStringLiteral("mass_retained")].toDouble(), one[QStringLiteral("mass_retained")].toDouble());
            }
        }
    }

    void frontierEqualsBruteForce()
    {
        const std::vector<int> budgets { 4, 6, 8, 12, 16, 20, 24, 32 };
        BudgetTables t;
        writeBudgetTables(t, budgets, 32, 1500);
        moe::SynthOptions so;
        so.requests = 24;
        so.tokensPerRequest = 16;
        so.layers = 3;
        so.experts = 32;
        so.topK = 4;
        const auto trace = std::make_shared<const moe::Trace>(moe::makeSyntheticTrace(so));
        analysis::ExpertScenario scenario;
        scenario.tracePath = "synthetic";
        scenario.trace = trace;
        scenario.batchSize = 8;

        analysis::StatsRequest stats;
        std::string error;
        QVERIFY(analysis::parseMargin("3", stats.margins, error));

        // Brute force: one comparison and one expert-sharing run per budget.
        std::optional<int> bruteBudget;
        std::map<int, moe::BudgetResult> bruteSharing;
        for (const auto& [m, path] : t.cands) {
            analysis::ComparisonRequest c;
            c.base = side(t.base);
            c.cand = side(path);
            c.stats = stats;
            auto one = analysis::runComparison(c, cpu());
            QVERIFY(one.ok());
            auto s = scenario;
            s.budgets = { m };
            auto run = analysis::runExpertSharing(s, cpu());
            QVERIFY2(run.ok(), run.ok() ? "" : run.error->toString().c_str());
            bruteSharing[m] = run.value->xshare->results.front();
            if (one.value->report.verdict == "no_worse_than_margin" && (!bruteBudget || m < *bruteBudget))
                bruteBudget = m;
        }
        QVERIFY(bruteBudget);
        QVERIFY(*bruteBudget > budgets.front() && *bruteBudget < budgets.back()); // a real trade-off

        analysis::FrontierRequest f;
        f.matrix.base = side(t.base);
        for (const auto& [m, path] : t.cands) {
            f.matrix.candidates.push_back(side(path));
            f.budgets.emplace_back(QFileInfo(QString::fromStdString(path)).completeBaseName().toStdString(), m);
        }
        f.matrix.stats = stats;
        f.scenario = scenario;
        auto r = analysis::runFrontier(f, cpu());
        QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
        QVERIFY(r.value->chosen);
        QCOMPARE(r.value->points[*r.value->chosen].budget, *bruteBudget);
        QCOMPARE(r.value->points.size(), budgets.size());
        for (const auto& p : r.value->points) {
            const auto& b = bruteSharing[p.budget];
            QCOMPARE(p.sharing.activated, b.activated);
            QCOMPARE(p.sharing.activatedBase, b.activatedBase);
            DS_COMPARE_REL(p.sharing.massRetained, b.massRetained, 1e-12);
        }
        QVERIFY(r.value->answer.find(std::to_string(*bruteBudget) + " experts per slice") != std::string::npos);
        // The activated experts per slice are the matrix's cost: its plot is the budget plot.
        const auto& mx = r.value->matrix;
        QCOMPARE(mx.costColumns.back().name, std::string("activated_experts"));
        for (const auto& p : r.value->points)
            QCOMPARE(mx.candidates[static_cast<std::size_t>(p.candidate)].costs.back(),
                static_cast<double>(p.sharing.activated) / static_cast<double>(r.value->sharing.xshare->sliceCount));
        QCOMPARE(analysis::frontierPlot(mx, 0, "activated_experts").size(), budgets.size());
        QVERIFY(analysis::frontierHtml(*r.value).find("<svg") != std::string::npos);

        // The budgets are walked in a fixed sequence, each at the full alpha: asking for a correction
        // across candidates changes nothing.
        f.matrix.alphaPerCandidate = true;
        auto h = analysis::runFrontier(f, cpu());
        QVERIFY(h.ok());
        QVERIFY(h.value->chosen);
        QCOMPARE(h.value->points[*h.value->chosen].budget, *bruteBudget);
        // Without a margin the criterion is "not degraded" and says so.
        f.matrix.stats.margins = {};
        auto n = analysis::runFrontier(f, cpu());
        QVERIFY(n.ok());
        QCOMPARE(n.value->criterion, std::string("not degraded"));
        QVERIFY(n.value->answer.find("not evidence of no loss") != std::string::npos);
    }

    // The command line gives the core's answer, and its exit status says whether a budget qualified.
    void cliFrontier()
    {
        const std::vector<int> budgets { 4, 8, 16, 24, 32 };
        BudgetTables t;
        writeBudgetTables(t, budgets, 32, 1500);
        const QString trace = t.dir.filePath(QStringLiteral("trace.safetensors"));
        auto r = test::cli({ QStringLiteral("synth-trace"), trace, QStringLiteral("--requests"), QStringLiteral("24"),
            QStringLiteral("--tokens"), QStringLiteral("16"), QStringLiteral("--layers"), QStringLiteral("3"),
            QStringLiteral("--experts"), QStringLiteral("32"), QStringLiteral("--top-k"), QStringLiteral("4") });
        QCOMPARE(r.exitCode, 0);
        QStringList args { QStringLiteral("frontier"), QStringLiteral("--trace"), trace,
            QString::fromStdString(t.base) };
        analysis::FrontierRequest f;
        f.matrix.base = side(t.base);
        for (const auto& [m, path] : t.cands) {
            args << QString::fromStdString(path) << QStringLiteral("--budget")
                 << QStringLiteral("task_m%1=%2").arg(m).arg(m);
            f.matrix.candidates.push_back(side(path));
            f.budgets.emplace_back("task_m" + std::to_string(m), m);
        }
        args << QStringLiteral("--margin") << QStringLiteral("3") << QStringLiteral("--batch-size")
             << QStringLiteral("8") << QStringLiteral("--format") << QStringLiteral("json")
             << QStringLiteral("--quiet");
        r = test::cli(args);
        QCOMPARE(r.exitCode, 0);
        const auto j = QJsonDocument::fromJson(r.out).object();
        std::string error;
        QVERIFY(analysis::parseMargin("3", f.matrix.stats.margins, error));
        f.scenario.tracePath = trace.toStdString();
        f.scenario.batchSize = 8;
        auto core = analysis::runFrontier(f, cpu());
        QVERIFY2(core.ok(), core.ok() ? "" : core.error->toString().c_str());
        QVERIFY(core.value->chosen);
        QCOMPARE(j.value(QStringLiteral("chosen")).toObject().value(QStringLiteral("budget")).toInt(),
            core.value->points[*core.value->chosen].budget);
        QCOMPARE(j.value(QStringLiteral("points")).toArray().size(), static_cast<qsizetype>(budgets.size()));
        // A budget outside [k, N] is an error that names the budget.
        args.replace(args.indexOf(QStringLiteral("task_m4=4")), QStringLiteral("task_m4=64"));
        r = test::cli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("64"));
    }

    void frontierBudgetFromResults()
    {
        QTemporaryDir dir;
        const QString src = test::fixture("eval/layout_current/candidate/acme__Llama-3.1-8B-Instruct-W4A16");
        const QString dst = dir.filePath(QStringLiteral("run"));
        QDir().mkpath(dst);
        for (const auto& name : QDir(src).entryList(QDir::Files)) {
            QFile in(src + QLatin1Char('/') + name);
            QVERIFY(in.open(QIODevice::ReadOnly));
            QByteArray data = in.readAll();
            if (name.startsWith(QLatin1String("results_")))
                data.replace("dtype=bfloat16", "dtype=bfloat16,budget=12");
            test::writeFile(dir, QStringLiteral("run/") + name, data);
        }
        QCOMPARE(analysis::budgetFromResults(dst.toStdString()), std::optional<int>(12));
        QCOMPARE(analysis::budgetFromResults(src.toStdString()), std::optional<int>());
    }

    void frontierNeedsABudget()
    {
        BudgetTables t;
        writeBudgetTables(t, { 8 }, 32, 50);
        analysis::FrontierRequest f;
        f.matrix.base = side(t.base);
        f.matrix.candidates = { side(t.cands.front().second) };
        moe::SynthOptions so;
        so.requests = 4;
        so.tokensPerRequest = 4;
        so.layers = 1;
        so.experts = 32;
        so.topK = 4;
        f.scenario.trace = std::make_shared<const moe::Trace>(moe::makeSyntheticTrace(so));
        auto r = analysis::runFrontier(f, cpu());
        QVERIFY(!r.ok());
        QVERIFY(r.error->message.find("has no budget") != std::string::npos);
        f.budgets = { { "someone_else", 8 } };
        r = analysis::runFrontier(f, cpu());
        QVERIFY(!r.ok());
    }

    void cliExitCodesAndErrors()
    {
        const auto base = test::fixture("analysis/matrix/base.csv");
        auto c = [](const char* n) { return test::fixture((std::string("analysis/matrix/") + n + ".csv").c_str()); };
        auto r = test::cli({ QStringLiteral("matrix"), base, c("twin_a"), c("bad"), QStringLiteral("--quiet") });
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.contains("tier 2: bad"));
        r = test::cli({ QStringLiteral("matrix"), base, c("twin_a"), c("twin_b"), QStringLiteral("--quiet") });
        QCOMPARE(r.exitCode, 0);
        r = test::cli({ QStringLiteral("matrix"), base, c("twin_a"), c("twin_b"), QStringLiteral("--margin"),
            QStringLiteral("0.5"), QStringLiteral("--quiet") });
        QCOMPARE(r.exitCode, 3);
        r = test::cli({ QStringLiteral("matrix"), base, c("twin_a"), c("mild"), QStringLiteral("--format"),
            QStringLiteral("json"), QStringLiteral("--cost"), QStringLiteral("mild=4"), QStringLiteral("--cost"),
            QStringLiteral("twin_a=8"), QStringLiteral("--cost-axis"), QStringLiteral("bits_per_weight"),
            QStringLiteral("--quiet") });
        QCOMPARE(r.exitCode, 1);
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("frontier")).toObject().value(QStringLiteral("cost_axis")).toString(),
            QStringLiteral("bits_per_weight"));
        r = test::cli(
            { QStringLiteral("matrix"), base, QStringLiteral("/nonexistent/cand.csv"), QStringLiteral("--quiet") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("/nonexistent/cand.csv"));
        r = test::cli({ QStringLiteral("matrix"), base });
        QCOMPARE(r.exitCode, 2);
        r = test::cli(
            { QStringLiteral("matrix"), base, c("bad"), QStringLiteral("--cost-axis"), QStringLiteral("latency_ms") });
        QCOMPARE(r.exitCode, 2);
        for (const char* format : { "csv", "markdown", "html", "text" }) {
            r = test::cli({ QStringLiteral("matrix"), base, c("twin_a"), c("bad"), QStringLiteral("--format"),
                QString::fromLatin1(format), QStringLiteral("--quiet") });
            QCOMPARE(r.exitCode, 1);
            QVERIFY(r.out.contains("bad"));
        }
        r = test::cli({ QStringLiteral("matrix"), QStringLiteral("--help") });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("throughput (tokens/s"));
        r = test::cli({ QStringLiteral("frontier"), base, c("bad") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("--trace"));
    }
};

QTEST_GUILESS_MAIN(TestMatrix)
#include "tst_matrix.moc"
