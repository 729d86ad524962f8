#include "TestData.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "report/ReportWriters.h"

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

} // namespace

class TestReport : public QObject {
    Q_OBJECT
private slots:
    void jsonShape();
    void holmAndAggregate();
    void permutationWhenAsked();
    void continuousDecision();
    void csvAndMarkdown();
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
    QCOMPARE(rep.degraded, rep.permutation.pValue < 0.05);
    QVERIFY(rep.decisionBasis.find("permutation") != std::string::npos);
}

void TestReport::csvAndMarkdown()
{
    const auto rep = fixtureReport("layout_current");
    const auto csv = QString::fromStdString(report::toCsv(rep)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(csv.size(), 4);
    QVERIFY(csv[0].startsWith(QStringLiteral("task,filter,metric,kind,n,b,c")));
    QVERIFY(csv[1].startsWith(QStringLiteral("arc_easy,none,acc,binary,40,3,1,")));
    const auto md = QString::fromStdString(report::toMarkdown(rep));
    QVERIFY(md.contains(QStringLiteral("no degradation detected")));
    QVERIFY(md.contains(QStringLiteral("| gsm8k [strict-match] | exact_match | 30 |")));
}

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
