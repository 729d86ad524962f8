// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/SynthTrace.h"

#include "moe/OlmoeCounts.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace deltascope::moe {

namespace {

// splitmix64: a tiny counter-free generator with the same output everywhere.
struct Rng {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    double normal()
    {
        // Box-Muller, one value per call (the second is dropped for simplicity of state).
        const double u1 = uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
};

} // namespace

Trace makeSyntheticTrace(const SynthOptions& o)
{
    Rng rng { o.seed * 0x2545F4914F6CDD1DULL + 17 };
    const auto L = static_cast<std::size_t>(o.layers);
    const auto N = static_cast<std::size_t>(o.experts);

    // log popularity per layer
    std::vector<double> logPop(L * N);
    for (std::size_t l = 0; l < L; ++l) {
        if (o.popularity && o.popularity->experts == o.experts) {
            const auto cl = static_cast<std::int64_t>(l) % o.popularity->layers;
            double total = 0;
            for (std::size_t e = 0; e < N; ++e)
                total += o.popularity->at(cl, static_cast<std::int64_t>(e)) + 1.0;
            for (std::size_t e = 0; e < N; ++e)
                logPop[l * N + e] = std::log((o.popularity->at(cl, static_cast<std::int64_t>(e)) + 1.0) / total);
        } else if (o.popularity) {
            // Another number of experts: resample the layer's popularity profile by rank (sorted
            // shares, linearly interpolated), then deal the shares to experts in a seeded order.
            const auto cl = static_cast<std::int64_t>(l) % o.popularity->layers;
            const auto M = static_cast<std::size_t>(o.popularity->experts);
            std::vector<double> share(M);
            for (std::size_t e = 0; e < M; ++e)
                share[e] = o.popularity->at(cl, static_cast<std::int64_t>(e)) + 1.0;
            std::sort(share.begin(), share.end(), std::greater<double>());
            std::vector<std::size_t> slot(N);
            for (std::size_t e = 0; e < N; ++e)
                slot[e] = e;
            for (std::size_t e = N; e > 1; --e)
                std::swap(slot[e - 1], slot[static_cast<std::size_t>(rng.next() % e)]);
            double total = 0;
            std::vector<double> resampled(N);
            for (std::size_t r = 0; r < N; ++r) {
                const double x
                    = N > 1 ? static_cast<double>(r) * static_cast<double>(M - 1) / static_cast<double>(N - 1) : 0.0;
                const auto i = static_cast<std::size_t>(x);
                const double f = x - static_cast<double>(i);
                resampled[r] = i + 1 < M ? share[i] * (1 - f) + share[i + 1] * f : share[M - 1];
                total += resampled[r];
            }
            for (std::size_t r = 0; r < N; ++r)
                logPop[l * N + slot[r]] = std::log(resampled[r] / total);
        } else {
            // Zipf-like: a random permutation of ranks with p ~ 1 / (rank + 2)^0.8.
            std::vector<std::size_t> rank(N);
            for (std::size_t e = 0; e < N; ++e)
                rank[e] = e;
            for (std::size_t e = N; e > 1; --e)
                std::swap(rank[e - 1], rank[static_cast<std::size_t>(rng.next() % e)]);
            for (std::size_t e = 0; e < N; ++e)
                logPop[l * N + e] = -0.8 * std::log(static_cast<double>(rank[e]) + 2.0);
        }
    }

    std::vector<std::int64_t> lengths(static_cast<std::size_t>(o.requests));
    std::int64_t T = 0;
    for (auto& len : lengths) {
        const std::int64_t lo = std::max<std::int64_t>(1, o.tokensPerRequest / 2);
        const std::int64_t hi = std::max<std::int64_t>(lo, o.tokensPerRequest * 3 / 2);
        len = lo + static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(hi - lo + 1));
        T += len;
    }
    std::vector<float> scores(static_cast<std::size_t>(T) * L * N);
    std::vector<std::int32_t> request(static_cast<std::size_t>(T));
    std::vector<double> topic(L * N);
    std::vector<double> logits(N);
    std::size_t row = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
        for (auto& z : topic)
            z = rng.normal();
        for (std::int64_t i = 0; i < lengths[r]; ++i, ++row) {
            request[row] = static_cast<std::int32_t>(r);
            for (std::size_t l = 0; l < L; ++l) {
                double mx = -1e300;
                for (std::size_t e = 0; e < N; ++e) {
                    logits[e] = logPop[l * N + e] + o.topic * topic[l * N + e] + o.noise * rng.normal();
                    mx = std::max(mx, logits[e]);
                }
                double sum = 0;
                for (std::size_t e = 0; e < N; ++e) {
                    logits[e] = std::exp(logits[e] - mx);
                    sum += logits[e];
                }
                float* out = scores.data() + (row * L + l) * N;
                for (std::size_t e = 0; e < N; ++e)
                    out[e] = static_cast<float>(logits[e] / sum);
            }
        }
    }
    Trace tr = makeOwnedTrace(T, o.layers, o.experts, o.topK, false, std::move(scores), {}, std::move(request));
    tr.model = "synthetic";
    tr.normTopkProb = o.normTopkProb;
    return tr;
}

const ExpertCounts& builtinOlmoeCounts()
{
    static const ExpertCounts counts = [] {
        auto r = parseExpertCounts(kOlmoeC4Counts, "built-in OLMoE counts");
        return r.ok() ? *r.value : ExpertCounts {};
    }();
    return counts;
}

} // namespace deltascope::moe
