// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace deltascope::gpu {

/// A CUDA device as the runtime reports it.
struct DeviceInfo {
    int index = 0;
    std::string name;
    int computeMajor = 0;
    int computeMinor = 0;
    std::size_t memoryBytes = 0;
};

/// The CUDA devices usable by this process. Empty, never an error, when there is no GPU or no
/// driver; `why` then says what the runtime answered.
std::vector<DeviceInfo> listDevices(std::string* why = nullptr);

} // namespace deltascope::gpu
