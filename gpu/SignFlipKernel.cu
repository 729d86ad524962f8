#include "SignFlipKernel.h"
#include "stats/Philox.h"

#include <cuda_runtime.h>
#include <vector>

namespace deltascope::gpu {

namespace {

// One thread per permutation: it walks the samples in blocks of 128 (one Philox call each) and
// keeps the flipped sum of the current task; task results go to global counters.
__global__ void signFlipKernel(const long long* q, unsigned long long n, const unsigned long long* offsets, int tasks,
    unsigned long long permutations, unsigned long long seed, unsigned long long* upper, unsigned long long* lower)
{
    const unsigned long long p = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x;
    if (p >= permutations)
        return;
    long long total = 0;
    long long sum = 0;
    int task = 0;
    unsigned long long taskEnd = offsets[1];
    const unsigned long long blocks = (n + 127) / 128;
    for (unsigned long long b = 0; b < blocks; ++b) {
        const auto words = stats::Philox4x32::signBlock(seed, static_cast<unsigned>(p), static_cast<unsigned>(b));
        const unsigned long long first = b * 128;
        const unsigned long long last = first + 128 < n ? first + 128 : n;
        for (unsigned long long i = first; i < last; ++i) {
            while (i >= taskEnd) {
                atomicAdd(upper + task, sum <= 0 ? 1ULL : 0ULL);
                atomicAdd(lower + task, sum >= 0 ? 1ULL : 0ULL);
                total += sum;
                sum = 0;
                ++task;
                taskEnd = offsets[task + 1];
            }
            const unsigned j = static_cast<unsigned>(i - first);
            const long long bit = static_cast<long long>((words[j >> 5] >> (j & 31)) & 1u);
            sum += q[i] & -bit;
        }
    }
    for (; task < tasks; ++task) {
        atomicAdd(upper + task, sum <= 0 ? 1ULL : 0ULL);
        atomicAdd(lower + task, sum >= 0 ? 1ULL : 0ULL);
        total += sum;
        sum = 0;
    }
    atomicAdd(upper + tasks, total <= 0 ? 1ULL : 0ULL);
    atomicAdd(lower + tasks, total >= 0 ? 1ULL : 0ULL);
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

std::string signFlipCounts(const std::int64_t* q, std::size_t n, const std::size_t* offsets, std::size_t tasks,
    std::uint64_t permutations, std::uint64_t seed, std::uint64_t* upper, std::uint64_t* lower)
{
    std::string error;
    long long* dq = nullptr;
    unsigned long long* doff = nullptr;
    unsigned long long* dup = nullptr;
    unsigned long long* dlo = nullptr;
    std::vector<unsigned long long> off(offsets, offsets + tasks + 1);
    const int threads = 256;
    const auto grid = static_cast<unsigned>((permutations + threads - 1) / threads);
    DS_CUDA_CHECK(cudaMalloc(&dq, (n ? n : 1) * sizeof(long long)));
    DS_CUDA_CHECK(cudaMalloc(&doff, off.size() * sizeof(unsigned long long)));
    DS_CUDA_CHECK(cudaMalloc(&dup, (tasks + 1) * sizeof(unsigned long long)));
    DS_CUDA_CHECK(cudaMalloc(&dlo, (tasks + 1) * sizeof(unsigned long long)));
    if (n)
        DS_CUDA_CHECK(cudaMemcpy(dq, q, n * sizeof(long long), cudaMemcpyHostToDevice));
    DS_CUDA_CHECK(cudaMemcpy(doff, off.data(), off.size() * sizeof(unsigned long long), cudaMemcpyHostToDevice));
    DS_CUDA_CHECK(cudaMemset(dup, 0, (tasks + 1) * sizeof(unsigned long long)));
    DS_CUDA_CHECK(cudaMemset(dlo, 0, (tasks + 1) * sizeof(unsigned long long)));
    if (grid > 0) {
        signFlipKernel<<<grid, threads>>>(dq, n, doff, static_cast<int>(tasks), permutations, seed, dup, dlo);
        DS_CUDA_CHECK(cudaGetLastError());
    }
    DS_CUDA_CHECK(cudaMemcpy(upper, dup, (tasks + 1) * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
    DS_CUDA_CHECK(cudaMemcpy(lower, dlo, (tasks + 1) * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
done:
    cudaFree(dq);
    cudaFree(doff);
    cudaFree(dup);
    cudaFree(dlo);
    return error;
}

} // namespace deltascope::gpu
