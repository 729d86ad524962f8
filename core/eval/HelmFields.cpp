// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/HelmFields.h"

#include "eval/HelmJson.h"

namespace deltascope::eval::helmfields {

using namespace helmjson;
using simdjson::dom::element;
using simdjson::dom::object;

// Stats HELM keeps about every request (sizes, costs, timings): never a default metric.
bool bookkeeping(std::string_view name)
{
    for (const char* prefix :
        { "num_", "finish_reason", "training_", "inference_", "batch_size", "prompt_truncated", "max_prob", "logprob" })
        if (name.starts_with(prefix))
            return true;
    return false;
}

std::string field(object o, const char* key)
{
    element v;
    bool ok = false;
    if (o.at_key(key).get(v))
        return {};
    auto s = scalarText(v, ok);
    return ok ? s : std::string();
}

std::string perturbationOf(object entry)
{
    element p;
    object po;
    if (entry.at_key("perturbation").get(p) || p.get_object().get(po))
        return "none";
    std::string name = field(po, "name");
    if (name.empty())
        return "none";
    const std::string seed = field(po, "seed");
    return seed.empty() ? name : name + ":" + seed;
}

// The names of a stat: {"name": {"name": "exact_match", "split": "test", ...}, ...}. In an
// unperturbed entry, a stat computed on a perturbed input ("perturbation" inside its name) is
// another quantity than the plain metric of that name: it is named after its perturbation
// ("exact_match@typos"), so that it never stands in for the plain one. (A perturbed entry's stats
// all carry its own perturbation.)
std::string statName(element stat, bool entryPerturbed)
{
    object so;
    element n;
    object no;
    if (stat.get_object().get(so) || so.at_key("name").get(n) || n.get_object().get(no))
        return {};
    std::string name = field(no, "name");
    element p;
    object po;
    if (!entryPerturbed && !name.empty() && !no.at_key("perturbation").get(p) && !p.get_object().get(po)) {
        const std::string perturbation = field(po, "name");
        name += "@" + (perturbation.empty() ? std::string("perturbed") : perturbation);
    }
    return name;
}

// One stat's per-instance value: its mean, else sum / count; nullopt when it counted nothing.
std::optional<double> statValue(element stat, std::string& problem)
{
    object so;
    if (stat.get_object().get(so))
        return std::nullopt;
    element v;
    bool bad = false;
    if (!so.at_key("mean").get(v)) {
        const auto x = numberOf(v, bad);
        if (bad)
            problem = "its \"mean\" is " + typeName(v) + ", not a number";
        return x;
    }
    element sum;
    element count;
    if (so.at_key("sum").get(sum) || so.at_key("count").get(count))
        return std::nullopt;
    bool badSum = false;
    const auto s = numberOf(sum, badSum);
    const auto c = numberOf(count, bad);
    if (bad || badSum) {
        problem = "its \"sum\" or \"count\" is not a number";
        return std::nullopt;
    }
    if (!s || !c || *c <= 0)
        return std::nullopt;
    return *s / *c;
}

bool isInstance(element value, const std::string& id, std::int64_t trial, const std::string& filter, bool nested)
{
    object o;
    if (value.get_object().get(o))
        return false;
    object inst = o;
    element iv;
    if (nested && (o.at_key("instance").get(iv) || iv.get_object().get(inst)))
        return false;
    if (field(inst, nested ? "id" : "instance_id") != id)
        return false;
    std::int64_t t = 0;
    element tv;
    if (!o.at_key("train_trial_index").get(tv) && tv.get_int64().get(t))
        return false;
    return t == trial && perturbationOf(inst) == filter;
}

} // namespace deltascope::eval::helmfields
