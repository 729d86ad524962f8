// SPDX-License-Identifier: GPL-3.0-or-later
#include "backend/CpuBackend.h"
#include "report/ReportParts.h"
#include "stats/Binomial.h"
#include "stats/Combination.h"
#include "stats/ExactDifferences.h"
#include "stats/Tango.h"

#include <algorithm>
#include <cmath>
#include <optional>

// Clusters and margins of a comparison (DESIGN 3.6): the parts of buildReport that read the
// cluster key and the non-inferiority margins.
namespace deltascope::report::detail {

namespace {

// ---- clusters (DESIGN 3.6) ----

struct ClusterRatios {
    double designEffect = 1.0; ///< DESIGN 3.6: sum_c S_c^2 / sum_i d_i^2
    double inflation = 1.0; ///< the same about the mean drop: how much clustering inflates the variance
};

// The design effect as DESIGN 3.6 defines it, and for widening intervals the same ratio about the
// mean drop, so that a drop shared by every item does not pass for correlation.
ClusterRatios clusterRatios(const eval::PairedTask& pt)
{
    double mean = 0.0;
    std::int64_t count = 0;
    for (std::size_t i = 0; i < pt.base.size(); ++i)
        if (std::isfinite(pt.difference(i))) {
            mean += pt.difference(i);
            ++count;
        }
    mean = count ? mean / static_cast<double>(count) : 0.0;
    std::vector<double> sums(pt.clusterNames.size(), 0.0);
    std::vector<double> centred(pt.clusterNames.size(), 0.0);
    double squares = 0.0;
    double centredSquares = 0.0;
    for (std::size_t i = 0; i < pt.base.size() && i < pt.cluster.size(); ++i) {
        const double d = pt.difference(i);
        if (!std::isfinite(d))
            continue;
        sums[pt.cluster[i]] += d;
        centred[pt.cluster[i]] += d - mean;
        squares += d * d;
        centredSquares += (d - mean) * (d - mean);
    }
    double clustered = 0.0;
    double centredClustered = 0.0;
    for (std::size_t c = 0; c < sums.size(); ++c) {
        clustered += sums[c] * sums[c];
        centredClustered += centred[c] * centred[c];
    }
    ClusterRatios r;
    r.designEffect = squares > 0.0 ? clustered / squares : 1.0;
    r.inflation = centredSquares > 0.0 ? centredClustered / centredSquares : 1.0;
    return r;
}

// ---- margins (DESIGN 3.6) ----

std::optional<Margin> marginOf(const MarginRequest& request, const TaskResult& row)
{
    const std::string plain = row.filter == "none" ? row.task : row.task + "," + row.filter;
    for (const auto& [name, m] : request.perTask)
        if (name == row.task || name == plain)
            return m;
    return request.all;
}

// Whether the task's margin is in accuracy points: right-or-wrong scores, even where reruns were
// averaged into fractions.
bool inPoints(const TaskResult& r, const eval::PairedTask& pt)
{
    return !r.continuous || pt.rightOrWrong;
}

std::optional<Diagnostic> checkMargins(
    const ComparisonReport& rep, const eval::PairedRuns& paired, const MarginRequest& request)
{
    auto bad = [](std::string m) { return std::optional<Diagnostic>(Diagnostic::error({}, 0, std::move(m))); };
    for (const auto& [name, m] : request.perTask) {
        const bool known = std::any_of(rep.tasks.begin(), rep.tasks.end(), [&](const TaskResult& t) {
            return name == t.task || name == (t.filter == "none" ? t.task : t.task + "," + t.filter);
        });
        if (!known) {
            std::string names;
            for (const auto& t : rep.tasks)
                if (names.find(t.task) == std::string::npos)
                    names += (names.empty() ? "" : ", ") + t.task;
            return bad("the margin names task \"" + name
                + "\", which this comparison does not have (its tasks: " + names + ")");
        }
    }
    for (std::size_t i = 0; i < rep.tasks.size(); ++i) {
        const auto& t = rep.tasks[i];
        const auto m = marginOf(request, t);
        if (!m || t.n == 0)
            continue;
        const bool points = inPoints(t, paired.tasks[i]);
        if (!(m->value >= 0.0) || !std::isfinite(m->value))
            return bad("the margin of task " + t.task + " must be a number of at least 0");
        if (points && m->relative)
            return bad("task " + t.task + " is scored right or wrong: give its margin in accuracy points (" + t.task
                + "=1 for one point), not as a percentage");
        if (points && m->value > 100.0)
            return bad("the margin of task " + t.task + " is " + num(m->value)
                + " points: an accuracy cannot drop by more than 100 points");
    }
    return std::nullopt;
}

// The per-pair shift that turns "drop <= margin" into "shifted differences <= 0" for a continuous
// task, added to the candidate's oriented score.
std::vector<double> marginShift(const TaskResult& r, const eval::PairedTask& pt, const Margin& m)
{
    std::vector<double> shift(pt.base.size(), 0.0);
    const bool corpus = !r.corpusMetric.empty() && pt.baseWeight.size() == pt.base.size();
    if (corpus) {
        // Relative on the corpus metric; an absolute margin in the metric's units is made relative
        // to the baseline's value.
        const double rel = m.relative ? m.value : (r.corpusBase > 0.0 ? m.value / r.corpusBase : 0.0);
        for (std::size_t i = 0; i < shift.size(); ++i) {
            const double v = r.corpusMetric == "bits_per_byte" ? -rel * pt.base[i] : std::log1p(rel) * pt.baseWeight[i];
            shift[i] = std::isfinite(v) ? v : 0.0; // an infinitely bad baseline document: no allowance
        }
        return shift;
    }
    const double d = m.relative ? m.value * std::fabs(r.accBase) : m.value;
    std::fill(shift.begin(), shift.end(), d);
    return shift;
}

// Pairs the non-inferiority test needs for 80% power at the observed effect: its statistic grows
// with the square root of the pairs at fixed rates.
std::int64_t pairsFor(double zObserved, std::int64_t n, double alpha)
{
    if (!(zObserved > 0.0))
        return -1;
    const double need = stats::normalQuantile(1.0 - alpha) + stats::normalQuantile(0.8);
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * (need / zObserved) * (need / zObserved)));
}

// Sign-flip test of "drop >= margin" on one task's shifted (and clustered) differences: p of the
// lower tail, exact when few, else over the permutations asked for.
double shiftedSignFlipP(const eval::PairedTask& pt, const std::vector<double>& shift, const CompareSettings& settings,
    std::optional<Diagnostic>& error)
{
    std::vector<double> cand(pt.cand);
    for (std::size_t i = 0; i < cand.size(); ++i)
        cand[i] += pt.higherIsBetter ? shift[i] : -shift[i];
    const auto d = stats::exactDifferences(pt.base, cand, pt.higherIsBetter);
    if (!d.ok()) {
        error = Diagnostic::error({}, 0, "task " + pt.task + ": " + d.error);
        return 1.0;
    }
    const auto q = pt.cluster.empty() ? d.q : clusterSums(d.q, pt.cluster, pt.clusterNames.size());
    const std::vector<std::size_t> offsets { 0, q.size() };
    stats::CombinationOptions co;
    co.permutations = settings.permutations;
    co.maxPermutations = settings.permutations;
    co.seed = settings.seed;
    co.threads = settings.threads;
    const backend::CpuBackend cpu;
    const auto& compute = settings.backend ? *settings.backend : static_cast<const backend::ComputeBackend&>(cpu);
    const auto run = stats::combineTasks(q, offsets, co, [&](const stats::SignFlipBatch& batch) {
        return static_cast<Result<stats::FlippedSums>>(compute.signFlipSums(q, offsets, batch));
    });
    if (!run.ok()) {
        error = run.error;
        return 1.0;
    }
    return run.value->taskPLower[0];
}

} // namespace

void fillCluster(TaskResult& r, const eval::PairedTask& pt)
{
    if (pt.cluster.empty())
        return;
    r.cluster.key = pt.clusterKey;
    r.cluster.clusters = static_cast<std::int64_t>(pt.clusterNames.size());
    const auto ratios = clusterRatios(pt);
    r.cluster.designEffect = ratios.designEffect;
    const double inflation = ratios.inflation;
    // Clustered items carry less information than their count: the interval and the bound widen by
    // the square root of the design effect (never narrow); a drop stays within [-1, 1].
    const double widen = std::sqrt(std::max(1.0, inflation));
    r.ciLow = r.delta - (r.delta - r.ciLow) * widen;
    r.ciHigh = r.delta + (r.ciHigh - r.delta) * widen;
    r.upperBound = r.delta + (r.upperBound - r.delta) * widen;
    if (!r.continuous) {
        r.ciLow = std::max(r.ciLow, -1.0);
        r.ciHigh = std::min(r.ciHigh, 1.0);
        r.upperBound = std::min(r.upperBound, 1.0);
    }
    r.intervalMethod += ", widened by the design effect";
}

// Fills each task's non-inferiority test; false with rep.failure on a bad margin.
bool testMargins(ComparisonReport& rep, const eval::PairedRuns& paired, const CompareSettings& settings)
{
    if (auto bad = checkMargins(rep, paired, settings.margins)) {
        rep.failure = bad;
        return false;
    }
    for (std::size_t t = 0; t < rep.tasks.size(); ++t) {
        auto& r = rep.tasks[t];
        const auto& pt = paired.tasks[t];
        const auto m = marginOf(settings.margins, r);
        if (!m || r.n == 0)
            continue;
        r.hasMargin = true;
        const bool points = inPoints(r, pt);
        r.marginRelative = m->relative && !points;
        if (!r.continuous) {
            // Tango's score test; clustered items divide its statistic by the square root of the
            // design effect (the variance of the drop grows by that factor).
            r.margin = m->value / 100.0;
            const double deff = r.cluster.key.empty() ? 1.0 : std::max(1.0, clusterRatios(pt).inflation);
            const double z = stats::tangoZ(r.b, r.c, r.n, r.margin) / std::sqrt(deff);
            r.pNonInferiority = stats::normalCdf(z);
            r.samplesNeeded = pairsFor(-z, r.n, settings.alpha);
            continue;
        }
        r.margin = points ? m->value / 100.0 : m->value;
        std::vector<double> shift;
        if (points)
            shift.assign(pt.base.size(), r.margin);
        else
            shift = marginShift(r, pt, *m);
        std::optional<Diagnostic> error;
        r.pNonInferiority = shiftedSignFlipP(pt, shift, settings, error);
        if (error) {
            rep.failure = error;
            return false;
        }
        // The effect in standard errors: the mean shifted difference against its spread.
        double mean = 0.0;
        for (std::size_t i = 0; i < pt.base.size(); ++i)
            mean += shift[i] - pt.difference(i);
        mean /= static_cast<double>(r.n);
        double ss = 0.0;
        for (std::size_t i = 0; i < pt.base.size(); ++i) {
            const double e = shift[i] - pt.difference(i) - mean;
            ss += e * e;
        }
        const double sd = r.n > 1 ? std::sqrt(ss / static_cast<double>(r.n - 1)) : 0.0;
        r.samplesNeeded
            = sd > 0.0 ? pairsFor(mean / sd * std::sqrt(static_cast<double>(r.n)), r.n, settings.alpha) : -1;
    }
    return true;
}

std::string verdictOf(const ComparisonReport& rep)
{
    if (rep.degraded)
        return "degraded";
    if (!rep.hasMargin)
        return "no_evidence";
    if (!rep.untested.empty())
        return "inconclusive"; // a task the candidate was never tested on cannot clear its margin
    for (const auto& t : rep.tasks)
        if (t.n > 0 && !withinMargin(rep, t))
            return "inconclusive";
    return "no_worse_than_margin";
}

} // namespace deltascope::report::detail
