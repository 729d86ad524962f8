// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/VllmRoutes.h"

#include "common/MappedFile.h"
#include "common/OutOfMemory.h"
#include "common/TextUtil.h"
#include "deltascope/config.h"
#include "moe/SparseGrid.h"
#include "moe/VllmPasses.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <unordered_map>
#if DELTASCOPE_HAVE_SIMDJSON
#include "moe/JsonLines.h"

#include <simdjson.h>
#endif

namespace deltascope::moe {

namespace {

// The largest first line worth parsing to recognise a meta record (a meta record is a few hundred
// bytes; a file whose first line is megabytes long is something else).
constexpr std::size_t kMetaLineLimit = 1 << 16;
constexpr std::int64_t kMaxLayer = 100000;
constexpr std::int64_t kMaxExperts = 65536;

// The first non-blank line of text and its 1-based number; empty when there is none.
std::string_view firstRecord(std::string_view text, std::int64_t& line)
{
    std::size_t pos = 0;
    std::string_view l;
    line = 0;
    while (nextLine(text, pos, l)) {
        ++line;
        if (l.find_first_not_of(" \t\r") != std::string_view::npos)
            return l;
    }
    return {};
}

struct Meta {
    std::string model;
    std::int64_t topK = 0; ///< 0: not given
    std::int64_t experts = 0; ///< 0: not given
    std::vector<std::int64_t> layers; ///< empty: not given
    std::int64_t line = 0;
};

// Reads a meta record; returns what is wrong with it, empty when it is usable.
std::string readMeta(std::string_view rec, Meta& m)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(rec);
    } catch (const nlohmann::json::exception& e) {
        return std::string("malformed JSON meta record: ") + e.what();
    }
    if (!j.is_object())
        return "the meta record is not a JSON object";
    auto whole = [&](const char* key, std::int64_t lo, std::int64_t hi, std::int64_t& out) -> std::string {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null())
            return {};
        if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi)
            return std::string("the meta record's \"") + key + "\" must be a whole number in [" + std::to_string(lo)
                + ", " + std::to_string(hi) + "]";
        out = it->get<std::int64_t>();
        return {};
    };
    if (auto p = whole("top_k", 1, kMaxExperts, m.topK); !p.empty())
        return p;
    if (auto p = whole("num_experts", 1, kMaxExperts, m.experts); !p.empty())
        return p;
    if (m.topK > 0 && m.experts > 0 && m.topK > m.experts)
        return "the meta record's top_k " + std::to_string(m.topK) + " exceeds its num_experts "
            + std::to_string(m.experts);
    if (const auto it = j.find("model_id"); it != j.end() && it->is_string())
        m.model = it->get<std::string>();
    if (const auto it = j.find("layers_logged"); it != j.end() && !it->is_null()) {
        if (!it->is_array())
            return "the meta record's \"layers_logged\" must be a list of layer numbers";
        for (const auto& v : *it) {
            if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > kMaxLayer)
                return "the meta record's \"layers_logged\" must hold whole numbers in [0, " + std::to_string(kMaxLayer)
                    + "]";
            m.layers.push_back(v.get<std::int64_t>());
        }
    }
    return {};
}

} // namespace

bool isVllmRouteLog(std::string_view text)
{
    std::int64_t line = 0;
    const auto first = firstRecord(text, line);
    if (first.empty() || first.size() > kMetaLineLimit || first.find("\"type\"") == std::string_view::npos)
        return false;
    try {
        const auto j = nlohmann::json::parse(first);
        if (!j.is_object())
            return false;
        const auto it = j.find("type");
        if (it == j.end() || !it->is_string())
            return false;
        // A log that lost its meta record is still one (and is told that it lacks it).
        return it->get<std::string>() == "meta" || (it->get<std::string>() == "route" && j.contains("topk_ids"));
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

Result<Trace> importVllmRoutes(const std::string& path, const TraceImportOptions& options)
{
    MappedFile file;
    if (auto problem = file.openInput(path, "the route log is empty"))
        return Result<Trace>::failure(*problem);
    return parseVllmRoutes(file.text(), path, options);
}

#if DELTASCOPE_HAVE_SIMDJSON
namespace {
Result<Trace> parseRoutes(std::string_view text, const std::string& path, const TraceImportOptions& options);
} // namespace

Result<Trace> parseVllmRoutes(std::string_view text, const std::string& path, const TraceImportOptions& options)
{
    return failOnOutOfMemory<Trace>(path, [&] { return parseRoutes(text, path, options); });
}
#endif

#if DELTASCOPE_HAVE_SIMDJSON
namespace {

namespace od = simdjson::ondemand;

using vllm::Route;

// What the reader keeps between records.
struct ReadState {
    explicit ReadState(const TraceImportOptions& o)
        : options(o)
    { }
    const TraceImportOptions& options;
    std::vector<Meta> metas; ///< one per run
    std::vector<Route> routes;
    std::vector<std::int32_t> ids; ///< [routes][k]
    std::vector<float> weights; ///< [routes][k]
    std::int64_t k = 0; ///< ids per record, from the meta record or the first route record
    std::int64_t experts = 0; ///< known bound on ids (meta or options); 0: not known yet
    std::int64_t maxId = -1;
    std::int64_t pass = -1;
    bool newPass = true;
    std::vector<std::pair<std::int64_t, std::int64_t>> lastToken; ///< (layer, token_idx) in this pass
    std::unordered_map<std::string, std::int32_t> requests; ///< "run:req_id" -> request number
    double worstSum = 1.0; ///< the weight sum farthest from 1
    std::int64_t worstSumLine = 0;
    std::vector<std::int32_t> sortedIds; ///< scratch
};

// Starts a new run at a meta record: checks it against the first run's.
std::string startRun(ReadState& st, Meta m)
{
    if (!st.metas.empty()) {
        const Meta& first = st.metas.front();
        if (m.model != first.model)
            return "this run logs model \"" + m.model + "\" but the run at line " + std::to_string(first.line)
                + " logs \"" + first.model + "\"; a trace holds one model";
        if (m.topK != first.topK || m.experts != first.experts)
            return "this run's top_k and num_experts differ from those of the run at line "
                + std::to_string(first.line);
    }
    if (st.options.experts > 0 && m.experts > 0 && m.experts != st.options.experts)
        return "the meta record says num_experts " + std::to_string(m.experts)
            + " but the number of experts was set to " + std::to_string(st.options.experts);
    if (st.metas.empty()) {
        st.k = m.topK;
        st.experts = m.experts > 0 ? m.experts : st.options.experts;
    }
    st.metas.push_back(std::move(m));
    st.newPass = true;
    return {};
}

// Reads one route record into the state; returns what is wrong with it, empty when it was taken.
std::string readRoute(od::object& obj, std::int64_t line, ReadState& st)
{
    const Meta& meta = st.metas.back();
    Route r;
    r.line = line;
    std::string request;
    {
        od::value v;
        if (obj.find_field_unordered("req_id").get(v))
            return "\"req_id\" is missing";
        od::json_type type;
        if (v.type().get(type))
            return "\"req_id\" is not a JSON value";
        if (type == od::json_type::string) {
            std::string_view s;
            if (v.get_string().get(s))
                return "\"req_id\" is not a valid string";
            request = std::string(s);
        } else if (type == od::json_type::number) {
            std::int64_t n = 0;
            if (v.get_int64().get(n))
                return "\"req_id\" is not a whole number or a string";
            request = std::to_string(n);
        } else {
            return "\"req_id\" must be a string or a whole number";
        }
    }
    auto whole = [&](const char* key, std::int64_t hi, std::int64_t& out) -> std::string {
        if (obj.find_field_unordered(key).get_int64().get(out))
            return std::string("\"") + key + "\" is missing or not a whole number";
        if (out < 0 || out > hi)
            return std::string("\"") + key + "\" " + std::to_string(out) + " is outside [0, " + std::to_string(hi)
                + "]";
        return {};
    };
    if (auto p = whole("token_idx", INT32_MAX, r.token); !p.empty())
        return p;
    if (auto p = whole("layer", kMaxLayer, r.layer); !p.empty())
        return p;
    if (!meta.layers.empty() && std::find(meta.layers.begin(), meta.layers.end(), r.layer) == meta.layers.end())
        return "layer " + std::to_string(r.layer) + " is not among the meta record's layers_logged";

    const auto idsStart = st.ids.size();
    auto rollback = [&](std::string why) {
        st.ids.resize(idsStart);
        st.weights.resize(idsStart);
        return why;
    };
    od::array arr;
    if (obj.find_field_unordered("topk_ids").get_array().get(arr))
        return "\"topk_ids\" is missing or not a list";
    for (auto item : arr) {
        std::int64_t id = 0;
        if (item.get_int64().get(id))
            return rollback("\"topk_ids\" holds something other than a whole number");
        const std::int64_t bound = st.experts > 0 ? st.experts : kMaxExperts;
        if (id < 0 || id >= bound)
            return rollback("expert id " + std::to_string(id) + " is out of range [0, " + std::to_string(bound) + ")"
                + (st.experts > 0 && meta.experts > 0 ? " (the meta record's num_experts)" : ""));
        st.ids.push_back(static_cast<std::int32_t>(id));
        st.maxId = std::max(st.maxId, id);
    }
    const auto n = static_cast<std::int64_t>(st.ids.size() - idsStart);
    if (obj.find_field_unordered("topk_weights").get_array().get(arr))
        return rollback("\"topk_weights\" is missing or not a list");
    double sum = 0.0;
    for (auto item : arr) {
        double w = 0;
        if (item.get_double().get(w))
            return rollback("\"topk_weights\" holds something other than a number");
        if (!std::isfinite(w) || std::abs(w) > std::numeric_limits<float>::max()
            || (st.options.scoreKind == ScoreKind::Probs && w < 0))
            return rollback("weight " + formatDouble(w) + " is not a finite non-negative number");
        st.weights.push_back(static_cast<float>(w));
        sum += w;
    }
    const auto nw = static_cast<std::int64_t>(st.weights.size()) - static_cast<std::int64_t>(idsStart);
    if (nw != n)
        return rollback("\"topk_ids\" has " + std::to_string(n) + " experts but \"topk_weights\" has "
            + std::to_string(nw) + " weights");
    if (n == 0)
        return rollback("\"topk_ids\" is empty");
    if (st.k == 0)
        st.k = n; // no top_k in the meta record: the first route record sets it
    if (n != st.k)
        return rollback("\"topk_ids\" has " + std::to_string(n) + " experts but "
            + (meta.topK > 0 ? "the meta record's top_k is " : "the first route record has ") + std::to_string(st.k));
    st.sortedIds.assign(st.ids.begin() + static_cast<std::ptrdiff_t>(idsStart), st.ids.end());
    std::sort(st.sortedIds.begin(), st.sortedIds.end());
    if (const auto dup = std::adjacent_find(st.sortedIds.begin(), st.sortedIds.end()); dup != st.sortedIds.end())
        return rollback("expert " + std::to_string(*dup) + " appears twice in \"topk_ids\"");

    // A token_idx that does not move forward for a layer already seen starts the next pass.
    auto seen
        = std::find_if(st.lastToken.begin(), st.lastToken.end(), [&](const auto& p) { return p.first == r.layer; });
    if (st.newPass || (seen != st.lastToken.end() && r.token <= seen->second)) {
        if (st.pass >= INT32_MAX - 1)
            return rollback("more forward passes than a trace can number");
        ++st.pass;
        st.newPass = false;
        st.lastToken.clear();
        seen = st.lastToken.end();
    }
    if (seen == st.lastToken.end())
        st.lastToken.emplace_back(r.layer, r.token);
    else
        seen->second = r.token;
    r.pass = st.pass;

    const std::string key = std::to_string(st.metas.size()) + ':' + request;
    const auto [it, added] = st.requests.emplace(key, static_cast<std::int32_t>(st.requests.size()));
    r.request = it->second;
    if (std::abs(sum - 1.0) > std::abs(st.worstSum - 1.0)) {
        st.worstSum = sum;
        st.worstSumLine = line;
    }
    st.routes.push_back(r);
    return {};
}

// Lays the routes out as a (token, layer, k) grid: tokens by (pass, token_idx), layers by number.
Result<Trace> assemble(const std::string& path, ReadState& st, Result<Trace> out)
{
    using R = Result<Trace>;
    const Meta& meta = st.metas.front();
    std::int64_t n = st.experts;
    if (n == 0) {
        n = st.maxId + 1;
        out.warnings.push_back(Diagnostic::warning(path, meta.line,
            "the meta record gives no num_experts; taking the largest expert id + 1 (" + std::to_string(n)
                + "); set the number of experts if the model has more"));
    }
    if (st.k > n)
        return R::failure(Diagnostic::error(
            path, meta.line, "top_k " + std::to_string(st.k) + " exceeds the " + std::to_string(n) + " experts"));

    // Passes whose tokens all route alike at every layer (same ids, same weights): vLLM's profiling
    // and warm-up runs on dummy input look like that, and a real step of many tokens never does.
    // They are left out unless asked for (or unless every pass looks so); the note says which.
    const auto uniform = vllm::findUniformPasses(st.routes, st.ids, st.weights, static_cast<int>(st.k));
    const auto& alike = uniform.passes;
    const bool dropped
        = !alike.empty() && !st.options.keepUniformPasses && static_cast<std::int64_t>(alike.size()) < st.pass + 1;
    if (dropped)
        vllm::dropPasses(st.routes, st.ids, st.weights, static_cast<int>(st.k), alike);

    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    std::vector<std::int64_t> layers;
    rows.reserve(st.routes.size());
    for (const auto& r : st.routes) {
        rows.emplace_back(r.pass, r.token);
        layers.push_back(r.layer);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::sort(layers.begin(), layers.end());
    layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
    const auto T = static_cast<std::int64_t>(rows.size());
    const auto L = static_cast<std::int64_t>(layers.size());
    const auto records = static_cast<std::int64_t>(st.routes.size());
    // Every pass logs each layer for each of its tokens; a log that fills a small part of the grid
    // would only make a mostly empty trace (and a large allocation from a small file).
    if (auto tooLarge = checkSparseGrid(path, T, L, st.k, st.routes.size(), [&](std::size_t i) {
            const auto& r = st.routes[i];
            return GridPlace { r.pass, r.token, r.layer, r.line };
        }))
        return R::failure(*tooLarge);

    const auto K = st.k;
    std::vector<std::int32_t> ids(static_cast<std::size_t>(T * L * K), -1);
    std::vector<float> scores(static_cast<std::size_t>(T * L * K), 0.0f);
    std::vector<std::int32_t> request(static_cast<std::size_t>(T), -1);
    std::vector<std::int32_t> step(static_cast<std::size_t>(T));
    std::int64_t mixed = 0;
    for (std::size_t i = 0; i < st.routes.size(); ++i) {
        const auto& r = st.routes[i];
        const auto t = std::lower_bound(rows.begin(), rows.end(), std::make_pair(r.pass, r.token)) - rows.begin();
        const auto l = std::lower_bound(layers.begin(), layers.end(), r.layer) - layers.begin();
        auto& req = request[static_cast<std::size_t>(t)];
        if (req == -1)
            req = r.request;
        else if (req != r.request)
            ++mixed;
        step[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(r.pass);
        const auto base = static_cast<std::size_t>((t * L + l) * K);
        std::copy_n(st.ids.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(K)), K,
            ids.begin() + static_cast<std::ptrdiff_t>(base));
        std::copy_n(st.weights.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(K)), K,
            scores.begin() + static_cast<std::ptrdiff_t>(base));
    }
    if (const auto missing = T * L - records; missing > 0)
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(missing)
                + " (token, layer) pairs have no route record; those tokens count as not routed at that layer"));
    if (mixed > 0)
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::to_string(mixed)
                + " route records name another request than the same token at another layer; "
                  "the first one is kept"));
    for (const auto layer : meta.layers)
        if (!std::binary_search(layers.begin(), layers.end(), layer))
            out.warnings.push_back(Diagnostic::warning(path, meta.line,
                "the meta record lists layer " + std::to_string(layer) + " but no route record has it"));
    const auto passes = st.pass + 1 - (dropped ? static_cast<std::int64_t>(alike.size()) : 0);
    if (!alike.empty())
        out.warnings.push_back(vllm::uniformPassesNote(path, uniform, dropped));
    // A log whose token_idx never restarts reads as one forward pass: as recorded batches its
    // tokens would all be one batch, which no real vLLM step is for a long log. Said, so that the
    // user replays them in batches instead.
    if (passes == 1 && T > 512)
        out.warnings.push_back(Diagnostic::note(path, 0,
            "token_idx never restarts in this log, so its " + std::to_string(T)
                + " tokens read as a single forward pass: as recorded batches they form one batch of "
                + std::to_string(T)
                + " tokens. If this logger numbers tokens across passes, replay the requests in batches instead"));
    if (st.requests.size() == st.metas.size() && passes > 1)
        out.warnings.push_back(Diagnostic::note(path, 0,
            "every route record of a run names the same request, so the log does not say which request a token "
            "belongs to; its "
                + std::to_string(passes)
                + " forward passes are the recorded batches (replaying them treats each run as one sequence)"));

    Trace tr = makeOwnedTrace(T, L, n, K, true, std::move(scores), std::move(ids), std::move(request));
    for (const auto layer : layers)
        tr.layerIds.push_back(static_cast<int>(layer));
    tr.stepId = std::move(step);
    if (dropped) {
        tr.warmupPassesLeftOut = static_cast<std::int64_t>(alike.size());
        tr.warmupTokensLeftOut = std::accumulate(uniform.tokens.begin(), uniform.tokens.end(), std::int64_t { 0 });
    }
    tr.scoreKind = st.options.scoreKind;
    tr.model = st.options.model.empty() ? meta.model : st.options.model;
    // The weights are those vLLM applied: when a token's weights do not add up to 1, the model
    // does not renormalise its top-k.
    const bool renormalised = std::abs(st.worstSum - 1.0) <= 1e-3;
    tr.normTopkProb = st.options.normTopkProb && renormalised;
    if (st.options.normTopkProb && !renormalised)
        out.warnings.push_back(Diagnostic::note(path, st.worstSumLine,
            "the top-k weights do not add up to 1 (" + formatDouble(st.worstSum)
                + " here): read as a model that does not renormalise its top-k"));
    out.value = std::move(tr);
    return out;
}

Result<Trace> parseRoutes(std::string_view text, const std::string& path, const TraceImportOptions& options)
{
    using R = Result<Trace>;
    ReadState st(options);
    R out;
    od::parser parser;
    std::string buf;
    JsonLines lines(text, options.progress, "reading the route log");
    std::string_view rec;
    while (lines.next(rec)) {
        const std::int64_t line = lines.line();
        od::document doc;
        od::object obj;
        std::string_view type;
        std::string problem;
        if (auto e = openJsonRecord(parser, buf, rec, doc, obj))
            problem = std::string("malformed JSON record (") + simdjson::error_message(e) + ")";
        else if (obj.find_field_unordered("type").get_string().get(type))
            problem = "the record has no \"type\" (meta or route)";
        const bool isMeta = problem.empty() && type == "meta";
        const bool isRoute = problem.empty() && type == "route";
        if (problem.empty() && !isMeta && !isRoute)
            problem = "record type \"" + std::string(type) + "\" is neither meta nor route";
        if (st.metas.empty() && !isMeta) {
            // Nothing can be read without the meta record (not even with skipped lines).
            return R::failure(Diagnostic::error(
                path, line, problem.empty() ? "expected the meta record before the route records" : problem));
        }
        if (isMeta) {
            Meta m;
            m.line = line;
            problem = readMeta(rec, m);
            if (problem.empty() && !st.metas.empty() && !options.splitRuns)
                return R::failure(Diagnostic::error(path, line,
                    "a second meta record: another route log was appended here (the first began at line "
                        + std::to_string(st.metas.front().line)
                        + "); split the file into runs, or cut it at this line"));
            if (problem.empty()) {
                const bool split = !st.metas.empty();
                problem = startRun(st, std::move(m));
                if (problem.empty() && split)
                    out.warnings.push_back(Diagnostic::note(path, line,
                        "run " + std::to_string(st.metas.size()) + " starts here; its passes are numbered from "
                            + std::to_string(st.pass + 1) + " and its requests from "
                            + std::to_string(st.requests.size())));
            }
            // A meta record defines everything after it: a bad one stops the import.
            if (!problem.empty())
                return R::failure(Diagnostic::error(path, line, problem));
            continue;
        }
        if (problem.empty())
            problem = readRoute(obj, line, st);
        if (!problem.empty()) {
            if (!options.skipBadLines)
                return R::failure(Diagnostic::badRecord(path, line, problem));
            out.warnings.push_back(Diagnostic::warning(path, line, problem + "; skipped"));
        }
    }
    if (lines.cancelled())
        return R::failure(Diagnostic::error(path, lines.line(), "cancelled"));
    if (st.metas.empty())
        return R::failure(Diagnostic::error(path, 0, "the route log is empty"));
    if (st.routes.empty())
        return R::failure(Diagnostic::error(path, 0, "the route log has a meta record but no route records"));
    return assemble(path, st, std::move(out));
}

} // namespace

#else
Result<Trace> parseVllmRoutes(std::string_view, const std::string& path, const TraceImportOptions&)
{
    return Result<Trace>::failure(Diagnostic::error(path, 0,
        "this build reads no JSONL traces (it was made without simdjson); convert the trace to "
        "safetensors with a full build: deltascope-cli convert"));
}
#endif

} // namespace deltascope::moe
