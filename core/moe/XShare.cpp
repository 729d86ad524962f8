#include "moe/XShare.h"

#include <algorithm>
#include <cstring>
#include <functional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace deltascope::moe {

namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

// a is a better expert than b for a token: higher score, ties to the lower id.
inline bool better(float sa, int a, float sb, int b)
{
    return sa > sb || (sa == sb && a < b);
}

// The k best experts of a row among those allowed (all when allowed is null), best first.
void topOf(const float* row, int n, int k, const std::uint8_t* allowed, std::vector<int>& out)
{
    out.clear();
    for (int e = 0; e < n; ++e) {
        const float s = row[e];
        if (s == kUnknown || (allowed && !allowed[e]))
            continue;
        if (static_cast<int>(out.size()) < k) {
            out.push_back(e);
            for (std::size_t i = out.size() - 1; i > 0 && better(row[out[i]], out[i], row[out[i - 1]], out[i - 1]); --i)
                std::swap(out[i], out[i - 1]);
        } else if (better(s, e, row[out.back()], out.back())) {
            out.back() = e;
            for (std::size_t i = out.size() - 1; i > 0 && better(row[out[i]], out[i], row[out[i - 1]], out[i - 1]); --i)
                std::swap(out[i], out[i - 1]);
        }
    }
}

// Maxima of the blocks of 8 consecutive experts (n a multiple of 8).
void blockMaxima(const float* row, int n, float* out)
{
#if defined(__SSE2__)
    for (int b = 0; b < n / 8; ++b) {
        const __m128 m = _mm_max_ps(_mm_loadu_ps(row + 8 * b), _mm_loadu_ps(row + 8 * b + 4));
        const __m128 m2 = _mm_max_ps(m, _mm_movehl_ps(m, m));
        const __m128 m1 = _mm_max_ss(m2, _mm_shuffle_ps(m2, m2, 1));
        out[b] = _mm_cvtss_f32(m1);
    }
#else
    for (int b = 0; b < n / 8; ++b) {
        float m = row[8 * b];
        for (int j = 1; j < 8; ++j)
            m = std::max(m, row[8 * b + j]);
        out[b] = m;
    }
#endif
}

// The hot-path version: the k best of a row, best first; returns how many. The k-th largest of the
// maxima of blocks of 8 experts is a lower bound of the row's k-th largest score (those k maxima
// belong to k distinct experts), so only the few blocks whose maximum reaches it are scanned.
int topOfFast(const float* row, int n, int k, int* ids, std::vector<float>& maxima, std::vector<int>& cand)
{
    const int blocks = n / 8;
    cand.clear();
    float threshold = kUnknown;
    if (blocks >= k && n % 8 == 0) {
        maxima.resize(static_cast<std::size_t>(blocks + k));
        float* m = maxima.data();
        blockMaxima(row, n, m);
        // The k-th largest block maximum, by insertion into a short descending list.
        float* best = m + blocks;
        int held = 0;
        for (int b = 0; b < blocks; ++b) {
            const float v = m[b];
            if (held == k && !(v > best[k - 1]))
                continue;
            int i = held < k ? held++ : k - 1;
            while (i > 0 && best[i - 1] < v) {
                best[i] = best[i - 1];
                --i;
            }
            best[i] = v;
        }
        threshold = best[k - 1];
    }
    if (threshold != kUnknown) {
        // Only blocks whose maximum reaches the bound can hold candidates.
        const float* m = maxima.data();
        for (int b = 0; b < blocks; ++b) {
            if (!(m[b] >= threshold))
                continue;
#if defined(__SSE2__)
            const __m128 t = _mm_set1_ps(threshold);
            unsigned mask = static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(row + 8 * b), t)))
                | static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(row + 8 * b + 4), t))) << 4;
            while (mask) {
                cand.push_back(8 * b + __builtin_ctz(mask));
                mask &= mask - 1;
            }
#else
            for (int e = 8 * b; e < 8 * b + 8; ++e)
                if (row[e] >= threshold)
                    cand.push_back(e);
#endif
        }
    } else {
        for (int e = 0; e < n; ++e)
            if (row[e] != kUnknown)
                cand.push_back(e);
    }
    // Insertion into the best-first list of keys (score bits above the inverted id, ordered like
    // better() for the non-negative scores of a slice): there are only a few candidates.
    std::uint64_t keys[64];
    const int cap = std::min(k, 64);
    int count = 0;
    for (const int e : cand) {
        std::uint32_t bits;
        std::memcpy(&bits, row + e, sizeof bits);
        const std::uint64_t key = (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
        int i;
        if (count < cap) {
            i = count++;
        } else {
            if (key <= keys[cap - 1])
                continue;
            i = cap - 1;
        }
        while (i > 0 && keys[i - 1] < key) {
            keys[i] = keys[i - 1];
            --i;
        }
        keys[i] = key;
    }
    for (int i = 0; i < count; ++i)
        ids[i] = static_cast<int>(~static_cast<std::uint32_t>(keys[i]));
    return count;
}

// Sorts experts by decreasing utility, ties to the lower id, through one integer key per expert:
// the utility's bits made order-preserving, then the id.
std::vector<int> byUtility(std::vector<int> experts, const std::vector<double>& u)
{
    struct Key {
        std::uint64_t value;
        int id;
    };
    std::vector<Key> keys(experts.size());
    for (std::size_t i = 0; i < experts.size(); ++i) {
        const double v = u[static_cast<std::size_t>(experts[i])];
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        // Map doubles to unsigned integers whose order is the doubles' order.
        bits = (bits >> 63) ? ~bits : (bits | 0x8000000000000000ULL);
        keys[i] = { bits, experts[i] };
    }
    std::sort(keys.begin(), keys.end(),
        [](const Key& a, const Key& b) { return a.value > b.value || (a.value == b.value && a.id < b.id); });
    for (std::size_t i = 0; i < keys.size(); ++i)
        experts[i] = keys[i].id;
    return experts;
}

std::vector<double> utilities(const SliceInput& in)
{
    std::vector<double> u(static_cast<std::size_t>(in.experts), 0.0);
    for (int t = 0; t < in.tokens; ++t) {
        const float* row = in.scores + static_cast<std::size_t>(t) * static_cast<std::size_t>(in.experts);
        double* acc = u.data();
        if (in.hasUnknown) {
            for (int e = 0; e < in.experts; ++e)
                acc[e] += row[e] == kUnknown ? 0.0 : static_cast<double>(row[e]);
        } else {
            for (int e = 0; e < in.experts; ++e)
                acc[e] += static_cast<double>(row[e]);
        }
    }
    return u;
}

// Baseline fields: top-k per token, union, mass, per-device peaks. Marks inBase[t][e].
void baseline(const SliceInput& in, const std::vector<int>& device, int devices, SliceSweep& out, SliceScratch& s,
    std::vector<int>& kOfToken, bool fast)
{
    const auto T = static_cast<std::size_t>(in.tokens);
    const auto N = static_cast<std::size_t>(in.experts);
    const auto K = static_cast<std::size_t>(in.topK);
    s.inBase.assign(T * N, 0);
    s.baseCount.assign(N, 0);
    s.topIds.resize(T * K);
    s.topScores.resize(K);
    kOfToken.assign(T, 0);
    std::vector<int> top;
    std::vector<int> devTokens(static_cast<std::size_t>(devices), 0);
    out.routedTokens = 0;
    out.massBase = 0.0;
    for (std::size_t t = 0; t < T; ++t) {
        const float* row = in.scores + t * N;
        int* ids = s.topIds.data() + t * K;
        int count = 0;
        if (fast && in.topK <= 64) {
            count = topOfFast(row, in.experts, in.topK, ids, s.topScores, s.candidates);
        } else {
            topOf(row, in.experts, in.topK, nullptr, top);
            count = static_cast<int>(top.size());
            std::copy(top.begin(), top.end(), ids);
        }
        kOfToken[t] = count;
        out.routedTokens += count > 0 ? 1 : 0;
        for (int j = 0; j < count; ++j) {
            const auto e = static_cast<std::size_t>(ids[j]);
            s.inBase[t * N + e] = 1;
            ++s.baseCount[e];
            out.massBase += row[e];
            ++devTokens[static_cast<std::size_t>(device[e])];
        }
    }
    std::vector<int> devActive(static_cast<std::size_t>(devices), 0);
    out.activatedBase = 0;
    for (std::size_t e = 0; e < N; ++e)
        if (s.baseCount[e] > 0) {
            ++out.activatedBase;
            ++devActive[static_cast<std::size_t>(device[e])];
        }
    out.peakBase = *std::max_element(devActive.begin(), devActive.end());
    out.peakTokensBase = *std::max_element(devTokens.begin(), devTokens.end());
}

// Warm-up experts first, each group by decreasing utility (ties to the lower id).
std::vector<int> orderFrom(const std::vector<double>& u, const std::vector<std::uint8_t>& warm)
{
    std::vector<int> first;
    std::vector<int> rest;
    for (std::size_t e = 0; e < u.size(); ++e)
        (warm[e] ? first : rest).push_back(static_cast<int>(e));
    auto order = byUtility(std::move(first), u);
    const auto tail = byUtility(std::move(rest), u);
    order.insert(order.end(), tail.begin(), tail.end());
    return order;
}

void sizeArrays(SliceSweep& out, int n)
{
    const auto m = static_cast<std::size_t>(n + 1);
    out.activated.assign(m, 0);
    out.mass.assign(m, 0.0);
    out.overlap.assign(m, 0);
    out.unchanged.assign(m, 0);
    out.peak.assign(m, 0);
    out.peakTokens.assign(m, 0);
}

} // namespace

const char* toString(Policy p)
{
    switch (p) {
    case Policy::TopK:
        return "topk";
    case Policy::Batch:
        return "batch";
    case Policy::ExpertParallel:
        return "ep";
    case Policy::Speculative:
        return "spec";
    }
    return "?";
}

bool parsePolicy(const std::string& text, Policy& out)
{
    for (const Policy p : { Policy::TopK, Policy::Batch, Policy::ExpertParallel, Policy::Speculative })
        if (text == toString(p)) {
            out = p;
            return true;
        }
    return false;
}

int deviceCount(const PolicyConfig& config)
{
    if (!config.placement.empty())
        return std::max(config.devices, 1 + *std::max_element(config.placement.begin(), config.placement.end()));
    return std::max(1, config.devices);
}

namespace {

// The device map of a configuration, built once per scratch and reused while the
// configuration stays the same (every slice of a run).
const std::vector<int>& cachedDevices(const PolicyConfig& config, int experts, SliceScratch& s, int& count)
{
    if (s.deviceExperts != experts || s.deviceConfigured != config.devices || s.devicePlacement != config.placement) {
        s.device = devicesOf(config, experts);
        s.deviceCount = deviceCount(config);
        s.devicePlacement = config.placement;
        s.deviceConfigured = config.devices;
        s.deviceExperts = experts;
    }
    count = s.deviceCount;
    return s.device;
}

} // namespace

std::vector<int> devicesOf(const PolicyConfig& config, int experts)
{
    if (!config.placement.empty())
        return config.placement;
    const int g = std::max(1, config.devices);
    std::vector<int> d(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e)
        d[static_cast<std::size_t>(e)] = static_cast<int>(static_cast<std::int64_t>(e) * g / experts);
    return d;
}

std::vector<int> batchPriority(const SliceInput& in, int warmup)
{
    const auto u = utilities(in);
    std::vector<std::uint8_t> warm(static_cast<std::size_t>(in.experts), 0);
    std::vector<int> top;
    if (warmup > 0)
        for (int t = 0; t < in.tokens; ++t) {
            topOf(in.scores + static_cast<std::size_t>(t) * static_cast<std::size_t>(in.experts), in.experts, warmup,
                nullptr, top);
            for (const int e : top)
                warm[static_cast<std::size_t>(e)] = 1;
        }
    return orderFrom(u, warm);
}

std::vector<int> speculativePriority(const SliceInput& in, int requestExperts)
{
    const int m = requestExperts > 0 ? requestExperts : in.topK;
    const auto N = static_cast<std::size_t>(in.experts);
    // Tokens grouped by request (stable, so each group keeps token order).
    std::vector<int> tokens(static_cast<std::size_t>(in.tokens));
    std::iota(tokens.begin(), tokens.end(), 0);
    auto requestOf = [&](int t) { return in.request ? in.request[t] : 0; };
    std::stable_sort(tokens.begin(), tokens.end(), [&](int a, int b) { return requestOf(a) < requestOf(b); });

    std::vector<double> batchUtility(N, 0.0);
    std::vector<std::uint8_t> inUnion(N, 0);
    std::vector<double> u(N);
    std::vector<std::uint8_t> seen(N);
    std::vector<int> known;
    for (std::size_t i = 0; i < tokens.size();) {
        // One request: the utility of each expert over its tokens in the slice.
        std::fill(u.begin(), u.end(), 0.0);
        std::fill(seen.begin(), seen.end(), 0);
        const auto req = requestOf(tokens[i]);
        for (; i < tokens.size() && requestOf(tokens[i]) == req; ++i) {
            const float* row = in.scores + static_cast<std::size_t>(tokens[i]) * N;
            for (std::size_t e = 0; e < N; ++e)
                if (row[e] != kUnknown) {
                    u[e] += row[e];
                    seen[e] = 1;
                }
        }
        // Its m best experts among those it has a score for.
        known.clear();
        for (std::size_t e = 0; e < N; ++e)
            if (seen[e])
                known.push_back(static_cast<int>(e));
        const auto keep = std::min(known.size(), static_cast<std::size_t>(m));
        std::partial_sort(
            known.begin(), known.begin() + static_cast<std::ptrdiff_t>(keep), known.end(), [&](int a, int b) {
                return u[static_cast<std::size_t>(a)] > u[static_cast<std::size_t>(b)]
                    || (u[static_cast<std::size_t>(a)] == u[static_cast<std::size_t>(b)] && a < b);
            });
        for (std::size_t j = 0; j < keep; ++j) {
            const auto e = static_cast<std::size_t>(known[j]);
            inUnion[e] = 1;
            batchUtility[e] += u[e];
        }
    }
    std::vector<int> members;
    for (std::size_t e = 0; e < N; ++e)
        if (inUnion[e])
            members.push_back(static_cast<int>(e));
    return byUtility(std::move(members), batchUtility);
}

std::vector<int> expertParallelSelection(const SliceInput& in, const PolicyConfig& config, int budget)
{
    const auto order = batchPriority(in, config.warmup);
    const auto device = devicesOf(config, in.experts);
    const int g = std::max(1, config.devices);
    const int capacity = (budget + g - 1) / g;
    std::vector<int> count(static_cast<std::size_t>(g), 0);
    std::vector<int> selected;
    for (const int e : order) {
        if (static_cast<int>(selected.size()) >= budget)
            break;
        auto& c = count[static_cast<std::size_t>(device[static_cast<std::size_t>(e)])];
        if (c < capacity) {
            ++c;
            selected.push_back(e);
        }
    }
    return selected;
}

void sweepSlice(const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out, SliceScratch& s)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    int G = 0;
    const std::vector<int>& device = cachedDevices(config, N, s, G);
    std::vector<int> kOfToken;
    baseline(in, device, G, out, s, kOfToken, true);
    sizeArrays(out, N);

    if (config.policy == Policy::TopK) {
        for (int m = 0; m <= N; ++m) {
            out.activated[static_cast<std::size_t>(m)] = out.activatedBase;
            out.mass[static_cast<std::size_t>(m)] = out.massBase;
            out.peak[static_cast<std::size_t>(m)] = out.peakBase;
            out.peakTokens[static_cast<std::size_t>(m)] = out.peakTokensBase;
        }
        int overlap = 0;
        for (const int kt : kOfToken)
            overlap += kt;
        std::fill(out.overlap.begin(), out.overlap.end(), overlap);
        std::fill(out.unchanged.begin(), out.unchanged.end(), out.routedTokens);
        out.order.clear();
        return;
    }

    if (config.policy == Policy::Speculative) {
        out.order = speculativePriority(in, config.requestExperts);
    } else if (config.warmup <= in.topK) {
        // The warm-up set is the head of each token's baseline top-k, already at hand.
        std::vector<std::uint8_t> warm(Nz, 0);
        for (int t = 0; t < in.tokens; ++t) {
            const int w = std::min(config.warmup, kOfToken[static_cast<std::size_t>(t)]);
            for (int j = 0; j < w; ++j)
                warm[static_cast<std::size_t>(s.topIds[static_cast<std::size_t>(t) * static_cast<std::size_t>(in.topK)
                    + static_cast<std::size_t>(j)])]
                    = 1;
        }
        out.order = orderFrom(utilities(in), warm);
    } else {
        out.order = batchPriority(in, config.warmup);
    }
    const int steps = std::min<int>(static_cast<int>(out.order.size()), std::max(0, maxBudget));
    s.rank.assign(Nz, -1);
    for (int p = 0; p < static_cast<int>(out.order.size()); ++p)
        s.rank[static_cast<std::size_t>(out.order[static_cast<std::size_t>(p)])] = p;
    s.maxEnd.assign(Nz, 0);
    s.diffMass.assign(Nz + 2, 0.0);
    s.diffOverlap.assign(Nz + 2, 0);
    s.diffUnchanged.assign(Nz + 2, 0);
    s.devTokenDiff.assign(static_cast<std::size_t>(G) * (Nz + 2), 0);
    const int k = in.topK;
    // Each token keeps its current routing as a list sorted best first, so the worst is the last
    // entry and a newcomer is placed by shifting the few entries it beats. Entries are keys that
    // order like better(): the score's bits (scores here are never negative) above the inverted id.
    std::vector<std::uint64_t> heap(static_cast<std::size_t>(k));
    std::uint64_t* hk = heap.data();
    const std::size_t stride = Nz + 2;
    auto scoreOf = [](std::uint64_t key) {
        const auto bits = static_cast<std::uint32_t>(key >> 32);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    };
    auto idOf = [](std::uint64_t key) { return static_cast<int>(~static_cast<std::uint32_t>(key)); };

    for (int t = 0; t < in.tokens; ++t) {
        const int kt = kOfToken[static_cast<std::size_t>(t)];
        if (kt == 0)
            continue;
        const float* row = in.scores + static_cast<std::size_t>(t) * Nz;
        const std::uint8_t* base = s.inBase.data() + static_cast<std::size_t>(t) * Nz;
        int size = 0;
        int overlap = 0;
        for (int p = 0; p < steps; ++p) {
            const int e = out.order[static_cast<std::size_t>(p)];
            const float sc = row[e];
            if (sc == kUnknown)
                continue;
            std::uint32_t bits;
            std::memcpy(&bits, &sc, sizeof bits);
            const std::uint64_t key = (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
            const auto M = static_cast<std::size_t>(p + 1);
            int i;
            if (size < k) {
                i = size++;
            } else {
                if (key <= hk[k - 1])
                    continue;
                const int w = idOf(hk[k - 1]);
                s.diffMass[M] -= static_cast<double>(scoreOf(hk[k - 1]));
                s.maxEnd[static_cast<std::size_t>(w)]
                    = std::max(s.maxEnd[static_cast<std::size_t>(w)], static_cast<int>(M));
                s.devTokenDiff[static_cast<std::size_t>(device[static_cast<std::size_t>(w)]) * stride + M] -= 1;
                if (base[w]) {
                    --overlap;
                    --s.diffOverlap[M];
                }
                i = k - 1;
            }
            while (i > 0 && hk[i - 1] < key) {
                hk[i] = hk[i - 1];
                --i;
            }
            hk[i] = key;
            s.diffMass[M] += static_cast<double>(sc);
            s.devTokenDiff[static_cast<std::size_t>(device[static_cast<std::size_t>(e)]) * stride + M] += 1;
            if (base[e]) {
                ++overlap;
                ++s.diffOverlap[M];
                if (overlap == kt) {
                    // The token holds its own top-k again: nothing later can displace them.
                    s.diffUnchanged[M] += 1;
                    break;
                }
            }
        }
        for (int i = 0; i < size; ++i)
            s.maxEnd[static_cast<std::size_t>(idOf(hk[i]))] = N + 1;
    }

    // An expert is active for M in [rank + 1, maxEnd): every token that ever takes it does so
    // when it enters the selection.
    s.diff.assign(Nz + 2, 0);
    s.devDiff.assign(static_cast<std::size_t>(G) * (Nz + 2), 0);
    for (int e = 0; e < N; ++e) {
        const int end = s.maxEnd[static_cast<std::size_t>(e)];
        if (end == 0)
            continue;
        const auto start = static_cast<std::size_t>(s.rank[static_cast<std::size_t>(e)] + 1);
        const auto stop = static_cast<std::size_t>(std::min(end, N + 1));
        s.diff[start] += 1;
        s.diff[stop] -= 1;
        const auto d = static_cast<std::size_t>(device[static_cast<std::size_t>(e)]) * (Nz + 2);
        s.devDiff[d + start] += 1;
        s.devDiff[d + stop] -= 1;
    }
    int active = 0;
    double mass = 0;
    int overlapSum = 0;
    int unchangedSum = 0;
    std::vector<int> devActive(static_cast<std::size_t>(G), 0);
    std::vector<int> devTokens(static_cast<std::size_t>(G), 0);
    for (std::size_t m = 0; m <= Nz; ++m) {
        active += s.diff[m];
        mass += s.diffMass[m];
        overlapSum += s.diffOverlap[m];
        unchangedSum += s.diffUnchanged[m];
        int peak = 0;
        int peakTokens = 0;
        for (std::size_t g = 0; g < static_cast<std::size_t>(G); ++g) {
            devActive[g] += s.devDiff[g * (Nz + 2) + m];
            devTokens[g] += s.devTokenDiff[g * (Nz + 2) + m];
            peak = std::max(peak, devActive[g]);
            peakTokens = std::max(peakTokens, devTokens[g]);
        }
        out.activated[m] = active;
        out.mass[m] = mass;
        out.overlap[m] = overlapSum;
        out.unchanged[m] = unchangedSum;
        out.peak[m] = peak;
        out.peakTokens[m] = peakTokens;
    }
}

void runSliceBudget(const SliceInput& in, const PolicyConfig& config, int budget, SliceSweep& out, SliceScratch& s)
{
    const int N = in.experts;
    const auto Nz = static_cast<std::size_t>(N);
    int G = 0;
    const std::vector<int>& device = cachedDevices(config, N, s, G);
    std::vector<int> kOfToken;
    baseline(in, device, G, out, s, kOfToken, false);
    if (out.activated.size() != Nz + 1)
        sizeArrays(out, N);
    const auto M = static_cast<std::size_t>(std::clamp(budget, 0, N));

    std::vector<std::uint8_t> allowed(Nz, 0);
    if (config.policy == Policy::TopK) {
        std::fill(allowed.begin(), allowed.end(), 1);
        out.selected.clear();
    } else {
        std::vector<int> sel;
        if (config.policy == Policy::ExpertParallel) {
            sel = expertParallelSelection(in, config, budget);
        } else {
            const auto order = config.policy == Policy::Speculative ? speculativePriority(in, config.requestExperts)
                                                                    : batchPriority(in, config.warmup);
            sel.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), M)));
        }
        for (const int e : sel)
            allowed[static_cast<std::size_t>(e)] = 1;
        out.selected = sel;
        std::sort(out.selected.begin(), out.selected.end());
    }
    std::vector<int> top;
    std::vector<int> used(Nz, 0);
    std::vector<int> devTokens(static_cast<std::size_t>(G), 0);
    double mass = 0;
    int overlap = 0;
    int unchanged = 0;
    for (int t = 0; t < in.tokens; ++t) {
        const int kt = kOfToken[static_cast<std::size_t>(t)];
        if (kt == 0)
            continue;
        const float* row = in.scores + static_cast<std::size_t>(t) * Nz;
        topOf(row, N, in.topK, allowed.data(), top);
        int ov = 0;
        for (const int e : top) {
            mass += row[e];
            used[static_cast<std::size_t>(e)] = 1;
            ++devTokens[static_cast<std::size_t>(device[static_cast<std::size_t>(e)])];
            ov += s.inBase[static_cast<std::size_t>(t) * Nz + static_cast<std::size_t>(e)];
        }
        overlap += ov;
        unchanged += ov == kt ? 1 : 0;
    }
    std::vector<int> devActive(static_cast<std::size_t>(G), 0);
    int active = 0;
    for (std::size_t e = 0; e < Nz; ++e)
        if (used[e]) {
            ++active;
            ++devActive[static_cast<std::size_t>(device[e])];
        }
    out.activated[M] = active;
    out.mass[M] = mass;
    out.overlap[M] = overlap;
    out.unchanged[M] = unchanged;
    out.peak[M] = *std::max_element(devActive.begin(), devActive.end());
    out.peakTokens[M] = *std::max_element(devTokens.begin(), devTokens.end());
}

} // namespace deltascope::moe
