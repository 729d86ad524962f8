// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <functional>
#include <string_view>

namespace deltascope {

/// Progress and cancellation for long work. The callback receives a fraction in [0, 1] (or a
/// negative value while the total is not yet known) and a short stage label; it returns false to
/// ask the work to stop. It is called from the thread that started the work, throttled by the
/// caller, so a GUI can forward it to a QPromise and a CLI can print it.
struct Progress {
    std::function<bool(double fraction, std::string_view stage)> callback;

    bool report(double fraction, std::string_view stage) const { return !callback || callback(fraction, stage); }
};

} // namespace deltascope
