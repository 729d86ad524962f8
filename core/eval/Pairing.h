// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/KeepList.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::eval {

/// The samples of one (task, filter) found on both sides, aligned pair by pair.
struct PairedTask {
    std::string task;
    std::string filter;
    std::string metric;
    bool higherIsBetter = true;
    bool binary = true; ///< every paired score is 0 or 1
    /// The scores are accuracies (0 or 1 in every run, even where reruns were averaged): margins
    /// are in points.
    bool rightOrWrong = false;
    std::vector<double> base; ///< baseline score of pair i
    std::vector<double> cand; ///< candidate score of pair i
    /// Word or byte count of pair i's document on each side, for corpus metrics (word_perplexity,
    /// byte_perplexity, bits_per_byte); empty for other metrics.
    std::vector<double> baseWeight;
    std::vector<double> candWeight;
    std::vector<std::uint32_t> baseIndex; ///< index into the baseline TaskSamples::samples
    std::vector<std::uint32_t> candIndex;
    int baseTask = -1; ///< index into EvalRun::tasks
    int candTask = -1;
    std::int64_t unmatchedBase = 0; ///< baseline samples with no candidate partner
    std::int64_t unmatchedCand = 0;
    std::int64_t duplicatesBase = 0; ///< repeated ids (the first occurrence is kept)
    std::int64_t duplicatesCand = 0;
    std::int64_t hashMismatches = 0; ///< pairs whose doc_hash or prompt_hash differ
    std::int64_t missingScores = 0; ///< pairs dropped because one side has no score
    /// Pairs kept although one side's score is infinitely bad (-inf on a higher-is-better score,
    /// a log-likelihood of a document the model calls impossible): the worst possible score.
    std::int64_t worstBase = 0;
    std::int64_t worstCand = 0;
    /// The samples a keep-list excluded that both runs have: tested on their own, so that a keep-list
    /// cannot hide a regression on the samples it left out (DESIGN 3.5).
    bool audit = false;
    /// Cluster of pair i (questions sharing a passage or subject), an index into clusterNames;
    /// empty when the comparison has no cluster key.
    std::vector<std::uint32_t> cluster;
    std::vector<std::string> clusterNames;
    std::string clusterKey;
    /// Samples on which the first two baseline runs disagree (the noise floor); -1 without reruns.
    std::int64_t noiseFlips = -1;
    std::vector<Diagnostic> warnings; ///< about this task

    // Summary of the pairs, filled by summarize() (pairRuns calls it).
    std::int64_t worse = 0; ///< pairs where the candidate scores worse (b for binary scores)
    std::int64_t better = 0; ///< pairs where it scores better (c)
    double sumBase = 0.0;
    double sumCand = 0.0;

    /// Computes binary, worse, better and the sums from base and cand.
    void summarize();

    /// Oriented difference of pair i: positive when the candidate is worse.
    double difference(std::size_t i) const { return higherIsBetter ? base[i] - cand[i] : cand[i] - base[i]; }
    std::int64_t duplicates() const { return duplicatesBase + duplicatesCand; }
};

struct PairedRuns {
    std::vector<PairedTask> tasks;
    std::vector<Diagnostic> warnings; ///< tasks on one side only, and the like
    std::vector<std::string> baselineOnly; ///< baseline tasks the candidate has not run ("task [filter]")
};

struct PairOptions {
    /// With a keep-list, each (task, filter) gives the row of the samples it keeps (none when it
    /// keeps none of them) followed by an audit row of the samples it excluded that both runs have
    /// (none when they share no such sample). Excluded samples only one run has are not unmatched.
    const KeepList* keepList = nullptr;
};

/// Two score tables without a task column are named after their files (gsm8k_fp16.csv,
/// gsm8k_q4.csv): when each side holds one such task, give `other`'s the reference's name so they
/// pair. Returns a note saying so, or nothing when no renaming was needed.
std::optional<Diagnostic> alignFileNamedTasks(const EvalRun& reference, EvalRun& other);

/// Several reruns of one side: each (task, filter, doc_id) gets the mean of its scores over the
/// reruns that have it. The first run's records (lines, offsets, hashes) are kept. Samples missing
/// from some reruns are counted in the returned warnings.
Result<EvalRun> averageReruns(std::vector<EvalRun> runs);

/// Pairs two runs on (task, filter, doc_id), never on line order.
PairedRuns pairRuns(const EvalRun& base, const EvalRun& cand, const PairOptions& options = {});

} // namespace deltascope::eval
