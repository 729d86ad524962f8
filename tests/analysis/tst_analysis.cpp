// SPDX-License-Identifier: GPL-3.0-or-later
// The command line and the window are two translations of the same requests: the same comparison
// and the same expert-sharing scenario, run through deltascope-cli (JSON output), through the
// analysis layer and through the window's adapters (loadComparison, computeExperts), must give
// identical JSON.
#include "CliRun.h"
#include "TestData.h"
#include "analysis/Comparison.h"
#include "analysis/ExpertSharing.h"
#include "analysis/IdList.h"
#include "analysis/WorkspaceRequests.h"
#include "backend/CpuBackend.h"
#include "degradation/Comparison.h"
#include "experts/ExpertRun.h"
#include "report/ReportWriters.h"
#include "report/XShareWriters.h"

#include <QProcess>
#include <QTemporaryDir>

using namespace deltascope;

namespace {

using test::cli;
using test::fixture;

// The command line words its warnings for its own flags; everything else must be the same.
QJsonObject withoutWarningText(const QByteArray& json, qsizetype& warnings)
{
    auto o = QJsonDocument::fromJson(json).object();
    warnings = o.value(QStringLiteral("warnings")).toArray().size();
    o.remove(QStringLiteral("warnings"));
    return o;
}

const char* const kPolicies[] = { "topk", "batch", "ep", "spec" };
enum Placement { Contiguous, File, Balanced };

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void idLists_data();
    void idLists();
    void comparisonSameEverywhere_data();
    void comparisonSameEverywhere();
    void retestKeepsTheRuns();
    void keepListAndReruns();
    void expertSharingSameEverywhere_data();
    void expertSharingSameEverywhere();
    void currentBudgetSameEverywhere();
    void oneReplayRule();
    void defaultsDecidedOnce();
    void settingsAreNamed_data();
    void settingsAreNamed();
    void workspaceFileKeepsTheRequests();

private:
    QTemporaryDir m_dir;
    QString m_trace;
    QString m_placement;
    backend::CpuBackend m_cpu;
};

void TestAnalysis::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_trace = m_dir.filePath(QStringLiteral("t.safetensors"));
    const auto made = cli({ QStringLiteral("synth-trace"), m_trace, QStringLiteral("--requests"), QStringLiteral("12"),
        QStringLiteral("--tokens"), QStringLiteral("10"), QStringLiteral("--layers"), QStringLiteral("3"),
        QStringLiteral("--experts"), QStringLiteral("16"), QStringLiteral("--top-k"), QStringLiteral("2"),
        QStringLiteral("--seed"), QStringLiteral("5") });
    QCOMPARE(made.exitCode, 0);
    // Four devices; experts 4 and 15 have a second copy.
    m_placement = QString::fromStdString(test::writeFile(m_dir, QStringLiteral("placement.json"),
        "{\"placement\": [0, 0, 0, 0, [1, 2], 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, [3, 0]]}"));
}

void TestAnalysis::idLists_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("ids"); // empty with ok false: refused
    QTest::addColumn<bool>("ok");
    QTest::newRow("ranges and ids") << QStringLiteral(" 0-3, 7 ,9-10") << QStringLiteral("0 1 2 3 7 9 10") << true;
    QTest::newRow("empty") << QString() << QString() << true;
    QTest::newRow("trailing comma") << QStringLiteral("4,") << QStringLiteral("4") << true;
    QTest::newRow("backwards") << QStringLiteral("3-1") << QString() << false;
    QTest::newRow("word") << QStringLiteral("a") << QString() << false;
    QTest::newRow("negative") << QStringLiteral("-2") << QString() << false;
    QTest::newRow("half range") << QStringLiteral("5-") << QString() << false;
    QTest::newRow("too many") << QStringLiteral("0-20000000") << QString() << false;
}

void TestAnalysis::idLists()
{
    QFETCH(QString, text);
    QFETCH(QString, ids);
    QFETCH(bool, ok);
    std::vector<std::int32_t> out { 99 };
    std::string why;
    QCOMPARE(analysis::parseIdList(text.toStdString(), out, why), ok);
    QStringList got;
    for (const auto id : out)
        got << QString::number(id);
    QCOMPARE(got.join(QLatin1Char(' ')), ids);
    if (!ok)
        QVERIFY(why.find("is not an id") != std::string::npos);
    else
        QCOMPARE(analysis::formatIdList(out).empty(), out.empty());
    // The window reads the same lists.
    std::vector<std::int32_t> window;
    QString windowWhy;
    QCOMPARE(ui::parseRequestList(text, window, windowWhy), ok);
    QVERIFY(window == out);
}

void TestAnalysis::comparisonSameEverywhere_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("cand");
    QTest::addColumn<bool>("permutation");
    QTest::newRow("lm-eval 0.4.3, with the permutation test")
        << fixture("eval/layout_0.4.3/baseline") << fixture("eval/layout_0.4.3/candidate") << true;
    QTest::newRow("lm-eval 0.4.0") << fixture("eval/layout_0.4.0/baseline") << fixture("eval/layout_0.4.0/candidate")
                                   << false;
    QTest::newRow("lm-eval current") << fixture("eval/layout_current/baseline")
                                     << fixture("eval/layout_current/candidate") << false;
    const QString demo = QStringLiteral(DELTASCOPE_DEMO_DIR);
    if (QFileInfo::exists(demo + QStringLiteral("/baseline")))
        QTest::newRow("demo runs") << demo + QStringLiteral("/baseline") << demo + QStringLiteral("/candidate") << true;
}

void TestAnalysis::comparisonSameEverywhere()
{
    QFETCH(QString, base);
    QFETCH(QString, cand);
    QFETCH(bool, permutation);
    QStringList args { QStringLiteral("compare"), base, cand, QStringLiteral("--format"), QStringLiteral("json"),
        QStringLiteral("--backend"), QStringLiteral("cpu"), QStringLiteral("--quiet"), QStringLiteral("--alpha"),
        QStringLiteral("0.1") };
    if (permutation)
        args << QStringLiteral("--permutations") << QStringLiteral("2000") << QStringLiteral("--seed")
             << QStringLiteral("11");
    const auto c = cli(args);
    QVERIFY2(c.exitCode == 0 || c.exitCode == 1, c.err.constData());

    // The window's adapter.
    ui::SideSpec b;
    b.path = base;
    ui::SideSpec d;
    d.path = cand;
    ui::StatsSettings stats;
    stats.alpha = 0.1;
    if (permutation) {
        stats.permutations = 2000;
        stats.seed = 11;
        stats.runPermutation = true;
    }
    const auto w = ui::loadComparison(b, d, stats, nullptr, &m_cpu);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error->toString().c_str());
    // The analysis layer, called directly.
    const auto a = analysis::runComparison(ui::comparisonRequest(b, d, stats), m_cpu);
    QVERIFY(a.ok());

    qsizetype cliWarnings = 0;
    qsizetype windowWarnings = 0;
    qsizetype coreWarnings = 0;
    const auto fromCli = withoutWarningText(c.out, cliWarnings);
    const auto fromWindow
        = withoutWarningText(QByteArray::fromStdString(report::toJson((*w.value)->report)), windowWarnings);
    const auto fromCore = withoutWarningText(QByteArray::fromStdString(report::toJson(a.value->report)), coreWarnings);
    QVERIFY(!fromCli.isEmpty());
    QCOMPARE(fromWindow, fromCli);
    QCOMPARE(fromCore, fromCli);
    QCOMPARE(windowWarnings, cliWarnings);
    QCOMPARE(coreWarnings, cliWarnings);
    QCOMPARE(c.exitCode, a.value->report.degraded ? 1 : 0);
    QCOMPARE(fromCli.value(QStringLiteral("permutation")).isObject() && permutation, permutation);
}

void TestAnalysis::retestKeepsTheRuns()
{
    ui::SideSpec b;
    b.path = fixture("eval/layout_0.4.3/baseline");
    ui::SideSpec d;
    d.path = fixture("eval/layout_0.4.3/candidate");
    const auto first = ui::loadComparison(b, d, {}, nullptr);
    QVERIFY(first.ok());
    ui::StatsSettings strict;
    strict.alpha = 0.001;
    const auto again = ui::retest(*first.value, strict, nullptr);
    QCOMPARE(again->base, (*first.value)->base); // nothing reloaded
    QCOMPARE(again->report.alpha, 0.001);
    QCOMPARE(again->analysis.request.stats.alpha, 0.001);
    // The analysis layer retests to the same report a fresh comparison gives.
    auto fresh = ui::comparisonRequest(b, d, strict);
    const auto direct = analysis::runComparison(fresh, m_cpu);
    QVERIFY(direct.ok());
    QCOMPARE(report::toJson(again->report), report::toJson(direct.value->report));
    // A level outside (0, 1) is refused with the setting's name, and the old result stays.
    ui::StatsSettings bad;
    bad.alpha = 1.5;
    analysis::StatsRequest outside;
    outside.alpha = 1.5;
    const auto refused = analysis::retestComparison(direct.value.value(), outside, m_cpu);
    QVERIFY(!refused.ok());
    QVERIFY(refused.error->message.starts_with("the level alpha"));
    const auto kept = ui::retest(*first.value, bad, nullptr);
    QCOMPARE(kept->report.alpha, (*first.value)->report.alpha);
}

void TestAnalysis::keepListAndReruns()
{
    // The options only the command line offers today (keep-list, reruns) reach the same request.
    QTemporaryDir dir;
    const auto r1 = test::writeFile(dir, QStringLiteral("r1.csv"), "id,score\n1,1\n2,0\n3,1\n4,0\n5,1\n");
    const auto r2 = test::writeFile(dir, QStringLiteral("r2.csv"), "id,score\n1,1\n2,1\n3,1\n4,0\n5,0\n");
    const auto cand = test::writeFile(dir, QStringLiteral("cand.csv"), "id,score\n1,0\n2,1\n3,1\n4,1\n5,0\n");
    const QString keep = dir.filePath(QStringLiteral("keep.json"));
    QCOMPARE(cli({ QStringLiteral("shrink"), QString::fromStdString(r1), QString::fromStdString(r2),
                     QStringLiteral("--output"), keep })
                 .exitCode,
        0);
    const auto c = cli({ QStringLiteral("compare"), QString::fromStdString(r1), QString::fromStdString(cand),
        QStringLiteral("--base-rerun"), QString::fromStdString(r2), QStringLiteral("--keep-list"), keep,
        QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--backend"), QStringLiteral("cpu"),
        QStringLiteral("--quiet") });
    QVERIFY2(c.exitCode == 0 || c.exitCode == 1, c.err.constData());

    analysis::ComparisonRequest request;
    request.base.path = r1;
    request.base.reruns = { r2 };
    request.cand.path = cand;
    request.keepListPath = keep.toStdString();
    const auto a = analysis::runComparison(request, m_cpu);
    QVERIFY2(a.ok(), a.ok() ? "" : a.error->toString().c_str());
    QVERIFY(a.value->loaded->keepList);
    qsizetype n1 = 0;
    qsizetype n2 = 0;
    QCOMPARE(withoutWarningText(QByteArray::fromStdString(report::toJson(a.value->report)), n1),
        withoutWarningText(c.out, n2));
    QCOMPARE(n1, n2);
    // Averaged reruns: sample 2 scores 0.5 on the baseline side, so the comparison is continuous. The
    // samples the keep-list excluded that both runs have are tested in a row of their own.
    const auto tasks = QJsonDocument::fromJson(c.out).object().value(QStringLiteral("tasks")).toArray();
    QCOMPARE(tasks.size(), 2);
    QCOMPARE(tasks[0].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("continuous"));
    QVERIFY(!tasks[0].toObject().value(QStringLiteral("audit")).toBool());
    QVERIFY(tasks[1].toObject().value(QStringLiteral("audit")).toBool());
}

void TestAnalysis::expertSharingSameEverywhere_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<int>("placement");
    for (const char* p : kPolicies) {
        QTest::addRow("%s, contiguous", p) << QString::fromLatin1(p) << int(Contiguous);
        QTest::addRow("%s, placement file with copies", p) << QString::fromLatin1(p) << int(File);
        QTest::addRow("%s, balanced with 2 copies", p) << QString::fromLatin1(p) << int(Balanced);
    }
}

void TestAnalysis::expertSharingSameEverywhere()
{
    QFETCH(QString, policy);
    QFETCH(int, placement);
    QStringList args { QStringLiteral("xshare"), m_trace, QStringLiteral("--policy"), policy,
        QStringLiteral("--devices"), QStringLiteral("4"), QStringLiteral("--batch-size"), QStringLiteral("4"),
        QStringLiteral("--backend"), QStringLiteral("cpu"), QStringLiteral("--format"), QStringLiteral("json") };
    ui::ExpertSettings s;
    QVERIFY(moe::parsePolicy(policy.toStdString(), s.policy));
    s.devices = 4;
    s.batchSize = 4;
    if (placement == File) {
        args << QStringLiteral("--placement") << m_placement;
        s.placementFile = m_placement;
    } else if (placement == Balanced) {
        args << QStringLiteral("--placement") << QStringLiteral("balanced") << QStringLiteral("--replicas")
             << QStringLiteral("2");
        s.balanced = true;
        s.replicas = 2;
    }
    const auto c = cli(args);
    QVERIFY2(c.exitCode == 0, c.err.constData());

    const auto trace = ui::openTraceFile(m_trace, nullptr);
    QVERIFY(trace.ok());
    const auto w = ui::computeExperts(nullptr, *trace.value, m_trace, s, 2, nullptr, &m_cpu);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error->toString().c_str());
    const auto windowJson = report::xshareJson(ui::reportView(**w.value, true));

    const auto a = analysis::runExpertSharing(ui::scenarioOf(s, nullptr, m_trace), m_cpu);
    QVERIFY(a.ok());
    const auto& r = *a.value;
    const auto coreJson = report::xshareJson({ m_trace.toStdString(), r.prepared.trace.get(), r.prepared.batches.get(),
        r.prepared.policy.get(), r.xshare.get(), r.ranOn.label() });

    QCOMPARE(QString::fromStdString(windowJson), QString::fromUtf8(c.out));
    QCOMPARE(QString::fromStdString(coreJson), QString::fromUtf8(c.out));
    // Saved in a workspace file and read back, the scenario runs to the same JSON.
    workspace::Workspace saved;
    analysis::storeScenario(ui::scenarioOf(s, nullptr, m_trace), saved.experts);
    const auto reread = workspace::parseWorkspace(workspace::toJson(saved), "w.deltascope");
    QVERIFY(reread.ok());
    const auto restored = analysis::scenarioFromWorkspace(reread.value->experts);
    QVERIFY(restored.ok());
    const auto again = analysis::runExpertSharing(*restored.value, m_cpu);
    QVERIFY(again.ok());
    QCOMPARE(QString::fromStdString(report::xshareJson(
                 { m_trace.toStdString(), again.value->prepared.trace.get(), again.value->prepared.batches.get(),
                     again.value->prepared.policy.get(), again.value->xshare.get(), again.value->ranOn.label() })),
        QString::fromUtf8(c.out));
    const auto j = QJsonDocument::fromJson(c.out).object();
    QCOMPARE(j.value(QStringLiteral("results")).toArray().size(), 16 - 2 + 1);
    const int copies = j.value(QStringLiteral("policy")).toObject().value(QStringLiteral("replicas")).toInt();
    QCOMPARE(copies, placement == Contiguous ? 0 : 2);
}

void TestAnalysis::currentBudgetSameEverywhere()
{
    // The window's current budget (with its slices) is the command line's --budget M --per-slice.
    for (const char* policy : kPolicies) {
        const auto c = cli({ QStringLiteral("xshare"), m_trace, QStringLiteral("--policy"), QLatin1String(policy),
            QStringLiteral("--budget"), QStringLiteral("5"), QStringLiteral("--per-slice"), QStringLiteral("--devices"),
            QStringLiteral("4"), QStringLiteral("--placement"), m_placement, QStringLiteral("--backend"),
            QStringLiteral("cpu"), QStringLiteral("--format"), QStringLiteral("json") });
        QVERIFY2(c.exitCode == 0, c.err.constData());
        ui::ExpertSettings s;
        QVERIFY(moe::parsePolicy(policy, s.policy));
        s.devices = 4;
        s.placementFile = m_placement;
        const auto trace = ui::openTraceFile(m_trace, nullptr);
        const auto w = ui::computeExperts(nullptr, *trace.value, m_trace, s, 5, nullptr, &m_cpu);
        QVERIFY(w.ok());
        QCOMPARE(QString::fromStdString(report::xshareJson(ui::reportView(**w.value))), QString::fromUtf8(c.out));
        // Every slice lists its selected experts, whatever the policy.
        for (const auto& slice : (*w.value)->current->slices)
            QVERIFY(!slice.selected.empty() || slice.tokens == 0);
        QCOMPARE(ui::sliceCsv(**w.value).toStdString(), report::xshareSliceCsv(*(*w.value)->current));
    }
}

void TestAnalysis::oneReplayRule()
{
    auto trace = std::make_shared<moe::Trace>();
    trace->tokens = 4;
    trace->layers = 1;
    trace->experts = 4;
    trace->topK = 1;
    trace->requestId = { 0, 0, 1, 1 };
    analysis::ExpertScenario s;
    // No recorded steps: replay whatever was asked.
    s.batching = analysis::BatchMode::Recorded;
    QVERIFY(analysis::batchingFor(s, *trace).replay);
    QCOMPARE(analysis::batchingFor(s, *trace).batchSize, std::int64_t(analysis::kDefaultBatchSize));
    trace->stepId = { 0, 0, 1, 1 };
    QVERIFY(trace->hasSteps());
    QVERIFY(!analysis::batchingFor(s, *trace).replay);
    s.batching = analysis::BatchMode::Auto;
    QVERIFY(!analysis::batchingFor(s, *trace).replay); // recorded steps by default
    s.batchSize = 8;
    QVERIFY(analysis::batchingFor(s, *trace).replay); // a batch size asks for replay
    s.batchSize = 0;
    s.requests = { 1 };
    s.batching = analysis::BatchMode::Recorded;
    QVERIFY(analysis::batchingFor(s, *trace).replay); // picking requests re-forms the batches
    s.requests.clear();
    s.gamma = 2;
    QVERIFY(analysis::batchingFor(s, *trace).replay);
}

void TestAnalysis::defaultsDecidedOnce()
{
    // The window's settings start from the analysis layer's defaults.
    const ui::ExpertSettings window;
    const analysis::ExpertScenario core;
    QCOMPARE(window.devices, core.devices);
    QCOMPARE(window.warmup, core.warmup);
    QCOMPARE(window.batchSize, analysis::kDefaultBatchSize);
    QCOMPARE(window.policy, core.policy);
    const ui::StatsSettings stats;
    const analysis::StatsRequest request;
    QCOMPARE(stats.alpha, request.alpha);
    QCOMPARE(stats.permutations, request.permutations);
    // Devices: 8 by default, one per expert when the trace has fewer.
    QCOMPARE(analysis::devicesFor(core, 64), 8);
    QCOMPARE(analysis::devicesFor(core, 4), 4);
    // The command line's default is the same.
    const auto c = cli({ QStringLiteral("xshare"), m_trace, QStringLiteral("--budget"), QStringLiteral("2"),
        QStringLiteral("--backend"), QStringLiteral("cpu"), QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(c.exitCode, 0);
    const auto p = QJsonDocument::fromJson(c.out).object().value(QStringLiteral("policy")).toObject();
    QCOMPARE(p.value(QStringLiteral("devices")).toInt(), 8);
    QCOMPARE(p.value(QStringLiteral("warmup")).toInt(), 1);
}

void TestAnalysis::settingsAreNamed_data()
{
    QTest::addColumn<int>("batchSize");
    QTest::addColumn<int>("devices");
    QTest::addColumn<int>("requestExperts");
    QTest::addColumn<QString>("message");
    QTest::newRow("batch size") << -1 << 0 << 0 << QStringLiteral("batch size must be at least 1");
    QTest::newRow("devices above N") << 0 << 17 << 0
                                     << QStringLiteral("devices must be at most the number of experts (16), not 17");
    QTest::newRow("request experts above N") << 0 << 0 << 20 << QStringLiteral("experts per request must be at most");
}

void TestAnalysis::settingsAreNamed()
{
    // Core messages name the setting, never a flag or a control.
    QFETCH(int, batchSize);
    QFETCH(int, devices);
    QFETCH(int, requestExperts);
    QFETCH(QString, message);
    analysis::ExpertScenario s;
    s.tracePath = m_trace.toStdString();
    s.batchSize = batchSize;
    s.devices = devices;
    s.requestExperts = requestExperts;
    const auto r = analysis::runExpertSharing(s, m_cpu);
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error->message).startsWith(message), r.error->message.c_str());
    QVERIFY(r.error->message.find("--") == std::string::npos);
}

void TestAnalysis::workspaceFileKeepsTheRequests()
{
    // A .deltascope file stores the requests: saved and read back, they run to the same results.
    analysis::ExpertScenario s;
    s.tracePath = m_trace.toStdString();
    s.policy = moe::Policy::ExpertParallel;
    s.batching = analysis::BatchMode::Replay;
    s.batchSize = 4;
    s.gamma = 1;
    s.devices = 4;
    s.requests = { 0, 1, 2, 3, 7, 9, 10 };
    s.placement = analysis::PlacementKind::File;
    s.placementFile = m_placement.toStdString();
    analysis::ComparisonRequest c;
    c.base.path = fixture("eval/layout_0.4.3/baseline").toStdString();
    c.cand.path = fixture("eval/layout_0.4.3/candidate").toStdString();
    c.cand.load.runTimestamp = "2026-03-03T09-02-11.530977";
    c.stats.alpha = 0.02;
    c.stats.permutations = 500;
    c.stats.runPermutation = true;
    c.keepListPath = "keep.json";

    workspace::Workspace w;
    analysis::storeScenario(s, w.experts);
    analysis::storeComparison(c, w.degradation);
    QCOMPARE(w.experts.requests, std::string("0-3, 7, 9-10"));
    const auto back = workspace::parseWorkspace(workspace::toJson(w), "w.deltascope");
    QVERIFY2(back.ok(), back.ok() ? "" : back.error->toString().c_str());
    const auto scenario = analysis::scenarioFromWorkspace(back.value->experts);
    QVERIFY(scenario.ok());
    auto request = analysis::comparisonFromWorkspace(back.value->degradation);
    QVERIFY(request.ok());
    QCOMPARE(request.value->cand.load.runTimestamp, c.cand.load.runTimestamp);
    QVERIFY(request.value->stats == c.stats);
    QCOMPARE(request.value->keepListPath, c.keepListPath);
    request.value->keepListPath.clear(); // (the file does not exist; the rest is compared by running it)
    c.keepListPath.clear();

    const auto a = analysis::runExpertSharing(s, m_cpu);
    const auto b = analysis::runExpertSharing(*scenario.value, m_cpu);
    QVERIFY(a.ok() && b.ok());
    auto json = [](const analysis::ExpertSharingResult& r) {
        return report::xshareJson({ r.scenario.tracePath, r.prepared.trace.get(), r.prepared.batches.get(),
            r.prepared.policy.get(), r.xshare.get(), r.ranOn.label() });
    };
    QCOMPARE(json(*b.value), json(*a.value));
    const auto x = analysis::runComparison(c, m_cpu);
    const auto y = analysis::runComparison(*request.value, m_cpu);
    QVERIFY(x.ok() && y.ok());
    QCOMPARE(report::toJson(y.value->report), report::toJson(x.value->report));

    // A malformed saved request list is refused with the setting's name.
    auto broken = back.value->experts;
    broken.requests = "3-1";
    const auto refused = analysis::scenarioFromWorkspace(broken);
    QVERIFY(!refused.ok());
    QVERIFY(refused.error->message.starts_with("requests: "));
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
