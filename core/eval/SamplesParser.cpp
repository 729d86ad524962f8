// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/SamplesParser.h"

#include "common/LineWindows.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"
#include "eval/ClusterKey.h"
#include "eval/JsonScalar.h"
#include "eval/SampleRecordRead.h"
#include "eval/ScoreValue.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <simdjson.h>
#include <unordered_map>

namespace deltascope::eval {

namespace {

using namespace record;

struct Parser {
    Parser(const std::string& p, const SamplesParseOptions& o)
        : path(p)
        , options(o)
    { }

    const std::string& path;
    const SamplesParseOptions& options;
    ClusterPath clusterPath { options.clusterKey };
    std::vector<detail::ClusterIndex> clusterIndex; // per group
    detail::ClusterTally clusterTally;
    std::string metric;
    bool logLikelihood = false;
    ScoreShape shape = ScoreShape::Plain;
    std::vector<std::string> filterNames;
    od::parser parser;
    std::string quoted; // records with bare NaN / Infinity
    Result<std::vector<TaskSamples>> result;
    std::vector<TaskSamples> groups;
    std::map<std::string, std::size_t> groupIndex;
    std::unordered_map<std::string, std::uint32_t> occurrences; // docs repeated once per filter
    std::int64_t missingScores = 0;
    std::int64_t firstMissingLine = 0;
    std::string firstProblem;
    std::int64_t problemCount = 0;
    std::int64_t problemLine = 0;
    std::int64_t skippedLines = 0;
    std::int64_t nanSkipped = 0; ///< samples left out for a NaN score (skipBadLines)
    std::int64_t firstNanLine = 0;
    std::int64_t unfilteredRepeats = 0;
    std::int64_t goldPairs = 0; ///< records whose score was a [gold, prediction] list

    std::size_t group(const std::string& filter)
    {
        auto it = groupIndex.find(filter);
        if (it != groupIndex.end())
            return it->second;
        groupIndex.emplace(filter, groups.size());
        TaskSamples ts;
        ts.task = options.task;
        ts.filter = filter;
        ts.clusterKey = options.clusterKey;
        ts.metric = metric;
        ts.logLikelihood = logLikelihood;
        ts.higherIsBetter = true;
        if (!logLikelihood && options.config) {
            const auto h = options.config->higherIsBetter.find(metric);
            if (h != options.config->higherIsBetter.end())
                ts.higherIsBetter = h->second;
        }
        groups.push_back(std::move(ts));
        clusterIndex.emplace_back();
        return groups.size() - 1;
    }

    // Gives s the cluster of its record (when a key is set) and counts records without one.
    void assignCluster(const Record& rec, SampleRecord& s, std::size_t g)
    {
        if (options.clusterKey.empty())
            return;
        const bool has = rec.clusterFound == detail::ClusterField::Found;
        clusterTally.count(has, s.line, s.offset, s.length);
        if (has)
            s.cluster = clusterIndex[g].intern(groups[g], rec.cluster);
    }

    // A record that cannot be used: fatal, or with skipBadLines one of the first five warnings.
    // Returns false when the whole parse must stop.
    bool badRecord(std::int64_t line, const std::string& error, const std::string& warning)
    {
        if (!options.skipBadLines) {
            result.error = Diagnostic::badRecord(path, line, error);
            return false;
        }
        if (++skippedLines <= 5)
            result.warnings.push_back(Diagnostic::warning(path, line, warning + "; skipped"));
        return true;
    }

    // The record's filter: its own "filter", else (before 0.4.7) the position of this repetition
    // of the document in the task's filter_list.
    std::string filterOf(Record& rec)
    {
        if (rec.hasFilter)
            return std::move(rec.filter);
        if (filterNames.size() <= 1)
            return filterNames.front();
        const std::uint32_t k = occurrences[rec.docId]++;
        if (k < filterNames.size())
            return filterNames[k];
        ++unfilteredRepeats;
        return filterNames.back();
    }

    // Parses one record held in [begin, begin + len) of a buffer with `capacity` readable bytes.
    // Returns false when the whole parse must stop.
    bool record(const char* begin, std::size_t len, std::size_t capacity, std::uint64_t offset, std::int64_t line)
    {
        Record rec;
        auto parseInto = [&](const char* p, std::size_t n, std::size_t cap) -> simdjson::error_code {
            rec = Record {};
            od::document doc;
            if (auto e = parser.iterate(p, n, cap).get(doc))
                return e;
            od::object obj;
            if (auto e = doc.get_object().get(obj))
                return e;
            if (auto e = readRecord(obj, metric, shape, clusterPath, rec))
                return e;
            return simdjson::SUCCESS;
        };
        simdjson::error_code err = parseInto(begin, len, capacity);
        if (err) {
            const std::string_view text(begin, len);
            // Invalid UTF-8 in a prompt or response is not the record's fault: it is read with
            // replacement characters (and shown so).
            const bool badUtf8 = err == simdjson::UTF8_ERROR;
            if (badUtf8 || text.find("NaN") != std::string_view::npos
                || text.find("Infinity") != std::string_view::npos) {
                quoted = quoteNonFiniteTokens(badUtf8 ? std::string_view(replaceInvalidUtf8(text)) : text);
                const std::size_t n = quoted.size();
                quoted.resize(n + simdjson::SIMDJSON_PADDING, ' ');
                err = parseInto(quoted.data(), n, quoted.size());
            }
        }
        if (err) {
            std::string msg = "malformed JSON record (" + errorText(err) + ")";
            if (err == simdjson::INCORRECT_TYPE || err == simdjson::TAPE_ERROR)
                msg = "malformed JSON record: expected one JSON object per line (" + errorText(err) + ")";
            return badRecord(line, msg, msg);
        }
        if (!rec.repeatedKey.empty()) {
            const std::string msg = "the record gives \"" + rec.repeatedKey + "\" twice";
            return badRecord(line, msg, msg);
        }
        goldPairs += rec.goldPair ? 1 : 0;
        if (!rec.hasDocId) {
            const std::string msg = rec.problem.empty() ? std::string("record has no \"doc_id\"") : rec.problem;
            return badRecord(line, msg, rec.problem.empty() ? std::string("record has no doc_id") : rec.problem);
        }
        if (rec.clusterFound == detail::ClusterField::NotScalar) {
            const std::string msg
                = "the cluster field " + options.clusterKey + " holds an object or a list, not a string or a number";
            return badRecord(line, msg, msg);
        }
        if (rec.nanScore && rec.problem.empty()) {
            if (!options.skipBadLines) {
                result.error = Diagnostic::badRecord(path, line, nanScoreMessage(metric));
                return false;
            }
            if (nanSkipped++ == 0)
                firstNanLine = line;
            return true;
        }
        const std::string filter = filterOf(rec);
        SampleRecord s;
        s.docId = std::move(rec.docId);
        s.score = rec.score;
        s.docHash = rec.docHash;
        s.promptHash = rec.promptHash;
        s.weight = rec.weight;
        s.file = options.fileIndex;
        s.offset = offset;
        s.length = static_cast<std::uint32_t>(std::min<std::size_t>(len, UINT32_MAX));
        s.line = line;
        if (!rec.problem.empty()) {
            if (problemCount++ == 0) {
                firstProblem = rec.problem;
                problemLine = line;
            }
            s.score = std::nan("");
        } else if (!rec.hasScore || std::isnan(s.score)) {
            if (missingScores++ == 0)
                firstMissingLine = line;
        }
        const std::size_t g = group(filter);
        assignCluster(rec, s, g);
        groups[g].samples.push_back(std::move(s));
        return true;
    }

    bool cancelled() const { return options.cancel && options.cancel->load(std::memory_order_relaxed); }

    // The records of [data, data + size), whole lines that start at text offset `base`, followed by
    // the parser's padding. Returns false when the whole parse must stop.
    bool parseWindow(const char* data, std::size_t size, std::size_t base, std::int64_t& line)
    {
        std::size_t pos = 0;
        while (pos < size) {
            ++line;
            const void* nl = std::memchr(data + pos, '\n', size - pos);
            const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : size;
            std::size_t b = pos;
            while (b < end && (data[b] == ' ' || data[b] == '\t' || data[b] == '\r'))
                ++b;
            if (b < end && !record(data + b, end - b, size + simdjson::SIMDJSON_PADDING - b, base + b, line))
                return false;
            pos = end + 1;
        }
        return true;
    }

    void parseLines(const MappedFile& file)
    {
        // Offsets are those of the text (after a byte-order mark), as every reader keeps them.
        const std::string_view text = file.text();
        const std::size_t bom = file.size() - text.size();
        std::int64_t line = 0;
        // The file is read through a buffer that stays in use from window to window: much
        // cheaper than touching every page of the mapping for the first time.
        LineWindows windows(simdjson::SIMDJSON_PADDING);
        std::string why;
        if (!windows.open(path, bom, why)) {
            result.error = Diagnostic::error(path, 0, why);
            return;
        }
        const char* data = nullptr;
        std::size_t size = 0;
        std::size_t offset = 0;
        while (windows.next(data, size, offset)) {
            if (!parseWindow(data, size, offset - bom, line))
                return;
            if (options.bytesDone)
                options.bytesDone->fetch_add(size, std::memory_order_relaxed);
            if (cancelled())
                return;
        }
        if (!windows.error().empty())
            result.error = Diagnostic::error(path, line, windows.error());
    }

    void parseArray(const MappedFile& file)
    {
        simdjson::padded_string padded(file.text());
        od::parser outer;
        od::document doc;
        auto fail = [&](simdjson::error_code e, std::size_t offset) {
            if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
                // A file cut short (a run stopped while writing it): said at its last line.
                const auto text = file.text();
                const auto last = text.find_last_not_of(" \t\r\n");
                result.error = Diagnostic::error(path, lineOfOffset(text, last == std::string_view::npos ? 0 : last),
                    "the JSON array of samples ends early, inside an unfinished sample: was the file cut short?");
                return;
            }
            result.error = Diagnostic::error(
                path, lineOfOffset(file.text(), offset), "malformed JSON array of samples (" + errorText(e) + ")");
        };
        auto e0 = outer.iterate(padded).get(doc);
        if (e0 == simdjson::UTF8_ERROR) {
            // Invalid UTF-8 inside the array: read with one '?' per bad byte, so that every offset
            // stays that of the file (the sample view shows replacement characters).
            padded = simdjson::padded_string(replaceInvalidUtf8(file.text(), "?"));
            e0 = outer.iterate(padded).get(doc);
        }
        if (e0)
            return fail(e0, 0);
        od::array arr;
        if (auto e = doc.get_array().get(arr))
            return fail(e, 0);
        const char* base = padded.data();
        std::size_t lastOffset = 0;
        std::int64_t line = 1;
        for (auto element : arr) {
            od::object obj;
            std::string_view raw;
            if (auto e = element.get_object().get(obj)) {
                const char* loc = nullptr;
                std::size_t at = lastOffset;
                if (!doc.current_location().get(loc))
                    at = static_cast<std::size_t>(loc - base);
                return fail(e, at);
            }
            if (auto e = obj.raw_json().get(raw)) {
                const char* loc = nullptr;
                std::size_t at = lastOffset;
                if (!doc.current_location().get(loc))
                    at = static_cast<std::size_t>(loc - base);
                return fail(e, at);
            }
            const auto offset = static_cast<std::size_t>(raw.data() - base);
            line += std::count(base + lastOffset, base + offset, '\n');
            lastOffset = offset;
            const std::size_t capacity = padded.size() + simdjson::SIMDJSON_PADDING - offset;
            if (!record(raw.data(), raw.size(), capacity, offset, line))
                return;
            if (cancelled())
                return;
        }
        if (options.bytesDone)
            options.bytesDone->fetch_add(file.size(), std::memory_order_relaxed);
    }
};

// Reads the first record of the file (for metric discovery) as a padded copy.
std::string firstRecordText(std::string_view text, bool array)
{
    if (!array) {
        std::size_t pos = 0;
        while (pos < text.size()) {
            const auto nl = text.find('\n', pos);
            const auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            if (line.find_first_not_of(" \t\r") != std::string_view::npos)
                return std::string(line);
            if (nl == std::string_view::npos)
                break;
            pos = nl + 1;
        }
        return {};
    }
    // In an array, the first object: from the first '{' to its matching '}'.
    const auto start = text.find('{');
    if (start == std::string_view::npos)
        return {};
    int depth = 0;
    bool inString = false;
    for (std::size_t i = start; i < text.size(); ++i) {
        const char ch = text[i];
        if (inString) {
            if (ch == '\\')
                ++i;
            else if (ch == '"')
                inString = false;
            continue;
        }
        if (ch == '"')
            inString = true;
        else if (ch == '{')
            ++depth;
        else if (ch == '}' && --depth == 0)
            return std::string(text.substr(start, i - start + 1));
    }
    return {};
}

} // namespace

std::string jsonKernel()
{
    const simdjson::implementation* impl = simdjson::get_active_implementation();
    return std::string(impl->name()) + ": " + std::string(impl->description());
}

Result<std::vector<TaskSamples>> parseSamplesFile(const std::string& path, const SamplesParseOptions& options)
{
    using R = Result<std::vector<TaskSamples>>;
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const std::string_view text = file.text();
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return R::failure(Diagnostic::error(path, 0, "the samples file is empty"));
    const bool array = text[first] == '[';
    if (!array && text[first] != '{')
        return R::failure(Diagnostic::error(path, lineOfOffset(text, first),
            "expected a JSON object per line (lm-eval samples) or a JSON array of samples"));

    Parser p { path, options };
    p.metric = options.metric;
    if (p.metric.empty() && options.config && !options.config->metrics.empty())
        p.metric = options.config->metrics.front();
    if (p.metric.empty()) {
        std::string head = quoteNonFiniteTokens(firstRecordText(text, array));
        const std::size_t n = head.size();
        head.resize(n + simdjson::SIMDJSON_PADDING, ' ');
        od::document doc;
        od::object obj;
        if (!p.parser.iterate(head.data(), n, head.size()).get(doc) && !doc.get_object().get(obj))
            p.metric = metricFromFirstRecord(obj);
        if (p.metric.empty())
            return R::failure(Diagnostic::error(path, lineOfOffset(text, first),
                "cannot tell which metric to compare: the record lists no \"metrics\" and has no metric field"));
    }
    p.logLikelihood = isLogLikelihoodMetric(p.metric);
    p.shape = scoreShapeOf(p.metric);
    if (options.config)
        p.filterNames = options.config->filters;
    if (p.filterNames.empty())
        p.filterNames.push_back("none");

    if (array)
        p.parseArray(file);
    else
        p.parseLines(file);
    if (p.result.error)
        return std::move(p.result);

    if (p.problemCount > 0)
        p.result.warnings.push_back(Diagnostic::warning(path, p.problemLine,
            std::to_string(p.problemCount) + " record(s) have a \"" + p.metric + "\" value that is not a number ("
                + p.firstProblem + "); they are left out of the comparison"));
    if (p.nanSkipped > 0)
        p.result.warnings.push_back(Diagnostic::warning(path, p.firstNanLine,
            std::to_string(p.nanSkipped) + " sample(s) with a NaN \"" + p.metric
                + "\" score left out of the comparison (the first is on this line)"));
    if (p.missingScores > 0)
        p.result.warnings.push_back(Diagnostic::warning(path, p.firstMissingLine,
            std::to_string(p.missingScores) + " record(s) have no value for metric \"" + p.metric
                + "\" (missing, null or \"N/A\"); they are left out of the comparison"));
    if (p.skippedLines > 5)
        p.result.warnings.push_back(
            Diagnostic::warning(path, 0, std::to_string(p.skippedLines) + " malformed records skipped in all"));
    if (p.unfilteredRepeats > 0)
        p.result.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(p.unfilteredRepeats) + " record(s) repeat a document more often than the task has filters"));
    if (p.groups.empty())
        return R::failure(Diagnostic::error(path, 0, "no sample records in the file"));
    if (p.goldPairs > 0) {
        // Not the corpus metric itself: each sample's agreement, the corpus value's input. (An F1
        // written per sample as a number, as for DROP, stays a score of its own.)
        for (auto& g : p.groups) {
            g.metric += " (pred = gold)";
            g.rightOrWrong = true;
        }
        p.result.warnings.push_back(Diagnostic::note(path, 0,
            "task " + options.task + ": \"" + p.metric
                + "\" is computed over the whole corpus, and each sample records only its [gold, prediction]; the "
                  "samples are compared on whether the prediction equals the gold (1 or 0), the answers the corpus "
                  "value is computed from"));
    }
    if (!options.clusterKey.empty()) {
        p.clusterTally.task = options.task;
        p.clusterTally.file = path;
        if (auto problem = detail::clusterProblem(p.clusterTally, options.clusterKey, text)) {
            if (problem->severity == Diagnostic::Severity::Error)
                return R::failure(*problem);
            p.result.warnings.push_back(std::move(*problem));
        }
    }
    p.result.value = std::move(p.groups);
    return std::move(p.result);
}

} // namespace deltascope::eval
