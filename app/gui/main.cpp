// SPDX-License-Identifier: GPL-3.0-or-later
// The Deltascope window. Also renders without a window for tests, docs and CI:
//   deltascope BASE CAND                     open a comparison
//   deltascope TRACE                         open a router trace in the expert workspace
//   deltascope FILE.deltascope               reopen a saved workspace
//   deltascope --demo                        open the bundled demo
//   deltascope --screenshot FILE [inputs]    render the loaded window to a PNG and exit
//   deltascope --export-report FILE [inputs] write the HTML or PDF report and exit
// Headless runs exit with the verdict: 0 no evidence of degradation or no worse than the margin,
// 1 degraded, 2 error, 3 inconclusive (only with --margin).
#include "BackendFactory.h"
#include "MainWindow.h"
#include "common/AtomicFile.h"
#include "common/EnglishPlurals.h"
#include "common/MemoryReuse.h"
#include "degradation/AggregatePanel.h"
#include "degradation/DegradationPage.h"
#include "experts/ExpertsPage.h"
#include "export/ReportExporter.h"
#include "frontier/FrontierPage.h"
#include "plot/PlotView.h"
#include "report/Verdict.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QTextStream>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The command line: every option of the window, and what they ask for once read.
struct Cli {
    QCommandLineOption demo { QStringLiteral("demo"), QStringLiteral("Open the bundled demo comparison.") };
    QCommandLineOption screenshot { QStringLiteral("screenshot"),
        QStringLiteral("Render the window with the comparison loaded to FILE (PNG) and exit."),
        QStringLiteral("FILE") };
    QCommandLineOption report { QStringLiteral("export-report"),
        QStringLiteral("Write the report (.html or .pdf) to FILE without a window and exit."), QStringLiteral("FILE") };
    QCommandLineOption size { QStringLiteral("size"),
        QStringLiteral("Window size for --screenshot, in pixels (default 1600x1000)."), QStringLiteral("WxH"),
        QStringLiteral("1600x1000") };
    QCommandLineOption plot { QStringLiteral("plot"),
        QStringLiteral("With --screenshot: the plot in front. Comparisons: drop-per-task, p-values, "
                       "regressions-improvements, power. Traces (--workspace experts): heatmap-topk, heatmap-policy, "
                       "heatmap-difference, budget-sweep, per-layer, per-device, slice, coactivation, batch-size."),
        QStringLiteral("NAME") };
    QCommandLineOption firstRun { QStringLiteral("first-run"),
        QStringLiteral("With --screenshot: render the window as it first opens, nothing loaded (the workspace of "
                       "--workspace), and exit 0.") };
    QCommandLineOption trace { QStringLiteral("trace"),
        QStringLiteral("Open a router trace in the expert-sharing workspace."), QStringLiteral("FILE") };
    QCommandLineOption workspace { QStringLiteral("workspace"),
        QStringLiteral("The workspace to show: degradation (default), experts or frontier (with --demo: the "
                       "frontier demo, a baseline against several candidates)."),
        QStringLiteral("NAME") };
    QCommandLineOption budget { QStringLiteral("budget"),
        QStringLiteral("Expert sharing: the budget M to show (experts per slice, k to N)."), QStringLiteral("M") };
    QCommandLineOption counts { QStringLiteral("counts"),
        QStringLiteral("Open expert load counts (CSV or JSON) in the expert-sharing workspace."),
        QStringLiteral("FILE") };
    QCommandLineOption skipBad { QStringLiteral("skip-bad-lines"),
        QStringLiteral("Report malformed records as warnings and go on (default: stop at the first).") };
    QCommandLineOption margin { QStringLiteral("margin"),
        QStringLiteral("Claim \"no worse than D\" (repeatable, or comma-separated): D in accuracy points for binary "
                       "tasks, metric units for continuous ones, D% of the baseline's corpus metric, TASK=D for one "
                       "task. The verdict is then degraded, no worse than the margin, or inconclusive."),
        QStringLiteral("D") };
    QCommandLineOption cluster { QStringLiteral("cluster"),
        QStringLiteral("Items sharing this column or field (a table column, an lm-eval field such as doc.subject, an "
                       "Inspect field such as metadata.subject) form a cluster, flipped whole in the sign-flip test. "
                       "HELM runs cluster an instance's train trials by themselves."),
        QStringLiteral("KEY") };
    QCommandLineOption backend { QStringLiteral("backend"),
        QStringLiteral("Where permutation tests and expert selection run: auto (default: CUDA when a device "
                       "answers), cpu or cuda."),
        QStringLiteral("KIND"), QStringLiteral("auto") };

    QList<QCommandLineOption> all() const
    {
        return { demo, screenshot, report, size, plot, firstRun, trace, workspace, budget, counts, skipBad, margin,
            cluster, backend };
    }
};

struct Request {
    QStringList inputs; ///< BASE CAND, or none
    QString workspaceFile;
    QString traceFile;
    QString countsFile;
    bool headless = false;
    bool experts = false; ///< the expert-sharing workspace in front
    bool firstRun = false; ///< render the empty window
    bool frontier = false; ///< the frontier workspace in front
};

// Reads the positional arguments and the workspace choice; empty or why the command line is wrong.
QString readRequest(const QCommandLineParser& parser, const Cli& cli, Request& r)
{
    r.inputs = parser.positionalArguments();
    r.traceFile = parser.value(cli.trace);
    r.countsFile = parser.value(cli.counts);
    // One argument: a saved workspace (.deltascope), expert load counts (.csv, .json) or a router
    // trace in any format it can be read in (a comparison always takes two inputs).
    if (r.inputs.size() == 1) {
        const QString one = r.inputs.takeFirst();
        const QString suffix = QFileInfo(one).suffix().toLower();
        if (suffix == QStringLiteral("deltascope"))
            r.workspaceFile = one;
        else if ((suffix == QStringLiteral("csv") || suffix == QStringLiteral("json")) && r.countsFile.isEmpty())
            r.countsFile = one;
        else if (r.traceFile.isEmpty())
            r.traceFile = one;
        else
            return QStringLiteral("give one trace: %1 or --trace %2").arg(one, r.traceFile);
    }
    if (!r.inputs.isEmpty() && r.inputs.size() != 2)
        return QStringLiteral(
            "give two inputs, BASE and CAND, one router trace, or a .deltascope workspace (or --demo)");
    r.headless = parser.isSet(cli.screenshot) || parser.isSet(cli.report);
    // What the headless modes write never replaces what they read.
    {
        QStringList inputs = r.inputs;
        inputs << r.traceFile << r.countsFile << r.workspaceFile;
        std::vector<std::string> read;
        for (const QString& in : inputs)
            read.push_back(in.toStdString());
        for (const auto* option : { &cli.screenshot, &cli.report }) {
            if (!parser.isSet(*option))
                continue;
            const std::string why = deltascope::overwritesInput(
                parser.value(*option).toStdString(), read, "--" + option->names().first().toStdString());
            if (!why.empty())
                return QString::fromStdString(why);
        }
    }
    if (parser.isSet(cli.report)) {
        const QString suffix = QFileInfo(parser.value(cli.report)).suffix().toLower();
        if (suffix != QStringLiteral("html") && suffix != QStringLiteral("htm") && suffix != QStringLiteral("pdf"))
            return QStringLiteral("--export-report writes FILE.html or FILE.pdf (the format follows the extension), "
                                  "not %1")
                .arg(parser.value(cli.report));
    }
    r.firstRun = parser.isSet(cli.firstRun);
    if (r.firstRun && (!parser.isSet(cli.screenshot) || parser.isSet(cli.report)))
        return QStringLiteral("--first-run goes with --screenshot (and no --export-report)");
    if (r.firstRun
        && (!r.inputs.isEmpty() || parser.isSet(cli.demo) || !r.traceFile.isEmpty() || !r.countsFile.isEmpty()
            || !r.workspaceFile.isEmpty()))
        return QStringLiteral("--first-run shows the window with nothing loaded: give no inputs");
    if (r.headless && !r.firstRun && r.inputs.isEmpty() && !parser.isSet(cli.demo) && r.traceFile.isEmpty()
        && r.countsFile.isEmpty() && r.workspaceFile.isEmpty())
        return QStringLiteral("--screenshot and --export-report need BASE CAND, a router trace, --counts FILE, a "
                              ".deltascope workspace or --demo");
    std::optional<bool> expertsFront;
    bool frontierFront = false;
    if (!r.workspaceFile.isEmpty()) {
        const auto w = deltascope::workspace::readWorkspace(r.workspaceFile.toStdString());
        if (!w.ok())
            return QString::fromStdString(w.error->toString());
        expertsFront = w.value->front == "experts";
        frontierFront = w.value->front == "frontier";
    }
    const QString front = parser.value(cli.workspace);
    r.frontier = parser.isSet(cli.workspace) ? front == QStringLiteral("frontier") : frontierFront;
    if (r.frontier)
        return {};
    r.experts = front == QStringLiteral("experts") || !r.traceFile.isEmpty() || !r.countsFile.isEmpty()
        || (expertsFront.value_or(false) && !parser.isSet(cli.workspace));
    if (parser.isSet(cli.workspace) && !r.experts && front != QStringLiteral("degradation"))
        return QStringLiteral("--workspace must be degradation, experts or frontier");
    return {};
}

// Opens what the command line names; empty or why it could not.
QString openInputs(MainWindow& window, const QCommandLineParser& parser, const Cli& cli, const Request& r)
{
    if (!r.workspaceFile.isEmpty()) {
        QStringList changed;
        const QString why = window.openWorkspace(r.workspaceFile, &changed);
        if (!why.isEmpty())
            return why;
        for (const auto& line : changed)
            QTextStream(stderr) << "deltascope: warning: " << line << '\n';
        if (r.experts)
            window.showExperts();
        if (r.frontier)
            window.showFrontier();
    } else if (r.frontier) {
        window.showFrontier();
        if (parser.isSet(cli.demo) && !window.frontier()->openDemo() && r.headless)
            return window.frontier()->lastError();
    } else if (r.experts) {
        window.showExperts();
        if (!r.countsFile.isEmpty()) {
            window.experts()->openCounts(r.countsFile);
            if (!window.experts()->hasCounts() && r.headless)
                return window.experts()->lastError();
        }
        if (!r.traceFile.isEmpty())
            window.experts()->openTrace(r.traceFile);
        else if (parser.isSet(cli.demo))
            window.experts()->openDemo();
    } else if (parser.isSet(cli.demo)) {
        window.openDemo(!r.headless);
    } else if (r.inputs.size() == 2) {
        window.degradation()->compare(r.inputs[0], r.inputs[1], !r.headless);
    }
    if (r.experts && parser.isSet(cli.budget)) {
        window.experts()->waitUntilIdle();
        window.experts()->setBudget(parser.value(cli.budget).toInt());
    }
    return {};
}

// The expert workspace without a window: its report and/or its picture.
int expertsHeadless(MainWindow& window, const QCommandLineParser& parser, const Cli& cli, const Request&)
{
    ExpertsPage* page = window.experts();
    page->waitUntilIdle();
    if (!page->lastError().isEmpty())
        return fail(page->lastError());
    // Expert load counts alone render (their tab) and report (what they are, their placement).
    if (!page->run() && !page->hasCounts())
        return fail(QStringLiteral("no trace was loaded"));
    if (parser.isSet(cli.report)) {
        const QString why = page->exportReport(parser.value(cli.report));
        if (!why.isEmpty())
            return fail(why);
        if (!parser.isSet(cli.screenshot))
            return 0;
    }
    return renderWindow(window, page, parser.value(cli.size), parser.value(cli.plot), parser.value(cli.screenshot));
}

// The frontier workspace without a window: its picture, and the matrix's exit status.
int frontierHeadless(MainWindow& window, const QCommandLineParser& parser, const Cli& cli)
{
    FrontierPage* page = window.frontier();
    page->waitUntilIdle();
    if (!page->matrix())
        return fail(page->lastError().isEmpty() ? QStringLiteral("nothing was compared") : page->lastError());
    if (parser.isSet(cli.report))
        return fail(QStringLiteral("--export-report is not available for the frontier workspace"));
    if (const int status
        = renderWindow(window, page, parser.value(cli.size), parser.value(cli.plot), parser.value(cli.screenshot)))
        return status;
    return deltascope::analysis::matrixExitCode(*page->matrix());
}

// The verdict as an exit status: 0 no evidence or no worse than the margin, 1 degraded, 3 inconclusive.
int verdictStatus(const deltascope::report::ComparisonReport& r)
{
    return deltascope::report::verdictExitCode(deltascope::report::verdictOf(r));
}

// The comparison without a window: exit with its verdict (see verdictStatus), 2 on an error.
int degradationHeadless(MainWindow& window, const QCommandLineParser& parser, const Cli& cli)
{
    DegradationPage* page = window.degradation();
    page->waitUntilIdle();
    const auto comparison = page->comparison();
    if (!comparison)
        return fail(page->lastError().isEmpty() ? QStringLiteral("nothing was loaded") : page->lastError());
    if (parser.isSet(cli.screenshot)) {
        if (const int status
            = renderWindow(window, page, parser.value(cli.size), parser.value(cli.plot), parser.value(cli.screenshot)))
            return status;
    }
    if (parser.isSet(cli.report)) {
        const QString path = parser.value(cli.report);
        const bool pdf = QFileInfo(path).suffix().compare(QStringLiteral("pdf"), Qt::CaseInsensitive) == 0;
        const QString why = pdf ? exporter::pdf(path, *comparison, page->reportPlots())
                                : exporter::html(path, *comparison, page->reportPlots());
        if (!why.isEmpty())
            return fail(why);
    }
    return verdictStatus(comparison->report);
}

// What the program is called and how its command line reads; the same for --help and for a run.
void describe(QCommandLineParser& parser, const Cli& cli)
{
    QCoreApplication::setApplicationName(QStringLiteral("Deltascope"));
    QCoreApplication::setOrganizationName(QStringLiteral("Deltascope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(DELTASCOPE_VERSION));
    parser.setApplicationDescription(QStringLiteral(
        "Did an optimisation make the model worse, and how many experts does an MoE batch need?\n"
        "\n"
        "  deltascope                          an empty window: drop runs on the Baseline and Candidate boxes\n"
        "  deltascope BASE CAND                open a comparison (lm-eval, Inspect, HELM, simple-evals, tables)\n"
        "  deltascope --demo                   the bundled demo comparison\n"
        "  deltascope FILE.deltascope          reopen a saved workspace\n"
        "  deltascope --trace TRACE            a router trace in the expert-sharing workspace\n"
        "  deltascope --workspace experts --demo   a synthetic trace calibrated on OLMoE's counts\n"
        "  deltascope [inputs] --screenshot FILE.png [--plot NAME] [--size WxH]   render, exit\n"
        "  deltascope [inputs] --export-report FILE.html|FILE.pdf               write the report, exit\n"
        "\n"
        "With --screenshot or --export-report nothing is shown and no display is needed (the offscreen "
        "platform is used when none is set). The exit status is the verdict: 0 no evidence of degradation, "
        "or no worse than the margin; 1 degraded; 2 error; 3 inconclusive (with --margin: not shown worse, "
        "not shown within the margin)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("BASE"),
        QStringLiteral("baseline run (lm-eval folder or file, or a score table); alone: a router trace, expert "
                       "load counts or a .deltascope workspace"));
    parser.addPositionalArgument(QStringLiteral("CAND"), QStringLiteral("candidate run"));
    parser.addOptions(cli.all());
}

// True when the command line asks for the help or the version text anywhere before a "--".
bool asksForHelpOrVersion(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--")
            return false;
        if (a == "-h" || a == "--help" || a == "-?" || a == "--help-all" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}

// True when the command line asks for a headless run (--screenshot, --export-report).
bool asksForHeadless(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--")
            return false;
        if (a.starts_with("--screenshot") || a.starts_with("--export-report"))
            return true;
    }
    return false;
}

// A headless run's output is the file and the exit status; the window system's notes about itself
// (the offscreen platform cannot resize to hints, no runtime folder is set under root) say nothing
// about the result, so they are dropped. Every other message passes on unchanged.
QtMessageHandler g_nextHandler = nullptr;

void quietPlatformNotes(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtWarningMsg
        && (message.contains(QLatin1String("does not support propagateSizeHints"))
            || message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set"))))
        return;
    if (g_nextHandler)
        g_nextHandler(type, context, message);
    else
        std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
}

} // namespace

int main(int argc, char** argv)
{
    deltascope::keepLargeBlocksForReuse(); // before the first large allocation
    QCommandLineParser parser;
    const Cli cli;
    describe(parser, cli);
    if (asksForHelpOrVersion(argc, argv)) {
        // The help and version texts need no window system: answer them before QApplication
        // looks for a display, so that they work over ssh and in CI. Both print and exit. A window
        // system option (-style, -platform) is unknown here: it does not stand in the way of help.
        QCoreApplication core(argc, argv);
        if (parser.parse(QCoreApplication::arguments()))
            parser.process(core);
        if (parser.isSet(QStringLiteral("version")))
            parser.showVersion();
        parser.showHelp(0);
    }
    // A headless run needs no display: without one (over ssh, in CI) it renders offscreen, unless
    // the platform was chosen explicitly.
    const bool headless = asksForHeadless(argc, argv);
    if (headless && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")
        && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (headless)
        g_nextHandler = qInstallMessageHandler(quietPlatformNotes);
    QApplication app(argc, argv);
    installEnglishPlurals();
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/deltascope.svg")));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.deltascope.Deltascope"));
    parser.process(app);

    Request request;
    if (const QString why = readRequest(parser, cli, request); !why.isEmpty())
        return fail(why);
    deltascope::backends::BackendKind kind = deltascope::backends::BackendKind::Auto;
    if (!deltascope::backends::parseBackendKind(parser.value(cli.backend).toStdString(), kind))
        return fail(QStringLiteral("--backend must be auto, cpu or cuda"));
    MainWindow window;
    {
        // The one backend of this program, passed down to both workspaces.
        std::string note;
        std::shared_ptr<const deltascope::backend::ComputeBackend> compute
            = deltascope::backends::makeBackend(kind, note);
        window.setBackend(std::move(compute), QString::fromStdString(note));
    }
    window.degradation()->setSkipBadLines(parser.isSet(cli.skipBad));
    deltascope::report::MarginRequest margins;
    if (parser.isSet(cli.margin)) {
        QString why;
        if (!AggregatePanel::parseMargins(parser.values(cli.margin).join(QStringLiteral(", ")), margins, why))
            return fail(QStringLiteral("--margin: ") + why);
        window.degradation()->setMargins(margins);
    }
    if (parser.isSet(cli.cluster))
        window.degradation()->setClusterKey(parser.value(cli.cluster));
    if (const QString why = openInputs(window, parser, cli, request); !why.isEmpty())
        return fail(why);
    if (parser.isSet(cli.margin) && !request.workspaceFile.isEmpty()) {
        // The command line's margins over the workspace's own.
        window.degradation()->waitUntilIdle();
        window.degradation()->setMargins(margins);
    }

    if (!request.headless) {
        window.show();
        // A session that did not end normally may be restored; this window then autosaves its own.
        if (request.workspaceFile.isEmpty() && request.inputs.isEmpty() && !parser.isSet(cli.demo) && !request.experts
            && !request.frontier)
            window.offerRecovery();
        window.enableAutosave();
        return QApplication::exec();
    }
    window.degradation()->waitUntilIdle();
    window.experts()->waitUntilIdle();
    if (request.firstRun) {
        const QString size = parser.value(cli.size);
        const QString path = parser.value(cli.screenshot);
        return request.experts ? renderWindow(window, window.experts(), size, QString(), path)
                               : renderWindow(window, window.degradation(), size, QString(), path);
    }
    if (request.frontier)
        return frontierHeadless(window, parser, cli);
    return request.experts ? expertsHeadless(window, parser, cli, request) : degradationHeadless(window, parser, cli);
}
