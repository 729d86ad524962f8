// SPDX-License-Identifier: GPL-3.0-or-later
// Times what the expert workspace computes on a budget step: the first computation of a trace
// (every budget in one sweep, with the activation maps of each), then single budget steps, which
// read the sweep; then the same in the expert workspace itself (offscreen, 1366 x 768), each step
// timed until every view is drawn again. Prints the times and the threads the CPU backend used.
#include "common/MemoryReuse.h"
#include "experts/ExpertRun.h"
#include "experts/ExpertsPage.h"

#include <QApplication>
#include <QElapsedTimer>
#include <cstdio>
#include <thread>

using namespace deltascope;

int main(int argc, char** argv)
{
    deltascope::keepLargeBlocksForReuse(); // before the first large allocation
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_window_step TRACE [budget]\n");
        return 2;
    }
    const QString path = QString::fromLocal8Bit(argv[1]);
    QElapsedTimer clock;
    clock.start();
    auto trace = ui::openTraceFile(path, nullptr);
    if (!trace.ok()) {
        std::fprintf(stderr, "%s\n", trace.error->toString().c_str());
        return 2;
    }
    const double open = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    const auto& t = **trace.value;
    const int budget = argc > 2 ? std::atoi(argv[2]) : static_cast<int>(2 * t.topK);
    std::printf("trace %.3f GB, %lld experts, top-%lld; %u hardware thread(s); opened in %.0f ms\n",
        static_cast<double>(t.scoreBytes()) / 1e9, static_cast<long long>(t.experts), static_cast<long long>(t.topK),
        std::thread::hardware_concurrency(), open);
    clock.restart();
    auto first = ui::computeExperts(nullptr, *trace.value, path, {}, budget, nullptr);
    if (!first.ok()) {
        std::fprintf(stderr, "%s\n", first.error->toString().c_str());
        return 2;
    }
    std::printf(
        "first computation (every budget, maps of each): %8.1f ms\n", static_cast<double>(clock.nsecsElapsed()) / 1e6);
    ui::ExpertRunPtr run = *first.value;
    double worst = 0;
    double total = 0;
    const int steps = 8;
    for (int i = 1; i <= steps; ++i) {
        const int b = std::min<int>(static_cast<int>(t.experts), budget + i);
        clock.restart();
        auto next = ui::computeExperts(run, *trace.value, path, {}, b, nullptr);
        const double ms = static_cast<double>(clock.nsecsElapsed()) / 1e6;
        if (!next.ok()) {
            std::fprintf(stderr, "%s\n", next.error->toString().c_str());
            return 2;
        }
        run = *next.value;
        worst = std::max(worst, ms);
        total += ms;
    }
    std::printf("budget step (read from the sweep: %s): mean %.2f ms, worst %.2f ms over %d steps\n",
        run->fromSweep ? "yes" : "no", total / steps, worst, steps);

    // The workspace: open the trace, then step the budget; a step ends when the views are drawn.
    ui::ExpertsPage page;
    page.resize(1366, 768);
    page.show();
    clock.restart();
    page.openTrace(path);
    page.waitUntilIdle();
    page.grab();
    std::printf(
        "workspace: trace opened, computed and drawn in %.1f ms\n", static_cast<double>(clock.nsecsElapsed()) / 1e6);
    double drawnWorst = 0;
    double drawnTotal = 0;
    for (int i = 1; i <= steps; ++i) {
        const int b = std::min<int>(static_cast<int>(t.experts), budget + i);
        clock.restart();
        page.setBudget(b);
        page.waitUntilIdle();
        page.grab();
        const double ms = static_cast<double>(clock.nsecsElapsed()) / 1e6;
        drawnWorst = std::max(drawnWorst, ms);
        drawnTotal += ms;
    }
    std::printf("workspace budget step until drawn: mean %.1f ms, worst %.1f ms over %d steps\n", drawnTotal / steps,
        drawnWorst, steps);
    std::printf("RESULT step_ms=%.3f compute_ms=%.3f\n", drawnWorst, worst);
    return 0;
}
