// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/AtomicFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace deltascope {

std::string writeFileAtomically(const std::string& path, std::string_view contents)
{
    std::string tmpl = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0)
        return "cannot create a temporary file next to " + path + ": " + std::strerror(errno);
    const char* p = contents.data();
    std::size_t left = contents.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const std::string reason = std::strerror(errno);
            ::close(fd);
            ::unlink(tmpl.c_str());
            return "cannot write " + path + ": " + reason;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmpl.c_str());
        return "cannot write " + path + ": " + reason;
    }
    if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmpl.c_str());
        return "cannot rename the temporary file onto " + path + ": " + reason;
    }
    return {};
}

std::string overwritesInput(const std::string& output, const std::vector<std::string>& inputs, const std::string& what)
{
    namespace fs = std::filesystem;
    if (output.empty())
        return {};
    std::error_code ec;
    const fs::path out = fs::weakly_canonical(output, ec);
    const bool exists = fs::exists(output, ec);
    for (const auto& in : inputs) {
        if (in.empty())
            continue;
        if (fs::equivalent(output, in, ec))
            return what + " " + output + " is one of the inputs; input files are never overwritten";
        if (!exists || !fs::is_directory(in, ec))
            continue;
        const fs::path folder = fs::canonical(in, ec);
        if (ec)
            continue;
        const auto [f, o] = std::mismatch(folder.begin(), folder.end(), out.begin(), out.end());
        if (f == folder.end() && o != out.end())
            return what + " " + output + " already exists inside the input folder " + in
                + "; input files are never overwritten (write it elsewhere)";
    }
    return {};
}

} // namespace deltascope
