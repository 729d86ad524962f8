// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/MatrixWriters.h"

#include "analysis/MatrixWriterParts.h"
#include "common/JsonText.h"
#include "report/ReportWriters.h"
#include "report/WriterText.h"

#include <algorithm>
#include <cmath>
#include <sstream>

// The matrix and frontier reports. They share the comparison writers' words and number formats
// (report/WriterText.h), so a candidate's row reads as its own comparison does.
namespace deltascope::analysis {

using namespace report::writer;

namespace detail {

const char* verdictWords(const std::string& v)
{
    if (v == "degraded")
        return "degraded";
    if (v == "no_worse_than_margin")
        return "no worse than the margin";
    if (v == "inconclusive")
        return "inconclusive";
    return "no evidence";
}

std::string aligned(const std::vector<std::vector<std::string>>& rows, bool rightAlign)
{
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i)
                width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            const std::string pad(width[i] - r[i].size(), ' ');
            line += (i ? "  " : "") + ((i == 0 || !rightAlign) ? r[i] + pad : pad + r[i]);
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line + "\n";
    }
    return out;
}

namespace {

std::string mdRow(const std::vector<std::string>& cells)
{
    std::string s = "|";
    for (const auto& c : cells) {
        std::string e;
        for (const char ch : c)
            e += ch == '|' ? std::string("\\|") : std::string(1, ch);
        s += " " + e + " |";
    }
    return s + "\n";
}

} // namespace

std::string mdTable(const std::vector<std::vector<std::string>>& rows)
{
    std::string s;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        s += mdRow(rows[i]);
        if (i == 0) {
            s += "|";
            for (std::size_t k = 0; k < rows[0].size(); ++k)
                s += k == 0 ? " --- |" : " ---: |";
            s += "\n";
        }
    }
    return s;
}

} // namespace detail

using namespace detail;

namespace {

// A drop in its units: points for binary tasks, metric units otherwise.
std::string dropText(const MatrixRow& row, double v)
{
    return row.continuous ? fmt("%+.4g", v) : signedPct(v);
}

std::string cellText(const MatrixRow& row, const MatrixCell& c)
{
    if (!c.present)
        return "-";
    return dropText(row, c.delta) + " [" + dropText(row, c.ciLow) + ", " + dropText(row, c.ciHigh) + "] "
        + report::flagWord(c.flag);
}

std::string costText(double v)
{
    return std::isnan(v) ? std::string("-") : fmt("%.4g", v);
}

std::string costHeader(const CostColumn& c)
{
    return c.unit.empty() ? c.name : c.name + " (" + c.unit + (c.higherIsBetter ? ", higher is better)" : ")");
}

// Columns padded to their widest cell; the first column left-aligned, the others right-aligned.

std::string correctionText(const MatrixResult& r)
{
    if (r.request.alphaPerCandidate)
        return "none: each candidate is decided at alpha = " + fmt("%.3g", r.request.stats.alpha)
            + " on its own (the chance of a false alarm somewhere grows with the number of candidates)";
    return "Holm across the " + std::to_string(r.candidates.size())
        + " candidates at alpha = " + fmt("%.3g", r.request.stats.alpha)
        + " on each candidate's decision p (the smallest p of its three deciding tests times 3, the "
          "comparison's own Bonferroni factor; times 1 with one task)";
}

std::string tierList(const MatrixResult& r)
{
    std::string out;
    for (int t = 1; t <= r.tiers; ++t) {
        std::vector<std::pair<std::pair<int, double>, std::string>> members;
        for (const auto& c : r.candidates)
            if (c.tier == t)
                members.emplace_back(std::make_pair(-c.wins, c.score), c.name);
        if (members.empty())
            continue;
        std::stable_sort(
            members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> names;
        for (const auto& m : members)
            names.push_back(m.second);
        out += "  tier " + std::to_string(t) + ": " + joined(names, ", ") + "\n";
    }
    return out;
}

std::vector<std::string> candidateHeader(const MatrixResult& r)
{
    std::vector<std::string> h { "candidate", "verdict", "decision p",
        r.request.alphaPerCandidate ? "p used" : "Holm p", "tier", "z drop" };
    if (!r.request.stats.margins.empty())
        h.push_back(r.request.alphaPerCandidate ? "p no-worse" : "p no-worse (Holm)");
    for (const auto& c : r.costColumns)
        h.push_back(costHeader(c));
    return h;
}

std::vector<std::string> candidateCells(const MatrixResult& r, const MatrixCandidate& c)
{
    std::vector<std::string> row { c.name, verdictWords(c.verdict), pText(c.decisionP, c.lnDecisionP),
        pText(c.decisionPAdjusted, c.lnDecisionPAdjusted), std::to_string(c.tier), fmt("%+.3f", c.score) };
    if (!r.request.stats.margins.empty())
        row.push_back(pText(c.nonInferiorityPAdjusted, std::log(c.nonInferiorityPAdjusted)));
    for (double v : c.costs)
        row.push_back(costText(v));
    return row;
}

// The candidates' table: a header, then one row per candidate.
std::vector<std::vector<std::string>> candidateRows(const MatrixResult& r)
{
    std::vector<std::vector<std::string>> rows { candidateHeader(r) };
    for (const auto& c : r.candidates)
        rows.push_back(candidateCells(r, c));
    return rows;
}

// The tasks x candidates table: a header of candidate names, then one row per task.
std::vector<std::vector<std::string>> taskRows(const MatrixResult& r)
{
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header { "task" };
    for (const auto& c : r.candidates)
        header.push_back(c.name);
    table.push_back(header);
    for (const auto& row : r.rows) {
        std::vector<std::string> cells { row.label() };
        for (const auto& c : row.cells)
            cells.push_back(cellText(row, c));
        table.push_back(cells);
    }
    return table;
}

std::vector<std::string> pairCells(const MatrixResult& r, const PairTest& p)
{
    return { r.candidates[static_cast<std::size_t>(p.a)].name + " vs "
            + r.candidates[static_cast<std::size_t>(p.b)].name,
        p.method, std::to_string(p.n), std::to_string(p.aBetter), std::to_string(p.bBetter),
        pText(p.pValue, std::log(p.pValue)), pText(p.pHolm, std::log(p.pHolm)), p.separated ? "yes" : "no" };
}

const std::vector<std::string> kPairHeader { "pair (A vs B)", "test", "n", "A better", "B better", "p (two-sided)",
    "Holm p", "separated" };

std::string overallText(const MatrixResult& r)
{
    if (r.verdict == "degraded")
        return "DEGRADED: at least one candidate is worse than the baseline";
    if (r.verdict == "inconclusive")
        return "INCONCLUSIVE: no candidate is shown worse, but some are not shown within the margin";
    if (r.verdict == "no_worse_than_margin")
        return "NO WORSE THAN THE MARGIN: every candidate is shown within the margin";
    return "no evidence of degradation in any candidate (not evidence of no loss: see the intervals)";
}

// The axis' order of the cost columns: the chosen axis first.
int axisColumn(const MatrixResult& r, const std::string& axis)
{
    for (std::size_t i = 0; i < r.costColumns.size(); ++i)
        if (r.costColumns[i].name == axis)
            return static_cast<int>(i);
    return r.costColumns.empty() ? -1 : 0;
}

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const char* verdictColour(const std::string& v)
{
    if (v == "degraded")
        return "#D55E00";
    if (v == "inconclusive")
        return "#E69F00";
    if (v == "no_worse_than_margin")
        return "#009E73";
    return "#0072B2";
}

} // namespace

std::string matrixText(const MatrixResult& r, const MatrixWriteOptions&)
{
    std::ostringstream out;
    const auto& base = r.candidates.front().comparison.report.baseline;
    out << "baseline: " << (base.model.empty() ? base.path : base.model + " (" + base.path + ")") << "\n";
    out << "candidates: " << r.candidates.size() << "\n";
    out << "correction: " << correctionText(r) << "\n";
    const auto margins = marginTexts(r.request.stats.margins);
    if (!margins.empty())
        out << "margin: " << joined(margins, ", ") << "\n";
    out << "\nverdict: " << overallText(r) << "\n\n";

    out << aligned(candidateRows(r));

    out << "\ndrop against the baseline [95% interval] and flag, per task (binary tasks in accuracy points, others "
           "in metric units; positive = worse):\n";
    out << aligned(taskRows(r), false);

    if (!r.pairs.empty()) {
        out << "\ncandidates against each other (exact or sign-flip paired tests on the samples both share, Holm "
               "across pairs):\n";
        std::vector<std::vector<std::string>> pairs { kPairHeader };
        for (const auto& p : r.pairs)
            pairs.push_back(pairCells(r, p));
        out << aligned(pairs);
        out << "\ntiers (candidates in one tier are not separated by the data; best first):\n" << tierList(r);
    }
    for (const auto& w : r.warnings)
        out << w.toString() << "\n";
    return out.str();
}

std::string matrixJson(const MatrixResult& r, const MatrixWriteOptions& options)
{
    Json j;
    j["kind"] = "matrix";
    j["alpha"] = r.request.stats.alpha;
    j["correction"] = r.request.alphaPerCandidate ? "none" : "holm";
    j["margins"] = marginTexts(r.request.stats.margins);
    j["verdict"] = r.verdict;
    j["baseline"] = runJson(r.candidates.front().comparison.report.baseline);
    Json cands = Json::array();
    for (const auto& c : r.candidates) {
        Json cj;
        cj["name"] = c.name;
        cj["given_as"] = c.givenAs;
        cj["path"] = c.comparison.request.cand.path;
        cj["verdict"] = c.verdict;
        cj["verdict_alone"] = c.comparison.report.verdict;
        cj["decision_p"] = jnum(c.decisionP);
        cj["ln_decision_p"] = jnum(c.lnDecisionP);
        cj["decision_p_adjusted"] = jnum(c.decisionPAdjusted);
        cj["ln_decision_p_adjusted"] = jnum(c.lnDecisionPAdjusted);
        if (!r.request.stats.margins.empty()) {
            cj["noninferiority_p"] = jnum(c.nonInferiorityP);
            cj["noninferiority_p_adjusted"] = jnum(c.nonInferiorityPAdjusted);
        }
        cj["score"] = jnum(c.score);
        cj["wins"] = c.wins;
        cj["tier"] = c.tier;
        Json costs = Json::object();
        for (std::size_t i = 0; i < r.costColumns.size(); ++i)
            if (!std::isnan(c.costs[i]))
                costs[r.costColumns[i].name] = c.costs[i];
        cj["costs"] = costs;
        cj["comparison"] = Json::parse(report::toJson(c.comparison.report));
        cands.push_back(cj);
    }
    j["candidates"] = cands;
    Json rows = Json::array();
    for (const auto& row : r.rows) {
        Json rj;
        rj["task"] = row.task;
        rj["metric"] = row.metric;
        rj["kind"] = row.continuous ? "continuous" : "binary";
        Json cells = Json::array();
        for (const auto& c : row.cells) {
            Json cj;
            if (c.present) {
                cj["delta"] = jnum(c.delta);
                cj["ci95_low"] = jnum(c.ciLow);
                cj["ci95_high"] = jnum(c.ciHigh);
                cj["p_value"] = jnum(c.pValue);
            }
            cj["flag"] = report::flagWord(c.flag);
            cells.push_back(cj);
        }
        rj["cells"] = cells;
        rows.push_back(rj);
    }
    j["tasks"] = rows;
    Json pairs = Json::array();
    for (const auto& p : r.pairs)
        pairs.push_back({ { "a", r.candidates[static_cast<std::size_t>(p.a)].name },
            { "b", r.candidates[static_cast<std::size_t>(p.b)].name }, { "method", p.method }, { "n", p.n },
            { "a_better", p.aBetter }, { "b_better", p.bBetter }, { "statistic", jnum(p.statistic) },
            { "p_value", jnum(p.pValue) }, { "p_holm", jnum(p.pHolm) }, { "separated", p.separated } });
    j["pairs"] = pairs;
    j["tiers"] = r.tiers;
    Json cols = Json::array();
    for (const auto& c : r.costColumns)
        cols.push_back({ { "name", c.name }, { "unit", c.unit }, { "higher_is_better", c.higherIsBetter } });
    j["cost_columns"] = cols;
    if (const int axis = axisColumn(r, options.costAxis); axis >= 0 && !r.rows.empty()) {
        Json plot = Json::array();
        for (std::size_t row = 0; row < r.rows.size(); ++row)
            for (const auto& p : frontierPlot(r, row, r.costColumns[static_cast<std::size_t>(axis)].name))
                plot.push_back({ { "task", r.rows[row].task },
                    { "candidate", r.candidates[static_cast<std::size_t>(p.candidate)].name }, { "cost", p.cost },
                    { "drop", jnum(p.drop) }, { "pareto", p.pareto } });
        j["frontier"] = { { "cost_axis", r.costColumns[static_cast<std::size_t>(axis)].name }, { "points", plot } };
    }
    Json warnings = Json::array();
    for (const auto& w : r.warnings)
        warnings.push_back(w.toString());
    j["warnings"] = warnings;
    return jsonText(j, 2) + "\n";
}

std::string matrixCsv(const MatrixResult& r, const MatrixWriteOptions&)
{
    std::ostringstream out;
    out.precision(17);
    out << "task,metric,kind,candidate,present,delta,ci95_low,ci95_high,p_value,flag,verdict,verdict_alone,decision_p,"
           "decision_p_adjusted,noninferiority_p_adjusted,tier,score";
    for (const auto& c : r.costColumns)
        out << ',' << csvField(c.name);
    out << '\n';
    for (const auto& row : r.rows)
        for (std::size_t i = 0; i < r.candidates.size(); ++i) {
            const auto& c = r.candidates[i];
            const auto& cell = row.cells[i];
            out << csvField(row.task) << ',' << csvField(row.metric) << ','
                << (row.continuous ? "continuous" : "binary") << ',' << csvField(c.name) << ','
                << (cell.present ? "yes" : "no") << ',';
            if (cell.present)
                out << jnum(cell.delta) << ',' << jnum(cell.ciLow) << ',' << jnum(cell.ciHigh) << ','
                    << jnum(cell.pValue);
            else
                out << ",,,";
            out << ',' << report::flagWord(cell.flag) << ',' << c.verdict << ',' << c.comparison.report.verdict << ','
                << jnum(c.decisionP) << ',' << jnum(c.decisionPAdjusted) << ',';
            if (!r.request.stats.margins.empty())
                out << jnum(c.nonInferiorityPAdjusted);
            out << ',' << c.tier << ',' << jnum(c.score);
            for (double v : c.costs) {
                out << ',';
                if (!std::isnan(v))
                    out << v;
            }
            out << '\n';
        }
    return out.str();
}

std::string matrixMarkdown(const MatrixResult& r, const MatrixWriteOptions&)
{
    std::ostringstream out;
    out << "## Deltascope: " << r.candidates.size() << " candidates against one baseline\n\n";
    out << "**" << overallText(r) << "**\n\n";
    out << "Correction: " << correctionText(r) << ".\n\n";
    out << mdTable(candidateRows(r)) << "\n";
    out << "Drop against the baseline [95% interval] and flag (binary tasks in accuracy points; positive = worse):\n\n"
        << mdTable(taskRows(r)) << "\n";
    if (!r.pairs.empty()) {
        std::vector<std::vector<std::string>> pairs { kPairHeader };
        for (const auto& p : r.pairs)
            pairs.push_back(pairCells(r, p));
        out << "Candidates against each other (Holm across pairs):\n\n"
            << mdTable(pairs) << "\nTiers (not separated by the data within a tier):\n\n"
            << tierList(r) << "\n";
    }
    return out.str();
}

std::string frontierSvg(const MatrixResult& r, std::size_t row, const std::string& costColumn)
{
    const auto pts = frontierPlot(r, row, costColumn);
    if (pts.empty())
        return {};
    const int col = axisColumn(r, costColumn);
    const auto& column = r.costColumns[static_cast<std::size_t>(col)];
    double x0 = pts[0].cost, x1 = x0, y0 = std::min(0.0, pts[0].ciLow), y1 = std::max(0.0, pts[0].ciHigh);
    for (const auto& p : pts) {
        x0 = std::min(x0, p.cost);
        x1 = std::max(x1, p.cost);
        y0 = std::min(y0, std::isfinite(p.ciLow) ? p.ciLow : p.drop);
        y1 = std::max(y1, std::isfinite(p.ciHigh) ? p.ciHigh : p.drop);
    }
    if (x1 - x0 <= 0.0) {
        x0 -= 1.0;
        x1 += 1.0;
    }
    if (y1 - y0 <= 0.0)
        y1 = y0 + 1.0;
    const double padX = 0.08 * (x1 - x0), padY = 0.08 * (y1 - y0);
    x0 -= padX;
    x1 += padX;
    y0 -= padY;
    y1 += padY;
    const double W = 640, H = 400, L = 70, R = 20, T = 20, B = 50;
    auto sx = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    auto sy = [&](double y) { return T + (y1 - y) / (y1 - y0) * (H - T - B); };
    const auto& mrow = r.rows[row];
    const double unit = mrow.continuous ? 1.0 : 100.0;
    std::ostringstream s;
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
      << ' ' << H << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
      << "\" fill=\"none\" stroke=\"#57606a\"/>\n";
    for (int k = 0; k <= 4; ++k) {
        const double xv = x0 + (x1 - x0) * k / 4.0, yv = y0 + (y1 - y0) * k / 4.0;
        s << "<text x=\"" << sx(xv) << "\" y=\"" << H - B + 15 << "\" text-anchor=\"middle\">" << fmt("%.3g", xv)
          << "</text>\n";
        s << "<text x=\"" << L - 5 << "\" y=\"" << sy(yv) + 4 << "\" text-anchor=\"end\">" << fmt("%.3g", yv * unit)
          << "</text>\n";
    }
    s << "<line x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << sy(0) << "\" y2=\"" << sy(0)
      << "\" stroke=\"#8c959f\" stroke-dasharray=\"4 3\"/>\n";
    s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">"
      << escapeHtml(costHeader(column)) << "</text>\n";
    s << "<text transform=\"translate(14," << (T + H - B) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escapeHtml("drop, " + (mrow.continuous ? mrow.label() : mrow.task + " (points)")) << "</text>\n";
    std::vector<FrontierPlotPoint> front;
    for (const auto& p : pts)
        if (p.pareto)
            front.push_back(p);
    std::sort(front.begin(), front.end(), [](const auto& a, const auto& b) { return a.cost < b.cost; });
    if (front.size() > 1) {
        s << "<polyline fill=\"none\" stroke=\"#1b1f24\" stroke-width=\"1.5\" points=\"";
        for (const auto& p : front)
            s << sx(p.cost) << ',' << sy(p.drop) << ' ';
        s << "\"/>\n";
    }
    for (const auto& p : pts) {
        const char* colour = verdictColour(p.verdict);
        if (std::isfinite(p.ciLow) && std::isfinite(p.ciHigh))
            s << "<line x1=\"" << sx(p.cost) << "\" x2=\"" << sx(p.cost) << "\" y1=\"" << sy(p.ciLow) << "\" y2=\""
              << sy(p.ciHigh) << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n";
        s << "<circle cx=\"" << sx(p.cost) << "\" cy=\"" << sy(p.drop) << "\" r=\"5\" fill=\"" << colour << "\""
          << (p.pareto ? " stroke=\"#1b1f24\" stroke-width=\"1.5\"" : "") << "><title>"
          << escapeHtml(r.candidates[static_cast<std::size_t>(p.candidate)].name + ": " + verdictWords(p.verdict))
          << "</title></circle>\n";
        s << "<text x=\"" << sx(p.cost) + 7 << "\" y=\"" << sy(p.drop) - 6 << "\">"
          << escapeHtml(r.candidates[static_cast<std::size_t>(p.candidate)].name) << "</text>\n";
    }
    s << "</svg>\n";
    return s.str();
}

std::string matrixHtml(const MatrixResult& r, const MatrixWriteOptions& options)
{
    auto e = [](const std::string& t) { return escapeHtml(t); };
    auto table = [&](const std::vector<std::vector<std::string>>& rows) {
        std::string s = "<table>\n";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            s += "<tr>";
            for (std::size_t k = 0; k < rows[i].size(); ++k) {
                const char* tag = i == 0 ? "th" : "td";
                s += std::string("<") + tag + (k == 0 ? " class=\"l\">" : ">") + e(rows[i][k]) + "</" + tag + ">";
            }
            s += "</tr>\n";
        }
        return s + "</table>\n";
    };
    const char* cls = r.verdict == "degraded" ? "bad"
        : r.verdict == "inconclusive"         ? "unsure"
        : r.verdict == "no_worse_than_margin" ? "good"
                                              : "neutral";
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Deltascope: "
        << r.candidates.size() << " candidates</title>\n<style>\n"
        << "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1b1f24}\n"
           "h2{font-size:1.15em;border-bottom:1px solid #d0d7de}\n"
           ".verdict{padding:.8em 1em;border-radius:6px;font-weight:600}\n"
           ".bad{background:#ffebe9;border:1px solid #cf222e}.good{background:#dafbe1;border:1px solid #1a7f37}"
           ".unsure{background:#fff8c5;border:1px solid #9a6700}.neutral{background:#f6f8fa;border:1px solid #57606a}\n"
           "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.25em .6em;"
           "text-align:right}th{background:#f6f8fa}.l{text-align:left}\n</style></head><body>\n";
    out << "<h1>" << r.candidates.size() << " candidates against one baseline</h1>\n";
    out << "<div class=\"verdict " << cls << "\">" << e(overallText(r)) << "</div>\n";
    out << "<p>Correction: " << e(correctionText(r)) << ".</p>\n";
    out << "<h2>Candidates</h2>\n";
    out << table(candidateRows(r));
    out << "<h2>Tasks</h2>\n<p>Drop against the baseline [95% interval] and flag (binary tasks in accuracy points, "
           "others in metric units; positive = worse).</p>\n";
    out << table(taskRows(r));
    if (const int axis = axisColumn(r, options.costAxis); axis >= 0)
        for (std::size_t row = 0; row < r.rows.size(); ++row) {
            const auto svg = frontierSvg(r, row, r.costColumns[static_cast<std::size_t>(axis)].name);
            if (svg.empty())
                continue;
            out << "<h2>Frontier: " << e(r.rows[row].task) << "</h2>\n<figure>" << svg
                << "<figcaption>Drop and its 95% interval against "
                << e(costHeader(r.costColumns[static_cast<std::size_t>(axis)]))
                << "; colour: verdict (vermillion degraded, orange inconclusive, green no worse than the margin, blue "
                   "no evidence); outlined points and the line: the Pareto front.</figcaption></figure>\n";
        }
    if (!r.pairs.empty()) {
        out << "<h2>Candidates against each other</h2>\n";
        std::vector<std::vector<std::string>> pairs { kPairHeader };
        for (const auto& p : r.pairs)
            pairs.push_back(pairCells(r, p));
        out << table(pairs) << "<p>Tiers (candidates in one tier are not separated by the data):</p>\n<pre>"
            << e(tierList(r)) << "</pre>\n";
    }
    for (const auto& w : r.warnings)
        out << "<p>" << e(w.toString()) << "</p>\n";
    out << "<p>Written by Deltascope.</p>\n</body></html>\n";
    return out.str();
}

} // namespace deltascope::analysis
