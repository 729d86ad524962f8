// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/ReportWriters.h"
#include "report/WriterText.h"

#include <sstream>

// The self-contained HTML pages: the comparison report and the expert-sharing report.
namespace deltascope::report {

using namespace writer;

namespace {

// Table attributes that browsers and simpler HTML renderers (print engines) both honour.
constexpr const char* kTableAttrs = "border=\"1\" cellspacing=\"0\" cellpadding=\"3\"";

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
    const std::vector<std::vector<std::string>>& disagreementRows, const std::string& disagreementsNote)
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
    out << "<p class=\"next\">" << e(nextStepText(r)) << "</p>\n";
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
            << "</td><td>" << e(x.p) << "</td><td>" << e(x.pHolm) << "</td><td class=\"l\">" << taskVerdictLabel(r, t)
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
        out << "<h2>Disagreements</h2>\n";
        if (!disagreementsNote.empty())
            out << "<p>" << e(disagreementsNote) << "</p>\n";
        out << "<table " << kTableAttrs << ">";
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
