// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/MegatronImport.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/OutOfMemory.h"
#include "moe/SparseGrid.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
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
using StepMap = std::map<StepKey, std::map<std::int64_t, LayerRecord>>;

constexpr std::int64_t kMaxCount = std::int64_t { 1 } << 40;

// What reading the record files gathers.
struct ReadState {
    StepMap steps;
    std::int64_t skippedMtp = 0;
    bool anyLogits = false;
    bool allLogits = true;
    std::int64_t maxId = -1;
};

// The logits sidecar of one record file, opened on the first record that points into it.
struct Sidecar {
    MappedFile file;
    bool open = false;
};

// Reads the record's logits from the sidecar into lr.
std::optional<Diagnostic> readLogits(const nlohmann::json& j, const std::string& file, std::int64_t line,
    std::int64_t rank, Sidecar& side, LayerRecord& lr)
{
    if (!side.open) {
        const auto name = (fs::path(file).parent_path() / ("logits_rank" + std::to_string(rank) + ".bin")).string();
        std::string why;
        if (!side.file.open(name, why))
            return Diagnostic::error(name, 0, "the records point into this logits sidecar: " + why);
        side.open = true;
    }
    const MappedFile& sidecar = side.file;
    const auto offset = static_cast<std::uint64_t>(
        wholeNumber(j.at("logit_offset"), "logit_offset", 0, std::numeric_limits<std::int64_t>::max()));
    const auto bytes = static_cast<std::uint64_t>(
        wholeNumber(j.at("logit_bytes"), "logit_bytes", 0, std::numeric_limits<std::int64_t>::max()));
    const auto& shape = j.at("logit_shape");
    if (!shape.is_array() || shape.size() != 2 || wholeNumber(shape[0], "logit_shape[0]", 0, kMaxCount) != lr.tokens)
        return Diagnostic::error(file, line, "logit_shape must be [num_tokens, num_experts]");
    lr.experts = wholeNumber(shape[1], "logit_shape[1]", 1, 65536);
    if (lr.experts <= 0 || bytes != static_cast<std::uint64_t>(lr.tokens * lr.experts) * 2 || offset > sidecar.size()
        || bytes > sidecar.size() - offset)
        return Diagnostic::error(file, line, "logit_offset / logit_bytes do not fit the logits sidecar");
    lr.logits.resize(static_cast<std::size_t>(lr.tokens * lr.experts));
    const auto* p = reinterpret_cast<const unsigned char*>(sidecar.data() + offset);
    for (std::size_t i = 0; i < lr.logits.size(); ++i)
        lr.logits[i] = bf16ToFloat(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
    return std::nullopt;
}

// Reads one router record into the state. Throws nlohmann::json::exception or BadField when a
// field is missing or of the wrong kind.
std::optional<Diagnostic> readRecord(const nlohmann::json& j, const std::string& file, std::int64_t line,
    const TraceImportOptions& options, Sidecar& sidecar, ReadState& st)
{
    if (j.contains("mtp_idx") || j.value("block", std::string("decoder")) != "decoder") {
        ++st.skippedMtp;
        return std::nullopt;
    }
    LayerRecord lr;
    const auto step = wholeNumber(j.at("step"), "step", 0, kMaxCount);
    const auto rank = j.contains("rank") ? wholeNumber(j.at("rank"), "rank", 0, 1 << 20) : 0;
    const auto layer = wholeNumber(j.at("layer"), "layer", 0, 65535);
    lr.tokens = wholeNumber(j.at("num_tokens"), "num_tokens", 0, kMaxCount);
    lr.topk = wholeNumber(j.at("topk"), "topk", 1, 65536);
    const auto& idx = j.at("top_indices");
    if (lr.tokens < 0 || lr.topk <= 0 || !idx.is_array() || static_cast<std::int64_t>(idx.size()) != lr.tokens)
        return Diagnostic::error(file, line, "top_indices does not hold num_tokens rows");
    lr.ids.reserve(static_cast<std::size_t>(lr.tokens * lr.topk));
    for (const auto& row : idx) {
        if (!row.is_array() || static_cast<std::int64_t>(row.size()) != lr.topk)
            return Diagnostic::error(file, line, "a top_indices row does not hold topk ids");
        for (const auto& id : row) {
            const auto v = wholeNumber(id, "an expert id", 0, 65535);
            if (options.experts > 0 && v >= options.experts)
                return Diagnostic::error(file, line, "expert id " + std::to_string(v) + " out of range");
            st.maxId = std::max(st.maxId, v);
            lr.ids.push_back(static_cast<std::int32_t>(v));
        }
        if (const auto id = repeatedExpert(lr.ids.data() + lr.ids.size() - row.size(), lr.topk); id >= 0)
            return Diagnostic::error(
                file, line, "expert id " + std::to_string(id) + " appears twice in a top_indices row");
    }
    if (j.contains("logit_offset")) {
        if (auto err = readLogits(j, file, line, rank, sidecar, lr))
            return err;
        st.anyLogits = true;
    } else {
        st.allLogits = false;
    }
    st.steps[{ step, rank }][layer] = std::move(lr);
    return std::nullopt;
}

// Reads every record of one file (the fileIndex-th of fileCount, from 1) into the state.
std::optional<Diagnostic> readRecordFile(const std::string& file, std::size_t fileIndex, std::size_t fileCount,
    const TraceImportOptions& options, ReadState& st)
{
    MappedFile f;
    std::string why;
    if (!f.open(file, why))
        return Diagnostic::error(file, 0, why);
    Sidecar sidecar;
    const std::string_view text = f.text();
    std::size_t pos = 0;
    std::int64_t line = 0;
    while (pos < text.size()) {
        ++line;
        if ((line & 0x3fff) == 0 && options.progress.callback
            && !options.progress.report(
                (static_cast<double>(fileIndex - 1) + static_cast<double>(pos) / static_cast<double>(text.size()))
                    / static_cast<double>(fileCount),
                "reading the trace"))
            return Diagnostic::error(file, line, "cancelled");
        const auto nl = text.find('\n', pos);
        const auto rec = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (rec.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(rec);
        } catch (const nlohmann::json::exception& e) {
            return Diagnostic::error(file, line, "malformed JSON record: " + plainJsonMessage(e.what()));
        }
        try {
            if (auto err = readRecord(j, file, line, options, sidecar, st))
                return err;
        } catch (const nlohmann::json::exception& e) {
            return Diagnostic::error(file, line, std::string("unexpected router record: ") + e.what());
        } catch (const BadField& e) {
            return Diagnostic::error(file, line, std::string("unexpected router record: ") + e.what());
        }
    }
    return std::nullopt;
}

// The (step, rank) record sets to keep, in order: a rank whose decisions for a step equal another
// rank's adds no tokens and is counted in replicas instead.
std::vector<StepKey> distinctRecordSets(const StepMap& steps, std::int64_t& replicas)
{
    std::vector<StepKey> keep;
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
    return keep;
}

// Lays the kept record sets out as one trace: dense over the logits, or sparse over the ids with
// each routed expert weighing 1/k.
Result<Trace> assembleTrace(const std::string& path, const StepMap& steps, const std::vector<StepKey>& keep,
    const std::vector<std::int64_t>& layerIds, bool dense, std::int64_t N)
{
    using R = Result<Trace>;
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
    // Steps that log different layers would spread a few records over a large grid.
    std::int64_t filled = 0;
    for (const auto& k : keep)
        filled += steps.at(k).begin()->second.tokens * static_cast<std::int64_t>(steps.at(k).size());
    if (auto tooLarge = checkSparseGrid(path, T, L, dense ? N : K, static_cast<std::size_t>(filled), {}))
        return R::failure(*tooLarge);
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
    R out;
    out.value = std::move(tr);
    return out;
}

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

// The loader itself; the public function turns running out of memory into an error.
static Result<Trace> unguardedImportMegatronTrace(const std::string& path, const TraceImportOptions& options)
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

    ReadState st;
    std::size_t fileIndex = 0;
    for (const auto& file : files) {
        ++fileIndex;
        if (auto err = readRecordFile(file, fileIndex, files.size(), options, st))
            return R::failure(std::move(*err));
    }
    const StepMap& steps = st.steps;
    if (steps.empty())
        return R::failure(Diagnostic::error(path, 0, "no decoder router records"));

    // Replicas: a rank whose decisions for a step equal another rank's adds no tokens.
    std::set<std::int64_t> layerSet;
    for (const auto& [key, layers] : steps)
        for (const auto& [layer, rec] : layers)
            layerSet.insert(layer);
    std::vector<std::int64_t> layerIds(layerSet.begin(), layerSet.end());
    std::int64_t replicas = 0;
    const std::vector<StepKey> keep = distinctRecordSets(steps, replicas);

    const bool dense = st.anyLogits && st.allLogits;
    const std::int64_t N = options.experts > 0 ? options.experts : st.maxId + 1;
    R out = assembleTrace(path, steps, keep, layerIds, dense, N);
    if (!out.value)
        return out;
    Trace& tr = *out.value;
    tr.scoreKind
        = dense ? (options.scoreKind == ScoreKind::Probs ? ScoreKind::Logits : options.scoreKind) : ScoreKind::Probs;
    tr.normTopkProb = options.normTopkProb;
    tr.model = options.model;
    for (const auto id : layerIds)
        tr.layerIds.push_back(static_cast<int>(id));
    if (!dense)
        out.warnings.push_back(Diagnostic::note(path, 0,
            st.anyLogits ? "only some records have logits; using the top-k ids alone, each routed expert weighing 1/k"
                         : "no logits sidecar: the records hold expert ids only, so each routed expert weighs 1/k"));
    if (replicas > 0)
        out.warnings.push_back(Diagnostic::note(path, 0,
            std::to_string(replicas) + " (step, rank) record sets repeat another rank's decisions and were read once"));
    if (st.skippedMtp > 0)
        out.warnings.push_back(
            Diagnostic::note(path, 0, std::to_string(st.skippedMtp) + " multi-token-prediction records skipped"));
    return out;
}

Result<Trace> importMegatronTrace(const std::string& path, const TraceImportOptions& options)
{
    return failOnOutOfMemory<Trace>(path, [&] { return unguardedImportMegatronTrace(path, options); });
}

} // namespace deltascope::moe
