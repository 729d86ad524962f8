// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "report/ReportWriters.h"
#include "report/Verdict.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <cmath>
#include <limits>

using namespace deltascope;

namespace {

report::ComparisonReport fixtureReport(const char* layout, report::CompareSettings settings = {})
{
    const std::string root = test::dataPath((std::string("eval/") + layout).c_str());
    const auto base = eval::loadRun(root + "/baseline", {});
    const auto cand = eval::loadRun(root + "/candidate", {});
    if (!base.ok() || !cand.ok())
        qFatal("fixtures do not load");
    return report::buildReport(*base.value, *cand.value, eval::pairRuns(*base.value, *cand.value), settings);
}

// A mixed comparison that is not degraded and whose verdict depends on the seed, filled by hand:
// a binary task whose own p is below alpha (suggestive, even with its Holm p below alpha too), a
// corpus metric, and the samples a keep-list excluded.
report::ComparisonReport mixedReport()
{
    report::ComparisonReport r;
    r.alpha = 0.05;
    r.baseline.path = "/runs/base";
    r.baseline.model = "base-model";
    r.candidate.path = "/runs/cand";
    r.candidate.model = "cand-model";
    r.hasContinuous = true;
    r.method = "sign-flip, studentized";
    r.decisionLevel = 0.05 / 3;
    r.stable = false;
    r.degraded = false;
    r.decisionBasis = "studentized sign-flip combination: none is below alpha/3 = 0.0167";

    report::TaskResult arc;
    arc.task = "arc_easy";
    arc.filter = "none";
    arc.metric = "acc";
    arc.n = 500;
    arc.b = 20;
    arc.c = 5;
    arc.accBase = 0.8;
    arc.accCand = 0.77;
    arc.delta = 0.03;
    arc.flipRate = 0.05;
    arc.ciLow = -0.0012;
    arc.ciHigh = 0.0634;
    arc.intervalMethod = "Tango score";
    arc.upperBound = 0.0581;
    arc.pValue = 0.0012;
    arc.lnP = std::log(0.0012);
    arc.pHolm = 0.0036;
    arc.lnPHolm = std::log(0.0036);
    arc.flag = report::TaskFlag::Suggestive;
    r.tasks.push_back(arc);

    report::TaskResult wiki;
    wiki.task = "wikitext";
    wiki.filter = "none";
    wiki.metric = "word_perplexity";
    wiki.continuous = true;
    wiki.n = 62;
    wiki.b = 40;
    wiki.c = 22;
    wiki.accBase = -11090.0; // mean per-document log-likelihood: not what the row must show
    wiki.accCand = -12345.0;
    wiki.delta = 1255.0;
    wiki.ciLow = -20.5;
    wiki.ciHigh = 2530.5;
    wiki.intervalMethod = "Student t, mean difference";
    wiki.upperBound = 2300.25;
    wiki.pValue = 0.0412;
    wiki.lnP = std::log(0.0412);
    wiki.pHolm = 0.0824;
    wiki.lnPHolm = std::log(0.0824);
    wiki.flag = report::TaskFlag::Suggestive;
    wiki.monteCarlo = true;
    wiki.pMcLow = 0.0361;
    wiki.pMcHigh = 0.0467;
    wiki.corpusMetric = "word_perplexity";
    wiki.corpusBase = 17.3;
    wiki.corpusCand = 51.6;
    r.tasks.push_back(wiki);

    report::TaskResult audit;
    audit.task = "mmlu";
    audit.filter = "none";
    audit.metric = "acc";
    audit.audit = true;
    audit.n = 40;
    audit.b = 1;
    audit.c = 1;
    audit.accBase = 0.5;
    audit.accCand = 0.5;
    audit.intervalMethod = "Tango score";
    audit.upperBound = 0.071;
    audit.pValue = 0.75;
    audit.lnP = std::log(0.75);
    audit.pHolm = 0.75;
    audit.lnPHolm = std::log(0.75);
    audit.worstCand = 3;
    r.tasks.push_back(audit);

    auto test
        = [](const char* name, const char* stat, double value, const char* detail, double p, double lo, double hi) {
              report::DecisionTest d;
              d.name = name;
              d.statisticName = stat;
              d.statistic = value;
              d.detail = detail;
              d.pValue = p;
              d.lnP = std::log(p);
              d.monteCarlo = true;
              d.pMcLow = lo;
              d.pMcHigh = hi;
              return d;
          };
    r.decision = { test("pooled", "Stouffer Z", 2.05, "3 tasks", 0.0171, 0.0160, 0.0183),
        test("Fisher", "X", 16.2, "df = 6", 0.0169, 0.0158, 0.0181),
        test("max-drop", "max z", 3.0, "task arc_easy", 0.0166, 0.0155, 0.0178) };
    r.decision.back().task = "arc_easy";
    r.aggregate.pooled.b = 21;
    r.aggregate.pooled.c = 6;
    r.aggregate.fisher.df = 4;
    auto& perm = r.permutation;
    perm.present = true;
    perm.permutations = 1000000;
    perm.requested = 10000;
    perm.maxPermutations = 1000000;
    perm.seed = 7;
    perm.stable = false;
    perm.tests = r.decision;
    perm.pValue = 0.0166;
    perm.pMcLow = 0.0155;
    perm.pMcHigh = 0.0178;
    perm.perTask = { { "arc_easy", 0.0013 }, { "wikitext", 0.0412 }, { "mmlu (excluded by the keep-list)", 0.75 } };
    return r;
}

// An all-binary comparison decided by p-values far below the smallest double: one task flagged
// worse, a max-drop statistic and drops of minus zero.
report::ComparisonReport tinyPReport()
{
    report::ComparisonReport r;
    r.method = "exact";
    r.decisionLevel = 0.05 / 3;
    r.degraded = true;
    r.decisionBasis = "exact tests across tasks: pooled p < 1e-300; the smallest is below alpha/3 = 0.0167";
    report::TaskResult t;
    t.task = "gsm8k";
    t.filter = "strict-match";
    t.metric = "exact_match";
    t.n = 3000;
    t.b = 1400;
    t.c = 0;
    t.accBase = 0.9;
    t.accCand = 0.43;
    t.delta = 0.4667;
    t.ciLow = 0.44;
    t.ciHigh = 0.49;
    t.intervalMethod = "Tango score";
    t.upperBound = 0.488;
    t.pValue = 0.0;
    t.lnP = -970.4;
    t.pHolm = 0.0;
    t.lnPHolm = -969.7;
    t.flag = report::TaskFlag::Worse;
    r.tasks.push_back(t);
    report::TaskResult same;
    same.task = "arc_easy";
    same.filter = "none";
    same.metric = "acc";
    same.n = 100;
    same.accBase = 0.5;
    same.accCand = 0.5;
    same.delta = -0.0;
    same.ciLow = -0.0;
    same.ciHigh = 0.037;
    same.intervalMethod = "Tango score";
    same.upperBound = 0.03;
    same.pValue = 1.0;
    same.pHolm = 1.0;
    r.tasks.push_back(same);
    auto test = [](const char* name, const char* stat, double value, double p, double lnP) {
        report::DecisionTest d;
        d.name = name;
        d.statisticName = stat;
        d.statistic = value;
        d.pValue = p;
        d.lnP = lnP;
        return d;
    };
    r.decision = { test("pooled", "b - c", 1400, 0.0, -970.4), test("Fisher", "X", 3880.8, 0.0, -1935.0),
        test("max-drop", "max z", -0.0, -0.0, -1000.0) };
    return r;
}

// A two-task comparison with margins, filled by hand: a binary task (margin 1 point, clustered by
// subject, with baseline reruns) and a corpus metric (margin 1% of its word perplexity).
report::ComparisonReport marginReport(const char* verdict)
{
    report::ComparisonReport r;
    r.alpha = 0.05;
    r.baseline.path = "/runs/base";
    r.candidate.path = "/runs/cand";
    r.method = "sign-flip, studentized, clustered";
    r.decisionLevel = 0.05 / 3;
    r.hasMargin = true;
    r.verdict = verdict;
    r.degraded = r.verdict == "degraded";
    r.decisionBasis = "none of the three tests is below alpha/3 = 0.0167";

    report::TaskResult mmlu;
    mmlu.task = "mmlu";
    mmlu.filter = "none";
    mmlu.metric = "acc";
    mmlu.n = 499;
    mmlu.b = 27;
    mmlu.c = 19;
    mmlu.accBase = 0.5852;
    mmlu.accCand = 0.5691;
    mmlu.delta = 0.016;
    mmlu.intervalMethod = "Tango score";
    mmlu.upperBound = 0.0392;
    mmlu.pValue = 0.125;
    mmlu.lnP = std::log(0.125);
    mmlu.pHolm = 0.125;
    mmlu.lnPHolm = std::log(0.125);
    mmlu.hasMargin = true;
    mmlu.margin = 0.03;
    mmlu.pNonInferiority = 0.151;
    mmlu.samplesNeeded = 3019;
    mmlu.cluster = { "metadata.subject", 10, 0.783 };
    mmlu.noiseFlips = 12;
    r.tasks.push_back(mmlu);

    report::TaskResult wiki;
    wiki.task = "wikitext";
    wiki.filter = "none";
    wiki.metric = "word_perplexity";
    wiki.continuous = true;
    wiki.n = 62;
    wiki.b = 21;
    wiki.c = 41;
    wiki.delta = -14.09;
    wiki.intervalMethod = "Student t, mean difference";
    wiki.upperBound = -6.924;
    wiki.pValue = 0.9991;
    wiki.lnP = std::log(0.9991);
    wiki.pHolm = 0.9991;
    wiki.lnPHolm = std::log(0.9991);
    wiki.corpusMetric = "word_perplexity";
    wiki.corpusBase = 29.8;
    wiki.corpusCand = 29.7;
    wiki.hasMargin = true;
    wiki.marginRelative = true;
    wiki.margin = 0.01;
    wiki.pNonInferiority = 1e-4;
    wiki.samplesNeeded = 6;
    wiki.cluster = { "metadata.subject", 62, 1.0 };
    r.tasks.push_back(wiki);
    return r;
}

// Every writer's text for one report.
std::vector<std::pair<const char*, QString>> allWriters(const report::ComparisonReport& r)
{
    return { { "json", QString::fromStdString(report::toJson(r)) }, { "csv", QString::fromStdString(report::toCsv(r)) },
        { "md", QString::fromStdString(report::toMarkdown(r)) },
        { "table", QString::fromStdString(report::toTable(r)) },
        { "html", QString::fromStdString(report::toHtml(r, {}, {})) } };
}

// The line of a writer's text that holds a task's row (the task name starts it, or follows "| " or "<td").
QString rowOf(const QString& text, const QString& task)
{
    for (const auto& line : text.split(QLatin1Char('\n')))
        if (line.startsWith(task + QLatin1Char(' ')) || line.startsWith(task + QLatin1Char(','))
            || line.startsWith(QStringLiteral("| ") + task + QLatin1Char(' '))
            || (line.startsWith(QStringLiteral("<tr"))
                && (line.contains(QLatin1Char('>') + task + QLatin1Char('<'))
                    || line.contains(QLatin1Char('>') + task + QLatin1Char(' ')))))
            return line;
    return {};
}

} // namespace

class TestReport : public QObject {
    Q_OBJECT
private slots:
    void jsonShape();
    void holmAndAggregate();
    void permutationWhenAsked();
    void continuousDecision();
    void csvAndMarkdown();
    void jsonOfAHandFilledReport();
    void tinyPValuesInEveryWriter();
    void flagsShownAsFilled();
    void corpusMetricsInTheirOwnTerms();
    void tableFootnoteNamesTheUnitsPresent();
    void continuousAdviceInItsUnits();
    void fewFlipsAreFlaggedApproximate();
    void unstableVerdictSaidLoudly();
    void decisionExplained();
    void verdictHeadlines_data();
    void verdictHeadlines();
    void inconclusiveSaysWhatToCollect();
    void upperBoundSaidWithoutMargin();
    void marginClusterNoiseInJson();
};

void TestReport::jsonShape()
{
    const auto rep = fixtureReport("layout_current");
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(rep))).object();
    for (const char* key : { "alpha", "baseline", "candidate", "tasks", "aggregate" })
        QVERIFY2(doc.contains(QLatin1String(key)), key);
    QVERIFY(!doc.contains(QStringLiteral("permutation")));
    QCOMPARE(doc.value(QStringLiteral("baseline")).toObject().value(QStringLiteral("model")).toString(),
        QStringLiteral("acme/Llama-3.1-8B-Instruct"));
    const auto tasks = doc.value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 3);
    for (const auto t : tasks) {
        const auto o = t.toObject();
        for (const char* key : { "task", "filter", "metric", "kind", "n", "b", "c", "acc_base", "acc_cand", "delta",
                 "flip_rate", "ci95", "p_value", "p_two_sided", "p_holm", "unmatched_base", "unmatched_cand",
                 "duplicates", "hash_mismatches" })
            QVERIFY2(o.contains(QLatin1String(key)), key);
        QCOMPARE(o.value(QStringLiteral("kind")).toString(), QStringLiteral("binary"));
        QCOMPARE(o.value(QStringLiteral("ci95")).toArray().size(), 2);
    }
    const auto agg = doc.value(QStringLiteral("aggregate")).toObject();
    for (const char* key : { "pooled", "fisher", "max_drop", "degraded" })
        QVERIFY2(agg.contains(QLatin1String(key)), key);
    QCOMPARE(agg.value(QStringLiteral("pooled")).toObject().value(QStringLiteral("b")).toInt(), 3 + 4 + 2);
    QCOMPARE(agg.value(QStringLiteral("pooled")).toObject().value(QStringLiteral("c")).toInt(), 1 + 1 + 2);
    QCOMPARE(agg.value(QStringLiteral("fisher")).toObject().value(QStringLiteral("df")).toInt(), 6);
    QCOMPARE(agg.value(QStringLiteral("max_drop")).toObject().value(QStringLiteral("task")).toString(),
        QStringLiteral("gsm8k,strict-match"));
    // The text names that task as its table row does; the JSON keeps the key above.
    const QString table = QString::fromStdString(report::toTable(rep));
    QVERIFY2(table.contains(QStringLiteral("task gsm8k [strict-match]")), qPrintable(table));
    QVERIFY(!table.contains(QStringLiteral("gsm8k,strict-match")));
    // Full double precision survives the round trip.
    QCOMPARE(tasks[0].toObject().value(QStringLiteral("p_value")).toDouble(), rep.tasks[0].pValue);
}

void TestReport::holmAndAggregate()
{
    const auto rep = fixtureReport("layout_current");
    for (const auto& t : rep.tasks)
        QVERIFY(t.pHolm >= t.pValue);
    QVERIFY(!rep.degraded);
    QVERIFY(rep.decisionBasis.find("alpha/3") != std::string::npos);
}

void TestReport::permutationWhenAsked()
{
    report::CompareSettings s;
    s.permutationRequested = true;
    s.permutations = 2000;
    s.seed = 5;
    const auto rep = fixtureReport("layout_current", s);
    QVERIFY(rep.permutation.present);
    QCOMPARE(rep.permutation.perTask.size(), std::size_t(3));
    QCOMPARE(rep.permutation.perTask[0].first, std::string("arc_easy"));
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(rep))).object();
    const auto perm = doc.value(QStringLiteral("permutation")).toObject();
    // 13 discordant pairs: every sign pattern is enumerated, so none is drawn at random.
    QCOMPARE(perm.value(QStringLiteral("requested")).toInt(), 2000);
    QCOMPARE(perm.value(QStringLiteral("exhaustive")).toBool(), rep.permutation.exhaustive);
    QCOMPARE(perm.value(QStringLiteral("permutations")).toInteger(), qint64(rep.permutation.permutations));
    if (rep.permutation.exhaustive)
        QVERIFY(report::toTable(rep).find("every sign pattern enumerated") != std::string::npos);
    else
        QCOMPARE(perm.value(QStringLiteral("permutations")).toInt(), 2000);
    QCOMPARE(perm.value(QStringLiteral("seed")).toInt(), 5);
    QVERIFY(perm.value(QStringLiteral("per_task")).toObject().contains(QStringLiteral("gsm8k,flexible-extract")));
    // Binary tasks keep their exact p-values; the decision stays the exact one.
    QVERIFY(rep.decisionBasis.find("alpha/3") != std::string::npos);
}

void TestReport::continuousDecision()
{
    const std::string root = test::sharedPath("lmeval_wikitext_quant/deepseek_moe_16b/lm-eval");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    const auto base = eval::loadRun(root + "/deepseek-moe-16b-chat-Baseline", {});
    const auto cand = eval::loadRun(root + "/deepseek-moe-16b-chat-W4A16", {});
    QVERIFY(base.ok() && cand.ok());
    report::CompareSettings s;
    s.permutations = 5000;
    const auto rep = report::buildReport(*base.value, *cand.value, eval::pairRuns(*base.value, *cand.value), s);
    QVERIFY(rep.hasContinuous);
    QVERIFY(rep.permutation.present);
    QCOMPARE(rep.tasks.size(), std::size_t(1));
    QCOMPARE(rep.tasks[0].n, std::int64_t(62));
    QVERIFY(rep.tasks[0].continuous);
    QCOMPARE(rep.tasks[0].pValue, rep.permutation.perTask[0].second);
    QCOMPARE(rep.method, std::string("sign-flip, studentized"));
    QCOMPARE(rep.decisionLevel, 0.05); // one task: decided at alpha
    QCOMPARE(rep.degraded, rep.permutation.pValue < rep.decisionLevel);
    const auto table = QString::fromStdString(report::toTable(rep));
    QVERIFY(table.contains(QStringLiteral("sign-flip, studentized")));
    QVERIFY(table.contains(QStringLiteral("alpha = 0.05")));
    const auto& t = rep.tasks[0];
    if (!t.corpusMetric.empty()) {
        // The row shows the corpus metric as lm-eval aggregates it, not summed log-likelihoods.
        char shown[32];
        std::snprintf(shown, sizeof shown, "%.4g", t.corpusBase);
        QVERIFY2(rowOf(table, QStringLiteral("wikitext")).contains(QLatin1String(shown)), qPrintable(table));
    }
}

void TestReport::csvAndMarkdown()
{
    const auto rep = fixtureReport("layout_current");
    const auto csv = QString::fromStdString(report::toCsv(rep)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(csv.size(), 4);
    QVERIFY(csv[0].startsWith(QStringLiteral("task,filter,metric,kind,n,b,c")));
    QVERIFY(csv[1].startsWith(QStringLiteral("arc_easy,none,acc,binary,40,3,1,")));
    const auto md = QString::fromStdString(report::toMarkdown(rep));
    QVERIFY(md.contains(QStringLiteral("NO EVIDENCE OF DEGRADATION")));
    // The next step is said after the verdict, in the words every front end uses (report/Verdict.h).
    QCOMPARE(report::verdictOf(rep), report::Verdict::NoEvidence);
    QVERIFY(md.contains(QStringLiteral("next: ") + QString::fromStdString(report::verdictNextStep(rep))));
    QVERIFY(md.contains(QStringLiteral("rerun with --margin D")));
    QVERIFY(md.contains(QStringLiteral("| gsm8k [strict-match] | exact_match | 30 |")));
}

void TestReport::jsonOfAHandFilledReport()
{
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(mixedReport()))).object();
    const auto tasks = doc.value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 3);
    const auto arc = tasks[0].toObject();
    QCOMPARE(arc.value(QStringLiteral("verdict")).toString(), QStringLiteral("suggestive"));
    QCOMPARE(arc.value(QStringLiteral("upper_bound")).toDouble(), 0.0581);
    QCOMPARE(arc.value(QStringLiteral("interval_method")).toString(), QStringLiteral("Tango score"));
    QCOMPARE(arc.value(QStringLiteral("ln_p")).toDouble(), std::log(0.0012));
    QVERIFY(arc.value(QStringLiteral("corpus_base")).isNull());
    QVERIFY(arc.value(QStringLiteral("corpus_cand")).isNull());
    QVERIFY(!arc.contains(QStringLiteral("p_mc_interval"))); // exact: no Monte Carlo error
    QCOMPARE(arc.value(QStringLiteral("audit")).toBool(), false);
    const auto wiki = tasks[1].toObject();
    QCOMPARE(wiki.value(QStringLiteral("kind")).toString(), QStringLiteral("continuous"));
    QCOMPARE(wiki.value(QStringLiteral("corpus_base")).toDouble(), 17.3);
    QCOMPARE(wiki.value(QStringLiteral("corpus_cand")).toDouble(), 51.6);
    QCOMPARE(wiki.value(QStringLiteral("interval_method")).toString(), QStringLiteral("Student t, mean difference"));
    const auto mc = wiki.value(QStringLiteral("p_mc_interval")).toArray();
    QCOMPARE(mc.size(), 2);
    QCOMPARE(mc[0].toDouble(), 0.0361);
    QCOMPARE(mc[1].toDouble(), 0.0467);
    const auto audit = tasks[2].toObject();
    QCOMPARE(audit.value(QStringLiteral("audit")).toBool(), true);
    QCOMPARE(audit.value(QStringLiteral("verdict")).toString(), QStringLiteral("ok"));
    QCOMPARE(audit.value(QStringLiteral("worst_cand")).toInt(), 3);

    const auto agg = doc.value(QStringLiteral("aggregate")).toObject();
    QCOMPARE(agg.value(QStringLiteral("method")).toString(), QStringLiteral("sign-flip, studentized"));
    QCOMPARE(agg.value(QStringLiteral("level")).toDouble(), 0.05 / 3);
    QCOMPARE(agg.value(QStringLiteral("stable")).toBool(), false);
    QCOMPARE(agg.value(QStringLiteral("degraded")).toBool(), false);
    const auto pooled = agg.value(QStringLiteral("pooled")).toObject();
    QCOMPARE(pooled.value(QStringLiteral("p_value")).toDouble(), 0.0171);
    QCOMPARE(pooled.value(QStringLiteral("ln_p")).toDouble(), std::log(0.0171));
    QCOMPARE(pooled.value(QStringLiteral("statistic")).toDouble(), 2.05);
    QCOMPARE(pooled.value(QStringLiteral("b")).toInt(), 21);
    QCOMPARE(pooled.value(QStringLiteral("p_mc_interval")).toArray()[1].toDouble(), 0.0183);
    const auto fisher = agg.value(QStringLiteral("fisher")).toObject();
    QCOMPARE(fisher.value(QStringLiteral("statistic")).toDouble(), 16.2);
    QCOMPARE(fisher.value(QStringLiteral("p_mc_interval")).toArray()[0].toDouble(), 0.0158);
    const auto maxDrop = agg.value(QStringLiteral("max_drop")).toObject();
    QCOMPARE(maxDrop.value(QStringLiteral("p_value")).toDouble(), 0.0166);
    QCOMPARE(maxDrop.value(QStringLiteral("task")).toString(), QStringLiteral("arc_easy"));

    const auto perm = doc.value(QStringLiteral("permutation")).toObject();
    QCOMPARE(perm.value(QStringLiteral("permutations")).toInteger(), 1000000);
    QCOMPARE(perm.value(QStringLiteral("requested")).toInteger(), 10000);
    QCOMPARE(perm.value(QStringLiteral("max_permutations")).toInteger(), 1000000);
    QCOMPARE(perm.value(QStringLiteral("exhaustive")).toBool(), false);
    QCOMPARE(perm.value(QStringLiteral("p_value")).toDouble(), 0.0166);
    QCOMPARE(perm.value(QStringLiteral("p_mc_interval")).toArray()[0].toDouble(), 0.0155);
    QCOMPARE(perm.value(QStringLiteral("stable")).toBool(), false);
    QVERIFY(
        perm.value(QStringLiteral("per_task")).toObject().contains(QStringLiteral("mmlu (excluded by the keep-list)")));

    // Exact decision: no Monte Carlo interval, ln p carries what the p-value cannot.
    const auto tiny = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(tinyPReport()))).object();
    const auto t0 = tiny.value(QStringLiteral("tasks")).toArray()[0].toObject();
    QCOMPARE(t0.value(QStringLiteral("verdict")).toString(), QStringLiteral("worse"));
    QCOMPARE(t0.value(QStringLiteral("p_value")).toDouble(), 0.0);
    QCOMPARE(t0.value(QStringLiteral("ln_p")).toDouble(), -970.4);
    const auto tinyAgg = tiny.value(QStringLiteral("aggregate")).toObject();
    QCOMPARE(tinyAgg.value(QStringLiteral("method")).toString(), QStringLiteral("exact"));
    QCOMPARE(tinyAgg.value(QStringLiteral("stable")).toBool(), true);
    QCOMPARE(tinyAgg.value(QStringLiteral("fisher")).toObject().value(QStringLiteral("ln_p")).toDouble(), -1935.0);
    QVERIFY(!tinyAgg.value(QStringLiteral("pooled")).toObject().contains(QStringLiteral("p_mc_interval")));
    QVERIFY(!tiny.contains(QStringLiteral("permutation")));
}

void TestReport::tinyPValuesInEveryWriter()
{
    // "-0" alone (or -0.00, -0.00e+00), not the start of a negative number such as -0.05.
    static const QRegularExpression minusZero(QStringLiteral("(?<![\\d.eE])-0(?:\\.0+)?(?:e[+-]?\\d+)?(?![\\d.])"));
    for (const auto& [name, text] : allWriters(tinyPReport())) {
        const auto hit = minusZero.match(text);
        QVERIFY2(!hit.hasMatch(),
            qPrintable(QStringLiteral("%1: %2").arg(
                QLatin1String(name), text.mid(std::max<qsizetype>(0, hit.capturedStart() - 80), 160))));
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        const QString floor
            = QLatin1String(name) == QLatin1String("html") ? QStringLiteral("&lt; 1e-300") : QStringLiteral("< 1e-300");
        QVERIFY2(text.contains(floor), name);
        QVERIFY2(rowOf(text, QStringLiteral("gsm8k")).contains(floor), name);
        QVERIFY2(!rowOf(text, QStringLiteral("gsm8k")).contains(QStringLiteral("0.00e+00")), name);
        QVERIFY2(!text.contains(QStringLiteral("= <")) && !text.contains(QStringLiteral("= &lt;")), name);
    }
}

void TestReport::flagsShownAsFilled()
{
    // Suggestive with its Holm p below alpha and the comparison not degraded: nothing says "worse".
    const auto r = mixedReport();
    QVERIFY(r.tasks[0].pHolm < r.alpha);
    for (const auto& [name, text] : allWriters(r)) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        const QString row = rowOf(text, QStringLiteral("arc_easy"));
        QVERIFY2(!row.isEmpty(), name);
        QVERIFY2(row.contains(QStringLiteral("suggestive")), qPrintable(row));
        QVERIFY2(!row.contains(QStringLiteral("worse"), Qt::CaseInsensitive), qPrintable(row));
        QVERIFY2(!text.contains(QStringLiteral("candidate is worse"), Qt::CaseInsensitive), name);
        QVERIFY2(!text.contains(QStringLiteral("better?")), name);
        const bool csv = QLatin1String(name) == QLatin1String("csv");
        QVERIFY2(rowOf(text, QStringLiteral("mmlu"))
                     .contains(csv ? QStringLiteral(",yes,0,3,") : QStringLiteral("excluded by the keep-list")),
            name);
        // "ok" is the machine word; people read "not shown worse", which is what it means.
        QVERIFY2(rowOf(text, QStringLiteral("mmlu"))
                     .contains(csv ? QStringLiteral(",ok,") : QStringLiteral("not shown worse")),
            name);
    }
    // The worse flag as filled, and the degraded verdict with it.
    for (const auto& [name, text] : allWriters(tinyPReport())) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        QVERIFY2(rowOf(text, QStringLiteral("gsm8k")).contains(QStringLiteral("worse")), name);
        // "not shown worse" is the unflagged row's label, not the flag.
        QVERIFY2(!rowOf(text, QStringLiteral("arc_easy"))
                      .remove(QStringLiteral("not shown worse"))
                      .contains(QStringLiteral("worse")),
            name);
        QVERIFY2(QLatin1String(name) == QLatin1String("csv")
                ? text.contains(QStringLiteral(",degraded,exact,alpha/3 = 0.0167,stable"))
                : text.contains(QStringLiteral("worse than"), Qt::CaseInsensitive),
            name);
    }
}

void TestReport::corpusMetricsInTheirOwnTerms()
{
    for (const auto& [name, text] : allWriters(mixedReport())) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        const QString row = rowOf(text, QStringLiteral("wikitext"));
        QVERIFY2(row.contains(QStringLiteral("17.3")) && row.contains(QStringLiteral("51.6")), qPrintable(row));
        if (QLatin1String(name) != QLatin1String("csv")) // the CSV keeps the raw means in acc_base, acc_cand
            QVERIFY2(!row.contains(QStringLiteral("-1.109e+04")) && !row.contains(QStringLiteral("-11090")),
                qPrintable(row));
        QVERIFY2(row.contains(QStringLiteral("word_perplexity")), qPrintable(row));
        // The interval methods are named, the Monte Carlo interval and the upper bound shown.
        QVERIFY2(
            text.contains(QStringLiteral("Tango score")) && text.contains(QStringLiteral("Student t, mean difference")),
            name);
        if (QLatin1String(name) != QLatin1String("csv")) {
            QVERIFY2(text.contains(QStringLiteral("[0.0361, 0.0467]")), name);
            QVERIFY2(rowOf(text, QStringLiteral("arc_easy")).contains(QStringLiteral("+5.81 pts")), name);
            QVERIFY2(text.contains(QStringLiteral("3 candidate samples with an infinitely bad score")), name);
        }
    }
}

void TestReport::tableFootnoteNamesTheUnitsPresent()
{
    // The mixed report holds binary tasks and a perplexity: both are explained.
    auto r = mixedReport();
    const QString mixed = QString::fromStdString(report::toTable(r));
    QVERIFY2(mixed.contains(QStringLiteral("(binary metrics: base and cand in %, drop, CI and upper in points;\n "
                                           "perplexities: base and cand as lm-eval aggregates them, drop, CI and upper "
                                           "in nats of log-likelihood per document;\n drop = baseline - candidate;")),
        qPrintable(mixed));
    // Only the perplexity left: no word of binary metrics.
    std::erase_if(r.tasks, [](const report::TaskResult& t) { return !t.continuous; });
    QVERIFY(!r.tasks.empty());
    const QString corpus = QString::fromStdString(report::toTable(r));
    QVERIFY2(!corpus.contains(QStringLiteral("binary metrics")), qPrintable(corpus));
    QVERIFY2(corpus.contains(QStringLiteral("(perplexities: ")), qPrintable(corpus));
    // A continuous metric of its own (not a perplexity) is in its own units.
    for (auto& t : r.tasks)
        t.corpusMetric.clear();
    const QString plain = QString::fromStdString(report::toTable(r));
    QVERIFY2(plain.contains(QStringLiteral("(continuous metrics: all in the metric's units;")), qPrintable(plain));
}

void TestReport::continuousAdviceInItsUnits()
{
    // No evidence on continuous tasks only: the margin is in their units, and the power planner
    // (binary tasks only) is not offered.
    // The mixed report with no margin and nothing flagged: no evidence.
    auto noEvidence = [](report::ComparisonReport r) {
        for (auto& t : r.tasks) {
            t.hasMargin = false;
            t.flag = report::TaskFlag::Ok;
        }
        r.hasMargin = false;
        r.degraded = false;
        return r;
    };
    auto r = noEvidence(mixedReport());
    std::erase_if(r.tasks, [](const report::TaskResult& t) { return !t.continuous; });
    QCOMPARE(report::verdictOf(r), report::Verdict::NoEvidence);
    for (const auto wording : { report::Wording::CommandLine, report::Wording::Window }) {
        const QString next = QString::fromStdString(report::verdictNextStep(r, wording));
        QVERIFY2(
            next.startsWith(QStringLiteral("to claim \"no worse than D\" (D in the metric's units")), qPrintable(next));
        QVERIFY2(!next.contains(QStringLiteral("points")) && !next.contains(QStringLiteral("ower")), qPrintable(next));
    }
    // With a binary task among them, the advice is in points and names the power analysis.
    const auto m = noEvidence(mixedReport());
    QCOMPARE(report::verdictOf(m), report::Verdict::NoEvidence);
    const QString mixed = QString::fromStdString(report::verdictNextStep(m));
    QVERIFY2(mixed.contains(QStringLiteral("D points")) && mixed.contains(QStringLiteral("deltascope-cli power")),
        qPrintable(mixed));
}

void TestReport::fewFlipsAreFlaggedApproximate()
{
    auto r = mixedReport();
    auto few
        = std::find_if(r.tasks.begin(), r.tasks.end(), [](const report::TaskResult& t) { return t.task == "mmlu"; });
    QVERIFY(few != r.tasks.end());
    const std::string note = "only 9 pairs differ: the interval, the upper bound and the margin test are large-sample "
                             "approximations that can overstate the evidence at so few (the p-value is exact)";
    // 46 discordant pairs: no note.
    QVERIFY(!QString::fromStdString(report::toTable(r)).contains(QStringLiteral("mmlu: only")));
    few->b = 2;
    few->c = 7;
    few->hasMargin = true;
    for (const auto& [name, text] : allWriters(r)) {
        if (QLatin1String(name) == QLatin1String("json") || QLatin1String(name) == QLatin1String("csv"))
            continue;
        QVERIFY2(text.contains(QString::fromStdString(note)), qPrintable(text));
    }
    few->hasMargin = false;
    const std::string table = report::toTable(r);
    QVERIFY2(QString::fromStdString(table).contains(
                 QStringLiteral("only 9 pairs differ: the interval and the upper bound are large-sample")),
        table.c_str());
    // None differing is said as such, not as "only 0".
    few->b = 0;
    few->c = 0;
    const QString none = QString::fromStdString(report::toTable(r));
    QVERIFY2(none.contains(QStringLiteral("no pair differs: the interval and the upper bound are large-sample "
                                          "approximations and say little when no pair differs")),
        qPrintable(none));
    QVERIFY(!none.contains(QStringLiteral("only 0")));
    // Continuous tasks have no such interval: never flagged.
    for (auto& t : r.tasks)
        if (t.continuous) {
            t.b = 2;
            t.c = 3;
        }
    QVERIFY(!QString::fromStdString(report::toTable(r)).contains(QStringLiteral("only 5 pairs differ")));
}

void TestReport::unstableVerdictSaidLoudly()
{
    for (const auto& [name, text] : allWriters(mixedReport())) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        QVERIFY2(text.contains(QStringLiteral("unstable")), name);
        QVERIFY2(text.contains(QStringLiteral("sign-flip, studentized")), name);
        QVERIFY2(text.contains(QStringLiteral("alpha/3 = 0.0167")), name);
        if (QLatin1String(name) != QLatin1String("csv")) {
            QVERIFY2(text.contains(QStringLiteral("--max-permutations")), name);
            QVERIFY2(text.contains(QStringLiteral("1000000 permutations run (10000 asked, at most 1000000)")), name);
            QVERIFY2(text.contains(QStringLiteral("no evidence of degradation"), Qt::CaseInsensitive), name);
        }
    }
    for (const auto& [name, shown] : allWriters(tinyPReport())) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        const QString text = shown.mid(shown.indexOf(QStringLiteral("</style>")) + 1); // the page, not its styles
        // A stable verdict is not called unstable (the table no longer marks it at all).
        QVERIFY2(!text.contains(QStringLiteral("unstable")), name);
        if (QLatin1String(name) != QLatin1String("table"))
            QVERIFY2(text.contains(QStringLiteral("stable")), name);
        QVERIFY2(text.contains(QStringLiteral("exact")), name);
    }
}

void TestReport::decisionExplained()
{
    const auto r = mixedReport();
    for (const auto& text :
        { QString::fromStdString(report::toMarkdown(r)), QString::fromStdString(report::toHtml(r, {}, {})) }) {
        QVERIFY(text.contains(QStringLiteral("significant at alpha/3")));
        QVERIFY(text.contains(QStringLiteral("studentized task statistics")));
    }
}

void TestReport::verdictHeadlines_data()
{
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("headline");
    QTest::newRow("degraded") << QStringLiteral("degraded") << QStringLiteral("DEGRADED");
    QTest::newRow("no worse") << QStringLiteral("no_worse_than_margin") << QStringLiteral("NO WORSE THAN THE MARGIN");
    QTest::newRow("inconclusive") << QStringLiteral("inconclusive") << QStringLiteral("INCONCLUSIVE");
    QTest::newRow("no evidence") << QStringLiteral("no_evidence") << QStringLiteral("NO EVIDENCE OF DEGRADATION");
}

void TestReport::verdictHeadlines()
{
    QFETCH(QString, verdict);
    QFETCH(QString, headline);
    auto r = marginReport(verdict.toStdString().c_str());
    if (verdict == QLatin1String("no_evidence")) {
        r.hasMargin = false;
        for (auto& t : r.tasks)
            t.hasMargin = false;
    }
    const QStringList all { QStringLiteral("DEGRADED"), QStringLiteral("NO WORSE THAN THE MARGIN"),
        QStringLiteral("INCONCLUSIVE"), QStringLiteral("NO EVIDENCE OF DEGRADATION") };
    for (const auto& [name, text] : allWriters(r)) {
        if (QLatin1String(name) == QLatin1String("json")) {
            const auto doc = QJsonDocument::fromJson(text.toUtf8()).object();
            QCOMPARE(doc.value(QStringLiteral("verdict")).toString(), verdict);
            continue;
        }
        if (QLatin1String(name) == QLatin1String("csv")) {
            QVERIFY2(rowOf(text, QStringLiteral("mmlu")).contains(QLatin1Char(',') + verdict + QLatin1Char(',')),
                qPrintable(text));
            continue;
        }
        QVERIFY2(text.contains(headline), qPrintable(text));
        for (const auto& other : all)
            if (other != headline)
                QVERIFY2(!text.contains(other), qPrintable(QLatin1String(name) + QStringLiteral(": ") + other));
    }
}

void TestReport::inconclusiveSaysWhatToCollect()
{
    auto r = marginReport("inconclusive");
    // 3019 pairs for 80% power at the observed drop, 499 in hand.
    for (const auto& [name, text] : allWriters(r)) {
        QVERIFY2(text.contains(QStringLiteral("collect about 2520 more samples of mmlu")), name);
        QVERIFY2(!text.contains(QStringLiteral("more samples of wikitext")), name); // it cleared its margin
        if (QLatin1String(name) == QLatin1String("json")) {
            // JSON has no "above": its next step points to the field that holds the counts.
            const auto next = QJsonDocument::fromJson(text.toUtf8())
                                  .object()
                                  .value(QStringLiteral("aggregate"))
                                  .toObject()
                                  .value(QStringLiteral("next_step"))
                                  .toString();
            QVERIFY2(next.contains(QStringLiteral("(each task's samples_needed)")), qPrintable(next));
            QVERIFY2(!next.contains(QStringLiteral("above")), qPrintable(next));
        }
        if (QLatin1String(name) == QLatin1String("json") || QLatin1String(name) == QLatin1String("csv"))
            continue;
        const QString row = rowOf(text, QStringLiteral("mmlu"));
        QVERIFY2(row.contains(QStringLiteral("3 pts")), qPrintable(row));
        QVERIFY2(row.contains(QStringLiteral("0.1510")), qPrintable(row));
        QVERIFY2(row.contains(QStringLiteral("3019")), qPrintable(row));
        QVERIFY2(rowOf(text, QStringLiteral("wikitext")).contains(QStringLiteral("1% of word_perplexity")), name);
        // With a margin a task not shown worse is judged by its margin test, in the words the
        // window uses: mmlu's p (no worse) 0.151 is not below alpha, wikitext's 1e-4 is.
        QVERIFY2(row.contains(QStringLiteral("not shown within margin")), qPrintable(row));
        QVERIFY2(!row.contains(QStringLiteral("not shown worse")), qPrintable(row));
        const QString wikiRow = rowOf(text, QStringLiteral("wikitext"));
        QVERIFY2(wikiRow.contains(QStringLiteral("within margin")) && !wikiRow.contains(QStringLiteral("not shown")),
            qPrintable(wikiRow));
    }
    // An observed drop at or above the margin: no number of samples would show it within.
    r.tasks[0].samplesNeeded = -1;
    r.tasks[0].pNonInferiority = 0.72;
    for (const auto& [name, text] : allWriters(r)) {
        QVERIFY2(text.contains(QStringLiteral(
                     "mmlu: the observed drop is above its margin; more samples would not show it within")),
            name);
        QVERIFY2(!text.contains(QStringLiteral("collect about")), name);
    }
    // Cleared, or degraded: nothing to collect.
    for (const char* v : { "no_worse_than_margin", "degraded" })
        for (const auto& [name, text] : allWriters(marginReport(v)))
            QVERIFY2(
                !text.contains(QStringLiteral("collect about")) && !text.contains(QStringLiteral("rule out")), name);
}

void TestReport::upperBoundSaidWithoutMargin()
{
    auto r = marginReport("no_evidence");
    r.hasMargin = false;
    for (auto& t : r.tasks)
        t.hasMargin = false;
    for (const auto& [name, text] : allWriters(r)) {
        // U = 0.0392: points for a binary task; a corpus metric's bound in its tested units.
        QVERIFY2(text.contains(QStringLiteral("mmlu: the data rule out a drop above 3.92 points")), name);
        // A bound below zero: the candidate is better there, said so (not as "a drop above -6.924").
        QVERIFY2(text.contains(QStringLiteral("wikitext: the data rule out any drop: the candidate is better by at "
                                              "least 6.924 (per-document log-likelihood)")),
            name);
        QVERIFY2(!text.contains(QStringLiteral("above -")), name);
        QVERIFY2(
            !text.contains(QStringLiteral("p (within margin)")) && !text.contains(QStringLiteral("p_margin")), name);
    }
    // Without spread in a continuous task's differences there is no bound: the line says why
    // instead of printing one.
    for (auto& t : r.tasks)
        if (t.task == "wikitext") {
            t.upperBound = std::numeric_limits<double>::quiet_NaN();
            t.delta = 0.0;
        }
    for (const auto& [name, text] : allWriters(r)) {
        QVERIFY2(text.contains(QStringLiteral("wikitext: no bound: every pair differs by exactly 0 (")), name);
        QVERIFY2(!text.contains(QStringLiteral("above nan")) && !text.contains(QStringLiteral("above n/a")), name);
    }
    for (auto& t : r.tasks)
        if (t.task == "wikitext")
            t.delta = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [name, text] : allWriters(r))
        QVERIFY2(text.contains(QStringLiteral("wikitext: no bound: no pair has finite scores on both sides")), name);
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(r))).object();
    QVERIFY(doc.value(QStringLiteral("margin")).isNull());
    const auto t = doc.value(QStringLiteral("tasks")).toArray().at(0).toObject();
    QVERIFY(t.value(QStringLiteral("p_noninferiority")).isNull());
    QVERIFY(t.value(QStringLiteral("samples_needed")).isNull());
    QCOMPARE(t.value(QStringLiteral("upper_bound")).toDouble(), 0.0392);
}

void TestReport::marginClusterNoiseInJson()
{
    auto r = marginReport("inconclusive");
    auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(r))).object();
    // Margins that differ per task: each task's value and whether it is relative.
    const auto per = doc.value(QStringLiteral("margin")).toObject().value(QStringLiteral("per_task")).toObject();
    QCOMPARE(per.value(QStringLiteral("mmlu")).toObject().value(QStringLiteral("value")).toDouble(), 0.03);
    QCOMPARE(per.value(QStringLiteral("mmlu")).toObject().value(QStringLiteral("relative")).toBool(), false);
    QCOMPARE(per.value(QStringLiteral("wikitext")).toObject().value(QStringLiteral("value")).toDouble(), 0.01);
    QCOMPARE(per.value(QStringLiteral("wikitext")).toObject().value(QStringLiteral("relative")).toBool(), true);
    const auto tasks = doc.value(QStringLiteral("tasks")).toArray();
    const auto m = tasks.at(0).toObject();
    QCOMPARE(m.value(QStringLiteral("margin")).toDouble(), 0.03);
    QCOMPARE(m.value(QStringLiteral("p_noninferiority")).toDouble(), 0.151);
    QCOMPARE(m.value(QStringLiteral("upper_bound")).toDouble(), 0.0392);
    QCOMPARE(m.value(QStringLiteral("samples_needed")).toInt(), 3019);
    QCOMPARE(m.value(QStringLiteral("noise_flips")).toInt(), 12);
    const auto c = m.value(QStringLiteral("cluster")).toObject();
    QCOMPARE(c.value(QStringLiteral("key")).toString(), QStringLiteral("metadata.subject"));
    QCOMPARE(c.value(QStringLiteral("clusters")).toInt(), 10);
    QCOMPARE(c.value(QStringLiteral("design_effect")).toDouble(), 0.783);
    QVERIFY(tasks.at(1).toObject().value(QStringLiteral("noise_flips")).isNull());
    QCOMPARE(tasks.at(1).toObject().value(QStringLiteral("margin_relative")).toBool(), true);
    // One absolute margin for every task: a plain number in delta's units.
    r.tasks.pop_back();
    doc = QJsonDocument::fromJson(QByteArray::fromStdString(report::toJson(r))).object();
    QCOMPARE(doc.value(QStringLiteral("margin")).toDouble(), 0.03);
    // The other writers show the clusters and the noise beside the candidate's flips (b + c = 46).
    for (const auto& [name, text] : allWriters(r)) {
        if (QLatin1String(name) == QLatin1String("json"))
            continue;
        const QString row = rowOf(text, QStringLiteral("mmlu"));
        if (QLatin1String(name) == QLatin1String("csv")) {
            QVERIFY2(row.contains(QStringLiteral(",metadata.subject,10,0.78"))
                    && row.contains(QStringLiteral(",12,collect about")),
                qPrintable(row));
            continue;
        }
        QVERIFY2(row.contains(QStringLiteral("metadata.subject: 10 clusters, design effect 0.783")), qPrintable(row));
        QVERIFY2(row.contains(QStringLiteral("46 vs 12")), qPrintable(row));
    }
}

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
