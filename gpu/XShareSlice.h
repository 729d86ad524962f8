#pragma once

// The XShare computation of one (layer, batch) slice, written once for two executors: a CUDA
// thread block (gpu/XShareKernels.cu) and a sequential emulation of the same block on the host
// (used by the tests, so that the kernel's logic is checked against the CPU reference on machines
// without a GPU). The slice runs as a sequence of phases; within a phase, thread `tid` of `n`
// touches only the entries it owns, or uses the atomics below; between phases the block
// synchronises. Control flow between phases depends only on values every thread sees alike.
//
// Results must equal the CPU backend's (core/moe/XShare.cpp): the same tie rules (higher score
// first, then the lower id), utilities summed in double in token order, the same scoring of
// logits. Kept-mass sums may differ in the order of addition (within 1e-6 relative).
//
// C++17, no standard library beyond a few C headers and <type_traits>: nvcc compiles this file.

#include <cstdint>
#include <cstring>
#include <math.h>
#include <type_traits>

#if defined(__CUDACC__)
#define DS_HD __host__ __device__
#else
#define DS_HD
#endif

namespace deltascope::gpu::slice {

/// The largest k (and warm-up width) a slice handles; larger ones run on the CPU backend.
constexpr int kMaxList = 32;

/// Entries of Work::uniform (values every thread reads after a phase).
constexpr int kUniforms = 10;

enum ScoreType : int { F32 = 0, F16 = 1, BF16 = 2 };
enum ScoreKind : int { Probs = 0, Logits = 1, Sigmoid = 2 };
enum PolicyCode : int { TopK = 0, Batch = 1, ExpertParallel = 2, Speculative = 3 };

/// Integer sums per budget (index into the budget list).
enum BudgetInt : int {
    kActivatedBase,
    kActivated,
    kOverlap,
    kUnchanged,
    kRouted,
    kPeakBase,
    kPeak,
    kPeakTokensBase,
    kPeakTokens,
    kBudgetInts
};

/// What a launch reads: the trace's scores (resident, or a streamed chunk of gathered token rows),
/// the batches, and the policy.
struct Job {
    const void* scores = nullptr; ///< dense [rows][layers][experts], sparse [rows][layers][topK]
    const std::int32_t* ids = nullptr; ///< sparse: [rows][layers][topK] expert ids (-1: none)
    int scoreType = F32;
    int scoreKind = Probs;
    int sparse = 0;
    int layers = 0;
    int experts = 0;
    int topK = 0;
    /// Slices are numbered batch-major: slice s is batch s / layers, layer s % layers.
    const std::int64_t* batchOffsets = nullptr; ///< [batches + 1] into the token lists
    /// Token t of batch b is row batchRows[batchOffsets[b] + t - rowsOffset] of `scores`; when
    /// batchRows is null, row batchOffsets[b] + t - rowsOffset (rows gathered in batch order).
    const std::int64_t* batchRows = nullptr;
    std::int64_t rowsOffset = 0;
    std::int64_t batches = 0; ///< batches of the whole run (for record indices)
    /// Speculative policy: per batch, the token positions grouped by request (ascending request id,
    /// then position): groupTokens[batchOffsets[b] ..] with groups [batchGroups[b], batchGroups[b+1])
    /// starting at groupStart[g] (absolute index into groupTokens).
    const std::int32_t* groupTokens = nullptr;
    const std::int64_t* groupStart = nullptr;
    const std::int64_t* batchGroups = nullptr;

    int policy = Batch;
    int warmup = 1;
    int requestExperts = 0; ///< m (0: k)
    int devices = 1; ///< G
    const std::int32_t* device = nullptr; ///< [experts] device of each expert
    const std::int32_t* replicaStart = nullptr; ///< [experts + 1] into replicaDevices; null: no copies
    const std::int32_t* replicaDevices = nullptr;
    const std::int32_t* budgets = nullptr;
    int budgetCount = 0;
    int sweep = 0; ///< every budget from one sweep per slice (nested policies without copies)
    int maps = 0; ///< fill the activation maps for the first budget
    int records = 0; ///< fill the per-slice records for the first budget
};

/// Where a block adds its results. The sums (everything but the records and the error) are one
/// block's own copy: a block writes them with plain additions, in slice order, and the copies are
/// added up afterwards in block order (reduceSums), so the totals are the same from run to run.
struct Outputs {
    unsigned long long* budgetInts = nullptr; ///< [budget][kBudgetInts]
    double* budgetMass = nullptr; ///< [budget][2]: baseline, policy
    unsigned long long* layerInts = nullptr; ///< [budget][layer][2]: activated baseline, policy
    double* layerMass = nullptr; ///< [budget][layer][2]
    unsigned long long* layerSlices = nullptr; ///< [layer]
    unsigned long long* mapBase = nullptr; ///< [layer][expert]
    unsigned long long* mapPolicy = nullptr;
    unsigned long long* deviceSums = nullptr; ///< [device][4]: active base, active, tokens base, tokens
    int* recordInts = nullptr; ///< [layer * batches + batch][2]: activated base, activated
    double* recordMass = nullptr; ///< [.][2]
    std::uint32_t* recordSelected = nullptr; ///< [.][words of experts]: selected set as bits
    /// [0]: set to 1 by the first bad score; [1..4]: the token's index in the batch token lists
    /// (batchOffsets), layer, expert, what (1 NaN, 2 infinite, 3 negative).
    long long* error = nullptr;
};

/// The sums of one block laid out in one buffer of 8-byte words: the integer arrays first, then the
/// doubles. Every block has its own copy, `words()` apart.
struct SumsLayout {
    std::int64_t budgets = 0, layers = 0, experts = 0, devices = 0;
    bool maps = false;
    DS_HD std::int64_t budgetInts() const { return 0; }
    DS_HD std::int64_t layerInts() const { return budgetInts() + budgets * kBudgetInts; }
    DS_HD std::int64_t layerSlices() const { return layerInts() + budgets * layers * 2; }
    DS_HD std::int64_t mapBase() const { return layerSlices() + layers; }
    DS_HD std::int64_t mapPolicy() const { return mapBase() + (maps ? layers * experts : 0); }
    DS_HD std::int64_t deviceSums() const { return mapPolicy() + (maps ? layers * experts : 0); }
    DS_HD std::int64_t intWords() const { return deviceSums() + (maps ? devices * 4 : 0); }
    DS_HD std::int64_t budgetMass() const { return intWords(); }
    DS_HD std::int64_t layerMass() const { return budgetMass() + budgets * 2; }
    DS_HD std::int64_t words() const { return layerMass() + budgets * layers * 2; }
};

/// Points the sums of `o` at block `block`'s copy in `base` (records and error stay shared).
DS_HD inline Outputs sumsOfBlock(Outputs o, const SumsLayout& s, unsigned long long* base, std::int64_t block)
{
    unsigned long long* b = base + block * s.words();
    o.budgetInts = b + s.budgetInts();
    o.layerInts = b + s.layerInts();
    o.layerSlices = b + s.layerSlices();
    o.mapBase = b + s.mapBase();
    o.mapPolicy = b + s.mapPolicy();
    o.deviceSums = b + s.deviceSums();
    o.budgetMass = reinterpret_cast<double*>(b + s.budgetMass());
    o.layerMass = reinterpret_cast<double*>(b + s.layerMass());
    return o;
}

/// Adds word i of every block's copy into block 0's, in block order (thread per word).
DS_HD inline void reduceSumsWord(const SumsLayout& s, unsigned long long* base, std::int64_t blocks, std::int64_t i)
{
    const std::int64_t stride = s.words();
    if (i < s.intWords()) {
        unsigned long long total = 0;
        for (std::int64_t b = 0; b < blocks; ++b)
            total += base[b * stride + i];
        base[i] = total;
    } else {
        double total = 0;
        for (std::int64_t b = 0; b < blocks; ++b) {
            double v;
            memcpy(&v, base + b * stride + i, sizeof v);
            total += v;
        }
        memcpy(base + i, &total, sizeof total);
    }
}

/// Per-block working memory, carved from one buffer by carve().
struct Work {
    const float** rowPtr; ///< [tokens] each token's gating row
    float* rows; ///< [tokens][experts] rows made by conversion (not F32 probabilities, or sparse)
    std::int32_t* topIds; ///< [tokens][list] baseline list, best first
    float* topScores;
    std::int32_t* kOf; ///< [tokens] how many experts the token routes to
    double* tokMass; ///< [tokens] baseline top-k mass
    double* tokKept; ///< [tokens] kept mass under the policy
    std::int32_t* tokOverlap; ///< [tokens]
    double* utility; ///< [experts]
    double* requestUtility; ///< [experts]
    double* batchUtility; ///< [experts]
    std::int32_t* rank; ///< [experts] position in the priority order (experts: never selected)
    std::int32_t* order; ///< [experts]
    std::int32_t* baseCount; ///< [experts] tokens whose top-k holds the expert
    std::int32_t* used; ///< [experts] tokens routed to the expert under the policy
    std::int32_t* maxEnd; ///< [experts] sweep: first budget at which no token keeps the expert
    std::uint8_t* warm; ///< [experts]
    std::uint8_t* selected; ///< [experts]
    std::uint8_t* seen; ///< [experts]
    std::uint8_t* inUnion; ///< [experts]
    std::uint8_t* keep; ///< [tokens][experts] speculative: each request group's kept experts
    double* massDiff; ///< [experts + 2]
    std::int32_t* overlapDiff; ///< [experts + 2]
    std::int32_t* unchangedDiff; ///< [experts + 2]
    std::int32_t* deviceActive; ///< [experts + 2][devices]
    std::int32_t* deviceTokens; ///< [experts + 2][devices]
    std::int32_t* peakA; ///< [devices]
    std::int32_t* peakB; ///< [devices]
    std::int32_t* uniform; ///< [kUniforms] values every thread reads after a phase
    double* uniformD; ///< [4]
};

struct Shape {
    int maxTokens = 0;
    int experts = 0;
    int list = 0; ///< baseline list length: max(k, warm-up)
    int devices = 1;
};

DS_HD inline std::size_t alignUp(std::size_t x)
{
    return (x + 15) & ~static_cast<std::size_t>(15);
}

/// Carves the working memory of one block from `base` (16-byte aligned); returns the bytes used.
/// With base null it only counts.
DS_HD inline std::size_t carve(char* base, const Shape& s, Work& w)
{
    std::size_t at = 0;
    const auto T = static_cast<std::size_t>(s.maxTokens > 0 ? s.maxTokens : 1);
    const auto N = static_cast<std::size_t>(s.experts);
    const auto K = static_cast<std::size_t>(s.list > 0 ? s.list : 1);
    const auto G = static_cast<std::size_t>(s.devices > 0 ? s.devices : 1);
    auto take = [&](auto*& p, std::size_t count) {
        using P = typename std::remove_reference<decltype(*p)>::type;
        p = base ? reinterpret_cast<P*>(base + at) : nullptr;
        at = alignUp(at + count * sizeof(P));
    };
    take(w.rowPtr, T);
    take(w.rows, T * N);
    take(w.topIds, T * K);
    take(w.topScores, T * K);
    take(w.kOf, T);
    take(w.tokMass, T);
    take(w.tokKept, T);
    take(w.tokOverlap, T);
    take(w.utility, N);
    take(w.requestUtility, N);
    take(w.batchUtility, N);
    take(w.rank, N);
    take(w.order, N);
    take(w.baseCount, N);
    take(w.used, N);
    take(w.maxEnd, N);
    take(w.warm, N);
    take(w.selected, N);
    take(w.seen, N);
    take(w.inUnion, N);
    take(w.keep, T * N);
    take(w.massDiff, N + 2);
    take(w.overlapDiff, N + 2);
    take(w.unchangedDiff, N + 2);
    take(w.deviceActive, (N + 2) * G);
    take(w.deviceTokens, (N + 2) * G);
    take(w.peakA, G);
    take(w.peakB, G);
    take(w.uniform, kUniforms);
    take(w.uniformD, 4);
    return at;
}

// ---- atomics: real ones in a kernel, plain updates in the sequential emulation ----

DS_HD inline void addInt(std::int32_t* p, std::int32_t v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(reinterpret_cast<int*>(p), static_cast<int>(v));
#else
    *p += v;
#endif
}

DS_HD inline void maxInt(std::int32_t* p, std::int32_t v)
{
#if defined(__CUDA_ARCH__)
    atomicMax(reinterpret_cast<int*>(p), static_cast<int>(v));
#else
    if (*p < v)
        *p = v;
#endif
}

DS_HD inline void addU64(unsigned long long* p, long long v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(p, static_cast<unsigned long long>(v));
#else
    *p += static_cast<unsigned long long>(v);
#endif
}

DS_HD inline void addDouble(double* p, double v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

/// The first error wins; later ones are dropped.
DS_HD inline void reportError(long long* error, long long row, long long layer, long long expert, long long what)
{
#if defined(__CUDA_ARCH__)
    if (atomicCAS(reinterpret_cast<unsigned long long*>(error), 0ull, 1ull) != 0ull)
        return;
#else
    if (error[0] != 0)
        return;
    error[0] = 1;
#endif
    error[1] = row;
    error[2] = layer;
    error[3] = expert;
    error[4] = what;
}

// ---- scores ----

DS_HD inline float floatOfBits(std::uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

DS_HD inline std::uint32_t bitsOfFloat(float f)
{
    std::uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

/// IEEE half to float, exactly (subnormals included).
DS_HD inline float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    const std::uint32_t mant = h & 0x3ffu;
    float f;
    if (exp == 0)
        f = static_cast<float>(mant) * 5.9604644775390625e-8f; // mant * 2^-24, exact
    else if (exp == 31)
        f = floatOfBits(mant ? 0x7fc00000u : 0x7f800000u);
    else
        f = floatOfBits(((exp + 112u) << 23) | (mant << 13));
    return sign ? -f : f;
}

DS_HD inline float rawScore(const Job& j, std::int64_t index)
{
    if (j.scoreType == F32)
        return static_cast<const float*>(j.scores)[index];
    const std::uint16_t v = static_cast<const std::uint16_t*>(j.scores)[index];
    if (j.scoreType == BF16)
        return floatOfBits(static_cast<std::uint32_t>(v) << 16);
    return halfToFloat(v);
}

constexpr std::uint32_t kUnknownBits = 0xff800000u; // -infinity: an expert without a score

DS_HD inline float unknownScore()
{
    return floatOfBits(kUnknownBits);
}

/// Orders candidates: the higher score first, then the lower id (larger keys are better).
DS_HD inline std::uint64_t keyOf(float score, int e)
{
    return (static_cast<std::uint64_t>(bitsOfFloat(score)) << 32)
        | static_cast<std::uint32_t>(~static_cast<std::uint32_t>(e));
}

DS_HD inline int idOfKey(std::uint64_t key)
{
    return static_cast<int>(~static_cast<std::uint32_t>(key));
}

DS_HD inline float scoreOfKey(std::uint64_t key)
{
    return floatOfBits(static_cast<std::uint32_t>(key >> 32));
}

/// Places key in a best-first list of at most cap keys holding count; returns the slot it took
/// (-1 when it did not make the list). `extra` travels with the keys.
DS_HD inline int insertKey(std::uint64_t* keys, int* extra, int& count, int cap, std::uint64_t key, int value)
{
    int i;
    if (count < cap) {
        i = count++;
    } else {
        if (key <= keys[cap - 1])
            return -1;
        i = cap - 1;
    }
    while (i > 0 && keys[i - 1] < key) {
        keys[i] = keys[i - 1];
        extra[i] = extra[i - 1];
        --i;
    }
    keys[i] = key;
    extra[i] = value;
    return i;
}

/// The gating row of one token as the CPU's Trace::gatingRow makes it, with -0 turned into +0.
DS_HD inline void makeRow(const Job& j, std::int64_t row, int layer, float* out)
{
    const int N = j.experts;
    const float unknown = unknownScore();
    if (!j.sparse) {
        const std::int64_t base = (row * j.layers + layer) * static_cast<std::int64_t>(N);
        for (int e = 0; e < N; ++e)
            out[e] = rawScore(j, base + e);
    } else {
        for (int e = 0; e < N; ++e)
            out[e] = unknown;
        const std::int64_t base = (row * j.layers + layer) * static_cast<std::int64_t>(j.topK);
        for (int q = 0; q < j.topK; ++q) {
            const std::int32_t id = j.ids[base + q];
            if (id >= 0 && id < N)
                out[id] = rawScore(j, base + q);
        }
    }
    if (j.scoreKind == Logits) {
        float mx = unknown;
        for (int e = 0; e < N; ++e)
            mx = mx < out[e] ? out[e] : mx;
        if (mx != unknown) {
            double sum = 0;
            for (int e = 0; e < N; ++e)
                if (out[e] != unknown)
                    sum += ::exp(static_cast<double>(out[e] - mx));
            for (int e = 0; e < N; ++e)
                if (out[e] != unknown)
                    out[e] = static_cast<float>(::exp(static_cast<double>(out[e] - mx)) / sum);
        }
    } else if (j.scoreKind == Sigmoid) {
        for (int e = 0; e < N; ++e)
            if (out[e] != unknown)
                out[e] = static_cast<float>(1.0 / (1.0 + ::exp(-static_cast<double>(out[e]))));
    }
    for (int e = 0; e < N; ++e)
        out[e] += 0.0f;
}

/// Adds expert e's load to the per-device counts: with c tokens routed to it, its copies (the
/// placed device first) each get a round-robin share and count as active when the share is not
/// zero (as the CPU backend deals them). Threads may call it for different experts at once.
DS_HD inline void addDeviceLoad(const Job& j, int e, int c, std::int32_t* active, std::int32_t* tokens)
{
    if (c <= 0)
        return;
    const int copies = j.replicaStart ? 1 + j.replicaStart[e + 1] - j.replicaStart[e] : 1;
    for (int q = 0; q < copies; ++q) {
        const int share = c / copies + (q < c % copies ? 1 : 0);
        if (share == 0)
            break;
        const int d = q == 0 ? j.device[e] : j.replicaDevices[j.replicaStart[e] + q - 1];
        addInt(active + d, 1);
        addInt(tokens + d, share);
    }
}

/// The largest of n counts (one thread).
DS_HD inline int largest(const std::int32_t* v, int n)
{
    int m = 0;
    for (int i = 0; i < n; ++i)
        m = v[i] > m ? v[i] : m;
    return m;
}

/// Baseline sums of the slice, kept in w.uniform / w.uniformD by thread 0.
enum Uniform : int {
    uUnion = 0,
    uActivatedBase,
    uRouted,
    uPeakBase,
    uPeakTokensBase,
    uBad,
    uActivated,
    uOverlap,
    uUnchanged
};

/// Runs slice `s` (batch-major numbering) of the job with executor x: x.phase(f) calls f(tid) for
/// every thread of the block and then synchronises; x.threads() is the block size.
template <class X> DS_HD void runSlice(const X& x, const Job& j, const Outputs& out, const Work& w, std::int64_t s)
{
    const int L = j.layers;
    const int N = j.experts;
    const int K = j.topK;
    const int G = j.devices;
    const std::int64_t batch = s / L;
    const int layer = static_cast<int>(s % L);
    const std::int64_t first = j.batchOffsets[batch];
    const int T = static_cast<int>(j.batchOffsets[batch + 1] - first);
    const int list = j.warmup > K ? j.warmup : K;
    const int nt = x.threads();
    const bool inPlace = !j.sparse && j.scoreType == F32 && j.scoreKind == Probs;
    const float unknown = unknownScore();

    // Per-expert state.
    x.phase([&](int tid) {
        for (int e = tid; e < N; e += nt) {
            w.baseCount[e] = 0;
            w.used[e] = 0;
            w.maxEnd[e] = 0;
            w.warm[e] = 0;
            w.inUnion[e] = 0;
            w.batchUtility[e] = 0.0;
        }
        for (int d = tid; d < G; d += nt) {
            w.peakA[d] = 0;
            w.peakB[d] = 0;
        }
        if (tid == 0)
            for (int i = 0; i < kUniforms; ++i)
                w.uniform[i] = 0;
    });

    // Each token: its row, checked; its baseline list (k, or the warm-up width when larger).
    x.phase([&](int tid) {
        for (int t = tid; t < T; t += nt) {
            const std::int64_t at = first + t - j.rowsOffset;
            const std::int64_t row = j.batchRows ? j.batchRows[at] : at;
            const float* r;
            if (inPlace) {
                r = static_cast<const float*>(j.scores) + (row * L + layer) * static_cast<std::int64_t>(N);
            } else {
                float* made = w.rows + static_cast<std::int64_t>(t) * N;
                makeRow(j, row, layer, made);
                r = made;
            }
            w.rowPtr[t] = r;
            std::uint64_t keys[kMaxList];
            int pos[kMaxList];
            int count = 0;
            for (int e = 0; e < N; ++e) {
                const float v = r[e] + 0.0f;
                const std::uint32_t bits = bitsOfFloat(v);
                if (bits >= 0x7f800000u) {
                    if (j.sparse && bits == kUnknownBits)
                        continue;
                    const long long what = v != v ? 1 : (bits == 0x7f800000u || bits == kUnknownBits ? 2 : 3);
                    // Where the token is in the run's token lists; the host maps it to the trace token.
                    reportError(out.error, first + t, layer, e, what);
                    w.uniform[uBad] = 1;
                    continue;
                }
                insertKey(keys, pos, count, list, keyOf(v, e), e);
            }
            const int kt = count < K ? count : K;
            w.kOf[t] = kt;
            double mass = 0;
            for (int q = 0; q < count; ++q) {
                const int e = idOfKey(keys[q]);
                w.topIds[t * list + q] = e;
                w.topScores[t * list + q] = scoreOfKey(keys[q]);
                if (q < kt) {
                    mass += static_cast<double>(scoreOfKey(keys[q]));
                    addInt(w.baseCount + e, 1);
                }
                if (q < j.warmup)
                    w.warm[e] = 1;
            }
            w.tokMass[t] = mass;
        }
    });

    // Utilities in token order (double), as the CPU sums them.
    if (j.policy != TopK)
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                double u = 0;
                for (int t = 0; t < T; ++t) {
                    const float v = w.rowPtr[t][e] + 0.0f;
                    if (v != unknown)
                        u += static_cast<double>(v);
                }
                w.utility[e] = u;
            }
        });

    // Baseline summary: counts in parallel, the mass in token order.
    x.phase([&](int tid) {
        for (int e = tid; e < N; e += nt)
            if (w.baseCount[e] > 0) {
                addInt(w.uniform + uActivatedBase, 1);
                addDeviceLoad(j, e, w.baseCount[e], w.peakA, w.peakB);
            }
        for (int t = tid; t < T; t += nt)
            if (w.kOf[t] > 0)
                addInt(w.uniform + uRouted, 1);
    });
    x.phase([&](int tid) {
        if (tid != 0)
            return;
        double mass = 0;
        for (int t = 0; t < T; ++t)
            mass += w.tokMass[t];
        w.uniform[uPeakBase] = largest(w.peakA, G);
        w.uniform[uPeakTokensBase] = largest(w.peakB, G);
        w.uniformD[0] = mass;
    });

    // The priority order.
    if (j.policy == Batch || j.policy == ExpertParallel) {
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                const std::uint8_t we = w.warm[e];
                const double ue = w.utility[e];
                int r = 0;
                for (int f = 0; f < N; ++f) {
                    const std::uint8_t wf = w.warm[f];
                    const double uf = w.utility[f];
                    r += (wf > we || (wf == we && (uf > ue || (uf == ue && f < e)))) ? 1 : 0;
                }
                w.rank[e] = r;
                w.order[r] = e;
            }
            if (tid == 0)
                w.uniform[uUnion] = N;
        });
    } else if (j.policy == Speculative) {
        const int m = j.requestExperts > 0 ? j.requestExperts : K;
        const std::int64_t g0 = j.batchGroups[batch];
        const std::int64_t g1 = j.batchGroups[batch + 1];
        // Requests with several tokens (or m beyond a token's list) rank their own utilities.
        for (std::int64_t g = g0; g < g1; ++g) {
            const std::int64_t a = j.groupStart[g];
            const std::int64_t b = j.groupStart[g + 1];
            const int t0 = j.groupTokens[a];
            if (b - a == 1 && m <= w.kOf[t0])
                continue;
            x.phase([&](int tid) {
                for (int e = tid; e < N; e += nt) {
                    double u = 0;
                    std::uint8_t seen = 0;
                    for (std::int64_t q = a; q < b; ++q) {
                        const float v = w.rowPtr[j.groupTokens[q]][e] + 0.0f;
                        if (v != unknown) {
                            u += static_cast<double>(v);
                            seen = 1;
                        }
                    }
                    w.requestUtility[e] = u;
                    w.seen[e] = seen;
                }
            });
            x.phase([&](int tid) {
                for (int e = tid; e < N; e += nt) {
                    std::uint8_t keep = 0;
                    if (w.seen[e]) {
                        const double ue = w.requestUtility[e];
                        int r = 0;
                        for (int f = 0; f < N; ++f)
                            r += (w.seen[f] && (w.requestUtility[f] > ue || (w.requestUtility[f] == ue && f < e))) ? 1
                                                                                                                   : 0;
                        keep = r < m ? 1 : 0;
                    }
                    w.keep[(g - g0) * N + e] = keep;
                }
            });
        }
        // Batch utilities, adding the requests in ascending id as the CPU does.
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                double bu = 0;
                std::uint8_t member = 0;
                for (std::int64_t g = g0; g < g1; ++g) {
                    const std::int64_t a = j.groupStart[g];
                    const std::int64_t b = j.groupStart[g + 1];
                    const int t0 = j.groupTokens[a];
                    if (b - a == 1 && m <= w.kOf[t0]) {
                        for (int q = 0; q < m; ++q)
                            if (w.topIds[t0 * list + q] == e) {
                                bu += static_cast<double>(w.topScores[t0 * list + q]);
                                member = 1;
                            }
                    } else if (w.keep[(g - g0) * N + e]) {
                        double u = 0;
                        for (std::int64_t q = a; q < b; ++q) {
                            const float v = w.rowPtr[j.groupTokens[q]][e] + 0.0f;
                            if (v != unknown)
                                u += static_cast<double>(v);
                        }
                        bu += u;
                        member = 1;
                    }
                }
                w.batchUtility[e] = bu;
                w.inUnion[e] = member;
                if (member)
                    addInt(w.uniform + uUnion, 1);
            }
        });
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                if (!w.inUnion[e]) {
                    w.rank[e] = N;
                    continue;
                }
                const double ue = w.batchUtility[e];
                int r = 0;
                for (int f = 0; f < N; ++f)
                    r += (w.inUnion[f] && (w.batchUtility[f] > ue || (w.batchUtility[f] == ue && f < e))) ? 1 : 0;
                w.rank[e] = r;
                w.order[r] = e;
            }
        });
    }

    const std::int64_t record = static_cast<std::int64_t>(layer) * j.batches + batch;
    const int words = (N + 31) / 32;
    // Adds one budget's sums to this block's copy (one thread per budget: distinct words).
    auto addBudget = [&](int bi, int activated, double mass, int overlap, int unchanged, int peak, int peakTokens) {
        using U = unsigned long long;
        U* v = out.budgetInts + bi * kBudgetInts;
        v[kActivatedBase] += static_cast<U>(w.uniform[uActivatedBase]);
        v[kActivated] += static_cast<U>(activated);
        v[kOverlap] += static_cast<U>(overlap);
        v[kUnchanged] += static_cast<U>(unchanged);
        v[kRouted] += static_cast<U>(w.uniform[uRouted]);
        v[kPeakBase] += static_cast<U>(w.uniform[uPeakBase]);
        v[kPeak] += static_cast<U>(peak);
        v[kPeakTokensBase] += static_cast<U>(w.uniform[uPeakTokensBase]);
        v[kPeakTokens] += static_cast<U>(peakTokens);
        out.budgetMass[bi * 2] += w.uniformD[0];
        out.budgetMass[bi * 2 + 1] += mass;
        const std::int64_t li = (static_cast<std::int64_t>(bi) * L + layer) * 2;
        out.layerInts[li] += static_cast<U>(w.uniform[uActivatedBase]);
        out.layerInts[li + 1] += static_cast<U>(activated);
        out.layerMass[li] += w.uniformD[0];
        out.layerMass[li + 1] += mass;
        if (bi == 0 && j.records) {
            out.recordInts[record * 2] = w.uniform[uActivatedBase];
            out.recordInts[record * 2 + 1] = activated;
            out.recordMass[record * 2] = w.uniformD[0];
            out.recordMass[record * 2 + 1] = mass;
        }
    };

    if (j.sweep) {
        // Every budget from one pass: S(M) is the first M experts of the order. A token keeps
        // expert e from the budget at which e enters S until a better one pushes it out.
        const int len = w.uniform[uUnion];
        const int span = (N + 2) * G;
        x.phase([&](int tid) {
            for (int i = tid; i < span; i += nt) {
                w.deviceActive[i] = 0;
                w.deviceTokens[i] = 0;
            }
            for (int i = tid; i < N + 2; i += nt) {
                w.massDiff[i] = 0.0;
                w.overlapDiff[i] = 0;
                w.unchangedDiff[i] = 0;
            }
        });
        x.phase([&](int tid) {
            for (int t = tid; t < T; t += nt) {
                const int kt = w.kOf[t];
                if (kt == 0)
                    continue;
                const float* r = w.rowPtr[t];
                std::uint64_t keys[kMaxList];
                int enter[kMaxList];
                int count = 0;
                for (int p = 0; p < len; ++p) {
                    const int e = w.order[p];
                    const float v = r[e] + 0.0f;
                    if (v == unknown)
                        continue;
                    const std::uint64_t key = keyOf(v, e);
                    if (count == K && key > keys[K - 1]) {
                        const int d = idOfKey(keys[K - 1]);
                        const int a = enter[K - 1];
                        addDouble(w.massDiff + a + 1, static_cast<double>(scoreOfKey(keys[K - 1])));
                        addDouble(w.massDiff + p + 1, -static_cast<double>(scoreOfKey(keys[K - 1])));
                        addInt(w.deviceTokens + (a + 1) * G + j.device[d], 1);
                        addInt(w.deviceTokens + (p + 1) * G + j.device[d], -1);
                        maxInt(w.maxEnd + d, p + 1);
                    }
                    insertKey(keys, enter, count, K, key, p);
                }
                for (int q = 0; q < count; ++q) {
                    const int d = idOfKey(keys[q]);
                    addDouble(w.massDiff + enter[q] + 1, static_cast<double>(scoreOfKey(keys[q])));
                    addInt(w.deviceTokens + (enter[q] + 1) * G + j.device[d], 1);
                    maxInt(w.maxEnd + d, N + 1);
                }
                int last = -1;
                for (int q = 0; q < kt; ++q) {
                    const int rb = w.rank[w.topIds[t * list + q]];
                    if (rb < len)
                        addInt(w.overlapDiff + rb + 1, 1);
                    last = rb > last ? rb : last;
                }
                if (last < len)
                    addInt(w.unchangedDiff + last + 1, 1);
            }
        });
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                if (w.maxEnd[e] == 0)
                    continue;
                addInt(w.deviceActive + (w.rank[e] + 1) * G + j.device[e], 1);
                if (w.maxEnd[e] <= N)
                    addInt(w.deviceActive + w.maxEnd[e] * G + j.device[e], -1);
            }
        });
        x.phase([&](int tid) {
            for (int d = tid; d <= G; d += nt) {
                if (d < G) {
                    for (int mb = 1; mb <= N; ++mb) {
                        w.deviceActive[mb * G + d] += w.deviceActive[(mb - 1) * G + d];
                        w.deviceTokens[mb * G + d] += w.deviceTokens[(mb - 1) * G + d];
                    }
                } else {
                    for (int mb = 1; mb <= N; ++mb) {
                        w.massDiff[mb] += w.massDiff[mb - 1];
                        w.overlapDiff[mb] += w.overlapDiff[mb - 1];
                        w.unchangedDiff[mb] += w.unchangedDiff[mb - 1];
                    }
                }
            }
        });
        x.phase([&](int tid) {
            for (int bi = tid; bi < j.budgetCount; bi += nt) {
                const int M = j.budgets[bi];
                int activated = 0;
                int peak = 0;
                int peakTokens = 0;
                for (int d = 0; d < G; ++d) {
                    const int a = w.deviceActive[M * G + d];
                    const int tk = w.deviceTokens[M * G + d];
                    activated += a;
                    peak = a > peak ? a : peak;
                    peakTokens = tk > peakTokens ? tk : peakTokens;
                }
                addBudget(bi, activated, w.massDiff[M], w.overlapDiff[M], w.unchangedDiff[M], peak, peakTokens);
                if (bi == 0 && j.records)
                    for (int q = 0; q < words; ++q) {
                        std::uint32_t bits = 0;
                        for (int e = q * 32; e < N && e < q * 32 + 32; ++e)
                            bits |= (w.rank[e] < M ? 1u : 0u) << (e - q * 32);
                        out.recordSelected[record * words + q] = bits;
                    }
            }
            if (tid == 0)
                out.layerSlices[layer] += 1;
        });
        return;
    }

    // Budget by budget, each from its selected set (top-k: once, the same for every budget).
    const int rounds = j.policy == TopK ? 1 : j.budgetCount;
    for (int round = 0; round < rounds; ++round) {
        const int M = j.budgets[round];
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                w.selected[e] = j.policy == TopK ? 1 : (j.policy == ExpertParallel ? 0 : (w.rank[e] < M ? 1 : 0));
                w.used[e] = 0;
            }
            // The policy's per-device counts (the sweep's rows, unused here).
            for (int d = tid; d < G; d += nt) {
                w.deviceActive[d] = 0;
                w.deviceTokens[d] = 0;
            }
            if (tid == 0) {
                w.uniform[uActivated] = 0;
                w.uniform[uOverlap] = 0;
                w.uniform[uUnchanged] = 0;
            }
        });
        if (j.policy == ExpertParallel)
            x.phase([&](int tid) {
                if (tid != 0)
                    return;
                const int capacity = (M + G - 1) / G;
                for (int d = 0; d < G; ++d)
                    w.peakA[d] = 0;
                int taken = 0;
                for (int p = 0; p < N && taken < M; ++p) {
                    const int e = w.order[p];
                    if (w.peakA[j.device[e]] < capacity) {
                        ++w.peakA[j.device[e]];
                        w.selected[e] = 1;
                        ++taken;
                    }
                }
            });
        // Re-routing: each token's k best experts within the selected set.
        x.phase([&](int tid) {
            for (int t = tid; t < T; t += nt) {
                const int kt = w.kOf[t];
                w.tokKept[t] = 0.0;
                w.tokOverlap[t] = 0;
                if (kt == 0)
                    continue;
                bool all = true;
                for (int q = 0; q < kt; ++q)
                    all = all && w.selected[w.topIds[t * list + q]];
                if (all) {
                    for (int q = 0; q < kt; ++q)
                        addInt(w.used + w.topIds[t * list + q], 1);
                    w.tokKept[t] = w.tokMass[t];
                    w.tokOverlap[t] = kt;
                    continue;
                }
                const float* r = w.rowPtr[t];
                std::uint64_t keys[kMaxList];
                int ids[kMaxList];
                int count = 0;
                for (int e = 0; e < N; ++e) {
                    if (!w.selected[e])
                        continue;
                    const float v = r[e] + 0.0f;
                    if (v != unknown)
                        insertKey(keys, ids, count, K, keyOf(v, e), e);
                }
                double kept = 0;
                int overlap = 0;
                for (int q = 0; q < count; ++q) {
                    kept += static_cast<double>(scoreOfKey(keys[q]));
                    addInt(w.used + ids[q], 1);
                    for (int b = 0; b < kt; ++b)
                        overlap += w.topIds[t * list + b] == ids[q] ? 1 : 0;
                }
                w.tokKept[t] = kept;
                w.tokOverlap[t] = overlap;
            }
        });
        // Counts in parallel: experts, tokens, and the selected set's words.
        x.phase([&](int tid) {
            for (int e = tid; e < N; e += nt) {
                if (w.used[e] > 0) {
                    addInt(w.uniform + uActivated, 1);
                    addDeviceLoad(j, e, w.used[e], w.deviceActive, w.deviceTokens);
                }
                if (round == 0 && j.maps) {
                    // Activity per device (the placed device of each expert), as the CPU's maps count.
                    const int d = j.device[e];
                    if (w.baseCount[e] > 0) {
                        out.mapBase[static_cast<std::int64_t>(layer) * N + e] += 1;
                        addU64(out.deviceSums + d * 4, 1);
                        addU64(out.deviceSums + d * 4 + 2, w.baseCount[e]);
                    }
                    if (w.used[e] > 0) {
                        out.mapPolicy[static_cast<std::int64_t>(layer) * N + e] += 1;
                        addU64(out.deviceSums + d * 4 + 1, 1);
                        addU64(out.deviceSums + d * 4 + 3, w.used[e]);
                    }
                }
            }
            for (int t = tid; t < T; t += nt) {
                addInt(w.uniform + uOverlap, w.tokOverlap[t]);
                if (w.kOf[t] > 0 && w.tokOverlap[t] == w.kOf[t])
                    addInt(w.uniform + uUnchanged, 1);
            }
            if (round == 0 && j.records)
                for (int q = tid; q < words; q += nt) {
                    std::uint32_t bits = 0;
                    for (int e = q * 32; e < N && e < q * 32 + 32; ++e)
                        bits |= (w.selected[e] ? 1u : 0u) << (e - q * 32);
                    out.recordSelected[record * words + q] = bits;
                }
        });
        // The kept mass in token order, and this budget's sums (top-k: every budget's).
        x.phase([&](int tid) {
            if (tid != 0)
                return;
            double mass = 0;
            for (int t = 0; t < T; ++t)
                mass += w.tokKept[t];
            const int peak = largest(w.deviceActive, G);
            const int peakTokens = largest(w.deviceTokens, G);
            const int last = j.policy == TopK ? j.budgetCount : round + 1;
            for (int bi = round; bi < last; ++bi)
                addBudget(
                    bi, w.uniform[uActivated], mass, w.uniform[uOverlap], w.uniform[uUnchanged], peak, peakTokens);
            if (round + 1 == rounds)
                out.layerSlices[layer] += 1;
        });
    }
}

/// The sequential emulation of a block of `n` threads.
struct HostBlock {
    int n = 128;
    DS_HD int threads() const { return n; }
    template <class F> DS_HD void phase(F&& f) const
    {
        for (int t = 0; t < n; ++t)
            f(t);
    }
};

} // namespace deltascope::gpu::slice
