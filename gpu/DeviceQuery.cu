// SPDX-License-Identifier: GPL-3.0-or-later
#include "DeviceQuery.h"

#include <cuda_runtime.h>

namespace deltascope::gpu {

std::vector<DeviceInfo> listDevices(std::string* why)
{
    std::vector<DeviceInfo> out;
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        if (why)
            *why = cudaGetErrorString(err);
        cudaGetLastError(); // clear the sticky error so later calls start clean
        return out;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop {};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
            continue;
        out.push_back({ i, prop.name, prop.major, prop.minor, prop.totalGlobalMem });
    }
    if (out.empty() && why)
        *why = "no CUDA device";
    return out;
}

} // namespace deltascope::gpu
