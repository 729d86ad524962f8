// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>

#if defined(__CUDACC__)
#define DELTASCOPE_HD __host__ __device__
#else
#define DELTASCOPE_HD
#endif

namespace deltascope::stats {

/// Philox4x32-10 counter-based generator (Salmon et al., SC'11). The same (key, counter) gives the
/// same four words on every backend, which is what makes CPU and GPU permutation tests identical.
struct Philox4x32 {
    using Counter = std::array<std::uint32_t, 4>;
    using Key = std::array<std::uint32_t, 2>;

    static DELTASCOPE_HD Counter generate(Counter ctr, Key key)
    {
        for (int round = 0; round < 10; ++round) {
            if (round > 0) {
                key[0] += 0x9E3779B9u;
                key[1] += 0xBB67AE85u;
            }
            const std::uint64_t p0 = std::uint64_t { 0xD2511F53u } * ctr[0];
            const std::uint64_t p1 = std::uint64_t { 0xCD9E8D57u } * ctr[2];
            const auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
            const auto lo0 = static_cast<std::uint32_t>(p0);
            const auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
            const auto lo1 = static_cast<std::uint32_t>(p1);
            ctr = { hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0 };
        }
        return ctr;
    }

    /// The stream layout of the sign-flip test: key = the 64-bit seed, counter = (permutation,
    /// block of 128 samples). Bit j of word w decides the sign of sample 128 * block + 32 * w + j.
    static DELTASCOPE_HD Counter signBlock(std::uint64_t seed, std::uint32_t permutation, std::uint32_t block)
    {
        return generate({ permutation, block, 0u, 0u },
            { static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32) });
    }
};

} // namespace deltascope::stats
