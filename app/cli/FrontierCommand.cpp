// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "BackendFactory.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "MatrixArgs.h"
#include "TraceArgs.h"
#include "Wording.h"
#include "analysis/Frontier.h"
#include "analysis/MatrixWriters.h"

#include <algorithm>
#include <cstdio>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp = R"(usage: deltascope-cli frontier --trace TRACE BASE CAND [CAND...] [options]

The expert-budget frontier. BASE is the eval run with the model's own top-k routing; each CAND is
the same eval run with expert sharing at one budget M (experts per slice). Every candidate is judged
against the baseline as `matrix` judges it, each at the full alpha, and the budgets are walked
from the largest down, stopping at the first that fails (fixed-sequence testing: the budgets are
ordered, so the claim about the chosen budget keeps the family-wise error rate at alpha without a
correction across candidates; --alpha-per-candidate changes nothing here). The trace is swept once
at every candidate's budget (activated experts per slice against the trace's own top-k routing),
and the answer is the smallest budget of the walk whose run is no worse than the margin (with
--margin), or, without a margin, not shown to be degraded (a weaker answer: no evidence of a loss
is not evidence of no loss).

budgets:
  --budget NAME=M          the budget of the candidate NAME (its name or the path given; repeatable).
                           A candidate not named takes the `budget` recorded in its lm-eval results
                           file: config.budget, or budget in config.model_args
                           (e.g. model_args "pretrained=...,budget=16")
trace, batching and policy (as xshare; deltascope-cli xshare --help):
  --trace TRACE            the router trace (required)
  --policy topk|batch|ep|spec  --warmup W  --batching auto|replay|recorded  --batch-size B
  --gamma G  --requests LIST  --devices D  --placement contiguous|balanced|FILE
  --placement-counts FILE  --replicas R  --request-experts m
comparisons (as matrix):
  --alpha A  --alpha-per-candidate  --margin D  --no-pairwise  --permutations P
  --max-permutations M  --seed S  --threads N  --backend auto|cpu|cuda  --base-run TIMESTAMP
  --base-rerun PATH  --keep-list FILE  and compare's selection and table options
output:
  --format text|json|csv|markdown|html   (default text; html plots each candidate's drop against
                           its activated experts per slice)  --output FILE  --quiet

exit status: 0 some budget meets the criterion; 1 none does and the largest budget's run is
             degraded; 3 none does otherwise (with --margin: the largest budget is not shown within
             the margin); 2 error
)";

int failText(const std::string& message)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", cliWording(message).c_str());
    return Error;
}

bool readBudgets(const Args& args, std::vector<std::pair<std::string, int>>& budgets, std::string& error)
{
    for (const auto& text : args.values("budget")) {
        const auto eq = text.rfind('=');
        if (eq == std::string::npos || eq == 0)
            return error = "--budget " + text + " is not NAME=M", false;
        const auto m = toInteger("budget", text.substr(eq + 1), error);
        if (!m || *m < 1 || *m > (1 << 20))
            return error = error.empty() ? "--budget " + text + ": M is not a number of experts" : error, false;
        const std::string name = text.substr(0, eq);
        for (const auto& [given, was] : budgets)
            if (given == name && was != *m)
                return error = "--budget " + name + " is given twice (" + std::to_string(was) + " and "
                           + std::to_string(*m) + ")",
                       false;
        budgets.emplace_back(name, static_cast<int>(*m));
    }
    return true;
}

} // namespace

int runFrontier(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued = kMatrixValued;
    valued.insert(valued.end(), kLoadOptionNames.begin(), kLoadOptionNames.end());
    valued.insert(valued.end(), kScenarioValued.begin(), kScenarioValued.end());
    valued.insert(valued.end(), kImportValued.begin(), kImportValued.end());
    valued.push_back("trace");
    valued.push_back("budget");
    std::vector<std::string> flags = kMatrixFlags;
    flags.insert(flags.end(), kImportFlags.begin(), kImportFlags.end());
    const Args args(argv, flags, valued);
    if (args.has("help")) {
        std::printf("%s\n%s", kHelp, kImportHelp);
        return 0;
    }
    if (!args.error().empty())
        return failText(args.error() + " (see deltascope-cli frontier --help)");
    if (!args.value("trace"))
        return failText("frontier needs --trace TRACE (see deltascope-cli frontier --help)");
    if (args.positionals().size() < 2)
        return failText("frontier needs a baseline and at least one candidate (see deltascope-cli frontier --help)");
    const bool quiet = args.has("quiet");
    std::string error, costAxis;
    analysis::FrontierRequest request;
    if (!readMatrixRequest(args, request.matrix, costAxis, error) || !readBudgets(args, request.budgets, error))
        return failText(error);
    request.scenario.tracePath = *args.value("trace");
    if (!readImport(args, request.scenario.import, request.scenario.topK, error)
        || !readScenarioOptions(args, request.scenario, error))
        return failText(error);
    if (auto bad = analysis::checkMatrixRequest(request.matrix))
        return failText(cliText(*bad));
    std::string format;
    if (!readReportFormat(args, format, error))
        return failText(error);
    if (const auto clash = args.outputIsAnInput(); !clash.empty())
        return failText(clash);

    backends::BackendKind kind = backends::BackendKind::Auto;
    if (!backends::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return failText("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backends::makeBackend(kind, backendNote);
    if (!backendNote.empty() && !quiet)
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());

    const auto progress = stderrProgress(!quiet, "frontier");
    auto result = analysis::runFrontier(request, *compute, progress);
    clearProgress(!quiet);
    if (!result.ok())
        return failText(cliText(*result.error));
    const auto& r = *result.value;
    if (!quiet)
        for (const auto& w : r.sharing.warnings)
            std::fprintf(stderr, "deltascope-cli: %s\n", cliText(w).c_str());
    const std::string text = format == "json" ? analysis::frontierJson(r)
        : format == "csv"                     ? analysis::frontierCsv(r)
        : format == "markdown"                ? analysis::frontierMarkdown(r)
        : format == "html"                    ? analysis::frontierHtml(r)
                                              : analysis::frontierText(r);
    if (!emit(text, args.value("output").value_or("")))
        return Error;
    if (r.chosen)
        return NoDegradation;
    // No budget is claimed: the walk stopped at the largest budget. Degraded there, or not shown either way.
    int largest = 0;
    for (const auto& p : r.points)
        largest = std::max(largest, p.budget);
    const bool degraded = std::any_of(r.points.begin(), r.points.end(),
        [largest](const analysis::FrontierPoint& p) { return p.budget == largest && p.verdict == "degraded"; });
    return degraded ? Degradation : Inconclusive;
}

} // namespace deltascope::cli
