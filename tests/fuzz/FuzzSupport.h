// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the fuzz targets: the parsers under test read files (most map them), so each input is
// written to a file with the name the parser expects, in a private folder of this process (on
// /dev/shm when there is one).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace deltascope::fuzz {

inline const std::string& scratchDir()
{
    static const std::string dir = [] {
        const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string d = std::string(base) + "/deltascope-fuzz-" + std::to_string(getpid());
        if (mkdir(d.c_str(), 0700) != 0 && access(d.c_str(), W_OK) != 0)
            std::abort();
        return d;
    }();
    return dir;
}

/// Writes the input to scratchDir()/name (replacing it) and returns the path.
inline std::string writeInput(const std::string& name, const std::uint8_t* data, std::size_t size)
{
    const std::string path = scratchDir() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        std::abort();
    if (size && std::fwrite(data, 1, size, f) != size)
        std::abort();
    std::fclose(f);
    return path;
}

/// Splits an input at the first occurrence of a separator line: the parts of multi-file inputs.
inline std::pair<std::string_view, std::string_view> splitAt(
    const std::uint8_t* data, std::size_t size, std::string_view separator = "\n--8<--\n")
{
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    const auto at = all.find(separator);
    if (at == std::string_view::npos)
        return { all, {} };
    return { all.substr(0, at), all.substr(at + separator.size()) };
}

} // namespace deltascope::fuzz
