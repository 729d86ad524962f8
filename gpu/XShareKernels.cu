// SPDX-License-Identifier: GPL-3.0-or-later
#include "XShareKernels.h"

#include <cuda_runtime.h>

namespace deltascope::gpu {

namespace {

struct DeviceBlock {
    __device__ int threads() const { return static_cast<int>(blockDim.x); }
    template <class F> __device__ void phase(F&& f) const
    {
        f(static_cast<int>(threadIdx.x));
        __syncthreads();
    }
};

// A persistent grid: block b takes slices first + b, first + b + gridDim.x, ... Every thread of a
// block works on the same slice, so the phases' barriers are reached by all of them.
__global__ void __launch_bounds__(kXShareThreads) xshareKernel(slice::Job job, slice::Outputs out, slice::Shape shape,
    slice::SumsLayout layout, unsigned long long* sums, char* scratch, std::size_t blockBytes, int firstBlock,
    std::int64_t first, std::int64_t last)
{
    const std::int64_t block = firstBlock + static_cast<std::int64_t>(blockIdx.x);
    slice::Work w;
    slice::carve(scratch + static_cast<std::size_t>(block) * blockBytes, shape, w);
    const slice::Outputs mine = slice::sumsOfBlock(out, layout, sums, block);
    const DeviceBlock x;
    for (std::int64_t s = first + blockIdx.x; s < last; s += gridDim.x)
        slice::runSlice(x, job, mine, w, s);
}

__global__ void reduceKernel(slice::SumsLayout layout, unsigned long long* sums, int blocks)
{
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < layout.words())
        slice::reduceSumsWord(layout, sums, blocks, i);
}

std::string lastError(const char* what)
{
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? std::string() : std::string(what) + ": " + cudaGetErrorString(e);
}

} // namespace

std::string launchXShare(const slice::Job& job, const slice::Outputs& out, const slice::Shape& shape,
    const slice::SumsLayout& layout, unsigned long long* sums, char* scratch, std::size_t blockBytes, int firstBlock,
    int blocks, std::int64_t first, std::int64_t last, void* stream)
{
    if (last <= first)
        return {};
    xshareKernel<<<blocks, kXShareThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        job, out, shape, layout, sums, scratch, blockBytes, firstBlock, first, last);
    return lastError("XShare kernel launch");
}

std::string launchReduceSums(const slice::SumsLayout& layout, unsigned long long* sums, int blocks, void* stream)
{
    const auto words = layout.words();
    const int threads = 256;
    const auto grid = static_cast<unsigned>((words + threads - 1) / threads);
    if (grid == 0 || blocks <= 1)
        return {};
    reduceKernel<<<grid, threads, 0, static_cast<cudaStream_t>(stream)>>>(layout, sums, blocks);
    return lastError("sums reduction launch");
}

} // namespace deltascope::gpu
