// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "Commands.h"
#include "LoadArgs.h"
#include "Wording.h"
#include "common/JsonText.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "stats/Shrink.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp = R"(usage: deltascope-cli shrink RUN1 RUN2 [RUN3 ...] --output keep.json [options]

RUN1.. are reruns of the same baseline model (e.g. sampled at temperature > 0). Samples whose
score is identical in every rerun carry no signal for a paired test; the keep-list names the
others. Pass it to `compare --keep-list keep.json` to compare on the shrunk set.

A keep-list cannot see a candidate that breaks answers the baseline always gets right. So
`compare --keep-list` also tests, as a row of their own, every excluded sample the candidate has
results for, and --audit F keeps a random share F of the excluded samples for that test.
A keep-list that would keep nothing (the reruns agree on every sample) is not written.

options:
  --output FILE            the keep-list to write (required)
  --audit F                also keep a share F in (0, 1] of the excluded samples, chosen at random
                           (the same samples on every machine and in any record order); marked
                           "audit": true in the keep-list
  --seed S                 seed of that choice (default 0)
  --task, --metric TASK=METRIC, --filter, --id-column, --score-column, --task-column,
  --input-format           as for compare
  --format table|json      summary on stdout
)";

constexpr const char* kBlindSpot
    = "A keep-list is chosen on the baseline alone, so it cannot see a candidate that breaks answers the "
      "baseline always gets right: compare --keep-list tests every excluded sample the candidate has results "
      "for, and --audit F keeps a random share of them.";

int fail(const std::string& m)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", m.c_str());
    return Error;
}

} // namespace

int runShrink(const std::vector<std::string>& argv)
{
    std::vector<std::string> valued { "output", "format", "audit", "seed" };
    valued.insert(valued.end(), kLoadOptionNames.begin(), kLoadOptionNames.end());
    const Args args(argv, { "help", "skip-bad-lines" }, valued);
    if (args.has("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli shrink --help)");
    if (args.positionals().size() < 2)
        return fail("shrink needs at least two reruns of the baseline");
    const auto output = args.value("output");
    if (!output)
        return fail("shrink needs --output FILE for the keep-list");

    eval::LoadOptions load;
    std::string error;
    if (!readLoadOptions(args, load, error))
        return fail(error);
    stats::ShrinkOptions options;
    if (const auto v = args.value("audit")) {
        const auto f = toNumber("audit", *v, error);
        if (!f || !(*f > 0.0 && *f <= 1.0))
            return fail(error.empty() ? "--audit must be a share in (0, 1], e.g. 0.05" : error);
        options.auditFraction = *f;
    }
    if (const auto v = args.value("seed")) {
        const auto x = toInteger("seed", *v, error);
        if (!x || *x < 0)
            return fail(error.empty() ? "--seed must be a non-negative integer" : error);
        options.seed = static_cast<std::uint64_t>(*x);
    }

    std::vector<eval::EvalRun> runs;
    for (const auto& path : args.positionals()) {
        auto r = eval::loadRun(path, load);
        if (!r.ok()) {
            std::fprintf(stderr, "deltascope-cli: %s\n", cliText(*r.error).c_str());
            return Error;
        }
        for (const auto& w : r.warnings)
            std::fprintf(stderr, "%s\n", w.toString().c_str());
        if (!runs.empty())
            eval::alignFileNamedTasks(runs.front(), *r.value);
        runs.push_back(std::move(*r.value));
    }

    // Samples present (with a score) in every rerun, in the first run's order.
    std::vector<stats::RerunTask> tasks;
    for (const auto& t0 : runs.front().tasks) {
        std::vector<std::unordered_map<std::string, double>> others;
        bool everywhere = true;
        for (std::size_t r = 1; r < runs.size() && everywhere; ++r) {
            const eval::TaskSamples* match = nullptr;
            for (const auto& t : runs[r].tasks)
                if (t.task == t0.task && t.filter == t0.filter)
                    match = &t;
            if (!match) {
                everywhere = false;
                break;
            }
            std::unordered_map<std::string, double> m;
            for (const auto& s : match->samples)
                m.emplace(s.docId, s.score);
            others.push_back(std::move(m));
        }
        if (!everywhere) {
            std::fprintf(stderr,
                "warning: task %s [%s] is not in every rerun; the keep-list keeps none of its samples "
                "(compare tests it only on the samples the candidate has)\n",
                t0.task.c_str(), t0.filter.c_str());
            continue;
        }
        stats::RerunTask rt;
        rt.task = t0.task;
        rt.filter = t0.filter;
        rt.scores.resize(runs.size());
        std::unordered_map<std::string, bool> seen;
        for (const auto& s : t0.samples) {
            if (std::isnan(s.score) || !seen.emplace(s.docId, true).second)
                continue;
            std::vector<double> row { s.score };
            for (const auto& m : others) {
                const auto it = m.find(s.docId);
                if (it == m.end() || std::isnan(it->second))
                    break;
                row.push_back(it->second);
            }
            if (row.size() != runs.size())
                continue;
            rt.ids.push_back(s.docId);
            for (std::size_t r = 0; r < row.size(); ++r)
                rt.scores[r].push_back(row[r]);
        }
        tasks.push_back(std::move(rt));
    }
    const auto result = stats::shrink(tasks, options);
    if (result.total == 0)
        return fail("the reruns share no scored sample, so there is nothing to select a keep-list from");
    if (result.kept == 0)
        return fail("the keep-list would keep no sample, so it is not written: the reruns agree on every one of the "
            + std::to_string(result.total)
            + " samples they share, and there is no signal to select by. Run more reruns, or sample them at a "
              "temperature above 0");

    nlohmann::ordered_json keep;
    keep["format"] = "deltascope-keep-list";
    keep["version"] = 1;
    keep["reruns"] = args.positionals();
    keep["summary"] = { { "total", result.total }, { "kept", result.kept }, { "audited", result.audited },
        { "audit_fraction", options.auditFraction }, { "seed", options.seed }, { "cost_saved", result.costSaved },
        { "flip_rate", result.flipRate }, { "kept_flip_rate", result.keptFlipRate }, { "blind_spot", kBlindSpot } };
    nlohmann::ordered_json samples = nlohmann::ordered_json::array();
    for (const auto& t : result.tasks) {
        for (const auto& id : t.keep)
            samples.push_back({ { "task", t.task }, { "filter", t.filter }, { "doc_id", id } });
        for (const auto& id : t.audit)
            samples.push_back({ { "task", t.task }, { "filter", t.filter }, { "doc_id", id }, { "audit", true } });
    }
    keep["samples"] = std::move(samples);
    if (!emit(jsonText(keep, 1) + "\n", *output))
        return Error;

    std::string text;
    char buf[512];
    for (const auto& t : result.tasks) {
        std::snprintf(buf, sizeof buf, "%-32s %-16s keep %7lld of %7lld", t.task.c_str(), t.filter.c_str(),
            static_cast<long long>(t.keep.size()), static_cast<long long>(t.total));
        text += buf;
        if (options.auditFraction > 0.0) {
            std::snprintf(buf, sizeof buf, " + %6lld audit", static_cast<long long>(t.audit.size()));
            text += buf;
        }
        std::snprintf(buf, sizeof buf, "  rerun flip rate %.4f -> %.4f%s\n", t.flipRate, t.keptFlipRate,
            t.keep.empty() ? "  (no sample varies: compare tests this task only on its excluded samples)" : "");
        text += buf;
    }
    std::snprintf(buf, sizeof buf, "\nkept %lld of %lld samples", static_cast<long long>(result.kept),
        static_cast<long long>(result.total));
    text += buf;
    if (options.auditFraction > 0.0) {
        std::snprintf(buf, sizeof buf, " plus %lld of the excluded ones for the audit (share %g, seed %llu)",
            static_cast<long long>(result.audited), options.auditFraction,
            static_cast<unsigned long long>(options.seed));
        text += buf;
    }
    std::snprintf(buf, sizeof buf,
        ": %.1f%% of the evaluation cost saved; flip rate between reruns %.4f -> %.4f\n"
        "keep-list written to %s\n",
        100.0 * result.costSaved, result.flipRate, result.keptFlipRate, output->c_str());
    text += buf;
    text += std::string("\n") + kBlindSpot + "\n";
    if (args.value("format").value_or("table") == "json")
        text = jsonText(keep["summary"], 2) + "\n";
    std::fputs(text.c_str(), stdout);
    return 0;
}

} // namespace deltascope::cli
