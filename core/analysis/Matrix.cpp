// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/Matrix.h"

#include "common/TextUtil.h"
#include "eval/RunDiscovery.h"
#include "stats/Holm.h"
#include "stats/McNemar.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace deltascope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A share [from, from + span] of the whole progress, its stages prefixed with `what`.
Progress share(const Progress& whole, double from, double span, std::string what)
{
    Progress p;
    if (whole.callback)
        p.callback = [cb = whole.callback, from, span, what = std::move(what)](double f, std::string_view stage) {
            const std::string label = stage.empty() ? what : what + ": " + std::string(stage);
            return cb(f < 0 ? -1.0 : from + span * f, label);
        };
    return p;
}

std::string canonical(const std::string& path)
{
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : c.string();
}

// What identifies a discovered run on disk, whichever path led to it.
std::string runIdentity(const eval::RunCandidate& run)
{
    if (!run.inspectLog.empty())
        return canonical(run.inspectLog);
    if (!run.resultsFile.empty())
        return canonical(run.resultsFile);
    return canonical(run.dir) + "@" + run.timestamp;
}

// "org/model-FP8" or "/output/org/model-FP8" -> "model-FP8".
std::string shortModel(const std::string& model)
{
    std::string m = model;
    while (!m.empty() && m.back() == '/')
        m.pop_back();
    return baseName(m);
}

std::string stemOf(const std::string& path)
{
    std::string p = path;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return std::filesystem::path(p).stem().string();
}

// The oriented drop of each sample of a task in `paired`, keyed by the baseline sample it pairs.
struct TaskDrops {
    bool binary = true;
    std::unordered_map<std::uint32_t, double> byBaseSample;
    /// With --cluster: the cluster of each baseline sample, by name (cluster indices differ from one
    /// pairing to the next; names do not).
    std::unordered_map<std::uint32_t, std::string> clusterOf;
};

std::string taskKey(const eval::PairedTask& t)
{
    return t.task + "\x1f" + t.filter
        + (t.audit ? "\x1f"
                     "audit"
                   : "");
}

std::map<std::string, TaskDrops> dropsOf(const eval::PairedRuns& paired)
{
    std::map<std::string, TaskDrops> out;
    for (const auto& t : paired.tasks) {
        auto& d = out[taskKey(t)];
        d.binary = t.binary;
        d.byBaseSample.reserve(t.base.size());
        for (std::size_t i = 0; i < t.base.size(); ++i) {
            d.byBaseSample.emplace(t.baseIndex[i], t.difference(i));
            if (i < t.cluster.size())
                d.clusterOf.emplace(t.baseIndex[i], t.clusterNames[t.cluster[i]]);
        }
    }
    return out;
}

// Stouffer's combination of the tasks' studentized drops (DESIGN 3.3): the ordering statistic.
double stoufferScore(const eval::PairedRuns& paired)
{
    double sum = 0.0;
    int tasks = 0;
    for (const auto& t : paired.tasks) {
        if (t.base.empty())
            continue;
        double s = 0.0, q = 0.0;
        for (std::size_t i = 0; i < t.base.size(); ++i) {
            const double d = t.difference(i);
            if (!std::isfinite(d))
                continue;
            s += d;
            q += d * d;
        }
        sum += q > 0.0 ? s / std::sqrt(q) : 0.0;
        ++tasks;
    }
    return tasks > 0 ? sum / std::sqrt(static_cast<double>(tasks)) : 0.0;
}

Result<PairTest> testPair(int a, int b, const std::map<std::string, TaskDrops>& da,
    const std::map<std::string, TaskDrops>& db, const StatsRequest& stats, const backend::ComputeBackend& compute)
{
    PairTest pt;
    pt.a = a;
    pt.b = b;
    bool allBinary = true;
    bool clustered = false;
    std::vector<std::vector<double>> perTask; // e = drop of b - drop of a: positive where a is better
    for (const auto& [key, ta] : da) {
        const auto it = db.find(key);
        if (it == db.end())
            continue;
        const auto& tb = it->second;
        std::vector<double> e;
        // Clustered samples are not independent: the test flips whole clusters (their sums).
        std::map<std::string, double> byCluster;
        for (const auto& [sample, dropA] : ta.byBaseSample) {
            const auto other = tb.byBaseSample.find(sample);
            if (other == tb.byBaseSample.end())
                continue;
            const double v = other->second - dropA;
            if (!std::isfinite(v))
                continue; // both infinitely bad: no information on which is better
            pt.aBetter += v > 0.0 ? 1 : 0;
            pt.bBetter += v < 0.0 ? 1 : 0;
            ++pt.n;
            if (const auto c = ta.clusterOf.find(sample); c != ta.clusterOf.end())
                byCluster[c->second] += v;
            else
                e.push_back(v);
        }
        if (!byCluster.empty()) {
            clustered = true;
            for (const auto& [name, sum] : byCluster)
                e.push_back(sum);
        }
        allBinary = allBinary && ta.binary && tb.binary;
        // The map's iteration order is not the samples' order; sorting makes the sign-flip stream
        // meet the same values in the same order on every run.
        std::sort(e.begin(), e.end());
        perTask.push_back(std::move(e));
    }
    Result<PairTest> r;
    if (allBinary && !clustered) {
        pt.method = "McNemar, exact";
        pt.statistic = static_cast<double>(pt.aBetter - pt.bBetter);
        pt.pValue = pt.n > 0 ? stats::mcnemar(pt.bBetter, pt.aBetter, pt.n).pTwoSided : 1.0;
        r.value = pt;
        return r;
    }
    pt.method = clustered ? "sign-flip over clusters" : "sign-flip, studentized";
    std::vector<double> d;
    double stat = 0.0;
    int tasks = 0;
    for (const auto& e : perTask) {
        double s = 0.0, q = 0.0;
        for (double v : e) {
            s += v;
            q += v * v;
        }
        if (q <= 0.0)
            continue;
        const double scale = 1.0 / std::sqrt(q);
        for (double v : e)
            if (v != 0.0)
                d.push_back(v * scale);
        stat += s * scale;
        ++tasks;
    }
    pt.statistic = tasks > 0 ? stat / std::sqrt(static_cast<double>(tasks)) : 0.0;
    if (d.empty()) {
        r.value = pt;
        return r;
    }
    stats::SignFlipOptions o;
    o.permutations = stats.permutations;
    o.seed = stats.seed;
    o.threads = stats.threads;
    auto flip = compute.signFlip(d, {}, o);
    if (!flip.ok())
        return Result<PairTest>::failure(*flip.error);
    pt.pValue = std::min(1.0, 2.0 * std::min(flip.value->pValue, flip.value->pValueLower));
    r.value = pt;
    return r;
}

// Tiers (see MatrixResult::pairs): most net wins first; a candidate goes one tier below the lowest
// earlier candidate the data separate it from.
int assignTiers(std::vector<MatrixCandidate>& cands, const std::vector<PairTest>& pairs)
{
    const int n = static_cast<int>(cands.size());
    for (auto& c : cands)
        c.wins = 0;
    for (const auto& p : pairs) {
        const int sign = p.statistic > 0.0 ? 1 : (p.statistic < 0.0 ? -1 : 0);
        cands[static_cast<std::size_t>(p.a)].wins += sign;
        cands[static_cast<std::size_t>(p.b)].wins -= sign;
    }
    std::vector<int> order(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        order[static_cast<std::size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
        const auto& cx = cands[static_cast<std::size_t>(x)];
        const auto& cy = cands[static_cast<std::size_t>(y)];
        return cx.wins != cy.wins ? cx.wins > cy.wins : cx.score < cy.score;
    });
    std::vector<std::vector<bool>> sep(static_cast<std::size_t>(n), std::vector<bool>(static_cast<std::size_t>(n)));
    for (const auto& p : pairs)
        sep[static_cast<std::size_t>(p.a)][static_cast<std::size_t>(p.b)]
            = sep[static_cast<std::size_t>(p.b)][static_cast<std::size_t>(p.a)] = p.separated;
    int tiers = n > 0 ? 1 : 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const auto c = static_cast<std::size_t>(order[k]);
        int tier = 1;
        for (std::size_t j = 0; j < k; ++j) {
            const auto e = static_cast<std::size_t>(order[j]);
            if (sep[c][e])
                tier = std::max(tier, cands[e].tier + 1);
        }
        cands[c].tier = tier;
        tiers = std::max(tiers, tier);
    }
    return tiers;
}

void decideCandidates(std::vector<MatrixCandidate>& cands, const MatrixRequest& request)
{
    const double alpha = request.stats.alpha;
    std::vector<double> lnP, pNi;
    for (const auto& c : cands) {
        lnP.push_back(c.lnDecisionP);
        pNi.push_back(c.nonInferiorityP);
    }
    const auto lnAdj = request.alphaPerCandidate ? lnP : stats::holmAdjustLog(lnP);
    const auto niAdj = request.alphaPerCandidate ? pNi : stats::holmAdjust(pNi);
    const bool margin = !request.stats.margins.empty();
    for (std::size_t i = 0; i < cands.size(); ++i) {
        auto& c = cands[i];
        c.lnDecisionPAdjusted = lnAdj[i];
        c.decisionPAdjusted = std::exp(lnAdj[i]);
        c.nonInferiorityPAdjusted = niAdj[i];
        if (request.alphaPerCandidate)
            c.verdict = c.comparison.report.verdict;
        else if (lnAdj[i] < std::log(alpha))
            c.verdict = "degraded";
        else if (!margin)
            c.verdict = "no_evidence";
        else
            c.verdict = niAdj[i] < alpha ? "no_worse_than_margin" : "inconclusive";
    }
}

} // namespace

Result<std::vector<NamedCandidate>> expandCandidates(const MatrixRequest& request)
{
    using R = Result<std::vector<NamedCandidate>>;
    std::set<std::string> baseRuns;
    if (auto found = eval::discoverRuns(request.base.path); found.ok())
        for (const auto& run : *found.value)
            if (request.base.load.runTimestamp.empty() || run.key() == request.base.load.runTimestamp)
                baseRuns.insert(runIdentity(run));
    R r;
    r.value.emplace();
    auto& out = *r.value;
    for (const auto& side : request.candidates) {
        std::vector<eval::RunCandidate> runs;
        std::set<std::string> models;
        if (std::filesystem::is_directory(side.path) && side.load.runTimestamp.empty())
            if (auto found = eval::discoverRuns(side.path); found.ok())
                for (auto& run : *found.value) {
                    models.insert(run.model);
                    runs.push_back(std::move(run));
                }
        if (models.size() > 1) {
            bool any = false;
            for (const auto& run : runs) {
                if (baseRuns.count(runIdentity(run)))
                    continue;
                NamedCandidate c;
                c.side = side;
                c.side.path = run.inspectLog.empty() ? run.dir : run.inspectLog;
                if (run.format.empty() && run.inspectLog.empty())
                    c.side.load.runTimestamp = run.timestamp;
                c.name = run.model.empty() ? stemOf(c.side.path) : shortModel(run.model);
                c.givenAs = side.path;
                out.push_back(std::move(c));
                any = true;
            }
            if (!any)
                r.warnings.push_back(Diagnostic::warning(side.path, 0, "holds only the baseline's run"));
            continue;
        }
        NamedCandidate c;
        c.side = side;
        c.givenAs = side.path;
        c.name = models.size() == 1 && !models.begin()->empty() ? shortModel(*models.begin()) : stemOf(side.path);
        out.push_back(std::move(c));
    }
    if (out.empty())
        return R::failure(Diagnostic::error({}, 0, "no candidate is left to compare with the baseline"));
    std::map<std::string, int> seen;
    for (auto& c : out)
        if (const int k = ++seen[c.name]; k > 1)
            c.name += " #" + std::to_string(k);
    return r;
}

std::optional<Diagnostic> checkMatrixRequest(const MatrixRequest& request)
{
    if (request.candidates.empty())
        return Diagnostic::error({}, 0, "a matrix needs at least one candidate");
    ComparisonRequest one;
    one.base = request.base;
    one.cand = request.candidates.front();
    one.stats = request.stats;
    return checkComparisonRequest(one);
}

std::vector<std::size_t> candidatesNamed(const std::vector<MatrixCandidate>& candidates, const std::string& name)
{
    std::vector<std::size_t> exact, tail;
    if (name.empty())
        return exact;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& c = candidates[i];
        if (name == c.name || name == c.givenAs || name == c.comparison.request.cand.path) {
            exact.push_back(i);
            continue;
        }
        const auto& n = c.name;
        if (n.size() > name.size() && n.compare(n.size() - name.size(), name.size(), name) == 0
            && std::string_view("-_./ ").find(n[n.size() - name.size() - 1]) != std::string_view::npos)
            tail.push_back(i);
    }
    return exact.empty() ? tail : exact;
}

Result<MatrixResult> runMatrix(
    const MatrixRequest& request, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<MatrixResult>;
    const auto t0 = std::chrono::steady_clock::now();
    if (auto bad = checkMatrixRequest(request))
        return R::failure(*bad);
    auto expanded = expandCandidates(request);
    if (!expanded.ok())
        return R::failure(*expanded.error);
    MatrixResult out;
    out.request = request;
    out.warnings = expanded.warnings;
    const auto& named = *expanded.value;

    ComparisonRequest first;
    first.base = request.base;
    first.cand = named.front().side;
    first.keepListPath = request.keepListPath;
    first.stats = request.stats;
    auto base = loadBaseline(first, share(progress, 0.0, 0.1, "baseline"));
    if (!base.ok())
        return R::failure(*base.error);

    const double perCandidate = 0.8 / static_cast<double>(named.size());
    std::vector<double> mcLow, mcHigh; // 99% Monte Carlo bounds of each decision p
    std::vector<std::map<std::string, TaskDrops>> drops;
    for (std::size_t i = 0; i < named.size(); ++i) {
        ComparisonRequest one = first;
        one.cand = named[i].side;
        const double from = 0.1 + perCandidate * static_cast<double>(i);
        const Progress part = share(progress, from, perCandidate, named[i].name);
        auto loaded = loadAgainstBaseline(one, *base.value, part);
        if (!loaded.ok()) {
            auto e = *loaded.error;
            e.message = named[i].name + ": " + e.message;
            return R::failure(e);
        }
        auto rep = testComparison(**loaded.value, one.stats, compute,
            share(progress, from + 0.9 * perCandidate, 0.1 * perCandidate, named[i].name + ": testing"));
        if (!rep.ok()) {
            auto e = *rep.error;
            e.message = named[i].name + ": " + e.message;
            return R::failure(e);
        }
        MatrixCandidate c;
        c.name = named[i].name;
        c.givenAs = named[i].givenAs;
        c.comparison = ComparisonResult { one, *loaded.value, std::move(*rep.value), {} };
        c.comparison.ranOn = c.comparison.report.ranOn;
        const auto& report = c.comparison.report;
        double minLn = 0.0, low = 1.0, high = 1.0;
        for (const auto& d : report.decision) {
            minLn = std::min(minLn, d.lnP);
            low = std::min(low, d.monteCarlo ? d.pMcLow : d.pValue);
            high = std::min(high, d.monteCarlo ? d.pMcHigh : d.pValue);
        }
        const double factor = report.alpha / report.decisionLevel;
        c.lnDecisionP = std::min(0.0, minLn + std::log(factor));
        mcLow.push_back(std::min(1.0, low * factor));
        mcHigh.push_back(std::min(1.0, high * factor));
        c.decisionP = std::exp(c.lnDecisionP);
        if (report.hasMargin && report.untested.empty()) {
            c.nonInferiorityP = 0.0;
            for (const auto& t : report.tasks)
                if (t.n > 0)
                    c.nonInferiorityP = std::max(c.nonInferiorityP, t.hasMargin ? t.pNonInferiority : 1.0);
        }
        c.score = stoufferScore(*c.comparison.loaded->paired);
        drops.push_back(dropsOf(*c.comparison.loaded->paired));
        out.candidates.push_back(std::move(c));
    }
    decideCandidates(out.candidates, request);
    // A permutation p-value's Monte Carlo error can move a candidate across the corrected level even
    // when its own comparison is stable (the permutations extend around alpha/3, not around Holm's
    // levels): say so when the two ends of the intervals decide differently.
    if (!request.alphaPerCandidate && mcLow != mcHigh) {
        const auto lowAdj = stats::holmAdjust(mcLow);
        const auto highAdj = stats::holmAdjust(mcHigh);
        for (std::size_t i = 0; i < out.candidates.size(); ++i)
            if ((lowAdj[i] < request.stats.alpha) != (highAdj[i] < request.stats.alpha))
                out.warnings.push_back(Diagnostic::warning({}, 0,
                    out.candidates[i].name
                        + ": the verdict after the correction across candidates may depend on the permutation "
                          "seed (its p-value's Monte Carlo interval straddles the corrected level); run more "
                          "permutations"));
    }

    // The tasks x candidates table, in the order the reports list their tasks.
    for (std::size_t i = 0; i < out.candidates.size(); ++i)
        for (const auto& t : out.candidates[i].comparison.report.tasks) {
            auto row
                = std::find_if(out.rows.begin(), out.rows.end(), [&](const MatrixRow& r) { return r.task == t.key(); });
            if (row == out.rows.end()) {
                out.rows.push_back({ t.key(), t.metric, t.continuous, std::vector<MatrixCell>(out.candidates.size()),
                    !t.corpusMetric.empty() });
                row = out.rows.end() - 1;
            }
            auto& cell = row->cells[i];
            cell.present = t.n > 0;
            cell.delta = t.delta;
            cell.ciLow = t.ciLow;
            cell.ciHigh = t.ciHigh;
            cell.upper = t.upperBound;
            cell.pValue = t.pValue;
            cell.flag = t.flag;
            if (cell.flag == report::TaskFlag::Worse && out.candidates[i].verdict != "degraded")
                cell.flag = report::TaskFlag::Suggestive;
        }

    if (request.compareCandidates && out.candidates.size() > 1) {
        if (!progress.report(0.9, "candidates against each other"))
            return R::failure(Diagnostic::error({}, 0, "cancelled"));
        for (std::size_t a = 0; a < out.candidates.size(); ++a)
            for (std::size_t b = a + 1; b < out.candidates.size(); ++b) {
                auto pt
                    = testPair(static_cast<int>(a), static_cast<int>(b), drops[a], drops[b], request.stats, compute);
                if (!pt.ok())
                    return R::failure(*pt.error);
                out.pairs.push_back(*pt.value);
            }
        std::vector<double> p;
        for (const auto& pt : out.pairs)
            p.push_back(pt.pValue);
        const auto adj = stats::holmAdjust(p);
        for (std::size_t k = 0; k < out.pairs.size(); ++k) {
            out.pairs[k].pHolm = adj[k];
            out.pairs[k].separated = adj[k] < request.stats.alpha;
        }
    }
    out.tiers = assignTiers(out.candidates, out.pairs);

    out.costColumns = request.costs.columns;
    // Each candidate's costs come from the rows that name it and no other one.
    std::vector<std::vector<std::string>> names(out.candidates.size());
    for (const auto& row : request.costs.rows) {
        const auto matching = candidatesNamed(out.candidates, row.candidate);
        if (matching.size() == 1) {
            names[matching.front()].push_back(row.candidate);
            continue;
        }
        std::string why = "the cost of \"" + row.candidate + "\" names no candidate";
        if (matching.size() > 1) {
            why = "the cost of \"" + row.candidate + "\" is left out: it could name ";
            for (std::size_t k = 0; k < matching.size(); ++k)
                why += (k ? ", " : "") + out.candidates[matching[k]].name;
            why += " (give the whole name)";
        }
        out.warnings.push_back(Diagnostic::warning({}, 0, why));
    }
    for (std::size_t i = 0; i < out.candidates.size(); ++i)
        for (const auto& col : out.costColumns)
            out.candidates[i].costs.push_back(request.costs.value(names[i], col.name));

    auto any = [&](const char* v) {
        return std::any_of(
            out.candidates.begin(), out.candidates.end(), [&](const MatrixCandidate& c) { return c.verdict == v; });
    };
    out.verdict = any("degraded")       ? "degraded"
        : any("inconclusive")           ? "inconclusive"
        : request.stats.margins.empty() ? "no_evidence"
                                        : "no_worse_than_margin";
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(1.0, "done");
    R r;
    r.value = std::move(out);
    return r;
}

std::vector<FrontierPlotPoint> frontierPlot(const MatrixResult& result, std::size_t row, std::string_view costColumn)
{
    std::vector<FrontierPlotPoint> out;
    if (row >= result.rows.size())
        return out;
    int col = -1;
    for (std::size_t i = 0; i < result.costColumns.size(); ++i)
        if (result.costColumns[i].name == costColumn)
            col = static_cast<int>(i);
    if (col < 0)
        return out;
    std::vector<ParetoPoint> pts;
    for (std::size_t i = 0; i < result.candidates.size(); ++i) {
        const auto& cell = result.rows[row].cells[i];
        const double cost = result.candidates[i].costs[static_cast<std::size_t>(col)];
        if (!cell.present || std::isnan(cost))
            continue;
        out.push_back({ static_cast<int>(i), cost, cell.delta, cell.ciLow, cell.ciHigh, result.candidates[i].verdict,
            false, cell.upper });
        pts.push_back({ cost, cell.delta });
    }
    const auto front = paretoFront(pts, result.costColumns[static_cast<std::size_t>(col)].higherIsBetter);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].pareto = front[i];
    return out;
}

int matrixExitCode(const MatrixResult& result)
{
    if (result.verdict == "degraded")
        return 1;
    return result.verdict == "inconclusive" ? 3 : 0;
}

} // namespace deltascope::analysis
