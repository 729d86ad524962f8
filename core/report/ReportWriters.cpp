#include "report/ReportWriters.h"

#include "common/TextUtil.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace deltascope::report {

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

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string pFormat(double p)
{
    if (p >= 0.001)
        return fmt("%.4f", p);
    return fmt("%.2e", p);
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
    return t.filter == "none" ? t.task : t.task + " [" + t.filter + "]";
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

const char* verdictWord(const TaskResult& t, double alpha)
{
    if (t.n == 0)
        return "no pairs";
    if (t.pHolm < alpha)
        return "WORSE";
    if (t.pValue < alpha)
        return "worse?";
    return "ok";
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

} // namespace

std::string toJson(const ComparisonReport& r)
{
    Json root;
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
        j["n"] = t.n;
        j["b"] = t.b;
        j["c"] = t.c;
        j["acc_base"] = t.accBase;
        j["acc_cand"] = t.accCand;
        j["delta"] = t.delta;
        j["flip_rate"] = t.flipRate;
        j["ci95"] = Json::array({ t.ciLow, t.ciHigh });
        j["p_value"] = t.pValue;
        j["p_two_sided"] = t.pTwoSided;
        j["p_holm"] = t.pHolm;
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
    Json agg;
    agg["pooled"]
        = { { "b", r.aggregate.pooled.b }, { "c", r.aggregate.pooled.c }, { "p_value", r.aggregate.pooled.pValue } };
    agg["fisher"] = { { "statistic", r.aggregate.fisher.statistic }, { "df", r.aggregate.fisher.df },
        { "p_value", r.aggregate.fisher.pValue } };
    const int mt = r.aggregate.maxDrop.task;
    std::vector<const TaskResult*> binary;
    for (const auto& t : r.tasks)
        if (!t.continuous)
            binary.push_back(&t);
    agg["max_drop"] = { { "statistic", r.aggregate.maxDrop.statistic },
        { "task", mt >= 0 && static_cast<std::size_t>(mt) < binary.size() ? Json(binary[mt]->key()) : Json(nullptr) },
        { "p_value", r.aggregate.maxDrop.pValue } };
    agg["degraded"] = r.degraded;
    agg["decision"] = r.decisionBasis;
    root["aggregate"] = std::move(agg);
    if (r.permutation.present) {
        Json perm;
        perm["permutations"] = r.permutation.permutations;
        perm["seed"] = r.permutation.seed;
        perm["p_value"] = r.permutation.pValue;
        Json per = Json::object();
        for (const auto& [task, p] : r.permutation.perTask)
            per[task] = p;
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
    out << "task,filter,metric,kind,n,b,c,acc_base,acc_cand,delta,flip_rate,ci95_low,ci95_high,p_value,p_two_sided,"
           "p_holm,unmatched_base,unmatched_cand,duplicates,hash_mismatches\n";
    for (const auto& t : r.tasks) {
        out << csvField(t.task) << ',' << csvField(t.filter) << ',' << csvField(t.metric) << ','
            << (t.continuous ? "continuous" : "binary") << ',' << t.n << ',' << t.b << ',' << t.c << ',' << t.accBase
            << ',' << t.accCand << ',' << t.delta << ',' << t.flipRate << ',' << t.ciLow << ',' << t.ciHigh << ','
            << t.pValue << ',' << t.pTwoSided << ',' << t.pHolm << ',' << t.unmatchedBase << ',' << t.unmatchedCand
            << ',' << t.duplicates << ',' << t.hashMismatches << '\n';
    }
    return out.str();
}

std::string toMarkdown(const ComparisonReport& r)
{
    std::ostringstream out;
    out << "### Deltascope: " << (r.degraded ? "❌ candidate is worse than baseline" : "✅ no degradation detected")
        << "\n\n";
    out << "**Baseline:** `" << modelName(r.baseline) << "`  \n**Candidate:** `" << modelName(r.candidate)
        << "`  \n**Decision:** " << r.decisionBasis << ".\n\n";
    out << "| task | metric | n | baseline | candidate | drop (pts) | 95% CI | b / c | p | p (Holm) | |\n";
    out << "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|\n";
    for (const auto& t : r.tasks) {
        const bool pctScale = !t.continuous;
        out << "| " << taskLabel(t) << " | " << t.metric << " | " << t.n << " | "
            << (pctScale ? pct(t.accBase) : fmt("%.4g", t.accBase)) << " | "
            << (pctScale ? pct(t.accCand) : fmt("%.4g", t.accCand)) << " | "
            << (pctScale ? signedPct(t.delta) : fmt("%+.4g", t.delta)) << " | ["
            << (pctScale ? signedPct(t.ciLow) : fmt("%+.4g", t.ciLow)) << ", "
            << (pctScale ? signedPct(t.ciHigh) : fmt("%+.4g", t.ciHigh)) << "] | " << t.b << " / " << t.c << " | "
            << pFormat(t.pValue) << " | " << pFormat(t.pHolm) << " | " << verdictWord(t, r.alpha) << " |\n";
    }
    out << "\n";
    if (!r.hasContinuous) {
        out << "Across tasks (alpha/3 = " << fmt("%.4g", r.alpha / 3)
            << " each): pooled p = " << pFormat(r.aggregate.pooled.pValue) << " (b = " << r.aggregate.pooled.b
            << ", c = " << r.aggregate.pooled.c << "), Fisher p = " << pFormat(r.aggregate.fisher.pValue)
            << ", max-drop p = " << pFormat(r.aggregate.maxDrop.pValue) << ".\n";
    }
    if (r.permutation.present)
        out << "Sign-flip permutation test (" << r.permutation.permutations << " permutations, seed "
            << r.permutation.seed << "): p = " << pFormat(r.permutation.pValue) << ".\n";
    const auto warnings = allWarnings(r);
    if (!warnings.empty()) {
        out << "\n<details><summary>" << warnings.size() << " warning(s)</summary>\n\n";
        for (const auto* w : warnings)
            out << "- " << w->toString() << "\n";
        out << "\n</details>\n";
    }
    out << "\n<sub>drop = baseline - candidate, in accuracy points for binary metrics; b = regressions, c = "
           "improvements; one-sided exact McNemar per task.</sub>\n";
    return out.str();
}

std::string toTable(const ComparisonReport& r)
{
    struct Row {
        std::vector<std::string> cells;
    };
    const std::vector<std::string> head { "task", "metric", "kind", "n", "base", "cand", "drop", "95% CI", "b", "c",
        "p", "p_holm", "verdict" };
    std::vector<Row> rows;
    for (const auto& t : r.tasks) {
        const bool p100 = !t.continuous;
        auto v = [&](double x) { return p100 ? pct(x) : fmt("%.4g", x); };
        auto sv = [&](double x) { return p100 ? signedPct(x) : fmt("%+.4g", x); };
        std::string interval = "[";
        interval.append(sv(t.ciLow)).append(", ").append(sv(t.ciHigh)).append("]");
        rows.push_back({ { taskLabel(t), t.metric, t.continuous ? "cont." : "binary", std::to_string(t.n), v(t.accBase),
            v(t.accCand), sv(t.delta), interval, std::to_string(t.b), std::to_string(t.c), pFormat(t.pValue),
            pFormat(t.pHolm), verdictWord(t, r.alpha) } });
    }
    std::vector<std::size_t> width(head.size());
    for (std::size_t i = 0; i < head.size(); ++i)
        width[i] = head[i].size();
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.cells.size(); ++i)
            width[i] = std::max(width[i], row.cells[i].size());
    std::ostringstream out;
    out << "baseline : " << modelName(r.baseline) << "  (" << r.baseline.path << ")\n";
    out << "candidate: " << modelName(r.candidate) << "  (" << r.candidate.path << ")\n\n";
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool left = i <= 2 || i == 12;
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
        line(row.cells);
    out << "\n(base, cand, drop in % for binary metrics; drop = baseline - candidate; b = regressions, c = "
           "improvements)\n\n";
    if (!r.hasContinuous || r.aggregate.pooled.b + r.aggregate.pooled.c > 0) {
        out << "pooled    : b = " << r.aggregate.pooled.b << ", c = " << r.aggregate.pooled.c
            << ", p = " << pFormat(r.aggregate.pooled.pValue) << "\n";
        out << "fisher    : X = " << fmt("%.3f", r.aggregate.fisher.statistic) << ", df = " << r.aggregate.fisher.df
            << ", p = " << pFormat(r.aggregate.fisher.pValue) << "\n";
        out << "max drop  : z = " << fmt("%.3f", r.aggregate.maxDrop.statistic)
            << ", p = " << pFormat(r.aggregate.maxDrop.pValue) << "\n";
    }
    if (r.permutation.present)
        out << "sign-flip : " << r.permutation.permutations << " permutations, seed " << r.permutation.seed
            << ", p = " << pFormat(r.permutation.pValue) << "\n";
    out << "\nVERDICT: "
        << (r.degraded ? "DEGRADED: the candidate is worse than the baseline" : "no degradation detected")
        << "\n         (" << r.decisionBasis << ")\n";
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
           ".good{background:#dafbe1;border:1px solid #1a7f37;color:#116329}\n"
           "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}"
           "th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:right}"
           "th{background:#f6f8fa}td.l,th.l,td.w{text-align:left}\n"
           "tr.worse td{background:#fff1f0}tr.better td{background:#f0fff4}\n"
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
    out << "<div class=\"verdict "
        << (r.degraded ? "bad\">Candidate is worse than baseline" : "good\">No degradation detected") << "</div>\n<p>"
        << e(r.decisionBasis) << ".</p>\n";

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

    out << "<h2>Across tasks</h2>\n";
    if (!r.hasContinuous)
        out << "<table " << kTableAttrs
            << "><tr><th class=\"l\">test</th><th>p-value</th><th class=\"l\">detail</th></tr>\n"
            << "<tr><td class=\"l\">pooled McNemar</td><td>" << pFormat(r.aggregate.pooled.pValue)
            << "</td><td class=\"l\">b = " << r.aggregate.pooled.b << ", c = " << r.aggregate.pooled.c << "</td></tr>\n"
            << "<tr><td class=\"l\">Fisher</td><td>" << pFormat(r.aggregate.fisher.pValue)
            << "</td><td class=\"l\"></td></tr>\n<tr><td class=\"l\">max-drop</td><td>"
            << pFormat(r.aggregate.maxDrop.pValue) << "</td><td class=\"l\"></td></tr>\n</table>\n"
            << "<p class=\"muted\">Each aggregate test is held to alpha/3 = " << fmt("%.4g", r.alpha / 3)
            << "; the candidate is called worse when any of them rejects.</p>\n";
    if (r.permutation.present)
        out << "<p>Sign-flip permutation test (" << r.permutation.permutations << " permutations, seed "
            << r.permutation.seed << "): p = " << pFormat(r.permutation.pValue) << ".</p>\n";

    out << "<h2>Per task</h2>\n<table " << kTableAttrs
        << " width=\"100%\"><tr><th class=\"l\">task</th><th class=\"l\">metric</th><th>n</th>"
           "<th>baseline</th><th>candidate</th><th>drop</th><th>95% CI</th><th>b</th><th>c</th><th>p</th>"
           "<th>p (Holm)</th><th class=\"l\">verdict</th></tr>\n";
    for (const auto& t : r.tasks) {
        const bool p100 = !t.continuous;
        auto v = [&](double x) { return p100 ? pct(x) : fmt("%.4g", x); };
        auto sv = [&](double x) { return p100 ? signedPct(x) : fmt("%+.4g", x); };
        const bool worse = t.pHolm < r.alpha && t.delta > 0;
        out << "<tr" << (worse ? " class=\"worse\"" : "") << "><td class=\"l\">" << e(taskLabel(t))
            << "</td><td class=\"l\">" << e(t.metric) << "</td><td>" << t.n << "</td><td>" << v(t.accBase)
            << "</td><td>" << v(t.accCand) << "</td><td>" << sv(t.delta) << "</td><td>[" << sv(t.ciLow) << ", "
            << sv(t.ciHigh) << "]</td><td>" << t.b << "</td><td>" << t.c << "</td><td>" << pFormat(t.pValue)
            << "</td><td>" << pFormat(t.pHolm) << "</td><td class=\"l\">" << e(verdictWord(t, r.alpha))
            << "</td></tr>\n";
    }
    out << "</table>\n<p class=\"muted\">drop = baseline - candidate (accuracy points for binary metrics); "
           "b = regressions, c = improvements; one-sided exact McNemar per task, Holm-adjusted.</p>\n";

    if (!figures.empty()) {
        out << "<h2>Figures</h2>\n";
        for (const auto& f : figures)
            out << "<figure><img alt=\"" << e(f.title) << "\" src=\""
                << (f.source.empty() ? "data:image/png;base64," + f.pngBase64 : e(f.source)) << "\"><figcaption><b>"
                << e(f.title) << ".</b> " << e(f.caption) << "</figcaption></figure>\n";
    }
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
