// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/Safetensors.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/OutOfMemory.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace deltascope::moe {

namespace {

using Json = nlohmann::json;

struct TensorInfo {
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

std::size_t dtypeSize(const std::string& d)
{
    if (d == "F32" || d == "I32" || d == "U32")
        return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16")
        return 2;
    if (d == "F64" || d == "I64" || d == "U64")
        return 8;
    if (d == "I8" || d == "U8" || d == "BOOL")
        return 1;
    return 0;
}

std::string shapeText(const std::vector<std::int64_t>& s)
{
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

bool parseBool(const std::string& s)
{
    return s == "true" || s == "True" || s == "1";
}

// Reads one tensor's entry of the header and checks it against the data section; an empty
// string when it is sound, the reason otherwise.
std::string parseTensorEntry(const std::string& name, const Json& v, std::uint64_t dataSize, TensorInfo& t)
{
    // Whole numbers only: a float such as 4e32 would otherwise be cast out of range.
    auto whole = [](const nlohmann::json& x, const char* what) -> std::uint64_t {
        if (x.is_number_unsigned())
            return x.get<std::uint64_t>();
        if (x.is_number_integer() && x.get<std::int64_t>() >= 0)
            return static_cast<std::uint64_t>(x.get<std::int64_t>());
        throw std::runtime_error(std::string(what) + " must be a non-negative whole number");
    };
    if (!v.is_object())
        return "tensor \"" + name + "\": its header entry must be an object with dtype, shape and data_offsets";
    try {
        if (!v.contains("dtype") || !v["dtype"].is_string())
            throw std::runtime_error("dtype must be a string such as \"F32\"");
        if (!v.contains("shape") || !v["shape"].is_array())
            throw std::runtime_error("shape must be a list of dimensions");
        if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
            throw std::runtime_error("data_offsets must be a list of two byte offsets");
        t.dtype = v.at("dtype").get<std::string>();
        for (const auto& d : v.at("shape")) {
            const auto x = whole(d, "a dimension");
            if (x > (std::uint64_t { 1 } << 48))
                throw std::runtime_error("dimension too large");
            t.shape.push_back(static_cast<std::int64_t>(x));
        }
        const auto& off = v.at("data_offsets");
        t.begin = whole(off.at(0), "data_offsets");
        t.end = whole(off.at(1), "data_offsets");
    } catch (const std::exception& e) {
        return "tensor \"" + name + "\": malformed entry (" + e.what() + ")";
    }
    const std::size_t es = dtypeSize(t.dtype);
    if (es == 0)
        return "tensor \"" + name + "\": unknown dtype " + t.dtype;
    // Element count, refusing overflow.
    std::uint64_t count = 1;
    for (const auto d : t.shape) {
        if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(d) / es)
            return "tensor \"" + name + "\": shape " + shapeText(t.shape) + " is too large";
        count *= static_cast<std::uint64_t>(d);
    }
    if (t.end < t.begin || t.end > dataSize || t.end - t.begin != count * es)
        return "tensor \"" + name + "\": shape " + shapeText(t.shape) + " of " + t.dtype + " needs "
            + std::to_string(count * es) + " bytes, but its data_offsets [" + std::to_string(t.begin) + ", "
            + std::to_string(t.end) + "] " + (t.end > dataSize ? "run past the end of the file" : "do not match");
    return {};
}

// Splits the header into its tensors and its string metadata.
std::string parseHeader(const Json& header, std::uint64_t dataSize, std::map<std::string, TensorInfo>& tensors,
    std::map<std::string, std::string>& meta)
{
    for (const auto& [name, v] : header.items()) {
        if (name == "__metadata__") {
            if (v.is_object())
                for (const auto& [k, mv] : v.items())
                    if (mv.is_string())
                        meta[k] = mv.get<std::string>();
            continue;
        }
        TensorInfo t;
        if (auto why = parseTensorEntry(name, v, dataSize, t); !why.empty())
            return why;
        tensors[name] = t;
    }
    // Each byte of the data section belongs to one tensor at most: overlapping tensors would read
    // one tensor's bytes as another's.
    std::vector<std::pair<const std::string*, const TensorInfo*>> byStart;
    for (const auto& [name, t] : tensors)
        if (t.end > t.begin)
            byStart.emplace_back(&name, &t);
    std::sort(
        byStart.begin(), byStart.end(), [](const auto& a, const auto& b) { return a.second->begin < b.second->begin; });
    for (std::size_t i = 1; i < byStart.size(); ++i)
        if (byStart[i].second->begin < byStart[i - 1].second->end)
            return "tensors \"" + *byStart[i - 1].first + "\" and \"" + *byStart[i].first
                + "\" overlap in the data section (data_offsets [" + std::to_string(byStart[i - 1].second->begin) + ", "
                + std::to_string(byStart[i - 1].second->end) + "] and [" + std::to_string(byStart[i].second->begin)
                + ", " + std::to_string(byStart[i].second->end) + "])";
    return {};
}

// The tensors a trace is made of; null where the file lacks one.
struct TraceTensors {
    const TensorInfo* scores = nullptr;
    const TensorInfo* ids = nullptr;
    const TensorInfo* topScores = nullptr;
    const TensorInfo* req = nullptr;
    const TensorInfo* step = nullptr;
    const TensorInfo* main = nullptr; // scores (dense) or topk_scores (sparse)
};

// Settles the trace's form and sizes (sparse, score type, tokens, layers, experts, top-k) from
// the tensors' shapes and the metadata, checking that they agree.
std::string readLayout(const std::map<std::string, TensorInfo>& tensors, const std::map<std::string, std::string>& meta,
    TraceTensors& tt, Trace& tr)
{
    auto need = [&](const char* name) -> const TensorInfo* {
        const auto it = tensors.find(name);
        return it == tensors.end() ? nullptr : &it->second;
    };
    tt.scores = need("scores");
    tt.ids = need("topk_ids");
    tt.topScores = need("topk_scores");
    tt.req = need("request_id");
    tt.step = need("step_id");
    const TensorInfo* scores = tt.scores;
    const TensorInfo* ids = tt.ids;
    const TensorInfo* topScores = tt.topScores;
    const TensorInfo* req = tt.req;
    const TensorInfo* step = tt.step;
    if (!scores && !(ids && topScores))
        return "not a Deltascope trace: expected a \"scores\" tensor (dense) or \"topk_ids\" and \"topk_scores\" "
               "(sparse)";
    if (!req)
        return "the trace has no \"request_id\" tensor";

    tr.sparse = scores == nullptr;
    tt.main = tr.sparse ? topScores : scores;
    const TensorInfo& main = *tt.main;
    if (main.shape.size() != 3)
        return std::string(tr.sparse ? "topk_scores" : "scores") + " must be [tokens, layers, "
            + (tr.sparse ? "k" : "experts") + "], got " + shapeText(main.shape);
    if (main.dtype == "F32")
        tr.scoreType = ScoreType::F32;
    else if (main.dtype == "F16")
        tr.scoreType = ScoreType::F16;
    else if (main.dtype == "BF16")
        tr.scoreType = ScoreType::BF16;
    else
        return "scores must be F32, F16 or BF16, got " + main.dtype;
    tr.tokens = main.shape[0];
    tr.layers = main.shape[1];
    if (tr.tokens == 0 || tr.layers == 0)
        return "the trace is empty (shape " + shapeText(main.shape) + ")";
    if (req->dtype != "I32" || req->shape.size() != 1 || req->shape[0] != tr.tokens)
        return "request_id must be I32 [" + std::to_string(tr.tokens) + "], got " + req->dtype + " "
            + shapeText(req->shape);
    if (step && (step->dtype != "I32" || step->shape.size() != 1 || step->shape[0] != tr.tokens))
        return "step_id must be I32 [" + std::to_string(tr.tokens) + "], got " + step->dtype + " "
            + shapeText(step->shape);

    auto metaInt = [&](const char* key, std::int64_t& out) -> bool {
        const auto it = meta.find(key);
        if (it == meta.end())
            return true;
        try {
            std::size_t used = 0;
            out = std::stoll(it->second, &used);
            return used == it->second.size();
        } catch (...) {
            return false;
        }
    };
    std::int64_t metaExperts = 0;
    std::int64_t metaTopK = 0;
    if (!metaInt("num_experts", metaExperts) || !metaInt("top_k", metaTopK))
        return "metadata num_experts and top_k must be integers";
    if (tr.sparse) {
        if (ids->shape != topScores->shape)
            return "topk_ids " + shapeText(ids->shape) + " and topk_scores " + shapeText(topScores->shape) + " differ";
        if (ids->dtype != "I32" && ids->dtype != "I16")
            return "topk_ids must be I32 or I16, got " + ids->dtype;
        tr.topK = main.shape[2];
        tr.experts = metaExperts;
        if (tr.experts <= 0)
            return "a sparse trace needs metadata num_experts";
        if (tr.topK <= 0)
            return "topk_ids " + shapeText(ids->shape) + " routes each token to no expert (k = 0)";
    } else {
        tr.experts = main.shape[2];
        if (metaExperts && metaExperts != tr.experts)
            return "metadata num_experts = " + std::to_string(metaExperts) + " but scores have "
                + std::to_string(tr.experts) + " experts";
        tr.topK = metaTopK;
        if (tr.topK <= 0)
            return metaTopK < 0 || meta.count("top_k")
                ? "metadata top_k must be at least 1, got " + std::to_string(metaTopK)
                : "a dense trace needs metadata top_k (how many experts route each token)";
    }
    if (metaTopK && metaTopK != tr.topK)
        return "metadata top_k = " + std::to_string(metaTopK) + " but topk tensors have k = " + std::to_string(tr.topK);
    if (auto why = expertCountProblem(tr.experts); !why.empty())
        return why;
    if (tr.topK > tr.experts)
        return "top_k = " + std::to_string(tr.topK) + " exceeds the " + std::to_string(tr.experts) + " experts";
    return {};
}

// The descriptive metadata: model, score kind, normalisation and the layers' own numbers.
std::string readDescription(std::map<std::string, std::string>& meta, Trace& tr)
{
    tr.model = meta.count("model") ? meta["model"] : std::string();
    if (meta.count("score_kind")) {
        const auto& k = meta["score_kind"];
        if (k == "probs")
            tr.scoreKind = ScoreKind::Probs;
        else if (k == "logits")
            tr.scoreKind = ScoreKind::Logits;
        else if (k == "sigmoid")
            tr.scoreKind = ScoreKind::Sigmoid;
        else
            return "metadata score_kind must be probs, logits or sigmoid, got " + k;
    }
    if (meta.count("norm_topk_prob"))
        tr.normTopkProb = parseBool(meta["norm_topk_prob"]);
    if (meta.count("layers")) {
        const std::string& s = meta["layers"];
        std::size_t pos = 0;
        while (pos < s.size()) {
            const auto comma = s.find(',', pos);
            try {
                tr.layerIds.push_back(std::stoi(s.substr(pos, comma - pos)));
            } catch (...) {
                return "metadata layers must be comma-separated integers";
            }
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
        if (static_cast<std::int64_t>(tr.layerIds.size()) != tr.layers)
            return "metadata layers names " + std::to_string(tr.layerIds.size()) + " layers, the scores have "
                + std::to_string(tr.layers);
    }
    return {};
}

// Points the trace at its scores and, for a sparse trace, copies and checks the expert ids.
std::string attachData(const char* data, const TraceTensors& tt, Trace& tr)
{
    const TensorInfo& main = *tt.main;
    const TensorInfo* ids = tt.ids;
    // Scores stay in the mapping when aligned; otherwise (an odd header length) they are copied.
    const char* scorePtr = data + main.begin;
    const std::size_t align = tr.scoreType == ScoreType::F32 ? 4 : 2;
    if (reinterpret_cast<std::uintptr_t>(scorePtr) % align != 0) {
        auto copy = std::make_shared<std::vector<std::uint8_t>>(main.end - main.begin);
        std::memcpy(copy->data(), scorePtr, copy->size());
        tr.ownedScores = copy;
        tr.scores = copy->data();
    } else {
        tr.scores = scorePtr;
    }
    if (tr.sparse) {
        auto owned
            = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(tr.tokens * tr.layers * tr.topK));
        if (ids->dtype == "I32") {
            std::memcpy(owned->data(), data + ids->begin, owned->size() * 4);
        } else {
            for (std::size_t i = 0; i < owned->size(); ++i) {
                std::int16_t v;
                std::memcpy(&v, data + ids->begin + 2 * i, 2);
                (*owned)[i] = v;
            }
        }
        for (std::size_t i = 0; i < owned->size(); ++i) {
            const auto id = (*owned)[i];
            if (id < -1 || id >= tr.experts) {
                const auto k = static_cast<std::int64_t>(i) % tr.topK;
                const auto l = static_cast<std::int64_t>(i) / tr.topK % tr.layers;
                const auto t = static_cast<std::int64_t>(i) / tr.topK / tr.layers;
                return "expert id " + std::to_string(id) + " out of range [0, " + std::to_string(tr.experts)
                    + ") at token " + std::to_string(t) + ", layer " + std::to_string(l) + ", slot "
                    + std::to_string(k);
            }
        }
        for (std::int64_t row = 0; row < tr.tokens * tr.layers; ++row)
            if (const auto id = repeatedExpert(owned->data() + row * tr.topK, tr.topK); id >= 0)
                return "expert id " + std::to_string(id) + " appears twice among the top-k of token "
                    + std::to_string(row / tr.layers) + ", layer " + std::to_string(row % tr.layers);
        tr.ownedIds = owned;
        tr.topkIds = owned->data();
    }
    return {};
}

} // namespace

// The loader itself; the public function turns running out of memory into an error.
static Result<Trace> unguardedReadTraceFile(const std::string& path)
{
    using R = Result<Trace>;
    auto file = std::make_shared<MappedFile>();
    std::string why;
    if (!file->open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const std::size_t size = file->size();
    if (size < 8)
        return R::failure(
            Diagnostic::error(path, 0, "too short for a safetensors file (" + std::to_string(size) + " bytes)"));
    std::uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | static_cast<unsigned char>(file->data()[i]);
    if (headerLen == 0 || headerLen > size - 8 || headerLen > (100u << 20))
        return R::failure(Diagnostic::error(path, 0,
            "the safetensors header claims " + std::to_string(headerLen) + " bytes but the file has "
                + std::to_string(size) + " (truncated file, or not a safetensors file)"));
    const std::string_view headerText(file->data() + 8, headerLen);
    Json header;
    try {
        header = Json::parse(headerText);
    } catch (const Json::exception& e) {
        return R::failure(Diagnostic::error(path, 0, std::string("malformed safetensors header: ") + e.what()));
    }
    if (!header.is_object())
        return R::failure(Diagnostic::error(path, 0, "the safetensors header is not a JSON object"));

    const std::uint64_t dataStart = 8 + headerLen;
    const std::uint64_t dataSize = size - dataStart;
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> meta;
    if (why = parseHeader(header, dataSize, tensors, meta); !why.empty())
        return R::failure(Diagnostic::error(path, 0, why));

    Trace tr;
    TraceTensors tt;
    if (why = readLayout(tensors, meta, tt, tr); !why.empty())
        return R::failure(Diagnostic::error(path, 0, why));

    const char* data = file->data() + dataStart;
    auto copyI32 = [&](const TensorInfo& t) {
        std::vector<std::int32_t> v(static_cast<std::size_t>(t.shape[0]));
        std::memcpy(v.data(), data + t.begin, v.size() * 4);
        return v;
    };
    tr.requestId = copyI32(*tt.req);
    if (tt.step)
        tr.stepId = copyI32(*tt.step);
    if (why = readDescription(meta, tr); !why.empty())
        return R::failure(Diagnostic::error(path, 0, why));
    if (why = attachData(data, tt, tr); !why.empty())
        return R::failure(Diagnostic::error(path, 0, why));
    tr.mapping = file;
    Result<Trace> out;
    out.value = std::move(tr);
    return out;
}

Result<Trace> readTraceFile(const std::string& path)
{
    return failOnOutOfMemory<Trace>(path, [&] { return unguardedReadTraceFile(path); });
}

std::string writeTraceFile(const std::string& path, const Trace& trace, ScoreType scoreType)
{
    const std::size_t per = scoreType == ScoreType::F32 ? 4 : 2;
    const auto T = trace.tokens;
    const auto L = trace.layers;
    const auto W = trace.sparse ? trace.topK : trace.experts;
    const std::uint64_t scoreBytes = static_cast<std::uint64_t>(T * L * W) * per;
    const char* dtype = scoreType == ScoreType::F32 ? "F32" : (scoreType == ScoreType::F16 ? "F16" : "BF16");

    Json header = Json::object();
    std::uint64_t offset = 0;
    auto add = [&](const char* name, const char* dt, std::vector<std::int64_t> shape, std::uint64_t bytes) {
        header[name] = { { "dtype", dt }, { "shape", shape }, { "data_offsets", { offset, offset + bytes } } };
        offset += bytes;
    };
    if (trace.sparse) {
        add("topk_ids", "I32", { T, L, W }, static_cast<std::uint64_t>(T * L * W) * 4);
        add("topk_scores", dtype, { T, L, W }, scoreBytes);
    } else {
        add("scores", dtype, { T, L, W }, scoreBytes);
    }
    add("request_id", "I32", { T }, static_cast<std::uint64_t>(T) * 4);
    if (trace.hasSteps())
        add("step_id", "I32", { T }, static_cast<std::uint64_t>(T) * 4);
    Json meta = { { "format", "deltascope-trace" }, { "model", trace.model },
        { "num_experts", std::to_string(trace.experts) }, { "top_k", std::to_string(trace.topK) },
        { "score_kind", toString(trace.scoreKind) }, { "norm_topk_prob", trace.normTopkProb ? "true" : "false" } };
    if (!trace.layerIds.empty()) {
        std::string s;
        for (const int id : trace.layerIds) {
            if (!s.empty())
                s += ',';
            s += std::to_string(id);
        }
        meta["layers"] = s;
    }
    header["__metadata__"] = meta;
    std::string text = jsonText(header);
    while ((8 + text.size()) % 8 != 0)
        text += ' ';

    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        return "cannot create " + tmp + ": " + std::strerror(errno);
    bool ok = true;
    auto put = [&](const void* p, std::size_t n) { ok = ok && std::fwrite(p, 1, n, f) == n; };
    std::uint8_t len[8];
    for (int i = 0; i < 8; ++i)
        len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
    put(len, 8);
    put(text.data(), text.size());
    const std::size_t count = static_cast<std::size_t>(T * L * W);
    if (trace.sparse)
        put(trace.topkIds, count * 4);
    std::vector<std::uint8_t> chunk;
    const std::size_t step = 1 << 20;
    for (std::size_t i = 0; i < count && ok; i += step) {
        const std::size_t n = std::min(step, count - i);
        chunk.resize(n * per);
        for (std::size_t j = 0; j < n; ++j) {
            const float v = trace.rawScore(i + j);
            if (scoreType == ScoreType::F32) {
                std::memcpy(chunk.data() + 4 * j, &v, 4);
            } else {
                const std::uint16_t h = scoreType == ScoreType::F16 ? floatToF16(v) : floatToBf16(v);
                std::memcpy(chunk.data() + 2 * j, &h, 2);
            }
        }
        put(chunk.data(), chunk.size());
    }
    put(trace.requestId.data(), trace.requestId.size() * 4);
    if (trace.hasSteps())
        put(trace.stepId.data(), trace.stepId.size() * 4);
    ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) {
        std::remove(tmp.c_str());
        return "cannot write " + path + ": " + std::strerror(errno);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(tmp.c_str());
        return "cannot rename onto " + path + ": " + reason;
    }
    return {};
}

} // namespace deltascope::moe
