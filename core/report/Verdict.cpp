// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/Verdict.h"

#include <algorithm>

namespace deltascope::report {

Verdict verdictOf(const ComparisonReport& r)
{
    if (r.degraded || r.verdict == "degraded")
        return Verdict::Degraded;
    if (r.verdict == "no_worse_than_margin")
        return Verdict::NoWorseThanMargin;
    if (r.verdict == "inconclusive")
        return Verdict::Inconclusive;
    return Verdict::NoEvidence;
}

const char* verdictKey(Verdict v)
{
    switch (v) {
    case Verdict::Degraded:
        return "degraded";
    case Verdict::NoWorseThanMargin:
        return "no_worse_than_margin";
    case Verdict::Inconclusive:
        return "inconclusive";
    case Verdict::NoEvidence:
        break;
    }
    return "no_evidence";
}

const char* verdictWord(Verdict v)
{
    switch (v) {
    case Verdict::Degraded:
        return "degraded";
    case Verdict::NoWorseThanMargin:
        return "no worse than the margin";
    case Verdict::Inconclusive:
        return "inconclusive";
    case Verdict::NoEvidence:
        break;
    }
    return "no evidence of degradation";
}

const char* verdictHeadline(Verdict v)
{
    switch (v) {
    case Verdict::Degraded:
        return "DEGRADED: the candidate is worse than the baseline";
    case Verdict::NoWorseThanMargin:
        return "NO WORSE THAN THE MARGIN: every task's drop is shown to be below its margin";
    case Verdict::Inconclusive:
        return "INCONCLUSIVE: not shown to be worse, nor shown to be within the margin";
    case Verdict::NoEvidence:
        break;
    }
    return "NO EVIDENCE OF DEGRADATION, which is not evidence of no loss: see each task's upper bound";
}

const char* verdictMeaning(Verdict v)
{
    switch (v) {
    case Verdict::Degraded:
        return "the candidate is worse than the baseline, with a family-wise false-alarm rate of at most alpha";
    case Verdict::NoWorseThanMargin:
        return "every task's drop is shown to be smaller than its margin";
    case Verdict::Inconclusive:
        return "not shown to be worse, and not every task shown to be within its margin";
    case Verdict::NoEvidence:
        break;
    }
    return "the data do not show a drop; they do not show its absence either (see each task's upper bound)";
}

std::string verdictNextStep(const ComparisonReport& r, Wording wording)
{
    const bool window = wording == Wording::Window;
    switch (verdictOf(r)) {
    case Verdict::Degraded: {
        const bool anyWorse = std::any_of(
            r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return t.flag == TaskFlag::Worse; });
        const std::string where = window ? "the disagreements beside the sample view"
                                         : "open both runs in the deltascope window, or --format csv";
        if (!anyWorse)
            return "no single task is flagged worse: the loss is spread over the tasks (the tests across them "
                   "found it); look at the tasks with the largest drops and their flipped samples ("
                + where + "), fix the candidate and compare again";
        return "look at the tasks flagged worse and their flipped samples (" + where
            + "), fix the candidate and compare again";
    }
    case Verdict::NoWorseThanMargin:
        return "the claim holds at this margin and alpha: keep this output with the release, and compare again "
               "after the next change";
    case Verdict::Inconclusive: {
        // What would settle the undecided tasks: more samples, a margin, or nothing more samples
        // can do (the observed drop is above the margin).
        bool moreSamples = false;
        bool noMargin = false;
        bool aboveMargin = false;
        for (const auto& t : r.tasks) {
            if (t.n == 0 || t.audit || (t.hasMargin && t.pNonInferiority < r.alpha))
                continue;
            noMargin = noMargin || !t.hasMargin;
            moreSamples = moreSamples || (t.hasMargin && t.samplesNeeded >= 0);
            aboveMargin = aboveMargin || (t.hasMargin && t.samplesNeeded < 0);
        }
        const std::string giveMargins = std::string("give every task a margin (")
            + (window ? "\"TASK=D\" in the margin field" : "--margin TASK=D")
            + "): a task without one cannot be shown no worse";
        if (moreSamples)
            return (noMargin ? giveMargins + "; " : std::string())
                + "collect the samples each undecided task still needs ("
                + (wording == Wording::Data ? "each task's samples_needed" : "listed above")
                + "), or argue for a wider margin "
                  "before looking again";
        if (noMargin)
            return giveMargins;
        if (aboveMargin)
            return "the observed drop is above the margin, so more samples would not bring it within: improve the "
                   "candidate, or argue for a wider margin before looking again";
        return "argue for a wider margin, or collect more samples, before looking again";
    }
    case Verdict::NoEvidence:
        break;
    }
    // Power analysis is for binary tasks; continuous ones take their margin in their own units.
    const bool anyBinary
        = std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult& t) { return !t.continuous && t.n > 0; });
    if (!anyBinary)
        return std::string("to claim \"no worse than D\" (D in the metric's units, or D% of a perplexity), ")
            + (window ? "type D into the margin field" : "rerun with --margin D");
    if (window)
        return "to claim \"no worse than D points\", type D into the margin field; the Power planner tab says "
               "what drop these samples can detect";
    return "to claim \"no worse than D points\", rerun with --margin D; `deltascope-cli power` says what drop "
           "these samples can detect";
}

int verdictExitCode(Verdict v)
{
    switch (v) {
    case Verdict::Degraded:
        return 1;
    case Verdict::Inconclusive:
        return 3;
    case Verdict::NoWorseThanMargin:
    case Verdict::NoEvidence:
        break;
    }
    return 0;
}

const char* flagLabel(TaskFlag flag)
{
    return flag == TaskFlag::Ok ? "not shown worse" : flagWord(flag);
}

const char* taskVerdictLabel(const ComparisonReport& r, const TaskResult& t)
{
    if (t.hasMargin && t.flag == TaskFlag::Ok && t.n > 0)
        return withinMargin(r, t) ? "within margin" : "not shown within margin";
    return flagLabel(t.flag);
}

const char* flagMeaning(TaskFlag flag)
{
    switch (flag) {
    case TaskFlag::Worse:
        return "the comparison is degraded and this task's Holm-adjusted p is below alpha";
    case TaskFlag::Suggestive:
        return "this task's own p is below alpha, but that alone does not decide the comparison";
    case TaskFlag::NoPairs:
        return "no sample was paired, so nothing was tested";
    case TaskFlag::Ok:
        break;
    }
    return "this task is not shown to be worse (which is not the same as shown to be no worse)";
}

} // namespace deltascope::report
