#include "moe/MegatronImport.h"

#include "common/MappedFile.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace deltascope::moe {

namespace {

// A field that must be a whole number in [lo, hi]: anything else (a float, a string, a number out
// of range) makes the record malformed instead of being cast.
struct BadField : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::int64_t wholeNumber(const nlohmann::json& v, const char* what, std::int64_t lo, std::int64_t hi)
{
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(hi) && static_cast<std::int64_t>(u) >= lo)
            return static_cast<std::int64_t>(u);
    } else if (v.is_number_integer()) {
        const auto s = v.get<std::int64_t>();
        if (s >= lo && s <= hi)
            return s;
    }
    throw BadField(
        std::string(what) + " must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

bool isTraceName(const std::string& name)
{
    return name.starts_with("router_trace_rank") && name.ends_with(".jsonl");
}

struct LayerRecord {
    std::int64_t tokens = 0;
    std::int64_t topk = 0;
    std::vector<std::int32_t> ids; // [tokens][topk]
    std::vector<float> logits; // [tokens][experts] when the sidecar is there
    std::int64_t experts = 0;
};

// (step, rank) -> layer -> record
using StepKey = std::pair<std::int64_t, std::int64_t>;

} // namespace

bool isMegatronTrace(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const auto& e : fs::directory_iterator(path, ec))
            if (isTraceName(e.path().filename().string()))
                return true;
        return false;
    }
    return isTraceName(fs::path(path).filename().string());
}

Result<Trace> importMegatronTrace(const std::string& path, const TraceImportOptions& options)
{
    using R = Result<Trace>;
    std::vector<std::string> files;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const auto& e : fs::directory_iterator(path, ec))
            if (isTraceName(e.path().filename().string()))
                files.push_back(e.path().string());
    } else {
        files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
        return R::failure(Diagnostic::error(path, 0, "no router_trace_rank*.jsonl files"));

    std::map<StepKey, std::map<std::int64_t, LayerRecord>> steps;
    R out;
    std::int64_t skippedMtp = 0;
    bool anyLogits = false;
    bool allLogits = true;
    std::int64_t maxId = -1;
    std::size_t fileIndex = 0;
    for (const auto& file : files) {
        ++fileIndex;
        MappedFile f;
        std::string why;
        if (!f.open(file, why))
            return R::failure(Diagnostic::error(file, 0, why));
        MappedFile sidecar;
        bool haveSidecar = false;
        const std::string_view text = f.view();
        std::size_t pos = 0;
        std::int64_t line = 0;
        while (pos < text.size()) {
            ++line;
            if ((line & 0x3fff) == 0 && options.progress.callback
                && !options.progress.report(
                    (static_cast<double>(fileIndex - 1) + static_cast<double>(pos) / static_cast<double>(text.size()))
                        / static_cast<double>(files.size()),
                    "reading the trace"))
                return R::failure(Diagnostic::error(file, line, "cancelled"));
            const auto nl = text.find('\n', pos);
            const auto rec = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            if (rec.find_first_not_of(" \t\r") == std::string_view::npos)
                continue;
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(rec);
            } catch (const nlohmann::json::exception& e) {
                return R::failure(Diagnostic::error(file, line, std::string("malformed JSON record: ") + e.what()));
            }
            try {
                if (j.contains("mtp_idx") || j.value("block", std::string("decoder")) != "decoder") {
                    ++skippedMtp;
                    continue;
                }
                LayerRecord lr;
                constexpr std::int64_t kMaxCount = std::int64_t { 1 } << 40;
                const auto step = wholeNumber(j.at("step"), "step", 0, kMaxCount);
                const auto rank = j.contains("rank") ? wholeNumber(j.at("rank"), "rank", 0, 1 << 20) : 0;
                const auto layer = wholeNumber(j.at("layer"), "layer", 0, 65535);
                lr.tokens = wholeNumber(j.at("num_tokens"), "num_tokens", 0, kMaxCount);
                lr.topk = wholeNumber(j.at("topk"), "topk", 1, 65536);
                const auto& idx = j.at("top_indices");
                if (lr.tokens < 0 || lr.topk <= 0 || !idx.is_array()
                    || static_cast<std::int64_t>(idx.size()) != lr.tokens)
                    return R::failure(Diagnostic::error(file, line, "top_indices does not hold num_tokens rows"));
                lr.ids.reserve(static_cast<std::size_t>(lr.tokens * lr.topk));
                for (const auto& row : idx) {
                    if (!row.is_array() || static_cast<std::int64_t>(row.size()) != lr.topk)
                        return R::failure(Diagnostic::error(file, line, "a top_indices row does not hold topk ids"));
                    for (const auto& id : row) {
                        const auto v = wholeNumber(id, "an expert id", 0, 65535);
                        if (options.experts > 0 && v >= options.experts)
                            return R::failure(
                                Diagnostic::error(file, line, "expert id " + std::to_string(v) + " out of range"));
                        maxId = std::max(maxId, v);
                        lr.ids.push_back(static_cast<std::int32_t>(v));
                    }
                }
                if (j.contains("logit_offset")) {
                    if (!haveSidecar) {
                        const auto side
                            = (fs::path(file).parent_path() / ("logits_rank" + std::to_string(rank) + ".bin")).string();
                        if (!sidecar.open(side, why))
                            return R::failure(
                                Diagnostic::error(side, 0, "the records point into this logits sidecar: " + why));
                        haveSidecar = true;
                    }
                    const auto offset = static_cast<std::uint64_t>(
                        wholeNumber(j.at("logit_offset"), "logit_offset", 0, std::numeric_limits<std::int64_t>::max()));
                    const auto bytes = static_cast<std::uint64_t>(
                        wholeNumber(j.at("logit_bytes"), "logit_bytes", 0, std::numeric_limits<std::int64_t>::max()));
                    const auto& shape = j.at("logit_shape");
                    if (!shape.is_array() || shape.size() != 2
                        || wholeNumber(shape[0], "logit_shape[0]", 0, kMaxCount) != lr.tokens)
                        return R::failure(
                            Diagnostic::error(file, line, "logit_shape must be [num_tokens, num_experts]"));
                    lr.experts = wholeNumber(shape[1], "logit_shape[1]", 1, 65536);
                    if (lr.experts <= 0 || bytes != static_cast<std::uint64_t>(lr.tokens * lr.experts) * 2
                        || offset > sidecar.size() || bytes > sidecar.size() - offset)
                        return R::failure(
                            Diagnostic::error(file, line, "logit_offset / logit_bytes do not fit the logits sidecar"));
                    lr.logits.resize(static_cast<std::size_t>(lr.tokens * lr.experts));
                    const auto* p = reinterpret_cast<const unsigned char*>(sidecar.data() + offset);
                    for (std::size_t i = 0; i < lr.logits.size(); ++i)
                        lr.logits[i] = bf16ToFloat(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
                    anyLogits = true;
                } else {
                    allLogits = false;
                }
                steps[{ step, rank }][layer] = std::move(lr);
            } catch (const nlohmann::json::exception& e) {
                return R::failure(Diagnostic::error(file, line, std::string("unexpected router record: ") + e.what()));
            } catch (const BadField& e) {
                return R::failure(Diagnostic::error(file, line, std::string("unexpected router record: ") + e.what()));
            }
        }
    }
    if (steps.empty())
        return R::failure(Diagnostic::error(path, 0, "no decoder router records"));

    // Replicas: a rank whose decisions for a step equal another rank's adds no tokens.
    std::set<std::int64_t> layerSet;
    for (const auto& [key, layers] : steps)
        for (const auto& [layer, rec] : layers)
            layerSet.insert(layer);
    std::vector<std::int64_t> layerIds(layerSet.begin(), layerSet.end());
    std::vector<StepKey> keep;
    std::int64_t replicas = 0;
    for (auto it = steps.begin(); it != steps.end(); ++it) {
        bool duplicate = false;
        for (const auto& k : keep)
            if (k.first == it->first.first) {
                const auto& a = steps.at(k);
                duplicate = a.size() == it->second.size()
                    && std::equal(a.begin(), a.end(), it->second.begin(), [](const auto& x, const auto& y) {
                           return x.first == y.first && x.second.ids == y.second.ids;
                       });
                if (duplicate)
                    break;
            }
        if (duplicate)
            ++replicas;
        else
            keep.push_back(it->first);
    }

    const bool dense = anyLogits && allLogits;
    std::int64_t N = options.experts > 0 ? options.experts : maxId + 1;
    std::int64_t K = 0;
    std::int64_t T = 0;
    for (const auto& k : keep) {
        const auto& layers = steps.at(k);
        const auto n = layers.begin()->second.tokens;
        for (const auto& [layer, rec] : layers) {
            if (rec.tokens != n)
                return R::failure(Diagnostic::error(path, 0,
                    "step " + std::to_string(k.first) + " has " + std::to_string(rec.tokens) + " tokens at layer "
                        + std::to_string(layer) + " but " + std::to_string(n) + " at another layer"));
            K = std::max(K, rec.topk);
            if (dense)
                N = std::max(N, rec.experts);
        }
        T += n;
    }
    const auto L = static_cast<std::int64_t>(layerIds.size());
    if (T == 0)
        return R::failure(Diagnostic::error(path, 0, "the trace holds no tokens"));
    if (K > N)
        return R::failure(Diagnostic::error(path, 0, "top-k exceeds the number of experts"));
    std::vector<std::int32_t> request(static_cast<std::size_t>(T));
    std::vector<std::int32_t> stepIds(static_cast<std::size_t>(T));
    std::vector<float> scores(static_cast<std::size_t>(T * L * (dense ? N : K)), dense ? -1e30f : 0.0f);
    std::vector<std::int32_t> ids(dense ? 0 : static_cast<std::size_t>(T * L * K), -1);
    std::int64_t row = 0;
    std::int32_t stepIndex = 0;
    for (const auto& k : keep) {
        const auto& layers = steps.at(k);
        const auto n = layers.begin()->second.tokens;
        for (std::int64_t i = 0; i < n; ++i) {
            request[static_cast<std::size_t>(row + i)] = static_cast<std::int32_t>(i);
            stepIds[static_cast<std::size_t>(row + i)] = stepIndex;
        }
        for (const auto& [layer, rec] : layers) {
            const auto l = static_cast<std::int64_t>(
                std::lower_bound(layerIds.begin(), layerIds.end(), layer) - layerIds.begin());
            for (std::int64_t i = 0; i < n; ++i) {
                if (dense) {
                    float* dst = scores.data() + static_cast<std::size_t>(((row + i) * L + l) * N);
                    std::copy_n(rec.logits.data() + static_cast<std::size_t>(i * rec.experts), rec.experts, dst);
                } else {
                    for (std::int64_t j = 0; j < rec.topk; ++j) {
                        const auto at = static_cast<std::size_t>(((row + i) * L + l) * K + j);
                        ids[at] = rec.ids[static_cast<std::size_t>(i * rec.topk + j)];
                        scores[at] = 1.0f / static_cast<float>(rec.topk);
                    }
                }
            }
        }
        row += n;
        ++stepIndex;
    }
    Trace tr = makeOwnedTrace(T, L, N, K, !dense, std::move(scores), std::move(ids), std::move(request));
    tr.stepId = std::move(stepIds);
    tr.scoreKind
        = dense ? (options.scoreKind == ScoreKind::Probs ? ScoreKind::Logits : options.scoreKind) : ScoreKind::Probs;
    tr.normTopkProb = options.normTopkProb;
    tr.model = options.model;
    for (const auto id : layerIds)
        tr.layerIds.push_back(static_cast<int>(id));
    if (!dense)
        out.warnings.push_back(Diagnostic::note(path, 0,
            anyLogits ? "only some records have logits; using the top-k ids alone, each routed expert weighing 1/k"
                      : "no logits sidecar: the records hold expert ids only, so each routed expert weighs 1/k"));
    if (replicas > 0)
        out.warnings.push_back(Diagnostic::note(path, 0,
            std::to_string(replicas) + " (step, rank) record sets repeat another rank's decisions and were read once"));
    if (skippedMtp > 0)
        out.warnings.push_back(
            Diagnostic::note(path, 0, std::to_string(skippedMtp) + " multi-token-prediction records skipped"));
    out.value = std::move(tr);
    return out;
}

} // namespace deltascope::moe
