// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "moe/Trace.h"

#include <string>

namespace deltascope::moe {

/// Opens a native Deltascope trace (safetensors; DESIGN 4.1) by memory-mapping it. The header is
/// validated against the file size before anything is allocated: tensor shapes, dtypes and data
/// offsets must agree, and nothing a header merely claims is trusted.
Result<Trace> readTraceFile(const std::string& path);

/// Writes a trace in the native format (scores as F32, F16 or BF16), atomically.
/// Returns an empty string on success, else the reason.
std::string writeTraceFile(const std::string& path, const Trace& trace, ScoreType scoreType = ScoreType::F32);

} // namespace deltascope::moe
