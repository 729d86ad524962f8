// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/Pairing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string_view>
#include <unordered_map>

namespace deltascope::eval {

namespace {

std::string label(const TaskSamples& t)
{
    return t.filter == "none" ? t.task : t.task + " [" + t.filter + "]";
}

std::string fileOf(const EvalRun& run, const SampleRecord& s)
{
    return s.file < run.files.size() ? run.files[s.file] : run.info.path;
}

// Which samples of a (task, filter) a row pairs: every sample without a keep-list; with one, either
// the samples it keeps or those it excluded (the audit row).
struct Selection {
    const KeepList* keep = nullptr;
    bool audit = false;

    bool wants(const TaskSamples& t, const SampleRecord& s) const
    {
        return !keep || keep->keeps(t.task, t.filter, s.docId) != audit;
    }
};

// The first sample of each id among a task's samples: open addressing over the samples' own ids,
// with no copy of an id and no allocation per id. It holds at most one entry per sample, in a
// table of at least twice as many slots, so a probe always ends.
class IdIndex {
public:
    static constexpr std::uint32_t kMissing = 0xffffffffu;

    explicit IdIndex(const std::vector<SampleRecord>& samples)
        : m_samples(samples)
    {
        std::size_t slots = 16;
        while (slots < samples.size() * 2)
            slots <<= 1;
        m_slots.assign(slots, Slot {});
        m_mask = slots - 1;
    }

    /// Enters sample i's id; returns the first sample with that id (i when it is new).
    std::uint32_t insert(std::uint32_t i)
    {
        const std::string_view id = m_samples[i].docId;
        const std::size_t h = std::hash<std::string_view> {}(id);
        for (std::size_t p = h & m_mask;; p = (p + 1) & m_mask) {
            Slot& s = m_slots[p];
            if (s.index == kMissing) {
                s = { tagOf(h), i };
                ++m_size;
                return i;
            }
            if (s.tag == tagOf(h) && m_samples[s.index].docId == id)
                return s.index;
        }
    }

    /// The first sample with this id, or kMissing.
    std::uint32_t find(std::string_view id) const
    {
        const std::size_t h = std::hash<std::string_view> {}(id);
        for (std::size_t p = h & m_mask;; p = (p + 1) & m_mask) {
            const Slot& s = m_slots[p];
            if (s.index == kMissing)
                return kMissing;
            if (s.tag == tagOf(h) && m_samples[s.index].docId == id)
                return s.index;
        }
    }

    std::size_t size() const { return m_size; }

private:
    struct Slot {
        std::uint32_t tag = 0; ///< the upper bits of the id's hash: most other ids differ there
        std::uint32_t index = kMissing;
    };
    static std::uint32_t tagOf(std::size_t h)
    {
        return static_cast<std::uint32_t>(h >> 32) ^ static_cast<std::uint32_t>(h);
    }

    const std::vector<SampleRecord>& m_samples;
    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    std::size_t m_size = 0;
};

// Index of the first occurrence of each selected id; later occurrences are counted as duplicates.
IdIndex indexSide(const EvalRun& run, const TaskSamples& t, const Selection& selection, const std::string& name,
    std::int64_t& duplicates, std::vector<Diagnostic>& warnings, const char* side)
{
    IdIndex index(t.samples);
    std::int64_t differing = 0;
    for (std::uint32_t i = 0; i < t.samples.size(); ++i) {
        const auto& s = t.samples[i];
        if (!selection.wants(t, s))
            continue;
        const std::uint32_t at = index.insert(i);
        if (at == i)
            continue;
        ++duplicates;
        const auto& first = t.samples[at];
        const bool same = first.score == s.score || (std::isnan(first.score) && std::isnan(s.score));
        differing += same ? 0 : 1;
        if (duplicates <= 3) {
            warnings.push_back(Diagnostic::warning(fileOf(run, s), s.line,
                std::string(side) + " " + name + ": id \"" + s.docId + "\" appears again (first at line "
                    + std::to_string(first.line) + "); the first occurrence is kept"
                    + (same ? " (both have the same score)" : " (the scores differ)")));
        }
    }
    if (duplicates > 3)
        warnings.push_back(Diagnostic::warning(run.info.path, 0,
            std::string(side) + " " + name + ": " + std::to_string(duplicates)
                + " duplicated ids in all; the first occurrence of each is kept (" + std::to_string(differing)
                + " with a different score)"));
    return index;
}

} // namespace

Result<EvalRun> averageReruns(std::vector<EvalRun> runs)
{
    using R = Result<EvalRun>;
    if (runs.empty())
        return R::failure(Diagnostic::error({}, 0, "no runs to average"));
    R out;
    EvalRun merged = std::move(runs.front());
    if (runs.size() == 1) {
        out.value = std::move(merged);
        return out;
    }
    for (auto& task : merged.tasks) {
        const auto zeroOne = [](const TaskSamples& t) {
            return std::all_of(t.samples.begin(), t.samples.end(),
                [](const SampleRecord& s) { return std::isnan(s.score) || s.score == 0.0 || s.score == 1.0; });
        };
        bool rightOrWrong = zeroOne(task);
        for (std::size_t r = 1; r < runs.size(); ++r)
            for (const auto& t : runs[r].tasks)
                if (t.task == task.task && t.filter == task.filter)
                    rightOrWrong = rightOrWrong && zeroOne(t);
        task.rightOrWrong = rightOrWrong;
        std::unordered_map<std::string_view, std::pair<double, int>> sums;
        sums.reserve(task.samples.size());
        for (const auto& s : task.samples)
            if (!std::isnan(s.score))
                sums.emplace(s.docId, std::make_pair(s.score, 1));
        std::int64_t missing = 0;
        for (std::size_t r = 1; r < runs.size(); ++r) {
            const TaskSamples* other = nullptr;
            for (const auto& t : runs[r].tasks)
                if (t.task == task.task && t.filter == task.filter)
                    other = &t;
            if (!other) {
                out.warnings.push_back(Diagnostic::warning(
                    runs[r].info.path, 0, "rerun has no task " + label(task) + "; its mean uses the other reruns"));
                continue;
            }
            std::unordered_map<std::string_view, bool> seen;
            for (const auto& s : other->samples) {
                if (std::isnan(s.score) || !seen.emplace(s.docId, true).second)
                    continue;
                auto it = sums.find(s.docId);
                if (it == sums.end()) {
                    ++missing;
                    continue;
                }
                it->second.first += s.score;
                ++it->second.second;
            }
        }
        std::int64_t partial = 0;
        for (auto& s : task.samples) {
            const auto it = sums.find(s.docId);
            if (it == sums.end())
                continue;
            if (it->second.second != static_cast<int>(runs.size()))
                ++partial;
            s.score = it->second.first / it->second.second;
        }
        if (partial > 0 || missing > 0)
            out.warnings.push_back(Diagnostic::warning(merged.info.path, 0,
                label(task) + ": " + std::to_string(partial)
                    + " samples are missing from some reruns (their mean uses the "
                      "reruns that have them); "
                    + std::to_string(missing) + " rerun samples are not in the first run"));
    }
    merged.info.path += " (+" + std::to_string(runs.size() - 1) + " reruns, averaged)";
    out.value = std::move(merged);
    return out;
}

void PairedTask::summarize()
{
    binary = true;
    worse = 0;
    better = 0;
    sumBase = 0.0;
    sumCand = 0.0;
    for (std::size_t i = 0; i < base.size(); ++i) {
        const double b = base[i];
        const double c = cand[i];
        binary = binary && (b == 0.0 || b == 1.0) && (c == 0.0 || c == 1.0);
        const double d = difference(i);
        worse += d > 0 ? 1 : 0;
        better += d < 0 ? 1 : 0;
        sumBase += b;
        sumCand += c;
    }
}

std::optional<Diagnostic> alignFileNamedTasks(const EvalRun& reference, EvalRun& other)
{
    // One task on each side (its filters or perturbations aside), named after a file or folder on
    // at least one side: the names cannot tell the tasks apart, so they are the same task.
    const auto onlyTask = [](const EvalRun& run) -> const TaskSamples* {
        if (run.tasks.empty())
            return nullptr;
        for (const auto& t : run.tasks)
            if (t.task != run.tasks.front().task)
                return nullptr;
        return &run.tasks.front();
    };
    const TaskSamples* ref = onlyTask(reference);
    const TaskSamples* mine = onlyTask(other);
    if (!ref || !mine || ref->task == mine->task || !(ref->taskFromFileName || mine->taskFromFileName))
        return std::nullopt;
    const std::string old = mine->task;
    const std::string name = ref->task;
    for (auto& t : other.tasks)
        t.task = name;
    return Diagnostic::note(other.info.path, 0,
        "task \"" + old + "\" (named after its file or folder) is compared with task \"" + name + "\"");
}

namespace {

std::string_view clusterName(const TaskSamples& t, const SampleRecord& s)
{
    return s.cluster < t.clusterNames.size() ? std::string_view(t.clusterNames[s.cluster]) : std::string_view();
}

// Each pair's cluster is its baseline record's, renumbered 0..k-1 in order of first appearance; a
// record without one is a cluster of its own. Pairs whose candidate record names another cluster are
// counted in a warning.
void assignClusters(
    PairedTask& pt, const TaskSamples& bt, const TaskSamples& ct, const std::string& name, const EvalRun& cand)
{
    if (bt.clusterKey.empty())
        return;
    pt.clusterKey = bt.clusterKey;
    std::vector<std::uint32_t> dense(bt.clusterNames.size(), kNoCluster);
    std::int64_t differing = 0;
    const SampleRecord* firstDiffering = nullptr;
    pt.cluster.reserve(pt.baseIndex.size());
    for (std::size_t k = 0; k < pt.baseIndex.size(); ++k) {
        const auto& bs = bt.samples[pt.baseIndex[k]];
        const auto& cs = ct.samples[pt.candIndex[k]];
        const auto next = static_cast<std::uint32_t>(pt.clusterNames.size());
        if (bs.cluster >= bt.clusterNames.size()) {
            pt.cluster.push_back(next);
            pt.clusterNames.push_back("(no " + bt.clusterKey + ": " + bs.docId + ")");
        } else {
            auto& d = dense[bs.cluster];
            if (d == kNoCluster) {
                d = next;
                pt.clusterNames.push_back(bt.clusterNames[bs.cluster]);
            }
            pt.cluster.push_back(d);
        }
        if (!ct.clusterKey.empty() && clusterName(bt, bs) != clusterName(ct, cs) && differing++ == 0)
            firstDiffering = &cs;
    }
    if (differing > 0)
        pt.warnings.push_back(Diagnostic::warning(fileOf(cand, *firstDiffering), firstDiffering->line,
            name + ": " + std::to_string(differing) + " pairs have another cluster (" + bt.clusterKey
                + ") in the candidate than in the baseline; the baseline's is used (the first is on this line)"));
}

// A task whose scores are 0 or 1 but for a few is tested as continuous scores (sign-flip) instead
// of right or wrong (exact McNemar): a stray value is more likely a mistake than a metric, so it is
// named. Averaged reruns of accuracies and log-likelihoods are left alone.
void warnFewNotZeroOne(PairedTask& pt, const TaskSamples& bt, const TaskSamples& ct, const EvalRun& base,
    const EvalRun& cand, const std::string& name)
{
    if (pt.binary || bt.logLikelihood || bt.rightOrWrong || ct.rightOrWrong || pt.base.size() < 10)
        return;
    std::int64_t off = 0;
    const SampleRecord* first = nullptr;
    const EvalRun* firstRun = nullptr;
    double firstValue = 0.0;
    for (std::size_t k = 0; k < pt.base.size(); ++k)
        for (const bool candSide : { false, true }) {
            const double v = candSide ? pt.cand[k] : pt.base[k];
            if (v == 0.0 || v == 1.0)
                continue;
            if (off++ == 0) {
                first = candSide ? &ct.samples[pt.candIndex[k]] : &bt.samples[pt.baseIndex[k]];
                firstRun = candSide ? &cand : &base;
                firstValue = v;
            }
        }
    // Few: at most 1% of the scores of both sides.
    if (off == 0 || off * 100 > static_cast<std::int64_t>(2 * pt.base.size()))
        return;
    char value[32];
    std::snprintf(value, sizeof value, "%.6g", firstValue);
    pt.warnings.push_back(Diagnostic::warning(fileOf(*firstRun, *first), first->line,
        name + ": " + std::to_string(off) + " of the " + std::to_string(2 * pt.base.size()) + " paired scores "
            + (off == 1 ? "is" : "are") + " not 0 or 1 (the first, " + value
            + ", is on this line), so the task is tested as continuous scores (sign-flip test) rather than right or "
              "wrong (exact McNemar test); if "
            + (off == 1 ? "it is a mistake, fix it" : "they are mistakes, fix them")));
}

// The row of the samples `selection` picks from one (task, filter) found on both sides. The samples
// of an audit row that only one side has were excluded on purpose (the candidate is usually run on
// the keep-list alone), so they are not counted as unmatched. `idPairs` is the number of ids both
// sides have, scored or not.
PairedTask pairTask(
    const EvalRun& base, std::size_t bi, const EvalRun& cand, int ci, const Selection& selection, std::size_t& idPairs)
{
    const TaskSamples& bt = base.tasks[bi];
    const TaskSamples& ct = cand.tasks[static_cast<std::size_t>(ci)];
    const std::string name = selection.audit ? label(bt) + " (samples the keep-list excluded)" : label(bt);
    PairedTask pt;
    pt.task = bt.task;
    pt.filter = bt.filter;
    pt.metric = bt.metric;
    pt.higherIsBetter = bt.higherIsBetter;
    pt.audit = selection.audit;
    pt.baseTask = static_cast<int>(bi);
    pt.candTask = ci;

    const auto baseIndex = indexSide(base, bt, selection, name, pt.duplicatesBase, pt.warnings, "baseline");
    const auto candIndex = indexSide(cand, ct, selection, name, pt.duplicatesCand, pt.warnings, "candidate");

    // Pairs in baseline file order.
    std::int64_t firstMismatchLine = 0;
    const SampleRecord* firstWorstBase = nullptr;
    const SampleRecord* firstWorstCand = nullptr;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    pairs.reserve(baseIndex.size());
    for (std::uint32_t i = 0; i < bt.samples.size(); ++i) {
        const auto& s = bt.samples[i];
        if (baseIndex.find(s.docId) != i)
            continue; // not selected, or a duplicate
        const std::uint32_t j = candIndex.find(s.docId);
        if (j == IdIndex::kMissing) {
            pt.unmatchedBase += selection.audit ? 0 : 1;
            continue;
        }
        pairs.emplace_back(i, j);
    }
    idPairs = pairs.size();
    if (!selection.audit)
        pt.unmatchedCand = static_cast<std::int64_t>(candIndex.size()) - static_cast<std::int64_t>(pairs.size());
    pt.base.reserve(pairs.size());
    pt.cand.reserve(pairs.size());
    for (const auto& [i, j] : pairs) {
        const auto& bs = bt.samples[i];
        const auto& cs = ct.samples[j];
        const bool docDiffers = bs.docHash && cs.docHash && bs.docHash != cs.docHash;
        const bool promptDiffers = bs.promptHash && cs.promptHash && bs.promptHash != cs.promptHash;
        if (docDiffers || promptDiffers) {
            if (pt.hashMismatches++ == 0)
                firstMismatchLine = cs.line;
        }
        if (std::isnan(bs.score) || std::isnan(cs.score)) {
            ++pt.missingScores;
            continue;
        }
        // An infinite score is kept: -inf on a higher-is-better score is the worst possible one.
        const auto worst = [&](double v) { return std::isinf(v) && ((v < 0) == pt.higherIsBetter); };
        if (worst(bs.score) && pt.worstBase == 0)
            firstWorstBase = &bs;
        if (worst(cs.score) && pt.worstCand == 0)
            firstWorstCand = &cs;
        pt.worstBase += worst(bs.score) ? 1 : 0;
        pt.worstCand += worst(cs.score) ? 1 : 0;
        pt.base.push_back(bs.score);
        pt.cand.push_back(cs.score);
        if (bt.logLikelihood) {
            pt.baseWeight.push_back(bs.weight);
            pt.candWeight.push_back(cs.weight);
        }
        pt.baseIndex.push_back(i);
        pt.candIndex.push_back(j);
    }
    assignClusters(pt, bt, ct, name, cand);
    pt.summarize();
    const auto zeroOne = [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), [](double x) { return x == 0.0 || x == 1.0; });
    };
    pt.rightOrWrong = (bt.rightOrWrong || zeroOne(pt.base)) && (ct.rightOrWrong || zeroOne(pt.cand));
    warnFewNotZeroOne(pt, bt, ct, base, cand, name);
    if (pt.unmatchedBase > 0 || pt.unmatchedCand > 0)
        pt.warnings.push_back(Diagnostic::warning(cand.info.path, 0,
            name + ": the two runs cover different documents: " + std::to_string(pt.unmatchedBase) + " baseline and "
                + std::to_string(pt.unmatchedCand) + " candidate samples have no partner and are left out"));
    if (pt.hashMismatches > 0) {
        const auto& first = ct.samples[pairs.front().second];
        pt.warnings.push_back(Diagnostic::warning(
            first.file < cand.files.size() ? cand.files[first.file] : cand.info.path, firstMismatchLine,
            name + ": " + std::to_string(pt.hashMismatches)
                + " pairs have different doc or prompt hashes: the two runs did not see the same prompts, so "
                  "their comparison may not be valid"));
    }
    if (pt.missingScores > 0)
        pt.warnings.push_back(Diagnostic::warning(cand.info.path, 0,
            name + ": " + std::to_string(pt.missingScores)
                + " pairs are left out because one side has no numeric score"));
    const auto worstNote = [&](std::int64_t count, const SampleRecord* first, const EvalRun& run, const char* side) {
        if (count > 0)
            pt.warnings.push_back(Diagnostic::warning(
                first->file < run.files.size() ? run.files[first->file] : run.info.path, first->line,
                name + ": " + std::to_string(count) + " " + side
                    + " scores are infinitely bad (e.g. a log-likelihood of -inf); they are kept as the worst "
                      "possible score and the test counts them as such"));
    };
    worstNote(pt.worstBase, firstWorstBase, base, "baseline");
    worstNote(pt.worstCand, firstWorstCand, cand, "candidate");
    if (pt.base.empty())
        pt.warnings.push_back(Diagnostic::warning(cand.info.path, 0, name + ": no sample could be paired"));
    return pt;
}

bool keepsAny(const KeepList& keep, const TaskSamples& t)
{
    return std::any_of(t.samples.begin(), t.samples.end(),
        [&](const SampleRecord& s) { return keep.keeps(t.task, t.filter, s.docId); });
}

bool excludesAny(const KeepList& keep, const TaskSamples& t)
{
    return std::any_of(t.samples.begin(), t.samples.end(),
        [&](const SampleRecord& s) { return !keep.keeps(t.task, t.filter, s.docId); });
}

} // namespace

PairedRuns pairRuns(const EvalRun& base, const EvalRun& cand, const PairOptions& options)
{
    PairedRuns out;
    // A run compared with itself (the same folder picked twice, or the same file under two names)
    // agrees with itself on every sample: said, since nothing can be learned from it.
    if (!base.files.empty() && base.files.size() == cand.files.size()) {
        std::error_code ec;
        bool same = true;
        for (std::size_t i = 0; same && i < base.files.size(); ++i)
            same = std::filesystem::equivalent(base.files[i], cand.files[i], ec);
        if (same)
            out.warnings.push_back(Diagnostic::warning(cand.info.path, 0,
                "the candidate is the baseline's own files (" + base.info.path
                    + "): every pair agrees, so the comparison can show nothing; pick another run"));
    }
    std::map<std::pair<std::string, std::string>, int> candTasks;
    for (std::size_t i = 0; i < cand.tasks.size(); ++i)
        candTasks.emplace(std::make_pair(cand.tasks[i].task, cand.tasks[i].filter), static_cast<int>(i));
    std::map<std::pair<std::string, std::string>, bool> used;
    const KeepList* keep = options.keepList;

    for (std::size_t bi = 0; bi < base.tasks.size(); ++bi) {
        const TaskSamples& bt = base.tasks[bi];
        const auto found = candTasks.find({ bt.task, bt.filter });
        if (found == candTasks.end()) {
            out.baselineOnly.push_back(label(bt));
            out.warnings.push_back(Diagnostic::warning(
                base.info.path, 0, "task " + label(bt) + " is only in the baseline; it is not compared"));
            continue;
        }
        used[{ bt.task, bt.filter }] = true;
        const TaskSamples& ct = cand.tasks[static_cast<std::size_t>(found->second)];
        std::vector<PairedTask> rows;
        std::size_t idPairs = 0;
        // With a keep-list: the row of the kept samples (when it keeps any), then the audit row of the
        // samples it excluded that both runs have, so that a regression there is tested too (DESIGN 3.5).
        const bool kept = !keep || keepsAny(*keep, bt) || keepsAny(*keep, ct);
        if (kept)
            rows.push_back(pairTask(base, bi, cand, found->second, { keep, false }, idPairs));
        if (keep) {
            auto audit = pairTask(base, bi, cand, found->second, { keep, true }, idPairs);
            if (idPairs > 0) {
                if (!kept)
                    out.warnings.push_back(Diagnostic::warning(cand.info.path, 0,
                        "task " + label(bt)
                            + ": the keep-list keeps none of its samples; only the samples it excluded are tested"));
                rows.push_back(std::move(audit));
            } else if (!kept) {
                out.warnings.push_back(Diagnostic::warning(cand.info.path, 0,
                    "task " + label(bt)
                        + ": the keep-list keeps none of its samples and the two runs share none of the others; it "
                          "is not compared"));
            } else if (excludesAny(*keep, bt)) {
                rows.front().warnings.push_back(Diagnostic::note(cand.info.path, 0,
                    label(bt)
                        + ": the candidate has no result for the samples the keep-list excluded, so a regression "
                          "on them cannot be seen (shrink --audit F keeps a random share of them)"));
            }
        }
        if (bt.metric != ct.metric && !rows.empty())
            rows.front().warnings.insert(rows.front().warnings.begin(),
                Diagnostic::warning(cand.info.path, 0,
                    label(bt) + ": the baseline is scored on \"" + bt.metric + "\" and the candidate on \"" + ct.metric
                        + "\"; choose the metric of task " + bt.task + " to compare like with like"));
        for (auto& row : rows)
            out.tasks.push_back(std::move(row));
    }
    for (const auto& ct : cand.tasks)
        if (!used.count({ ct.task, ct.filter }))
            out.warnings.push_back(Diagnostic::warning(
                cand.info.path, 0, "task " + label(ct) + " is only in the candidate; it is not compared"));
    return out;
}

} // namespace deltascope::eval
