// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The words and numbers every report writer shares (ReportWriters.cpp, HtmlWriters.cpp); not a
// public interface.
#include "common/TextUtil.h"
#include "report/ComparisonReport.h"
#include "report/Verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace deltascope::report::writer {

using Json = nlohmann::ordered_json;

inline Json runJson(const eval::RunInfo& info)
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
inline std::string fmt(const char* f, double v)
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
inline double jnum(double v)
{
    return v + 0.0;
}

// Text made safe inside HTML or SVG markup (element text and quoted attribute values).
inline std::string escapeHtml(const std::string& text)
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

inline std::string pText(double p, double lnP)
{
    return formatP(p, lnP);
}

// "p = 0.0123", or "p < 1e-300".
inline std::string pIs(double p, double lnP)
{
    const std::string text = formatP(p, lnP);
    return text.starts_with("<") ? "p " + text : "p = " + text;
}

// A bound of a Monte Carlo interval: a plain 0 where the interval reaches it.
inline std::string pBound(double p)
{
    return p > 0.0 ? formatP(p, std::log(p)) : std::string("0");
}

inline std::string mcText(double lo, double hi)
{
    return "[" + pBound(lo) + ", " + pBound(hi) + "]";
}

inline std::string pct(double v)
{
    return fmt("%.2f", 100.0 * v);
}

inline std::string signedPct(double v)
{
    return fmt("%+.2f", 100.0 * v);
}

inline std::string taskLabel(const TaskResult& t)
{
    return t.label();
}

inline bool isCorpus(const TaskResult& t)
{
    return !t.corpusMetric.empty();
}

// How a row shows its numbers: accuracy points for binary metrics, the corpus metric in its own
// terms for perplexities, the raw metric otherwise. Drop, interval and bound are in the tested units.
struct RowText {
    std::string base, cand, drop, interval, bound, p, pHolm;
};

inline RowText rowText(const TaskResult& t, const char* le)
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

// The units of the table's columns, for the kinds of task it holds.
inline std::string unitsText(const ComparisonReport& r)
{
    bool binary = false;
    bool continuous = false;
    bool corpus = false;
    for (const auto& t : r.tasks) {
        binary = binary || !t.continuous;
        corpus = corpus || isCorpus(t);
        continuous = continuous || (t.continuous && !isCorpus(t));
    }
    std::vector<std::string> parts;
    if (binary)
        parts.push_back("binary metrics: base and cand in %, drop, CI and upper in points");
    if (continuous)
        parts.push_back("continuous metrics: all in the metric's units");
    if (corpus)
        parts.push_back("perplexities: base and cand as lm-eval aggregates them, drop, CI and upper in nats of "
                        "log-likelihood per document");
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : ";\n ") + p;
    return out;
}

inline std::string metricLabel(const TaskResult& t)
{
    return isCorpus(t) ? t.corpusMetric : t.metric;
}

// What a row's numbers rest on, beyond its columns: Monte Carlo error, kept infinite scores, the
// keep-list audit, corpus units, approximations at few discordant pairs.
inline std::vector<std::string> taskNotes(const ComparisonReport& r, const TaskResult& t)
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
    if (fewDiffer(t)) {
        const std::int64_t differ = t.b + t.c;
        const std::string what = t.hasMargin ? ": the interval, the upper bound and the margin test"
                                             : ": the interval and the upper bound";
        notes.push_back(differ == 0
                ? "no pair differs" + what
                    + " are large-sample approximations and say little when no pair differs (the p-value is exact)"
                : "only " + std::to_string(differ) + (differ == 1 ? " pair differs" : " pairs differ") + what
                    + " are large-sample approximations that can overstate the evidence at so few (the p-value is "
                      "exact)");
    }
    return notes;
}

inline std::string joined(const std::vector<std::string>& parts, const char* sep)
{
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out += (i ? sep : "") + parts[i];
    return out;
}

inline std::string levelText(const ComparisonReport& r)
{
    return (r.decisionLevel < r.alpha ? "alpha/3 = " : "alpha = ") + fmt("%.3g", r.decisionLevel);
}

inline const char* stabilityWord(const ComparisonReport& r)
{
    return r.stable ? "stable" : "unstable";
}

inline std::string unstableText(const ComparisonReport& r)
{
    return "UNSTABLE: the verdict may depend on the permutation seed (a Monte Carlo interval still holds the "
           "level after "
        + std::to_string(r.permutation.permutations)
        + " permutations); run more with --permutations or raise --max-permutations";
}

// The verdict in a few words, the same in every writer and in the window (report/Verdict.h).
inline const char* verdictText(const ComparisonReport& r)
{
    return verdictWord(verdictOf(r));
}

// The headline: the verdict and what it means.
inline const char* verdictHeadline(const ComparisonReport& r)
{
    return report::verdictHeadline(verdictOf(r));
}

// "next: ...": what to do after this verdict.
inline std::string nextStepText(const ComparisonReport& r)
{
    return "next: " + verdictNextStep(r);
}

// "1 pt", "1% of word_perplexity", "0.05": a task's margin as the user gave it.
inline std::string marginText(const TaskResult& t)
{
    if (!t.hasMargin)
        return "-";
    if (!t.continuous)
        return fmt("%.4g", 100.0 * t.margin) + " pts";
    if (t.marginRelative)
        return fmt("%.4g", 100.0 * t.margin) + "% of " + (isCorpus(t) ? t.corpusMetric : t.metric);
    return fmt("%.4g", t.margin);
}

// "0.8 points", or a difference on a continuous task in the units it was tested in.
inline std::string boundWords(const TaskResult& t, double value)
{
    if (!t.continuous) {
        // As the table prints points (two decimals), down to 0.1; smaller bounds keep two digits.
        const double p = 100.0 * value;
        const std::string points = std::abs(p) >= 0.1 ? fmt("%.2f", p) : fmt("%.2g", p);
        return points + (points == "1" ? " point" : " points");
    }
    return fmt("%.4g", value) + (isCorpus(t) ? " (per-document log-likelihood)" : " (" + t.metric + ")");
}

// What a task's row means for the verdict, in one sentence (or nothing): without a margin, the
// largest drop the data leave possible; when inconclusive, the samples still to collect.
inline std::string taskAdvice(const ComparisonReport& r, const TaskResult& t)
{
    const std::string name = taskLabel(t);
    if (t.n == 0)
        return {};
    if (!r.hasMargin) {
        // Without spread in the differences (or without a finite one) a normal bound would claim
        // certainty: none is given, and the line says why.
        if (std::isnan(t.upperBound))
            return name
                + (std::isfinite(t.delta) ? ": no bound: every pair differs by exactly " + boundWords(t, t.delta)
                                          : ": no bound: no pair has finite scores on both sides");
        // A bound below zero rules out every drop: the candidate is better by at least its size.
        if (t.upperBound < 0)
            return name + ": the data rule out any drop: the candidate is better by at least "
                + boundWords(t, -t.upperBound);
        return name + ": the data rule out a drop above " + boundWords(t, t.upperBound);
    }
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

inline std::vector<std::string> allAdvice(const ComparisonReport& r)
{
    std::vector<std::string> out;
    for (const auto& t : r.tasks)
        if (auto a = taskAdvice(r, t); !a.empty())
            out.push_back(std::move(a));
    return out;
}

inline bool anyCluster(const ComparisonReport& r)
{
    return std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return !t.cluster.key.empty(); });
}

inline bool anyNoise(const ComparisonReport& r)
{
    return std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return t.noiseFlips >= 0; });
}

// "subject: 57 clusters, design effect 1.43", or "-".
inline std::string clusterText(const TaskResult& t)
{
    if (t.cluster.key.empty())
        return "-";
    return t.cluster.key + ": " + std::to_string(t.cluster.clusters) + " clusters, design effect "
        + fmt("%.3g", t.cluster.designEffect);
}

// The candidate's flips beside the baseline reruns' own: "37 vs 12".
inline std::string noiseText(const TaskResult& t)
{
    if (t.noiseFlips < 0)
        return "-";
    return std::to_string(t.b + t.c) + " vs " + std::to_string(t.noiseFlips);
}

// The non-inferiority columns of a row: margin, p, samples needed.
struct MarginCells {
    std::string margin, p, needed;
};

inline MarginCells marginCells(const TaskResult& t)
{
    if (!t.hasMargin)
        return { "-", "-", "-" };
    return { marginText(t), formatP(t.pNonInferiority, std::log(t.pNonInferiority)),
        t.samplesNeeded < 0 ? std::string("none would do") : std::to_string(t.samplesNeeded) };
}

// The interval methods the rows use, for the footers ("Tango score (binary); Student t, mean difference
// (continuous)").
inline std::string intervalMethods(const ComparisonReport& r)
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

inline std::string boundLevel(const ComparisonReport& r)
{
    return fmt("%g", 100.0 * (1.0 - r.alpha)) + "%";
}

// One deciding test in words: "pooled: b - c = 5 (b = 9, c = 4), p = 0.1334".
inline std::string testText(const DecisionTest& d)
{
    std::string s = d.name + ": " + d.statisticName + " = " + fmt("%.4g", d.statistic);
    if (!d.detail.empty())
        s += " (" + d.detail + ")";
    s += ", " + pIs(d.pValue, d.lnP);
    if (d.monteCarlo)
        s += ", 99% Monte Carlo interval " + mcText(d.pMcLow, d.pMcHigh);
    return s;
}

inline std::string permutationText(const ComparisonReport& r)
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

inline std::string csvField(const std::string& s)
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

inline std::string modelName(const eval::RunInfo& info)
{
    return info.model.empty() ? baseName(info.path) : info.model;
}

inline std::vector<const Diagnostic*> allWarnings(const ComparisonReport& r)
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
inline const DecisionTest* decisionTest(const ComparisonReport& r, const char* name)
{
    for (const auto& d : r.decision)
        if (d.name == name)
            return &d;
    return nullptr;
}

inline Json mcJson(double lo, double hi)
{
    return Json::array({ jnum(lo), jnum(hi) });
}

// The margin as asked, in the units of `delta` (a fraction for binary tasks): one number when every
// task has the same absolute margin, else each task's {value, relative}; null without a margin.
inline Json marginJson(const ComparisonReport& r)
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

} // namespace deltascope::report::writer
