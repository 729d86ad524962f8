// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "common/EnglishPlurals.h"
#include "common/Format.h"
#include "common/JobRunner.h"
#include "degradation/AggregatePanel.h"
#include "degradation/ColumnMappingDialog.h"
#include "degradation/Comparison.h"
#include "degradation/DegradationPage.h"
#include "degradation/DisagreementModel.h"
#include "degradation/DisagreementProxy.h"
#include "degradation/DisagreementsView.h"
#include "degradation/PowerPlanView.h"
#include "degradation/SampleView.h"
#include "degradation/SideChoice.h"
#include "degradation/TaskFilterProxy.h"
#include "degradation/TaskTableModel.h"
#include "export/ReportExporter.h"
#include "plot/DegradationPlots.h"
#include "plot/PlotView.h"
#include "report/Verdict.h"
#include "stats/Aggregate.h"
#include "stats/Power.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <limits>

using namespace deltascope;
using namespace deltascope::ui;

namespace {

// A comparison whose report is filled by hand (not degraded, unstable): a binary task whose own p
// and Holm p are below alpha (suggestive), a corpus metric, the samples a keep-list excluded, and
// one task flagged worse with a p-value below the smallest double.
ComparisonPtr handFilled()
{
    auto c = std::make_shared<Comparison>();
    auto& r = c->report;
    r.alpha = 0.05;
    r.hasContinuous = true;
    r.method = "sign-flip, studentized";
    r.decisionLevel = 0.05 / 3;
    r.stable = false;
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
    wiki.accBase = -11090.0;
    wiki.accCand = -12345.0;
    wiki.delta = 1255.0;
    wiki.intervalMethod = "Student t, mean difference";
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
    audit.pValue = 0.75;
    audit.lnP = std::log(0.75);
    audit.worstCand = 3;
    r.tasks.push_back(audit);
    report::TaskResult tiny;
    tiny.task = "gsm8k";
    tiny.filter = "strict-match";
    tiny.metric = "exact_match";
    tiny.n = 3000;
    tiny.b = 1400;
    tiny.pValue = 0.0;
    tiny.lnP = -970.4;
    tiny.pHolm = 0.0;
    tiny.lnPHolm = -969.7;
    tiny.flag = report::TaskFlag::Worse;
    r.tasks.push_back(tiny);
    auto test = [](const char* name, double p, double lo, double hi) {
        report::DecisionTest d;
        d.name = name;
        d.statisticName = "z";
        d.statistic = 2.0;
        d.pValue = p;
        d.lnP = std::log(p);
        d.monteCarlo = true;
        d.pMcLow = lo;
        d.pMcHigh = hi;
        return d;
    };
    r.decision = { test("pooled", 0.0171, 0.0160, 0.0183), test("Fisher", 0.0169, 0.0158, 0.0181),
        test("max-drop", 0.0166, 0.0155, 0.0178) };
    r.permutation.present = true;
    r.permutation.permutations = 1000000;
    r.permutation.requested = 10000;
    r.permutation.maxPermutations = 1000000;
    r.permutation.stable = false;
    r.permutation.pValue = 0.0166;
    r.permutation.pMcLow = 0.0155;
    r.permutation.pMcHigh = 0.0178;
    return c;
}

} // namespace

class TestDegradationUi : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void taskModel();
    void taskProxyFiltersAndSorts();
    void disagreementModel();
    void controlCharactersInIdsAreVisible();
    void disagreementProxy();
    void retestChangesTheDecision();
    void jobRunnerLatestWins();
    void jobRunnerApplyStartsNext();
    void jobRunnerJoinsWorkers();
    void jobRunnerCancel();
    void exports();
    void exportFailureLeavesNothing();
    void plotsDraw();
    void handFilledTaskTable();
    void aggregatePanelShowsTheDecision();
    void plannerAtTheDecisionLevel();
    void disagreementCountsAndFilters();
    void numbersReadAlike();
    void bannerForEachVerdict();
    void marginTextParsesOrExplains();
    void marginDecidesTheVerdict();
    void marginClusterAndNoiseColumns();
    void plannerForAMargin();
    void markedHtmlEscapesAndMarks();
    void workspaceShowsTheDemo();
    void realWikitextRuns();
    void realMmluTables();
    void sampleSidesStackWhenNarrow();
    void mappingDialogOffersTextColumns();
    void mappingSharedWithTheOtherSide();
    void realHelmAndSimpleEvalsInTheWindow();
    void pdfText();

private:
    ComparisonPtr m_c;
};

void TestDegradationUi::initTestCase()
{
    SideSpec base;
    base.path = QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline");
    SideSpec cand;
    cand.path = QStringLiteral(DELTASCOPE_DEMO_DIR "/candidate");
    auto r = loadComparison(base, cand, {}, nullptr);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    m_c = *r.value;
    QVERIFY(m_c->report.tasks.size() >= 3);
}

void TestDegradationUi::taskModel()
{
    TaskTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    model.setComparison(m_c);
    const auto& tasks = m_c->report.tasks;
    QCOMPARE(model.rowCount(), static_cast<int>(tasks.size()));
    QCOMPARE(model.columnCount(), int(TaskTableModel::ColumnCount));
    for (int row = 0; row < model.rowCount(); ++row) {
        const auto& t = tasks[static_cast<std::size_t>(row)];
        QCOMPARE(model.index(row, TaskTableModel::PValue).data(TaskTableModel::SortRole).toDouble(), t.lnP);
        QCOMPARE(model.index(row, TaskTableModel::Regressions).data(TaskTableModel::SortRole).toLongLong(), t.b);
        QCOMPARE(model.index(row, TaskTableModel::Task).data().toString(), QString::fromStdString(t.task));
        QCOMPARE(model.index(row, 0).data(TaskTableModel::SignificantRole).toBool(), t.flag == report::TaskFlag::Worse);
        QCOMPARE(
            model.index(row, TaskTableModel::Verdict).data().toString(), QString::fromUtf8(report::flagLabel(t.flag)));
    }
    // A permutation p that no permutation reached is the smallest the run can give: "≤", as the
    // true p may be smaller; an exact p or one with exceedances is shown as it is.
    auto floored = std::make_shared<Comparison>(*m_c);
    auto& first = floored->report.tasks.front();
    first.monteCarlo = true;
    first.pValue = first.pHolm = 1.0 / 10001.0;
    first.lnP = first.lnPHolm = std::log(first.pValue);
    first.pMcLow = 0.0;
    first.pMcHigh = 5.3e-4;
    auto& second = floored->report.tasks[1];
    second.monteCarlo = true;
    second.pMcLow = 0.01;
    floored->report.tasks[2].monteCarlo = false;
    model.setComparison(floored);
    QVERIFY2(model.index(0, TaskTableModel::PValue).data().toString().startsWith(QStringLiteral("≤ 1")),
        qPrintable(model.index(0, TaskTableModel::PValue).data().toString()));
    QVERIFY(model.index(0, TaskTableModel::HolmP).data().toString().startsWith(QStringLiteral("≤ ")));
    for (int row : { 1, 2 })
        QVERIFY(!model.index(row, TaskTableModel::PValue).data().toString().startsWith(QStringLiteral("≤")));
    model.setComparison(nullptr);
    QCOMPARE(model.rowCount(), 0);
}

void TestDegradationUi::taskProxyFiltersAndSorts()
{
    TaskTableModel model;
    TaskFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(m_c);
    proxy.sort(TaskTableModel::PValue, Qt::AscendingOrder);
    double last = -std::numeric_limits<double>::infinity(); // sorted on ln p
    for (int row = 0; row < proxy.rowCount(); ++row) {
        const double lnP = proxy.index(row, TaskTableModel::PValue).data(TaskTableModel::SortRole).toDouble();
        QVERIFY(lnP >= last);
        last = lnP;
    }
    int worse = 0;
    for (const auto& t : m_c->report.tasks)
        worse += t.flag == report::TaskFlag::Worse ? 1 : 0;
    proxy.setOnlyWorse(true);
    QCOMPARE(proxy.rowCount(), worse);
    proxy.setOnlyWorse(false);
    proxy.setText(QStringLiteral("GSM8K"));
    int gsm = 0;
    for (const auto& t : m_c->report.tasks)
        gsm += t.task == "gsm8k" ? 1 : 0;
    QCOMPARE(proxy.rowCount(), gsm);
}

void TestDegradationUi::disagreementModel()
{
    DisagreementModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(m_c, false);
    std::int64_t flips = 0;
    for (const auto& t : m_c->report.tasks)
        flips += t.b + t.c;
    QCOMPARE(static_cast<std::int64_t>(model.rowCount()), flips);
    std::int64_t regressions = 0;
    for (int row = 0; row < model.rowCount(); ++row)
        regressions += model.index(row, 0).data(DisagreementModel::DirectionRole).toInt() > 0 ? 1 : 0;
    std::int64_t b = 0;
    for (const auto& t : m_c->report.tasks)
        b += t.b;
    QCOMPARE(regressions, b);
    model.setComparison(m_c, true);
    QCOMPARE(static_cast<std::size_t>(model.rowCount()), m_c->pairCount());
}

void TestDegradationUi::controlCharactersInIdsAreVisible()
{
    // Ids holding a tab, an escape and a newline (a quoted CSV field): the table shows each as a C
    // escape on one line; sorting and lookups still use the id as written.
    QTemporaryDir dir;
    QByteArray rows = "id,score\n\"a\tb\",1\n\"c\x1b[31md\",1\n\"e\nf\",1\n";
    QByteArray worse = "id,score\n\"a\tb\",0\n\"c\x1b[31md\",0\n\"e\nf\",0\n";
    for (int i = 0; i < 20; ++i) { // agreeing rows: the file is text, not binary
        rows += "plain" + QByteArray::number(i) + ",1\n";
        worse += "plain" + QByteArray::number(i) + ",1\n";
    }
    SideSpec base;
    base.path = QString::fromStdString(test::writeFile(dir, QStringLiteral("b.csv"), rows));
    SideSpec cand;
    cand.path = QString::fromStdString(test::writeFile(dir, QStringLiteral("c.csv"), worse));
    const auto r = loadComparison(base, cand, {}, nullptr);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    DisagreementModel model;
    model.setComparison(*r.value, false);
    QCOMPARE(model.rowCount(), 3);
    QStringList shown;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QString id = model.index(row, DisagreementModel::DocId).data().toString();
        for (const QChar c : id)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f, qPrintable(id));
        shown << id;
    }
    shown.sort();
    QCOMPARE(shown, (QStringList { QStringLiteral("a\\tb"), QStringLiteral("c\\x1b[31md"), QStringLiteral("e\\nf") }));
}

void TestDegradationUi::disagreementProxy()
{
    DisagreementModel model;
    DisagreementProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(m_c, false);
    const auto& t0 = m_c->report.tasks.front();
    proxy.setTasks(QSet<int> { 0 });
    QCOMPARE(static_cast<std::int64_t>(proxy.rowCount()), t0.b + t0.c);
    proxy.setDirection(DisagreementProxy::Direction::Regressions);
    QCOMPARE(static_cast<std::int64_t>(proxy.rowCount()), t0.b);
    proxy.setDirection(DisagreementProxy::Direction::Improvements);
    QCOMPARE(static_cast<std::int64_t>(proxy.rowCount()), t0.c);
    proxy.setDirection(DisagreementProxy::Direction::Any);
    // A doc id from the table finds its row.
    const QString id = proxy.index(0, DisagreementModel::DocId).data().toString();
    proxy.setText(id);
    QVERIFY(proxy.rowCount() >= 1);
    for (int row = 0; row < proxy.rowCount(); ++row)
        QVERIFY(proxy.index(row, DisagreementModel::DocId).data().toString().contains(id));
    proxy.setText({});
    proxy.setTasks(QSet<int> {}); // no task: no row (a filter that hides every task)
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setTasks(std::nullopt);
    QCOMPARE(proxy.rowCount(), model.rowCount());
    proxy.sort(DisagreementModel::Drop, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, 0).data(DisagreementModel::DirectionRole).toInt(), 1);
}

void TestDegradationUi::retestChangesTheDecision()
{
    QVERIFY(m_c->report.degraded); // the demo's candidate is worse at alpha = 0.05
    StatsSettings strict;
    strict.alpha = 1e-6;
    const auto again = retest(m_c, strict, nullptr);
    QVERIFY(!again->report.degraded);
    QCOMPARE(again->paired, m_c->paired); // the loaded runs are shared, not copied
    StatsSettings perm;
    perm.runPermutation = true;
    perm.permutations = 2000;
    perm.seed = 3;
    const auto p = retest(m_c, perm, nullptr);
    QVERIFY(p->report.permutation.present);
    QCOMPARE(p->report.permutation.permutations, std::uint64_t(2000));
}

void TestDegradationUi::jobRunnerLatestWins()
{
    JobRunner runner;
    QSignalSpy finished(&runner, &JobRunner::finished);
    int applied = 0;
    int value = 0;
    runner.start(QStringLiteral("slow"), [&](JobControl& c) -> JobRunner::Apply {
        while (!c.cancelled())
            QThread::msleep(1);
        return [&] {
            ++applied;
            value = 1;
        };
    });
    runner.start(QStringLiteral("fast"), [&](JobControl& c) -> JobRunner::Apply {
        c.progress(0.5, QStringLiteral("half"));
        return [&] {
            ++applied;
            value = 2;
        };
    });
    runner.waitForIdle();
    QTRY_VERIFY(finished.count() >= 2);
    QTest::qWait(50); // let the cancelled job's result arrive: it must be dropped
    QCOMPARE(applied, 1);
    QCOMPARE(value, 2);
    QVERIFY(!runner.busy());
}

void TestDegradationUi::jobRunnerApplyStartsNext()
{
    // A result whose apply() starts the next job (a loaded trace starts its computation): the new
    // job must stay current and its own result must be applied.
    JobRunner runner;
    int second = 0;
    runner.start(QStringLiteral("open"), [&](JobControl&) -> JobRunner::Apply {
        return [&] {
            runner.start(QStringLiteral("compute"), [&](JobControl&) -> JobRunner::Apply {
                QThread::msleep(20);
                return [&] { second = 42; };
            });
        };
    });
    runner.waitForIdle();
    QCOMPARE(second, 42);
    QVERIFY(!runner.busy());
}

void TestDegradationUi::jobRunnerJoinsWorkers()
{
    // Destroying a runner waits for its workers: a job that is still running (cancelled) must not
    // outlive the data it captured.
    auto alive = std::make_shared<std::atomic<int>>(0);
    {
        JobRunner runner;
        runner.start(QStringLiteral("slow"), [alive](JobControl& c) -> JobRunner::Apply {
            alive->store(1);
            for (int i = 0; i < 200 && !c.cancelled(); ++i)
                QThread::msleep(1);
            QThread::msleep(30); // keeps working a little after the cancel
            alive->store(2);
            return {};
        });
        QTRY_COMPARE(alive->load(), 1);
    }
    QCOMPARE(alive->load(), 2);
}

void TestDegradationUi::jobRunnerCancel()
{
    JobRunner runner;
    QSignalSpy progressed(&runner, &JobRunner::progressed);
    bool applied = false;
    runner.start(QStringLiteral("loop"), [&](JobControl& c) -> JobRunner::Apply {
        for (int i = 0; i < 100000 && c.progress(i / 100000.0, QStringLiteral("working")); ++i)
            QThread::usleep(50);
        return [&] { applied = true; };
    });
    QTRY_VERIFY(progressed.count() >= 1);
    runner.cancel();
    QVERIFY(!runner.busy());
    QTest::qWait(100);
    QVERIFY(!applied);
}

void TestDegradationUi::exports()
{
    QTemporaryDir dir;
    PlotView forest;
    drawForest(&forest, m_c->report);
    const QList<ReportPlot> plots { { QStringLiteral("Drop per task"), QStringLiteral("caption"), &forest } };

    const QString html = dir.filePath(QStringLiteral("r.html"));
    QCOMPARE(exporter::html(html, *m_c, plots), QString());
    QFile h(html);
    QVERIFY(h.open(QIODevice::ReadOnly));
    const QByteArray text = h.readAll();
    QVERIFY(text.contains("DEGRADED: the candidate is worse than the baseline"));
    QVERIFY(text.contains("data:image/png;base64,"));
    QVERIFY(text.contains(QByteArray::fromStdString(m_c->report.tasks.front().task)));
    QVERIFY(!text.contains("src=\"figure")); // self-contained: no external images
    // The disagreements listed: how many of all, and the regressions of a task flagged worse first.
    QVERIFY(m_c->flips->size() > 50);
    QVERIFY2(text.contains(QByteArray(QByteArray("The first 50 of ")
                 + QByteArray::number(qulonglong(m_c->flips->size())) + " disagreements")),
        text.constData());
    const auto* worse = [&]() -> const report::TaskResult* {
        for (const auto& t : m_c->report.tasks)
            if (t.flag == report::TaskFlag::Worse)
                return &t;
        return nullptr;
    }();
    QVERIFY(worse);
    const QByteArray worseName
        = QByteArray::fromStdString(worse->filter == "none" ? worse->task : worse->task + " [" + worse->filter + "]");
    const auto firstRow = text.indexOf("<td", text.indexOf("<h2>Disagreements</h2>"));
    QVERIFY2(text.mid(firstRow, 200).contains(QByteArray(">" + worseName + "<")), text.mid(firstRow, 200).constData());
    QVERIFY(text.mid(firstRow, 400).contains("regression"));

    const QString pdf = dir.filePath(QStringLiteral("r.pdf"));
    QCOMPARE(exporter::pdf(pdf, *m_c, plots), QString());
    QFile p(pdf);
    QVERIFY(p.open(QIODevice::ReadOnly));
    QVERIFY(p.read(5) == "%PDF-");
    QVERIFY(p.size() > 20000); // the figure is in it

    const QString csv = dir.filePath(QStringLiteral("d.csv"));
    QCOMPARE(exporter::disagreementsCsv(csv, *m_c, {}), QString());
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const auto lines = c.readAll().split('\n');
    QCOMPARE(static_cast<std::size_t>(lines.size()), m_c->flips->size() + 2); // header and a final newline
    QCOMPARE(lines[0], QByteArray("task,filter,doc_id,baseline,candidate,drop,direction"));

    // A name typed without an extension takes the chosen filter's.
    QCOMPARE(exporter::withFilterSuffix(QStringLiteral("/tmp/rep2"), QStringLiteral("PDF (*.pdf)")),
        QStringLiteral("/tmp/rep2.pdf"));
    QCOMPARE(exporter::withFilterSuffix(QStringLiteral("/tmp/plot"), QStringLiteral("Images (*.png *.svg *.pdf)")),
        QStringLiteral("/tmp/plot.png"));
    QCOMPARE(exporter::withFilterSuffix(QStringLiteral("/tmp/r.html"), QStringLiteral("PDF (*.pdf)")),
        QStringLiteral("/tmp/r.html"));
    QCOMPARE(exporter::withFilterSuffix(QString(), QStringLiteral("PDF (*.pdf)")), QString());

    const QString json = dir.filePath(QStringLiteral("r.json"));
    QCOMPARE(exporter::json(json, *m_c), QString());
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(j.readAll()).isObject());

    const QString png = dir.filePath(QStringLiteral("f.png"));
    QCOMPARE(exporter::plotImage(png, &forest, 800, 500), QString());
    QCOMPARE(QImage(png).size(), QSize(800, 500));
    const QString svg = dir.filePath(QStringLiteral("f.svg"));
    QCOMPARE(exporter::plotImage(svg, &forest, 800, 500), QString());
    QFile s(svg);
    QVERIFY(s.open(QIODevice::ReadOnly));
    QVERIFY(s.readAll().contains("<svg"));
}

void TestDegradationUi::exportFailureLeavesNothing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("missing/r.json"));
    const QString why = exporter::json(path, *m_c);
    QVERIFY(!why.isEmpty());
    QVERIFY(why.contains(path));
    QVERIFY(!QFileInfo::exists(path));
    QCOMPARE(QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size(), 0);
}

void TestDegradationUi::plotsDraw()
{
    PlotView plot;
    drawPValues(&plot, m_c->report);
    QCOMPARE(plot.plottableCount(), 3); // worse, suggestive and not shown worse
    int bars = 0;
    for (int i = 0; i < plot.plottableCount(); ++i)
        bars += qobject_cast<QCPBars*>(plot.plottable(i))->dataCount();
    QCOMPARE(bars, static_cast<int>(m_c->report.tasks.size()));
    PowerPlan plan;
    plan.flipRate = 0.04;
    plan.currentN = 10000;
    plan.targetDrop = 0.005;
    drawPower(&plot, plan);
    // n = (z_0.95 + z_0.8)^2 f / d^2 = 6.1826 * 0.04 / 0.000025 = 9892.2 -> 9893
    QCOMPARE(plan.neededN, std::int64_t(9893));
    QVERIFY(std::abs(plan.detectableNow - 0.0049730) < 1e-6);
    QCOMPARE(plot.graphCount(), 1);
    // At alpha/3 (several tasks): (z_{1 - 0.05/3} + z_0.8)^2 f / d^2 = 2.969666^2 * 1600 = 14110.3 -> 14111
    // (python3 statistics.NormalDist).
    plan.alpha = 0.05 / 3;
    drawPower(&plot, plan);
    QCOMPARE(plan.neededN, std::int64_t(14111));
    QVERIFY(std::abs(plan.detectableNow - 0.0059393) < 1e-6);
    // The n axis writes every tick the same way, in full (up to 2,000,000 here).
    plan.currentN = 100000;
    drawPower(&plot, plan);
    plot.setViewport(QRect(0, 0, 640, 420));
    plot.replot(QCustomPlot::rpImmediateRefresh);
    const auto labels = plot.xAxis->tickVectorLabels();
    QVERIFY(labels.size() >= 3);
    for (const QString& l : labels)
        QVERIFY2(!l.contains(QChar(0x00B7)) && !l.contains(QLatin1Char('e')) && l.toLongLong() > 0, qPrintable(l));
}

void TestDegradationUi::handFilledTaskTable()
{
    TaskTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(handFilled());
    auto cell = [&](int row, int column, int role = Qt::DisplayRole) { return model.index(row, column).data(role); };
    // The flags as filled: suggestive (amber), never "worse" from a Holm p below alpha.
    QCOMPARE(cell(0, TaskTableModel::Verdict).toString(), QStringLiteral("suggestive"));
    QCOMPARE(cell(0, TaskTableModel::Verdict, Qt::ForegroundRole).value<QBrush>().color(), warningColor());
    QVERIFY(!cell(0, TaskTableModel::Verdict, Qt::ToolTipRole).toString().contains(QStringLiteral("worse")));
    QVERIFY(!cell(0, 0, TaskTableModel::SignificantRole).toBool());
    QCOMPARE(cell(3, TaskTableModel::Verdict).toString(), QStringLiteral("worse"));
    QCOMPARE(cell(3, TaskTableModel::Verdict, Qt::ForegroundRole).value<QBrush>().color(), verdictColor(true));
    QVERIFY(cell(3, 0, TaskTableModel::SignificantRole).toBool());
    QCOMPARE(cell(2, TaskTableModel::Verdict).toString(), QStringLiteral("not shown worse"));
    // p-values below the smallest double, sorted by ln p.
    QCOMPARE(cell(3, TaskTableModel::PValue).toString(), QStringLiteral("< 1e-300"));
    QCOMPARE(cell(3, TaskTableModel::HolmP).toString(), QStringLiteral("< 1e-300"));
    QCOMPARE(cell(3, TaskTableModel::PValue, TaskTableModel::SortRole).toDouble(), -970.4);
    // The corpus metric in its own terms, its Monte Carlo interval, the interval method, the bound.
    QCOMPARE(cell(1, TaskTableModel::Baseline).toString(), QStringLiteral("17.3"));
    QCOMPARE(cell(1, TaskTableModel::Candidate).toString(), QStringLiteral("51.6"));
    QVERIFY(cell(1, TaskTableModel::Metric).toString().startsWith(QStringLiteral("word_perplexity")));
    // Its drop is in log-likelihood units, and says so beside the perplexities.
    QVERIFY(cell(1, TaskTableModel::Drop).toString().endsWith(QStringLiteral(" nats/doc")));
    QVERIFY(cell(1, TaskTableModel::UpperBound).toString().endsWith(QStringLiteral(" nats/doc")));
    QVERIFY(!cell(0, TaskTableModel::Drop).toString().contains(QStringLiteral("nats")));
    QVERIFY(cell(1, TaskTableModel::PValue, Qt::ToolTipRole).toString().contains(QStringLiteral("[0.0361, 0.0467]")));
    QVERIFY(cell(0, TaskTableModel::Interval, Qt::ToolTipRole).toString().contains(QStringLiteral("Tango score")));
    QCOMPARE(cell(0, TaskTableModel::UpperBound).toString(), QStringLiteral("≤ +5.81 pts"));
    QCOMPARE(cell(0, TaskTableModel::Interval).toString(), QStringLiteral("[-0.12, +6.34] pts"));
    // Differences without spread (a run against itself) have no interval and no bound: said in
    // words, never "nan".
    {
        auto flat = std::make_shared<Comparison>(*handFilled());
        flat->report.tasks[0].ciLow = flat->report.tasks[0].ciHigh = std::nan("");
        flat->report.tasks[0].upperBound = std::nan("");
        TaskTableModel m2;
        m2.setComparison(flat);
        QCOMPARE(m2.index(0, TaskTableModel::Interval).data().toString(), QStringLiteral("none (no spread)"));
        QCOMPARE(m2.index(0, TaskTableModel::UpperBound).data().toString(), QStringLiteral("none"));
    }
    // The keep-list's excluded samples, and the infinitely bad scores kept.
    QCOMPARE(cell(2, TaskTableModel::Task).toString(), QStringLiteral("mmlu (excluded by the keep-list)"));
    QVERIFY(cell(2, TaskTableModel::Task, Qt::ToolTipRole).toString().contains(QStringLiteral("3 candidate samples")));
    TaskFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.setOnlyWorse(true);
    QCOMPARE(proxy.rowCount(), 1);
    proxy.setOnlyWorse(false);
    proxy.sort(TaskTableModel::PValue, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, TaskTableModel::Task).data().toString(), QStringLiteral("gsm8k"));
}

void TestDegradationUi::aggregatePanelShowsTheDecision()
{
    const auto c = handFilled();
    AggregatePanel panel;
    panel.showReport(&c->report);
    const auto* verdict = panel.findChild<QLabel*>(QStringLiteral("verdict"));
    QVERIFY(verdict);
    QCOMPARE(verdict->text(), QStringLiteral("No evidence of degradation (unstable: depends on the permutation seed)"));
    QString all;
    for (const auto* label : panel.findChildren<QLabel*>())
        all += label->text() + QLatin1Char('\n');
    for (const char* needed : { "pooled", "Fisher", "max-drop", "0.0166", "[0.0155, 0.0178]", "sign-flip, studentized",
             "alpha/3 = 0.0167", "unstable", "1,000,000 permutations run (10,000 asked, at most 1,000,000)" })
        QVERIFY2(all.contains(QString::fromUtf8(needed)), needed);
    // The window's status line is made from the same words.
    QCOMPARE(AggregatePanel::verdictText(c->report), verdict->text());
}

void TestDegradationUi::plannerAtTheDecisionLevel()
{
    // The demo has several tasks: the planner works at alpha/3, as the decision does.
    PowerPlanView view;
    view.setComparison(m_c);
    QVERIFY2(view.answer().contains(QStringLiteral("at alpha/3 = 0.0167, the level the decision uses")),
        qPrintable(view.answer()));
    std::int64_t n = 0;
    std::int64_t flips = 0;
    for (const auto& t : m_c->report.tasks)
        if (!t.continuous) {
            n += t.n;
            flips += t.b + t.c;
        }
    stats::PowerQuery q;
    q.alpha = 0.05 / 3;
    q.power = view.power();
    q.flipRate = static_cast<double>(flips) / static_cast<double>(n);
    const auto needed = stats::samplesNeeded(view.targetDrop(), q);
    QVERIFY2(view.answer().contains(QLocale().toString(qlonglong(needed))), qPrintable(view.answer()));
    // One task: alpha itself.
    auto one = std::make_shared<Comparison>(*m_c);
    one->report.tasks.resize(1);
    view.setComparison(one);
    QVERIFY2(view.answer().contains(QStringLiteral("at alpha = 0.05, the level")), qPrintable(view.answer()));
    // A drop above the flip rate cannot happen: no sample size is given for it, and the curve
    // stays at or below the flip rate.
    view.setComparison(m_c);
    view.setPlan(view.power(), 0.40);
    QVERIFY2(
        view.answer().contains(QStringLiteral("a drop of +40.00 pts cannot happen here")), qPrintable(view.answer()));
    QVERIFY(!view.answer().contains(QStringLiteral("needs")));
    auto* plot = view.findChild<PlotView*>();
    QVERIFY(plot && plot->graphCount() == 1 && plot->graph(0)->dataCount() > 10);
    for (auto it = plot->graph(0)->data()->constBegin(); it != plot->graph(0)->data()->constEnd(); ++it)
        QVERIFY(it->value <= 100.0 * q.flipRate + 1e-9);
    QVERIFY(!plot->findChild<QCPItemText*>(QStringLiteral("targetLabel")));
    // Too few pairs for any drop that can happen: not said to detect one above the flip rate.
    auto few = std::make_shared<Comparison>(*m_c);
    few->report.tasks.resize(1);
    auto& t = few->report.tasks.front();
    t.continuous = false;
    t.n = 60;
    t.b = 2;
    t.c = 0; // flip rate 3.3%: z sqrt(f / n) is about 6 points
    view.setComparison(few);
    view.setPlan(view.power(), 0.01);
    QVERIFY2(view.answer().contains(QStringLiteral("no drop that can happen is detected")), qPrintable(view.answer()));
    QVERIFY2(view.answer().contains(QStringLiteral("+1.00 pts needs ")), qPrintable(view.answer()));
    QVERIFY(view.applies());
    // No binary task: the plot says why it is empty, the controls are off, and it does not apply.
    auto continuous = std::make_shared<Comparison>(*m_c);
    for (auto& task : continuous->report.tasks)
        task.continuous = true;
    view.setComparison(continuous);
    QVERIFY(!view.applies());
    QCOMPARE(view.answer(), QStringLiteral("No binary task to plan for."));
    QCOMPARE(plot->itemCount(), 1);
    QCOMPARE(plot->item(0)->objectName(), QStringLiteral("emptyNote"));
    QCOMPARE(plot->graphCount(), 0);
    for (auto* box : view.findChildren<QDoubleSpinBox*>())
        QVERIFY(!box->isEnabled());
    view.setComparison(m_c);
    QVERIFY(view.applies());
    for (auto* box : view.findChildren<QDoubleSpinBox*>())
        QVERIFY(box->isEnabled());
}

void TestDegradationUi::numbersReadAlike()
{
    // Four significant digits, but a large score (a document's log-likelihood) written out whole,
    // so that -2528 and -14951 stand in one column alike.
    QCOMPARE(number(-2528.37), QStringLiteral("-2528"));
    QCOMPARE(number(-14951.3), QStringLiteral("-14951"));
    QCOMPARE(number(123456.7), QStringLiteral("123457"));
    QCOMPARE(number(0.123456), QStringLiteral("0.1235"));
    QCOMPARE(number(2.5e10), QStringLiteral("2.5e+10"));
    QCOMPARE(signedNumber(14950.6), QStringLiteral("+14951"));
    QCOMPARE(signedNumber(-0.5), QStringLiteral("-0.5"));
}

void TestDegradationUi::disagreementCountsAndFilters()
{
    DisagreementsView view;
    view.setComparison(m_c, false);
    auto* count = view.findChildren<QLabel*>().value(0);
    auto* filter = view.findChild<QLineEdit*>();
    auto* all = view.findChild<QCheckBox*>();
    auto* direction = view.findChild<QComboBox*>();
    QVERIFY(count && filter && all && direction);
    const int rows = view.rowCount();
    QVERIFY(rows > 1);
    QCOMPARE(count->text(), QStringLiteral("%1 rows").arg(QLocale().toString(rows)));
    // A filter that matches nothing says so, instead of an empty table with no word.
    filter->setText(QStringLiteral("no-such-doc-id"));
    QCOMPARE(view.rowCount(), 0);
    QCOMPARE(count->text(), QStringLiteral("no row matches \"no-such-doc-id\""));
    filter->clear();
    // With every pair listed, the first direction names what it lists.
    QCOMPARE(direction->itemText(0), QStringLiteral("all changes"));
    all->setChecked(true);
    QCOMPARE(direction->itemText(0), QStringLiteral("every pair"));
    QVERIFY(view.rowCount() > rows);
    all->setChecked(false);
    QCOMPARE(direction->itemText(0), QStringLiteral("all changes"));
    QCOMPARE(view.rowCount(), rows);
}

void TestDegradationUi::bannerForEachVerdict()
{
    auto c = std::make_shared<Comparison>(*handFilled());
    auto& r = c->report;
    r.stable = true;
    AggregatePanel panel;
    const auto* verdict = panel.findChild<QLabel*>(QStringLiteral("verdict"));
    const auto* advice = panel.findChild<QLabel*>(QStringLiteral("verdictAdvice"));
    QVERIFY(verdict && advice);
    // The banner's hue, or -1 when the banner is not painted in the verdict's colour.
    auto show = [&](const char* word, bool degraded) -> int {
        r.verdict = word;
        r.degraded = degraded;
        panel.showReport(&r);
        if (!verdict->styleSheet().contains(AggregatePanel::verdictColour(r).name()))
            return -1;
        return AggregatePanel::verdictColour(r).hslHue();
    };

    // Every verdict says what to do next, in the window's words (report/Verdict.h): controls, not
    // command-line flags.
    auto saysNext = [&](report::Verdict v) {
        if (report::verdictOf(r) != v)
            return false;
        const QString next = QString::fromStdString(report::verdictNextStep(r, report::Wording::Window));
        return advice->text().endsWith(QStringLiteral("Next: ") + next) && !next.contains(QStringLiteral("--"))
            && !next.contains(QStringLiteral("deltascope-cli"));
    };

    // Degraded: red, no advice but the next step.
    const int red = show("degraded", true);
    QVERIFY2((red >= 0 && red <= 15) || red >= 345, qPrintable(QString::number(red)));
    QCOMPARE(verdict->text(), QStringLiteral("Degraded"));
    QVERIFY2(saysNext(report::Verdict::Degraded), qPrintable(advice->text()));
    QVERIFY(!advice->text().contains(QLatin1Char('\n')));
    // Degraded by the tests across tasks with no task flagged worse: the advice says so instead of
    // sending the user to flagged tasks there are none of.
    {
        const auto tasks = r.tasks;
        for (auto& t : r.tasks)
            t.flag = t.flag == report::TaskFlag::Worse ? report::TaskFlag::Suggestive : t.flag;
        show("degraded", true);
        QVERIFY2(
            advice->text().contains(QStringLiteral("no single task is flagged worse")), qPrintable(advice->text()));
        r.tasks = tasks;
        show("degraded", true);
        QVERIFY2(!advice->text().contains(QStringLiteral("no single task")), qPrintable(advice->text()));
    }

    // No worse than the margin: green.
    r.hasMargin = true;
    const int green = show("no_worse_than_margin", false);
    QVERIFY2(green >= 90 && green <= 150, qPrintable(QString::number(green)));
    QCOMPARE(verdict->text(), QStringLiteral("No worse than the margin"));
    QVERIFY2(saysNext(report::Verdict::NoWorseThanMargin), qPrintable(advice->text()));

    // Inconclusive: amber, with what each task still needs.
    for (auto& t : r.tasks) {
        t.hasMargin = true;
        t.margin = 0.01;
        t.pNonInferiority = 0.01; // cleared unless set below
    }
    r.tasks[0].pNonInferiority = 0.31;
    r.tasks[0].samplesNeeded = 2300; // arc_easy has 500
    r.tasks[3].pNonInferiority = 0.97;
    r.tasks[3].samplesNeeded = -1; // gsm8k: the drop itself is above the margin
    const int amber = show("inconclusive", false);
    QVERIFY2(amber >= 30 && amber <= 55, qPrintable(QString::number(amber)));
    QVERIFY(verdict->text().startsWith(QStringLiteral("Inconclusive")));
    QVERIFY2(advice->text().contains(QStringLiteral("Collect about %1 more samples of arc_easy (%2 in all")
                                         .arg(QLocale().toString(1800), QLocale().toString(2300))),
        qPrintable(advice->text()));
    QVERIFY2(advice->text().contains(QStringLiteral("The observed drop of gsm8k [strict-match] is above its margin.")),
        qPrintable(advice->text()));
    QVERIFY(!advice->text().contains(QStringLiteral("wikitext"))); // it cleared its margin
    QVERIFY(!advice->text().contains(QStringLiteral("mmlu"))); // keep-list audit rows do not decide
    QVERIFY(saysNext(report::Verdict::Inconclusive));
    QVERIFY(advice->text().contains(QStringLiteral("(listed above)")));
    // Only a drop above its margin: the next step does not send the user to a sample count.
    r.tasks[0].pNonInferiority = 0.01;
    show("inconclusive", false);
    QVERIFY(saysNext(report::Verdict::Inconclusive));
    QVERIFY2(!advice->text().contains(QStringLiteral("listed above")), qPrintable(advice->text()));
    QVERIFY2(
        advice->text().contains(QStringLiteral("more samples would not bring it within")), qPrintable(advice->text()));

    // No evidence: neutral blue-grey, with the largest drop the data leave possible.
    r.hasMargin = false;
    for (auto& t : r.tasks)
        t.hasMargin = false;
    const int neutral = show("no_evidence", false);
    QVERIFY2(neutral >= 180 && neutral <= 240, qPrintable(QString::number(neutral)));
    QCOMPARE(verdict->text(), QStringLiteral("No evidence of degradation"));
    QVERIFY2(advice->text().contains(
                 QStringLiteral("the data rule out a drop above 5.81 points on any binary task (one-sided 95% bound; "
                                "widest: arc_easy)")),
        qPrintable(advice->text()));
    QVERIFY(saysNext(report::Verdict::NoEvidence));
    // A candidate better on every task: its bounds are below zero and rule out any drop, said so
    // (not as "drops above -0.23").
    {
        const auto tasks = r.tasks;
        for (auto& t : r.tasks)
            t.upperBound = t.continuous ? -0.229 : -0.01;
        show("no_evidence", false);
        QVERIFY2(advice->text().startsWith(QStringLiteral("The data rule out any drop: the candidate is better by at "
                                                          "least 1 point on every binary task; the candidate is "
                                                          "better on wikitext by at least 0.229 (")),
            qPrintable(advice->text()));
        QVERIFY(!advice->text().contains(QStringLiteral("above -")));
        QVERIFY(!advice->text().contains(QStringLiteral("any drop (")));
        QVERIFY2(!advice->text().contains(QStringLiteral("Rough")), qPrintable(advice->text())); // 25 differ
        // Few differing pairs: the bound is a large-sample approximation, and the advice says where.
        r.tasks.front().b = 2;
        r.tasks.front().c = 7;
        show("no_evidence", false);
        QVERIFY2(advice->text().startsWith(QStringLiteral("The data rule out any drop: ")), qPrintable(advice->text()));
        QVERIFY2(advice->text().contains(QStringLiteral("Rough where few pairs differ: arc_easy (9); there the bounds "
                                                        "are large-sample approximations")),
            qPrintable(advice->text()));
        installEnglishPlurals(); // as the program does
        const QString notes = TaskTableModel::notes(r, r.tasks.front()).join(QLatin1Char('\n'));
        QVERIFY2(
            notes.contains(QStringLiteral("only 9 pairs differ: the interval and the upper bound are large-sample")),
            qPrintable(notes));
        r.tasks.front().b = 20;
        r.tasks.front().c = 5;
        QVERIFY(!advice->text().contains(QStringLiteral("not evidence of no loss")));
        // One task still leaving a drop possible: not evidence of no loss, said with its bound.
        r.tasks.front().upperBound = r.tasks.front().continuous ? 0.5 : 0.02;
        show("no_evidence", false);
        QVERIFY2(
            advice->text().startsWith(QStringLiteral("This is not evidence of no loss: ")), qPrintable(advice->text()));
        QVERIFY2(advice->text().contains(QStringLiteral("better")), qPrintable(advice->text()));
        r.tasks = tasks;
    }
    // Four distinct colours.
    QCOMPARE(QSet<int>({ red, green, amber, neutral }).size(), 4);
}

void TestDegradationUi::marginTextParsesOrExplains()
{
    AggregatePanel panel;
    QSignalSpy spy(&panel, &AggregatePanel::marginsChanged);
    auto* edit = panel.findChild<QLineEdit*>(QStringLiteral("margin"));
    auto* error = panel.findChild<QLabel*>(QStringLiteral("marginError"));
    QVERIFY(edit && error);
    QVERIFY(!edit->toolTip().isEmpty());
    edit->setText(QStringLiteral("1, wikitext=1%, gsm8k,strict-match=2.5"));
    emit edit->editingFinished();
    QCOMPARE(spy.count(), 1);
    const auto m = panel.margins();
    QVERIFY(m.all.has_value());
    QCOMPARE(m.all->value, 1.0);
    QVERIFY(!m.all->relative);
    QCOMPARE(m.perTask.size(), std::size_t { 2 });
    QCOMPARE(m.perTask[0].first, std::string("wikitext"));
    QCOMPARE(m.perTask[0].second.value, 0.01);
    QVERIFY(m.perTask[0].second.relative);
    QCOMPARE(m.perTask[1].first, std::string("gsm8k,strict-match"));
    QCOMPARE(m.perTask[1].second.value, 2.5);
    // The same margins written back read the same.
    report::MarginRequest again;
    QString why;
    QVERIFY(AggregatePanel::parseMargins(AggregatePanel::marginsText(m), again, why));
    QCOMPARE(again, m);
    // Unchanged text: no retest.
    emit edit->editingFinished();
    QCOMPARE(spy.count(), 1);
    // Bad text: the reason, no retest, the margins as they were.
    QSignalSpy rejected(&panel, &AggregatePanel::marginRejected);
    edit->setText(QStringLiteral("1, wikitext=abc"));
    emit edit->editingFinished();
    QCOMPARE(spy.count(), 1);
    QVERIFY(error->isVisibleTo(&panel));
    QVERIFY2(error->text().startsWith(QStringLiteral("Not applied: The margin \"wikitext=abc\" is not a number")),
        qPrintable(error->text()));
    QVERIFY2(error->text().endsWith(QStringLiteral("The results shown are those of the settings before.")),
        qPrintable(error->text()));
    // The page puts the reason in the status bar, in place of an earlier message.
    QCOMPARE(rejected.count(), 1);
    QVERIFY(rejected.at(0).at(0).toString().startsWith(QStringLiteral("The margin \"wikitext=abc\"")));
    QCOMPARE(error->text().count(QStringLiteral("wikitext=abc")), 1); // said once
    QCOMPARE(panel.margins(), m);
    edit->setText(QStringLiteral("-2"));
    emit edit->editingFinished();
    QCOMPARE(spy.count(), 1);
    QVERIFY(error->text().contains(QStringLiteral("-2")));
    // Empty: no margin at all.
    edit->setText(QString());
    emit edit->editingFinished();
    QCOMPARE(spy.count(), 2);
    QVERIFY(panel.margins().empty());
    QVERIFY(!error->isVisibleTo(&panel));
}

void TestDegradationUi::marginDecidesTheVerdict()
{
    // A run against itself: not degraded; a margin of 0.01 points is too tight to show with these
    // samples, 5 points is easily shown.
    SideSpec base;
    base.path = QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline");
    auto loaded = loadComparison(base, base, {}, nullptr);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error->toString().c_str());
    const ComparisonPtr same = *loaded.value;
    QCOMPARE(same->report.verdict, std::string("no_evidence"));
    StatsSettings stats;
    QString why;
    QVERIFY(AggregatePanel::parseMargins(QStringLiteral("0.01"), stats.margins, why));
    const auto tight = retest(same, stats, nullptr);
    QCOMPARE(tight->report.verdict, std::string("inconclusive"));
    QCOMPARE(tight->paired, same->paired); // a retest, not a reload
    QVERIFY2(AggregatePanel::verdictAdvice(tight->report).contains(QStringLiteral("Collect about")),
        qPrintable(AggregatePanel::verdictAdvice(tight->report)));
    QVERIFY(AggregatePanel::parseMargins(QStringLiteral("5"), stats.margins, why));
    const auto wide = retest(same, stats, nullptr);
    QCOMPARE(wide->report.verdict, std::string("no_worse_than_margin"));
    QCOMPARE(AggregatePanel::verdictText(wide->report), QStringLiteral("No worse than the margin"));
    // The demo's candidate stays degraded whatever the margin.
    QCOMPARE(retest(m_c, stats, nullptr)->report.verdict, std::string("degraded"));
}

void TestDegradationUi::marginClusterAndNoiseColumns()
{
    auto c = std::make_shared<Comparison>(*handFilled());
    TaskTableModel model;
    model.setComparison(c);
    for (const int column : { TaskTableModel::Margin, TaskTableModel::NonInferiorityP, TaskTableModel::SamplesNeeded,
             TaskTableModel::NoiseFlips, TaskTableModel::Cluster })
        QVERIFY(!TaskTableModel::columnHasContent(c->report, column));
    // The filter column: shown while some task has a filter other than lm-eval's "none".
    QVERIFY(TaskTableModel::columnHasContent(c->report, TaskTableModel::Filter));
    {
        auto plain = *c;
        plain.report.tasks[3].filter = "none";
        plain.report.tasks[1].filter.clear();
        QVERIFY(!TaskTableModel::columnHasContent(plain.report, TaskTableModel::Filter));
    }
    auto& arc = c->report.tasks[0];
    arc.hasMargin = true;
    arc.margin = 0.01;
    arc.pNonInferiority = 0.0123;
    arc.samplesNeeded = 2300;
    arc.noiseFlips = 12;
    arc.cluster = { "doc.subject", 57, 1.4321 };
    auto& gsm = c->report.tasks[3];
    gsm.hasMargin = true;
    gsm.margin = 0.02;
    gsm.samplesNeeded = -1;
    model.setComparison(c);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (const int column : { TaskTableModel::Margin, TaskTableModel::NonInferiorityP, TaskTableModel::SamplesNeeded,
             TaskTableModel::NoiseFlips, TaskTableModel::Cluster })
        QVERIFY(TaskTableModel::columnHasContent(c->report, column));
    auto cell = [&](int row, int column) { return model.index(row, column).data().toString(); };
    QCOMPARE(cell(0, TaskTableModel::Margin), QStringLiteral("1 pts"));
    QCOMPARE(cell(0, TaskTableModel::NonInferiorityP), QStringLiteral("0.0123"));
    QCOMPARE(cell(0, TaskTableModel::SamplesNeeded), QLocale().toString(2300));
    QCOMPARE(cell(0, TaskTableModel::NoiseFlips), QStringLiteral("25 vs 12")); // b + c = 20 + 5
    QCOMPARE(cell(0, TaskTableModel::Cluster), QStringLiteral("57 / 1.43"));
    QCOMPARE(cell(3, TaskTableModel::Margin), QStringLiteral("2 pts"));
    QCOMPARE(cell(3, TaskTableModel::SamplesNeeded), QStringLiteral("none would do"));
    QVERIFY(cell(1, TaskTableModel::Margin).isEmpty()); // wikitext has none
    QVERIFY(cell(1, TaskTableModel::Cluster).isEmpty());
    QCOMPARE(model.headerData(TaskTableModel::NonInferiorityP, Qt::Horizontal, Qt::DisplayRole).toString(),
        QStringLiteral("p (no worse)"));
}

void TestDegradationUi::plannerForAMargin()
{
    // Reference values from Python's own normal quantiles (statistics.NormalDist, independent of ours):
    //   from statistics import NormalDist; import math; z = NormalDist().inv_cdf
    //   math.ceil((z(0.95) + z(0.8))**2 * 0.1 / 0.01**2)   -> 6183
    //   math.ceil((z(0.99) + z(0.9))**2 * 0.05 / 0.02**2)  -> 1628
    QCOMPARE(PowerPlanView::nonInferiorityPairs(0.1, 0.01, 0.05, 0.8), std::int64_t { 6183 });
    QCOMPARE(PowerPlanView::nonInferiorityPairs(0.05, 0.02, 0.01, 0.9), std::int64_t { 1628 });
    QCOMPARE(PowerPlanView::nonInferiorityPairs(0.0, 0.02, 0.05, 0.8), std::int64_t { 0 });
    // With a margin set, the planner answers for it at the comparison's own flip rate.
    StatsSettings stats;
    QString why;
    QVERIFY(AggregatePanel::parseMargins(QStringLiteral("2"), stats.margins, why));
    const auto withMargin = retest(m_c, stats, nullptr);
    std::int64_t n = 0;
    std::int64_t flips = 0;
    for (const auto& t : withMargin->report.tasks)
        if (!t.continuous) {
            n += t.n;
            flips += t.b + t.c;
        }
    const double f = static_cast<double>(flips) / static_cast<double>(n);
    PowerPlanView view;
    view.setComparison(withMargin);
    const auto need = PowerPlanView::nonInferiorityPairs(f, 0.02, withMargin->report.alpha, view.power());
    QVERIFY(need > 0);
    QVERIFY2(view.answer().contains(QStringLiteral("No worse than a margin of +2.00 pts")), qPrintable(view.answer()));
    QVERIFY2(view.answer().contains(QLocale().toString(qlonglong(need)) + QStringLiteral(" pairs")),
        qPrintable(view.answer()));
    view.setComparison(m_c); // no margin: no such sentence
    QVERIFY(!view.answer().contains(QStringLiteral("margin")));
}

void TestDegradationUi::markedHtmlEscapesAndMarks()
{
    const std::string text = "a <b> c";
    const std::vector<DiffSpan> spans { { 0, 2, false }, { 2, 3, true }, { 5, 2, false } };
    const QString html = markedHtml(text, spans, QColor(0xff, 0xee, 0x00));
    QCOMPARE(html, QStringLiteral("a <span style='background-color:#ffee00'>&lt;b&gt;</span> c"));
}

void TestDegradationUi::workspaceShowsTheDemo()
{
    // The whole page, as the window holds it: load, then read the task table and the verdict.
    DegradationPage page;
    QSignalSpy status(&page, &DegradationPage::statusMessage);
    QSignalSpy changed(&page, &DegradationPage::comparisonChanged);
    page.resize(1400, 900);
    page.compare(
        QStringLiteral(DELTASCOPE_DEMO_DIR "/baseline"), QStringLiteral(DELTASCOPE_DEMO_DIR "/candidate"), false);
    page.waitUntilIdle();
    QVERIFY(page.comparison());
    QVERIFY(changed.count() >= 1);
    const auto* verdict = page.findChild<QLabel*>(QStringLiteral("verdict"));
    QVERIFY(verdict);
    QCOMPARE(verdict->text(), QStringLiteral("Degraded"));
    // The demo's tasks are scored right or wrong: the margin beside its field is in points.
    const auto* unit = page.findChild<QLabel*>(QStringLiteral("marginUnit"));
    QVERIFY(unit);
    QCOMPARE(unit->text(), QStringLiteral("points"));
    const auto tables = page.findChildren<QTableView*>();
    QVERIFY(tables.size() >= 2);
    const QTableView* tasks = nullptr;
    for (const auto* t : tables)
        if (t->model()->columnCount() == TaskTableModel::ColumnCount)
            tasks = t;
    QVERIFY(tasks);
    QCOMPARE(tasks->model()->rowCount(), static_cast<int>(page.comparison()->report.tasks.size()));
    // Sorted by p-value: the most significant task (mmlu in the demo) first.
    QCOMPARE(tasks->model()->index(0, TaskTableModel::Task).data().toString(), QStringLiteral("mmlu"));
    QVERIFY(status.last().first().toString().startsWith(QStringLiteral("Degraded")));
    QCOMPARE(page.visibleDisagreements().size(), page.comparison()->flips->size());
    // With no task selected, the disagreements follow the tasks the table shows: "only worse"
    // keeps the worse tasks' (mmlu's in the demo), the name filter those it matches.
    QCheckBox* onlyWorse = nullptr;
    for (auto* box : page.findChildren<QCheckBox*>())
        if (box->text() == QStringLiteral("only worse"))
            onlyWorse = box;
    QLineEdit* taskFilter = nullptr;
    for (auto* e : page.findChildren<QLineEdit*>())
        if (e->placeholderText() == QStringLiteral("Filter tasks…"))
            taskFilter = e;
    QVERIFY(onlyWorse && taskFilter);
    const auto shownTasks = [&] {
        QSet<QString> names;
        for (const auto& d : page.visibleDisagreements())
            names.insert(QString::fromStdString(page.comparison()->report.tasks[d.task].task));
        return names;
    };
    QSet<QString> everyTask;
    for (const auto& t : page.comparison()->report.tasks)
        everyTask.insert(QString::fromStdString(t.task));
    QCOMPARE(shownTasks(), everyTask);
    // The disagreement table: its current row, the sample shown beside it, stays selected.
    const QTableView* pairs = nullptr;
    for (const auto* t : tables)
        if (t->model()->columnCount() != TaskTableModel::ColumnCount)
            pairs = t;
    QVERIFY(pairs);
    const auto currentTask = [&] {
        const QModelIndex i = pairs->currentIndex();
        const auto rows = pairs->selectionModel()->selectedRows();
        return i.isValid() && rows.size() == 1 && rows.front().row() == i.row() ? QString::fromStdString(
                   page.comparison()->report.tasks[i.data(DisagreementModel::TaskIndexRole).toUInt()].task)
                                                                                : QString();
    };
    QVERIFY(!currentTask().isEmpty());
    onlyWorse->setChecked(true);
    QCOMPARE(tasks->model()->rowCount(), 1);
    QCOMPARE(shownTasks(), QSet<QString> { QStringLiteral("mmlu") });
    QCOMPARE(currentTask(), QStringLiteral("mmlu")); // the earlier pair was filtered out: the first shown
    const int mmluPair = pairs->currentIndex().data(DisagreementModel::PairIndexRole).toInt();
    for (const auto& t : page.comparison()->report.tasks)
        if (t.task == "mmlu")
            QCOMPARE(static_cast<std::int64_t>(page.visibleDisagreements().size()), t.b + t.c);
    onlyWorse->setChecked(false);
    taskFilter->setText(QStringLiteral("gsm8k"));
    QCOMPARE(shownTasks(), QSet<QString> { QStringLiteral("gsm8k") });
    taskFilter->setText(QStringLiteral("no-such-task")); // no task shown: no disagreement either
    QVERIFY(page.visibleDisagreements().empty());
    taskFilter->clear();
    QCOMPARE(page.visibleDisagreements().size(), page.comparison()->flips->size());
    QVERIFY(currentTask().isEmpty() == false); // selected, and shown beside the table
    onlyWorse->setChecked(true);
    onlyWorse->setChecked(false); // mmlu's pair stays current when the filter goes
    QCOMPARE(currentTask(), QStringLiteral("mmlu"));
    QCOMPARE(pairs->currentIndex().data(DisagreementModel::PairIndexRole).toInt(), mmluPair);
    // A failing load says why and keeps nothing half-loaded.
    page.compare(QStringLiteral("/nonexistent/base"), QStringLiteral("/nonexistent/cand"), false);
    page.waitUntilIdle();
    QVERIFY(page.lastError().contains(QStringLiteral("/nonexistent/base")));
}

void TestDegradationUi::realWikitextRuns()
{
    // Real lm-eval 0.4.12 wikitext runs: continuous per-sample metrics, decided by the permutation test.
    const QString root = QString::fromStdString(test::sharedPath("lmeval_wikitext_quant/deepseek_moe_16b/lm-eval"));
    if (!QFileInfo::exists(root))
        QSKIP("../shared/data/real is not present");
    SideSpec base;
    base.path = root + QStringLiteral("/deepseek-moe-16b-chat-Baseline");
    SideSpec cand;
    cand.path = root + QStringLiteral("/deepseek-moe-16b-chat-W4A16");
    StatsSettings stats;
    stats.permutations = 2000;
    const auto r = loadComparison(base, cand, stats, nullptr);
    QVERIFY(r.ok());
    const auto& c = **r.value;
    QVERIFY(c.report.hasContinuous);
    QVERIFY(c.report.permutation.present);
    QCOMPARE(c.pairCount(), std::size_t(62));
    TaskTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(*r.value);
    QVERIFY(model.index(0, TaskTableModel::Metric).data().toString().contains(QStringLiteral("cont.")));
    // Its margin is read in nats per document or as a percentage, not in points.
    QCOMPARE(AggregatePanel::marginUnit(c.report), QStringLiteral("nats/doc, or N%"));
}

namespace {

// The sample view's three panes: the prompt, the baseline's and the candidate's.
struct Panes {
    QString prompt;
    QString base;
    QString cand;
};

Panes panesOf(const SampleView& view)
{
    Panes p;
    for (const auto* b : view.findChildren<QTextBrowser*>()) {
        const QString text = b->toPlainText();
        (text.startsWith(QStringLiteral("Baseline"))           ? p.base
                : text.startsWith(QStringLiteral("Candidate")) ? p.cand
                                                               : p.prompt)
            = text;
    }
    return p;
}

} // namespace

void TestDegradationUi::sampleSidesStackWhenNarrow()
{
    // A narrow sample view (the window at 1024 x 700) puts the candidate's side under the
    // baseline's instead of squeezing both until "Candidate" breaks inside the word; wide enough,
    // they stand side by side again.
    SampleView view;
    view.show();
    const int need = view.sideBySideWidth();
    QVERIFY(need > 150 && need < 600);
    view.resize(need - 20, 500);
    QCoreApplication::processEvents();
    QVERIFY(!view.sidesSideBySide());
    view.resize(need + 20, 500);
    QCoreApplication::processEvents();
    QVERIFY(view.sidesSideBySide());
}

void TestDegradationUi::realMmluTables()
{
    // Real MMLU score tables (not lm-eval): the generic importer with the columns a user maps.
    const QString root = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4"));
    if (!QFileInfo::exists(root))
        QSKIP("../shared/data/real is not present");
    SideSpec base;
    base.path = root + QStringLiteral("/mmlu_fp16.jsonl");
    base.options.format = eval::LoadOptions::Format::Table;
    base.options.columns.id = "example_id";
    base.options.columns.score = "score";
    SideSpec cand = base;
    cand.path = root + QStringLiteral("/mmlu_q4_K_M.jsonl");
    const auto r = loadComparison(base, cand, {}, nullptr);
    QVERIFY(r.ok());
    const auto& c = **r.value;
    QCOMPARE(c.report.tasks.size(), std::size_t(1));
    QCOMPARE(c.report.tasks[0].n, std::int64_t(499));
    QCOMPARE(c.report.tasks[0].duplicates, std::int64_t(2));
    TaskTableModel model;
    model.setComparison(*r.value);
    QVERIFY(model.index(0, TaskTableModel::Issues).data().toString().contains(QStringLiteral("2 duplicated")));
    DisagreementModel flips;
    flips.setComparison(*r.value, false);
    QCOMPARE(static_cast<std::int64_t>(flips.rowCount()), c.report.tasks[0].b + c.report.tasks[0].c);
    // The sample view reads a table row back, with each side's own answer and the gold one.
    SampleView view;
    view.showPair(*r.value, 0, 0);
    const auto& pt = c.paired->tasks[0];
    std::size_t flipped = 0;
    while (flipped < pt.base.size() && pt.base[flipped] == pt.cand[flipped])
        ++flipped;
    QVERIFY(flipped < pt.base.size());
    view.showPair(*r.value, 0, static_cast<std::uint32_t>(flipped));
    const auto& bs = c.base->tasks[0].samples[pt.baseIndex[flipped]];
    const auto& cs = c.cand->tasks[0].samples[pt.candIndex[flipped]];
    auto field = [](const std::string& path, const eval::SampleRecord& s, const char* key) {
        QFile f(QString::fromStdString(path));
        f.open(QIODevice::ReadOnly);
        f.seek(static_cast<qint64>(s.offset));
        return QJsonDocument::fromJson(f.read(s.length)).object()[QLatin1String(key)].toString();
    };
    const QString baseOut = field(c.base->files[0], bs, "output");
    const QString candOut = field(c.cand->files[0], cs, "output");
    const QString gold = field(c.base->files[0], bs, "gold");
    QVERIFY(!candOut.isEmpty() && !gold.isEmpty());
    const Panes panes = panesOf(view);
    QVERIFY2(panes.prompt.contains(QStringLiteral("Target\n") + gold + QLatin1Char('\n')), qPrintable(panes.prompt));
    QVERIFY2(panes.base.contains(QStringLiteral("Response\n") + baseOut + QLatin1Char('\n')), qPrintable(panes.base));
    QVERIFY2(panes.cand.contains(QStringLiteral("Response\n") + candOut + QLatin1Char('\n')), qPrintable(panes.cand));
    QVERIFY(baseOut != candOut);
    // Both rows as written, each under its file and line: the candidate's is not hidden.
    const QString baseAt = QStringLiteral("Baseline record (%1:").arg(QString::fromStdString(c.base->files[0]));
    const QString candAt = QStringLiteral("Candidate record (%1:").arg(QString::fromStdString(c.cand->files[0]));
    QVERIFY2(panes.prompt.contains(baseAt) && panes.prompt.contains(candAt), qPrintable(panes.prompt));
    const qsizetype split = panes.prompt.indexOf(candAt);
    const QString candArm = QStringLiteral("\"arm\": \"q4_K_M\"");
    QVERIFY2(panes.prompt.indexOf(candArm) > split && panes.prompt.indexOf(QStringLiteral("\"arm\": \"fp16\"")) < split,
        qPrintable(panes.prompt));
}

void TestDegradationUi::mappingDialogOffersTextColumns()
{
    const QString root = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4"));
    if (!QFileInfo::exists(root))
        QSKIP("../shared/data/real is not present");
    const QString fp16 = root + QStringLiteral("/mmlu_fp16.jsonl");
    ColumnMappingDialog guessed(fp16);
    auto c = guessed.columns();
    QCOMPARE(c.id, std::string("example_id"));
    QCOMPARE(c.score, std::string("score"));
    QCOMPARE(c.response, std::string("output"));
    QCOMPARE(c.target, std::string("gold"));
    QVERIFY(c.prompt.empty());
    QVERIFY(guessed.useForBothSides());
    // Started from the other side's mapping: its task column is kept.
    eval::TableColumns other = c;
    other.task = "metadata.subject";
    ColumnMappingDialog preset(root + QStringLiteral("/mmlu_q4_K_M.jsonl"), nullptr, &other);
    QCOMPARE(preset.columns().task, std::string("metadata.subject"));
    QCOMPARE(preset.columns().response, std::string("output"));
    // A mapping naming a column the file lacks does not fit it.
    other.prompt = "question";
    QVERIFY(!ColumnMappingDialog::fits(fp16, other));
    // The dialog names its side and file, and why the other side's columns were not taken.
    QVERIFY2(preset.heading().startsWith(QStringLiteral("<b>mmlu_q4_K_M.jsonl</b> is a score table")),
        qPrintable(preset.heading()));
    ColumnMappingDialog unfit(fp16, nullptr, &other, QStringLiteral("candidate"));
    QVERIFY2(unfit.heading().startsWith(QStringLiteral("The candidate, <b>mmlu_fp16.jsonl</b>, is a score table")),
        qPrintable(unfit.heading()));
    QVERIFY2(unfit.heading().contains(QStringLiteral("The other side's question column is not in this file.")),
        qPrintable(unfit.heading()));
    QVERIFY2(!guessed.heading().contains(QStringLiteral("other side")), qPrintable(guessed.heading()));
    // Columns with no usual name: the score is not guessed to be the id's column.
    QTemporaryDir dir;
    ColumnMappingDialog unusual(
        QString::fromStdString(test::writeFile(dir, QStringLiteral("u.csv"), "item_key,was_right,bench\nq0,1,x\n")));
    QCOMPARE(unusual.columns().id, std::string("item_key"));
    QCOMPARE(unusual.columns().score, std::string("was_right"));
    // The score is guessed among the columns of numbers: not a text column before them.
    ColumnMappingDialog textFirst(QString::fromStdString(test::writeFile(
        dir, QStringLiteral("t.csv"), "id,task,answer,\"points, awarded\"\nq0,mmlu,\"C, then D\",0.5\nq1,mmlu,A,1\n")));
    QCOMPARE(textFirst.columns().score, std::string("points, awarded"));
    QCOMPARE(textFirst.columns().task, std::string("task"));
    ColumnMappingDialog jsonl(QString::fromStdString(test::writeFile(dir, QStringLiteral("t.jsonl"),
        "{\"qid\": \"a\", \"model\": \"m\", \"grade\": {\"passed\": true}}\n"
        "{\"qid\": \"b\", \"model\": \"m\", \"grade\": {\"passed\": false}}\n")));
    QCOMPARE(jsonl.columns().score, std::string("grade.passed"));
    QCOMPARE(jsonl.columns().id, std::string("qid")); // keys come sorted: the id is not the first by place
    // A name that merely ends in "id" ("is_valid") is not taken for the id.
    ColumnMappingDialog valid(QString::fromStdString(
        test::writeFile(dir, QStringLiteral("v.csv"), "question,is_valid,correct\nwhy?,true,1\nhow?,false,0\n")));
    QCOMPARE(valid.columns().id, std::string("question"));
    QCOMPARE(valid.columns().score, std::string("correct"));
}

void TestDegradationUi::mappingSharedWithTheOtherSide()
{
    const QString root = QString::fromStdString(test::sharedPath("mmlu_llama31_8b_fp16_vs_q4"));
    if (!QFileInfo::exists(root))
        QSKIP("../shared/data/real is not present");
    // The baseline's mapping, chosen for both sides, is the candidate's without a dialog: the tasks
    // (one per subject) pair on the first compare.
    ColumnSharing sharing;
    sharing.forBothSides = true;
    sharing.columns = eval::TableColumns {};
    sharing.columns->id = "example_id";
    sharing.columns->task = "metadata.subject";
    sharing.columns->response = "output";
    sharing.columns->target = "gold";
    SideSpec base;
    SideSpec cand;
    std::optional<Diagnostic> why;
    QVERIFY(chooseSide(nullptr, root + QStringLiteral("/mmlu_fp16.jsonl"), false, false, base, why, &sharing));
    QVERIFY(chooseSide(nullptr, root + QStringLiteral("/mmlu_q4_K_M.jsonl"), false, false, cand, why, &sharing));
    QCOMPARE(cand.options.columns.task, std::string("metadata.subject"));
    const auto r = loadComparison(base, cand, {}, nullptr);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    QCOMPARE((*r.value)->report.tasks.size(), std::size_t(10)); // the MMLU subjects of these files
    // Not for both sides: the candidate keeps the loader's own guess.
    sharing.forBothSides = false;
    QVERIFY(chooseSide(nullptr, root + QStringLiteral("/mmlu_q4_K_M.jsonl"), false, false, cand, why, &sharing));
    QVERIFY(cand.options.columns.task.empty());
}

void TestDegradationUi::realHelmAndSimpleEvalsInTheWindow()
{
    const QString helm = QString::fromStdString(test::sharedPath("helm_runs"));
    if (!QFileInfo::exists(helm))
        QSKIP("../shared/data/real is not present");
    // A folder of HELM runs of several models: the run is named by its folder.
    SideSpec base;
    std::optional<Diagnostic> why;
    QVERIFY(chooseSide(nullptr, helm, false, false, base, why));
    QVERIFY(base.options.runTimestamp.empty()); // several models: the loader asks to name one
    SideSpec b;
    SideSpec c;
    QVERIFY(chooseSide(nullptr, helm + QStringLiteral("/bbq_meta_llama-3-8b"), false, false, b, why));
    QVERIFY(chooseSide(nullptr, helm + QStringLiteral("/bbq_meta_llama-3-8b-chat"), false, false, c, why));
    const auto r = loadComparison(b, c, {}, nullptr);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    SampleView view;
    view.showPair(*r.value, 0, 0);
    Panes panes = panesOf(view);
    QVERIFY2(
        panes.prompt.contains(QStringLiteral("The following are multiple choice questions")), qPrintable(panes.prompt));
    QVERIFY(panes.base.contains(QStringLiteral("meta/llama-3-8b")));
    QVERIFY(panes.cand.contains(QStringLiteral("meta/llama-3-8b-chat")));
    QVERIFY(!panes.cand.contains(QStringLiteral("Response\n-\n")));
    // simple-evals: the conversations side by side.
    const QString se = QString::fromStdString(test::sharedPath("simple_evals_healthbench"));
    SideSpec sb;
    SideSpec sc;
    sb.path = se + QStringLiteral("/healthbench_hard_gpt-4o-mini_20260113_121409_allresults.json");
    sc.path = se + QStringLiteral("/healthbench_hard_gpt-4o-mini_20260113_121425_tta_allresults.json");
    const auto s = loadComparison(sb, sc, {}, nullptr);
    QVERIFY2(s.ok(), s.ok() ? "" : s.error->toString().c_str());
    view.showPair(*s.value, 0, 0);
    panes = panesOf(view);
    QVERIFY(panes.prompt.contains(QStringLiteral("user:")));
    QVERIFY(!panes.base.contains(QStringLiteral("Response\n-\n")));
    QVERIFY(!panes.cand.contains(QStringLiteral("Response\n-\n")));
}

void TestDegradationUi::pdfText()
{
    // The PDF's own text, extracted by poppler (installed with the test dependencies).
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    if (pdftotext.isEmpty())
        QSKIP("pdftotext (poppler-utils) is not installed");
    QTemporaryDir dir;
    PlotView forest;
    drawForest(&forest, m_c->report);
    const QString pdf = dir.filePath(QStringLiteral("r.pdf"));
    QCOMPARE(
        exporter::pdf(pdf, *m_c, { { QStringLiteral("Drop per task"), QStringLiteral("c"), &forest } }), QString());
    QProcess p;
    p.start(pdftotext, { QStringLiteral("-layout"), pdf, QStringLiteral("-") });
    QVERIFY(p.waitForFinished(60000));
    const QString text = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(text.contains(QStringLiteral("DEGRADED: the candidate is worse than the baseline")),
        qPrintable(text.left(400)));
    for (const auto& t : m_c->report.tasks)
        QVERIFY(text.contains(QString::fromStdString(t.task)));
    QVERIFY(text.contains(QStringLiteral("alpha/3 = 0.0167")));
    QVERIFY(text.contains(QStringLiteral("pooled")));
    // Every word lies on its page: the per-task table's last columns (Holm p, verdict) are not cut
    // off at the right edge.
    QProcess b;
    b.start(pdftotext, { QStringLiteral("-bbox"), pdf, QStringLiteral("-") });
    QVERIFY(b.waitForFinished(60000));
    const QString boxes = QString::fromUtf8(b.readAllStandardOutput());
    static const QRegularExpression pageTag(QStringLiteral(R"re(<page width="([0-9.]+)")re"));
    static const QRegularExpression wordTag(
        QStringLiteral(R"re(<word xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)"[^>]*>([^<]*)</word>)re"));
    const auto page = pageTag.match(boxes);
    QVERIFY(page.hasMatch());
    const double pageWidth = page.captured(1).toDouble();
    int words = 0;
    bool verdictHeader = false;
    for (auto it = wordTag.globalMatch(boxes); it.hasNext();) {
        const auto w = it.next();
        ++words;
        QVERIFY2(
            w.captured(2).toDouble() <= pageWidth, qPrintable(w.captured(3) + QStringLiteral(" runs off the page")));
        verdictHeader = verdictHeader || w.captured(3) == QStringLiteral("verdict");
    }
    QVERIFY(words > 100);
    QVERIFY(verdictHeader);
}

QTEST_MAIN(TestDegradationUi)
#include "tst_degradationui.moc"
