// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/ComparisonExports.h"

#include "analysis/Comparison.h"
#include "export/ExportFiles.h"
#include "report/ReportWriters.h"

#include <QTextDocument>
#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

namespace deltascope::ui::exporter {

namespace {

// The disagreements a report lists, most telling first: the regressions of the tasks flagged
// worse, then of suggestive tasks, then the other regressions, then the improvements (each group
// in the comparison's order). Returns the header row and at most `limit` rows; `note` says which.
std::vector<std::vector<std::string>> topDisagreements(const Comparison& c, std::size_t limit, std::string& note)
{
    // A keep-list's excluded samples are a row of their own, with their own flag.
    std::map<std::tuple<std::string, std::string, bool>, report::TaskFlag> flagOf;
    for (const auto& t : c.report.tasks)
        flagOf.emplace(std::tuple(t.task, t.filter, t.audit), t.flag);
    const auto rank = [&](const report::Disagreement& d) {
        const auto& pt = c.paired->tasks[d.task];
        const auto it = flagOf.find(std::tuple(pt.task, pt.filter, pt.audit));
        const int task = it == flagOf.end()              ? 2
            : it->second == report::TaskFlag::Worse      ? 0
            : it->second == report::TaskFlag::Suggestive ? 1
                                                         : 2;
        return d.direction > 0 ? task : 3;
    };
    std::vector<std::size_t> order(c.flips->size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    std::stable_sort(order.begin(), order.end(),
        [&](std::size_t a, std::size_t b) { return rank((*c.flips)[a]) < rank((*c.flips)[b]); });
    std::vector<std::vector<std::string>> rows;
    rows.push_back({ "task", "doc id", "baseline", "candidate", "direction" });
    for (const std::size_t i : order) {
        if (rows.size() > limit)
            break;
        const auto& d = (*c.flips)[i];
        const auto& pt = c.paired->tasks[d.task];
        const auto& s = c.base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[d.pair]];
        rows.push_back({ (pt.filter == "none" ? pt.task : pt.task + " [" + pt.filter + "]")
                + (pt.audit ? " (excluded by the keep-list)" : ""),
            s.docId, formatNumber(d.base), formatNumber(d.cand), d.direction > 0 ? "regression" : "improvement" });
    }
    const std::size_t shown = rows.size() - 1;
    note = shown < order.size()
        ? "The first " + std::to_string(shown) + " of " + std::to_string(order.size())
            + " disagreements: the regressions of the tasks flagged worse first, then those of suggestive "
              "tasks, the other regressions and the improvements. All of them: File > Export disagreements "
              "(CSV) in the window."
        : "All " + std::to_string(order.size()) + " disagreements, regressions of the tasks flagged worse first.";
    return rows;
}

std::string htmlText(const Comparison& c, const QList<ReportPlot>& plots, bool embed, QTextDocument* doc)
{
    std::string note;
    auto rows = topDisagreements(c, 50, note);
    return report::toHtml(c.report, figuresOf(plots, embed ? nullptr : doc), reportSettings(c), rows, note);
}

} // namespace

std::vector<std::pair<std::string, std::string>> reportSettings(const Comparison& c)
{
    std::vector<std::pair<std::string, std::string>> s;
    const auto& r = c.report;
    s.emplace_back("alpha", QString::number(r.alpha, 'g', 6).toStdString());
    s.emplace_back("method", r.method);
    s.emplace_back("each deciding test at",
        (r.decisionLevel < r.alpha ? "alpha/3 = " : "alpha = ")
            + QString::number(r.decisionLevel, 'g', 3).toStdString());
    s.emplace_back("paired samples", std::to_string(c.pairCount()));
    s.emplace_back("tasks", std::to_string(r.tasks.size()));
    if (const auto& margins = c.analysis.request.stats.margins; !margins.empty()) {
        std::string text;
        for (const auto& m : analysis::marginTexts(margins))
            text += (text.empty() ? "" : ", ") + m;
        s.emplace_back("margins", text);
    }
    if (const auto& key = c.analysis.request.base.load.clusterKey; !key.empty())
        s.emplace_back("clusters by", key);
    if (r.permutation.present) {
        const auto& p = r.permutation;
        s.emplace_back("permutations",
            p.exhaustive ? std::string("every sign pattern (exact)")
                         : std::to_string(p.permutations) + " run (" + std::to_string(p.requested) + " asked, at most "
                    + std::to_string(p.maxPermutations) + ")");
        s.emplace_back("seed", std::to_string(p.seed));
        s.emplace_back("verdict", r.stable ? "stable" : "unstable: depends on the permutation seed");
    }
    s.emplace_back("baseline input", c.baseSpec.path.toStdString());
    s.emplace_back("candidate input", c.candSpec.path.toStdString());
    return s;
}

QString html(const QString& path, const Comparison& c, const QList<ReportPlot>& plots)
{
    return writeFile(path, QByteArray::fromStdString(htmlText(c, plots, true, nullptr)));
}

QString pdf(const QString& path, const Comparison& c, const QList<ReportPlot>& plots)
{
    QTextDocument doc;
    return printPdf(path, doc, QString::fromStdString(htmlText(c, plots, false, &doc)));
}

QString json(const QString& path, const Comparison& c)
{
    return writeFile(path, QByteArray::fromStdString(report::toJson(c.report)));
}

QString disagreementsCsv(const QString& path, const Comparison& c, const std::vector<report::Disagreement>& rows)
{
    std::string out = "task,filter,doc_id,baseline,candidate,drop,direction\n";
    for (const auto& d : rows.empty() ? *c.flips : rows) {
        const auto& pt = c.paired->tasks[d.task];
        const auto& s = c.base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[d.pair]];
        out += csvField(QString::fromStdString(pt.task)) + ',' + csvField(QString::fromStdString(pt.filter)) + ','
            + csvField(QString::fromStdString(s.docId)) + ',' + formatNumber(d.base) + ',' + formatNumber(d.cand) + ','
            + formatNumber(d.drop) + ',' + (d.direction > 0 ? "regression" : (d.direction < 0 ? "improvement" : "same"))
            + '\n';
    }
    return writeFile(path, QByteArray::fromStdString(out));
}

} // namespace deltascope::ui::exporter
