// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "MatrixArgs.h"
#include "Wording.h"
#include "analysis/Matrix.h"
#include "analysis/MatrixWriters.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp = R"(usage: deltascope-cli matrix BASE CAND [CAND...] [options]

Compares every candidate with one baseline, exactly as `compare BASE CAND` would (the same tests,
the same numbers), then corrects for the number of candidates, compares the candidates with each
other and groups them into tiers the data cannot separate. BASE and each CAND are lm-eval output
(a folder or its files), Inspect logs, HELM runs, simple-evals files or id/score tables. A CAND
folder that holds the runs of several models (e.g. lm-eval/ with one subfolder per quantization)
is split into one candidate per run; the baseline's own run is left out. A candidate is named after
its model (the part after the last '/'), else its file name.

How candidates are decided: each comparison has one decision p-value, the smallest p of its three
deciding tests times 3 (the Bonferroni factor `compare` decides with; times 1 with one task). Holm's
procedure across the candidates adjusts these, and a candidate is degraded when its adjusted p is
below alpha: the chance of calling any candidate degraded by chance stays below alpha. With
--margin, "no worse than the margin" needs the largest task p of the non-inferiority test,
Holm-adjusted across candidates, below alpha. --alpha-per-candidate decides each candidate at alpha
on its own (its verdict is then exactly compare's).
Candidates against each other: on the samples both share, the exact two-sided McNemar test of the
pooled discordant pairs when every task is right/wrong; otherwise a two-sided sign-flip test of the
differences, each task's divided by its root sum of squares (no task weighs more for its units).
Holm across pairs. Tiers: candidates best first (by the number of others each beats on shared
samples, minus those it loses to), each placed one tier below the lowest earlier candidate it is
significantly different from. Candidates in one tier are never separated by the data.
"z drop" is the evidence of a drop against the baseline: the Stouffer sum of the tasks' studentized
drops, sum z_t / sqrt(T) (positive: worse).

options:
  --alpha A                family-wise level across candidates and pairs (default 0.05)
  --alpha-per-candidate    no correction across candidates: each is decided at alpha alone
  --margin D               claim "no worse than D" (repeatable): accuracy points for binary tasks
                           (1 = one point), metric units for continuous ones, D% of the baseline's
                           corpus metric, TASK=D for one task (as compare --margin)
  --no-pairwise            skip the candidates-against-each-other tests and the tiers
  --permutations P --max-permutations M --seed S --threads N --backend auto|cpu|cuda
                           as compare (sign-flip tests of continuous tasks and of the pairs)
  --base-run TIMESTAMP     when the BASE folder holds several runs, pick this one
  --base-rerun PATH        another run of the baseline, averaged per sample (repeatable)
  --keep-list FILE         compare only these samples (see compare --keep-list)
  --task, --metric, --filter, --input-format, --id-column, --score-column, --task-column,
  --filter-column, --weight-column, --prompt-column, --response-column, --target-column,
  --cluster, --skip-bad-lines   as compare (deltascope-cli compare --help), for every side
costs (the x-axis of the frontier plot):
  --costs FILE.csv         a header row, then one row per candidate: the candidate's name (or the
                           path given for it) first, then any of
                             bits_per_weight (bits), memory_gb (GB), throughput (tokens/s,
                             higher is better), latency_ms (ms), activated_experts (experts per
                             slice); any other column is a lower-is-better cost
  --cost NAME=VALUE        one candidate's cost in the --cost-axis column (repeatable; default
                           column "cost")
  --cost-axis COLUMN       the cost drawn on the x-axis (default: the first column)
                           Pareto front: the candidates no other candidate beats on both cost and
                           drop (lower cost, or higher throughput, and lower drop)
output:
  --format text|json|csv|markdown|html   (default text; html draws the frontier plot as inline SVG
                           when costs are given)
  --output FILE            write there (atomically) instead of stdout
  --quiet                  no progress or warnings on stderr

exit status: 0 no candidate degraded (and, with --margin, every one no worse than the margin);
             1 some candidate degraded; 2 error; 3 none degraded but some inconclusive (--margin)
)";

int failText(const std::string& message)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", cliWording(message).c_str());
    return Error;
}

} // namespace

const std::vector<std::string> kMatrixValued { "backend", "base-rerun", "base-run", "keep-list", "alpha",
    "permutations", "max-permutations", "seed", "margin", "threads", "format", "output", "cost", "costs", "cost-axis" };
const std::vector<std::string> kMatrixFlags { "skip-bad-lines", "quiet", "help", "alpha-per-candidate", "no-pairwise" };

bool readReportFormat(const Args& args, std::string& format, std::string& error)
{
    format = args.value("format").value_or("text");
    if (format == "table")
        format = "text";
    if (format == "md")
        format = "markdown";
    if (format != "text" && format != "json" && format != "csv" && format != "markdown" && format != "html")
        return error = "--format must be text, json, csv, markdown or html", false;
    return true;
}

bool readMatrixRequest(const Args& args, analysis::MatrixRequest& request, std::string& costAxis, std::string& error)
{
    if (!readStats(args, request.stats, error))
        return false;
    eval::LoadOptions load;
    if (!readLoadOptions(args, load, error))
        return false;
    load.threads = request.stats.threads;
    const auto& pos = args.positionals();
    request.base.path = pos[0];
    request.base.load = load;
    request.base.load.runTimestamp = args.value("base-run").value_or("");
    request.base.reruns = args.values("base-rerun");
    for (std::size_t i = 1; i < pos.size(); ++i) {
        analysis::SideRequest side;
        side.path = pos[i];
        side.load = load;
        request.candidates.push_back(std::move(side));
    }
    request.keepListPath = args.value("keep-list").value_or("");
    request.alphaPerCandidate = args.has("alpha-per-candidate");
    request.compareCandidates = !args.has("no-pairwise");
    if (auto file = args.value("costs")) {
        auto table = analysis::loadCostTable(*file);
        if (!table.ok())
            return error = table.error->toString(), false;
        request.costs = std::move(*table.value);
    }
    costAxis = args.value("cost-axis").value_or("");
    const std::string column = costAxis.empty() ? std::string("cost") : costAxis;
    std::vector<std::string> named;
    for (const auto& c : args.values("cost")) {
        const auto name = c.substr(0, c.rfind('='));
        if (std::find(named.begin(), named.end(), name) != named.end())
            return error = "--cost " + name + " is given twice", false;
        named.push_back(name);
        if (!analysis::parseCost(c, column, request.costs, error))
            return error = "--cost: " + error, false;
    }
    if (costAxis.empty() && !request.costs.columns.empty())
        costAxis = request.costs.columns.front().name;
    if (!costAxis.empty() && request.costs.columnIndex(costAxis) < 0)
        return error = "--cost-axis " + costAxis + ": no cost is given in that column", false;
    return true;
}

int runMatrix(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued = kMatrixValued;
    valued.insert(valued.end(), kLoadOptionNames.begin(), kLoadOptionNames.end());
    const Args args(argv, kMatrixFlags, valued);
    if (args.has("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.error().empty())
        return failText(args.error() + " (see deltascope-cli matrix --help)");
    if (args.positionals().size() < 2)
        return failText("matrix needs a baseline and at least one candidate (see deltascope-cli matrix --help)");
    const bool quiet = args.has("quiet");
    std::string error, costAxis;
    analysis::MatrixRequest request;
    if (!readMatrixRequest(args, request, costAxis, error))
        return failText(error);
    if (auto bad = analysis::checkMatrixRequest(request))
        return failText(cliText(*bad));
    std::string format;
    if (!readReportFormat(args, format, error))
        return failText(error);
    if (const auto clash = args.outputIsAnInput(); !clash.empty())
        return failText(clash);
    const std::string output = args.value("output").value_or("");
    backends::BackendKind kind = backends::BackendKind::Auto;
    if (!backends::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return failText("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backends::makeBackend(kind, backendNote);
    if (!backendNote.empty() && !quiet && kind == backends::BackendKind::Cuda)
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    const auto progress = stderrProgress(!quiet, "matrix");
    auto result = analysis::runMatrix(request, *compute, progress);
    clearProgress(!quiet);
    if (!result.ok())
        return failText(cliText(*result.error));
    auto& r = *result.value;
    for (auto& c : r.candidates) {
        toCliWording(c.comparison.report.warnings);
        for (auto& t : c.comparison.report.tasks)
            toCliWording(t.warnings);
    }
    const analysis::MatrixWriteOptions options { costAxis };
    const std::string text = format == "json" ? analysis::matrixJson(r, options)
        : format == "csv"                     ? analysis::matrixCsv(r, options)
        : format == "markdown"                ? analysis::matrixMarkdown(r, options)
        : format == "html"                    ? analysis::matrixHtml(r, options)
                                              : analysis::matrixText(r, options);
    if (!emit(text, output))
        return Error;
    if (!quiet) {
        // The baseline's notes come with every candidate's report: say each once.
        std::set<std::string> said;
        for (const auto& c : r.candidates) {
            auto warnings = c.comparison.report.warnings;
            for (const auto& t : c.comparison.report.tasks)
                warnings.insert(warnings.end(), t.warnings.begin(), t.warnings.end());
            for (const auto& w : warnings)
                if (said.insert(w.toString()).second)
                    std::fprintf(stderr, "%s: %s\n", c.name.c_str(), w.toString().c_str());
        }
        if (format != "text")
            for (const auto& w : r.warnings)
                std::fprintf(stderr, "deltascope-cli: %s\n", cliText(w).c_str());
    }
    return analysis::matrixExitCode(r);
}

} // namespace deltascope::cli
