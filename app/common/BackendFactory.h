#pragma once

#include "backend/ComputeBackend.h"

#include <memory>
#include <string>

namespace deltascope::backends {

enum class BackendKind { Auto, Cpu, Cuda };

/// "auto", "cpu" or "cuda"; false for anything else.
bool parseBackendKind(const std::string& text, BackendKind& out);

/// Creates the one backend a program uses. Auto and Cuda give the CUDA backend when this build has
/// CUDA and a device answers, wrapped so that whatever the device cannot run (a device error, a
/// configuration the kernels do not support) runs on the CPU instead, with a note in the result's
/// warnings and `ranOn` saying CPU. Otherwise the CPU backend, with `note` saying why (no device,
/// no driver, or a build without CUDA). `note` stays empty when the request was met as asked.
std::unique_ptr<backend::ComputeBackend> makeBackend(BackendKind kind, std::string& note);

} // namespace deltascope::backends
