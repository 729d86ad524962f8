// SPDX-License-Identifier: GPL-3.0-or-later
#include "CudaXShare.h"

#include "XShareKernels.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cuda_runtime_api.h>
#include <optional>
#include <vector>

namespace deltascope::gpu {

namespace {

struct CudaError {
    std::string where;
    int line = 0;
    std::string what;
};

// Memory that grows on demand and is kept between runs: on the device, or pinned on the host
// (the staging buffers of streamed chunks).
template <bool Pinned> struct Buffer {
    void* p = nullptr;
    std::size_t bytes = 0;

    cudaError_t reserve(std::size_t n)
    {
        if (n <= bytes)
            return cudaSuccess;
        release();
        n = std::max<std::size_t>(n, 256);
        const cudaError_t e = Pinned ? cudaMallocHost(&p, n) : cudaMalloc(&p, n);
        if (e == cudaSuccess)
            bytes = n;
        else
            p = nullptr;
        return e;
    }
    void release()
    {
        if (p)
            Pinned ? cudaFreeHost(p) : cudaFree(p);
        p = nullptr;
        bytes = 0;
    }
    ~Buffer() { release(); }
};
using DeviceBuffer = Buffer<false>;
using PinnedBuffer = Buffer<true>;

// Host arrays laid out in one blob (16-byte aligned), uploaded with one copy.
class Blob {
public:
    template <class T> std::size_t add(const std::vector<T>& v)
    {
        const std::size_t at = (m_bytes.size() + 15) & ~static_cast<std::size_t>(15);
        m_bytes.resize(at + v.size() * sizeof(T));
        if (!v.empty())
            std::memcpy(m_bytes.data() + at, v.data(), v.size() * sizeof(T));
        return at;
    }
    const std::vector<char>& bytes() const { return m_bytes; }

private:
    std::vector<char> m_bytes;
};

std::size_t envChunkBytes()
{
    const char* v = std::getenv("DELTASCOPE_GPU_CHUNK_BYTES");
    return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : 0;
}

// What every launch of a run shares: the job with its device pointers, the outputs, the blocks.
struct Launch {
    slice::Job job;
    slice::Outputs out;
    unsigned long long* sums = nullptr; ///< every block's sums
    std::size_t sumsBytes = 0; ///< one block's
    char* scratch = nullptr;
    std::size_t blockBytes = 0;
    int blocks = 1;
    const std::int64_t* batchRows = nullptr; ///< the plan's token ids on the device
    char* outBase = nullptr;
    std::size_t outBytes = 0;
    std::size_t recordsAt = 0; ///< offsets in the outputs buffer: records, then the error
    std::size_t recordMassAt = 0;
    std::size_t recordSelectedAt = 0;
    std::size_t errorAt = 0;
};

using Clock = std::chrono::steady_clock;

// Reports progress; false (and `cancelled` set) once the listener asks to stop.
struct RunProgress {
    const Progress* progress;
    bool cancelled = false;
    bool operator()(double f)
    {
        if (!progress->report(f, "expert selection (GPU)"))
            cancelled = true;
        return !cancelled;
    }
};

#define DS_CUDA(call)                                                                                                  \
    do {                                                                                                               \
        const cudaError_t e_ = (call);                                                                                 \
        if (e_ != cudaSuccess) {                                                                                       \
            cudaGetLastError();                                                                                        \
            return Diagnostic::error(                                                                                  \
                __FILE__, __LINE__, std::string("CUDA error in ") + #call + ": " + cudaGetErrorString(e_));            \
        }                                                                                                              \
    } while (0)

#define DS_LAUNCH(text)                                                                                                \
    do {                                                                                                               \
        const std::string m_ = (text);                                                                                 \
        if (!m_.empty())                                                                                               \
            return Diagnostic::error(__FILE__, __LINE__, m_);                                                          \
    } while (0)

} // namespace

struct CudaXShare::State {
    DeviceBuffer scores, ids; // the resident trace
    // What the resident copy was made from: the trace's scores, and the object that owns them
    // (a new trace mapped at the same address must not find the old copy).
    const void* residentScores = nullptr;
    std::size_t residentBytes = 0;
    std::weak_ptr<const void> residentOwner;
    DeviceBuffer planBuffer, outputs, scratch;
    DeviceBuffer chunkScores[2], chunkIds[2];
    PinnedBuffer staging[2];
    cudaStream_t streams[2] { nullptr, nullptr };
    int multiprocessors = 0;
    std::size_t chunkBytes = 0;
    Stats stats;

    std::optional<Diagnostic> start();
    std::optional<Diagnostic> uploadPlan(const XSharePlan& plan, Launch& l);
    std::optional<Diagnostic> clearOutputs(const XSharePlan& plan, const HostOutputs& host, Launch& l);
    std::optional<Diagnostic> chunkLimit(std::size_t& limit);
    std::optional<Diagnostic> runResident(const moe::Trace& trace, const XSharePlan& plan, Launch& l,
        std::size_t idBytes, Clock::time_point t0, RunProgress& progress, bool segments);
    std::optional<Diagnostic> runStreamed(const moe::Trace& trace, const XSharePlan& plan, Launch& l, std::size_t limit,
        Clock::time_point t0, RunProgress& progress);
    std::optional<Diagnostic> fetch(const XSharePlan& plan, const Launch& l, HostOutputs& host);

    ~State()
    {
        for (auto& s : streams)
            if (s)
                cudaStreamDestroy(s);
    }
};

CudaXShare::CudaXShare()
    : d(std::make_unique<State>())
{
    d->chunkBytes = envChunkBytes();
}

CudaXShare::~CudaXShare() = default;

void CudaXShare::setChunkBytes(std::size_t bytes)
{
    d->chunkBytes = bytes;
}

const CudaXShare::Stats& CudaXShare::lastRun() const
{
    return d->stats;
}

std::size_t CudaXShare::scratchBytes(const XSharePlan& plan, int blocks)
{
    slice::Work w {};
    return slice::carve(nullptr, plan.shape, w) * static_cast<std::size_t>(std::max(1, blocks));
}

std::optional<Diagnostic> CudaXShare::State::start()
{
    if (multiprocessors != 0)
        return std::nullopt;
    int device = 0;
    DS_CUDA(cudaGetDevice(&device));
    DS_CUDA(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    for (auto& s : streams)
        // Blocking streams: the uploads and the clearing of the outputs (on the default
        // stream) are finished before a kernel on either stream starts.
        DS_CUDA(cudaStreamCreate(&s));
    return std::nullopt;
}

// The plan's arrays, one upload; the job points at them.
std::optional<Diagnostic> CudaXShare::State::uploadPlan(const XSharePlan& p, Launch& l)
{
    Blob planBlob;
    const auto oOffsets = planBlob.add(p.batchOffsets);
    const auto oRows = planBlob.add(p.batchRows);
    const auto oGroupTokens = planBlob.add(p.groupTokens);
    const auto oGroupStart = planBlob.add(p.groupStart);
    const auto oBatchGroups = planBlob.add(p.batchGroups);
    const auto oDevice = planBlob.add(p.device);
    const auto oReplicaStart = planBlob.add(p.replicaStart);
    const auto oReplicaDevices = planBlob.add(p.replicaDevices);
    const auto oBudgets = planBlob.add(p.budgets);
    DS_CUDA(planBuffer.reserve(planBlob.bytes().size()));
    DS_CUDA(cudaMemcpy(planBuffer.p, planBlob.bytes().data(), planBlob.bytes().size(), cudaMemcpyHostToDevice));
    auto* planBase = static_cast<char*>(planBuffer.p);
    slice::Job& job = l.job;
    job = p.job;
    job.batchOffsets = reinterpret_cast<const std::int64_t*>(planBase + oOffsets);
    job.groupTokens = reinterpret_cast<const std::int32_t*>(planBase + oGroupTokens);
    job.groupStart = reinterpret_cast<const std::int64_t*>(planBase + oGroupStart);
    job.batchGroups = reinterpret_cast<const std::int64_t*>(planBase + oBatchGroups);
    job.device = reinterpret_cast<const std::int32_t*>(planBase + oDevice);
    job.replicaStart
        = p.replicaStart.empty() ? nullptr : reinterpret_cast<const std::int32_t*>(planBase + oReplicaStart);
    job.replicaDevices = reinterpret_cast<const std::int32_t*>(planBase + oReplicaDevices);
    job.budgets = reinterpret_cast<const std::int32_t*>(planBase + oBudgets);
    l.batchRows = reinterpret_cast<const std::int64_t*>(planBase + oRows);

    // Blocks: as many as the device keeps resident (4 per multiprocessor), within 1 GiB of scratch
    // and 1 GiB of per-block sums; each has its scratch (sized by the query) and its own sums.
    l.blockBytes = scratchBytes(p, 1);
    l.sumsBytes = static_cast<std::size_t>(p.sums.words()) * sizeof(unsigned long long);
    constexpr std::size_t kLimit = std::size_t { 1 } << 30;
    const auto fit = static_cast<std::int64_t>(
        std::max<std::size_t>(1, kLimit / std::max<std::size_t>({ std::size_t { 1 }, l.blockBytes, l.sumsBytes })));
    l.blocks = static_cast<int>(std::max<std::int64_t>(
        1, std::min<std::int64_t>({ p.slices, static_cast<std::int64_t>(multiprocessors) * 4, fit })));
    DS_CUDA(scratch.reserve(l.blockBytes * static_cast<std::size_t>(l.blocks)));
    l.scratch = static_cast<char*>(scratch.p);
    stats.blocks = l.blocks;
    return std::nullopt;
}

// Outputs, zeroed: every block's sums, then the records and the error.
std::optional<Diagnostic> CudaXShare::State::clearOutputs(const XSharePlan&, const HostOutputs& host, Launch& l)
{
    std::size_t bytes = 0;
    auto place = [&](std::size_t n) {
        const std::size_t at = bytes;
        bytes = (at + n + 15) & ~static_cast<std::size_t>(15);
        return at;
    };
    const auto oSums = place(l.sumsBytes * static_cast<std::size_t>(l.blocks));
    l.recordsAt = place(host.recordInts.size() * sizeof(int));
    l.recordMassAt = place(host.recordMass.size() * sizeof(double));
    l.recordSelectedAt = place(host.recordSelected.size() * sizeof(std::uint32_t));
    l.errorAt = place(host.error.size() * sizeof(long long));
    l.outBytes = bytes;

    DS_CUDA(outputs.reserve(bytes));
    DS_CUDA(cudaMemsetAsync(outputs.p, 0, bytes, streams[0]));
    DS_CUDA(cudaStreamSynchronize(streams[0]));
    l.outBase = static_cast<char*>(outputs.p);
    l.sums = reinterpret_cast<unsigned long long*>(l.outBase + oSums);
    l.out = slice::Outputs {};
    l.out.recordInts = reinterpret_cast<int*>(l.outBase + l.recordsAt);
    l.out.recordMass = reinterpret_cast<double*>(l.outBase + l.recordMassAt);
    l.out.recordSelected = reinterpret_cast<std::uint32_t*>(l.outBase + l.recordSelectedAt);
    l.out.error = reinterpret_cast<long long*>(l.outBase + l.errorAt);
    return std::nullopt;
}

// Bytes of scores a run may keep on the device: the set chunk size, or 60% of the free memory.
std::optional<Diagnostic> CudaXShare::State::chunkLimit(std::size_t& limit)
{
    limit = chunkBytes;
    if (limit == 0) {
        std::size_t freeBytes = 0;
        std::size_t totalBytes = 0;
        DS_CUDA(cudaMemGetInfo(&freeBytes, &totalBytes));
        limit = (freeBytes + scores.bytes + ids.bytes) / 10 * 6;
    }
    return std::nullopt;
}

// Resident: uploaded once, kept for the next run on the same trace.
std::optional<Diagnostic> CudaXShare::State::runResident(const moe::Trace& trace, const XSharePlan& plan, Launch& l,
    std::size_t idBytes, Clock::time_point t0, RunProgress& progress, bool segmented)
{
    const std::size_t scoreBytes = trace.scoreBytes();
    const std::shared_ptr<const void> owner
        = trace.mapping ? std::shared_ptr<const void>(trace.mapping) : std::shared_ptr<const void>(trace.ownedScores);
    const auto previous = residentOwner.lock();
    const bool same = owner && previous && !owner.owner_before(previous) && !previous.owner_before(owner)
        && residentScores == trace.scores && residentBytes == scoreBytes + idBytes;
    if (!same) {
        residentScores = nullptr;
        residentOwner.reset();
        DS_CUDA(scores.reserve(scoreBytes));
        DS_CUDA(cudaMemcpy(scores.p, trace.scores, scoreBytes, cudaMemcpyHostToDevice));
        if (idBytes) {
            DS_CUDA(ids.reserve(idBytes));
            DS_CUDA(cudaMemcpy(ids.p, trace.topkIds, idBytes, cudaMemcpyHostToDevice));
        }
        DS_CUDA(cudaDeviceSynchronize()); // the pageable uploads have landed
        residentScores = trace.scores;
        residentBytes = scoreBytes + idBytes;
        residentOwner = owner;
    }
    const auto t1 = Clock::now();
    stats.uploadMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    slice::Job& job = l.job;
    job.scores = scores.p;
    job.ids = idBytes ? static_cast<const std::int32_t*>(ids.p) : nullptr;
    job.batchRows = l.batchRows;
    job.rowsOffset = 0;
    // Segments only to report progress; a run without a listener is one launch.
    const std::int64_t segments = segmented ? std::min<std::int64_t>(20, plan.slices) : 1;
    for (std::int64_t k = 0; k < segments && !progress.cancelled; ++k) {
        const std::int64_t a = plan.slices * k / segments;
        const std::int64_t b = plan.slices * (k + 1) / segments;
        DS_LAUNCH(launchXShare(
            job, l.out, plan.shape, plan.sums, l.sums, l.scratch, l.blockBytes, 0, l.blocks, a, b, streams[0]));
        if (segments > 1) {
            DS_CUDA(cudaStreamSynchronize(streams[0]));
            progress(static_cast<double>(b) / static_cast<double>(plan.slices));
        }
    }
    DS_CUDA(cudaStreamSynchronize(streams[0]));
    stats.kernelMs = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
    stats.chunks = 1;
    return std::nullopt;
}

// Streamed: batches grouped into chunks of at most half the limit, rows gathered in batch order on
// the host, copied and processed on alternating streams.
std::optional<Diagnostic> CudaXShare::State::runStreamed(const moe::Trace& trace, const XSharePlan& plan, Launch& l,
    std::size_t limit, Clock::time_point t0, RunProgress& progress)
{
    stats.streamed = true;
    residentScores = nullptr;
    residentOwner.reset();
    scores.release();
    ids.release();
    const std::int64_t L = trace.layers;
    const auto rb = rowBytes(trace);
    const auto perChunk = static_cast<std::int64_t>(std::max<std::size_t>(1, limit / 2 / (rb.scores + rb.ids)));
    const auto chunks = chunkBatches(plan, perChunk);
    const auto B = static_cast<double>(plan.batchOffsets.size() - 1);
    slice::Job& job = l.job;
    int chunk = 0;
    for (const auto& [b0, b1] : chunks) {
        if (progress.cancelled)
            break;
        const std::int64_t first = plan.batchOffsets[static_cast<std::size_t>(b0)];
        const auto rows = static_cast<std::size_t>(plan.batchOffsets[static_cast<std::size_t>(b1)] - first);
        const int i = chunk % 2;
        DS_CUDA(cudaStreamSynchronize(streams[i])); // its buffers are free again
        DS_CUDA(staging[i].reserve(rows * (rb.scores + rb.ids)));
        DS_CUDA(chunkScores[i].reserve(rows * rb.scores));
        if (rb.ids)
            DS_CUDA(chunkIds[i].reserve(rows * rb.ids));
        auto* stage = static_cast<char*>(staging[i].p);
        gatherRows(trace, plan, b0, b1, stage, stage + rows * rb.scores);
        DS_CUDA(cudaMemcpyAsync(chunkScores[i].p, stage, rows * rb.scores, cudaMemcpyHostToDevice, streams[i]));
        if (rb.ids)
            DS_CUDA(cudaMemcpyAsync(
                chunkIds[i].p, stage + rows * rb.scores, rows * rb.ids, cudaMemcpyHostToDevice, streams[i]));
        job.scores = chunkScores[i].p;
        job.ids = rb.ids ? static_cast<const std::int32_t*>(chunkIds[i].p) : nullptr;
        job.batchRows = nullptr;
        job.rowsOffset = first;
        // Both streams' kernels may run at once, so each has its own blocks (scratch and sums):
        // the second stream takes the upper half. With a single block the streams take turns.
        const int perStream = l.blocks > 1 ? l.blocks / 2 : 1;
        const int firstBlock = l.blocks > 1 && i ? perStream : 0;
        DS_LAUNCH(launchXShare(job, l.out, plan.shape, plan.sums, l.sums, l.scratch, l.blockBytes, firstBlock,
            perStream, b0 * L, b1 * L, streams[i]));
        if (l.blocks == 1)
            DS_CUDA(cudaStreamSynchronize(streams[i]));
        ++chunk;
        progress(static_cast<double>(b1) / B);
    }
    for (auto& s : streams)
        DS_CUDA(cudaStreamSynchronize(s));
    stats.chunks = chunk;
    stats.kernelMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return std::nullopt;
}

// The blocks' sums added up on the device (in block order), then the totals, records and error
// back to the host.
std::optional<Diagnostic> CudaXShare::State::fetch(const XSharePlan& plan, const Launch& l, HostOutputs& host)
{
    DS_LAUNCH(launchReduceSums(plan.sums, l.sums, l.blocks, streams[0]));
    DS_CUDA(cudaStreamSynchronize(streams[0]));
    DS_CUDA(cudaMemcpy(host.sums.data(), l.sums, l.sumsBytes, cudaMemcpyDeviceToHost));
    std::vector<char> back(l.outBytes - l.recordsAt);
    DS_CUDA(cudaMemcpy(back.data(), l.outBase + l.recordsAt, back.size(), cudaMemcpyDeviceToHost));
    auto copyBack = [&](auto& v, std::size_t at) {
        if (!v.empty())
            std::memcpy(v.data(), back.data() + (at - l.recordsAt), v.size() * sizeof(v[0]));
    };
    copyBack(host.recordInts, l.recordsAt);
    copyBack(host.recordMass, l.recordMassAt);
    copyBack(host.recordSelected, l.recordSelectedAt);
    copyBack(host.error, l.errorAt);
    return std::nullopt;
}

Result<moe::XShareResult> CudaXShare::run(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options)
{
    using R = Result<moe::XShareResult>;
    if (auto problem = moe::checkXShareOptions(trace, options))
        return R::failure(*problem);
    if (const auto why = gpuUnsupported(trace, options); !why.empty())
        return R::failure(Diagnostic::error({}, 0, "the GPU kernels cannot run this: " + why));
    d->stats = {};
    const XSharePlan plan = makePlan(trace, batches, options);
    const auto t0 = Clock::now();
    // The host keeps one copy of the sums: the totals the reduction leaves in block 0's.
    HostOutputs host;
    host.size(plan, 1);
    Launch l;
    std::size_t limit = 0;
    if (auto e = d->start())
        return R::failure(*e);
    if (auto e = d->uploadPlan(plan, l))
        return R::failure(*e);
    if (auto e = d->clearOutputs(plan, host, l))
        return R::failure(*e);
    if (auto e = d->chunkLimit(limit))
        return R::failure(*e);
    const std::size_t idBytes
        = trace.sparse ? static_cast<std::size_t>(trace.tokens * trace.layers * trace.topK) * sizeof(std::int32_t) : 0;
    RunProgress progress { &options.progress };
    auto e = trace.scoreBytes() + idBytes <= limit
        ? d->runResident(trace, plan, l, idBytes, t0, progress, static_cast<bool>(options.progress.callback))
        : d->runStreamed(trace, plan, l, limit, t0, progress);
    if (!e)
        e = d->fetch(plan, l, host);
    if (e)
        return R::failure(*e);
    if (auto bad = runError(trace, plan, host))
        return R::failure(*bad);
    R r;
    r.value = collect(trace, batches, options, plan, host, progress.cancelled);
    return r;
}

} // namespace deltascope::gpu
