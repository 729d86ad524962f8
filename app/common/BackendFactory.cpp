// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendFactory.h"

#include "FallbackBackend.h"
#include "backend/CpuBackend.h"
#include "deltascope/config.h"

#if DELTASCOPE_HAVE_CUDA
#include "CudaBackend.h"
#endif

#include <array>
#include <string_view>
#include <utility>

namespace deltascope::backends {

bool parseBackendKind(const std::string& text, BackendKind& out)
{
    if (text == "auto")
        out = BackendKind::Auto;
    else if (text == "cpu")
        out = BackendKind::Cpu;
    else if (text == "cuda")
        out = BackendKind::Cuda;
    else
        return false;
    return true;
}

std::string noGpuNote(const std::string& runtimeAnswer)
{
    // The CUDA runtime's error texts as a user of a laptop or a CI runner can act on them. The
    // runtime says "driver version is insufficient" also when no driver is installed at all.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> plain { {
        { "driver version is insufficient", "NVIDIA driver missing or older than this build's CUDA" },
        { "no CUDA-capable device", "no device found" },
        { "no CUDA device", "no device found" },
        { "stub library", "only the driver's stub library is installed" },
        { "busy or unavailable", "every device busy or unavailable" },
        { "forward compatibility", "forward-compatible driver on unsupported hardware" },
        { "unsupported display driver", "display driver and CUDA driver do not match" },
        { "not yet initialized", "the driver is not ready yet" },
        { "initialization error", "the driver failed to start" },
        { "not supported on this OS", "CUDA is not supported on this system" },
    } };
    std::string reason;
    for (const auto& [answer, words] : plain)
        if (runtimeAnswer.find(answer) != std::string::npos) {
            reason = words;
            break;
        }
    if (reason.empty()) {
        constexpr std::size_t longest = 80;
        reason = runtimeAnswer.empty() ? std::string("no reason given") : runtimeAnswer.substr(0, longest);
        if (runtimeAnswer.size() > longest)
            reason += "...";
    }
    return "no usable NVIDIA GPU (" + reason + "): running on the CPU";
}

// The one place that knows whether this build has CUDA.
std::unique_ptr<backend::ComputeBackend> makeBackend(BackendKind kind, std::string& note)
{
    note.clear();
    if (kind == BackendKind::Cpu)
        return std::make_unique<backend::CpuBackend>();
#if DELTASCOPE_HAVE_CUDA
    std::string why;
    if (auto cuda = gpu::makeCudaBackend(why))
        return std::make_unique<FallbackBackend>(std::move(cuda));
    note = noGpuNote(why);
#else
    note = "no usable NVIDIA GPU (this build has no CUDA support): running on the CPU";
#endif
    return std::make_unique<backend::CpuBackend>();
}

} // namespace deltascope::backends
