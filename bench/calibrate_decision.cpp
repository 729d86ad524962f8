// SPDX-License-Identifier: GPL-3.0-or-later
// Calibration of the comparison's decision by simulation. Prints figures; not a test.
//   calibrate_decision [replicates] [permutations] [mixed|margin|clusters|all]
// mixed (DESIGN 3.3): how often a mixed suite is called degraded when nothing changed, and what a
//   noisy continuous task costs the detection of a real binary drop;
// margin (3.6): at the boundary (true drop = margin) how often "no worse than the margin" is claimed;
// clusters (3.6): a null with intra-cluster correlation 0.5, with and without the cluster key.
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

// At the boundary of the margin: a true drop equal to it. Returns how often the non-inferiority
// test rejects (the verdict claims less often still: a drop that large is often called degraded).
struct Boundary {
    Rate rejects; ///< the non-inferiority test alone
    Rate claims; ///< the verdict "no worse than the margin"
};

Boundary marginBoundary(int replicates, int n, double flipRate, double margin, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    report::CompareSettings s;
    s.margins.all = report::Margin { margin * 100.0, false };
    Boundary r;
    for (int k = 0; k < replicates; ++k) {
        eval::PairedRuns paired;
        paired.tasks.push_back(binaryTask(rng, n, flipRate, margin));
        const auto rep = report::buildReport({}, {}, paired, s);
        r.rejects.hits += rep.tasks[0].pNonInferiority < s.alpha ? 1 : 0;
        r.claims.hits += rep.verdict == "no_worse_than_margin" ? 1 : 0;
        ++r.rejects.runs;
        ++r.claims.runs;
    }
    return r;
}

// A null with clustered items: K clusters of m questions, differences u_k + e_i with equal variances
// (intra-cluster correlation 0.5). Returns the false-positive rate with or without the cluster key.
Rate clusteredNull(
    int replicates, std::uint64_t permutations, int clusters, int perCluster, bool useClusters, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    report::CompareSettings s;
    s.permutations = permutations;
    s.maxPermutations = permutations;
    Rate r;
    for (int k = 0; k < replicates; ++k) {
        eval::PairedTask t;
        t.task = "reading";
        t.metric = "f1";
        for (int c = 0; c < clusters; ++c) {
            const double u = nd(rng);
            t.clusterNames.push_back("passage " + std::to_string(c));
            for (int i = 0; i < perCluster; ++i) {
                t.base.push_back(std::round((u + nd(rng)) * 1e4) / 1e4);
                t.cand.push_back(0.0);
                t.cluster.push_back(static_cast<std::uint32_t>(c));
            }
        }
        t.clusterKey = "passage";
        if (!useClusters) {
            t.cluster.clear();
            t.clusterNames.clear();
            t.clusterKey.clear();
        }
        t.summarize();
        eval::PairedRuns paired;
        paired.tasks.push_back(std::move(t));
        s.seed = static_cast<std::uint64_t>(k);
        r.hits += report::buildReport({}, {}, paired, s).degraded ? 1 : 0;
        ++r.runs;
    }
    return r;
}

void mixedSuites(int replicates, std::uint64_t permutations);

int main(int argc, char** argv)
{
    const int replicates = argc > 1 ? std::atoi(argv[1]) : 1000;
    const std::uint64_t permutations = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000;
    const std::string mode = argc > 3 ? argv[3] : "all";
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == "mixed" || mode == "all")
        mixedSuites(replicates, permutations);
    if (mode == "margin" || mode == "all") {
        std::printf(
            "\nnon-inferiority at the boundary (true drop = margin), binary task, flip rate 0.10, alpha = 0.05\n");
        std::printf("n       margin   test rejects H0        verdict claims it (must be <= 0.05)\n");
        for (const int n : { 200, 1000, 5000 })
            for (const double m : { 0.01, 0.02, 0.05 }) {
                const auto r = marginBoundary(replicates, n, 0.1, m, 17 + static_cast<std::uint64_t>(n));
                std::printf("%-7d %-8.2f %.3f +- %.3f          %.3f +- %.3f\n", n, 100 * m, r.rejects.value(),
                    r.rejects.se(), r.claims.value(), r.claims.se());
            }
    }
    if (mode == "clusters" || mode == "all") {
        std::printf("\nclustered null: 40 passages x 10 questions, intra-cluster correlation 0.5, alpha = 0.05\n");
        const auto with = clusteredNull(replicates, permutations, 40, 10, true, 5);
        const auto without = clusteredNull(replicates, permutations, 40, 10, false, 5);
        std::printf("false positives with --cluster : %.3f +- %.3f (must be <= 0.05)\n", with.value(), with.se());
        std::printf("false positives without it     : %.3f +- %.3f\n", without.value(), without.se());
    }
    std::printf("\n%.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return 0;
}

void mixedSuites(int replicates, std::uint64_t permutations)
{
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
}
