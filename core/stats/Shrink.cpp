// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Shrink.h"

#include <cmath>

namespace deltascope::stats {

namespace {

// Mean over rerun pairs of the fraction of samples (among `which`) that disagree.
double pairwiseDisagreement(const RerunTask& t, const std::vector<std::size_t>& which)
{
    const std::size_t runs = t.scores.size();
    if (runs < 2 || which.empty())
        return 0.0;
    double sum = 0.0;
    std::size_t pairs = 0;
    for (std::size_t a = 0; a < runs; ++a) {
        for (std::size_t b = a + 1; b < runs; ++b) {
            std::size_t differ = 0;
            for (const std::size_t i : which)
                differ += t.scores[a][i] != t.scores[b][i] ? 1 : 0;
            sum += static_cast<double>(differ) / static_cast<double>(which.size());
            ++pairs;
        }
    }
    return sum / static_cast<double>(pairs);
}

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void fnv1a(std::uint64_t& h, const std::string& field)
{
    constexpr std::uint64_t prime = 0x100000001b3ULL;
    for (const char ch : field)
        h = (h ^ static_cast<unsigned char>(ch)) * prime;
    // The length ends the field, so that ("ab", "c") and ("a", "bc") hash differently.
    std::uint64_t n = field.size();
    for (int i = 0; i < 8; ++i, n >>= 8)
        h = (h ^ (n & 0xffU)) * prime;
}

} // namespace

std::uint64_t auditHash(
    std::uint64_t seed, const std::string& task, const std::string& filter, const std::string& docId)
{
    std::uint64_t h = 0xcbf29ce484222325ULL ^ splitmix64(seed);
    fnv1a(h, task);
    fnv1a(h, filter);
    fnv1a(h, docId);
    return splitmix64(h);
}

bool auditPick(
    double fraction, std::uint64_t seed, const std::string& task, const std::string& filter, const std::string& docId)
{
    if (!(fraction > 0.0))
        return false;
    if (fraction >= 1.0)
        return true;
    // fraction * 2^64 is exact (a power-of-two scaling) and below 2^64, so the conversion is exact too.
    const auto threshold = static_cast<std::uint64_t>(std::ldexp(fraction, 64));
    return auditHash(seed, task, filter, docId) < threshold;
}

ShrinkResult shrink(const std::vector<RerunTask>& tasks, const ShrinkOptions& options)
{
    ShrinkResult r;
    double flipsAll = 0.0;
    double flipsKept = 0.0;
    for (const auto& t : tasks) {
        ShrinkTaskResult tr;
        tr.task = t.task;
        tr.filter = t.filter;
        tr.total = static_cast<std::int64_t>(t.ids.size());
        std::vector<std::size_t> all;
        std::vector<std::size_t> kept;
        all.reserve(t.ids.size());
        for (std::size_t i = 0; i < t.ids.size(); ++i) {
            all.push_back(i);
            bool changes = false;
            for (std::size_t run = 1; run < t.scores.size() && !changes; ++run)
                changes = t.scores[run][i] != t.scores[0][i];
            if (changes) {
                kept.push_back(i);
                tr.keep.push_back(t.ids[i]);
            } else if (auditPick(options.auditFraction, options.seed, t.task, t.filter, t.ids[i])) {
                tr.audit.push_back(t.ids[i]);
            }
        }
        tr.flipRate = pairwiseDisagreement(t, all);
        tr.keptFlipRate = pairwiseDisagreement(t, kept);
        r.total += tr.total;
        r.kept += static_cast<std::int64_t>(kept.size());
        r.audited += static_cast<std::int64_t>(tr.audit.size());
        flipsAll += tr.flipRate * static_cast<double>(all.size());
        flipsKept += tr.keptFlipRate * static_cast<double>(kept.size());
        r.tasks.push_back(std::move(tr));
    }
    if (r.total > 0) {
        r.costSaved = 1.0 - static_cast<double>(r.kept + r.audited) / static_cast<double>(r.total);
        r.flipRate = flipsAll / static_cast<double>(r.total);
    }
    if (r.kept > 0)
        r.keptFlipRate = flipsKept / static_cast<double>(r.kept);
    return r;
}

} // namespace deltascope::stats
