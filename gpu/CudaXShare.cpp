#include "CudaXShare.h"

#include "XShareKernels.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cuda_runtime_api.h>
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

} // namespace

struct CudaXShare::State {
    DeviceBuffer scores, ids; // the resident trace
    // What the resident copy was made from: the trace's scores, and the object that owns them
    // (a new trace mapped at the same address must not find the old copy).
    const void* residentScores = nullptr;
    std::size_t residentBytes = 0;
    std::weak_ptr<const void> residentOwner;
    DeviceBuffer plan, outputs, scratch;
    DeviceBuffer chunkScores[2], chunkIds[2];
    PinnedBuffer staging[2];
    cudaStream_t streams[2] { nullptr, nullptr };
    int multiprocessors = 0;
    std::size_t chunkBytes = 0;
    Stats stats;

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

#define DS_CUDA(call)                                                                                                  \
    do {                                                                                                               \
        const cudaError_t e_ = (call);                                                                                 \
        if (e_ != cudaSuccess) {                                                                                       \
            cudaGetLastError();                                                                                        \
            return R::failure(Diagnostic::error(                                                                       \
                __FILE__, __LINE__, std::string("CUDA error in ") + #call + ": " + cudaGetErrorString(e_)));           \
        }                                                                                                              \
    } while (0)

#define DS_LAUNCH(text)                                                                                                \
    do {                                                                                                               \
        const std::string m_ = (text);                                                                                 \
        if (!m_.empty())                                                                                               \
            return R::failure(Diagnostic::error(__FILE__, __LINE__, m_));                                              \
    } while (0)

Result<moe::XShareResult> CudaXShare::run(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options)
{
    using R = Result<moe::XShareResult>;
    using Clock = std::chrono::steady_clock;
    if (auto problem = moe::checkXShareOptions(trace, options))
        return R::failure(*problem);
    if (const auto why = gpuUnsupported(trace, options); !why.empty())
        return R::failure(Diagnostic::error({}, 0, "the GPU kernels cannot run this: " + why));
    d->stats = {};
    XSharePlan plan = makePlan(trace, batches, options);
    const auto t0 = Clock::now();

    if (d->multiprocessors == 0) {
        int device = 0;
        DS_CUDA(cudaGetDevice(&device));
        DS_CUDA(cudaDeviceGetAttribute(&d->multiprocessors, cudaDevAttrMultiProcessorCount, device));
        for (auto& s : d->streams)
            // Blocking streams: the uploads and the clearing of the outputs (on the default
            // stream) are finished before a kernel on either stream starts.
            DS_CUDA(cudaStreamCreate(&s));
    }

    // The plan's arrays, one upload.
    Blob planBlob;
    const auto oOffsets = planBlob.add(plan.batchOffsets);
    const auto oRows = planBlob.add(plan.batchRows);
    const auto oGroupTokens = planBlob.add(plan.groupTokens);
    const auto oGroupStart = planBlob.add(plan.groupStart);
    const auto oBatchGroups = planBlob.add(plan.batchGroups);
    const auto oDevice = planBlob.add(plan.device);
    const auto oReplicaStart = planBlob.add(plan.replicaStart);
    const auto oReplicaDevices = planBlob.add(plan.replicaDevices);
    const auto oBudgets = planBlob.add(plan.budgets);
    DS_CUDA(d->plan.reserve(planBlob.bytes().size()));
    DS_CUDA(cudaMemcpy(d->plan.p, planBlob.bytes().data(), planBlob.bytes().size(), cudaMemcpyHostToDevice));
    auto* planBase = static_cast<char*>(d->plan.p);
    slice::Job job = plan.job;
    job.batchOffsets = reinterpret_cast<const std::int64_t*>(planBase + oOffsets);
    job.groupTokens = reinterpret_cast<const std::int32_t*>(planBase + oGroupTokens);
    job.groupStart = reinterpret_cast<const std::int64_t*>(planBase + oGroupStart);
    job.batchGroups = reinterpret_cast<const std::int64_t*>(planBase + oBatchGroups);
    job.device = reinterpret_cast<const std::int32_t*>(planBase + oDevice);
    job.replicaStart
        = plan.replicaStart.empty() ? nullptr : reinterpret_cast<const std::int32_t*>(planBase + oReplicaStart);
    job.replicaDevices = reinterpret_cast<const std::int32_t*>(planBase + oReplicaDevices);
    job.budgets = reinterpret_cast<const std::int32_t*>(planBase + oBudgets);

    // Blocks: as many as the device keeps resident (4 per multiprocessor), within 1 GiB of scratch
    // and 1 GiB of per-block sums; each has its scratch (sized by the query) and its own sums.
    const std::size_t blockBytes = scratchBytes(plan, 1);
    const auto sumsBytes = static_cast<std::size_t>(plan.sums.words()) * sizeof(unsigned long long);
    constexpr std::size_t kLimit = std::size_t { 1 } << 30;
    const auto fit = static_cast<std::int64_t>(
        std::max<std::size_t>(1, kLimit / std::max<std::size_t>({ std::size_t { 1 }, blockBytes, sumsBytes })));
    const int blocks = static_cast<int>(std::max<std::int64_t>(
        1, std::min<std::int64_t>({ plan.slices, static_cast<std::int64_t>(d->multiprocessors) * 4, fit })));
    DS_CUDA(d->scratch.reserve(blockBytes * static_cast<std::size_t>(blocks)));
    auto* scratch = static_cast<char*>(d->scratch.p);
    d->stats.blocks = blocks;

    // Outputs, zeroed: every block's sums, then the records and the error. The host keeps one
    // copy of the sums: the totals the reduction leaves in block 0's.
    HostOutputs host;
    host.size(plan, 1);
    std::size_t outBytes = 0;
    auto place = [&](std::size_t bytes) {
        const std::size_t at = outBytes;
        outBytes = (at + bytes + 15) & ~static_cast<std::size_t>(15);
        return at;
    };
    const auto oSums = place(sumsBytes * static_cast<std::size_t>(blocks));
    const auto oRecordInts = place(host.recordInts.size() * sizeof(int));
    const auto oRecordMass = place(host.recordMass.size() * sizeof(double));
    const auto oRecordSelected = place(host.recordSelected.size() * sizeof(std::uint32_t));
    const auto oError = place(host.error.size() * sizeof(long long));

    DS_CUDA(d->outputs.reserve(outBytes));
    DS_CUDA(cudaMemsetAsync(d->outputs.p, 0, outBytes, d->streams[0]));
    DS_CUDA(cudaStreamSynchronize(d->streams[0]));
    auto* outBase = static_cast<char*>(d->outputs.p);
    auto* sums = reinterpret_cast<unsigned long long*>(outBase + oSums);
    slice::Outputs out;
    out.recordInts = reinterpret_cast<int*>(outBase + oRecordInts);
    out.recordMass = reinterpret_cast<double*>(outBase + oRecordMass);
    out.recordSelected = reinterpret_cast<std::uint32_t*>(outBase + oRecordSelected);
    out.error = reinterpret_cast<long long*>(outBase + oError);

    const std::size_t scoreBytes = trace.scoreBytes();
    const std::size_t idBytes
        = trace.sparse ? static_cast<std::size_t>(trace.tokens * trace.layers * trace.topK) * sizeof(std::int32_t) : 0;
    std::size_t limit = d->chunkBytes;
    if (limit == 0) {
        std::size_t freeBytes = 0;
        std::size_t totalBytes = 0;
        DS_CUDA(cudaMemGetInfo(&freeBytes, &totalBytes));
        limit = (freeBytes + d->scores.bytes + d->ids.bytes) / 10 * 6;
    }
    const std::int64_t L = trace.layers;
    bool cancelled = false;
    auto progress = [&](double f) {
        if (!options.progress.report(f, "expert selection (GPU)"))
            cancelled = true;
        return !cancelled;
    };

    if (scoreBytes + idBytes <= limit) {
        // Resident: uploaded once, kept for the next run on the same trace.
        const std::shared_ptr<const void> owner = trace.mapping ? std::shared_ptr<const void>(trace.mapping)
                                                                : std::shared_ptr<const void>(trace.ownedScores);
        const auto previous = d->residentOwner.lock();
        const bool same = owner && previous && !owner.owner_before(previous) && !previous.owner_before(owner)
            && d->residentScores == trace.scores && d->residentBytes == scoreBytes + idBytes;
        if (!same) {
            d->residentScores = nullptr;
            d->residentOwner.reset();
            DS_CUDA(d->scores.reserve(scoreBytes));
            DS_CUDA(cudaMemcpy(d->scores.p, trace.scores, scoreBytes, cudaMemcpyHostToDevice));
            if (idBytes) {
                DS_CUDA(d->ids.reserve(idBytes));
                DS_CUDA(cudaMemcpy(d->ids.p, trace.topkIds, idBytes, cudaMemcpyHostToDevice));
            }
            DS_CUDA(cudaDeviceSynchronize()); // the pageable uploads have landed
            d->residentScores = trace.scores;
            d->residentBytes = scoreBytes + idBytes;
            d->residentOwner = owner;
        }
        const auto t1 = Clock::now();
        d->stats.uploadMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
        job.scores = d->scores.p;
        job.ids = idBytes ? static_cast<const std::int32_t*>(d->ids.p) : nullptr;
        job.batchRows = reinterpret_cast<const std::int64_t*>(planBase + oRows);
        job.rowsOffset = 0;
        // Segments only to report progress; a run without a listener is one launch.
        const std::int64_t segments = options.progress.callback ? std::min<std::int64_t>(20, plan.slices) : 1;
        for (std::int64_t k = 0; k < segments && !cancelled; ++k) {
            const std::int64_t a = plan.slices * k / segments;
            const std::int64_t b = plan.slices * (k + 1) / segments;
            DS_LAUNCH(launchXShare(
                job, out, plan.shape, plan.sums, sums, scratch, blockBytes, 0, blocks, a, b, d->streams[0]));
            if (segments > 1) {
                DS_CUDA(cudaStreamSynchronize(d->streams[0]));
                progress(static_cast<double>(b) / static_cast<double>(plan.slices));
            }
        }
        DS_CUDA(cudaStreamSynchronize(d->streams[0]));
        d->stats.kernelMs = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
        d->stats.chunks = 1;
    } else {
        // Streamed: batches grouped into chunks of at most half the limit, rows gathered in batch
        // order on the host, copied and processed on alternating streams.
        d->stats.streamed = true;
        d->residentScores = nullptr;
        d->residentOwner.reset();
        d->scores.release();
        d->ids.release();
        const auto rb = rowBytes(trace);
        const auto perChunk = static_cast<std::int64_t>(std::max<std::size_t>(1, limit / 2 / (rb.scores + rb.ids)));
        const auto chunks = chunkBatches(plan, perChunk);
        const auto B = static_cast<double>(batches.tokens.size());
        int chunk = 0;
        for (const auto& [b0, b1] : chunks) {
            if (cancelled)
                break;
            const std::int64_t first = plan.batchOffsets[static_cast<std::size_t>(b0)];
            const auto rows = static_cast<std::size_t>(plan.batchOffsets[static_cast<std::size_t>(b1)] - first);
            const int i = chunk % 2;
            DS_CUDA(cudaStreamSynchronize(d->streams[i])); // its buffers are free again
            DS_CUDA(d->staging[i].reserve(rows * (rb.scores + rb.ids)));
            DS_CUDA(d->chunkScores[i].reserve(rows * rb.scores));
            if (rb.ids)
                DS_CUDA(d->chunkIds[i].reserve(rows * rb.ids));
            auto* stage = static_cast<char*>(d->staging[i].p);
            gatherRows(trace, plan, b0, b1, stage, stage + rows * rb.scores);
            DS_CUDA(
                cudaMemcpyAsync(d->chunkScores[i].p, stage, rows * rb.scores, cudaMemcpyHostToDevice, d->streams[i]));
            if (rb.ids)
                DS_CUDA(cudaMemcpyAsync(
                    d->chunkIds[i].p, stage + rows * rb.scores, rows * rb.ids, cudaMemcpyHostToDevice, d->streams[i]));
            job.scores = d->chunkScores[i].p;
            job.ids = rb.ids ? static_cast<const std::int32_t*>(d->chunkIds[i].p) : nullptr;
            job.batchRows = nullptr;
            job.rowsOffset = first;
            // Both streams' kernels may run at once, so each has its own blocks (scratch and sums):
            // the second stream takes the upper half. With a single block the streams take turns.
            const int perStream = blocks > 1 ? blocks / 2 : 1;
            const int firstBlock = blocks > 1 && i ? perStream : 0;
            DS_LAUNCH(launchXShare(job, out, plan.shape, plan.sums, sums, scratch, blockBytes, firstBlock, perStream,
                b0 * L, b1 * L, d->streams[i]));
            if (blocks == 1)
                DS_CUDA(cudaStreamSynchronize(d->streams[i]));
            ++chunk;
            progress(static_cast<double>(b1) / B);
        }
        for (auto& s : d->streams)
            DS_CUDA(cudaStreamSynchronize(s));
        d->stats.chunks = chunk;
        d->stats.kernelMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    }

    // The blocks' sums added up on the device (in block order), then the totals, records and
    // error back.
    DS_LAUNCH(launchReduceSums(plan.sums, sums, blocks, d->streams[0]));
    DS_CUDA(cudaStreamSynchronize(d->streams[0]));
    DS_CUDA(cudaMemcpy(host.sums.data(), sums, sumsBytes, cudaMemcpyDeviceToHost));
    std::vector<char> back(outBytes - oRecordInts);
    DS_CUDA(cudaMemcpy(back.data(), outBase + oRecordInts, back.size(), cudaMemcpyDeviceToHost));
    auto fetch = [&](auto& v, std::size_t at) {
        if (!v.empty())
            std::memcpy(v.data(), back.data() + (at - oRecordInts), v.size() * sizeof(v[0]));
    };
    fetch(host.recordInts, oRecordInts);
    fetch(host.recordMass, oRecordMass);
    fetch(host.recordSelected, oRecordSelected);
    fetch(host.error, oError);
    if (auto e = runError(trace, plan, host))
        return R::failure(*e);
    R r;
    r.value = collect(trace, batches, options, plan, host, cancelled);
    return r;
}

} // namespace deltascope::gpu
