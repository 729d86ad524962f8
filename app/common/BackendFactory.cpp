#include "BackendFactory.h"

#include "FallbackBackend.h"
#include "backend/CpuBackend.h"
#include "deltascope/config.h"

#if DELTASCOPE_HAVE_CUDA
#include "CudaBackend.h"
#endif

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
    note = "no CUDA device available (" + why + "); running on the CPU";
#else
    note = "this build has no CUDA support; running on the CPU";
#endif
    return std::make_unique<backend::CpuBackend>();
}

} // namespace deltascope::backends
