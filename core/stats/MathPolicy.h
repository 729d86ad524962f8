// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <boost/math/policies/policy.hpp>

namespace deltascope::stats::detail {

// Statistics must never throw at the user: underflow to 0 is the right answer for p-values far
// below the smallest double, and domain errors are prevented by the callers' own checks.
using Policy = boost::math::policies::policy<boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::denorm_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>,
    boost::math::policies::promote_double<false>>;

} // namespace deltascope::stats::detail
