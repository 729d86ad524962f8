// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "Commands.h"
#include "common/JsonText.h"
#include "stats/Aggregate.h"
#include "stats/Power.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

namespace deltascope::cli {

namespace {

constexpr const char* kHelp
    = R"(usage: deltascope-cli power --n N --flip-rate F [--drop D] [--alpha A] [--power P] [--tasks T]
                            [--format table|json] [--output FILE]

For the one-sided exact McNemar test at the level the comparison's decision uses (alpha/3 when
two or more tasks are compared, alpha for one task; --tasks T says how many, default 2 or more)
with the given power:
  - the minimum detectable accuracy drop, in points, with N paired samples when a fraction F of
    the pairs flip,
  - the samples needed to detect a drop of D points (normal approximation), and
  - the exact power at N for that drop (a sum over the binomial distribution).

options:
  --n N              paired samples per task (a positive integer)
  --flip-rate F      the fraction of pairs whose outcome differs, (b + c) / n from `compare`,
                     in (0, 1] (0.092 = 9.2% of the pairs flipped)
  --drop D           accuracy drop to detect, in points as `compare` prints it: 1.6 means 1.6
                     points (0.016 of accuracy; 0.016 would mean 0.016 points); in (0, 100 F]:
                     a drop cannot exceed the flip rate
  --alpha A          family-wise level, in (0, 1) (default 0.05)
  --power P          the power wanted, in (0, 1) (default 0.8)
  --tasks T          tasks in the comparison (default 2: the level is alpha/3; 1: alpha)
  --format table|json  (default table; JSON gives drops as fractions, like compare's JSON, with
                     the points beside them)
  --output FILE      write there (atomically) instead of stdout

exit status: 0 success, 2 error (the reason on stderr)
)";

int fail(const std::string& m)
{
    std::fprintf(stderr, "deltascope-cli: %s\n", m.c_str());
    return Error;
}

} // namespace

int runPower(const std::vector<std::string>& argv)
{
    const Args args(argv, { "help" }, { "n", "flip-rate", "drop", "alpha", "power", "tasks", "format", "output" });
    if (args.has("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli power --help)");
    if (!args.positionals().empty())
        return fail("power takes no positional arguments (see deltascope-cli power --help)");
    std::string error;
    stats::PowerQuery q;
    const auto f = args.value("flip-rate");
    if (!f)
        return fail("power needs --flip-rate F (the fraction of samples whose outcome differs between the two models)");
    const auto fv = toNumber("flip-rate", *f, error);
    if (!fv || !(*fv > 0.0 && *fv <= 1.0))
        return fail(error.empty() ? "--flip-rate must be in (0, 1]" : error);
    q.flipRate = *fv;
    if (auto v = args.value("alpha")) {
        const auto a = toNumber("alpha", *v, error);
        if (!a || !(*a > 0.0 && *a < 1.0))
            return fail(error.empty() ? "--alpha must be in (0, 1)" : error);
        q.alpha = *a;
    }
    if (auto v = args.value("power")) {
        const auto p = toNumber("power", *v, error);
        if (!p || !(*p > 0.0 && *p < 1.0))
            return fail(error.empty() ? "--power must be in (0, 1)" : error);
        q.power = *p;
    }
    long long tasks = 2;
    if (auto v = args.value("tasks")) {
        const auto t = toInteger("tasks", *v, error);
        if (!t || *t < 1)
            return fail(error.empty() ? "--tasks must be a positive integer" : error);
        tasks = *t;
    }
    const double alpha = q.alpha;
    q.alpha = stats::decisionLevel(alpha, static_cast<int>(std::min<long long>(tasks, 1000000)));
    std::optional<long long> n;
    if (auto v = args.value("n")) {
        n = toInteger("n", *v, error);
        if (!n || *n < 1)
            return fail(error.empty() ? "--n must be a positive integer" : error);
    }
    // --drop is in points, as compare prints drops; the statistics take a fraction.
    std::optional<double> drop;
    if (auto v = args.value("drop")) {
        const auto points = toNumber("drop", *v, error);
        if (!points)
            return fail(error);
        if (!(*points > 0.0 && *points <= 100.0 * q.flipRate)) {
            char why[256];
            std::snprintf(why, sizeof why,
                "--drop %s is out of range: it is in points (1.6 = 1.6 points) and must be in (0, %g], since a drop "
                "cannot exceed the flip rate (--flip-rate %g = %g%% of the pairs)",
                v->c_str(), 100.0 * q.flipRate, q.flipRate, 100.0 * q.flipRate);
            return fail(why);
        }
        drop = *points / 100.0;
    }
    if (!n && !drop)
        return fail("power needs --n N, --drop D or both");

    nlohmann::ordered_json j;
    j["alpha"] = alpha;
    j["tasks"] = tasks;
    j["level"] = q.alpha;
    j["power"] = q.power;
    j["flip_rate"] = q.flipRate;
    std::string text;
    char buf[256];
    std::snprintf(buf, sizeof buf,
        "level = %.4g (%s, the level the decision uses; one-sided), power = %g, flip rate = %g\n", q.alpha,
        tasks >= 2 ? "alpha/3: two or more tasks" : "alpha: one task", q.power, q.flipRate);
    text += buf;
    if (n) {
        const double mdd = stats::minimumDetectableDrop(*n, q);
        j["n"] = *n;
        j["min_detectable_drop"] = mdd;
        j["min_detectable_drop_points"] = 100.0 * mdd;
        std::snprintf(
            buf, sizeof buf, "minimum detectable drop with n = %lld: %.2f points (%.4f)\n", *n, 100 * mdd, mdd);
        text += buf;
    }
    if (drop) {
        const auto need = stats::samplesNeeded(*drop, q);
        j["drop"] = *drop;
        j["drop_points"] = 100.0 * *drop;
        const bool countable = need < std::numeric_limits<std::int64_t>::max();
        j["samples_needed"] = countable ? nlohmann::ordered_json(need) : nlohmann::ordered_json(nullptr);
        if (countable)
            // The drop as it was given (0.016 stays 0.016 points), not rounded to two decimals.
            std::snprintf(buf, sizeof buf, "samples needed to detect a drop of %.4g points (%.4g): %lld\n", 100 * *drop,
                *drop, static_cast<long long>(need));
        else
            std::snprintf(buf, sizeof buf,
                "samples needed to detect a drop of %.3g points (%.3g): more than 9e18, too small a drop to detect\n",
                100 * *drop, *drop);
        text += buf;
        const long long at = n ? *n : need;
        const double exact = stats::exactPower(at, *drop, q);
        j["exact_power"] = std::isnan(exact) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(exact);
        j["exact_power_n"] = countable || n ? nlohmann::ordered_json(at) : nlohmann::ordered_json(nullptr);
        if (std::isnan(exact))
            std::snprintf(buf, sizeof buf,
                "exact power: not computed past %lld pairs (there the approximation above is as good)\n",
                static_cast<long long>(stats::kMaxExactPowerPairs));
        else
            std::snprintf(buf, sizeof buf, "exact power with n = %lld for that drop: %.4f\n", at, exact);
        text += buf;
    }
    const std::string format = args.value("format").value_or("table");
    if (format == "json")
        text = jsonText(j, 2) + "\n";
    else if (format != "table")
        return fail("--format must be table or json");
    return emit(text, args.value("output").value_or("")) ? 0 : Error;
}

} // namespace deltascope::cli
