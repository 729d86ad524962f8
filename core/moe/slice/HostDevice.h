// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Building blocks of the slice code that runs on the host and in CUDA kernels alike: the
// host/device marker, atomics (real ones on the device, plain updates on the host, where the
// executor runs one thread at a time), and the ordering keys of scores.
//
// C++17, no standard library beyond a few C headers and <type_traits>: nvcc compiles this file.

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define DELTASCOPE_HD __host__ __device__
#else
#define DELTASCOPE_HD
#endif

namespace deltascope::moe::slice {

DELTASCOPE_HD inline void addInt(std::int32_t* p, std::int32_t v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(reinterpret_cast<int*>(p), static_cast<int>(v));
#else
    *p += v;
#endif
}

DELTASCOPE_HD inline void maxInt(std::int32_t* p, std::int32_t v)
{
#if defined(__CUDA_ARCH__)
    atomicMax(reinterpret_cast<int*>(p), static_cast<int>(v));
#else
    if (*p < v)
        *p = v;
#endif
}

DELTASCOPE_HD inline void addU64(unsigned long long* p, long long v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(p, static_cast<unsigned long long>(v));
#else
    *p += static_cast<unsigned long long>(v);
#endif
}

DELTASCOPE_HD inline void addDouble(double* p, double v)
{
#if defined(__CUDA_ARCH__)
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

DELTASCOPE_HD inline float floatOfBits(std::uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

DELTASCOPE_HD inline std::uint32_t bitsOfFloat(float f)
{
    std::uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

constexpr std::uint32_t kUnknownBits = 0xff800000u; // -infinity: an expert without a score

DELTASCOPE_HD inline float unknownScore()
{
    return floatOfBits(kUnknownBits);
}

/// Orders candidates: the higher score first, then the lower id (larger keys are better). Valid
/// for the non-negative scores of a slice, whose bits order like their values.
DELTASCOPE_HD inline std::uint64_t keyOf(float score, int e)
{
    return (static_cast<std::uint64_t>(bitsOfFloat(score)) << 32)
        | static_cast<std::uint32_t>(~static_cast<std::uint32_t>(e));
}

DELTASCOPE_HD inline int idOfKey(std::uint64_t key)
{
    return static_cast<int>(~static_cast<std::uint32_t>(key));
}

DELTASCOPE_HD inline float scoreOfKey(std::uint64_t key)
{
    return floatOfBits(static_cast<std::uint32_t>(key >> 32));
}

/// Places key in a best-first list of at most cap keys holding count; returns the slot it took
/// (-1 when it did not make the list). `extra` travels with the keys.
DELTASCOPE_HD inline int insertKey(std::uint64_t* keys, int* extra, int& count, int cap, std::uint64_t key, int value)
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

/// The sequential executor: runs the phases of a block of `n` threads one thread after the other
/// (the CPU reference uses one thread; the GPU emulation several, so that strided loops wrap).
struct HostBlock {
    int n = 1;
    DELTASCOPE_HD int threads() const { return n; }
    template <class F> DELTASCOPE_HD void phase(F&& f) const
    {
        for (int t = 0; t < n; ++t)
            f(t);
    }
};

} // namespace deltascope::moe::slice
