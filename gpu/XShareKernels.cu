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
__global__ void __launch_bounds__(kXShareThreads) xshareKernel(slice::Job job, slice::Outputs out,
    slice::Shape shape, char* scratch, std::size_t blockBytes, std::int64_t first, std::int64_t last)
{
    slice::Work w;
    slice::carve(scratch + static_cast<std::size_t>(blockIdx.x) * blockBytes, shape, w);
    const DeviceBlock block;
    for (std::int64_t s = first + blockIdx.x; s < last; s += gridDim.x)
        slice::runSlice(block, job, out, w, s);
}

} // namespace

std::string launchXShare(const slice::Job& job, const slice::Outputs& out, const slice::Shape& shape, char* scratch,
    std::size_t blockBytes, int blocks, std::int64_t first, std::int64_t last, void* stream)
{
    if (last <= first)
        return {};
    xshareKernel<<<blocks, kXShareThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        job, out, shape, scratch, blockBytes, first, last);
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? std::string() : std::string("XShare kernel launch: ") + cudaGetErrorString(e);
}

} // namespace deltascope::gpu
