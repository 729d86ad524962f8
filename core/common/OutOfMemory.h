// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <new>
#include <stdexcept>
#include <string>

namespace deltascope {

/// Runs a loader and turns running out of memory (std::bad_alloc, or a size beyond what a vector
/// can hold) into its usual error naming the file, so that no input can abort the program.
template <typename T, typename Load> Result<T> failOnOutOfMemory(const std::string& path, Load&& load)
{
    try {
        return load();
    } catch (const std::bad_alloc&) {
        return Result<T>::failure(Diagnostic::error(path, 0, "not enough memory to read this file"));
    } catch (const std::length_error&) {
        return Result<T>::failure(Diagnostic::error(path, 0, "the file asks for more memory than can be held"));
    }
}

} // namespace deltascope
