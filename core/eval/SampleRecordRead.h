// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Reading the fields of one lm-eval sample record (SamplesParser.cpp's records); not a public
// interface.
#include "eval/ClusterKey.h"
#include "eval/ScoreValue.h"

#include <cmath>
#include <cstdint>
#include <simdjson.h>
#include <string>
#include <string_view>

namespace deltascope::eval::record {

namespace od = simdjson::ondemand;

/// What one record says, as far as the comparison needs it.
struct Record {
    std::string docId;
    std::string filter;
    bool hasDocId = false;
    bool hasFilter = false;
    bool hasScore = false;
    double score = std::nan("");
    std::uint64_t docHash = 0;
    std::uint64_t promptHash = 0;
    double weight = 0; ///< the weight of a [loglikelihood, weight] corpus item
    bool goldPair = false; ///< the score was a [gold, prediction] list, read as their agreement
    bool nanScore = false; ///< the score is NaN: refused, or skipped with skipBadLines
    std::string problem; ///< why the score could not be read
    std::string repeatedKey; ///< a key this reader uses that the record gives twice (which one would count?)
    std::string cluster; ///< the value of the cluster key, when asked for and found
    detail::ClusterField clusterFound = detail::ClusterField::Missing;
};

// The cluster key split at its first dot: the top-level field and the path below it.
struct ClusterPath {
    std::string_view head;
    std::string_view rest;

    explicit ClusterPath(std::string_view key)
    {
        const auto dot = key.find('.');
        head = key.substr(0, dot);
        rest = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
    }
};

/// simdjson's message for an error code.
std::string errorText(simdjson::error_code e);

/// Reads one record's id, filter, hashes, the metric's score (and corpus weight) and its cluster.
simdjson::error_code readRecord(
    od::object obj, std::string_view metric, ScoreShape shape, const ClusterPath& cluster, Record& rec);

/// The metric from the first record: its "metrics" list (0.4.7+), else the first key that is not
/// one of lm-eval's fixed keys.
std::string metricFromFirstRecord(od::object obj);

} // namespace deltascope::eval::record
