// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendFactory.h"
#include "TestData.h"
#include "backend/CpuBackend.h"
#include "common/EnglishPlurals.h"
#include "degradation/DropZone.h"
#include "experts/CoactivationView.h"
#include "experts/ExpertControls.h"
#include "experts/ExpertCountsView.h"
#include "experts/ExpertMapsView.h"
#include "experts/ExpertRun.h"
#include "experts/ExpertsPage.h"
#include "experts/LayerTableModel.h"
#include "export/ReportExporter.h"
#include "moe/Batching.h"
#include "moe/Placement.h"
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"
#include "moe/TraceViews.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <cmath>
#include <set>

using namespace deltascope;
using namespace deltascope::ui;

class TestExpertsUi : public QObject {
    Q_OBJECT
private slots:
    void mixtralMatchesTheCli();
    void sliceShowsLayerNumbersAndIdleSelections();
    void startBudgetChangesSomething();
    void coactivationScaleSkipsTheDiagonal();
    void countedTextsReadAsEnglish();
    void demoTraceMatchesADirectRun();
    void heatmapsZoomTogether();
    void heatmapScaleFitsTheFractions();
    void budgetChangeUpdatesTheCharts();
    void layerModel();
    void budgetStepReadsTheSweep();
    void oneLayerMapIsDrawn();
    void badTraceSaysWhy();
    void budgetTypedAboveTheMostIsTheMost();
    void recordedBatchesDisableTheBatchSize();
    void tabFollowsTheRows();
    void controlsFollowThePolicy();
    void exports();
    void loadCountsGivePlacement();
    void requestsPlacementAndSlices();
    void expertParallelSweepIsSpread();

private:
    static QString mixtral()
    {
        return QString::fromStdString(test::sharedPath("router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl"));
    }
};

void TestExpertsUi::mixtralMatchesTheCli()
{
    if (!QFileInfo::exists(mixtral()))
        QSKIP("../shared/data/real is not present");
    installEnglishPlurals(); // as the program does
    ExpertsPage page;
    page.openTrace(mixtral());
    page.waitUntilIdle();
    QVERIFY(page.run());
    // Two requests decoded together never reach the default budget 2k = 4: the trace opens at
    // the smallest budget that activates fewer experts and keeps 95% of the mass.
    QCOMPARE(page.run()->budget, 3);
    QCOMPARE(page.findChild<QSpinBox*>(QStringLiteral("budgetBox"))->value(), 3);
    page.setBudget(5);
    page.waitUntilIdle();
    QCOMPARE(page.run()->budget, 5); // the user's budget stays, though it changes nothing
    page.setBudget(3);
    page.waitUntilIdle();
    const auto& r = page.run()->current->results.front();
    QCOMPARE(r.budget, 3);

    QProcess cli;
    cli.start(QStringLiteral(DELTASCOPE_CLI),
        { QStringLiteral("xshare"), mixtral(), QStringLiteral("--budget"), QStringLiteral("3"),
            QStringLiteral("--batch-size"), QStringLiteral("32"), QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY(cli.waitForFinished(60000));
    const auto j = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const auto res = j.value(QStringLiteral("results")).toArray().at(0).toObject();
    QCOMPARE(static_cast<qint64>(r.activatedBase), res.value(QStringLiteral("activated_base")).toInteger());
    QCOMPARE(static_cast<qint64>(r.activated), res.value(QStringLiteral("activated")).toInteger());
    QVERIFY(std::abs(r.massRetained - res.value(QStringLiteral("mass_retained")).toDouble()) < 1e-12);
    QVERIFY(std::abs(r.unchangedTokens - res.value(QStringLiteral("unchanged_tokens")).toDouble()) < 1e-12);
    // The summary line says the same numbers.
    const auto* summary = page.findChild<QLabel*>(QStringLiteral("summary"));
    QVERIFY(summary->text().contains(QStringLiteral("M = 3")));
    QVERIFY(summary->text().contains(QStringLiteral("96.47%")));
    // The per-layer and per-device legends both name the budget their policy bars show.
    for (const int i : { 4, 5 }) {
        PlotView* plot = page.plot(i);
        QCOMPARE(plot->plottableCount(), 2);
        QCOMPARE(plot->plottable(1)->name(), QStringLiteral("policy, M = 3"));
    }
    // The trace's facts count in plain English.
    const auto* facts = page.findChild<QLabel*>(QStringLiteral("traceFacts"));
    QVERIFY2(facts->text().contains(QStringLiteral("247 tokens in 2 requests · 32 layers · 8 experts, top-2")),
        qPrintable(facts->text()));
    // Requests the trace lacks cannot be computed: the headline says so, and that the charts
    // still show the last results.
    auto* requests = page.findChild<QLineEdit*>(QStringLiteral("requests"));
    requests->setText(QStringLiteral("0-1,999"));
    emit requests->editingFinished();
    page.waitUntilIdle();
    QVERIFY2(summary->text().contains(QStringLiteral("Not computed")), qPrintable(summary->text()));
    QVERIFY2(summary->text().contains(QStringLiteral("request 999")), qPrintable(summary->text()));
    QVERIFY2(summary->text().contains(QStringLiteral("the charts still show the last results, M = 3")),
        qPrintable(summary->text()));
}

void TestExpertsUi::startBudgetChangesSomething()
{
    const auto result = [](int budget, std::int64_t activated, double mass) {
        moe::BudgetResult r;
        r.budget = budget;
        r.activatedBase = 10;
        r.activated = activated;
        r.massRetained = mass;
        return r;
    };
    moe::XShareResult sweep;
    sweep.results = { result(2, 6, 0.80), result(3, 8, 0.96), result(4, 9, 0.99), result(5, 10, 1.0) };
    QCOMPARE(usefulStartBudget(sweep, 3), 3); // the default activates fewer: kept
    QCOMPARE(usefulStartBudget(sweep, 5), 3); // the smallest that activates fewer with 95% of the mass
    sweep.results = { result(2, 6, 0.80), result(3, 8, 0.90), result(4, 10, 1.0) };
    QCOMPARE(usefulStartBudget(sweep, 4), 3); // none keeps 95%: the largest that activates fewer
    sweep.results = { result(2, 10, 1.0), result(3, 10, 1.0) };
    QCOMPARE(usefulStartBudget(sweep, 3), 3); // nothing activates fewer
}

void TestExpertsUi::coactivationScaleSkipsTheDiagonal()
{
    // Each expert with itself counts all its tokens: the colour scale spans the pairs of two
    // experts instead, so that co-activation shows.
    moe::SynthOptions o;
    o.requests = 8;
    o.tokensPerRequest = 16;
    o.layers = 2;
    o.experts = 16;
    o.topK = 2;
    const auto trace = std::make_shared<const moe::Trace>(moe::makeSyntheticTrace(o));
    CoactivationView view;
    view.setTrace(trace);
    view.waitUntilIdle();
    const auto counts = moe::coactivation(*trace, 0);
    double pairs = 0.0;
    double self = 0.0;
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j)
            (i == j ? self : pairs) = std::max(i == j ? self : pairs, counts[static_cast<std::size_t>(16 * i + j)]);
    QVERIFY(self > pairs && pairs > 0);
    QCPColorMap* map = nullptr;
    for (int i = 0; i < view.plot()->plottableCount() && !map; ++i)
        map = qobject_cast<QCPColorMap*>(view.plot()->plottable(i));
    QVERIFY(map);
    QCOMPARE(map->dataRange().upper, pairs);
}

void TestExpertsUi::countedTextsReadAsEnglish()
{
    installEnglishPlurals();
    installEnglishPlurals(); // a second call adds nothing
    QCOMPARE(QCoreApplication::translate("x", "%n warning(s)", nullptr, 1), QStringLiteral("1 warning"));
    QCOMPARE(QCoreApplication::translate("x", "%n warning(s)", nullptr, 0), QStringLiteral("0 warnings"));
    QCOMPARE(QCoreApplication::translate("x", "%n request(s) in %1", nullptr, 3), QStringLiteral("3 requests in %1"));
    // Texts without a count, or without "(s)", are left as written.
    QCOMPARE(QCoreApplication::translate("x", "see (s)", nullptr, -1), QStringLiteral("see (s)"));
    QCOMPARE(QCoreApplication::translate("x", "%n tasks", nullptr, 1), QStringLiteral("1 tasks"));
    QCOMPARE(QCoreApplication::translate("x", "Deltascope"), QStringLiteral("Deltascope"));
}

void TestExpertsUi::demoTraceMatchesADirectRun()
{
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    QVERIFY(page.run());
    const auto trace = page.run()->trace;
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 32;
    const auto batches = moe::makeBatches(*trace, bo);
    moe::XShareOptions xo;
    xo.policy.devices = 8;
    xo.budgets = { page.run()->budget };
    const auto direct = moe::runXShare(*trace, *batches.value, xo);
    QVERIFY(direct.ok());
    const auto& a = page.run()->current->results.front();
    const auto& b = direct.value->results.front();
    QCOMPARE(a.activated, b.activated);
    QCOMPARE(a.activatedBase, b.activatedBase);
    QCOMPARE(a.massRetained, b.massRetained);
    // The sweep covers every budget from k to N, and agrees with the single budget.
    const auto& sweep = page.run()->sweep->results;
    QCOMPARE(static_cast<std::int64_t>(sweep.size()), trace->experts - trace->topK + 1);
    const auto it = std::find_if(sweep.begin(), sweep.end(), [&](const auto& r) { return r.budget == a.budget; });
    QVERIFY(it != sweep.end());
    QCOMPARE(it->activated, a.activated);
    // The other views are drawn: co-activation of layer 0 and the batch-size curve.
    QCOMPARE(page.plot(7)->plottableCount(), 1);
    QVERIFY(page.plot(8)->graphCount() == 2 && page.plot(8)->graph(0)->dataCount() >= 5);
    QCOMPARE(page.plot(8)->graph(0)->data()->at(0)->value, static_cast<double>(trace->topK)); // B = 1
    // Batch sizes are powers of two, and so are the axis ticks: the current B can be read off it.
    auto* batchTicker = dynamic_cast<QCPAxisTickerLog*>(page.plot(8)->xAxis->ticker().data());
    QVERIFY(batchTicker);
    QCOMPARE(batchTicker->logBase(), 2.0);
    QVERIFY(page.plot(6)->graphCount() >= 3); // the slice: top-k, after selection, selected
    // The row of the selected experts is named, not numbered, and stands apart from token 0 by
    // at least a sixteenth of the tokens.
    auto* ticker = dynamic_cast<QCPAxisTickerText*>(page.plot(6)->yAxis->ticker().data());
    QVERIFY(ticker);
    const double row = ticker->ticks().key(QStringLiteral("selected"), 1.0);
    const int tokens = static_cast<int>(page.run()->batches->tokens.front().size());
    QVERIFY2(row <= -std::max(1.0, tokens / 16.0) + 1e-9, qPrintable(QString::number(row)));
    QVERIFY(ticker->ticks().contains(0.0));
}

void TestExpertsUi::sliceShowsLayerNumbersAndIdleSelections()
{
    // Mixtral's two requests at budget 3, layer 0, batch 0: both tokens route to experts 0 and 7;
    // the budget's third expert (1) is selected but activates nothing, and the slice says so.
    if (!QFileInfo::exists(mixtral()))
        QSKIP("../shared/data/real is not present");
    installEnglishPlurals();
    {
        ExpertsPage page;
        page.openTrace(mixtral());
        page.waitUntilIdle();
        QVERIFY(page.run());
        page.setBudget(3);
        page.waitUntilIdle();
        const auto* info = page.findChild<QLabel*>(QStringLiteral("sliceInfo"));
        QVERIFY(info);
        QVERIFY2(info->text().contains(QStringLiteral("3 selected, 2 of them activated")), qPrintable(info->text()));
        // Four graphs: top-k, after selection, selected and used, selected and idle (expert 1).
        QCOMPARE(page.plot(6)->graphCount(), 4);
        QCOMPARE(page.plot(6)->graph(3)->dataCount(), 1);
        QCOMPARE(page.plot(6)->graph(3)->data()->at(0)->key, 1.0);
    }
    // A vLLM log of layer 12 alone: the slice's layer reads 12, as the heatmaps and the per-layer
    // table name it, not 0.
    const QString log
        = QString::fromStdString(test::sharedPath("vllm_moe_routes/qwen15moe_layer_logger/moe_layer12.jsonl"));
    ExpertsPage page;
    page.openTrace(log);
    page.waitUntilIdle();
    QVERIFY(page.run());
    auto* layer = page.findChild<QSpinBox*>(QStringLiteral("sliceLayer"));
    QVERIFY(layer);
    QCOMPARE(layer->text(), QStringLiteral("12"));
    QCOMPARE(layer->value(), 0);
}

void TestExpertsUi::heatmapScaleFitsTheFractions()
{
    QCOMPARE(fractionScaleTop({ 0.063 }, { 0.02 }), 0.1);
    QCOMPARE(fractionScaleTop({ 0.1 }, { 0.1 }), 0.1);
    QCOMPARE(fractionScaleTop({ 0.0 }, { 0.0 }), 0.05);
    QCOMPARE(fractionScaleTop({ 0.2 }, { 0.31 }), 0.35);
    QCOMPARE(fractionScaleTop({ 0.97 }, { 1.0 }), 1.0);
    // One token per batch: each expert is active in a small share of slices. Both activation maps
    // share a scale that ends just above their largest fraction, not at 1.
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    // The difference map keeps its scale from one budget to the next (the top-k map's), so that
    // its colours compare.
    auto* diff = qobject_cast<QCPColorMap*>(page.plot(2)->plottable(0));
    QVERIFY(diff);
    const QCPRange before = diff->dataRange();
    QCOMPARE(before.lower, -before.upper);
    auto* budget = page.findChild<QSpinBox*>(QStringLiteral("budgetBox"));
    QVERIFY(budget);
    budget->setValue(budget->value() == budget->maximum() ? budget->minimum() : budget->maximum());
    page.waitUntilIdle();
    diff = qobject_cast<QCPColorMap*>(page.plot(2)->plottable(0));
    QVERIFY(diff);
    QCOMPARE(diff->dataRange().upper, before.upper);
    auto* batch = page.findChild<QSpinBox*>(QStringLiteral("batchSize"));
    QVERIFY(batch);
    batch->setValue(1);
    page.waitUntilIdle();
    QVERIFY(page.run());
    const auto& m = page.run()->current->maps;
    double most = 0;
    for (const auto* v : { &m.base, &m.policy })
        most = std::max(most, *std::max_element(v->begin(), v->end()));
    QVERIFY2(most < 0.9, qPrintable(QString::number(most)));
    for (const int i : { 0, 1 }) {
        auto* map = qobject_cast<QCPColorMap*>(page.plot(i)->plottable(0));
        QVERIFY(map);
        QCOMPARE(map->dataRange().lower, 0.0);
        QVERIFY2(map->dataRange().upper >= most && map->dataRange().upper < most + 0.05 + 1e-9,
            qPrintable(QStringLiteral("%1 for %2").arg(map->dataRange().upper).arg(most)));
    }
}

void TestExpertsUi::heatmapsZoomTogether()
{
    // The top-k, policy and difference maps show the same cells: zooming one zooms the others, and
    // a new budget keeps the zoom; another trace starts whole.
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    PlotView* maps[] = { page.plot(0), page.plot(1), page.plot(2) };
    // A cell's tooltip names its quantity as the colour scale does.
    QVERIFY2(maps[0]->cellText(3, 0).contains(QStringLiteral(", expert 3: active fraction 0.")),
        qPrintable(maps[0]->cellText(3, 0)));
    // The per-layer table lists layer 0 first, and its header's arrow says ascending.
    auto* layers = page.findChild<QTableView*>(QStringLiteral("layerTable"));
    QVERIFY(layers && layers->model()->rowCount() > 1);
    QCOMPARE(layers->horizontalHeader()->sortIndicatorSection(), 0);
    QCOMPARE(layers->horizontalHeader()->sortIndicatorOrder(), Qt::AscendingOrder);
    QVERIFY(layers->model()->index(0, 0).data(LayerTableModel::SortRole).toDouble()
        < layers->model()->index(1, 0).data(LayerTableModel::SortRole).toDouble());
    // The demo records no batches: replay is always on, and the box says why it cannot be unticked.
    auto* replay = page.findChild<QCheckBox*>(QStringLiteral("replay"));
    QVERIFY(replay && !replay->isEnabled() && replay->isChecked());
    QVERIFY2(replay->toolTip().contains(QStringLiteral("records no batches")), qPrintable(replay->toolTip()));
    const QCPRange whole = maps[0]->xAxis->range();
    const QCPRange zoomX(whole.lower + 2.0, whole.lower + 10.0);
    const QCPRange zoomY(0.5, 3.5);
    maps[1]->xAxis->setRange(zoomX);
    maps[1]->yAxis->setRange(zoomY);
    for (PlotView* p : maps) {
        QCOMPARE(p->xAxis->range(), zoomX);
        QCOMPARE(p->yAxis->range(), zoomY);
    }
    page.setBudget(page.run()->budget + 4);
    page.waitUntilIdle();
    for (PlotView* p : maps)
        QCOMPARE(p->xAxis->range(), zoomX);
    QTemporaryDir dir;
    moe::SynthOptions o;
    // Another trace of the same shape as the demo: the zoom is not carried over to it.
    o.requests = 4;
    o.tokensPerRequest = 16;
    o.layers = page.run()->trace->layers;
    o.experts = page.run()->trace->experts;
    o.topK = page.run()->trace->topK;
    const auto path = dir.filePath(QStringLiteral("same-shape.safetensors")).toStdString();
    QVERIFY(moe::writeTraceFile(path, moe::makeSyntheticTrace(o)).empty());
    page.openTrace(QString::fromStdString(path));
    page.waitUntilIdle();
    QVERIFY(maps[0]->xAxis->range() != zoomX);
    QCOMPARE(maps[2]->xAxis->range(), maps[0]->xAxis->range());
}

void TestExpertsUi::budgetChangeUpdatesTheCharts()
{
    ExpertsPage page;
    QSignalSpy computed(&page, &ExpertsPage::computed);
    page.openDemo();
    page.waitUntilIdle();
    auto barsOf = [&](int plot) {
        auto* bars = qobject_cast<QCPBars*>(page.plot(plot)->plottable(1));
        std::vector<double> v;
        for (int i = 0; i < bars->dataCount(); ++i)
            v.push_back(bars->data()->at(i)->value);
        return v;
    };
    const auto sweepBefore = page.run()->sweep;
    page.setBudget(10);
    page.waitUntilIdle();
    QCOMPARE(page.run()->budget, 10);
    const auto at10 = barsOf(4);
    page.setBudget(40);
    page.waitUntilIdle();
    QCOMPARE(page.run()->budget, 40);
    const auto at40 = barsOf(4);
    QCOMPARE(at40.size(), at10.size());
    const auto& layers = page.run()->current->results.front().perLayer;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        QCOMPARE(at40[l], layers[l].activatedMean); // the chart shows the current budget
        QVERIFY(at40[l] > at10[l]);
    }
    QCOMPARE(page.run()->sweep, sweepBefore); // a budget change reuses the sweep
    // The sweep chart marks the budget.
    bool marked = false;
    for (int i = 0; i < page.plot(3)->itemCount(); ++i)
        if (auto* line = qobject_cast<QCPItemStraightLine*>(page.plot(3)->item(i)))
            marked = marked || line->point1->coords().x() == 40.0;
    QVERIFY(marked);
    QVERIFY(computed.count() >= 3);
}

void TestExpertsUi::layerModel()
{
    LayerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    auto run = computeExperts(nullptr, demoTrace(), QStringLiteral("demo"), {}, 12, nullptr);
    QVERIFY(run.ok());
    model.setRun(*run.value);
    const auto& layers = (*run.value)->current->results.front().perLayer;
    QCOMPARE(model.rowCount(), static_cast<int>(layers.size()));
    QCOMPARE(
        model.index(2, LayerTableModel::Policy).data(LayerTableModel::SortRole).toDouble(), layers[2].activatedMean);
    model.setRun(nullptr);
    QCOMPARE(model.rowCount(), 0);

    // Through the window's backend (the CPU here, CUDA where a device answers): the same numbers,
    // and the run says where it ran.
    std::string note;
    const auto compute = backends::makeBackend(backends::BackendKind::Auto, note);
    auto viaBackend = computeExperts(nullptr, demoTrace(), QStringLiteral("demo"), {}, 12, nullptr, compute.get());
    QVERIFY(viaBackend.ok());
    const auto& a = (*run.value)->current->results.front();
    const auto& b = (*viaBackend.value)->current->results.front();
    QCOMPARE(b.activated, a.activated);
    QCOMPARE(b.activatedBase, a.activatedBase);
    QVERIFY(std::abs(b.massRetained - a.massRetained) <= 1e-6);
    QCOMPARE((*viaBackend.value)->sweep->results.size(), (*run.value)->sweep->results.size());
    QCOMPARE((*viaBackend.value)->backend,
        compute->name() == "cpu"
            ? QStringLiteral("CPU")
            : QStringLiteral("GPU, %1").arg(QString::fromStdString(compute->name()).mid(6).chopped(1)));
}

void TestExpertsUi::budgetStepReadsTheSweep()
{
    // A budget step on the CPU reads the sweep's maps (no pass over the trace) and shows exactly
    // what a pass computing that budget's maps shows; its per-slice records come when asked for.
    const auto trace = demoTrace();
    auto first = computeExperts(nullptr, trace, QStringLiteral("demo"), {}, 12, nullptr);
    QVERIFY(first.ok());
    auto step = computeExperts(*first.value, trace, QStringLiteral("demo"), {}, 20, nullptr);
    QVERIFY(step.ok());
    const ExpertRun& run = **step.value;
    QVERIFY(run.fromSweep);
    QCOMPARE(run.sweep, (*first.value)->sweep); // the sweep is shared, not recomputed
    QVERIFY(run.current->slices.empty());

    auto scenario = scenarioOf(run.settings, trace, QStringLiteral("demo"));
    scenario.maps = true;
    scenario.perSlice = true;
    const analysis::PreparedScenario prepared { scenario.tracePath, trace, run.batches, run.policy, {} };
    const backend::CpuBackend cpu;
    const auto direct = analysis::runPrepared(scenario, prepared, { 20 }, cpu, {});
    QVERIFY(direct.ok());
    const auto& want = *direct.value->xshare;
    QCOMPARE(run.current->results.front().activated, want.results.front().activated);
    QVERIFY(std::abs(run.current->results.front().massRetained - want.results.front().massRetained) < 1e-9);
    QCOMPARE(run.current->sliceCount, want.sliceCount);
    QCOMPARE(run.current->maps.policy, want.maps.policy);
    QCOMPARE(run.current->maps.base, want.maps.base);
    QCOMPARE(run.current->maps.device, want.maps.device);
    QCOMPARE(run.current->maps.deviceTokens, want.maps.deviceTokens);

    const auto withSlices = currentWithSlices(run);
    QCOMPARE(withSlices->slices.size(), want.slices.size());
    QVERIFY(!want.slices.empty());
    QCOMPARE(withSlices->slices.back().selected, want.slices.back().selected);
    QCOMPARE(sliceCsv(run).count(QLatin1Char('\n')), static_cast<qsizetype>(want.slices.size()) + 1);
}

void TestExpertsUi::oneLayerMapIsDrawn()
{
    // A trace of one MoE layer (a vLLM log of one layer) still draws its row of cells: each
    // dimension's range covers its cells, never a single point.
    PlotView plot;
    drawLayerExpertMap(&plot, { 0.0, 0.5, 1.0, 0.25 }, 1, 4, {}, QStringLiteral("active fraction"), 0.0, 1.0, false);
    QCPColorMap* map = nullptr;
    for (int i = 0; i < plot.plottableCount(); ++i)
        map = map ? map : qobject_cast<QCPColorMap*>(plot.plottable(i));
    QVERIFY(map);
    QVERIFY(map->data()->valueRange().size() > 0.5);
    QVERIFY(map->data()->keyRange().size() > 0.5);
    QCOMPARE(map->data()->cell(2, 0), 1.0);
}

void TestExpertsUi::badTraceSaysWhy()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(
        dir, QStringLiteral("t.safetensors"), QByteArray("\x10\x00\x00\x00\x00\x00\x00\x00{not json", 17));
    ExpertsPage page;
    // The empty drop zone asks for a trace (not for an lm-eval run, as the degradation zones do).
    auto* zone = page.findChild<DropZone*>();
    QVERIFY(zone);
    QString hint;
    for (const auto* label : zone->findChildren<QLabel*>())
        hint += label->text();
    QVERIFY2(
        hint.contains(QStringLiteral("router trace")) && !hint.contains(QStringLiteral("lm-eval")), qPrintable(hint));
    page.openTrace(QString::fromStdString(path));
    page.waitUntilIdle();
    QVERIFY(!page.run());
    QVERIFY2(page.lastError().contains(QString::fromStdString(path)), qPrintable(page.lastError()));

    // A trace that reads but holds a NaN score: the error met while computing names the file too.
    auto nan = moe::makeOwnedTrace(
        2, 1, 4, 2, false, { 0.5f, 0.2f, 0.2f, 0.1f, 0.4f, std::nanf(""), 0.3f, 0.3f }, {}, { 0, 1 });
    const auto nanPath = dir.filePath(QStringLiteral("nan.safetensors")).toStdString();
    QVERIFY(moe::writeTraceFile(nanPath, nan).empty());
    page.openTrace(QString::fromStdString(nanPath));
    page.waitUntilIdle();
    QVERIFY(!page.run());
    QVERIFY2(page.lastError().contains(QStringLiteral("NaN")), qPrintable(page.lastError()));
    QVERIFY2(page.lastError().contains(QString::fromStdString(nanPath)), qPrintable(page.lastError()));
}

void TestExpertsUi::budgetTypedAboveTheMostIsTheMost()
{
    // "999" typed into the budget of a trace with fewer experts takes the most there is, instead of
    // refusing the keystrokes past the first "9"; a number in range is taken as typed.
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    auto* box = page.findChild<QSpinBox*>(QStringLiteral("budgetBox"));
    QVERIFY(box);
    QVERIFY(box->maximum() < 999);
    box->selectAll();
    QTest::keyClicks(box, QStringLiteral("999"));
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), box->maximum());
    page.waitUntilIdle();
    QCOMPARE(page.run()->budget, box->maximum());
    const int inRange = box->minimum() + 2;
    box->selectAll();
    QTest::keyClicks(box, QString::number(inRange));
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), inRange);
    // Below k (the demo's k is 8): the least budget there is, not the old value put back silently.
    QVERIFY(box->minimum() > 3);
    box->selectAll();
    QTest::keyClicks(box, QStringLiteral("3"));
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), box->minimum());
}

void TestExpertsUi::recordedBatchesDisableTheBatchSize()
{
    // A vLLM route log records its batches: they are used as they are, so the batch size and gamma
    // cannot be changed until replay is ticked.
    const QString log
        = QString::fromStdString(test::sharedPath("vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl"));
    if (!QFileInfo::exists(log))
        QSKIP("../shared/data/real is not present");
    installEnglishPlurals(); // as the program does
    ExpertsPage page;
    page.openTrace(log);
    page.waitUntilIdle();
    QVERIFY(page.run());
    // Its two warm-up passes (every token routed alike) are left out, and the facts say so.
    const auto* facts = page.findChild<QLabel*>(QStringLiteral("traceFacts"));
    QVERIFY2(facts->text().contains(QStringLiteral("2 warm-up passes left out")), qPrintable(facts->text()));
    QCOMPARE(page.run()->trace->warmupPassesLeftOut, std::int64_t { 2 });
    auto* replay = page.findChild<QCheckBox*>(QStringLiteral("replay"));
    auto* batch = page.findChild<QSpinBox*>(QStringLiteral("batchSize"));
    QVERIFY(replay && batch);
    QVERIFY(replay->isEnabled() && !replay->isChecked());
    QVERIFY(!batch->isEnabled());
    QVERIFY2(batch->toolTip().contains(QStringLiteral("recorded batches")), qPrintable(batch->toolTip()));
    // Chosen requests are replayed (as the analysis layer does): the batch size counts again.
    auto* requests = page.findChild<QLineEdit*>(QStringLiteral("requests"));
    QVERIFY(requests);
    requests->setText(QStringLiteral("0-3"));
    emit requests->editingFinished();
    QVERIFY(batch->isEnabled());
    QVERIFY(replay->isChecked() && !replay->isEnabled()); // the box says what runs
    QVERIFY2(replay->toolTip().contains(QStringLiteral("chosen requests")), qPrintable(replay->toolTip()));
    requests->clear();
    emit requests->editingFinished();
    QVERIFY(!batch->isEnabled());
    QVERIFY(!replay->isChecked() && replay->isEnabled());
    page.waitUntilIdle();
    replay->setChecked(true);
    QVERIFY(batch->isEnabled());
    page.waitUntilIdle();
    // The log holds one request: a batch size above it says that no batch holds more.
    QCOMPARE(requestCount(*page.trace()), std::int64_t { 1 });
    QVERIFY(batch->value() > 1);
    QVERIFY2(batch->toolTip().contains(QStringLiteral("the trace has 1 request, so no batch holds more than 1")),
        qPrintable(batch->toolTip()));
    batch->setValue(1);
    QVERIFY2(!batch->toolTip().contains(QStringLiteral("no batch holds")), qPrintable(batch->toolTip()));
    batch->setValue(32);
    page.waitUntilIdle();
    // A trace without recorded batches ticks replay for itself only: back on the log, the user's
    // own choice (recorded batches, then replay) is what counts.
    for (const bool wanted : { false, true }) {
        replay->setChecked(wanted);
        page.waitUntilIdle();
        page.openDemo(); // records no batches
        page.waitUntilIdle();
        QVERIFY(replay->isChecked() && !replay->isEnabled());
        page.openTrace(log);
        page.waitUntilIdle();
        QVERIFY(replay->isEnabled());
        QCOMPARE(replay->isChecked(), wanted);
        QVERIFY(page.run());
        QCOMPARE(page.run()->settings.replay, wanted);
    }
    // A speculative length set on a trace without batches replays the next trace too: its box is
    // ticked and fixed, and clearing gamma gives the recorded batches back.
    replay->setChecked(false);
    page.waitUntilIdle();
    page.openDemo();
    page.waitUntilIdle();
    auto* gamma = page.findChild<QSpinBox*>(QStringLiteral("gamma"));
    QVERIFY(gamma && gamma->isEnabled());
    gamma->setValue(3);
    page.waitUntilIdle();
    page.openTrace(log);
    page.waitUntilIdle();
    QVERIFY(replay->isChecked() && !replay->isEnabled());
    QVERIFY(gamma->isEnabled() && batch->isEnabled());
    QVERIFY(page.run());
    QVERIFY(page.run()->settings.replay);
    gamma->setValue(0);
    page.waitUntilIdle();
    QVERIFY(!replay->isChecked() && replay->isEnabled());
    QVERIFY(!gamma->isEnabled());
    QVERIFY(page.run());
    QVERIFY(!page.run()->settings.replay);
}

void TestExpertsUi::tabFollowsTheRows()
{
    // Tab reaches the second row's "requests" before the third row's devices.
    ExpertsPage page;
    QStringList seen;
    QWidget* w = page.findChild<QWidget*>(QStringLiteral("policy"));
    QVERIFY(w);
    for (int i = 0; i < 200 && seen.size() < 6; ++i, w = w->nextInFocusChain()) {
        const QString name = w->objectName();
        if ((name == QLatin1String("warmup") || name == QLatin1String("replay") || name == QLatin1String("batchSize")
                || name == QLatin1String("requests") || name == QLatin1String("devices"))
            && !seen.contains(name))
            seen << name;
    }
    QCOMPARE(seen,
        (QStringList { QStringLiteral("warmup"), QStringLiteral("replay"), QStringLiteral("batchSize"),
            QStringLiteral("requests"), QStringLiteral("devices") }));
}

void TestExpertsUi::controlsFollowThePolicy()
{
    // Only what the chosen policy reads can be changed: the warm-up for the greedy policies, the
    // experts per request for the speculative one.
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    QVERIFY(page.run());
    auto* policy = page.findChild<QComboBox*>(QStringLiteral("policy"));
    auto* warmup = page.findChild<QSpinBox*>(QStringLiteral("warmup"));
    auto* perRequest = page.findChild<QSpinBox*>(QStringLiteral("requestExperts"));
    QVERIFY(policy && warmup && perRequest);
    const auto choose = [&](moe::Policy p) {
        policy->setCurrentIndex(policy->findData(int(p)));
        page.waitUntilIdle();
    };
    choose(moe::Policy::Batch);
    QVERIFY(warmup->isEnabled() && !perRequest->isEnabled());
    choose(moe::Policy::Speculative);
    QVERIFY(!warmup->isEnabled() && perRequest->isEnabled());
    // Its default names the trace's own k, and it stops at the experts a layer has.
    QCOMPARE(perRequest->value(), 0);
    QCOMPARE(perRequest->text(), QStringLiteral("k = %1").arg(page.trace()->topK));
    QCOMPARE(perRequest->maximum(), int(page.trace()->experts));
    auto* budget = page.findChild<QSlider*>();
    QVERIFY(budget);
    QVERIFY(budget->isEnabled());
    choose(moe::Policy::TopK);
    QVERIFY(!warmup->isEnabled() && !perRequest->isEnabled());
    QVERIFY(!budget->isEnabled()); // top-k keeps every token's own experts: no budget applies
    choose(moe::Policy::ExpertParallel);
    QVERIFY(warmup->isEnabled() && !perRequest->isEnabled());
    QVERIFY(budget->isEnabled());
}

void TestExpertsUi::exports()
{
    ExpertsPage page;
    page.openDemo();
    page.waitUntilIdle();
    QVERIFY(page.run());
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("e.html"));
    QCOMPARE(exporter::expertsReport(html, *page.run(), page.reportPlots()), QString());
    QFile h(html);
    QVERIFY(h.open(QIODevice::ReadOnly));
    const QByteArray text = h.readAll();
    QVERIFY(text.contains("how many experts does a batch need"));
    QCOMPARE(text.count("data:image/png;base64,"), page.reportPlots().size());
    const auto& layers = page.run()->current->results.front().perLayer;
    QCOMPARE(text.count("<tr><td>"), static_cast<qsizetype>(layers.size())); // one table row per layer
    QVERIFY(text.contains(QByteArray(QByteArray("M = ") + QByteArray::number(page.run()->budget))));
    // The report's headline says all the window's does.
    QVERIFY(text.contains("of tokens unchanged, peak per device"));

    const QString csv = dir.filePath(QStringLiteral("layers.csv"));
    QCOMPARE(exporter::expertsLayerCsv(csv, *page.run()), QString());
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const auto lines = c.readAll().trimmed().split('\n');
    QCOMPARE(static_cast<std::size_t>(lines.size()), layers.size() + 1);
    QVERIFY(lines[1].startsWith(QByteArray(QByteArray::number(layers[0].layer) + ',')));

    const QString pdf = dir.filePath(QStringLiteral("e.pdf"));
    QCOMPARE(exporter::expertsReport(pdf, *page.run(), page.reportPlots()), QString());
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    if (pdftotext.isEmpty())
        QSKIP("pdftotext (poppler-utils) is not installed");
    QProcess p;
    p.start(pdftotext, { pdf, QStringLiteral("-") });
    QVERIFY(p.waitForFinished(60000));
    const QString words = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY(words.contains(QStringLiteral("Per layer")));
    QVERIFY(words.contains(QStringLiteral("gating mass kept")));
}

void TestExpertsUi::loadCountsGivePlacement()
{
    const QString counts = QString::fromStdString(test::sharedPath("expert_counts_olmoe_repo/olmoe_c4.csv"));
    if (!QFileInfo::exists(counts))
        QSKIP("../shared/data/real is not present");
    ExpertsPage page;
    // Without counts the plot says what would fill it, and the buttons that act on them are off.
    auto* exportButton = page.findChild<QPushButton*>(QStringLiteral("exportPlacement"));
    auto* useButton = page.findChild<QPushButton*>(QStringLiteral("useCounts"));
    QVERIFY(exportButton && useButton);
    QVERIFY(!exportButton->isEnabled() && !useButton->isEnabled());
    const auto noteOf = [](PlotView* plot) {
        for (int i = 0; i < plot->itemCount(); ++i)
            if (const auto* t = qobject_cast<QCPItemText*>(plot->item(i)))
                return t->text();
        return QString();
    };
    auto* countsView = page.findChild<ExpertCountsView*>();
    QVERIFY(countsView);
    PlotView* countsPlot = countsView->plot();
    QVERIFY2(noteOf(countsPlot).startsWith(QStringLiteral("No expert load counts are open")),
        qPrintable(noteOf(countsPlot)));
    page.openCounts(counts);
    QVERIFY(noteOf(countsPlot).isEmpty());
    QVERIFY(page.hasCounts());
    // Counts alone export a placement; balancing the trace by them needs a trace.
    QVERIFY(exportButton->isEnabled() && !useButton->isEnabled());
    QVERIFY2(
        useButton->toolTip().contains(QStringLiteral("Open a router trace first")), qPrintable(useButton->toolTip()));
    page.openDemo();
    page.waitUntilIdle();
    QVERIFY(exportButton->isEnabled() && useButton->isEnabled());
    // Counts chosen on the trace box (as browsing or a drop does) open in their tab; the box still
    // names the trace shown, also after counts that cannot be read.
    auto* zone = page.findChild<DropZone*>();
    QVERIFY(zone);
    const QString demoName = zone->path();
    QVERIFY(demoName.startsWith(QStringLiteral("demo")));
    for (const QString& chosen : { counts, QStringLiteral("/nonexistent/counts.json") }) {
        zone->setPath(chosen);
        emit zone->pathChosen(chosen);
        QCOMPARE(zone->path(), demoName);
    }
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("placement.json"));
    QCOMPARE(page.exportPlacement(out), QString());
    // The exported file is a placement the command line and the workspace read back.
    const auto p = moe::loadPlacement(out.toStdString(), 64, 8);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error->toString().c_str());
    QCOMPARE(p.value->copies(), 64);
    std::vector<int> perDevice(8, 0);
    for (const int d : p.value->device)
        ++perDevice[static_cast<std::size_t>(d)];
    for (const int n : perDevice)
        QCOMPARE(n, 8); // 64 experts, 8 devices, 8 each
    // Balancing the trace by the counts uses the devices and copies this tab shows, not those set
    // before in the controls.
    auto* countsDevices = countsView->findChild<QSpinBox*>(QStringLiteral("countsDevices"));
    auto* countsReplicas = countsView->findChild<QSpinBox*>(QStringLiteral("countsReplicas"));
    QVERIFY(countsDevices && countsReplicas);
    QCOMPARE(page.controls()->settings().devices, 0); // auto
    countsDevices->setValue(4);
    countsReplicas->setValue(2);
    useButton->click();
    page.waitUntilIdle();
    QCOMPARE(page.controls()->settings().devices, 4);
    QCOMPARE(page.controls()->settings().replicas, 2);
    QVERIFY(page.run() && page.run()->settings.balanced);
    QCOMPARE(page.run()->settings.devices, 4);
    QCOMPARE(page.run()->settings.placementCounts, counts);
    // The report shows the counts, named, since they name the trace's number of experts.
    const QString html = dir.filePath(QStringLiteral("e.html"));
    QCOMPARE(page.exportReport(html), QString());
    auto readAll = [](const QString& path) {
        QFile f(path);
        f.open(QIODevice::ReadOnly);
        return QString::fromUtf8(f.readAll());
    };
    QVERIFY(readAll(html).contains(QStringLiteral("from olmoe_c4.csv")));
    // Counts of another model (8 experts) are refused before any setting changes, and left out of
    // the trace's report.
    QByteArray eight = "layer_id,expert_id,count\n";
    for (int e = 0; e < 8; ++e)
        eight += "0," + QByteArray::number(e) + ',' + QByteArray::number(10 + e) + '\n';
    const QString other = QString::fromStdString(test::writeFile(dir, QStringLiteral("eight.csv"), eight));
    page.openCounts(other);
    QVERIFY(page.hasCounts());
    countsDevices->setValue(6);
    countsReplicas->setValue(5);
    // The button that would balance the trace by them is off, and says why.
    QVERIFY(!useButton->isEnabled());
    QVERIFY2(useButton->toolTip().contains(QStringLiteral("These counts name 8 experts and the trace has 64")),
        qPrintable(useButton->toolTip()));
    useButton->click();
    page.waitUntilIdle();
    QCOMPARE(page.controls()->settings().devices, 4);
    QCOMPARE(page.controls()->settings().replicas, 2);
    QCOMPARE(page.run()->settings.placementCounts, counts);
    QCOMPARE(page.exportReport(html), QString());
    QVERIFY(!readAll(html).contains(QStringLiteral("Expert load counts")));
    const auto bad = test::writeFile(dir, QStringLiteral("bad.csv"), "layer_id,expert_id,count\n0,x,3\n");
    page.openCounts(QString::fromStdString(bad));
    QVERIFY(page.lastError().contains(QStringLiteral("bad.csv")));
}

void TestExpertsUi::expertParallelSweepIsSpread()
{
    // Nested policies get every budget from one pass; expert parallelism selects anew at each
    // budget, so its curve takes 25 budgets spread from k to N (with 2k and the budget shown).
    std::vector<int> all;
    for (int m = 8; m <= 128; ++m)
        all.push_back(m);
    QCOMPARE(sweepBudgets(moe::Policy::Batch, 8, 128, 16), all);
    const auto some = sweepBudgets(moe::Policy::ExpertParallel, 8, 128, 21);
    QVERIFY(some.size() >= 25 && some.size() <= 27);
    QVERIFY(std::is_sorted(some.begin(), some.end()));
    QVERIFY(std::adjacent_find(some.begin(), some.end()) == some.end());
    for (const int m : { 8, 16, 21, 128 })
        QVERIFY2(std::count(some.begin(), some.end(), m) == 1, qPrintable(QString::number(m)));
    QCOMPARE(sweepBudgets(moe::Policy::ExpertParallel, 2, 20, 4).size(), std::size_t(19)); // few budgets: all

    // In the window: a budget outside the spread is computed when reached, and equals a run that
    // starts there.
    const auto trace = demoTrace();
    ExpertSettings s;
    s.policy = moe::Policy::ExpertParallel;
    s.devices = 4;
    const int k = static_cast<int>(trace->topK);
    const int n = static_cast<int>(trace->experts);
    QVERIFY(n - k + 1 > 25);
    const auto first = computeExperts(nullptr, trace, QStringLiteral("demo"), s, 2 * k, nullptr);
    QVERIFY2(first.ok(), first.ok() ? "" : first.error->toString().c_str());
    std::vector<int> swept;
    for (const auto& r : (*first.value)->sweep->results)
        swept.push_back(r.budget);
    QCOMPARE(swept, sweepBudgets(s.policy, k, n, 2 * k));
    int outside = k;
    while (std::count(swept.begin(), swept.end(), outside) > 0)
        ++outside;
    const auto stepped = computeExperts(*first.value, trace, QStringLiteral("demo"), s, outside, nullptr);
    const auto fresh = computeExperts(nullptr, trace, QStringLiteral("demo"), s, outside, nullptr);
    QVERIFY(stepped.ok() && fresh.ok());
    const auto& a = (*stepped.value)->current->results.front();
    const auto& b = (*fresh.value)->current->results.front();
    QCOMPARE(a.budget, outside);
    QCOMPARE(a.activated, b.activated);
    QCOMPARE(a.massRetained, b.massRetained);
    QCOMPARE(a.peakDeviceLoad, b.peakDeviceLoad);
    // A budget inside the spread gives what the sweep holds for it.
    const auto inside = computeExperts(*first.value, trace, QStringLiteral("demo"), s, swept[3], nullptr);
    QVERIFY(inside.ok());
    QCOMPARE((*inside.value)->current->results.front().budget, swept[3]);
    QCOMPARE((*inside.value)->current->results.front().activated, (*first.value)->sweep->results[3].activated);
    QCOMPARE((*inside.value)->current->results.front().massRetained, (*first.value)->sweep->results[3].massRetained);
}

void TestExpertsUi::requestsPlacementAndSlices()
{
    std::vector<std::int32_t> ids;
    QString why;
    QVERIFY(parseRequestList(QStringLiteral(" 0-3, 7 ,9-10"), ids, why));
    QCOMPARE(ids, (std::vector<std::int32_t> { 0, 1, 2, 3, 7, 9, 10 }));
    QVERIFY(parseRequestList(QString(), ids, why) && ids.empty());
    QVERIFY(!parseRequestList(QStringLiteral("3-1"), ids, why));
    QVERIFY(!parseRequestList(QStringLiteral("a"), ids, why));
    QVERIFY(why.contains(QStringLiteral("\"a\"")));

    const auto trace = demoTrace();
    QTemporaryDir dir;
    // Every expert on device 0 of 2: the busiest device holds every activated expert.
    QString placement = QStringLiteral("{\"placement\": [");
    for (int e = 0; e < trace->experts; ++e)
        placement += (e ? QStringLiteral(",0") : QStringLiteral("0"));
    placement += QStringLiteral("]}");
    const auto path = test::writeFile(dir, QStringLiteral("p.json"), placement.toUtf8());
    ExpertSettings s;
    s.devices = 2;
    s.placementFile = QString::fromStdString(path);
    s.requests = { 0, 1, 2, 3, 4, 5, 6, 7 };
    s.batchSize = 4;
    const auto r = computeExperts(nullptr, trace, QStringLiteral("demo"), s, 12, nullptr);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& run = **r.value;
    const auto& res = run.current->results.front();
    const double slices = static_cast<double>(run.current->sliceCount);
    QVERIFY(std::abs(res.peakDeviceLoadBase - static_cast<double>(res.activatedBase) / slices) < 1e-12);
    // Only the 8 requests chosen were replayed.
    std::set<std::int32_t> seen;
    for (const auto& rows : run.batches->tokens)
        for (const auto t : rows)
            seen.insert(trace->requestId[static_cast<std::size_t>(t)]);
    QCOMPARE(seen, (std::set<std::int32_t> { 0, 1, 2, 3, 4, 5, 6, 7 }));
    // One CSV line per slice, after the header; each lists its selected experts.
    const QStringList lines = sliceCsv(run).trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), static_cast<qsizetype>(run.current->sliceCount + 1));
    QCOMPARE(lines[1].section(QLatin1Char('"'), 1, 1).split(QLatin1Char(' ')).size(), 12);
    // A bad placement file is named in the error.
    s.placementFile = dir.filePath(QStringLiteral("missing.json"));
    const auto bad = computeExperts(nullptr, trace, QStringLiteral("demo"), s, 12, nullptr);
    QVERIFY(!bad.ok());
    QVERIFY(QString::fromStdString(bad.error->toString()).contains(QStringLiteral("missing.json")));
}

QTEST_MAIN(TestExpertsUi)
#include "tst_expertsui.moc"
