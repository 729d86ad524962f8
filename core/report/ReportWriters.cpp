// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/ReportWriters.h"

#include "common/JsonText.h"
#include "common/TextUtil.h"
#include "report/WriterText.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace deltascope::report {

const char* decisionExplained()
{
    return "Each task is tested on its own paired samples (an exact one-sided McNemar test for right/wrong "
           "scores, a sign-flip permutation test otherwise); the comparison is called degraded when any of three "
           "combinations of the tasks (pooled, Fisher, largest drop) is significant at alpha/3 (alpha with a "
           "single task), which keeps the chance of a false alarm below alpha. With a continuous task the three "
           "combine studentized task statistics over the same sign-flip permutations, so no task weighs more "
           "because of its units.";
}

const char* flagsExplained()
{
    return "A task is flagged worse only when the comparison is degraded and its Holm-adjusted p is below alpha; "
           "suggestive when its own p is below alpha but that does not decide the comparison; not shown worse "
           "otherwise (\"ok\" in JSON and CSV), which is not the same as shown to be no worse.";
}

using namespace writer;

std::string toJson(const ComparisonReport& r)
{
    Json root;
    root["verdict"] = verdictKey(verdictOf(r));
    root["margin"] = marginJson(r);
    root["alpha"] = r.alpha;
    root["baseline"] = runJson(r.baseline);
    root["candidate"] = runJson(r.candidate);
    Json tasks = Json::array();
    for (const auto& t : r.tasks) {
        Json j;
        j["task"] = t.task;
        j["filter"] = t.filter;
        j["metric"] = t.metric;
        j["kind"] = t.continuous ? "continuous" : "binary";
        j["audit"] = t.audit;
        j["verdict"] = flagWord(t.flag);
        j["n"] = t.n;
        j["b"] = t.b;
        j["c"] = t.c;
        j["acc_base"] = jnum(t.accBase);
        j["acc_cand"] = jnum(t.accCand);
        j["corpus_metric"] = isCorpus(t) ? Json(t.corpusMetric) : Json(nullptr);
        j["corpus_base"] = isCorpus(t) ? Json(jnum(t.corpusBase)) : Json(nullptr);
        j["corpus_cand"] = isCorpus(t) ? Json(jnum(t.corpusCand)) : Json(nullptr);
        j["delta"] = jnum(t.delta);
        j["flip_rate"] = jnum(t.flipRate);
        j["ci95"] = Json::array({ jnum(t.ciLow), jnum(t.ciHigh) });
        j["interval_method"] = t.intervalMethod;
        j["upper_bound"] = jnum(t.upperBound);
        j["p_value"] = jnum(t.pValue);
        j["ln_p"] = jnum(t.lnP);
        j["p_two_sided"] = jnum(t.pTwoSided);
        j["p_holm"] = jnum(t.pHolm);
        j["ln_p_holm"] = jnum(t.lnPHolm);
        j["monte_carlo"] = t.monteCarlo;
        if (t.monteCarlo) {
            j["exhaustive"] = t.exhaustive;
            j["p_mc_interval"] = mcJson(t.pMcLow, t.pMcHigh);
        }
        j["margin"] = t.hasMargin ? Json(jnum(t.margin)) : Json(nullptr);
        j["margin_relative"] = t.hasMargin ? Json(t.marginRelative) : Json(nullptr);
        j["p_noninferiority"] = t.hasMargin ? Json(jnum(t.pNonInferiority)) : Json(nullptr);
        j["samples_needed"] = t.hasMargin ? Json(t.samplesNeeded) : Json(nullptr);
        if (t.cluster.key.empty()) {
            j["cluster"] = nullptr;
        } else {
            Json c;
            c["key"] = t.cluster.key;
            c["clusters"] = t.cluster.clusters;
            c["design_effect"] = jnum(t.cluster.designEffect);
            j["cluster"] = std::move(c);
        }
        j["noise_flips"] = t.noiseFlips >= 0 ? Json(t.noiseFlips) : Json(nullptr);
        const auto advice = taskAdvice(r, t);
        j["advice"] = advice.empty() ? Json(nullptr) : Json(advice);
        j["worst_base"] = t.worstBase;
        j["worst_cand"] = t.worstCand;
        j["unmatched_base"] = t.unmatchedBase;
        j["unmatched_cand"] = t.unmatchedCand;
        j["duplicates"] = t.duplicates;
        j["hash_mismatches"] = t.hashMismatches;
        j["missing_scores"] = t.missingScores;
        Json w = Json::array();
        for (const auto& d : t.warnings)
            w.push_back(d.toString());
        j["warnings"] = w;
        tasks.push_back(std::move(j));
    }
    root["tasks"] = std::move(tasks);

    // The three deciding tests as the decision used them; the exact counts behind them stay.
    auto testJson = [&](const char* name, Json j) {
        if (const auto* d = decisionTest(r, name)) {
            j["statistic_name"] = d->statisticName;
            j["statistic"] = jnum(d->statistic);
            j["detail"] = d->detail;
            j["p_value"] = jnum(d->pValue);
            j["ln_p"] = jnum(d->lnP);
            j["monte_carlo"] = d->monteCarlo;
            if (d->monteCarlo)
                j["p_mc_interval"] = mcJson(d->pMcLow, d->pMcHigh);
        }
        return j;
    };
    Json agg;
    agg["method"] = r.method;
    agg["level"] = jnum(r.decisionLevel);
    agg["stable"] = r.stable;
    Json pooled;
    pooled["b"] = r.aggregate.pooled.b;
    pooled["c"] = r.aggregate.pooled.c;
    agg["pooled"] = testJson("pooled", std::move(pooled));
    Json fisher;
    fisher["df"] = r.aggregate.fisher.df;
    agg["fisher"] = testJson("Fisher", std::move(fisher));
    Json maxDrop;
    std::string maxTask;
    if (const auto* d = decisionTest(r, "max-drop"))
        maxTask = d->task;
    maxDrop["task"] = maxTask.empty() ? Json(nullptr) : Json(maxTask);
    agg["max_drop"] = testJson("max-drop", std::move(maxDrop));
    agg["degraded"] = r.degraded;
    agg["verdict"] = r.verdict; // "degraded", "no_evidence", with a margin "no_worse_than_margin" or "inconclusive"
    agg["decision"] = r.decisionBasis;
    agg["next_step"] = verdictNextStep(r, Wording::Data);
    root["aggregate"] = std::move(agg);
    if (r.permutation.present) {
        const auto& p = r.permutation;
        Json perm;
        perm["permutations"] = p.permutations;
        perm["requested"] = p.requested;
        perm["max_permutations"] = p.maxPermutations;
        perm["exhaustive"] = p.exhaustive;
        perm["seed"] = p.seed;
        perm["p_value"] = jnum(p.pValue);
        perm["p_mc_interval"] = mcJson(p.pMcLow, p.pMcHigh);
        perm["stable"] = p.stable;
        Json per = Json::object();
        for (const auto& [task, pt] : p.perTask)
            per[task] = jnum(pt);
        perm["per_task"] = std::move(per);
        root["permutation"] = std::move(perm);
    }
    Json w = Json::array();
    for (const auto& d : r.warnings)
        w.push_back(d.toString());
    root["warnings"] = std::move(w);
    return jsonText(root, 2) + "\n";
}

std::string toCsv(const ComparisonReport& r)
{
    std::ostringstream out;
    out.precision(17);
    auto n = [](double v) { return v + 0.0; };
    out << "task,filter,metric,kind,n,b,c,acc_base,acc_cand,delta,flip_rate,ci95_low,ci95_high,p_value,p_two_sided,"
           "p_holm,unmatched_base,unmatched_cand,duplicates,hash_mismatches,verdict,p_shown,p_holm_shown,ln_p,"
           "ln_p_holm,interval_method,upper_bound,p_mc_low,p_mc_high,corpus_metric,corpus_base,corpus_cand,audit,"
           "worst_base,worst_cand,comparison,method,level,stability,verdict_code,margin,margin_relative,p_"
           "noninferiority,"
           "samples_needed,cluster_key,clusters,design_effect,noise_flips,advice\n";
    for (const auto& t : r.tasks) {
        out << csvField(t.task) << ',' << csvField(t.filter) << ',' << csvField(t.metric) << ','
            << (t.continuous ? "continuous" : "binary") << ',' << t.n << ',' << t.b << ',' << t.c << ',' << n(t.accBase)
            << ',' << n(t.accCand) << ',' << n(t.delta) << ',' << n(t.flipRate) << ',' << n(t.ciLow) << ','
            << n(t.ciHigh) << ',' << n(t.pValue) << ',' << n(t.pTwoSided) << ',' << n(t.pHolm) << ',' << t.unmatchedBase
            << ',' << t.unmatchedCand << ',' << t.duplicates << ',' << t.hashMismatches << ',' << flagWord(t.flag)
            << ',' << pText(t.pValue, t.lnP) << ',' << pText(t.pHolm, t.lnPHolm) << ',' << n(t.lnP) << ','
            << n(t.lnPHolm) << ',' << csvField(t.intervalMethod) << ',' << n(t.upperBound) << ',';
        if (t.monteCarlo)
            out << n(t.pMcLow) << ',' << n(t.pMcHigh);
        else
            out << ',';
        out << ',' << csvField(t.corpusMetric) << ',';
        if (isCorpus(t))
            out << n(t.corpusBase) << ',' << n(t.corpusCand);
        else
            out << ',';
        out << ',' << (t.audit ? "yes" : "no") << ',' << t.worstBase << ',' << t.worstCand << ','
            << csvField(verdictText(r)) << ',' << csvField(r.method) << ',' << csvField(levelText(r)) << ','
            << stabilityWord(r) << ',' << r.verdict << ',';
        if (t.hasMargin)
            out << n(t.margin) << ',' << (t.marginRelative ? "yes" : "no") << ',' << n(t.pNonInferiority) << ','
                << t.samplesNeeded;
        else
            out << ",,,";
        out << ',' << csvField(t.cluster.key) << ',';
        if (!t.cluster.key.empty())
            out << t.cluster.clusters << ',' << n(t.cluster.designEffect);
        else
            out << ',';
        out << ',';
        if (t.noiseFlips >= 0)
            out << t.noiseFlips;
        out << ',' << csvField(taskAdvice(r, t)) << '\n';
    }
    return out.str();
}

std::string toMarkdown(const ComparisonReport& r)
{
    std::ostringstream out;
    const char* mark = (r.degraded || r.verdict == "degraded") ? "❌ "
        : r.verdict == "no_worse_than_margin"                  ? "✅ "
        : r.verdict == "inconclusive"                          ? "⚠️ "
                                                               : "";
    out << "### Deltascope: " << mark << verdictHeadline(r)
        << (r.stable ? "" : " (unstable: depends on the permutation seed)") << "\n\n";
    out << "**Baseline:** `" << modelName(r.baseline) << "`  \n**Candidate:** `" << modelName(r.candidate)
        << "`  \n**Decision:** " << r.decisionBasis << ".  \n**Method:** " << r.method << ", each test at "
        << levelText(r) << "; " << stabilityWord(r) << ".\n\n";
    if (!r.stable)
        out << "> **" << unstableText(r) << ".**\n\n";
    const bool clusters = anyCluster(r);
    const bool noise = anyNoise(r);
    out << "| task | metric | n | baseline | candidate | drop | 95% CI | upper bound | b / c | p | p (Holm) | verdict |"
        << (r.hasMargin ? " margin | p (within margin) | samples needed |" : "") << (clusters ? " clusters |" : "")
        << (noise ? " flips vs baseline noise |" : "") << "\n";
    out << "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|" << (r.hasMargin ? "---:|---:|---:|" : "")
        << (clusters ? "---|" : "") << (noise ? "---:|" : "") << "\n";
    for (const auto& t : r.tasks) {
        const auto x = rowText(t, "≤");
        out << "| " << taskLabel(t) << " | " << metricLabel(t) << " | " << t.n << " | " << x.base << " | " << x.cand
            << " | " << x.drop << " | " << x.interval << " | " << x.bound << " | " << t.b << " / " << t.c << " | "
            << x.p << " | " << x.pHolm << " | " << taskVerdictLabel(r, t) << " |";
        if (r.hasMargin) {
            const auto m = marginCells(t);
            out << " " << m.margin << " | " << m.p << " | " << m.needed << " |";
        }
        if (clusters)
            out << " " << clusterText(t) << " |";
        if (noise)
            out << " " << noiseText(t) << " |";
        out << "\n";
    }
    out << "\n";
    for (const auto& a : allAdvice(r))
        out << "- **" << a << "**\n";
    out << "- " << nextStepText(r) << "\n";
    for (const auto& t : r.tasks)
        for (const auto& note : taskNotes(r, t))
            out << "- " << taskLabel(t) << ": " << note << "\n";
    out << "\n**Across tasks** (" << r.method << ", each at " << levelText(r) << "):\n\n";
    for (const auto& d : r.decision)
        out << "- " << testText(d) << "\n";
    if (r.permutation.present)
        out << "- sign-flip permutations: " << permutationText(r) << "\n";
    const auto warnings = allWarnings(r);
    if (!warnings.empty()) {
        out << "\n<details><summary>" << warnings.size() << " warning(s)</summary>\n\n";
        for (const auto* w : warnings)
            out << "- " << w->toString() << "\n";
        out << "\n</details>\n";
    }
    out << "\n<sub>" << decisionExplained() << " " << flagsExplained()
        << " drop = baseline - candidate, in accuracy points for binary metrics; b = regressions, c = improvements; "
           "95% intervals: "
        << intervalMethods(r) << "; upper bound: one-sided " << boundLevel(r)
        << " bound of the drop; corpus metrics are shown in their own terms and tested on per-document "
           "log-likelihood.</sub>\n";
    return out.str();
}

std::string toTable(const ComparisonReport& r)
{
    const bool clusters = anyCluster(r);
    const bool noise = anyNoise(r);
    std::vector<std::string> head { "task", "metric", "kind", "n", "base", "cand", "drop", "95% CI", "upper", "b", "c",
        "p", "p_holm", "verdict" };
    if (r.hasMargin)
        head.insert(head.end(), { "margin", "p_margin", "needed" });
    if (clusters)
        head.push_back("clusters");
    if (noise)
        head.push_back("b+c vs noise");
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : r.tasks) {
        const auto x = rowText(t, "<=");
        rows.push_back({ taskLabel(t), metricLabel(t), t.continuous ? "cont." : "binary", std::to_string(t.n), x.base,
            x.cand, x.drop, x.interval, x.bound, std::to_string(t.b), std::to_string(t.c), x.p, x.pHolm,
            taskVerdictLabel(r, t) });
        if (r.hasMargin) {
            const auto m = marginCells(t);
            rows.back().insert(rows.back().end(), { m.margin, m.p, m.needed });
        }
        if (clusters)
            rows.back().push_back(clusterText(t));
        if (noise)
            rows.back().push_back(noiseText(t));
    }
    std::vector<std::size_t> width(head.size());
    for (std::size_t i = 0; i < head.size(); ++i)
        width[i] = head[i].size();
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    std::ostringstream out;
    out << "baseline : " << modelName(r.baseline) << "  (" << r.baseline.path << ")\n";
    out << "candidate: " << modelName(r.candidate) << "  (" << r.candidate.path << ")\n\n";
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool left = i <= 2 || i == 13 || (clusters && i == (r.hasMargin ? 17u : 14u));
            const std::size_t pad = width[i] - cells[i].size();
            if (!left)
                out << std::string(pad, ' ');
            out << cells[i];
            if (left && i + 1 < cells.size())
                out << std::string(pad, ' ');
            if (i + 1 < cells.size())
                out << "  ";
        }
        out << "\n";
    };
    line(head);
    std::size_t total = 0;
    for (const auto w : width)
        total += w + 2;
    out << std::string(total - 2, '-') << "\n";
    for (const auto& row : rows)
        line(row);
    out << "\n(" << unitsText(r)
        << ";\n drop = baseline - candidate; b = regressions, c = improvements; 95% CI: " << intervalMethods(r)
        << "; upper: one-sided " << boundLevel(r) << " upper bound of the drop"
        << (r.hasMargin ? ";\n margin: the largest drop accepted; p_margin: p of \"the drop is at least the margin\"; "
                          "needed: samples\n for 80% power to show the task within its margin at its observed drop"
                        : "")
        << ")\n";
    bool notes = false;
    for (const auto& t : r.tasks)
        for (const auto& note : taskNotes(r, t)) {
            out << (notes ? "" : "\nnotes:\n") << "  " << taskLabel(t) << ": " << note << "\n";
            notes = true;
        }
    out << "\nacross tasks (" << r.method << ", each test at " << levelText(r) << "):\n";
    for (const auto& d : r.decision)
        out << "  " << testText(d) << "\n";
    if (r.permutation.present)
        out << "  sign-flip: " << permutationText(r) << "\n";
    // Only an unstable verdict is marked (its explanation follows below).
    out << "\nVERDICT: " << verdictHeadline(r) << (r.stable ? "" : " (unstable)") << "\n         (" << r.decisionBasis
        << ")\n";
    for (const auto& a : allAdvice(r))
        out << "  " << a << "\n";
    out << "  " << nextStepText(r) << "\n";
    if (!r.stable)
        out << "\n" << unstableText(r) << "\n";
    const auto warnings = allWarnings(r);
    if (!warnings.empty()) {
        out << "\n" << warnings.size() << " warning(s):\n";
        for (const auto* w : warnings)
            out << "  " << w->toString() << "\n";
    }
    return out.str();
}

} // namespace deltascope::report
