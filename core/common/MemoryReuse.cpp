// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/MemoryReuse.h"

#include <cstdlib> // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace deltascope {

namespace {
bool g_kept = false;
}

void keepLargeBlocksForReuse()
{
#if defined(__GLIBC__)
    // Blocks up to 32 MB (the most the C library accepts) come from the heap instead of a mapping
    // of their own, and up to 128 MB of free space at the heap's top stays mapped. The peak
    // resident size is what the largest moment of a load needs either way.
    constexpr int kMapThreshold = 32 << 20;
    constexpr int kTrimThreshold = 128 << 20;
    g_kept = mallopt(M_MMAP_THRESHOLD, kMapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#endif
}

bool largeBlocksKeptForReuse()
{
    return g_kept;
}

} // namespace deltascope
