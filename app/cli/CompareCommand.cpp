// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "MatrixArgs.h"
#include "Wording.h"
#include "analysis/Comparison.h"
#include "common/AtomicFile.h"
#include "report/ReportWriters.h"
#include "report/Verdict.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp = R"(usage: deltascope-cli compare BASE CAND [options]

Pairs the samples of BASE and CAND on (task, filter, doc_id) and tests whether CAND is worse.
BASE and CAND are lm-eval output (a folder or its files), Inspect logs (.eval or .json; the sample
id is the doc_id, each scorer a metric, epochs averaged), HELM run folders, simple-evals
*_allresults.json files or id/score tables (CSV, TSV or JSONL); deltascope-cli formats lists them.

How the decision is made: each task is tested on its own paired samples (an exact one-sided
McNemar test for right/wrong scores, a sign-flip permutation test otherwise); the comparison is
called degraded when any of three combinations of the tasks (pooled, Fisher, largest drop) is
significant at alpha/3 (alpha with a single task), which keeps the chance of a false alarm below
alpha. With a continuous task the three combine studentized task statistics over the same
sign-flip permutations, so no task weighs more because of its units.
A task is flagged "worse" only when the comparison is degraded and its Holm-adjusted p is below
alpha, "suggestive" when its own p is below alpha but that does not decide, "ok" otherwise. Each
row shows a 95% interval of the drop (Tango score for binary tasks) and a one-sided upper bound,
so "no evidence of degradation" is never read as "no loss". Permutation p-values carry a 99% Monte
Carlo interval; while one straddles its level more permutations run (up to --max-permutations),
and the output says "unstable" when the verdict may still depend on the seed.

selection:
  --task T[,T...]          compare only these tasks (repeatable); an lm-eval group its results
                           name (mmlu_stem) stands for its tasks
  --metric [TASK=]METRIC   metric to compare for TASK, or for every task (default: the task's first
                           metric; HELM: exact_match; simple-evals: score). A metric a run lacks
                           is an error that lists the metrics of each side
  --filter F[,F...]        compare only these filters (e.g. strict-match)
  --base-run TIMESTAMP     when the BASE folder holds several runs of one model, pick this one
                           (for a folder of Inspect logs: the log's file name)
  --cand-run TIMESTAMP     the same for CAND
  --run TIMESTAMP          the same for both sides (when both folders hold that timestamp)
  --keep-list FILE         compare only the samples listed (from `deltascope-cli shrink`); the
                           excluded samples CAND has results for are tested too and join the
                           decision
  --base-rerun PATH        another run of the baseline: per-sample scores are averaged (repeatable)
  --cand-rerun PATH        the same for the candidate
input formats (deltascope-cli formats lists them all):
  --input-format auto|lm-eval|table|inspect|helm|simple-evals   (default auto: detected)
generic id/score tables (CSV or JSONL):
  --id-column NAME         default: doc_id, id, example_id or prompt_id
  --score-column NAME      default: score
  --task-column NAME       default: a "task" column, else the file name (dotted keys for JSONL)
  --filter-column NAME
  --weight-column NAME     words or bytes of a corpus item; the score is then its log-likelihood
  --prompt-column NAME     the prompt, shown in the window's sample view (default: prompt, input,
                           question)
  --response-column NAME   the model's answer (default: response, output, completion, prediction)
  --target-column NAME     the expected answer (default: target, gold, answer, label)
statistics:
  --alpha A                family-wise level (default 0.05)
  --permutations P         sign-flip permutations (default 10000; runs the test even if all tasks
                           are binary)
  --max-permutations M     most permutations to run while a p-value's Monte Carlo interval straddles
                           its level (default 1000000, never below --permutations)
  --seed S                 seed of the permutation stream (default 0)
  --margin D               claim "no worse than D" (repeatable): D in accuracy points for binary
                           tasks (1 = one point), in metric units for continuous ones, D% of the
                           baseline's corpus metric (wikitext=1%: perplexity may grow by 1%);
                           TASK=D or TASK=D% for one task. Each task is tested for a drop below
                           its margin; without --margin the answer is only "degraded" or "no
                           evidence", and each task's upper bound U ("the data rule out a drop
                           above U") says how large a loss no evidence still allows
  --cluster KEY            items that share KEY (a table column, an lm-eval record field such as
                           doc.subject, an Inspect sample field such as metadata.subject) are
                           flipped together: clustered questions are not counted as
                           independent; items without it are clusters of their own. HELM runs
                           cluster the train trials of an instance by themselves
  --threads N              worker threads (default: all cores)
  --backend auto|cpu|cuda  where the permutation test runs (default auto: CUDA when a device
                           answers)
output:
  --format table|json|csv|md   (default table; md is Markdown, also --format markdown)
  --output FILE            write there (atomically) instead of stdout
  --skip-bad-lines         report malformed records as warnings and go on
  --quiet                  no progress or warnings on stderr

the table, one row per task (and filter):
  kind        binary (0/1 scores: exact McNemar test) or cont. (other scores: sign-flip test)
  n           paired samples
  base, cand  accuracy in % for binary metrics; else the mean score, or the corpus metric
              (perplexity) as lm-eval aggregates it
  drop        base - cand: in points for binary metrics (1.60 = 1.6 accuracy points; positive =
              the candidate is worse), in the metric's units otherwise
  95% CI      95% interval of the drop: Tango score interval (binary), normal interval of the
              mean difference (continuous)
  upper       one-sided (1 - alpha) upper bound of the drop: the largest drop the data allow
  b, c        regressions (baseline right, candidate wrong) and improvements (the reverse)
  p, p_holm   one-sided p of "the candidate is worse", and Holm-adjusted across the tasks
  verdict     worse, suggestive, not shown worse ("ok" in JSON and CSV) or no pairs
  margin, p_margin, needed   (with --margin) the margin, p of "the drop is at least the
              margin", and the samples for 80% power to show the task within it
Then the three tests across tasks, the VERDICT (degraded, no worse than the margin,
inconclusive or no evidence of degradation) and a "next:" line saying what to do next.

exit status: 0 no evidence of degradation, or (with --margin) every task no worse than its
             margin; 1 degraded; 2 error; 3 inconclusive (with --margin: not degraded, but some
             task not shown within its margin; the output says how many more samples to collect)
)";

int fail(const std::string& message)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", cliWording(message).c_str());
    return Error;
}

int failWith(const Diagnostic& d)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", cliText(d).c_str());
    return Error;
}

// Translates the flags into a comparison request; false with a message on a malformed value.
bool readRequest(const Args& args, analysis::ComparisonRequest& request, std::string& error)
{
    if (!readStats(args, request.stats, error))
        return false;
    eval::LoadOptions load;
    if (!readLoadOptions(args, load, error))
        return false;
    load.threads = request.stats.threads;
    request.base.path = args.positionals()[0];
    request.cand.path = args.positionals()[1];
    request.base.load = load;
    request.cand.load = load;
    const std::string both = args.value("run").value_or("");
    request.base.load.runTimestamp = args.value("base-run").value_or(both);
    request.cand.load.runTimestamp = args.value("cand-run").value_or(both);
    request.base.reruns = args.values("base-rerun");
    request.cand.reruns = args.values("cand-rerun");
    request.keepListPath = args.value("keep-list").value_or("");
    return true;
}

std::string render(const report::ComparisonReport& rep, const std::string& format)
{
    if (format == "json")
        return report::toJson(rep);
    if (format == "csv")
        return report::toCsv(rep);
    if (format == "md")
        return report::toMarkdown(rep);
    return report::toTable(rep);
}

} // namespace

// Reads the statistics flags into the request; false with a message on a malformed value.
bool readStats(const Args& args, analysis::StatsRequest& stats, std::string& error)
{
    if (auto v = args.value("alpha")) {
        const auto a = toNumber("alpha", *v, error);
        if (!a)
            return false;
        stats.alpha = *a;
    }
    if (auto v = args.value("permutations")) {
        const auto p = toInteger("permutations", *v, error);
        if (!p || *p < 1 || *p > 4000000000LL)
            return error = error.empty() ? "--permutations must be between 1 and 4e9" : error, false;
        stats.permutations = static_cast<std::uint64_t>(*p);
        stats.runPermutation = true;
    }
    if (auto v = args.value("max-permutations")) {
        const auto m = toInteger("max-permutations", *v, error);
        if (!m || *m < 1 || *m > 4000000000LL)
            return error = error.empty() ? "--max-permutations must be between 1 and 4e9" : error, false;
        if (static_cast<std::uint64_t>(*m) < stats.permutations)
            return error = "--max-permutations (" + *v + ") must be at least --permutations ("
                       + std::to_string(stats.permutations) + ")",
                   false;
        stats.maxPermutations = static_cast<std::uint64_t>(*m);
    } else {
        // Only --permutations given, above the default limit: the limit follows it.
        stats.maxPermutations = std::max(stats.maxPermutations, stats.permutations);
    }
    if (auto v = args.value("seed")) {
        const auto s = toInteger("seed", *v, error);
        if (!s || *s < 0)
            return error = error.empty() ? "--seed must be a non-negative integer" : error, false;
        stats.seed = static_cast<std::uint64_t>(*s);
    }
    for (const auto& m : args.values("margin"))
        if (!analysis::parseMargin(m, stats.margins, error))
            return false;
    return readInteger(args, "threads", stats.threads, 1, 1024, error);
}

bool emit(const std::string& text, const std::string& outputPath)
{
    if (outputPath.empty() || outputPath == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return true;
    }
    const std::string why = writeFileAtomically(outputPath, text);
    if (!why.empty()) {
        std::fprintf(stderr, "deltascope-cli: %s\n", why.c_str());
        return false;
    }
    return true;
}

int runCompare(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued { "backend", "base-rerun", "cand-rerun", "run", "base-run", "cand-run", "keep-list",
        "alpha", "permutations", "max-permutations", "seed", "margin", "threads", "format", "output" };
    valued.insert(valued.end(), kLoadOptionNames.begin(), kLoadOptionNames.end());
    const Args args(argv, { "skip-bad-lines", "quiet", "help" }, valued);
    if (args.has("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli compare --help)");
    if (args.positionals().size() != 2)
        return fail("compare needs exactly two inputs, BASE and CAND (see deltascope-cli compare --help)");
    const bool quiet = args.has("quiet");

    std::string error;
    analysis::ComparisonRequest request;
    if (!readRequest(args, request, error))
        return fail(error);
    if (auto bad = analysis::checkComparisonRequest(request))
        return failWith(*bad);
    std::string format = args.value("format").value_or("table");
    // The names the frontier's command takes mean the same here.
    if (format == "markdown")
        format = "md";
    if (format == "text")
        format = "table";
    if (format != "table" && format != "json" && format != "csv" && format != "md")
        return fail("--format must be table, json, csv or md (markdown)");
    if (const auto clash = args.outputIsAnInput(); !clash.empty())
        return fail(clash);
    const std::string output = args.value("output").value_or("");

    backends::BackendKind kind = backends::BackendKind::Auto;
    if (!backends::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return fail("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backends::makeBackend(kind, backendNote);
    // Said once, and only when the choice matters: a GPU was asked for, or a test will run.
    if (!backendNote.empty() && !quiet && (kind == backends::BackendKind::Cuda || request.stats.runPermutation))
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    const auto progress = stderrProgress(!quiet, "compare");
    auto result = analysis::runComparison(request, *compute, progress);
    clearProgress(!quiet);
    if (!result.ok()) {
        Diagnostic d = *result.error;
        // An unknown metric: list what each side offers, so the next try can name one that exists.
        if (!args.values("metric").empty() && d.message.find("has no metric") != std::string::npos) {
            const std::string both = metricsOfBothSides(request.base.path, request.cand.path, request.base.load);
            if (const auto own = d.message.find(" (this run has:"); own != std::string::npos && !both.empty())
                d.message.resize(own);
            d.message += both;
        }
        return failWith(d);
    }
    auto& rep = result.value->report;
    toCliWording(rep.warnings);
    for (auto& t : rep.tasks)
        toCliWording(t.warnings);

    if (!emit(render(rep, format), output))
        return Error;
    if (!quiet && format != "table") {
        for (const auto& w : rep.warnings)
            std::fprintf(stderr, "%s\n", w.toString().c_str());
        for (const auto& t : rep.tasks)
            for (const auto& w : t.warnings)
                std::fprintf(stderr, "%s\n", w.toString().c_str());
    }
    return report::verdictExitCode(report::verdictOf(rep));
}

} // namespace deltascope::cli
