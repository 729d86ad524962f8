// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The expert selection of one (layer, batch) slice (DESIGN 4.3, 4.4), written once: the CPU
// reference runs it with a sequential executor, the CUDA kernel with a thread block, the GPU
// emulation with a sequential block of several threads. The slice runs as a sequence of phases;
// within a phase, thread `tid` of `n` touches only the entries it owns or uses the atomics of
// HostDevice.h; between phases the block synchronises. Control flow between phases depends only on
// values every thread sees alike.
//
// Executor X: x.threads(), x.phase(f) calls f(tid) for every thread and then synchronises.
// Rows R: rows(t, room) returns token t's gating row (non-negative scores, -infinity for unknown
// ones in sparse traces), made in `room` (experts floats) when it has to be.
// Sink S: bad(t, e, what) for a score that cannot be ordered (1 NaN, 2 infinite, 3 negative);
// budget(bi, sums) once per budget, from one thread; selection(tid, n, w) with w.selected holding
// the first budget's selected set (records); activity(e, baseCount, used) per expert for the first
// budget; done(counted) from one thread at the end (counted: the slice has a routed token).
//
// Utilities are summed in double in token order; ties go to the lower id; the kept mass is summed
// in token order. C++17; nvcc compiles this file.

#include "moe/slice/SliceBudgets.h"
#include "moe/slice/SliceOrder.h"

namespace deltascope::moe::slice {

template <int Cap, class X, class R, class S>
DELTASCOPE_HD void selectSlice(const X& x, const SliceView& v, const Work& w, const R& rows, S& sink)
{
    const int list = listLength(v);
    resetSlice(x, v, w);
    baselinePhase<Cap>(x, v, w, rows, list, sink);
    if (v.policy != kTopK)
        utilityPhase(x, v, w);
    baselineSummary(x, v, w);
    if (v.policy == kBatch || v.policy == kExpertParallel)
        batchOrder(x, v, w);
    else if (v.policy == kSpeculative)
        speculativeOrder(x, v, w, list);
    if (sweeps(v))
        sweepBudgets<Cap>(x, v, w, sink);
    else
        budgetRounds<Cap>(x, v, w, list, sink);
    x.phase([&](int tid) {
        if (tid == 0)
            sink.done(w.uniform[uRouted] > 0);
    });
}

} // namespace deltascope::moe::slice
