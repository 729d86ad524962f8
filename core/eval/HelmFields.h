// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the HELM reader (HelmRun.cpp, HelmDetail.cpp): what the entries of a run folder's
// files hold, read through simdjson's DOM.

#include <cstdint>
#include <optional>
#include <simdjson.h>
#include <string>
#include <string_view>

namespace deltascope::eval::helmfields {

inline constexpr const char* kStatsFile = "per_instance_stats.json";
/// A sample id's mark before its train trial ("id#trial2"); trial 0 has none.
inline constexpr const char* kTrialMark = "#trial";

/// Stats HELM keeps about every request (sizes, costs, timings): never a default metric.
bool bookkeeping(std::string_view name);

/// The text of a key of an object (a string, or a number written out); empty when absent.
std::string field(simdjson::dom::object o, const char* key);

/// The perturbation of an instance ("typos:0"), "none" for the plain one.
std::string perturbationOf(simdjson::dom::object entry);

/// The name of a stat; in an unperturbed entry, a stat computed on a perturbed input is named
/// after its perturbation ("exact_match@typos").
std::string statName(simdjson::dom::element stat, bool entryPerturbed);

/// One stat's per-instance value: its mean, else sum / count; nullopt when it counted nothing.
/// `problem` says what is wrong with a value that is not a number.
std::optional<double> statValue(simdjson::dom::element stat, std::string& problem);

/// Whether an element is the entry of (instance id, train trial, perturbation). `nested`: the
/// instance is under "instance" with its id in "id" (request states), else at the top with
/// "instance_id" (per-instance stats, predictions).
bool isInstance(
    simdjson::dom::element value, const std::string& id, std::int64_t trial, const std::string& filter, bool nested);

} // namespace deltascope::eval::helmfields
