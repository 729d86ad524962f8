#include "Args.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "backend/ComputeBackend.h"
#include "common/AtomicFile.h"
#include "eval/KeepList.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "report/ComparisonReport.h"
#include "report/ReportWriters.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp = R"(usage: deltascope-cli compare BASE CAND [options]

Pairs the samples of BASE and CAND on (task, filter, doc_id) and tests whether CAND is worse:
exact one-sided McNemar per binary task, pooled / Fisher / max-drop across tasks, and the
sign-flip permutation test for continuous metrics.

selection:
  --task T[,T...]          compare only these tasks (repeatable)
  --metric TASK=METRIC     metric to compare for TASK (default: the task's first metric)
  --filter F[,F...]        compare only these filters (e.g. strict-match)
  --run TIMESTAMP          when a folder holds several runs of one model, pick this one
  --base-run TS, --cand-run TS   the same, for one side only
  --keep-list FILE         compare only the samples listed (from `deltascope-cli shrink`)
  --base-rerun PATH        another run of the baseline: per-sample scores are averaged (repeatable)
  --cand-rerun PATH        the same for the candidate
generic id/score tables (CSV or JSONL):
  --input-format auto|lm-eval|table
  --id-column NAME         default: doc_id, id, example_id or prompt_id
  --score-column NAME      default: score
  --task-column NAME       default: a "task" column, else the file name (dotted keys for JSONL)
  --filter-column NAME
statistics:
  --alpha A                family-wise level (default 0.05)
  --permutations P         sign-flip permutations (default 10000; runs the test even if all tasks are binary)
  --seed S                 seed of the permutation stream (default 0)
  --threads N              worker threads (default: all cores)
  --backend auto|cpu|cuda  where the permutation test runs (default auto: CUDA when a device answers)
output:
  --format table|json|csv|md   (default table)
  --output FILE            write there (atomically) instead of stdout
  --skip-bad-lines         report malformed records as warnings and go on
  --quiet                  no progress or warnings on stderr

exit status: 0 no degradation, 1 degradation found, 2 error
)";

int fail(const std::string& message)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", message.c_str());
    return Error;
}

int failWith(const Diagnostic& d)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", d.toString().c_str());
    return Error;
}

} // namespace

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
    const Args args(argv, { "skip-bad-lines", "quiet", "help" });
    if (args.has("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error());
    std::vector<std::string> known { "backend", "base-rerun", "cand-rerun", "run", "base-run", "cand-run", "keep-list",
        "alpha", "permutations", "seed", "threads", "format", "output", "quiet", "help" };
    known.insert(known.end(), kLoadOptionNames.begin(), kLoadOptionNames.end());
    const auto unknown = args.unknown(known);
    if (!unknown.empty())
        return fail("unknown option " + unknown.front() + " (see deltascope-cli compare --help)");
    if (args.positionals().size() != 2)
        return fail("compare needs exactly two inputs, BASE and CAND (see deltascope-cli compare --help)");
    const std::string basePath = args.positionals()[0];
    const std::string candPath = args.positionals()[1];
    const bool quiet = args.has("quiet");

    std::string error;
    report::CompareSettings settings;
    if (auto v = args.value("alpha")) {
        const auto a = toNumber("alpha", *v, error);
        if (!a || !(*a > 0.0 && *a < 1.0))
            return fail(error.empty() ? "--alpha must be in (0, 1)" : error);
        settings.alpha = *a;
    }
    if (auto v = args.value("permutations")) {
        const auto p = toInteger("permutations", *v, error);
        if (!p || *p < 1 || *p > 4000000000LL)
            return fail(error.empty() ? "--permutations must be between 1 and 4e9" : error);
        settings.permutations = static_cast<std::uint64_t>(*p);
        settings.permutationRequested = true;
    }
    if (auto v = args.value("seed")) {
        const auto s = toInteger("seed", *v, error);
        if (!s || *s < 0)
            return fail(error.empty() ? "--seed must be a non-negative integer" : error);
        settings.seed = static_cast<std::uint64_t>(*s);
    }
    unsigned threads = 0;
    if (auto v = args.value("threads")) {
        const auto t = toInteger("threads", *v, error);
        if (!t || *t < 1 || *t > 1024)
            return fail(error.empty() ? "--threads must be between 1 and 1024" : error);
        threads = static_cast<unsigned>(*t);
    }
    settings.threads = threads;
    const std::string format = args.value("format").value_or("table");
    if (format != "table" && format != "json" && format != "csv" && format != "md")
        return fail("--format must be table, json, csv or md");
    const std::string output = args.value("output").value_or("");
    if (!output.empty()) {
        std::error_code ec;
        for (const auto& in : { basePath, candPath })
            if (std::filesystem::equivalent(output, in, ec))
                return fail("--output " + output + " is one of the inputs; input files are never overwritten");
    }

    eval::LoadOptions load;
    if (!readLoadOptions(args, load, error))
        return fail(error);
    load.threads = threads;

    std::optional<eval::KeepList> keep;
    if (auto k = args.value("keep-list")) {
        auto kl = eval::loadKeepList(*k);
        if (!kl.ok())
            return failWith(*kl.error);
        keep = std::move(*kl.value);
    }

    // Loads one side: its run and any reruns, averaged.
    auto loadSide = [&](const std::string& path, const std::vector<std::string>& reruns, const char* what,
                        const std::string& timestamp) -> Result<eval::EvalRun> {
        auto sideLoad = load;
        sideLoad.runTimestamp = timestamp;
        sideLoad.progress = stderrProgress(!quiet, what);
        std::vector<eval::EvalRun> runs;
        std::vector<Diagnostic> warnings;
        std::vector<std::string> all { path };
        all.insert(all.end(), reruns.begin(), reruns.end());
        for (const auto& p : all) {
            auto r = eval::loadRun(p, sideLoad);
            clearProgress(!quiet);
            if (!r.ok())
                return r;
            warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
            if (!runs.empty())
                eval::alignFileNamedTasks(runs.front(), *r.value);
            runs.push_back(std::move(*r.value));
        }
        auto merged = eval::averageReruns(std::move(runs));
        merged.warnings.insert(merged.warnings.begin(), warnings.begin(), warnings.end());
        return merged;
    };
    auto base = loadSide(basePath, args.values("base-rerun"), "baseline",
        args.value("base-run").value_or(args.value("run").value_or("")));
    if (!base.ok())
        return failWith(*base.error);
    auto cand = loadSide(candPath, args.values("cand-rerun"), "candidate",
        args.value("cand-run").value_or(args.value("run").value_or("")));
    if (!cand.ok())
        return failWith(*cand.error);

    if (auto note = eval::alignFileNamedTasks(*base.value, *cand.value))
        cand.warnings.push_back(*note);

    eval::PairOptions po;
    po.keepList = keep ? &*keep : nullptr;
    const auto paired = eval::pairRuns(*base.value, *cand.value, po);
    bool anyPairs = false;
    for (const auto& t : paired.tasks)
        anyPairs = anyPairs || !t.base.empty();
    if (!anyPairs) {
        std::string why = "no sample of " + basePath + " could be paired with one of " + candPath;
        for (const auto& w : paired.warnings)
            why += "\n  " + w.toString();
        for (const auto& t : paired.tasks)
            for (const auto& w : t.warnings)
                why += "\n  " + w.toString();
        return fail(why);
    }

    backend::BackendKind kind = backend::BackendKind::Auto;
    if (!backend::parseBackendKind(args.value("backend").value_or("auto"), kind))
        return fail("--backend must be auto, cpu or cuda");
    std::string backendNote;
    const auto compute = backend::makeBackend(kind, backendNote);
    // Said once, and only when the choice matters: a GPU was asked for, or a test will run.
    if (!backendNote.empty() && !quiet && (kind == backend::BackendKind::Cuda || settings.permutationRequested))
        std::fprintf(stderr, "deltascope-cli: %s\n", backendNote.c_str());
    settings.backend = compute.get();
    settings.progress = stderrProgress(!quiet, "permutations");
    report::ComparisonReport rep;
    try {
        rep = report::buildReport(*base.value, *cand.value, paired, settings);
    } catch (const std::exception& e) {
        // A device error mid-run: say so and give the answer from the CPU backend.
        std::fprintf(
            stderr, "deltascope-cli: %s backend failed (%s); running on the CPU\n", compute->name().c_str(), e.what());
        settings.backend = nullptr;
        rep = report::buildReport(*base.value, *cand.value, paired, settings);
    }
    clearProgress(!quiet);
    rep.warnings.insert(rep.warnings.begin(), cand.warnings.begin(), cand.warnings.end());
    rep.warnings.insert(rep.warnings.begin(), base.warnings.begin(), base.warnings.end());

    std::string text;
    if (format == "json")
        text = report::toJson(rep);
    else if (format == "csv")
        text = report::toCsv(rep);
    else if (format == "md")
        text = report::toMarkdown(rep);
    else
        text = report::toTable(rep);
    if (!emit(text, output))
        return Error;
    if (!quiet && format != "table") {
        for (const auto& w : rep.warnings)
            std::fprintf(stderr, "%s\n", w.toString().c_str());
        for (const auto& t : rep.tasks)
            for (const auto& w : t.warnings)
                std::fprintf(stderr, "%s\n", w.toString().c_str());
    }
    return rep.degraded ? Degradation : NoDegradation;
}

} // namespace deltascope::cli
