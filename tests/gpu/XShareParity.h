// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The XShare parity cases shared by the GPU test (CUDA kernels) and the emulation test (the same
// slice code run sequentially on the host): random traces of many shapes (N 8..512, k 1..16,
// slices of 1..1024 tokens, every budget), ties, zeros, sparse traces, F16/BF16 scores, logits and
// sigmoid scoring, every policy, placements with copies, maps and per-slice records, compared with
// the CPU backend: counts and sets exactly, sums to 1e-6 relative.

#include "common/Diagnostic.h"
#include "moe/Batching.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"
#include "moe/XShareRun.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace parity {

using namespace deltascope;
using Runner
    = std::function<Result<moe::XShareResult>(const moe::Trace&, const moe::Batches&, const moe::XShareOptions&)>;

enum class Scores { Continuous, Ties, MostlyZero };

inline std::vector<float> probabilities(std::size_t rows, int n, Scores kind, std::mt19937_64& rng)
{
    std::vector<float> g(rows * static_cast<std::size_t>(n));
    std::exponential_distribution<float> ex(1.0f);
    std::uniform_int_distribution<int> level(0, 3);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (std::size_t r = 0; r < rows; ++r) {
        float* row = g.data() + r * static_cast<std::size_t>(n);
        float sum = 0;
        for (int e = 0; e < n; ++e) {
            float v = kind == Scores::Ties ? static_cast<float>(level(rng)) : ex(rng);
            if (kind == Scores::MostlyZero && u(rng) < 0.8f)
                v = 0.0f;
            row[e] = v;
            sum += v;
        }
        if (kind != Scores::Ties && sum > 0)
            for (int e = 0; e < n; ++e)
                row[e] /= sum;
    }
    return g;
}

struct TraceSpec {
    int tokens;
    int layers;
    int experts;
    int k;
    int requests;
    Scores kind = Scores::Continuous;
    bool sparse = false;
    moe::ScoreType type = moe::ScoreType::F32;
    moe::ScoreKind scoring = moe::ScoreKind::Probs;
};

inline moe::Trace makeTrace(const TraceSpec& s, std::mt19937_64& rng)
{
    const auto rows = static_cast<std::size_t>(s.tokens) * static_cast<std::size_t>(s.layers);
    std::vector<std::int32_t> req(static_cast<std::size_t>(s.tokens));
    for (int t = 0; t < s.tokens; ++t)
        req[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(static_cast<long>(t) * s.requests / s.tokens);
    moe::Trace tr;
    if (!s.sparse) {
        auto g = probabilities(rows, s.experts, s.kind, rng);
        if (s.scoring != moe::ScoreKind::Probs) {
            std::normal_distribution<float> nd(0.0f, 2.0f);
            for (auto& v : g)
                v = s.kind == Scores::Ties ? std::round(nd(rng)) : nd(rng);
        }
        tr = moe::makeOwnedTrace(s.tokens, s.layers, s.experts, s.k, false, std::move(g), {}, req);
    } else {
        // k recorded experts per row; some rows short (-1), some ids repeated (the later wins).
        std::vector<float> g(rows * static_cast<std::size_t>(s.k));
        std::vector<std::int32_t> ids(g.size());
        std::uniform_int_distribution<int> pick(0, s.experts - 1);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (std::size_t i = 0; i < g.size(); ++i) {
            ids[i] = u(rng) < 0.05f ? -1 : pick(rng);
            g[i] = s.kind == Scores::Ties ? 0.25f * static_cast<float>(pick(rng) % 4) : u(rng);
        }
        tr = moe::makeOwnedTrace(s.tokens, s.layers, s.experts, s.k, true, std::move(g), std::move(ids), req);
    }
    tr.scoreKind = s.scoring;
    if (s.type != moe::ScoreType::F32) {
        const auto* f = static_cast<const float*>(tr.scores);
        const std::size_t count = tr.ownedScores->size() / sizeof(float);
        auto bytes = std::make_shared<std::vector<std::uint8_t>>(count * 2);
        auto* h = reinterpret_cast<std::uint16_t*>(bytes->data());
        for (std::size_t i = 0; i < count; ++i)
            h[i] = s.type == moe::ScoreType::F16 ? moe::floatToF16(f[i]) : moe::floatToBf16(f[i]);
        tr.scoreType = s.type;
        tr.ownedScores = bytes;
        tr.scores = bytes->data();
    }
    return tr;
}

inline bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-6 * std::max(1.0, std::max(std::abs(a), std::abs(b)));
}

/// Compares two results; prints the first difference. True when they agree.
inline bool same(const moe::XShareResult& a, const moe::XShareResult& b, const std::string& where)
{
    auto bad = [&](const std::string& what) {
        std::printf("FAIL %s: %s\n", where.c_str(), what.c_str());
        return false;
    };
    if (a.results.size() != b.results.size() || a.sliceCount != b.sliceCount)
        return bad("result shape");
    for (std::size_t i = 0; i < a.results.size(); ++i) {
        const auto& x = a.results[i];
        const auto& y = b.results[i];
        const std::string m = "budget " + std::to_string(x.budget) + ": ";
        if (x.activatedBase != y.activatedBase || x.activated != y.activated)
            return bad(m + "activated " + std::to_string(x.activated) + " vs " + std::to_string(y.activated)
                + " (baseline " + std::to_string(x.activatedBase) + " vs " + std::to_string(y.activatedBase) + ")");
        if (x.topkOverlap != y.topkOverlap || x.unchangedTokens != y.unchangedTokens)
            return bad(m + "overlap or unchanged tokens");
        if (x.peakDeviceLoadBase != y.peakDeviceLoadBase || x.peakDeviceLoad != y.peakDeviceLoad
            || x.peakDeviceTokensBase != y.peakDeviceTokensBase || x.peakDeviceTokens != y.peakDeviceTokens)
            return bad(m + "device peaks");
        if (!near(x.massRetained, y.massRetained))
            return bad(m + "mass " + std::to_string(x.massRetained) + " vs " + std::to_string(y.massRetained));
        if (x.perLayer.size() != y.perLayer.size())
            return bad(m + "layers");
        for (std::size_t l = 0; l < x.perLayer.size(); ++l)
            if (x.perLayer[l].activatedMean != y.perLayer[l].activatedMean
                || x.perLayer[l].activatedBaseMean != y.perLayer[l].activatedBaseMean
                || !near(x.perLayer[l].massRetained, y.perLayer[l].massRetained))
                return bad(m + "layer " + std::to_string(l));
    }
    if (a.maps.base != b.maps.base || a.maps.policy != b.maps.policy || a.maps.deviceBase != b.maps.deviceBase
        || a.maps.device != b.maps.device || a.maps.deviceTokensBase != b.maps.deviceTokensBase
        || a.maps.deviceTokens != b.maps.deviceTokens)
        return bad("activation maps");
    if (a.slices.size() != b.slices.size())
        return bad("slice records");
    for (std::size_t i = 0; i < a.slices.size(); ++i) {
        const auto& x = a.slices[i];
        const auto& y = b.slices[i];
        if (x.layer != y.layer || x.batch != y.batch || x.tokens != y.tokens || x.activated != y.activated
            || x.activatedBase != y.activatedBase || x.selected != y.selected || !near(x.massRetained, y.massRetained))
            return bad("slice record " + std::to_string(i) + " (layer " + std::to_string(x.layer) + ", batch "
                + std::to_string(x.batch) + ")");
    }
    return true;
}

struct Tally {
    int cases = 0;
    int failures = 0;
};

/// One trace, many configurations, both runners.
inline void compareOn(const moe::Trace& trace, const std::string& name, const Runner& run, Tally& tally,
    std::mt19937_64& rng, bool withSteps = false)
{
    const int N = static_cast<int>(trace.experts);
    const int k = static_cast<int>(trace.topK);
    std::uniform_int_distribution<int> budget(k, N);
    std::vector<moe::BatchingOptions> batchings;
    for (const int b : { 1, 7, 64 }) {
        moe::BatchingOptions o;
        o.replay = true;
        o.batchSize = b;
        o.gamma = b == 7 ? 2 : 0;
        batchings.push_back(o);
    }
    if (withSteps)
        batchings.push_back(moe::BatchingOptions {});
    for (const auto& bo : batchings) {
        const auto batches = moe::makeBatches(trace, bo);
        if (!batches.ok()) {
            std::printf("FAIL %s: batching: %s\n", name.c_str(), batches.error->message.c_str());
            ++tally.failures;
            continue;
        }
        for (const auto policy :
            { moe::Policy::TopK, moe::Policy::Batch, moe::Policy::ExpertParallel, moe::Policy::Speculative }) {
            for (int variant = 0; variant < 3; ++variant) {
                moe::XShareOptions o;
                o.policy.policy = policy;
                o.threads = 1;
                o.perSlice = true;
                if (variant == 0) { // every budget: the sweep
                    o.budgets.resize(static_cast<std::size_t>(N - k + 1));
                    std::iota(o.budgets.begin(), o.budgets.end(), k);
                } else if (variant == 1) { // one budget, with maps
                    o.budgets = { budget(rng) };
                    o.maps = true;
                } else { // a few budgets, other settings
                    o.budgets = { budget(rng), k, N, budget(rng) };
                    o.policy.warmup = static_cast<int>(rng() % 3) + (rng() % 4 == 0 ? k : 0);
                    o.policy.requestExperts = static_cast<int>(rng() % 3);
                }
                o.policy.devices
                    = policy == moe::Policy::ExpertParallel || variant == 1 ? 1 + static_cast<int>(rng() % 5) : 1;
                if (variant == 2 && o.policy.devices > 1 && N >= 8) {
                    // A shuffled placement with a few copies.
                    o.policy.placement.resize(static_cast<std::size_t>(N));
                    for (int e = 0; e < N; ++e)
                        o.policy.placement[static_cast<std::size_t>(e)] = e % o.policy.devices;
                    std::shuffle(o.policy.placement.begin(), o.policy.placement.end(), rng);
                    o.policy.replicas.assign(static_cast<std::size_t>(N), {});
                    for (int c = 0; c < 3; ++c) {
                        const auto e = static_cast<std::size_t>(rng() % static_cast<unsigned>(N));
                        const int d = (o.policy.placement[e] + 1) % o.policy.devices;
                        if (o.policy.replicas[e].empty())
                            o.policy.replicas[e].push_back(d);
                    }
                }
                const auto cpu = moe::runXShare(trace, *batches.value, o);
                const auto other = run(trace, *batches.value, o);
                ++tally.cases;
                const std::string where = name + " B=" + std::to_string(bo.replay ? bo.batchSize : -1)
                    + " gamma=" + std::to_string(bo.gamma) + " policy=" + moe::toString(policy)
                    + " variant=" + std::to_string(variant);
                if (cpu.ok() != other.ok()) {
                    std::printf("FAIL %s: cpu %s, other %s\n", where.c_str(),
                        cpu.ok() ? "ok" : cpu.error->message.c_str(), other.ok() ? "ok" : other.error->message.c_str());
                    ++tally.failures;
                    continue;
                }
                if (cpu.ok() && !same(*cpu.value, *other.value, where))
                    ++tally.failures;
            }
        }
    }
}

/// Every case; `large` adds the bigger shapes (N = 512, slices of 1024 tokens).
inline Tally runAll(const Runner& run, bool large)
{
    Tally tally;
    std::mt19937_64 rng(2026);
    std::vector<TraceSpec> specs {
        { 40, 2, 8, 1, 10 },
        { 50, 2, 8, 2, 5, Scores::Ties },
        { 64, 2, 16, 4, 16, Scores::MostlyZero },
        { 70, 1, 60, 8, 12 },
        { 80, 2, 64, 8, 20, Scores::Ties },
        { 66, 2, 128, 16, 11 },
        { 90, 2, 32, 4, 9, Scores::Continuous, true },
        { 90, 2, 40, 6, 30, Scores::Ties, true },
        { 48, 2, 32, 4, 8, Scores::Continuous, false, moe::ScoreType::F16 },
        { 48, 2, 32, 4, 8, Scores::Ties, false, moe::ScoreType::BF16 },
        { 48, 2, 24, 3, 6, Scores::Continuous, false, moe::ScoreType::F32, moe::ScoreKind::Logits },
        { 48, 2, 24, 3, 6, Scores::Continuous, false, moe::ScoreType::BF16, moe::ScoreKind::Sigmoid },
        { 60, 2, 20, 2, 6, Scores::Continuous, true, moe::ScoreType::F32, moe::ScoreKind::Logits },
    };
    if (large) {
        specs.push_back({ 1100, 1, 512, 8, 40 });
        specs.push_back({ 300, 2, 256, 16, 30, Scores::Ties });
    }
    for (const auto& s : specs) {
        const auto trace = makeTrace(s, rng);
        const std::string name = "N=" + std::to_string(s.experts) + " k=" + std::to_string(s.k)
            + (s.sparse ? " sparse" : " dense") + " " + moe::toString(s.type) + " " + moe::toString(s.scoring)
            + (s.kind == Scores::Ties ? " ties" : (s.kind == Scores::MostlyZero ? " zeros" : ""));
        compareOn(trace, name, run, tally, rng);
    }
    if (large) {
        // One batch of 1024 tokens: a slice of the largest size.
        TraceSpec s { 1024, 1, 128, 8, 1024 };
        auto trace = makeTrace(s, rng);
        trace.stepId.assign(1024, 0);
        moe::Batches one;
        one.mode = "recorded";
        one.tokens.emplace_back(1024);
        std::iota(one.tokens[0].begin(), one.tokens[0].end(), 0);
        for (const auto policy : { moe::Policy::Batch, moe::Policy::Speculative, moe::Policy::ExpertParallel }) {
            moe::XShareOptions o;
            o.policy.policy = policy;
            o.policy.devices = 4;
            o.perSlice = true;
            o.threads = 1;
            o.budgets = { 8, 9, 40, 128 };
            const auto cpu = moe::runXShare(trace, one, o);
            const auto other = run(trace, one, o);
            ++tally.cases;
            if (!cpu.ok() || !other.ok() || !same(*cpu.value, *other.value, "one slice of 1024 tokens"))
                ++tally.failures;
        }
    }
    // A synthetic trace calibrated on the built-in OLMoE counts, with recorded steps.
    moe::SynthOptions so;
    so.requests = 12;
    so.tokensPerRequest = 24;
    so.layers = 3;
    so.experts = 64;
    so.topK = 8;
    so.popularity = &moe::builtinOlmoeCounts();
    auto synth = moe::makeSyntheticTrace(so);
    compareOn(synth, "synthetic OLMoE-calibrated", run, tally, rng, synth.hasSteps());

    // Real traces named by DELTASCOPE_PARITY_TRACES (paths separated by ':'), such as the Mixtral
    // capture in ../shared: any format the program reads.
    if (const char* list = std::getenv("DELTASCOPE_PARITY_TRACES")) {
        std::string paths(list);
        for (std::size_t at = 0; at <= paths.size();) {
            const auto end = std::min(paths.find(':', at), paths.size());
            const std::string path = paths.substr(at, end - at);
            at = end + 1;
            if (path.empty())
                continue;
            auto t = moe::openTrace(path, 0, {});
            if (!t.ok()) {
                std::printf("FAIL %s: %s\n", path.c_str(), t.error->toString().c_str());
                ++tally.failures;
                continue;
            }
            compareOn(*t.value, path, run, tally, rng, t.value->hasSteps());
        }
    }
    return tally;
}

/// A NaN, a negative and an infinite score: the runner must refuse the trace with the CPU
/// backend's message (token, layer, expert). Returns the number of cases that differ.
inline int badScoresReported(const Runner& run)
{
    int failures = 0;
    std::mt19937_64 rng(9);
    for (const float bad :
        { std::numeric_limits<float>::quiet_NaN(), -0.25f, std::numeric_limits<float>::infinity() }) {
        auto trace = makeTrace({ 40, 2, 32, 4, 8 }, rng);
        auto* scores = static_cast<float*>(const_cast<void*>(trace.scores));
        scores[(17 * 2 + 1) * 32 + 9] = bad;
        moe::BatchingOptions bo;
        bo.replay = true;
        bo.batchSize = 3;
        const auto batches = moe::makeBatches(trace, bo);
        moe::XShareOptions o;
        o.budgets = { 6 };
        const auto other = run(trace, *batches.value, o);
        const auto cpu = moe::runXShare(trace, *batches.value, o);
        if (other.ok() || cpu.ok() || other.error->message != cpu.error->message) {
            std::printf("FAIL: bad score report: '%s', cpu '%s'\n", other.ok() ? "ok" : other.error->message.c_str(),
                cpu.ok() ? "ok" : cpu.error->message.c_str());
            ++failures;
        } else {
            std::printf("ok: %s\n", other.error->message.c_str());
        }
    }
    return failures;
}

} // namespace parity
