// SPDX-License-Identifier: GPL-3.0-or-later
// The expert-budget frontier's reports: one row per budget above the matrix of its runs.
#include "analysis/MatrixWriterParts.h"
#include "analysis/MatrixWriters.h"
#include "common/JsonText.h"
#include "report/ReportWriters.h"
#include "report/WriterText.h"

#include <sstream>

namespace deltascope::analysis {

using namespace report::writer;
using namespace detail;

namespace {

std::vector<std::string> kFrontierHeader { "budget", "candidate", "activated/slice", "top-k/slice", "saved",
    "mass kept", "verdict", "passes", "claimed" };

std::vector<std::string> frontierCells(const FrontierResult& r, const FrontierPoint& p)
{
    const double slices = r.sharing.xshare ? static_cast<double>(r.sharing.xshare->sliceCount) : 0.0;
    auto perSlice = [&](std::int64_t v) { return slices > 0 ? fmt("%.2f", static_cast<double>(v) / slices) : "-"; };
    return { std::to_string(p.budget), p.name, perSlice(p.sharing.activated), perSlice(p.sharing.activatedBase),
        pct(p.sharing.reduction) + "%", pct(p.sharing.massRetained) + "%", verdictWords(p.verdict),
        p.passes ? "yes" : "no", p.acceptable ? "yes" : "no" };
}

} // namespace

std::string frontierText(const FrontierResult& r)
{
    std::ostringstream out;
    out << "expert-budget frontier: " << r.points.size() << " budgets on " << r.sharing.prepared.tracePath << "\n";
    out << "criterion: " << (r.criterion == "no_worse_than_margin" ? "no worse than the margin" : r.criterion)
        << "; each budget at alpha = " << fmt("%g", r.matrix.request.stats.alpha)
        << ", walked from the largest budget down, stopping at the first that fails (fixed-sequence testing)\n\n";
    std::vector<std::vector<std::string>> rows { kFrontierHeader };
    for (const auto& p : r.points)
        rows.push_back(frontierCells(r, p));
    out << aligned(rows) << "\n" << r.answer << "\n\n" << matrixText(r.matrix);
    return out.str();
}

std::string frontierJson(const FrontierResult& r)
{
    Json j;
    j["kind"] = "frontier";
    j["trace"] = r.sharing.prepared.tracePath;
    j["criterion"] = r.criterion;
    j["slices"] = r.sharing.xshare ? r.sharing.xshare->sliceCount : 0;
    Json pts = Json::array();
    for (const auto& p : r.points)
        pts.push_back({ { "budget", p.budget }, { "candidate", p.name }, { "activated", p.sharing.activated },
            { "activated_base", p.sharing.activatedBase }, { "reduction", jnum(p.sharing.reduction) },
            { "mass_retained", jnum(p.sharing.massRetained) }, { "verdict", p.verdict }, { "passes", p.passes },
            { "acceptable", p.acceptable } });
    j["points"] = pts;
    if (r.chosen)
        j["chosen"] = { { "budget", r.points[*r.chosen].budget }, { "candidate", r.points[*r.chosen].name } };
    else
        j["chosen"] = nullptr;
    j["passing_below"] = r.passingBelow;
    j["answer"] = r.answer;
    j["matrix"] = Json::parse(matrixJson(r.matrix));
    return jsonText(j, 2) + "\n";
}

std::string frontierCsv(const FrontierResult& r)
{
    std::ostringstream out;
    out.precision(17);
    out << "budget,candidate,activated,activated_base,slices,reduction,mass_retained,verdict,passes,acceptable,"
           "chosen\n";
    for (std::size_t i = 0; i < r.points.size(); ++i) {
        const auto& p = r.points[i];
        out << p.budget << ',' << csvField(p.name) << ',' << p.sharing.activated << ',' << p.sharing.activatedBase
            << ',' << (r.sharing.xshare ? r.sharing.xshare->sliceCount : 0) << ',' << jnum(p.sharing.reduction) << ','
            << jnum(p.sharing.massRetained) << ',' << p.verdict << ',' << (p.passes ? "yes" : "no") << ','
            << (p.acceptable ? "yes" : "no") << ',' << (r.chosen && *r.chosen == i ? "yes" : "no") << '\n';
    }
    return out.str();
}

std::string frontierMarkdown(const FrontierResult& r)
{
    std::vector<std::vector<std::string>> rows { kFrontierHeader };
    for (const auto& p : r.points)
        rows.push_back(frontierCells(r, p));
    return "## Deltascope: the expert-budget frontier\n\n" + mdTable(rows) + "\n**" + r.answer + "**\n\n"
        + matrixMarkdown(r.matrix);
}

std::string frontierHtml(const FrontierResult& r)
{
    std::string page = matrixHtml(r.matrix, { "activated_experts" });
    std::ostringstream block;
    block << "<h1>The expert-budget frontier</h1>\n<div class=\"verdict " << (r.chosen ? "good" : "unsure") << "\">"
          << escapeHtml(r.answer) << "</div>\n<table>\n<tr>";
    for (const auto& h : kFrontierHeader)
        block << "<th>" << escapeHtml(h) << "</th>";
    block << "</tr>\n";
    for (const auto& p : r.points) {
        block << "<tr>";
        for (const auto& c : frontierCells(r, p))
            block << "<td>" << escapeHtml(c) << "</td>";
        block << "</tr>\n";
    }
    block << "</table>\n<p>Trace: " << escapeHtml(r.sharing.prepared.tracePath) << ".</p>\n";
    const auto body = page.find("<body>\n");
    if (body != std::string::npos)
        page.insert(body + 7, block.str());
    return page;
}

} // namespace deltascope::analysis
