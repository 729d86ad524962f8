// The Deltascope window. Also renders without a window for tests, docs and CI:
//   deltascope BASE CAND                     open a comparison
//   deltascope --demo                        open the bundled demo
//   deltascope --screenshot FILE [inputs]    render the loaded window to a PNG and exit
//   deltascope --export-report FILE [inputs] write the HTML or PDF report and exit (0 no
//                                            degradation, 1 degradation found, 2 error)
#include "MainWindow.h"
#include "degradation/DegradationPage.h"
#include "degradation/ReportExporter.h"
#include "experts/ExpertsPage.h"
#include "plot/PlotView.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QTextStream>
#include <optional>

using namespace deltascope::ui;

namespace {

int fail(const QString& message)
{
    QTextStream(stderr) << "deltascope: " << message << '\n';
    return 2;
}

// Renders the window with `page`'s plot `plotName` in front (empty: as it is) to a PNG.
template <typename Page>
int renderWindow(MainWindow& window, Page* page, const QString& sizeText, const QString& plotName, const QString& path)
{
    const QStringList wh = sizeText.split(QLatin1Char('x'));
    const int w = wh.size() == 2 ? wh[0].toInt() : 1600;
    const int h = wh.size() == 2 ? wh[1].toInt() : 1000;
    window.resize(qMax(640, w), qMax(400, h));
    if (!plotName.isEmpty()) {
        const auto i = page->plotNames().indexOf(plotName);
        if (i < 0)
            return fail(QStringLiteral("--plot must be one of ") + page->plotNames().join(QStringLiteral(", ")));
        page->showPlot(static_cast<int>(i));
    }
    window.show();
    QApplication::processEvents(); // lay the window out once before grabbing it
    for (int i = 0; page->plot(i); ++i)
        page->plot(i)->replot(QCustomPlot::rpImmediateRefresh);
    if (!window.grab().save(path, "PNG"))
        return fail(QStringLiteral("cannot write %1").arg(path));
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Deltascope"));
    QApplication::setOrganizationName(QStringLiteral("Deltascope"));
    QApplication::setApplicationVersion(QStringLiteral(DELTASCOPE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/deltascope.svg")));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.deltascope.Deltascope"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Did an optimisation make the model worse?"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("BASE"), QStringLiteral("baseline run (lm-eval folder or file, or a score table)"));
    parser.addPositionalArgument(QStringLiteral("CAND"), QStringLiteral("candidate run"));
    const QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Open the bundled demo comparison."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
        QStringLiteral("Render the window with the comparison loaded to FILE (PNG) and exit."), QStringLiteral("FILE"));
    const QCommandLineOption report(QStringLiteral("export-report"),
        QStringLiteral("Write the report (.html or .pdf) to FILE without a window and exit."), QStringLiteral("FILE"));
    const QCommandLineOption size(QStringLiteral("size"),
        QStringLiteral("Window size for --screenshot (default 1600x1000)."), QStringLiteral("WxH"),
        QStringLiteral("1600x1000"));
    const QCommandLineOption shown(QStringLiteral("plot"),
        QStringLiteral(
            "With --screenshot: the plot in front (drop-per-task, p-values, regressions-improvements, power)."),
        QStringLiteral("NAME"));
    const QCommandLineOption trace(QStringLiteral("trace"),
        QStringLiteral("Open a router trace in the expert-sharing workspace."), QStringLiteral("FILE"));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
        QStringLiteral("The workspace to show: degradation (default) or experts."), QStringLiteral("NAME"));
    const QCommandLineOption budget(
        QStringLiteral("budget"), QStringLiteral("Expert sharing: the budget M to show."), QStringLiteral("M"));
    const QCommandLineOption counts(QStringLiteral("counts"),
        QStringLiteral("Open expert load counts (CSV or JSON) in the expert-sharing workspace."),
        QStringLiteral("FILE"));
    const QCommandLineOption skipBad(QStringLiteral("skip-bad-lines"),
        QStringLiteral("Report malformed records as warnings and go on (default: stop at the first)."));
    parser.addOptions({ demo, screenshot, report, size, shown, trace, workspace, budget, counts, skipBad });
    parser.process(app);

    QStringList inputs = parser.positionalArguments();
    // One argument ending in .deltascope: a saved workspace.
    QString workspaceFile;
    if (inputs.size() == 1 && inputs[0].endsWith(QStringLiteral(".deltascope"), Qt::CaseInsensitive)) {
        workspaceFile = inputs[0];
        inputs.clear();
    }
    if (!inputs.isEmpty() && inputs.size() != 2)
        return fail(QStringLiteral("give two inputs, BASE and CAND, or a .deltascope workspace (or --demo)"));
    const bool headless = parser.isSet(screenshot) || parser.isSet(report);
    if (headless && inputs.isEmpty() && !parser.isSet(demo) && !parser.isSet(trace) && workspaceFile.isEmpty())
        return fail(QStringLiteral(
            "--screenshot and --export-report need BASE CAND, a .deltascope workspace, --trace FILE or --demo"));

    std::optional<bool> expertsFront;
    if (!workspaceFile.isEmpty()) {
        const auto w = deltascope::workspace::readWorkspace(workspaceFile.toStdString());
        if (!w.ok())
            return fail(QString::fromStdString(w.error->toString()));
        expertsFront = w.value->front == "experts";
    }
    const bool experts = parser.value(workspace) == QStringLiteral("experts") || parser.isSet(trace)
        || parser.isSet(counts) || (expertsFront.value_or(false) && !parser.isSet(workspace));
    if (parser.isSet(workspace) && !experts && parser.value(workspace) != QStringLiteral("degradation"))
        return fail(QStringLiteral("--workspace must be degradation or experts"));
    MainWindow window;
    window.degradation()->setSkipBadLines(parser.isSet(skipBad));
    if (!workspaceFile.isEmpty()) {
        QStringList changed;
        const QString why = window.openWorkspace(workspaceFile, &changed);
        if (!why.isEmpty())
            return fail(why);
        for (const auto& line : changed)
            QTextStream(stderr) << "deltascope: warning: " << line << '\n';
        if (experts)
            window.showExperts();
    } else if (experts) {
        window.showExperts();
        if (parser.isSet(trace))
            window.experts()->openTrace(parser.value(trace));
        else if (parser.isSet(demo))
            window.experts()->openDemo();
        if (parser.isSet(counts))
            window.experts()->openCounts(parser.value(counts));
    } else if (parser.isSet(demo)) {
        window.openDemo(!headless);
    } else if (inputs.size() == 2) {
        window.degradation()->compare(inputs[0], inputs[1], !headless);
    }
    if (experts && parser.isSet(budget)) {
        window.experts()->waitUntilIdle();
        window.experts()->setBudget(parser.value(budget).toInt());
    }

    if (!headless) {
        window.show();
        // A session that did not end normally may be restored; this window then autosaves its own.
        if (workspaceFile.isEmpty() && inputs.isEmpty() && !parser.isSet(demo) && !experts)
            window.offerRecovery();
        window.enableAutosave();
        return QApplication::exec();
    }
    window.degradation()->waitUntilIdle();
    window.experts()->waitUntilIdle();
    if (experts) {
        ExpertsPage* page = window.experts();
        page->waitUntilIdle();
        if (!page->run())
            return fail(page->lastError().isEmpty() ? QStringLiteral("no trace was loaded") : page->lastError());
        if (parser.isSet(report)) {
            const QString why = exporter::expertsReport(parser.value(report), *page->run(), page->reportPlots());
            if (!why.isEmpty())
                return fail(why);
            if (!parser.isSet(screenshot))
                return 0;
        }
        return renderWindow(window, page, parser.value(size), parser.value(shown), parser.value(screenshot));
    }

    DegradationPage* page = window.degradation();
    page->waitUntilIdle();
    const auto comparison = page->comparison();
    if (!comparison)
        return fail(page->lastError().isEmpty() ? QStringLiteral("nothing was loaded") : page->lastError());
    if (parser.isSet(screenshot)) {
        if (const int status
            = renderWindow(window, page, parser.value(size), parser.value(shown), parser.value(screenshot)))
            return status;
    }
    if (parser.isSet(report)) {
        const QString path = parser.value(report);
        const bool pdf = QFileInfo(path).suffix().compare(QStringLiteral("pdf"), Qt::CaseInsensitive) == 0;
        const QString why = pdf ? exporter::pdf(path, *comparison, page->reportPlots())
                                : exporter::html(path, *comparison, page->reportPlots());
        if (!why.isEmpty())
            return fail(why);
    }
    return comparison->report.degraded ? 1 : 0;
}
