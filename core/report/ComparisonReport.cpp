#include "report/ComparisonReport.h"

#include "backend/CpuBackend.h"
#include "common/TextUtil.h"
#include "stats/Holm.h"
#include "stats/McNemar.h"
#include "stats/SignFlip.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

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

namespace {

std::string pText(double p)
{
    std::ostringstream s;
    s.precision(3);
    s << p;
    return s.str();
}

void fillContinuous(TaskResult& r, const eval::PairedTask& pt)
{
    r.b = pt.worse;
    r.c = pt.better;
    if (r.n == 0)
        return;
    const double nd = static_cast<double>(r.n);
    r.accBase = pt.sumBase / nd;
    r.accCand = pt.sumCand / nd;
    r.delta = (pt.higherIsBetter ? pt.sumBase - pt.sumCand : pt.sumCand - pt.sumBase) / nd;
    r.flipRate = static_cast<double>(r.b + r.c) / nd;
    double ss = 0;
    for (std::size_t i = 0; i < pt.base.size(); ++i) {
        const double e = pt.difference(i) - r.delta;
        ss += e * e;
    }
    // Normal-approximation 95% interval of the mean difference.
    const double se = r.n > 1 ? std::sqrt(ss / (nd - 1.0) / nd) : 0.0;
    r.ciLow = r.delta - 1.959963984540054 * se;
    r.ciHigh = r.delta + 1.959963984540054 * se;
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
    std::vector<double> allD;
    std::vector<std::size_t> offsets { 0 };
    for (const auto& pt : paired.tasks) {
        TaskResult r;
        r.task = pt.task;
        r.filter = pt.filter;
        r.metric = pt.metric;
        r.continuous = !pt.binary;
        r.n = static_cast<std::int64_t>(pt.base.size());
        r.unmatchedBase = pt.unmatchedBase;
        r.unmatchedCand = pt.unmatchedCand;
        r.duplicates = pt.duplicates();
        r.hashMismatches = pt.hashMismatches;
        r.missingScores = pt.missingScores;
        r.warnings = pt.warnings;
        if (pt.binary) {
            const auto m = stats::mcnemar(pt.worse, pt.better, r.n);
            r.b = pt.worse;
            r.c = pt.better;
            r.accBase = r.n ? pt.sumBase / static_cast<double>(r.n) : 0.0;
            r.accCand = r.n ? pt.sumCand / static_cast<double>(r.n) : 0.0;
            r.delta = m.delta;
            r.flipRate = m.flipRate;
            r.ciLow = m.ciLow;
            r.ciHigh = m.ciHigh;
            r.pValue = m.pOneSided;
            r.pTwoSided = m.pTwoSided;
            counts.push_back({ pt.worse, pt.better });
        } else {
            rep.hasContinuous = true;
            fillContinuous(r, pt);
        }
        rep.tasks.push_back(std::move(r));
    }
    const bool permute = rep.hasContinuous || settings.permutationRequested;
    if (permute) {
        for (const auto& pt : paired.tasks) {
            for (std::size_t i = 0; i < pt.base.size(); ++i)
                allD.push_back(pt.difference(i));
            offsets.push_back(allD.size());
        }
    }

    rep.aggregate = stats::aggregate(counts, settings.alpha);
    if (permute) {
        stats::SignFlipOptions so;
        so.permutations = settings.permutations;
        so.seed = settings.seed;
        so.threads = settings.threads;
        so.progress = settings.progress;
        const backend::CpuBackend cpu;
        const auto run = (settings.backend ? *settings.backend : static_cast<const backend::ComputeBackend&>(cpu))
                             .signFlip(allD, offsets, so);
        rep.ranOn = run.ranOn;
        rep.warnings.insert(rep.warnings.end(), run.warnings.begin(), run.warnings.end());
        if (!run.ok()) {
            rep.failure = run.error;
            return rep;
        }
        const auto& sf = *run.value;
        rep.cancelled = sf.cancelled;
        rep.permutation.present = true;
        rep.permutation.permutations = settings.permutations;
        rep.permutation.seed = settings.seed;
        rep.permutation.pValue = sf.pValue;
        for (std::size_t t = 0; t < rep.tasks.size(); ++t) {
            rep.permutation.perTask.emplace_back(rep.tasks[t].key(), sf.taskPValue[t]);
            if (rep.tasks[t].continuous) {
                rep.tasks[t].pValue = sf.taskPValue[t];
                rep.tasks[t].pTwoSided = std::min(1.0, 2.0 * std::min(sf.taskPValue[t], sf.taskPValueLower[t]));
            }
        }
    }

    std::vector<double> ps;
    for (const auto& t : rep.tasks)
        ps.push_back(t.pValue);
    const auto holm = stats::holmAdjust(ps);
    for (std::size_t i = 0; i < rep.tasks.size(); ++i)
        rep.tasks[i].pHolm = holm[i];

    if (rep.hasContinuous) {
        rep.degraded = rep.permutation.pValue < settings.alpha;
        rep.decisionBasis = "continuous metrics present: pooled sign-flip permutation test over all samples, p = "
            + pText(rep.permutation.pValue) + (rep.degraded ? " < " : " >= ") + "alpha = " + pText(settings.alpha);
    } else {
        rep.degraded = rep.aggregate.degraded;
        const double level = settings.alpha / 3.0;
        rep.decisionBasis = "smallest of pooled (p = " + pText(rep.aggregate.pooled.pValue) + "), Fisher (p = "
            + pText(rep.aggregate.fisher.pValue) + ") and max-drop (p = " + pText(rep.aggregate.maxDrop.pValue) + ") "
            + (rep.degraded ? "is below" : "is not below") + " alpha/3 = " + pText(level);
    }
    return rep;
}

} // namespace deltascope::report
