// SPDX-License-Identifier: GPL-3.0-or-later
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

/// The note of a program that runs on the CPU because no GPU can be used: "no usable NVIDIA GPU
/// (REASON): running on the CPU". REASON is a few plain words made from what the CUDA runtime
/// answered (`runtimeAnswer`, its error text), or its answer itself when it is not a known one.
std::string noGpuNote(const std::string& runtimeAnswer);

} // namespace deltascope::backends
