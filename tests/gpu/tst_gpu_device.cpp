// SPDX-License-Identifier: GPL-3.0-or-later
// Plain CTest executable (no Qt): the CUDA side must answer "no device" cleanly on machines
// without a GPU or driver, and describe the device when there is one.
#include "DeviceQuery.h"

#include <cstdio>

int main()
{
    std::string why;
    const auto devices = deltascope::gpu::listDevices(&why);
    if (devices.empty()) {
        std::printf("SKIP: no CUDA device (%s)\n", why.c_str());
        return 77;
    }
    for (const auto& d : devices) {
        std::printf("device %d: %s, compute %d.%d, %zu MiB\n", d.index, d.name.c_str(), d.computeMajor, d.computeMinor,
            d.memoryBytes >> 20);
        if (d.name.empty() || d.memoryBytes == 0 || d.computeMajor <= 0) {
            std::printf("FAIL: incomplete device description\n");
            return 1;
        }
    }
    return 0;
}
