// SPDX-License-Identifier: GPL-3.0-or-later
#include "SignFlipKernel.h"
#include "stats/Philox.h"

#include <cuda_runtime.h>
#include <vector>

namespace deltascope::gpu {

namespace {

// One thread per permutation: it walks the samples in blocks of 128 (one Philox call each) and
// writes the flipped sum of each task to its row of `sums`.
__global__ void signFlipKernel(const long long* q, unsigned long long n, const unsigned long long* offsets, int tasks,
    unsigned long long first, unsigned long long count, unsigned long long seed, long long* sums)
{
    const unsigned long long k = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x;
    if (k >= count)
        return;
    const unsigned long long p = first + k;
    long long* row = sums + k * static_cast<unsigned long long>(tasks);
    long long sum = 0;
    int task = 0;
    unsigned long long taskEnd = offsets[1];
    const unsigned long long blocks = (n + 127) / 128;
    for (unsigned long long b = 0; b < blocks; ++b) {
        const auto words = stats::Philox4x32::signBlock(seed, static_cast<unsigned>(p), static_cast<unsigned>(b));
        const unsigned long long begin = b * 128;
        const unsigned long long last = begin + 128 < n ? begin + 128 : n;
        for (unsigned long long i = begin; i < last; ++i) {
            while (i >= taskEnd) {
                row[task] = sum;
                sum = 0;
                ++task;
                taskEnd = offsets[task + 1];
            }
            const unsigned j = static_cast<unsigned>(i - begin);
            const long long bit = static_cast<long long>((words[j >> 5] >> (j & 31)) & 1u);
            sum += q[i] & -bit;
        }
    }
    for (; task < tasks; ++task) {
        row[task] = sum;
        sum = 0;
    }
}

std::string failure(cudaError_t e, const char* file, int line)
{
    return std::string(file) + ":" + std::to_string(line) + ": CUDA error: " + cudaGetErrorString(e);
}

} // namespace

#define DS_CUDA_CHECK(call)                                                                                            \
    do {                                                                                                               \
        const cudaError_t e_ = (call);                                                                                 \
        if (e_ != cudaSuccess) {                                                                                       \
            error = failure(e_, __FILE__, __LINE__);                                                                   \
            goto done;                                                                                                 \
        }                                                                                                              \
    } while (0)

std::string signFlipSums(const std::int64_t* q, std::size_t n, const std::size_t* offsets, std::size_t tasks,
    std::uint64_t first, std::uint64_t count, std::uint64_t seed, std::int64_t* sums)
{
    std::string error;
    long long* dq = nullptr;
    unsigned long long* doff = nullptr;
    long long* dsums = nullptr;
    std::vector<unsigned long long> off(offsets, offsets + tasks + 1);
    const int threads = 256;
    const auto grid = static_cast<unsigned>((count + threads - 1) / threads);
    const std::size_t cells = static_cast<std::size_t>(count) * tasks;
    const std::size_t sumBytes = (cells > 0 ? cells : 1) * sizeof(long long);
    DS_CUDA_CHECK(cudaMalloc(&dq, (n ? n : 1) * sizeof(long long)));
    DS_CUDA_CHECK(cudaMalloc(&doff, off.size() * sizeof(unsigned long long)));
    DS_CUDA_CHECK(cudaMalloc(&dsums, sumBytes));
    if (n)
        DS_CUDA_CHECK(cudaMemcpy(dq, q, n * sizeof(long long), cudaMemcpyHostToDevice));
    DS_CUDA_CHECK(cudaMemcpy(doff, off.data(), off.size() * sizeof(unsigned long long), cudaMemcpyHostToDevice));
    if (grid > 0 && tasks > 0) {
        signFlipKernel<<<grid, threads>>>(dq, n, doff, static_cast<int>(tasks), first, count, seed, dsums);
        DS_CUDA_CHECK(cudaGetLastError());
        DS_CUDA_CHECK(cudaMemcpy(sums, dsums, count * tasks * sizeof(long long), cudaMemcpyDeviceToHost));
    }
done:
    cudaFree(dq);
    cudaFree(doff);
    cudaFree(dsums);
    return error;
}

} // namespace deltascope::gpu
