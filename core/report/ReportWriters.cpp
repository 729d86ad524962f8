#include "report/ReportWriters.h"

#include "common/TextUtil.h"

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
           "suggestive when its own p is below alpha but that does not decide the comparison; ok otherwise.";
}

namespace {

using Json = nlohmann::ordered_json;

Json runJson(const eval::RunInfo& info)
{
    Json j;
    j["path"] = info.path;
    j["model"] = info.model;
    j["format"] = info.format;
    j["lm_eval_version"] = info.lmEvalVersion;
    j["timestamp"] = info.timestamp;
    return j;
}

// printf of one number, never "-0" (a negative value that rounds to zero is printed as zero).
std::string fmt(const char* f, double v)
{
    if (std::isnan(v))
        return "n/a";
    if (std::isinf(v))
        return v > 0 ? "+inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    if (buf[0] == '-') {
        const std::string s(buf);
        const auto mantissa = s.substr(0, s.find_first_of("eE"));
        if (mantissa.find_first_of("123456789") == std::string::npos)
            std::snprintf(buf, sizeof buf, f, 0.0);
    }
    return buf;
}

// JSON numbers: -0 becomes 0 (non-finite values are written as null by the library).
double jnum(double v)
{
    return v + 0.0;
}

std::string pText(double p, double lnP)
{
    return formatP(p, lnP);
}

// "p = 0.0123", or "p < 1e-300".
std::string pIs(double p, double lnP)
{
    const std::string text = formatP(p, lnP);
    return text.starts_with("<") ? "p " + text : "p = " + text;
}

// A bound of a Monte Carlo interval: a plain 0 where the interval reaches it.
std::string pBound(double p)
{
    return p > 0.0 ? formatP(p, std::log(p)) : std::string("0");
}

std::string mcText(double lo, double hi)
{
    return "[" + pBound(lo) + ", " + pBound(hi) + "]";
}

std::string pct(double v)
{
    return fmt("%.2f", 100.0 * v);
}

std::string signedPct(double v)
{
    return fmt("%+.2f", 100.0 * v);
}

std::string taskLabel(const TaskResult& t)
{
    const std::string k = t.filter == "none" ? t.task : t.task + " [" + t.filter + "]";
    return t.audit ? k + " (excluded by the keep-list)" : k;
}

bool isCorpus(const TaskResult& t)
{
    return !t.corpusMetric.empty();
}

// How a row shows its numbers: accuracy points for binary metrics, the corpus metric in its own
// terms for perplexities, the raw metric otherwise. Drop, interval and bound are in the tested units.
struct RowText {
    std::string base, cand, drop, interval, bound, p, pHolm;
};

RowText rowText(const TaskResult& t, const char* le)
{
    RowText r;
    const bool points = !t.continuous;
    auto v = [&](double x) { return points ? pct(x) : fmt("%.4g", x); };
    auto sv = [&](double x) { return points ? signedPct(x) : fmt("%+.4g", x); };
    r.base = isCorpus(t) ? fmt("%.4g", t.corpusBase) : v(t.accBase);
    r.cand = isCorpus(t) ? fmt("%.4g", t.corpusCand) : v(t.accCand);
    r.drop = sv(t.delta);
    r.interval = "[" + sv(t.ciLow) + ", " + sv(t.ciHigh) + "]";
    r.bound = t.n > 0 ? std::string(le) + " " + sv(t.upperBound) + (points ? " pts" : "") : std::string("-");
    r.p = pText(t.pValue, t.lnP);
    r.pHolm = pText(t.pHolm, t.lnPHolm);
    return r;
}

std::string metricLabel(const TaskResult& t)
{
    return isCorpus(t) ? t.corpusMetric : t.metric;
}

// What a row's numbers rest on, beyond its columns: Monte Carlo error, kept infinite scores, the
// keep-list audit, corpus units.
std::vector<std::string> taskNotes(const ComparisonReport& r, const TaskResult& t)
{
    std::vector<std::string> notes;
    if (t.monteCarlo) {
        if (t.exhaustive)
            notes.push_back("p exact (every sign pattern enumerated)");
        else
            notes.push_back("p from " + std::to_string(r.permutation.permutations)
                + " sign-flip permutations, 99% Monte Carlo interval " + mcText(t.pMcLow, t.pMcHigh));
    }
    if (isCorpus(t))
        notes.push_back(t.corpusMetric + " " + fmt("%.4g", t.corpusBase) + " vs " + fmt("%.4g", t.corpusCand)
            + " (as lm-eval aggregates it); tested on per-document log-likelihood, the units of drop and interval");
    if (t.worstBase + t.worstCand > 0)
        notes.push_back(std::to_string(t.worstBase) + " baseline and " + std::to_string(t.worstCand)
            + " candidate samples with an infinitely bad score, kept as the worst score");
    if (t.audit)
        notes.push_back("samples the keep-list excluded, tested on their own so that a regression there is seen");
    return notes;
}

std::string joined(const std::vector<std::string>& parts, const char* sep)
{
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out += (i ? sep : "") + parts[i];
    return out;
}

std::string levelText(const ComparisonReport& r)
{
    return (r.decisionLevel < r.alpha ? "alpha/3 = " : "alpha = ") + fmt("%.3g", r.decisionLevel);
}

const char* stabilityWord(const ComparisonReport& r)
{
    return r.stable ? "stable" : "unstable";
}

std::string unstableText(const ComparisonReport& r)
{
    return "UNSTABLE: the verdict may depend on the permutation seed (a Monte Carlo interval still holds the "
           "level after "
        + std::to_string(r.permutation.permutations)
        + " permutations); run more with --permutations or raise --max-permutations";
}

// The verdict in a few words, the same in every writer (DESIGN 3.6).
const char* verdictText(const ComparisonReport& r)
{
    if (r.degraded || r.verdict == "degraded")
        return "degraded";
    if (r.verdict == "no_worse_than_margin")
        return "no worse than the margin";
    if (r.verdict == "inconclusive")
        return "inconclusive";
    return "no evidence of degradation";
}

// The headline: the verdict and what it means.
std::string verdictHeadline(const ComparisonReport& r)
{
    if (r.degraded || r.verdict == "degraded")
        return "DEGRADED: Candidate is worse than baseline";
    if (r.verdict == "no_worse_than_margin")
        return "NO WORSE THAN THE MARGIN: every task's drop is shown to be below its margin";
    if (r.verdict == "inconclusive")
        return "INCONCLUSIVE: not shown to be worse, nor shown to be within the margin";
    return "no evidence of degradation, which is not evidence of no loss: see each task's upper bound";
}

// "1 pt", "1% of word_perplexity", "0.05": a task's margin as the user gave it.
std::string marginText(const TaskResult& t)
{
    if (!t.hasMargin)
        return "-";
    if (!t.continuous)
        return fmt("%.4g", 100.0 * t.margin) + " pts";
    if (t.marginRelative)
        return fmt("%.4g", 100.0 * t.margin) + "% of " + (isCorpus(t) ? t.corpusMetric : t.metric);
    return fmt("%.4g", t.margin);
}

// "0.8 points", or a continuous task's bound in the units it was tested in.
std::string boundWords(const TaskResult& t)
{
    if (!t.continuous)
        return fmt("%.3g", 100.0 * t.upperBound) + " points";
    return fmt("%.4g", t.upperBound) + (isCorpus(t) ? " (per-document log-likelihood)" : " (" + t.metric + ")");
}

// What a task's row means for the verdict, in one sentence (or nothing): without a margin, the
// largest drop the data leave possible; when inconclusive, the samples still to collect.
std::string taskAdvice(const ComparisonReport& r, const TaskResult& t)
{
    const std::string name = taskLabel(t);
    if (t.n == 0)
        return {};
    if (!r.hasMargin)
        return name + ": the data rule out a drop above " + boundWords(t);
    if (r.verdict != "inconclusive")
        return {};
    if (!t.hasMargin)
        return name + ": no margin given, so it cannot be shown within one";
    if (t.pNonInferiority < r.alpha)
        return {};
    if (t.samplesNeeded < 0)
        return name + ": the observed drop is above its margin; more samples would not show it within";
    if (t.samplesNeeded > t.n)
        return "collect about " + std::to_string(t.samplesNeeded - t.n) + " more samples of " + name + " ("
            + std::to_string(t.samplesNeeded) + " in all for 80% power at the observed drop)";
    return name + ": its " + std::to_string(t.n)
        + " samples would usually suffice at the observed drop; a few more should settle it";
}

std::vector<std::string> allAdvice(const ComparisonReport& r)
{
    std::vector<std::string> out;
    for (const auto& t : r.tasks)
        if (auto a = taskAdvice(r, t); !a.empty())
            out.push_back(std::move(a));
    return out;
}

bool anyCluster(const ComparisonReport& r)
{
    return std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return !t.cluster.key.empty(); });
}

bool anyNoise(const ComparisonReport& r)
{
    return std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return t.noiseFlips >= 0; });
}

// "subject: 57 clusters, design effect 1.43", or "-".
std::string clusterText(const TaskResult& t)
{
    if (t.cluster.key.empty())
        return "-";
    return t.cluster.key + ": " + std::to_string(t.cluster.clusters) + " clusters, design effect "
        + fmt("%.3g", t.cluster.designEffect);
}

// The candidate's flips beside the baseline reruns' own: "37 vs 12".
std::string noiseText(const TaskResult& t)
{
    if (t.noiseFlips < 0)
        return "-";
    return std::to_string(t.b + t.c) + " vs " + std::to_string(t.noiseFlips);
}

// The non-inferiority columns of a row: margin, p, samples needed.
struct MarginCells {
    std::string margin, p, needed;
};

MarginCells marginCells(const TaskResult& t)
{
    if (!t.hasMargin)
        return { "-", "-", "-" };
    return { marginText(t), formatP(t.pNonInferiority, std::log(t.pNonInferiority)),
        t.samplesNeeded < 0 ? std::string("none would do") : std::to_string(t.samplesNeeded) };
}

// The interval methods the rows use, for the footers ("Tango score (binary); normal, mean difference
// (continuous)").
std::string intervalMethods(const ComparisonReport& r)
{
    std::vector<std::string> seen;
    for (const auto& t : r.tasks) {
        if (t.intervalMethod.empty())
            continue;
        const std::string m = t.intervalMethod + (t.continuous ? " (continuous)" : " (binary)");
        if (std::find(seen.begin(), seen.end(), m) == seen.end())
            seen.push_back(m);
    }
    return seen.empty() ? std::string("as computed per task") : joined(seen, "; ");
}

std::string boundLevel(const ComparisonReport& r)
{
    return fmt("%g", 100.0 * (1.0 - r.alpha)) + "%";
}

// One deciding test in words: "pooled: b - c = 5 (b = 9, c = 4), p = 0.1334".
std::string testText(const DecisionTest& d)
{
    std::string s = d.name + ": " + d.statisticName + " = " + fmt("%.4g", d.statistic);
    if (!d.detail.empty())
        s += " (" + d.detail + ")";
    s += ", " + pIs(d.pValue, d.lnP);
    if (d.monteCarlo)
        s += ", 99% Monte Carlo interval " + mcText(d.pMcLow, d.pMcHigh);
    return s;
}

std::string permutationText(const ComparisonReport& r)
{
    const auto& p = r.permutation;
    std::string s;
    if (p.exhaustive)
        s = "every sign pattern enumerated (exact, no Monte Carlo error)";
    else if (p.permutations != p.requested)
        s = std::to_string(p.permutations) + " permutations run (" + std::to_string(p.requested) + " asked, at most "
            + std::to_string(p.maxPermutations) + ")";
    else
        s = std::to_string(p.permutations) + " permutations run";
    s += ", seed " + std::to_string(p.seed) + ", " + pIs(p.pValue, std::log(p.pValue));
    if (!p.exhaustive)
        s += ", 99% Monte Carlo interval " + mcText(p.pMcLow, p.pMcHigh);
    s += std::string(", ") + (p.stable ? "stable" : "unstable");
    return s;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (const char ch : s) {
        if (ch == '"')
            out += '"';
        out += ch;
    }
    return out + "\"";
}

std::string modelName(const eval::RunInfo& info)
{
    return info.model.empty() ? baseName(info.path) : info.model;
}

std::vector<const Diagnostic*> allWarnings(const ComparisonReport& r)
{
    std::vector<const Diagnostic*> out;
    for (const auto& w : r.warnings)
        out.push_back(&w);
    for (const auto& t : r.tasks)
        for (const auto& w : t.warnings)
            out.push_back(&w);
    return out;
}

// The decision test of this name ("pooled", "Fisher", "max-drop"), or null.
const DecisionTest* decisionTest(const ComparisonReport& r, const char* name)
{
    for (const auto& d : r.decision)
        if (d.name == name)
            return &d;
    return nullptr;
}

Json mcJson(double lo, double hi)
{
    return Json::array({ jnum(lo), jnum(hi) });
}

// The margin as asked, in the units of `delta` (a fraction for binary tasks): one number when every
// task has the same absolute margin, else each task's {value, relative}; null without a margin.
Json marginJson(const ComparisonReport& r)
{
    if (!r.hasMargin)
        return nullptr;
    const TaskResult* first = nullptr;
    bool uniform = true;
    for (const auto& t : r.tasks) {
        if (!t.hasMargin) {
            uniform = uniform && t.n == 0;
            continue;
        }
        if (!first)
            first = &t;
        else if (t.margin != first->margin || t.marginRelative != first->marginRelative)
            uniform = false;
    }
    if (first && uniform && !first->marginRelative)
        return jnum(first->margin);
    Json per = Json::object();
    for (const auto& t : r.tasks) {
        if (!t.hasMargin)
            continue;
        Json m;
        m["value"] = jnum(t.margin);
        m["relative"] = t.marginRelative;
        per[t.key()] = std::move(m);
    }
    Json j;
    j["per_task"] = std::move(per);
    return j;
}

} // namespace

std::string toJson(const ComparisonReport& r)
{
    Json root;
    root["verdict"] = r.verdict;
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
    if (const auto* d = decisionTest(r, "max-drop"); d && d->detail.starts_with("task "))
        maxTask = d->detail.substr(5);
    maxDrop["task"] = maxTask.empty() ? Json(nullptr) : Json(maxTask);
    agg["max_drop"] = testJson("max-drop", std::move(maxDrop));
    agg["degraded"] = r.degraded;
    agg["verdict"] = r.verdict; // "degraded", "no_evidence", with a margin "no_worse_than_margin" or "inconclusive"
    agg["decision"] = r.decisionBasis;
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
    return root.dump(2) + "\n";
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
            << x.p << " | " << x.pHolm << " | " << flagWord(t.flag) << " |";
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
            flagWord(t.flag) });
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
    out << "\n(base, cand, drop in % for binary metrics; drop = baseline - candidate; b = regressions, c = "
           "improvements;\n 95% CI: "
        << intervalMethods(r) << "; upper: one-sided " << boundLevel(r) << " upper bound of the drop"
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
    out << "\nVERDICT: " << verdictHeadline(r) << " (" << stabilityWord(r) << ")\n         (" << r.decisionBasis
        << ")\n";
    for (const auto& a : allAdvice(r))
        out << "  " << a << "\n";
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

namespace {

// Table attributes that browsers and simpler HTML renderers (print engines) both honour.
constexpr const char* kTableAttrs = "border=\"1\" cellspacing=\"0\" cellpadding=\"3\"";

std::string escapeHtml(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        switch (ch) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += ch;
        }
    }
    return out;
}

std::string htmlHead(const std::string& title)
{
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << escapeHtml(title)
        << "</title>\n<style>\n"
        << "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;"
           "padding:0 1em;color:#1b1f24;line-height:1.45}\n"
           "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d0d7de}\n"
           ".verdict{padding:.8em 1em;border-radius:6px;font-weight:600;font-size:1.1em}\n"
           ".bad{background:#ffebe9;border:1px solid #cf222e;color:#82071e}"
           ".good{background:#dafbe1;border:1px solid #1a7f37;color:#116329}"
           ".unsure{background:#fff8c5;border:1px solid #9a6700;color:#4d2d00}"
           ".neutral{background:#f6f8fa;border:1px solid #57606a;color:#1b1f24}\n"
           "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}"
           "th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:right}"
           "th{background:#f6f8fa}td.l,th.l,td.w{text-align:left}\n"
           "tr.worse td{background:#fff1f0}tr.suggestive td{background:#fff8e1}\n"
           ".unstable{background:#fff8c5;border:1px solid #9a6700;color:#4d2d00;padding:.5em 1em;border-radius:6px}\n"
           "figure{margin:1em 0}figure img{max-width:100%;border:1px solid #d0d7de}"
           "figcaption{color:#57606a;font-size:.85em}\n"
           ".muted{color:#57606a;font-size:.85em}code{background:#f6f8fa;padding:0 .2em}\n"
           "</style></head><body>\n";
    return out.str();
}

std::string figuresHtml(const std::vector<HtmlFigure>& figures)
{
    std::ostringstream out;
    for (const auto& f : figures)
        out << "<figure><img alt=\"" << escapeHtml(f.title) << "\" src=\""
            << (f.source.empty() ? "data:image/png;base64," + f.pngBase64 : escapeHtml(f.source))
            << "\"><figcaption><b>" << escapeHtml(f.title) << ".</b> " << escapeHtml(f.caption)
            << "</figcaption></figure>\n";
    return out.str();
}

} // namespace

std::string toHtml(const ComparisonReport& r, const std::vector<HtmlFigure>& figures,
    const std::vector<std::pair<std::string, std::string>>& settings,
    const std::vector<std::vector<std::string>>& disagreementRows)
{
    std::ostringstream out;
    auto e = [](const std::string& s) { return escapeHtml(s); };
    out << htmlHead("Deltascope report: " + modelName(r.candidate) + " vs " + modelName(r.baseline));
    out << "<h1>Deltascope: did the candidate get worse?</h1>\n";
    const char* banner = (r.degraded || r.verdict == "degraded") ? "bad"
        : r.verdict == "no_worse_than_margin"                    ? "good"
        : r.verdict == "inconclusive"                            ? "unsure"
                                                                 : "neutral";
    out << "<div class=\"verdict " << banner << "\">" << e(verdictHeadline(r))
        << (r.stable ? "" : " (unstable: depends on the permutation seed)") << "</div>\n<p>" << e(r.decisionBasis)
        << ".</p>\n";
    if (const auto advice = allAdvice(r); !advice.empty()) {
        out << "<ul>";
        for (const auto& a : advice)
            out << "<li>" << e(a) << "</li>";
        out << "</ul>\n";
    }
    if (!r.stable)
        out << "<p class=\"unstable\"><b>" << e(unstableText(r)) << ".</b></p>\n";
    out << "<p>" << e(decisionExplained()) << "</p>\n";

    out << "<h2>Inputs</h2>\n<table " << kTableAttrs
        << "><tr><th class=\"l\"></th><th class=\"l\">model</th><th class=\"l\">path</th>"
           "<th class=\"l\">format</th><th class=\"l\">timestamp</th></tr>\n";
    for (const auto& [label, info] : { std::pair { "baseline", &r.baseline }, std::pair { "candidate", &r.candidate } })
        out << "<tr><td class=\"l\">" << label << "</td><td class=\"l\">" << e(modelName(*info))
            << "</td><td class=\"w\"><code>" << e(info->path) << "</code></td><td class=\"w\">" << e(info->format)
            << (info->lmEvalVersion.empty() ? "" : " (" + e(info->lmEvalVersion) + ")") << "</td><td class=\"l\">"
            << e(info->timestamp) << "</td></tr>\n";
    out << "</table>\n";
    if (!settings.empty()) {
        out << "<h2>Settings</h2>\n<table " << kTableAttrs << ">";
        for (const auto& [k, v] : settings)
            out << "<tr><td class=\"l\">" << e(k) << "</td><td class=\"w\">" << e(v) << "</td></tr>";
        out << "</table>\n";
    }

    out << "<h2>Across tasks</h2>\n<p>Method: " << e(r.method) << "; each test at " << e(levelText(r)) << "; "
        << stabilityWord(r) << ".</p>\n";
    if (!r.decision.empty()) {
        out << "<table " << kTableAttrs
            << "><tr><th class=\"l\">test</th><th class=\"l\">statistic</th><th>value</th><th>p-value</th>"
               "<th>99% Monte Carlo interval</th><th class=\"l\">detail</th></tr>\n";
        for (const auto& d : r.decision)
            out << "<tr><td class=\"l\">" << e(d.name) << "</td><td class=\"l\">" << e(d.statisticName) << "</td><td>"
                << fmt("%.4g", d.statistic) << "</td><td>" << e(pText(d.pValue, d.lnP)) << "</td><td>"
                << (d.monteCarlo ? e(mcText(d.pMcLow, d.pMcHigh)) : std::string("exact")) << "</td><td class=\"l\">"
                << e(d.detail) << "</td></tr>\n";
        out << "</table>\n";
    }
    if (r.permutation.present)
        out << "<p>Sign-flip permutations: " << e(permutationText(r)) << ".</p>\n";

    out << "<h2>Per task</h2>\n<table " << kTableAttrs
        << " width=\"100%\"><tr><th class=\"l\">task</th><th class=\"l\">metric</th><th>n</th>"
           "<th>baseline</th><th>candidate</th><th>drop</th><th>95% CI</th><th>upper bound</th><th>b</th><th>c</th>"
           "<th>p</th><th>p (Holm)</th><th class=\"l\">verdict</th>"
        << (r.hasMargin ? "<th>margin</th><th>p (within margin)</th><th>samples needed</th>" : "")
        << (anyCluster(r) ? "<th class=\"l\">clusters</th>" : "")
        << (anyNoise(r) ? "<th>flips vs baseline noise</th>" : "") << "</tr>\n";
    for (const auto& t : r.tasks) {
        const auto x = rowText(t, "&le;");
        const char* cls = t.flag == TaskFlag::Worse ? " class=\"worse\""
                                                    : (t.flag == TaskFlag::Suggestive ? " class=\"suggestive\"" : "");
        out << "<tr" << cls << "><td class=\"l\">" << e(taskLabel(t)) << "</td><td class=\"l\">" << e(metricLabel(t))
            << "</td><td>" << t.n << "</td><td>" << x.base << "</td><td>" << x.cand << "</td><td>" << x.drop
            << "</td><td>" << x.interval << "</td><td>" << x.bound << "</td><td>" << t.b << "</td><td>" << t.c
            << "</td><td>" << e(x.p) << "</td><td>" << e(x.pHolm) << "</td><td class=\"l\">" << flagWord(t.flag)
            << "</td>";
        if (r.hasMargin) {
            const auto m = marginCells(t);
            out << "<td>" << e(m.margin) << "</td><td>" << e(m.p) << "</td><td>" << e(m.needed) << "</td>";
        }
        if (anyCluster(r))
            out << "<td class=\"l\">" << e(clusterText(t)) << "</td>";
        if (anyNoise(r))
            out << "<td>" << e(noiseText(t)) << "</td>";
        out << "</tr>\n";
    }
    out << "</table>\n";
    std::vector<std::string> notes;
    for (const auto& t : r.tasks)
        for (const auto& note : taskNotes(r, t))
            notes.push_back("<li>" + e(taskLabel(t)) + ": " + e(note) + "</li>");
    if (!notes.empty())
        out << "<ul>" << joined(notes, "") << "</ul>\n";
    out << "<p class=\"muted\">drop = baseline - candidate (accuracy points for binary metrics); b = regressions, "
           "c = improvements; one-sided exact McNemar per binary task, sign-flip permutations otherwise; "
           "Holm-adjusted across tasks. 95% intervals: "
        << e(intervalMethods(r)) << "; upper bound: one-sided " << boundLevel(r) << " bound of the drop. "
        << e(flagsExplained()) << "</p>\n";

    if (!figures.empty())
        out << "<h2>Figures</h2>\n" << figuresHtml(figures);
    if (!disagreementRows.empty()) {
        out << "<h2>Disagreements</h2>\n<table " << kTableAttrs << ">";
        for (std::size_t i = 0; i < disagreementRows.size(); ++i) {
            out << "<tr>";
            for (const auto& cell : disagreementRows[i])
                out << (i == 0 ? "<th class=\"l\">" : "<td class=\"l\">") << e(cell) << (i == 0 ? "</th>" : "</td>");
            out << "</tr>\n";
        }
        out << "</table>\n";
    }
    const auto warnings = allWarnings(r);
    if (!warnings.empty()) {
        out << "<h2>Warnings</h2>\n<ul>";
        for (const auto* w : warnings)
            out << "<li>" << e(w->toString()) << "</li>";
        out << "</ul>\n";
    }
    out << "<p class=\"muted\">Written by Deltascope.</p>\n</body></html>\n";
    return out.str();
}

std::string toExpertHtml(const ExpertSummary& summary, const std::vector<HtmlFigure>& figures)
{
    std::ostringstream out;
    out << htmlHead("Deltascope: expert sharing");
    out << "<h1>Deltascope: how many experts does a batch need?</h1>\n<div class=\"verdict good\">"
        << escapeHtml(summary.headline) << "</div>\n";
    out << "<h2>Trace and settings</h2>\n<table " << kTableAttrs << ">";
    for (const auto& [k, v] : summary.facts)
        out << "<tr><td class=\"l\">" << escapeHtml(k) << "</td><td class=\"w\">" << escapeHtml(v) << "</td></tr>";
    out << "</table>\n";
    if (!figures.empty())
        out << "<h2>Figures</h2>\n" << figuresHtml(figures);
    if (!summary.layers.empty()) {
        out << "<h2>Per layer</h2>\n<table " << kTableAttrs << ">";
        for (std::size_t i = 0; i < summary.layers.size(); ++i) {
            out << "<tr>";
            for (const auto& cell : summary.layers[i])
                out << (i == 0 ? "<th>" : "<td>") << escapeHtml(cell) << (i == 0 ? "</th>" : "</td>");
            out << "</tr>\n";
        }
        out << "</table>\n";
    }
    out << "<p class=\"muted\">Activated experts are per slice (one layer of one batch); the gating mass kept is the "
           "share of the tokens' top-k scores that their re-routed experts keep.</p>\n</body></html>\n";
    return out.str();
}

} // namespace deltascope::report
