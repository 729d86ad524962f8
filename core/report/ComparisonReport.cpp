// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/ComparisonReport.h"

#include "backend/CpuBackend.h"
#include "eval/CorpusMetric.h"
#include "report/ReportParts.h"
#include "stats/Binomial.h"
#include "stats/Combination.h"
#include "stats/ExactDifferences.h"
#include "stats/Holm.h"
#include "stats/McNemar.h"
#include "stats/Tango.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

namespace deltascope::report {

const char* flagWord(TaskFlag flag)
{
    switch (flag) {
    case TaskFlag::Worse:
        return "worse";
    case TaskFlag::Suggestive:
        return "suggestive";
    case TaskFlag::NoPairs:
        return "no pairs";
    case TaskFlag::Ok:
        break;
    }
    return "ok";
}

bool withinMargin(const ComparisonReport& r, const TaskResult& t)
{
    return t.n > 0 && t.hasMargin && t.pNonInferiority < r.alpha;
}

bool fewDiffer(const TaskResult& t)
{
    return !t.continuous && t.n > 0 && t.b + t.c < 25;
}

std::string formatP(double p, double lnP)
{
    constexpr double kFloor = 1e-300;
    if (!(p >= kFloor) && lnP < std::log(kFloor))
        return "< 1e-300";
    p = std::max(p, 0.0) + 0.0; // no "-0"
    char buf[32];
    if (p >= 0.001)
        std::snprintf(buf, sizeof buf, "%.4f", p);
    else
        std::snprintf(buf, sizeof buf, "%.2e", p);
    return buf;
}

namespace detail {

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::vector<std::int64_t> clusterSums(
    const std::vector<std::int64_t>& q, const std::vector<std::uint32_t>& cluster, std::size_t clusters)
{
    std::vector<std::int64_t> sums(clusters, 0);
    for (std::size_t i = 0; i < q.size() && i < cluster.size(); ++i)
        sums[cluster[i]] += q[i];
    return sums;
}

} // namespace detail

using namespace detail;

namespace {

double lnOf(double p)
{
    return p > 0.0 ? std::log(p) : -std::numeric_limits<double>::infinity();
}

void fillBinary(TaskResult& r, const eval::PairedTask& pt, double alpha)
{
    const auto m = stats::mcnemar(pt.worse, pt.better, r.n);
    r.b = pt.worse;
    r.c = pt.better;
    r.accBase = r.n ? pt.sumBase / static_cast<double>(r.n) : 0.0;
    r.accCand = r.n ? pt.sumCand / static_cast<double>(r.n) : 0.0;
    r.delta = m.delta;
    r.flipRate = m.flipRate;
    r.ciLow = m.ciLow;
    r.ciHigh = m.ciHigh;
    r.intervalMethod = "Tango score";
    r.upperBound = r.n > 0 ? stats::tangoUpperBound(r.b, r.c, r.n, alpha) : 1.0;
    r.pValue = m.pOneSided;
    r.lnP = m.lnPOneSided;
    r.pTwoSided = m.pTwoSided;
}

void fillContinuous(TaskResult& r, const eval::PairedTask& pt, double alpha)
{
    r.b = pt.worse;
    r.c = pt.better;
    r.intervalMethod = "Student t, mean difference";
    const double nan = std::numeric_limits<double>::quiet_NaN();
    r.ciLow = r.ciHigh = r.upperBound = nan;
    if (r.n == 0)
        return;
    const double nd = static_cast<double>(r.n);
    r.accBase = pt.sumBase / nd;
    r.accCand = pt.sumCand / nd;
    r.flipRate = static_cast<double>(r.b + r.c) / nd;
    // The mean drop and its interval over the pairs with finite scores; infinitely bad scores are
    // counted apart (worstBase, worstCand) and weigh in the test, not in the mean.
    double sum = 0.0;
    std::int64_t finite = 0;
    for (std::size_t i = 0; i < pt.base.size(); ++i)
        if (std::isfinite(pt.difference(i))) {
            sum += pt.difference(i);
            ++finite;
        }
    if (finite == 0) {
        r.delta = nan;
        return;
    }
    const double nf = static_cast<double>(finite);
    r.delta = sum / nf;
    double ss = 0;
    for (std::size_t i = 0; i < pt.base.size(); ++i)
        if (std::isfinite(pt.difference(i))) {
            const double e = pt.difference(i) - r.delta;
            ss += e * e;
        }
    // Student's t with n - 1 degrees of freedom: the spread is estimated from the same few pairs
    // (a normal interval would be too narrow on a small task). With one pair, or pairs that never
    // differ in spread, an interval would claim certainty: no interval and no bound then.
    if (finite > 1 && ss > 0.0) {
        const double se = std::sqrt(ss / (nf - 1.0) / nf);
        const double t = stats::studentQuantile(0.975, nf - 1.0);
        r.ciLow = r.delta - t * se;
        r.ciHigh = r.delta + t * se;
        r.upperBound = r.delta + stats::studentQuantile(1.0 - alpha, nf - 1.0) * se;
    }
    if (eval::isCorpusMetric(r.metric) && !pt.baseWeight.empty()) {
        double wb = 0.0;
        double wc = 0.0;
        for (std::size_t i = 0; i < pt.baseWeight.size(); ++i) {
            wb += pt.baseWeight[i];
            wc += pt.candWeight[i];
        }
        r.corpusMetric = r.metric;
        r.corpusBase = eval::corpusValue(r.metric, pt.sumBase, wb);
        r.corpusCand = eval::corpusValue(r.metric, pt.sumCand, wc);
    }
}

TaskResult taskRow(const eval::PairedTask& pt, double alpha)
{
    TaskResult r;
    r.task = pt.task;
    r.filter = pt.filter;
    r.metric = pt.metric;
    r.continuous = !pt.binary;
    r.n = static_cast<std::int64_t>(pt.base.size());
    r.audit = pt.audit;
    r.worstBase = pt.worstBase;
    r.worstCand = pt.worstCand;
    r.unmatchedBase = pt.unmatchedBase;
    r.unmatchedCand = pt.unmatchedCand;
    r.duplicates = pt.duplicates();
    r.hashMismatches = pt.hashMismatches;
    r.missingScores = pt.missingScores;
    r.warnings = pt.warnings;
    if (pt.binary)
        fillBinary(r, pt, alpha);
    else
        fillContinuous(r, pt, alpha);
    return r;
}

DecisionTest exactTest(const char* name, const char* statName, double stat, std::string detail, double p, double lnP)
{
    DecisionTest d;
    d.name = name;
    d.statisticName = statName;
    d.statistic = stat;
    d.detail = std::move(detail);
    d.pValue = p;
    d.lnP = lnP;
    return d;
}

DecisionTest countedTest(const char* name, const char* statName, const stats::CountedP& c, std::string detail)
{
    DecisionTest d = exactTest(name, statName, c.statistic, std::move(detail), c.pValue, lnOf(c.pValue));
    d.monteCarlo = true;
    d.pMcLow = c.mcLow;
    d.pMcHigh = c.mcHigh;
    return d;
}

std::vector<DecisionTest> exactDecision(const ComparisonReport& rep, const std::vector<std::size_t>& binaryRows)
{
    const auto& a = rep.aggregate;
    const TaskResult* maxTask = a.maxDrop.task >= 0 && static_cast<std::size_t>(a.maxDrop.task) < binaryRows.size()
        ? &rep.tasks[binaryRows[static_cast<std::size_t>(a.maxDrop.task)]]
        : nullptr;
    std::vector<DecisionTest> tests {
        exactTest("pooled", "b - c", static_cast<double>(a.pooled.b - a.pooled.c),
            "b = " + std::to_string(a.pooled.b) + ", c = " + std::to_string(a.pooled.c), a.pooled.pValue, a.pooled.lnP),
        exactTest(
            "Fisher", "X", a.fisher.statistic, "df = " + std::to_string(a.fisher.df), a.fisher.pValue, a.fisher.lnP),
        exactTest("max-drop", "max z", a.maxDrop.statistic, maxTask ? "task " + maxTask->label() : std::string(),
            a.maxDrop.pValue, a.maxDrop.lnP),
    };
    if (maxTask)
        tests.back().task = maxTask->key();
    return tests;
}

// The differences of every task as exact integers, in one row with the tasks' bounds (a clustered
// task contributes its clusters' sums).
struct AllDifferences {
    std::vector<std::int64_t> q;
    std::vector<std::size_t> offsets { 0 };
    std::optional<Diagnostic> error;
};

AllDifferences allDifferences(const eval::PairedRuns& paired)
{
    AllDifferences all;
    for (const auto& pt : paired.tasks) {
        const auto d = stats::exactDifferences(pt.base, pt.cand, pt.higherIsBetter);
        if (!d.ok()) {
            all.error = Diagnostic::error({}, 0,
                "task " + pt.task + (pt.filter == "none" ? "" : " [" + pt.filter + "]") + ": " + d.error
                    + "; the scores cannot be compared as they are (rescale them)");
            return all;
        }
        if (pt.cluster.empty()) {
            all.q.insert(all.q.end(), d.q.begin(), d.q.end());
        } else {
            // Whole clusters flip together: the test runs on the clusters' sums (DESIGN 3.6).
            const auto sums = clusterSums(d.q, pt.cluster, pt.clusterNames.size());
            all.q.insert(all.q.end(), sums.begin(), sums.end());
        }
        all.offsets.push_back(all.q.size());
    }
    return all;
}

std::string levelText(double alpha, double level)
{
    return (level < alpha ? "alpha/3 = " : "alpha = ") + num(level);
}

// Runs the studentized combination and puts what it found in the report; false when it failed.
bool runCombination(ComparisonReport& rep, const eval::PairedRuns& paired, const CompareSettings& settings)
{
    const auto all = allDifferences(paired);
    if (all.error) {
        rep.failure = all.error;
        return false;
    }
    const backend::CpuBackend cpu;
    const auto& compute = settings.backend ? *settings.backend : static_cast<const backend::ComputeBackend&>(cpu);
    stats::CombinationOptions co;
    co.permutations = settings.permutations;
    co.maxPermutations = std::max(settings.maxPermutations, settings.permutations);
    co.seed = settings.seed;
    co.threads = settings.threads;
    co.level = rep.decisionLevel;
    co.progress = settings.progress;
    backend::RanOn ranOn = compute.ranOn();
    bool ran = false;
    const auto source = [&](const stats::SignFlipBatch& batch) {
        auto r = compute.signFlipSums(all.q, all.offsets, batch);
        ranOn = r.ranOn;
        ran = true;
        return static_cast<Result<stats::FlippedSums>>(r);
    };
    const auto run = stats::combineTasks(all.q, all.offsets, co, source);
    rep.ranOn = ran ? ranOn : backend::RanOn {};
    rep.warnings.insert(rep.warnings.end(), run.warnings.begin(), run.warnings.end());
    if (!run.ok()) {
        rep.failure = run.error;
        return false;
    }
    const auto& c = *run.value;
    rep.cancelled = c.cancelled;
    auto& perm = rep.permutation;
    perm.present = true;
    perm.permutations = c.permutations;
    perm.requested = settings.permutations;
    perm.maxPermutations = co.maxPermutations;
    perm.exhaustive = c.exhaustive;
    perm.seed = settings.seed;
    perm.stable = c.stable;
    const TaskResult* maxRow = c.maxTask >= 0 ? &rep.tasks[static_cast<std::size_t>(c.maxTask)] : nullptr;
    const std::string maxTask = maxRow ? "task " + maxRow->label() : "";
    perm.tests = { countedTest("pooled", "Stouffer Z", c.pooled,
                       std::to_string(c.testedTasks) + (c.testedTasks == 1 ? " task" : " tasks")),
        countedTest("Fisher", "X", c.fisher, "df = " + std::to_string(2 * c.testedTasks)),
        countedTest("max-drop", "max z", c.maxZ, maxTask) };
    if (maxRow)
        perm.tests.back().task = maxRow->key();
    // Every sign pattern enumerated: the p-values are exact, with no Monte Carlo interval to show.
    if (c.exhaustive)
        for (auto& t : perm.tests)
            t.monteCarlo = false;
    const auto best = std::min_element(perm.tests.begin(), perm.tests.end(),
        [](const DecisionTest& a, const DecisionTest& b) { return a.pValue < b.pValue; });
    perm.pValue = best->pValue;
    perm.pMcLow = best->pMcLow;
    perm.pMcHigh = best->pMcHigh;
    for (std::size_t t = 0; t < rep.tasks.size(); ++t) {
        auto& row = rep.tasks[t];
        const auto& own = c.task[t];
        perm.perTask.emplace_back(row.key(), own.pValue);
        if (!row.continuous && row.cluster.key.empty())
            continue;
        row.pValue = own.pValue;
        row.lnP = lnOf(own.pValue);
        row.pTwoSided = std::min(1.0, 2.0 * std::min(own.pValue, c.taskPLower[t]));
        row.monteCarlo = true;
        row.exhaustive = c.exhaustive;
        row.pMcLow = own.mcLow;
        row.pMcHigh = own.mcHigh;
    }
    return true;
}

void flagTasks(ComparisonReport& rep)
{
    std::vector<double> lnPs;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < rep.tasks.size(); ++i)
        if (rep.tasks[i].n > 0) {
            lnPs.push_back(rep.tasks[i].lnP);
            rows.push_back(i);
        }
    const auto holm = stats::holmAdjustLog(lnPs);
    for (std::size_t j = 0; j < rows.size(); ++j) {
        auto& t = rep.tasks[rows[j]];
        t.lnPHolm = holm[j];
        t.pHolm = std::exp(holm[j]);
    }
    const double lnAlpha = std::log(rep.alpha);
    for (auto& t : rep.tasks) {
        if (t.n == 0)
            t.flag = TaskFlag::NoPairs;
        else if (rep.degraded && t.lnPHolm < lnAlpha)
            t.flag = TaskFlag::Worse;
        else if (t.lnP < lnAlpha)
            t.flag = TaskFlag::Suggestive;
        else
            t.flag = TaskFlag::Ok;
    }
}

// "p = 0.0123", or "p < 1e-300".
std::string pIs(double p, double lnP)
{
    const auto text = formatP(p, lnP);
    return text[0] == '<' ? "p " + text : "p = " + text;
}

std::string decisionSentence(const ComparisonReport& rep, int tested)
{
    std::string s;
    if (tested == 1) {
        // The three tests are one test here; where their permutation counts still differ (ties
        // within rounding), the smallest p is the one that decides, so that is the one quoted.
        const auto smallest = std::min_element(rep.decision.begin(), rep.decision.end(),
            [](const DecisionTest& x, const DecisionTest& y) { return x.lnP < y.lnP; });
        s = "one task, so the three tests are one: " + pIs(smallest->pValue, smallest->lnP);
    } else {
        s = (rep.method == "exact" ? "exact tests across tasks: " : "studentized sign-flip combination: ");
        for (std::size_t i = 0; i < rep.decision.size(); ++i)
            s += (i ? ", " : "") + rep.decision[i].name
                + " p = " + formatP(rep.decision[i].pValue, rep.decision[i].lnP);
    }
    s += rep.degraded ? (tested == 1 ? " is below " : "; the smallest is below ")
                      : (tested == 1 ? " is not below " : "; none is below ");
    s += levelText(rep.alpha, rep.decisionLevel);
    if (rep.hasMargin && !rep.untested.empty()) {
        s += "; not tested, so not shown within a margin:";
        for (std::size_t i = 0; i < rep.untested.size(); ++i)
            s += (i ? ", " : " ") + rep.untested[i];
    }
    if (!rep.stable)
        s += " (unstable: a Monte Carlo interval holds the level after " + std::to_string(rep.permutation.permutations)
            + " permutations; raise --max-permutations)";
    return s;
}

} // namespace

ComparisonReport buildReport(const eval::EvalRun& base, const eval::EvalRun& cand, const eval::PairedRuns& paired,
    const CompareSettings& settings)
{
    ComparisonReport rep;
    rep.alpha = settings.alpha;
    rep.baseline = base.info;
    rep.candidate = cand.info;
    rep.warnings = paired.warnings;

    std::vector<stats::TaskCounts> counts;
    std::vector<std::size_t> binaryRows;
    int tested = 0;
    bool clustered = false;
    for (const auto& pt : paired.tasks) {
        rep.tasks.push_back(taskRow(pt, settings.alpha));
        fillCluster(rep.tasks.back(), pt);
        rep.tasks.back().noiseFlips = pt.noiseFlips;
        clustered = clustered || !pt.cluster.empty();
        const auto& r = rep.tasks.back();
        tested += r.n > 0 ? 1 : 0;
        rep.hasContinuous = rep.hasContinuous || r.continuous;
        if (!r.continuous && r.n > 0) {
            counts.push_back({ r.b, r.c });
            binaryRows.push_back(rep.tasks.size() - 1);
        }
    }
    rep.decisionLevel = stats::decisionLevel(settings.alpha, tested);
    rep.method
        = clustered ? "sign-flip, studentized, clustered" : (rep.hasContinuous ? "sign-flip, studentized" : "exact");
    rep.aggregate = stats::aggregate(counts, settings.alpha, tested);

    const bool permuted = rep.hasContinuous || clustered;
    if ((permuted || settings.permutationRequested) && !runCombination(rep, paired, settings))
        return rep;
    if (permuted) {
        rep.decision = rep.permutation.tests;
        rep.stable = rep.permutation.stable;
    } else {
        rep.decision = exactDecision(rep, binaryRows);
    }
    const double lnLevel = std::log(rep.decisionLevel);
    rep.degraded
        = std::any_of(rep.decision.begin(), rep.decision.end(), [&](const DecisionTest& d) { return d.lnP < lnLevel; });
    flagTasks(rep);
    rep.hasMargin = !settings.margins.empty();
    rep.untested = paired.baselineOnly;
    for (const auto& t : rep.tasks)
        if (t.n == 0 && !t.audit)
            rep.untested.push_back(t.key());
    if (rep.hasMargin && !testMargins(rep, paired, settings))
        return rep;
    rep.verdict = verdictOf(rep);
    rep.decisionBasis = decisionSentence(rep, tested);
    return rep;
}

} // namespace deltascope::report
