// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/SampleDetail.h"

namespace deltascope::eval {

/// The sample view of a record of an Inspect log: its input, choices, target, the model's output,
/// each scorer's value and the answer it extracted, found again in its zip entry or .json log.
Result<SampleDetail> readInspectSampleDetail(const EvalRun& run, const SampleRecord& record);

} // namespace deltascope::eval
