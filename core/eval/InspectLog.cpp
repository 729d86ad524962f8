// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/InspectLog.h"

#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/InspectJson.h"
#include "eval/ScoreValue.h"
#include "eval/ZipArchive.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace fs = std::filesystem;

namespace deltascope::eval {

namespace {

using namespace inspect;

constexpr std::size_t kNamesShown = 10;
constexpr const char* kNotAZip = "not a zip archive (Inspect .eval): the file does not start like one";

// "1, 4, 9 and 3 more"
std::string nameList(const std::vector<std::string>& names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i)
        out += (i ? ", " : "") + names[i];
    if (names.size() > kNamesShown)
        out += " and " + std::to_string(names.size() - kNamesShown) + " more";
    return out;
}

// Numeric ids sort as numbers (2 before 10), others as text after them.
bool idLess(const std::string& a, const std::string& b)
{
    const auto na = parseDouble(a);
    const auto nb = parseDouble(b);
    if (na && nb)
        return *na < *nb || (*na == *nb && a < b);
    if (na != nb)
        return na.has_value();
    return a < b;
}

struct Collected {
    std::optional<InspectHeader> header;
    std::optional<InspectHeader> journalStart; // a log whose run never finished has only this
    std::vector<EpochScores> samples;
};

bool isZip(std::string_view head)
{
    return head.size() >= 4 && head.substr(0, 2) == "PK";
}

// The metrics the samples offer, in the order the log names its scorers.
std::vector<std::string> offeredMetrics(
    const std::vector<EpochScores>& samples, const std::vector<std::string>& scorers)
{
    std::vector<std::string> metrics;
    for (const auto& s : samples)
        for (const auto& [name, v] : s.values)
            if (std::find(metrics.begin(), metrics.end(), name) == metrics.end())
                metrics.push_back(name);
    std::stable_sort(metrics.begin(), metrics.end(), [&](const std::string& a, const std::string& b) {
        auto rank = [&](const std::string& m) {
            for (std::size_t i = 0; i < scorers.size(); ++i)
                if (m == scorers[i] || m.starts_with(scorers[i] + "."))
                    return i;
            return scorers.size();
        };
        return rank(a) < rank(b);
    });
    return metrics;
}

// Turns the per-epoch scores of one log into a run: one record per sample id, epochs averaged.
Result<EvalRun> buildRun(Collected c, const std::string& path, const LoadOptions& options, RecordStore store)
{
    using R = Result<EvalRun>;
    R out;
    InspectHeader h;
    if (c.header)
        h = std::move(*c.header);
    else if (c.journalStart) {
        h = std::move(*c.journalStart);
        h.status = "started";
        out.warnings.push_back(Diagnostic::warning(
            path, 0, "the log has no header.json (the run did not finish writing it); using _journal/start.json"));
    } else {
        return R::failure(Diagnostic::error(path, 0, "not an Inspect log: it has no header.json"));
    }
    if (h.task.empty())
        return R::failure(Diagnostic::error(path, 0, "the log names no task (eval.task)"));
    if (!options.tasks.empty() && std::find(options.tasks.begin(), options.tasks.end(), h.task) == options.tasks.end())
        return R::failure(Diagnostic::error(path, 0, noRequestedTask(options.tasks, "this log", h.task)));
    if (c.samples.empty())
        return R::failure(Diagnostic::error(path, 0,
            "the log holds no samples (status \"" + h.status
                + "\"; was it written with log_samples off, or cancelled before any sample finished?)"));

    const auto metrics = offeredMetrics(c.samples, h.scorers);
    // A metric asked for this task, else the one asked for every task (--metric METRIC), as the
    // other readers do.
    auto chosen = options.metrics.find(h.task);
    if (chosen == options.metrics.end())
        chosen = options.metrics.find("*");
    std::string metric;
    if (chosen != options.metrics.end()) {
        metric = chosen->second;
        if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end())
            return R::failure(Diagnostic::error(path, 0,
                "task " + h.task + " has no metric \"" + metric + "\" (this run has: " + nameList(metrics) + ")"));
    } else if (!metrics.empty()) {
        metric = metrics.front();
    } else {
        return R::failure(Diagnostic::error(path, 0, "no sample of the log carries a score"));
    }

    // Group the epochs of each sample id.
    std::unordered_map<std::string, std::size_t> slot;
    std::vector<std::vector<const EpochScores*>> groups;
    for (const auto& s : c.samples) {
        const auto [it, fresh] = slot.emplace(s.id, groups.size());
        if (fresh)
            groups.emplace_back();
        groups[it->second].push_back(&s);
    }
    TaskSamples task;
    task.task = h.task;
    task.metric = metric;
    // --cluster: a sample's value at the key (its first epoch's), e.g. metadata.subject.
    task.clusterKey = options.clusterKey;
    detail::ClusterIndex clusters;
    std::int64_t clustered = 0;
    std::vector<std::string> unclustered;
    bool zeroOne = true;
    std::int64_t flips = 0;
    bool twoEpochs = false;
    std::vector<std::string> errored;
    std::vector<std::string> unscored;
    std::vector<std::string> duplicates;
    std::vector<std::string> nanSkipped;
    for (auto& g : groups) {
        std::sort(g.begin(), g.end(), [](const EpochScores* a, const EpochScores* b) { return a->epoch < b->epoch; });
        SampleRecord r;
        r.docId = g.front()->id;
        r.offset = g.front()->where;
        if (!options.clusterKey.empty()) {
            const EpochScores& first = *g.front();
            if (first.clusterFound == detail::ClusterField::NotScalar)
                return R::failure(Diagnostic::badRecord(path, 0,
                    "sample " + first.id + ": the cluster field " + options.clusterKey
                        + " holds an object or a list, not a string or a number"));
            if (first.clusterFound == detail::ClusterField::Found) {
                r.cluster = clusters.intern(task, first.cluster);
                ++clustered;
            } else {
                unclustered.push_back(first.id);
            }
        }
        double sum = 0.0;
        int n = 0;
        std::vector<double> perEpoch;
        for (std::size_t i = 0; i < g.size(); ++i) {
            const EpochScores& e = *g[i];
            const std::string name
                = e.id + (g.size() > 1 || e.epoch != 1 ? " (epoch " + std::to_string(e.epoch) + ")" : "");
            if (i > 0 && g[i - 1]->epoch == e.epoch) {
                duplicates.push_back(name);
                continue;
            }
            if (!e.error.empty())
                errored.push_back(name + ": " + e.error.substr(0, 120));
            double v = std::numeric_limits<double>::quiet_NaN();
            for (const auto& [k, x] : e.values)
                if (k == metric)
                    v = x;
            // A score written as NaN is a bad sample, as in the other readers: an error, or
            // skipped and counted.
            if (std::find(e.nanValues.begin(), e.nanValues.end(), metric) != e.nanValues.end()) {
                if (!options.skipBadLines)
                    return R::failure(
                        Diagnostic::badRecord(path, 0, "sample " + name + ": " + nanScoreMessage(metric)));
                nanSkipped.push_back(name);
                perEpoch.push_back(v);
                continue;
            }
            perEpoch.push_back(v);
            if (std::isnan(v)) {
                if (e.error.empty())
                    unscored.push_back(name);
                continue;
            }
            zeroOne = zeroOne && (v == 0.0 || v == 1.0);
            sum += v;
            ++n;
        }
        if (perEpoch.size() >= 2) {
            twoEpochs = true;
            if (!std::isnan(perEpoch[0]) && !std::isnan(perEpoch[1]) && perEpoch[0] != perEpoch[1])
                ++flips;
        }
        if (n > 0)
            r.score = sum / n;
        task.samples.push_back(std::move(r));
    }
    std::sort(task.samples.begin(), task.samples.end(),
        [](const SampleRecord& a, const SampleRecord& b) { return idLess(a.docId, b.docId); });
    if (!options.clusterKey.empty() && clustered == 0)
        return R::failure(Diagnostic::error(path, 0,
            "no sample of task " + h.task + " has the cluster field " + options.clusterKey
                + " (an Inspect sample keeps its dataset fields under metadata, e.g. metadata.subject)"));
    if (!unclustered.empty())
        out.warnings.push_back(Diagnostic::warning(path, 0,
            "task " + h.task + ": " + std::to_string(unclustered.size()) + " of "
                + std::to_string(unclustered.size() + static_cast<std::size_t>(clustered))
                + " samples have no cluster field " + options.clusterKey
                + " (or null); each is a cluster of its own: " + nameList(unclustered)));
    task.rightOrWrong = zeroOne;
    task.epochFlips = twoEpochs ? flips : -1;

    // What did not finish is named, never dropped in silence.
    if (!h.status.empty() && h.status != "success") {
        std::string s = "the log's status is \"" + h.status + "\": the run did not finish";
        if (h.completedSamples >= 0 && h.totalSamples >= 0)
            s += " (" + std::to_string(h.completedSamples) + " of " + std::to_string(h.totalSamples)
                + " samples completed)";
        out.warnings.push_back(Diagnostic::warning(path, 0, s));
    }
    if (!h.sampleIds.empty()) {
        std::vector<std::string> missing;
        for (const auto& id : h.sampleIds) {
            const auto it = slot.find(id);
            const std::size_t have = it == slot.end() ? 0 : groups[it->second].size();
            if (have == 0)
                missing.push_back(id);
            else if (static_cast<std::int64_t>(have) < h.epochs)
                missing.push_back(id + " (" + std::to_string(h.epochs - static_cast<std::int64_t>(have)) + " of "
                    + std::to_string(h.epochs) + " epochs)");
        }
        if (!missing.empty())
            out.warnings.push_back(Diagnostic::warning(path, 0,
                std::to_string(missing.size()) + " of the " + std::to_string(h.sampleIds.size())
                    + " samples the run set out to score are missing from the log (not finished): "
                    + nameList(missing)));
    } else if (h.totalSamples > static_cast<std::int64_t>(c.samples.size())
        && h.completedSamples <= static_cast<std::int64_t>(c.samples.size())) {
        out.warnings.push_back(Diagnostic::warning(path, 0,
            "the log holds " + std::to_string(c.samples.size()) + " of the " + std::to_string(h.totalSamples)
                + " sample epochs the run set out to score; the others did not finish"));
    }
    // A log whose results count more finished samples than it holds was cut down after the run.
    if (h.completedSamples > static_cast<std::int64_t>(c.samples.size()))
        out.warnings.push_back(Diagnostic::warning(path, 0,
            "the log's results count " + std::to_string(h.completedSamples) + " completed sample epochs but it holds "
                + std::to_string(c.samples.size()) + " (was it cut down after the run?); only those are compared"));
    if (!errored.empty())
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(errored.size()) + " sample epoch(s) ended in an error (a sample without any score is "
                + "left unpaired): " + nameList(errored)));
    if (!unscored.empty())
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(unscored.size()) + " sample epoch(s) have no usable score for " + metric
                + " (left unpaired): " + nameList(unscored)));
    if (!nanSkipped.empty())
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(nanSkipped.size()) + " sample epoch(s) with a NaN " + metric
                + " score skipped (left unpaired): " + nameList(nanSkipped)));
    if (!duplicates.empty())
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(duplicates.size())
                + " sample epoch(s) appear twice; the first is kept: " + nameList(duplicates)));

    EvalRun run;
    run.info.path = path;
    run.info.model = h.model;
    run.info.timestamp = h.created;
    run.info.format = store == RecordStore::InspectZipEntry ? "Inspect .eval" : "Inspect .json";
    run.records = store;
    run.files.push_back(path);
    run.tasks.push_back(std::move(task));
    out.value = std::move(run);
    return out;
}

bool isSampleEntry(const std::string& name)
{
    if (!name.starts_with("samples/") || !name.ends_with(".json"))
        return false;
    const std::string_view rest = std::string_view(name).substr(8);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos)
        return true; // samples/{id}_epoch_{n}.json
    return rest.substr(slash) == "/sample.json"; // the chunked layout's per-sample shell
}

// A .eval log: the header, the journal's start record and the sample entries.
Result<Collected> collectZip(
    const std::string& label, const std::string* path, std::string_view bytes, const LoadOptions& options)
{
    using R = Result<Collected>;
    Collected c;
    std::optional<Diagnostic> failure;
    std::uint64_t total = bytes.size();
    if (path) {
        std::error_code ec;
        total = fs::file_size(*path, ec);
    }
    bool cancelled = false;
    auto wanted = [](const ZipEntryInfo& e) {
        return e.name == "header.json" || e.name == "_journal/start.json" || isSampleEntry(e.name);
    };
    auto take = [&](const ZipEntryInfo& e, std::string& data) {
        const std::string where = "zip entry \"" + e.name + "\"";
        if (e.name == "header.json" || e.name == "_journal/start.json") {
            auto& slot = e.name == "header.json" ? c.header : c.journalStart;
            if (slot) {
                failure = Diagnostic::error(
                    label, 0, where + " appears twice in the zip; which one is the run's is unclear");
                return false;
            }
            auto h = parseHeaderText(data, label, where);
            if (!h.ok()) {
                failure = *h.error;
                return false;
            }
            slot = std::move(*h.value);
        } else {
            EpochScores s;
            s.where = e.index;
            if (auto bad = parseSampleText(data, s, options.clusterKey)) {
                failure = Diagnostic::error(label, 0, where + ": " + *bad);
                return false;
            }
            c.samples.push_back(std::move(s));
        }
        if (options.progress.callback && total > 0
            && !options.progress.report(
                static_cast<double>(e.offset) / static_cast<double>(total), "reading samples")) {
            cancelled = true;
            return false;
        }
        return true;
    };
    auto walked = path ? walkZip(*path, wanted, take) : walkZipBytes(bytes, label, wanted, take);
    if (!walked.ok())
        return R::failure(*walked.error);
    if (failure)
        return R::failure(*failure);
    if (cancelled)
        return R::failure(Diagnostic::error(label, 0, "loading was cancelled"));
    return R { std::move(c), {}, std::nullopt };
}

Result<Collected> collectJson(std::string_view text, const std::string& label, std::string_view clusterKey)
{
    using R = Result<Collected>;
    Collected c;
    auto parsed = parseJsonLog(
        text, label,
        [&](std::size_t, EpochScores& s) {
            c.samples.push_back(std::move(s));
            return true;
        },
        clusterKey);
    if (!parsed.ok())
        return R::failure(*parsed.error);
    c.header = std::move(*parsed.value);
    return R { std::move(c), {}, std::nullopt };
}

// The samples of a log, read from a file (path) or from its bytes.
Result<Collected> collect(
    const std::string& label, const std::string* path, std::string_view bytes, const LoadOptions& options)
{
    if (isZip(bytes))
        return collectZip(label, path, path ? std::string_view() : bytes, options);
    return collectJson(bytes, label, options.clusterKey);
}

Result<EvalRun> load(
    const std::string& label, const std::string* path, std::string_view bytes, const LoadOptions& options)
{
    if (!isZip(bytes) && isInspectEvalName(label))
        return Result<EvalRun>::failure(Diagnostic::error(label, 0, kNotAZip));
    auto c = collect(label, path, bytes, options);
    if (!c.ok())
        return Result<EvalRun>::failure(*c.error);
    const bool zip = isZip(bytes);
    return buildRun(
        std::move(*c.value), label, options, zip ? RecordStore::InspectZipEntry : RecordStore::InspectJsonSample);
}

} // namespace

bool isInspectEvalName(const std::string& name)
{
    return name.size() > 5 && name.ends_with(".eval");
}

namespace {

// Reads a JSON text only as far as its top-level "eval" key and tells whether that key holds an
// object; stops at once on anything else (a text that is no object, a truncated head).
class EvalKeyProbe : public nlohmann::json_sax<nlohmann::json> {
public:
    bool found = false;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override
    {
        if (m_atEval) {
            found = true;
            return false;
        }
        ++m_depth;
        return true;
    }
    bool key(string_t& k) override
    {
        m_atEval = m_depth == 1 && k == "eval";
        return true;
    }
    bool end_object() override { return --m_depth > 0; }
    bool start_array(std::size_t) override
    {
        ++m_depth;
        return m_depth > 1 && !m_atEval;
    }
    bool end_array() override { return --m_depth > 0; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

private:
    bool value() { return m_depth > 0 && !m_atEval; }
    int m_depth = 0;
    bool m_atEval = false;
};

} // namespace

bool looksLikeInspectJson(std::string_view head)
{
    const auto first = head.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || head[first] != '{')
        return false;
    EvalKeyProbe probe;
    nlohmann::json::sax_parse(head.begin(), head.end(), &probe, nlohmann::json::input_format_t::json, false);
    return probe.found;
}

Result<InspectHeader> readInspectHeader(const std::string& path)
{
    using R = Result<InspectHeader>;
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    if (isZip(file.text())) {
        std::optional<InspectHeader> header;
        std::optional<InspectHeader> start;
        std::optional<Diagnostic> failure;
        auto walked = walkZip(
            path, [](const ZipEntryInfo& e) { return e.name == "header.json" || e.name == "_journal/start.json"; },
            [&](const ZipEntryInfo& e, std::string& data) {
                const std::string where = "zip entry \"" + e.name + "\"";
                auto& slot = e.name == "header.json" ? header : start;
                if (slot) {
                    failure = Diagnostic::error(
                        path, 0, where + " appears twice in the zip; which one is the run's is unclear");
                    return false;
                }
                auto h = parseHeaderText(data, path, where);
                if (!h.ok()) {
                    failure = *h.error;
                    return false;
                }
                slot = std::move(*h.value);
                return true;
            });
        if (!walked.ok())
            return R::failure(*walked.error);
        if (failure)
            return R::failure(*failure);
        if (header)
            return R { std::move(header), {}, std::nullopt };
        if (start) {
            start->status = "started";
            return R { std::move(start), {}, std::nullopt };
        }
        return R::failure(Diagnostic::error(path, 0, "not an Inspect log: the zip has no header.json"));
    }
    if (isInspectEvalName(path))
        return R::failure(Diagnostic::error(path, 0, kNotAZip));
    return parseJsonLog(file.text(), path, {});
}

Result<EvalRun> loadInspectLog(const std::string& path, const LoadOptions& options)
{
    using R = Result<EvalRun>;
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    return load(path, &path, file.text(), options);
}

Result<EvalRun> loadInspectBytes(std::string_view bytes, const std::string& label, const LoadOptions& options)
{
    return load(label, nullptr, bytes, options);
}

Result<std::vector<std::string>> inspectMetrics(const std::string& path)
{
    using R = Result<std::vector<std::string>>;
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    auto c = collect(path, &path, file.text(), {});
    if (!c.ok())
        return R::failure(*c.error);
    const auto& h = c.value->header ? c.value->header : c.value->journalStart;
    return R { offeredMetrics(c.value->samples, h ? h->scorers : std::vector<std::string>()), {}, std::nullopt };
}

} // namespace deltascope::eval
