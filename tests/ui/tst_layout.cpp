// SPDX-License-Identifier: GPL-3.0-or-later
// The window explains itself and fits a laptop: every column header defines its column, the empty
// workspaces say what to drop where, the window's minimum size fits 1366x768, the task and its
// verdict stay in view, legends sit outside the data and many layers do not crowd their labels.
#include "MainWindow.h"
#include "TestData.h"
#include "common/AppSettings.h"
#include "common/Format.h"
#include "common/FrozenColumnsView.h"
#include "common/InputHelp.h"
#include "degradation/DegradationPage.h"
#include "degradation/DisagreementModel.h"
#include "degradation/DropZone.h"
#include "degradation/TaskTableModel.h"
#include "experts/ExpertsPage.h"
#include "experts/LayerTableModel.h"
#include "export/ExportFiles.h"
#include "frontier/FrontierPage.h"
#include "plot/DegradationPlots.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLockFile>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using namespace deltascope;
using namespace deltascope::ui;

namespace {

void waitIdle(MainWindow& w)
{
    w.degradation()->waitUntilIdle();
    w.experts()->waitUntilIdle();
    QCoreApplication::processEvents();
}

// Lays a plot out at a fixed size, as it is drawn on screen.
void layOut(PlotView* plot)
{
    plot->setViewport(QRect(0, 0, 640, 420));
    plot->replot(QCustomPlot::rpImmediateRefresh);
}

PlotView* budgetSweepOf(MainWindow& w)
{
    return w.experts()->plot(static_cast<int>(w.experts()->plotNames().indexOf(QStringLiteral("budget-sweep"))));
}

WelcomePanel* welcomeOf(QWidget* page)
{
    return page->findChild<WelcomePanel*>(QStringLiteral("welcome"));
}

} // namespace

class TestLayout : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void everyHeaderHasADefinition();
    void emptyWorkspacesExplainThemselves();
    void minimumSizeFitsALaptop_data();
    void minimumSizeFitsALaptop();
    void taskAndVerdictStayInView();
    void longTaskNamesWrapInTheDecision();
    void legendsSitOutsideTheData();
    void legendEntriesAreNotCut();
    void budgetSweepHasOneAxisPerQuantity();
    void thresholdNamesMissTheBars();
    void powerPlannerLabelsStayApart();
    void manyLayersAreThinned();
    void firstSizeFitsTheScreen();
    void longStatusStaysLeftOfTheBackend();
    void savedSizeFitsASmallerScreen();
    void longIdsKeepTheOtherColumnsInView();
    void dropZoneCutsLongFolders();
    void manyTasksAreThinned();
    void flagsHaveTheTablesColours();
    void doubleClickRestoresTheView();
    void logLikelihoodResponsesAreComparedByChoice();
};

void TestLayout::everyHeaderHasADefinition()
{
    TaskTableModel tasks;
    DisagreementModel disagreements;
    LayerTableModel layers;
    for (QAbstractItemModel* model : { static_cast<QAbstractItemModel*>(&tasks),
             static_cast<QAbstractItemModel*>(&disagreements), static_cast<QAbstractItemModel*>(&layers) }) {
        QSet<QString> seen;
        for (int c = 0; c < model->columnCount(); ++c) {
            const QString name = model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
            const QString tip = model->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString();
            QVERIFY2(tip.size() > 20,
                qPrintable(QString::fromLatin1(model->metaObject()->className()) + QStringLiteral(": ") + name));
            QVERIFY2(!seen.contains(tip), qPrintable(QStringLiteral("same definition twice: ") + name));
            seen.insert(tip);
        }
    }
    // The definitions name what they define.
    QVERIFY(tasks.headerData(TaskTableModel::Regressions, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .startsWith(QStringLiteral("b:")));
    QVERIFY(tasks.headerData(TaskTableModel::Interval, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("Tango")));
    QVERIFY(tasks.headerData(TaskTableModel::HolmP, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("Holm")));
    QVERIFY(tasks.headerData(TaskTableModel::Improvements, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("flip rate")));
    // The verdict's definition uses the words the table writes.
    const QString verdict = tasks.headerData(TaskTableModel::Verdict, Qt::Horizontal, Qt::ToolTipRole).toString();
    for (const auto flag : { report::TaskFlag::Worse, report::TaskFlag::Suggestive, report::TaskFlag::Ok })
        QVERIFY(verdict.contains(TaskTableModel::flagText(flag)));
    QVERIFY(layers.headerData(LayerTableModel::Mass, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("Gating mass")));
    for (const char* metric : { "gating mass kept", "top-k overlap", "tokens unchanged", "peak per device", "Slice" })
        QVERIFY2(ExpertsPage::metricDefinitions().contains(QLatin1String(metric)), metric);
}

void TestLayout::emptyWorkspacesExplainThemselves()
{
    MainWindow w;
    w.show();
    for (QWidget* page : { static_cast<QWidget*>(w.degradation()), static_cast<QWidget*>(w.experts()) }) {
        WelcomePanel* welcome = welcomeOf(page);
        QVERIFY(welcome);
        QVERIFY(welcome->text().contains(QStringLiteral("href='#demo'")));
        QVERIFY(welcome->text().contains(QStringLiteral("href='#help'")));
    }
    QVERIFY(welcomeOf(w.degradation())->isVisible());
    // The help page says how to produce every input it reads.
    const QString help = inputHelpHtml();
    for (const char* how : { "--log_samples", "inspect eval", "helm-run", "prompt_id,score", "export_hf_router_trace",
             "router_trace_rank" })
        QVERIFY2(help.contains(QLatin1String(how)), how);
    // The link opens the demo, and the results replace the welcome.
    auto* label = welcomeOf(w.degradation())->findChild<QLabel*>(QStringLiteral("welcomeText"));
    QVERIFY(label);
    emit label->linkActivated(QStringLiteral("#demo"));
    waitIdle(w);
    QVERIFY(w.degradation()->comparison());
    QVERIFY(!welcomeOf(w.degradation())->isVisible());
    w.showExperts();
    auto* expertsLabel = welcomeOf(w.experts())->findChild<QLabel*>(QStringLiteral("welcomeText"));
    emit expertsLabel->linkActivated(QStringLiteral("#demo"));
    waitIdle(w);
    QVERIFY(w.experts()->run());
    QVERIFY(!welcomeOf(w.experts())->isVisible());
}

void TestLayout::minimumSizeFitsALaptop_data()
{
    QTest::addColumn<bool>("experts");
    QTest::addColumn<bool>("loaded");
    QTest::addColumn<bool>("frontier");
    QTest::newRow("degradation, first run") << false << false << false;
    QTest::newRow("degradation, demo") << false << true << false;
    QTest::newRow("experts, first run") << true << false << false;
    QTest::newRow("experts, demo") << true << true << false;
    QTest::newRow("frontier, demo") << false << true << true;
}

void TestLayout::minimumSizeFitsALaptop()
{
    QFETCH(bool, experts);
    QFETCH(bool, loaded);
    QFETCH(bool, frontier);
    MainWindow w;
    if (loaded) {
        w.openDemo(false);
        w.experts()->openDemo();
        waitIdle(w);
    }
    if (frontier) {
        if (FrontierPage::demoDirectory().isEmpty())
            QSKIP("the frontier demo is not built here");
        QVERIFY(w.frontier()->openDemo());
        w.frontier()->waitUntilIdle();
        QVERIFY(w.frontier()->frontier());
        w.showFrontier();
    }
    if (experts)
        w.showExperts();
    w.resize(1366, 768);
    w.show();
    QCoreApplication::processEvents();
    const QSize least = w.minimumSizeHint().expandedTo(w.minimumSize());
    // A 1366x768 screen also holds a title bar and a panel, and a desktop's fonts are often a
    // little larger than these: keep well inside it.
    QVERIFY2(least.width() <= 1366 && least.height() <= 700,
        qPrintable(QStringLiteral("minimum %1x%2").arg(least.width()).arg(least.height())));
}

void TestLayout::taskAndVerdictStayInView()
{
    MainWindow w;
    w.openDemo(false);
    waitIdle(w);
    w.resize(1440, 900);
    w.show();
    QCoreApplication::processEvents();
    auto* view = w.degradation()->findChild<FrozenColumnsView*>();
    QVERIFY(view);
    const QHeaderView* header = view->horizontalHeader();
    // The verdict right beside the task's name, both frozen.
    QCOMPARE(header->visualIndex(TaskTableModel::Task), 0);
    QCOMPARE(header->visualIndex(TaskTableModel::Verdict), 1);
    QCOMPARE(view->frozenColumns(), 2);
    QTableView* frozen = view->frozenView();
    QVERIFY(frozen->isVisible());
    QVERIFY(!frozen->isColumnHidden(TaskTableModel::Task));
    QVERIFY(!frozen->isColumnHidden(TaskTableModel::Verdict));
    QVERIFY(frozen->isColumnHidden(TaskTableModel::Drop));
    QCOMPARE(frozen->width(), view->columnWidth(TaskTableModel::Task) + view->columnWidth(TaskTableModel::Verdict));
    QCOMPARE(frozen->model(), view->model());
    QCOMPARE(frozen->selectionModel(), view->selectionModel());
    // Scrolled all the way right, the task and its verdict are still the first thing on the left.
    view->horizontalScrollBar()->setValue(view->horizontalScrollBar()->maximum());
    QCoreApplication::processEvents();
    QVERIFY(frozen->isVisible());
    QCOMPARE(frozen->geometry().left(), view->viewport()->geometry().left());
    QCOMPARE(frozen->model()->index(0, TaskTableModel::Verdict).data().toString(),
        view->model()->index(0, TaskTableModel::Verdict).data().toString());
    // After a retest (a model reset) only the frozen columns are shown in the overlay.
    w.degradation()->setMargins({});
    waitIdle(w);
    QVERIFY(frozen->isColumnHidden(TaskTableModel::Drop));
    QVERIFY(!frozen->isColumnHidden(TaskTableModel::Task));
}

void TestLayout::longTaskNamesWrapInTheDecision()
{
    // HELM names a task by its whole run ("bbq:subject=all,method=multiple_choice_joint"): at
    // 1366x768 the decision panel wraps it instead of growing past its column (the verdict's
    // explanation was cut at the right edge).
    // Long words get break chances after their separators; short ones are left as they are.
    QCOMPARE(breakableText(QStringLiteral("gsm8k,strict-match and a_very_long_name=with,separators_in_it")),
        QStringLiteral(
            "gsm8k,strict-match and a_\u200Bvery_\u200Blong_\u200Bname=\u200Bwith,\u200Bseparators_\u200Bin_\u200Bit"));
    const QString helm = QString::fromStdString(test::sharedPath("helm_runs"));
    if (!QFileInfo::exists(helm))
        QSKIP("../shared/data/real is not present");
    MainWindow w;
    w.resize(1366, 768);
    w.show();
    w.degradation()->compare(
        helm + QStringLiteral("/bbq_meta_llama-3-8b"), helm + QStringLiteral("/bbq_meta_llama-3-8b-chat"), false);
    QTRY_VERIFY_WITH_TIMEOUT(w.degradation()->comparison() != nullptr, 60000);
    waitIdle(w);
    QCoreApplication::processEvents();
    auto* decision = w.degradation()->findChild<QScrollArea*>(QStringLiteral("decisionScroll"));
    QVERIFY(decision);
    QCOMPARE(decision->horizontalScrollBar()->maximum(), 0);
    const auto* advice = w.degradation()->findChild<QLabel*>(QStringLiteral("verdictAdvice"));
    QVERIFY(advice);
    QVERIFY2(advice->text().contains(QStringLiteral("method=")), qPrintable(advice->text()));
    QVERIFY(advice->geometry().right() <= decision->viewport()->width());
    // The text reads the same: only break chances were added.
    QVERIFY(QString(advice->text())
                .remove(QChar(0x200B))
                .contains(QStringLiteral("bbq:subject=all,method=multiple_choice_joint")));
    // lm-eval's "none" filter on every task: no Filter column taking the room.
    auto* tasks = w.degradation()->findChild<FrozenColumnsView*>();
    QVERIFY(tasks);
    QVERIFY(tasks->isColumnHidden(TaskTableModel::Filter));
    // The disagreement table beside the sample keeps every column in view: the long task name is
    // cut (in the middle) to leave room for the direction.
    QTableView* flips = nullptr;
    for (auto* v : w.degradation()->findChildren<QTableView*>())
        if (v->model() && v->model()->columnCount() == DisagreementModel::ColumnCount)
            flips = v;
    QVERIFY(flips);
    QTRY_VERIFY(flips->model()->rowCount() > 0);
    QCOMPARE(flips->textElideMode(), Qt::ElideMiddle);
    int before = 0;
    for (int c = 0; c < DisagreementModel::Direction; ++c)
        before += flips->columnWidth(c);
    const int room = flips->viewport()->width() - before;
    QVERIFY2(room >= flips->fontMetrics().horizontalAdvance(QStringLiteral("improvement")) + 8,
        qPrintable(QStringLiteral("%1 px left for the direction").arg(room)));
}

void TestLayout::legendsSitOutsideTheData()
{
    MainWindow w;
    w.openDemo(false);
    w.experts()->openDemo();
    waitIdle(w);
    w.show();
    QList<PlotView*> plots { w.degradation()->plot(2) }; // regressions and improvements
    for (const char* name : { "budget-sweep", "per-layer", "per-device", "slice", "batch-size" })
        plots << w.experts()->plot(static_cast<int>(w.experts()->plotNames().indexOf(QLatin1String(name))));
    w.experts()->showPlot(static_cast<int>(w.experts()->plotNames().indexOf(QStringLiteral("batch-size"))));
    waitIdle(w);
    for (PlotView* plot : plots) {
        QVERIFY(plot);
        layOut(plot);
        QVERIFY2(plot->legend->visible(), qPrintable(plot->objectName()));
        QCOMPARE(plot->legend->layout(), plot->plotLayout());
        for (QCPAxisRect* rect : plot->axisRects())
            QVERIFY2(!rect->rect().intersects(plot->legend->outerRect()),
                qPrintable(QStringLiteral("legend over the data of %1").arg(plots.indexOf(plot))));
    }
    // Drawn again, a plot's legend does not stack up a second row.
    const int rows = plots[1]->plotLayout()->rowCount();
    w.experts()->setBudget(20);
    waitIdle(w);
    QCOMPARE(plots[1]->plotLayout()->rowCount(), rows);
}

void TestLayout::legendEntriesAreNotCut()
{
    // The frontier's legend (five entries, one long) at a narrow and a wide plot: every entry gets
    // its full width inside the plot, and the wide plot needs fewer rows.
    if (FrontierPage::demoDirectory().isEmpty())
        QSKIP("the frontier demo is not built here");
    MainWindow w;
    QVERIFY(w.frontier()->openDemo());
    w.frontier()->waitUntilIdle();
    PlotView* plot = w.frontier()->plot();
    QVERIFY(plot && plot->legend->visible());
    QList<int> rowsAt;
    for (const int width : { 520, 1400 }) {
        plot->setViewport(QRect(0, 0, width, 420));
        plot->replot(QCustomPlot::rpImmediateRefresh);
        QSet<int> tops;
        int entries = 0;
        for (int i = 0; i < plot->legend->itemCount(); ++i) {
            const QCPAbstractLegendItem* entry = plot->legend->item(i);
            if (!entry)
                continue;
            ++entries;
            const QRect r = entry->outerRect();
            const QString what = QStringLiteral("entry %1 at %2 px: %3..%4, needs %5")
                                     .arg(i)
                                     .arg(width)
                                     .arg(r.left())
                                     .arg(r.right())
                                     .arg(entry->minimumOuterSizeHint().width());
            QVERIFY2(r.width() >= entry->minimumOuterSizeHint().width(), qPrintable(what));
            QVERIFY2(r.left() >= 0 && r.right() < width, qPrintable(what));
            tops.insert(r.top());
        }
        QCOMPARE(entries, 5);
        rowsAt << int(tops.size());
    }
    QVERIFY2(rowsAt[1] < rowsAt[0], qPrintable(QStringLiteral("rows: %1, %2").arg(rowsAt[0]).arg(rowsAt[1])));
}

void TestLayout::thresholdNamesMissTheBars()
{
    // The demo's p-values: mmlu's bar, first, reaches Holm's line. The names of the alpha and Holm
    // lines sit where the bars are lower, and cover no bar.
    MainWindow w;
    w.openDemo(false);
    waitIdle(w);
    PlotView* plot = w.degradation()->plot(1);
    QVERIFY(plot);
    layOut(plot);
    int names = 0;
    for (int i = 0; i < plot->itemCount(); ++i) {
        auto* text = qobject_cast<QCPItemText*>(plot->item(i));
        if (!text || !(text->text().contains(QStringLiteral("alpha"))))
            continue;
        ++names;
        const QRectF box(text->topLeft->pixelPosition(), text->bottomRight->pixelPosition());
        for (int p = 0; p < plot->plottableCount(); ++p) {
            auto* bars = qobject_cast<QCPBars*>(plot->plottable(p));
            if (!bars)
                continue;
            for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) {
                const double k0 = bars->keyAxis()->coordToPixel(it->key - bars->width() / 2);
                const double k1 = bars->keyAxis()->coordToPixel(it->key + bars->width() / 2);
                const double v0 = bars->valueAxis()->coordToPixel(0);
                const double v1 = bars->valueAxis()->coordToPixel(it->value);
                const bool upright = bars->keyAxis()->orientation() == Qt::Horizontal;
                const QRectF bar = upright ? QRectF(QPointF(k0, v0), QPointF(k1, v1)).normalized()
                                           : QRectF(QPointF(v0, k0), QPointF(v1, k1)).normalized();
                QVERIFY2(!bar.intersects(box),
                    qPrintable(QStringLiteral("\"%1\" over the bar of task %2").arg(text->text()).arg(it->key)));
            }
        }
    }
    QCOMPARE(names, 2);
}

void TestLayout::budgetSweepHasOneAxisPerQuantity()
{
    MainWindow w;
    w.experts()->openDemo();
    waitIdle(w);
    PlotView* sweep = budgetSweepOf(w);
    layOut(sweep);
    QVERIFY(!sweep->yAxis2->visible());
    // Budgets are whole numbers: no tick at 2.5 or 7.5, zoomed in or not.
    sweep->xAxis->setRange(7.6, 9.4);
    layOut(sweep);
    for (QCPAxisRect* rect : sweep->axisRects())
        for (const double tick : rect->axis(QCPAxis::atBottom)->tickVector())
            QCOMPARE(tick, std::round(tick));
    QCPGraph* experts = nullptr;
    QCPGraph* mass = nullptr;
    for (int i = 0; i < sweep->graphCount(); ++i) {
        QCPGraph* g = sweep->graph(i);
        QVERIFY(g->valueAxis() != sweep->yAxis2);
        if (g->name().contains(QStringLiteral("gating mass")))
            mass = g;
        else if (g->name().contains(QStringLiteral("activated experts")))
            experts = g;
    }
    QVERIFY(experts && mass);
    QVERIFY(experts->valueAxis()->axisRect() != mass->valueAxis()->axisRect());
    QVERIFY(!experts->valueAxis()->axisRect()->rect().intersects(mass->valueAxis()->axisRect()->rect()));
    // Every graph of a panel is in that panel's units.
    for (int i = 0; i < sweep->graphCount(); ++i)
        if (sweep->graph(i) != mass)
            QCOMPARE(sweep->graph(i)->valueAxis(), experts->valueAxis());
    // The panels pan together.
    sweep->xAxis->setRange(10, 20);
    QCOMPARE(mass->keyAxis()->range().lower, 10.0);
    QCOMPARE(mass->keyAxis()->range().upper, 20.0);
    // After a budget change the sweep is drawn again over the same budgets: both panels show
    // every budget (the lower one used to fall back to 0-5 and lose its curve).
    for (const int budget : { 24, 16 }) {
        w.experts()->setBudget(budget);
        waitIdle(w);
        QVERIFY(sweep->graphCount() >= 3);
        for (int i = 0; i < sweep->graphCount(); ++i) {
            QCPGraph* g = sweep->graph(i);
            bool found = false;
            const QCPRange keys = g->data()->keyRange(found);
            QVERIFY(found);
            QVERIFY2(g->keyAxis()->range().contains(keys.lower) && g->keyAxis()->range().contains(keys.upper),
                qPrintable(g->name()));
        }
    }
}

void TestLayout::powerPlannerLabelsStayApart()
{
    MainWindow w;
    w.openDemo(false);
    waitIdle(w);
    PlotView* power = w.degradation()->plot(3);
    QVERIFY(power);
    layOut(power);
    QCPItemText* now = nullptr;
    QCPItemText* target = nullptr;
    for (int i = 0; i < power->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(power->item(i))) {
            if (text->objectName() == QStringLiteral("nowLabel"))
                now = text;
            else if (text->objectName() == QStringLiteral("targetLabel"))
                target = text;
        }
    QVERIFY(now && target);
    const auto box = [](QCPItemText* t) {
        return QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition()).normalized();
    };
    const QRect area = power->axisRect()->rect();
    QVERIFY2(!box(now).intersects(box(target)), "the now and target labels overlap");
    for (QCPItemText* t : { now, target })
        QVERIFY2(QRectF(area).adjusted(-1, -1, 1, 1).contains(box(t)), qPrintable(t->text()));
    // The y label fits along the axis at this size.
    const QFontMetrics metrics(power->yAxis->labelFont());
    QVERIFY(metrics.horizontalAdvance(power->yAxis->label()) < area.height());
}

void TestLayout::manyLayersAreThinned()
{
    moe::BudgetResult r;
    r.budget = 16;
    for (int l = 0; l < 64; ++l) {
        moe::LayerMetrics m;
        m.layer = 2 * l + 1; // the model's own layer numbers
        m.activatedBaseMean = 40;
        m.activatedMean = 16;
        r.perLayer.push_back(m);
    }
    PlotView plot;
    drawPerLayer(&plot, r);
    layOut(&plot);
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(plot.xAxis->ticker());
    QVERIFY(ticker);
    QVERIFY2(ticker->ticks().size() <= 16 && ticker->ticks().size() >= 8,
        qPrintable(QString::number(ticker->ticks().size())));
    // The labels are the model's layer numbers at their bars.
    QCOMPARE(ticker->ticks().value(0.0), QStringLiteral("1"));
    QCOMPARE(ticker->ticks().value(4.0), QStringLiteral("9"));
    // The bars are all there: thinning is of labels only.
    QCOMPARE(qobject_cast<QCPBars*>(plot.plottable(0))->dataCount(), 64);

    // A layer x expert heatmap of 64 layers: a dozen row labels at most.
    std::vector<int> ids;
    for (int l = 0; l < 64; ++l)
        ids.push_back(l);
    PlotView map;
    drawLayerExpertMap(&map, std::vector<double>(64 * 8, 0.5), 64, 8, ids, QStringLiteral("active"), 0, 1, false);
    layOut(&map);
    auto rows = qSharedPointerDynamicCast<QCPAxisTickerText>(map.yAxis->ticker());
    QVERIFY(rows);
    QVERIFY(rows->ticks().size() <= 12 && rows->ticks().size() >= 6);
    // The helper itself: never more than asked, always the first.
    const auto few = thinnedTicker({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
        { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d"), QStringLiteral("e"),
            QStringLiteral("f"), QStringLiteral("g"), QStringLiteral("h"), QStringLiteral("i"), QStringLiteral("j") },
        3);
    QCOMPARE(few->ticks().size(), 3);
    QCOMPARE(few->ticks().value(0.0), QStringLiteral("a"));
    QCOMPARE(few->ticks().value(4.0), QStringLiteral("e"));
}

void TestLayout::logLikelihoodResponsesAreComparedByChoice()
{
    // The demo's arc_easy is a multiple-choice task: its responses are log-likelihoods.
    MainWindow w;
    w.openDemo(false);
    waitIdle(w);
    w.show();
    QCoreApplication::processEvents();
    const auto browsers = w.degradation()->findChildren<QTextBrowser*>();
    QString sides;
    for (QTextBrowser* b : browsers)
        sides += b->toHtml();
    QVERIFY2(sides.contains(QStringLiteral("← picked")), "a selected log-likelihood sample is shown");
    // One row per choice, no character marks inside the numbers.
    QVERIFY(!sides.contains(QStringLiteral("log-likelihood -")));
}

QTEST_MAIN(TestLayout)
void TestLayout::firstSizeFitsTheScreen()
{
    // No saved geometry: the window opens no larger than the screen it is on.
    AppSettings().setWindowGeometry({});
    MainWindow w;
    const QSize avail = w.screen()->availableGeometry().size();
    QVERIFY2(w.width() <= avail.width() && w.height() <= avail.height(),
        qPrintable(
            QStringLiteral("%1x%2 on %3x%4").arg(w.width()).arg(w.height()).arg(avail.width()).arg(avail.height())));
}

void TestLayout::savedSizeFitsASmallerScreen()
{
    // A window size saved on a larger screen is shrunk to this one.
    QSize avail;
    {
        MainWindow big;
        avail = big.screen()->availableGeometry().size();
        big.resize(avail.width() + 600, avail.height() + 400);
        AppSettings().setWindowGeometry(big.saveGeometry());
    }
    MainWindow w;
    QVERIFY2(w.width() <= avail.width() && w.height() <= avail.height(),
        qPrintable(
            QStringLiteral("%1x%2 on %3x%4").arg(w.width()).arg(w.height()).arg(avail.width()).arg(avail.height())));
    AppSettings().setWindowGeometry({});
}

void TestLayout::longStatusStaysLeftOfTheBackend()
{
    // A long error in the status bar is cut before "compute: ..." (its whole text in the tooltip),
    // and cut again to the new width when the window grows.
    MainWindow w;
    w.resize(900, 600);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto* backend = w.statusBar()->findChild<QLabel*>();
    QVERIFY(backend && backend->text().startsWith(QStringLiteral("compute: ")));
    const QString error = QStringLiteral("Could not compare: ") + QString(40, QLatin1Char('x'))
        + QStringLiteral(".jsonl:17: error: the record gives \"doc_id\" twice; ")
        + QStringLiteral("every later record of this file is read the same way, so the file is refused whole");
    emit w.degradation()->statusMessage(error);
    const QString shown = w.statusBar()->currentMessage();
    QVERIFY2(shown.endsWith(QChar(0x2026)), qPrintable(shown));
    QVERIFY(w.statusBar()->fontMetrics().horizontalAdvance(shown) < backend->geometry().left());
    QCOMPARE(w.statusBar()->toolTip(), error);
    w.resize(1900, 600);
    QTRY_VERIFY(w.statusBar()->currentMessage().size() > shown.size());
    // A short message is shown whole, without a tooltip.
    emit w.degradation()->statusMessage(QStringLiteral("Cancelled"));
    QCOMPARE(w.statusBar()->currentMessage(), QStringLiteral("Cancelled"));
    QVERIFY(w.statusBar()->toolTip().isEmpty());
}

void TestLayout::longIdsKeepTheOtherColumnsInView()
{
    // A sample id of 300 characters: the disagreement table's columns stay in view (the id is cut
    // to part of the width, its whole text in the tooltip).
    QTemporaryDir dir;
    const QString longId = QStringLiteral("q-") + QString(300, QLatin1Char('x'));
    auto write = [&](const char* name, const char* second) {
        QFile f(dir.filePath(QLatin1String(name)));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("id,score\n%1,1\nshort,%2\n").arg(longId, QLatin1String(second)).toUtf8());
        f.write("a,1\nb,0\n");
    };
    write("base.csv", "1");
    {
        QFile f(dir.filePath(QStringLiteral("cand.csv")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("id,score\n%1,0\nshort,0\na,1\nb,0\n").arg(longId).toUtf8());
    }
    MainWindow w;
    w.resize(1440, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.degradation()->compare(dir.filePath(QStringLiteral("base.csv")), dir.filePath(QStringLiteral("cand.csv")), false);
    waitIdle(w);
    QVERIFY2(w.degradation()->comparison(), qPrintable(w.degradation()->lastError()));
    QTableView* flips = nullptr;
    for (auto* v : w.degradation()->findChildren<QTableView*>())
        if (qobject_cast<DisagreementModel*>(v->model()) || v->model()->columnCount() == DisagreementModel::ColumnCount)
            flips = v;
    QVERIFY(flips);
    QTRY_VERIFY(flips->model()->rowCount() > 0);
    const int idWidth = flips->columnWidth(DisagreementModel::DocId);
    QVERIFY2(idWidth <= std::max(160, static_cast<int>(0.4 * flips->viewport()->width())),
        qPrintable(QString::number(idWidth)));
    int total = 0;
    for (int c = 0; c < DisagreementModel::ColumnCount; ++c)
        total += flips->columnWidth(c);
    QVERIFY2(total <= flips->viewport()->width() + 200, qPrintable(QString::number(total)));
    bool tipped = false;
    for (int r = 0; r < flips->model()->rowCount(); ++r)
        tipped
            = tipped || flips->model()->index(r, DisagreementModel::DocId).data(Qt::ToolTipRole).toString() == longId;
    QVERIFY(tipped);
}

void TestLayout::dropZoneCutsLongFolders()
{
    const QString deep = QDir::homePath() + QStringLiteral("/evaluations/2026/quantization-sweep/llama-3.1-8b/")
        + QStringLiteral("w4a16-group128-act-order/lm-eval-harness-0.4.8/run-with-a-long-name");
    const QString path = deep + QStringLiteral("/results.json");
    DropZone zone(QStringLiteral("Baseline"));
    auto* label = zone.findChild<QLabel*>();
    QVERIFY(label);
    // Wide: the whole folder, the home folder written as ~, the whole path as the tooltip.
    zone.resize(1600, 80);
    zone.show();
    zone.setPath(path);
    QVERIFY(QTest::qWaitForWindowExposed(&zone));
    QTRY_VERIFY(label->text().contains(QStringLiteral("in ~/evaluations/2026/")));
    QVERIFY(label->text().contains(QStringLiteral("run-with-a-long-name<")));
    QVERIFY(label->text().contains(QStringLiteral("results.json")));
    QCOMPARE(label->toolTip(), QDir::toNativeSeparators(path));
    // Narrow: the folder is cut in the middle to one line, keeping both ends.
    zone.resize(300, 80);
    QTRY_VERIFY(label->text().contains(QChar(0x2026)));
    const QString text = label->text();
    const QString folder = text.mid(text.lastIndexOf(QStringLiteral("'>")) + 2).section(QLatin1Char('<'), 0, 0);
    QVERIFY2(folder.startsWith(QStringLiteral("in ~/")), qPrintable(folder));
    QVERIFY2(folder.endsWith(QStringLiteral("name")), qPrintable(folder));
    QVERIFY2(label->fontMetrics().horizontalAdvance(folder) <= label->contentsRect().width(), qPrintable(folder));
    QCOMPARE(label->toolTip(), QDir::toNativeSeparators(path));
    // A detail replaces the folder and is shown whole.
    zone.setPath(path, QStringLiteral("built in"));
    QVERIFY(label->text().contains(QStringLiteral("built in")));
    QVERIFY(!label->text().contains(QChar(0x2026)));
    QVERIFY(DropZone::shownFolder(QStringLiteral("/data/runs/a.json"))
        == QDir::toNativeSeparators(QStringLiteral("/data/runs")));
    // A long file name without spaces (an Inspect log's) is cut to the zone's width too: the zone
    // never asks for more room than it is given.
    const QString log = QStringLiteral("/data/2025-09-15T15-02-26-04-00_popularity_L8g2xYzAbCdEfGhIjKlMnOpQrS_"
                                       "with-a-very-long-suffix-that-does-not-wrap.eval");
    zone.setPath(log);
    zone.resize(500, 80);
    QTRY_VERIFY2(label->text().contains(QStringLiteral("wrap.eval")), qPrintable(label->text()));
    QVERIFY2(label->text().contains(QChar(0x2026)), qPrintable(label->text()));
    QVERIFY(label->text().contains(QStringLiteral("2025-")));
    QVERIFY(zone.minimumSizeHint().width() <= 500);
}

void TestLayout::flagsHaveTheTablesColours()
{
    // Three tasks, one of each flag: each plot draws each in the colour the task table gives its
    // verdict (worse, suggestive, not shown worse).
    report::ComparisonReport r;
    r.alpha = 0.05;
    const report::TaskFlag flags[] = { report::TaskFlag::Ok, report::TaskFlag::Suggestive, report::TaskFlag::Worse };
    for (int i = 0; i < 3; ++i) {
        report::TaskResult t;
        t.task = "task" + std::to_string(i);
        t.filter = "none";
        t.pValue = 0.2 / (1 + 10 * i);
        t.lnP = std::log(t.pValue);
        t.flag = flags[i];
        t.delta = 0.01 * (i + 1);
        t.ciHigh = 0.05;
        t.n = 100;
        r.tasks.push_back(t);
    }
    const QColor expected[] = { verdictColor(false), warningColor(), verdictColor(true) };
    for (const auto draw : { &drawPValues, &drawForest }) {
        PlotView plot;
        draw(&plot, r);
        const auto order = taskDrawOrder(r);
        for (int task = 0; task < 3; ++task) {
            const double place = static_cast<double>(std::find(order.begin(), order.end(), task) - order.begin());
            QColor drawn;
            for (int p = 0; p < plot.plottableCount(); ++p) {
                auto* plottable = plot.plottable(p);
                if (auto* bars = qobject_cast<QCPBars*>(plottable))
                    if (const auto it = bars->data()->findBegin(place, false);
                        it != bars->data()->constEnd() && it->key == place)
                        drawn = bars->pen().color();
                if (auto* graph = qobject_cast<QCPGraph*>(plottable)) // a dot per task
                    if (const auto it = graph->data()->findBegin(place, false);
                        it != graph->data()->constEnd() && it->key == place)
                        drawn = graph->scatterStyle().pen().color();
            }
            QCOMPARE(drawn.rgb(), expected[task].rgb());
        }
    }
}

void TestLayout::manyTasksAreThinned()
{
    // 57 tasks with long names (MMLU's subjects); drawn most significant first, every tenth place
    // flagged worse, the last one too.
    report::ComparisonReport r;
    r.alpha = 0.05;
    for (int i = 0; i < 57; ++i) {
        report::TaskResult t;
        t.task = "mmlu_high_school_government_and_politics_" + std::to_string(i);
        t.filter = "none";
        t.pValue = 0.5 / (1 + i % 7);
        t.lnP = std::log(t.pValue);
        t.delta = 0.01;
        t.ciHigh = 0.02;
        t.b = 3 + i % 5;
        t.c = 2;
        t.n = 100;
        r.tasks.push_back(t);
    }
    const auto order = taskDrawOrder(r);
    QCOMPARE(order.size(), std::size_t(57));
    for (std::size_t at = 1; at < order.size(); ++at) {
        const auto& before = r.tasks[static_cast<std::size_t>(order[at - 1])];
        const auto& after = r.tasks[static_cast<std::size_t>(order[at])];
        QVERIFY(before.lnP < after.lnP || (before.lnP == after.lnP && order[at - 1] < order[at]));
    }
    for (std::size_t at = 0; at < order.size(); ++at)
        if (at % 10 == 3 || at == 56)
            r.tasks[static_cast<std::size_t>(order[at])].flag = report::TaskFlag::Worse;
    for (const auto draw : { &drawPValues, &drawFlips, &drawForest }) {
        PlotView plot;
        draw(&plot, r);
        layOut(&plot);
        // The tasks run down the side, the first at the top.
        QCPAxis* axis = plot.yAxis;
        QVERIFY(qSharedPointerDynamicCast<CategoryTicker>(axis->ticker()));
        QVERIFY(axis->rangeReversed());
        const auto ticks = axis->tickVector();
        const auto labels = axis->tickVectorLabels();
        QVERIFY2(ticks.size() >= 5 && ticks.size() < 30, qPrintable(QString::number(ticks.size())));
        // No two labels closer than a line of text.
        const double line = QFontMetricsF(axis->tickLabelFont()).height();
        for (qsizetype i = 1; i < ticks.size(); ++i)
            QVERIFY2(std::abs(axis->coordToPixel(ticks[i]) - axis->coordToPixel(ticks[i - 1])) >= line,
                qPrintable(labels[i]));
        // Every flagged task that has room is named: here all, as they are ten places apart.
        for (std::size_t at = 0; at < order.size(); ++at)
            if (r.tasks[static_cast<std::size_t>(order[at])].flag == report::TaskFlag::Worse)
                QVERIFY2(ticks.contains(static_cast<double>(at)), qPrintable(QString::number(at)));
        // Long names are cut in the middle, keeping the end that tells them apart.
        for (const auto& l : labels) {
            QVERIFY(l.size() <= 40);
            QVERIFY(l.contains(QChar(0x2026)));
        }
        const QString flagged = QString::fromStdString(r.tasks[static_cast<std::size_t>(order[3])].task);
        const QString cut = CategoryTicker::elided(flagged, 40);
        QCOMPARE(cut.size(), 40);
        QVERIFY(cut.startsWith(QStringLiteral("mmlu_high_school_g"))
            && cut.endsWith(QStringLiteral("_politics_") + flagged.section(QLatin1Char('_'), -1)));
        QVERIFY(labels.contains(cut));
        // A report's figure is tall enough to name every task.
        if (draw == &drawPValues) {
            const auto figures = exporter::figuresOf({ ReportPlot { QStringLiteral("p"), {}, &plot } }, nullptr);
            QCOMPARE(figures.size(), std::size_t(1));
            const QImage image
                = QImage::fromData(QByteArray::fromBase64(QByteArray::fromStdString(figures[0].pngBase64)));
            QVERIFY2(image.height() >= 18 * 57, qPrintable(QString::number(image.height())));
            layOut(&plot);
        }
        // Zoomed in on five tasks, each is named.
        axis->setRange(20.5, 25.5);
        plot.replot(QCustomPlot::rpImmediateRefresh);
        QCOMPARE(axis->tickVector(), QVector<double>({ 21, 22, 23, 24, 25 }));
    }
    // A few short names stay along the bottom, every one named.
    r.tasks.resize(5);
    for (auto& t : r.tasks)
        t.task = "arc_easy";
    PlotView few;
    drawPValues(&few, r);
    layOut(&few);
    QVERIFY(!few.xAxis->rangeReversed());
    QCOMPARE(few.xAxis->tickVector(), QVector<double>({ 0, 1, 2, 3, 4 }));
}

void TestLayout::doubleClickRestoresTheView()
{
    // The budget sweep has two panels: both go back to the ranges they were drawn with.
    MainWindow w;
    w.experts()->openDemo();
    waitIdle(w);
    PlotView* sweep = budgetSweepOf(w);
    layOut(sweep);
    QList<QPair<QCPAxis*, QCPRange>> drawn;
    for (QCPAxisRect* rect : sweep->axisRects())
        for (QCPAxis* axis : rect->axes())
            drawn.append({ axis, axis->range() });
    QVERIFY(drawn.size() >= 8);
    QVERIFY(!sweep->resetView()); // nothing moved yet
    // A press starts a drag; the view then moves (as dragging and the wheel move it).
    const QPoint mid = sweep->axisRect()->rect().center();
    QTest::mousePress(sweep, Qt::LeftButton, {}, mid);
    QTest::mouseRelease(sweep, Qt::LeftButton, {}, mid);
    sweep->xAxis->setRange(3, 9);
    sweep->yAxis->setRange(1, 2);
    QTest::mouseDClick(sweep, Qt::LeftButton, {}, mid);
    for (const auto& [axis, range] : drawn) {
        QCOMPARE(axis->range().lower, range.lower);
        QCOMPARE(axis->range().upper, range.upper);
    }
}

#include "tst_layout.moc"
