// Calibration of the comparison's decision on simulated mixed suites (DESIGN 3.3): how often a
// comparison is called degraded when nothing changed, and how much a noisy continuous task costs
// the detection of a real binary drop. Prints figures; not a test.
//   calibrate_decision [replicates] [permutations]
#include "eval/Pairing.h"
#include "report/ComparisonReport.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace deltascope;

namespace {

// n questions with a baseline accuracy of 0.7; each answer flips with probability flipRate,
// regressions more often than improvements by `drop`.
eval::PairedTask binaryTask(std::mt19937_64& rng, int n, double flipRate, double drop)
{
    eval::PairedTask t;
    t.task = "accuracy";
    t.metric = "acc";
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double pRegress = (flipRate + drop) / 2.0;
    const double pImprove = (flipRate - drop) / 2.0;
    for (int i = 0; i < n; ++i) {
        const double x = u(rng);
        double b = u(rng) < 0.7 ? 1.0 : 0.0;
        double c = b;
        if (x < pRegress) {
            b = 1.0;
            c = 0.0;
        } else if (x < pRegress + pImprove) {
            b = 0.0;
            c = 1.0;
        }
        t.base.push_back(b);
        t.cand.push_back(c);
    }
    t.summarize();
    return t;
}

// Per-document log-likelihoods about 1000 times the binary task's scale, with no true change.
eval::PairedTask continuousTask(std::mt19937_64& rng, int n)
{
    eval::PairedTask t;
    t.task = "wikitext";
    t.metric = "word_perplexity";
    std::normal_distribution<double> doc(-1500.0, 400.0);
    std::normal_distribution<double> noise(0.0, 1000.0);
    for (int i = 0; i < n; ++i) {
        const double d = std::round(doc(rng) * 100.0) / 100.0;
        t.base.push_back(d);
        t.cand.push_back(std::round((d + noise(rng)) * 100.0) / 100.0);
    }
    t.summarize();
    return t;
}

struct Rate {
    int hits = 0;
    int runs = 0;
    double value() const { return runs ? static_cast<double>(hits) / runs : 0.0; }
    double se() const { return runs ? std::sqrt(value() * (1.0 - value()) / runs) : 0.0; }
};

enum class Second { None, Continuous, Binary };

Rate simulate(int replicates, std::uint64_t permutations, int n, double drop, Second second, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    report::CompareSettings s;
    s.permutations = permutations;
    s.maxPermutations = permutations;
    Rate r;
    for (int k = 0; k < replicates; ++k) {
        eval::PairedRuns paired;
        paired.tasks.push_back(binaryTask(rng, n, 0.1, drop));
        if (second == Second::Continuous)
            paired.tasks.push_back(continuousTask(rng, 500));
        if (second == Second::Binary) {
            paired.tasks.push_back(binaryTask(rng, 500, 0.1, 0.0));
            paired.tasks.back().task = "second";
        }
        s.seed = static_cast<std::uint64_t>(k);
        const auto rep = report::buildReport({}, {}, paired, s);
        r.hits += rep.degraded ? 1 : 0;
        ++r.runs;
    }
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    const int replicates = argc > 1 ? std::atoi(argv[1]) : 1000;
    const std::uint64_t permutations = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000;
    const auto t0 = std::chrono::steady_clock::now();
    std::printf("mixed-suite calibration: %d replicates, %llu permutations each, alpha = 0.05\n", replicates,
        static_cast<unsigned long long>(permutations));
    std::printf("binary task: flip rate 0.10; continuous task: 500 documents, log-likelihood noise sd 1000 (about "
                "1000x the binary scale)\n\n");
    const auto nullMixed = simulate(replicates, permutations, 2000, 0.0, Second::Continuous, 1);
    std::printf("both null (n = 2000), mixed suite: degraded in %.3f +- %.3f of runs (must be <= 0.05)\n\n",
        nullMixed.value(), nullMixed.se());
    std::printf("1.5-point drop   binary alone    + continuous task   ratio (>= 0.75)   + a null binary task\n");
    for (const int n : { 1000, 2000, 4000, 6000 }) {
        const auto seed = static_cast<std::uint64_t>(n);
        const auto alone = simulate(replicates, permutations, n, 0.015, Second::None, 2 + seed);
        const auto mixed = simulate(replicates, permutations, n, 0.015, Second::Continuous, 3 + seed);
        const auto twoBinary = simulate(replicates, permutations, n, 0.015, Second::Binary, 4 + seed);
        std::printf("n = %-5d        %.3f +- %.3f   %.3f +- %.3f       %.3f             %.3f +- %.3f\n", n,
            alone.value(), alone.se(), mixed.value(), mixed.se(),
            alone.value() > 0 ? mixed.value() / alone.value() : 0.0, twoBinary.value(), twoBinary.se());
    }
    std::printf("\nAlone, the binary task is decided at alpha; with any second task every test is held to alpha/3. "
                "The continuous task costs what a second binary task costs (last column): it no longer masks the "
                "drop.\n");
    std::printf("\n%.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return 0;
}
