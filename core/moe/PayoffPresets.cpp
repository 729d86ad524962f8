// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in models and GPUs of the payoff estimate, and model descriptions read from JSON.
#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "moe/Payoff.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>

namespace deltascope::moe {

namespace {

// Attention weights of one block with grouped-query attention: q and o are hidden x heads x head_dim,
// k and v hidden x kv_heads x head_dim.
constexpr double gqaParams(double hidden, double heads, double kvHeads, double headDim)
{
    return 2.0 * hidden * heads * headDim + 2.0 * hidden * kvHeads * headDim;
}

// DeepSeek-V3's multi-head latent attention (q_lora_rank 1536, kv_lora_rank 512, qk_nope_head_dim 128,
// qk_rope_head_dim 64, v_head_dim 128, 128 heads, hidden 7168): q_a 7168 x 1536, q_b 1536 x 128 x 192,
// kv_a 7168 x (512 + 64), kv_b 512 x 128 x (128 + 128), o 128 x 128 x 7168.
constexpr double kV3Attention
    = 7168.0 * 1536 + 1536.0 * 128 * 192 + 7168.0 * 576 + 512.0 * 128 * 256 + 128.0 * 128 * 7168;

std::vector<MoeModel> makeModels()
{
    std::vector<MoeModel> m;
    // Field names of the published Hugging Face configs are given for each value.
    {
        // mistralai/Mixtral-8x7B-v0.1: num_hidden_layers 32, hidden_size 4096, intermediate_size
        // 14336, num_local_experts 8, num_experts_per_tok 2, num_attention_heads 32,
        // num_key_value_heads 8 (head dim 128), vocab_size 32000, bf16.
        MoeModel x;
        x.name = "Mixtral-8x7B";
        x.layers = 32;
        x.moeLayers = 32;
        x.hidden = 4096;
        x.expertFfn = 14336;
        x.experts = 8;
        x.topK = 2;
        x.denseParams = 32 * gqaParams(4096, 32, 8, 128) + 32000.0 * 4096 + 32.0 * 4096 * 8; // + LM head, routers
        x.kvPerToken = 2.0 * 8 * 128;
        m.push_back(x);
    }
    {
        // allenai/OLMoE-1B-7B-0924: num_hidden_layers 16, hidden_size 2048, intermediate_size 1024
        // (per expert), num_experts 64, num_experts_per_tok 8, num_attention_heads 16,
        // num_key_value_heads 16 (head dim 128), vocab_size 50304, bf16.
        MoeModel x;
        x.name = "OLMoE-1B-7B";
        x.layers = 16;
        x.moeLayers = 16;
        x.hidden = 2048;
        x.expertFfn = 1024;
        x.experts = 64;
        x.topK = 8;
        x.denseParams = 16 * gqaParams(2048, 16, 16, 128) + 50304.0 * 2048 + 16.0 * 2048 * 64;
        x.kvPerToken = 2.0 * 16 * 128;
        m.push_back(x);
    }
    {
        // deepseek-ai/deepseek-moe-16b-base: num_hidden_layers 28, first_k_dense_replace 1 (one
        // dense block with intermediate_size 10944), hidden_size 2048, moe_intermediate_size 1408,
        // n_routed_experts 64, num_experts_per_tok 6, n_shared_experts 2, num_attention_heads 16,
        // num_key_value_heads 16, vocab_size 102400, bf16.
        MoeModel x;
        x.name = "DeepSeek-MoE-16B";
        x.layers = 28;
        x.moeLayers = 27;
        x.hidden = 2048;
        x.expertFfn = 1408;
        x.experts = 64;
        x.topK = 6;
        x.sharedExperts = 2;
        x.sharedFfn = 1408;
        x.denseParams = 28 * gqaParams(2048, 16, 16, 128) + 3.0 * 2048 * 10944 + 102400.0 * 2048 + 27.0 * 2048 * 64;
        x.kvPerToken = 2.0 * 16 * 128;
        m.push_back(x);
    }
    {
        // Qwen/Qwen1.5-MoE-A2.7B: num_hidden_layers 24, hidden_size 2048, moe_intermediate_size
        // 1408, num_experts 60, num_experts_per_tok 4, shared_expert_intermediate_size 5632 (one
        // shared expert), num_attention_heads 16, num_key_value_heads 16, vocab_size 151936, bf16.
        MoeModel x;
        x.name = "Qwen1.5-MoE-A2.7B";
        x.layers = 24;
        x.moeLayers = 24;
        x.hidden = 2048;
        x.expertFfn = 1408;
        x.experts = 60;
        x.topK = 4;
        x.sharedExperts = 1;
        x.sharedFfn = 5632;
        x.denseParams = 24 * gqaParams(2048, 16, 16, 128) + 151936.0 * 2048 + 24.0 * 2048 * 61;
        x.kvPerToken = 2.0 * 16 * 128;
        m.push_back(x);
    }
    {
        // deepseek-ai/DeepSeek-V3: num_hidden_layers 61, first_k_dense_replace 3 (dense blocks with
        // intermediate_size 18432), hidden_size 7168, moe_intermediate_size 2048, n_routed_experts
        // 256, num_experts_per_tok 8, n_shared_experts 1, vocab_size 129280; weights in fp8 (1 byte);
        // the KV cache holds kv_lora_rank 512 + qk_rope_head_dim 64 values per token and layer.
        MoeModel x;
        x.name = "DeepSeek-V3";
        x.layers = 61;
        x.moeLayers = 58;
        x.hidden = 7168;
        x.expertFfn = 2048;
        x.experts = 256;
        x.topK = 8;
        x.sharedExperts = 1;
        x.sharedFfn = 2048;
        x.denseParams = 61 * kV3Attention + 3 * 3.0 * 7168 * 18432 + 129280.0 * 7168 + 58.0 * 7168 * 256;
        x.kvPerToken = 512 + 64;
        x.dtypeBytes = 1.0;
        m.push_back(x);
    }
    return m;
}

std::vector<GpuSpec> makeGpus()
{
    // Memory bandwidth, dense (no sparsity) bf16 tensor throughput and memory from the vendors' data sheets.
    return {
        { "H100 SXM", 3350.0, 989.0, 80.0 },
        { "H200", 4800.0, 989.0, 141.0 },
        { "A100 80GB", 2039.0, 312.0, 80.0 },
        { "L40S", 864.0, 362.0, 48.0 },
        { "RTX 4090", 1008.0, 165.0, 24.0 },
        { "MI300X", 5300.0, 1307.0, 192.0 },
    };
}

std::string squash(const std::string& s)
{
    std::string out;
    for (const char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.')
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

double dtypeBytesOf(const std::string& dtype)
{
    if (dtype == "float32")
        return 4.0;
    if (dtype.find("8") != std::string::npos)
        return 1.0;
    if (dtype.find("int4") != std::string::npos || dtype.find("4bit") != std::string::npos)
        return 0.5;
    return 2.0;
}

} // namespace

double MoeModel::expertBytes() const
{
    return 3.0 * static_cast<double>(hidden) * static_cast<double>(expertFfn) * dtypeBytes;
}

std::string MoeModel::check() const
{
    if (layers < 1)
        return "layers must be at least 1";
    if (moeLayers < 1 || moeLayers > layers)
        return "MoE layers must be between 1 and the layers (" + std::to_string(layers) + ")";
    if (hidden < 1)
        return "hidden size must be at least 1";
    if (expertFfn < 1)
        return "expert FFN size must be at least 1";
    if (experts < 1)
        return "experts must be at least 1";
    if (topK < 1 || topK > experts)
        return "top-k must be between 1 and the experts (" + std::to_string(experts) + ")";
    if (sharedExperts < 0 || (sharedExperts > 0 && sharedFfn < 1))
        return "shared experts need a shared FFN size of at least 1";
    if (!(denseParams >= 0) || !(kvPerToken >= 0) || !std::isfinite(denseParams) || !std::isfinite(kvPerToken))
        return "dense parameters and KV values per token must be 0 or more";
    if (!(dtypeBytes > 0) || dtypeBytes > 8 || !(kvBytes > 0) || kvBytes > 8)
        return "bytes per weight and per KV value must be above 0 and at most 8";
    return {};
}

const std::vector<MoeModel>& modelPresets()
{
    static const std::vector<MoeModel> models = makeModels();
    return models;
}

const std::vector<GpuSpec>& gpuPresets()
{
    static const std::vector<GpuSpec> gpus = makeGpus();
    return gpus;
}

const MoeModel* findModel(const std::string& name)
{
    const auto key = squash(name);
    for (const auto& m : modelPresets())
        if (squash(m.name) == key)
            return &m;
    return nullptr;
}

const GpuSpec* findGpu(const std::string& name)
{
    const auto key = squash(name);
    for (const auto& g : gpuPresets())
        if (squash(g.name) == key || (key == "h100" && g.name == "H100 SXM")
            || (key == "a100" && g.name == "A100 80GB"))
            return &g;
    return nullptr;
}

Result<MoeModel> loadModelJson(const std::string& path)
{
    MappedFile f;
    std::string why;
    if (!f.open(path, why))
        return Result<MoeModel>::failure(Diagnostic::error(path, 0, why));
    return parseModelJson(f.text(), path);
}

std::string modelJsonText(const MoeModel& m)
{
    nlohmann::ordered_json j;
    j["name"] = m.name;
    j["layers"] = m.layers;
    j["moe_layers"] = m.moeLayers;
    j["hidden_size"] = m.hidden;
    j["expert_ffn"] = m.expertFfn;
    j["experts"] = m.experts;
    j["top_k"] = m.topK;
    j["shared_experts"] = m.sharedExperts;
    j["shared_ffn"] = m.sharedFfn;
    j["dense_params"] = m.denseParams;
    j["kv_per_token"] = m.kvPerToken;
    j["dtype_bytes"] = m.dtypeBytes;
    j["kv_bytes"] = m.kvBytes;
    return jsonText(j, 2) + "\n";
}

Result<MoeModel> parseModelJson(std::string_view text, const std::string& path)
{
    using R = Result<MoeModel>;
    auto parsed = parseJsonText(text, path);
    if (!parsed.ok())
        return R::failure(*parsed.error);
    const nlohmann::json& j = *parsed.value;
    if (!j.is_object())
        return R::failure(Diagnostic::error(path, 0, "expected a JSON object describing the model"));
    R out;
    MoeModel m;
    if (j.contains("base")) {
        const auto* preset = j["base"].is_string() ? findModel(j["base"].get<std::string>()) : nullptr;
        if (!preset)
            return R::failure(Diagnostic::error(path, 0, "\"base\" names no built-in model (see --list-models)"));
        m = *preset;
    }
    // The first of the keys present, as a number; a key present with a non-number value is an error.
    std::string bad;
    auto number = [&](std::initializer_list<const char*> keys, auto& into) {
        for (const char* k : keys) {
            if (!j.contains(k))
                continue;
            const auto& v = j[k];
            if (!v.is_number() || !std::isfinite(v.get<double>())) {
                if (bad.empty())
                    bad = std::string("\"") + k + "\" must be a number";
                return false;
            }
            using Into = std::remove_reference_t<decltype(into)>;
            // Whole-number fields hold sizes and counts: beyond a billion none is real, and casting
            // a larger double would be undefined.
            if (std::is_integral_v<Into> && !(std::abs(v.get<double>()) <= 1e9)) {
                if (bad.empty())
                    bad = std::string("\"") + k + "\" is out of range";
                return false;
            }
            into = static_cast<Into>(v.get<double>());
            return true;
        }
        return false;
    };
    const bool hf = j.contains("num_hidden_layers") || j.contains("architectures");
    if (j.contains("name") && j["name"].is_string())
        m.name = j["name"].get<std::string>();
    else if (hf && j.contains("_name_or_path") && j["_name_or_path"].is_string())
        m.name = j["_name_or_path"].get<std::string>();
    else if (m.name.empty())
        m.name = path;
    number({ "layers", "num_hidden_layers" }, m.layers);
    number({ "hidden_size" }, m.hidden);
    const bool ffn = number({ "expert_ffn", "moe_intermediate_size", "intermediate_size" }, m.expertFfn);
    number({ "experts", "num_local_experts", "num_experts", "n_routed_experts" }, m.experts);
    number({ "top_k", "num_experts_per_tok" }, m.topK);
    number({ "shared_experts", "n_shared_experts" }, m.sharedExperts);
    if (!number({ "shared_ffn" }, m.sharedFfn)) {
        if (number({ "shared_expert_intermediate_size" }, m.sharedFfn) && m.sharedExperts == 0)
            m.sharedExperts = 1;
        else if (m.sharedExperts > 0 && m.sharedFfn == 0)
            m.sharedFfn = m.expertFfn;
    }
    int firstDense = 0;
    if (!number({ "moe_layers" }, m.moeLayers)) {
        number({ "first_k_dense_replace" }, firstDense);
        m.moeLayers = m.layers - firstDense;
    }
    const bool dense = number({ "dense_params" }, m.denseParams);
    const bool kv = number({ "kv_per_token" }, m.kvPerToken);
    if (!number({ "dtype_bytes" }, m.dtypeBytes)) {
        for (const char* k : { "torch_dtype", "dtype" })
            if (j.contains(k) && j[k].is_string())
                m.dtypeBytes = dtypeBytesOf(j[k].get<std::string>());
        if (j.contains("quantization_config") && j["quantization_config"].is_object()) {
            const auto& q = j["quantization_config"];
            if (q.contains("quant_method") && q["quant_method"].is_string()
                && q["quant_method"].get<std::string>() == "fp8")
                m.dtypeBytes = 1.0;
            else if (q.contains("bits") && q["bits"].is_number())
                m.dtypeBytes = q["bits"].get<double>() / 8.0;
        }
    }
    number({ "kv_bytes" }, m.kvBytes);
    if (!bad.empty())
        return R::failure(Diagnostic::error(path, 0, bad));
    if (!ffn && m.expertFfn == 0)
        return R::failure(
            Diagnostic::error(path, 0, "no expert FFN size (\"expert_ffn\" or \"moe_intermediate_size\")"));
    if (hf && !dense) {
        // Grouped-query attention from the config's heads, plus the LM head and the dense blocks.
        double heads = 0, kvHeads = 0, headDim = 0, vocab = 0, denseFfn = 0;
        number({ "num_attention_heads" }, heads);
        kvHeads = heads;
        number({ "num_key_value_heads" }, kvHeads);
        if (!number({ "head_dim" }, headDim) && heads > 0)
            headDim = static_cast<double>(m.hidden) / heads;
        number({ "vocab_size" }, vocab);
        number({ "intermediate_size" }, denseFfn);
        std::string missing;
        if (heads <= 0)
            missing += "\"num_attention_heads\" ";
        if (vocab <= 0)
            missing += "\"vocab_size\" ";
        if (!missing.empty())
            out.warnings.push_back(Diagnostic::warning(path, 0,
                "the config has no " + missing
                    + "so the attention, vocabulary and KV-cache bytes count as nothing: the expert share of the "
                      "bytes read is overstated; give \"dense_params\" and \"kv_per_token\""));
        const auto h = static_cast<double>(m.hidden);
        double attention = gqaParams(h, heads, kvHeads, headDim);
        double latent = 0;
        if (number({ "kv_lora_rank" }, latent)) {
            // Multi-head latent attention: low-rank q (when q_lora_rank is set) and kv projections.
            double qLora = 0, nope = 0, rope = 0, vDim = 0;
            number({ "q_lora_rank" }, qLora);
            number({ "qk_nope_head_dim" }, nope);
            number({ "qk_rope_head_dim" }, rope);
            number({ "v_head_dim" }, vDim);
            const double q = qLora > 0 ? h * qLora + qLora * heads * (nope + rope) : h * heads * (nope + rope);
            attention = q + h * (latent + rope) + latent * heads * (nope + vDim) + heads * vDim * h;
        }
        m.denseParams
            = m.layers * attention + vocab * h + firstDense * 3.0 * h * denseFfn + m.moeLayers * h * m.experts;
        out.warnings.push_back(Diagnostic::warning(path, 0,
            "dense weights estimated from the attention projections, the vocabulary and the dense blocks; give "
            "\"dense_params\" to set them"));
        if (!kv) {
            double rope = 0;
            number({ "qk_rope_head_dim" }, rope);
            m.kvPerToken = latent > 0 ? latent + rope : 2.0 * kvHeads * headDim;
        }
    }
    if (!hf && (!dense || !kv) && !j.contains("base"))
        out.warnings.push_back(Diagnostic::warning(path, 0,
            std::string("no ") + (!dense ? "\"dense_params\"" : "") + (!dense && !kv ? " or " : "")
                + (!kv ? "\"kv_per_token\"" : "")
                + ": counted as zero, so only the experts' bytes are read per step and the gain is overstated"));
    if (auto problem = m.check(); !problem.empty())
        return R::failure(Diagnostic::error(path, 0, problem));
    out.value = std::move(m);
    return out;
}

} // namespace deltascope::moe
