// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/VllmPasses.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <utility>

namespace deltascope::moe::vllm {

UniformPasses findUniformPasses(
    const std::vector<Route>& routes, const std::vector<std::int32_t>& ids, const std::vector<float>& weights, int k)
{
    UniformPasses out;
    const auto K = static_cast<std::size_t>(k);
    // Route i's k ids and weights equal route j's.
    auto same = [&](std::size_t i, std::size_t j) {
        return std::equal(ids.data() + i * K, ids.data() + (i + 1) * K, ids.data() + j * K)
            && std::equal(weights.data() + i * K, weights.data() + (i + 1) * K, weights.data() + j * K);
    };
    std::size_t i = 0;
    while (i < routes.size()) {
        const auto pass = routes[i].pass;
        std::vector<std::pair<std::int64_t, std::size_t>> firstOfLayer; // (layer, its first route)
        bool uniform = true;
        std::int64_t count = 0;
        for (; i < routes.size() && routes[i].pass == pass; ++i) {
            ++count;
            const auto f = std::find_if(
                firstOfLayer.begin(), firstOfLayer.end(), [&](const auto& p) { return p.first == routes[i].layer; });
            if (f == firstOfLayer.end())
                firstOfLayer.emplace_back(routes[i].layer, i);
            else
                uniform = uniform && same(f->second, i);
        }
        const auto tokens = count / static_cast<std::int64_t>(firstOfLayer.size());
        out.total += tokens;
        if (uniform && tokens > 1) {
            out.passes.push_back(pass);
            out.tokens.push_back(tokens);
        }
    }
    return out;
}

void dropPasses(std::vector<Route>& routes, std::vector<std::int32_t>& ids, std::vector<float>& weights, int k,
    const std::vector<std::int64_t>& passes)
{
    const auto K = static_cast<std::size_t>(k);
    std::unordered_map<std::int32_t, std::int32_t> renumber;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < routes.size(); ++i) {
        Route r = routes[i];
        if (std::binary_search(passes.begin(), passes.end(), r.pass))
            continue;
        r.request = renumber.emplace(r.request, static_cast<std::int32_t>(renumber.size())).first->second;
        std::copy_n(ids.data() + i * K, K, ids.data() + kept * K);
        std::copy_n(weights.data() + i * K, K, weights.data() + kept * K);
        routes[kept++] = r;
    }
    routes.resize(kept);
    ids.resize(kept * K);
    weights.resize(kept * K);
}

Diagnostic uniformPassesNote(const std::string& path, const UniformPasses& u, bool dropped)
{
    const std::size_t n = u.passes.size();
    std::string list;
    for (std::size_t i = 0; i < n && i < 5; ++i)
        list += (i ? ", " : "") + std::to_string(u.passes[i]) + " (" + std::to_string(u.tokens[i]) + " tokens)";
    if (n > 5)
        list += " and " + std::to_string(n - 5) + " more";
    const std::int64_t tokens = std::accumulate(u.tokens.begin(), u.tokens.end(), std::int64_t { 0 });
    std::string text = std::string(n == 1 ? "pass " : "passes ") + list + (n == 1 ? " routes" : " route")
        + " every token to the same experts with the same weights: most likely vLLM's profiling or warm-up runs on "
          "dummy input. ";
    const std::string share = std::to_string(tokens) + " of the log's " + std::to_string(u.total) + " tokens";
    if (dropped)
        text += (n == 1 ? "It is" : "They are") + std::string(" left out (") + share
            + "); keep warm-up passes to count them as batches";
    else if (tokens == u.total)
        text += "Every pass of the log does so, so they are kept";
    else
        text += (n == 1 ? "It counts" : "They count") + std::string(" as batches like the others (") + share + ")";
    return Diagnostic::note(path, 0, text);
}

} // namespace deltascope::moe::vllm
