// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/TraceImport.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/OutOfMemory.h"
#include "common/TextUtil.h"
#include "deltascope/config.h"
#include "moe/MegatronImport.h"
#include "moe/Safetensors.h"
#include "moe/SparseGrid.h"
#include "moe/VllmRoutes.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>
#if DELTASCOPE_HAVE_SIMDJSON
#include "moe/JsonLines.h"

#include <simdjson.h>
#endif

namespace deltascope::moe {

#if DELTASCOPE_HAVE_SIMDJSON
namespace {

namespace od = simdjson::ondemand;

struct Record {
    std::int64_t run = 0; ///< 0 unless the file is split into runs at repeated records
    std::int64_t request = 0;
    std::int64_t token = 0;
    std::int64_t layer = 0;
    std::int64_t step = -1;
    std::int64_t line = 0;
    std::vector<std::int32_t> ids;
    std::vector<float> scores;
};

struct SlotKey {
    std::int64_t request;
    std::int64_t token;
    std::int64_t layer;
    bool operator==(const SlotKey&) const = default;
};

struct SlotKeyHash {
    std::size_t operator()(const SlotKey& k) const
    {
        std::uint64_t h = static_cast<std::uint64_t>(k.request) * 0x9E3779B97F4A7C15ull;
        h ^= static_cast<std::uint64_t>(k.token) + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2);
        h ^= static_cast<std::uint64_t>(k.layer) + 0x94D049BB133111EBull + (h << 6) + (h >> 2);
        return static_cast<std::size_t>(h);
    }
};

const char* const kRequestKeys[] = { "problem_id", "request_id", "req_id", "seq_id", "request" };
const char* const kLayerKeys[] = { "layer", "layer_id", "layer_idx" };
const char* const kTokenKeys[] = { "token_idx", "token_id", "token", "position", "pos" };
const char* const kExpertKeys[] = { "experts", "expert_ids", "topk_ids", "topk_idx" };
const char* const kScoreKeys[] = { "gating_probs", "scores", "topk_scores", "weights", "probs", "topk_weights" };

template <std::size_t N>
std::string detect(const std::set<std::string>& keys, const std::string& configured, const char* const (&candidates)[N])
{
    if (!configured.empty())
        return configured;
    for (const char* c : candidates)
        if (keys.count(c))
            return c;
    return {};
}

// "no request key (looked for a, b, c)" when neither the configured key nor a candidate is there.
template <std::size_t N>
void explainMissing(std::string& out, const char* what, const std::string& configured, const std::string& found,
    const std::set<std::string>& present, const char* const (&candidates)[N])
{
    if (!found.empty() && present.count(found))
        return;
    out += out.empty() ? "" : "; ";
    out += std::string("no ") + what + " key (";
    if (!configured.empty()) {
        out += "\"" + configured + "\" as set)";
        return;
    }
    out += "looked for ";
    for (std::size_t i = 0; i < N; ++i)
        out += std::string(i ? ", " : "") + candidates[i];
    out += ")";
}

} // namespace

bool looksLikeRouterRecords(std::string_view head)
{
    if (isVllmRouteLog(head))
        return true;
    const auto nl = head.find('\n');
    const auto j = nlohmann::json::parse(head.substr(0, nl), nullptr, false);
    if (!j.is_object())
        return false;
    const auto has = [&](const auto& names) {
        return std::any_of(std::begin(names), std::end(names), [&](const char* k) { return j.contains(k); });
    };
    return has(kLayerKeys) && has(kExpertKeys);
}

namespace {

// Fills in the key names the options leave empty from the first record; the error when the first
// record is not JSON or lacks one of the keys.
std::optional<Diagnostic> detectKeys(std::string_view text, const std::string& path, JsonlTraceKeys& keys)
{
    const auto nl = text.find('\n');
    std::string first(text.substr(0, nl));
    try {
        const auto j = nlohmann::json::parse(first);
        std::set<std::string> present;
        if (j.is_object())
            for (const auto& [k, v] : j.items())
                present.insert(k);
        const JsonlTraceKeys configured = keys;
        keys.request = detect(present, keys.request, kRequestKeys);
        keys.layer = detect(present, keys.layer, kLayerKeys);
        keys.token = detect(present, keys.token, kTokenKeys);
        keys.experts = detect(present, keys.experts, kExpertKeys);
        keys.scores = detect(present, keys.scores, kScoreKeys);
        std::string missing;
        explainMissing(missing, "request", configured.request, keys.request, present, kRequestKeys);
        explainMissing(missing, "layer", configured.layer, keys.layer, present, kLayerKeys);
        explainMissing(missing, "token", configured.token, keys.token, present, kTokenKeys);
        explainMissing(missing, "experts", configured.experts, keys.experts, present, kExpertKeys);
        explainMissing(missing, "scores", configured.scores, keys.scores, present, kScoreKeys);
        if (!missing.empty()) {
            std::string have;
            for (const auto& k : present)
                have += (have.empty() ? "" : ", ") + k;
            // Other inputs people drop on the trace box, said by name.
            std::string looks;
            if (present.count("doc_id") && (present.count("resps") || present.count("filtered_resps")))
                looks = "; it looks like LM Evaluation Harness samples (a run to compare), not a router trace";
            return Diagnostic::error(path, 1,
                "cannot read the first record as a router record: " + missing
                    + "; the record has: " + (have.empty() ? std::string("no keys") : have) + looks
                    + "; name the record keys for the request, layer, token, experts and scores");
        }
    } catch (const nlohmann::json::exception& e) {
        // A whole JSON document over several lines (statistics, a config) is no broken record.
        if (nl != std::string_view::npos && nlohmann::json::accept(text))
            return Diagnostic::error(path, 1,
                "a JSON document written over several lines, not router records: a JSONL trace holds one JSON "
                "object per line, one per routed token (or per layer of a step); per-expert counts or statistics "
                "cannot be replayed as a trace");
        return Diagnostic::error(path, 1, "malformed JSON record: " + plainJsonMessage(e.what()));
    }
    return std::nullopt;
}

// Reads one non-blank line into r; returns what is wrong with the record, empty when it is usable.
std::string readRecord(od::parser& parser, std::string& buf, std::string_view rec, const JsonlTraceKeys& keys,
    const TraceImportOptions& options, Record& r)
{
    std::string problem;
    od::document doc;
    od::object obj;
    const auto e = openJsonRecord(parser, buf, rec, doc, obj);
    auto readInt = [&](const std::string& key, std::int64_t& v) {
        if (problem.empty() && obj.find_field_unordered(key).get_int64().get(v))
            problem = "\"" + key + "\" is missing or not an integer";
    };
    if (e)
        return std::string("malformed JSON record (") + simdjson::error_message(e) + ")";
    readInt(keys.request, r.request);
    readInt(keys.layer, r.layer);
    readInt(keys.token, r.token);
    if (!keys.step.empty())
        readInt(keys.step, r.step);
    od::array arr;
    if (problem.empty() && obj.find_field_unordered(keys.experts).get_array().get(arr))
        problem = "\"" + keys.experts + "\" is missing or not a list";
    if (problem.empty()) {
        for (auto item : arr) {
            std::int64_t id = 0;
            if (item.get_int64().get(id)) {
                problem = "\"" + keys.experts + "\" holds a non-integer";
                break;
            }
            if (id < 0 || (options.experts > 0 && id >= options.experts) || id > 65535) {
                problem = "expert id " + std::to_string(id) + " out of range"
                    + (options.experts > 0 ? " [0, " + std::to_string(options.experts) + ")" : std::string());
                break;
            }
            r.ids.push_back(static_cast<std::int32_t>(id));
        }
    }
    if (problem.empty() && obj.find_field_unordered(keys.scores).get_array().get(arr))
        problem = "\"" + keys.scores + "\" is missing or not a list";
    if (problem.empty()) {
        for (auto item : arr) {
            double v = 0;
            if (item.get_double().get(v)) {
                problem = "\"" + keys.scores + "\" holds a non-number";
                break;
            }
            if (std::isnan(v)) {
                problem = "score " + formatDouble(v) + " is NaN";
                break;
            }
            if (options.scoreKind == ScoreKind::Probs && v < 0) {
                problem = "score " + formatDouble(v)
                    + " is negative, which no probability is: if these are router logits, read them as logits";
                break;
            }
            if (std::isfinite(v) && std::abs(v) > std::numeric_limits<float>::max()) {
                problem = "score " + formatDouble(v) + " is beyond what a 32-bit float holds";
                break;
            }
            r.scores.push_back(static_cast<float>(v));
        }
    }
    if (problem.empty())
        if (const auto id = repeatedExpert(r.ids.data(), static_cast<std::int64_t>(r.ids.size())); id >= 0)
            problem = "expert id " + std::to_string(id) + " appears twice in \"" + keys.experts + "\"";
    if (problem.empty() && r.ids.size() != r.scores.size())
        problem = std::to_string(r.ids.size()) + " expert ids but " + std::to_string(r.scores.size()) + " scores";
    if (problem.empty() && (r.layer < 0 || r.token < 0 || r.layer > 100000))
        problem = "negative token index or layer";
    if (problem.empty() && (r.request < 0 || r.request > INT32_MAX || r.step > INT32_MAX || r.step < -1))
        problem = "request or step " + std::to_string(r.request < 0 || r.request > INT32_MAX ? r.request : r.step)
            + " is outside [0, " + std::to_string(INT32_MAX) + "]";
    return problem;
}

// Lays the records out as a (token, layer, top-k) grid: tokens ordered by (request, token), layers
// by their id. out carries the warnings gathered while reading.
Result<Trace> assembleTrace(const std::string& path, std::vector<Record>& records, const JsonlTraceKeys& keys,
    const TraceImportOptions& options, std::int64_t maxId, std::size_t maxK, Result<Trace> out)
{
    using R = Result<Trace>;
    // Split runs never share a request or a step: run r's request q becomes q + r * (largest
    // request + 1), and its steps likewise.
    std::int64_t requestStride = 0;
    std::int64_t stepStride = 0;
    for (const auto& r : records) {
        requestStride = std::max(requestStride, r.request + 1);
        stepStride = std::max(stepStride, r.step + 1);
    }
    const std::int64_t runs = records.empty() ? 0 : records.back().run + 1;
    if (runs > 1 && (requestStride * runs > INT32_MAX || stepStride * runs > INT32_MAX))
        return R::failure(Diagnostic::error(path, 0, "too many runs to number their requests apart"));
    for (auto& r : records) {
        r.request += r.run * requestStride;
        if (r.step >= 0)
            r.step += r.run * stepStride;
    }
    if (runs > 1)
        out.warnings.push_back(Diagnostic::note(path, 0,
            "read as " + std::to_string(runs) + " runs; run n's request q is numbered q + (n - 1) x "
                + std::to_string(requestStride) + ", so runs never share a request"));
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> tokenRow;
    std::map<std::int64_t, std::int64_t> layerIndex;
    for (const auto& r : records) {
        tokenRow.emplace(std::make_pair(r.request, r.token), 0);
        layerIndex.emplace(r.layer, 0);
    }
    std::int64_t row = 0;
    for (auto& [key, v] : tokenRow)
        v = row++;
    std::int64_t li = 0;
    std::vector<int> layerIds;
    for (auto& [layer, v] : layerIndex) {
        v = li++;
        layerIds.push_back(static_cast<int>(layer));
    }
    const std::int64_t T = row;
    const std::int64_t L = li;
    const std::int64_t K = static_cast<std::int64_t>(maxK);
    const std::int64_t N = options.experts > 0 ? options.experts : maxId + 1;
    if (K == 0 || N <= 0)
        return R::failure(Diagnostic::error(path, 0, "the records name no experts"));
    if (K > N)
        return R::failure(Diagnostic::error(
            path, 0, "records list " + std::to_string(K) + " experts but there are only " + std::to_string(N)));
    if (auto tooLarge = checkSparseGrid(path, T, L, K, records.size(), [&](std::size_t i) {
            const auto& r = records[i];
            return GridPlace { r.request, r.token, r.layer, r.line };
        }))
        return R::failure(*tooLarge);

    std::vector<std::int32_t> ids(static_cast<std::size_t>(T * L * K), -1);
    std::vector<float> scores(static_cast<std::size_t>(T * L * K), 0.0f);
    std::vector<std::int32_t> request(static_cast<std::size_t>(T));
    std::vector<std::int32_t> step;
    bool steps = !keys.step.empty();
    if (steps)
        step.assign(static_cast<std::size_t>(T), -1);
    for (const auto& r : records) {
        const auto t = tokenRow.at({ r.request, r.token });
        const auto l = layerIndex.at(r.layer);
        request[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(r.request);
        if (steps)
            step[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(r.step);
        const auto base = static_cast<std::size_t>((t * L + l) * K);
        for (std::size_t j = 0; j < r.ids.size(); ++j) {
            ids[base + j] = r.ids[j];
            scores[base + j] = r.scores[j];
        }
    }
    // Repeats were refused or split into runs while reading, so every record has its own slot.
    const auto missing = T * L - static_cast<std::int64_t>(records.size());
    if (missing > 0)
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(missing)
                + " (token, layer) pairs have no record; those tokens count as not routed at that layer"));
    Trace tr = makeOwnedTrace(T, L, N, K, true, std::move(scores), std::move(ids), std::move(request));
    tr.layerIds = std::move(layerIds);
    tr.stepId = std::move(step);
    tr.scoreKind = options.scoreKind;
    tr.normTopkProb = options.normTopkProb;
    tr.model = options.model;
    out.value = std::move(tr);
    return out;
}

} // namespace

// The loader itself; the public function turns running out of memory into an error.
static Result<Trace> unguardedImportJsonlTrace(const std::string& path, const TraceImportOptions& options)
{
    using R = Result<Trace>;
    MappedFile file;
    if (auto problem = file.openInput(path, "the trace file is empty"))
        return R::failure(*problem);
    const std::string_view text = file.text();
    // A route log written from inside vLLM: a meta record first, then records per forward pass.
    if (isVllmRouteLog(text))
        return parseVllmRoutes(text, path, options);

    // Key names, from the first record.
    JsonlTraceKeys keys = options.keys;
    if (auto problem = detectKeys(text, path, keys))
        return R::failure(*problem);

    std::vector<Record> records;
    od::parser parser;
    std::string buf;
    Result<Trace> out;
    std::int64_t maxId = -1;
    std::size_t maxK = 0;
    // Where each (request, token, layer) of the current run was read: a repeat means two captures
    // were appended to one file.
    std::unordered_map<SlotKey, std::int64_t, SlotKeyHash> firstLine;
    std::int64_t run = 0;
    JsonLines lines(text, options.progress, "reading the trace");
    std::string_view rec;
    while (lines.next(rec)) {
        const std::int64_t line = lines.line();
        Record r;
        const std::string problem = readRecord(parser, buf, rec, keys, options, r);
        if (!problem.empty()) {
            if (!options.skipBadLines)
                return R::failure(Diagnostic::badRecord(path, line, problem));
            out.warnings.push_back(Diagnostic::warning(path, line, problem + "; skipped"));
            continue;
        }
        const auto [at, added] = firstLine.emplace(SlotKey { r.request, r.token, r.layer }, line);
        if (!added) {
            const std::string what = "(request " + std::to_string(r.request) + ", token " + std::to_string(r.token)
                + ", layer " + std::to_string(r.layer) + ") repeats the record at line " + std::to_string(at->second);
            if (!options.splitRuns)
                return R::failure(Diagnostic::error(path, line,
                    what
                        + ": two traces seem to be appended to this file; split the file into runs (each repeat "
                          "starts a new run) or remove the repeated part"));
            ++run;
            out.warnings.push_back(
                Diagnostic::note(path, line, what + "; run " + std::to_string(run + 1) + " starts here"));
            firstLine.clear();
            firstLine.emplace(SlotKey { r.request, r.token, r.layer }, line);
        }
        r.run = run;
        r.line = line;
        for (const auto id : r.ids)
            maxId = std::max<std::int64_t>(maxId, id);
        maxK = std::max(maxK, r.ids.size());
        records.push_back(std::move(r));
    }
    if (lines.cancelled())
        return R::failure(Diagnostic::error(path, lines.line(), "cancelled"));
    if (records.empty())
        return R::failure(Diagnostic::error(path, 0, "no router records in the file"));
    return assembleTrace(path, records, keys, options, maxId, maxK, std::move(out));
}

Result<Trace> importJsonlTrace(const std::string& path, const TraceImportOptions& options)
{
    return failOnOutOfMemory<Trace>(path, [&] { return unguardedImportJsonlTrace(path, options); });
}

#else
Result<Trace> importJsonlTrace(const std::string& path, const TraceImportOptions&)
{
    return Result<Trace>::failure(Diagnostic::error(path, 0,
        "this build reads no JSONL traces (it was made without simdjson); convert the trace to "
        "safetensors with a full build: deltascope-cli convert"));
}

bool looksLikeRouterRecords(std::string_view)
{
    return false;
}
#endif

// The loader itself; the public function turns running out of memory into an error.
static Result<Trace> unguardedOpenTrace(const std::string& path, std::int64_t topK, const TraceImportOptions& options)
{
    if (isMegatronTrace(path))
        return importMegatronTrace(path, options);
    if (path.ends_with(".safetensors") || path.ends_with(".st"))
        return readTraceFile(path);
    if (path.ends_with(".npy"))
        return importNpyTrace(path, topK, options);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return Result<Trace>::failure(Diagnostic::error(path, 0,
            "a folder without a router trace in it: a folder is read when it holds Megatron's "
            "router_trace_rank*.jsonl files; otherwise open the trace file itself (.safetensors, .npy or JSONL "
            "router records)"));
    MappedFile f;
    std::string why;
    if (!f.open(path, why))
        return Result<Trace>::failure(Diagnostic::error(path, 0, why));
    // A safetensors file under another name: a little-endian header length that fits the file, then
    // the header's '{'. A JSON file by its name is read as JSON, whatever its ninth byte.
    const bool jsonByName = path.ends_with(".jsonl") || path.ends_with(".json") || path.ends_with(".ndjson");
    if (!jsonByName && f.size() > 8 && f.data()[8] == '{') {
        std::uint64_t header = 0;
        for (int i = 7; i >= 0; --i)
            header = header << 8 | static_cast<unsigned char>(f.data()[i]);
        if (header <= f.size() - 8)
            return readTraceFile(path);
    }
    // JSONL router records start with an object; anything else (a README, a CSV of counts dropped
    // on the wrong box) is said to be no trace, rather than reported as broken JSON.
    const auto first = f.view().find_first_not_of(" \t\r\n\xef\xbb\xbf");
    if (first != std::string_view::npos && f.view()[first] != '{')
        return Result<Trace>::failure(Diagnostic::error(path, 0,
            "not a router trace: a trace is a .safetensors file, a .npy array or JSONL router records (one JSON "
            "object per line), and this file does not start with '{'"));
    return importJsonlTrace(path, options);
}

Result<Trace> openTrace(const std::string& path, std::int64_t topK, const TraceImportOptions& options)
{
    if (auto why = expertCountProblem(options.experts); !why.empty())
        return Result<Trace>::failure(Diagnostic::error(path, 0, "--experts: " + why));
    auto r = failOnOutOfMemory<Trace>(path, [&] { return unguardedOpenTrace(path, topK, options); });
    if (r.ok())
        if (auto why = expertCountProblem(r.value->experts); !why.empty())
            return Result<Trace>::failure(Diagnostic::error(path, 0, why));
    return r;
}

} // namespace deltascope::moe
