// SPDX-License-Identifier: GPL-3.0-or-later
// Router traces from NumPy .npy arrays of gating scores ([tokens, layers, experts], fp32 or fp16):
// the array is mapped, its header checked, and the model's top-k given by the caller.
#include "common/MappedFile.h"
#include "common/OutOfMemory.h"
#include "moe/TraceImport.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>

namespace deltascope::moe {

// The loader itself; the public function turns running out of memory into an error.
static Result<Trace> unguardedImportNpyTrace(
    const std::string& path, std::int64_t topK, const TraceImportOptions& options)
{
    using R = Result<Trace>;
    auto file = std::make_shared<MappedFile>();
    std::string why;
    if (!file->open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    const std::string_view t = file->view();
    if (t.size() < 10 || t.substr(0, 6) != "\x93NUMPY")
        return R::failure(Diagnostic::error(path, 0, "not a NumPy .npy file"));
    const int major = static_cast<unsigned char>(t[6]);
    std::size_t headerLen = 0;
    std::size_t headerStart = 0;
    if (major == 1) {
        headerLen
            = static_cast<unsigned char>(t[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(t[9])) << 8);
        headerStart = 10;
    } else {
        if (t.size() < 12)
            return R::failure(Diagnostic::error(path, 0, "truncated .npy header"));
        for (int i = 3; i >= 0; --i)
            headerLen = (headerLen << 8) | static_cast<unsigned char>(t[8 + static_cast<std::size_t>(i)]);
        headerStart = 12;
    }
    if (headerStart + headerLen > t.size())
        return R::failure(Diagnostic::error(path, 0, "truncated .npy header"));
    const std::string header(t.substr(headerStart, headerLen));
    auto field = [&](const char* key) -> std::string {
        const auto k = header.find(std::string("'") + key + "'");
        if (k == std::string::npos)
            return {};
        const auto colon = header.find(':', k);
        return header.substr(colon + 1);
    };
    const std::string descr = field("descr");
    const bool f32 = descr.find("'<f4'") == 1 || descr.find("'<f4'") != std::string::npos;
    const bool f16 = descr.find("'<f2'") != std::string::npos;
    if (!f32 && !f16) {
        // Say what the header holds: a dtype to convert, or no readable header at all.
        auto shown = [](std::string text) {
            text = text.substr(0, std::min(text.find_first_of(",}"), std::size_t { 60 }));
            for (char& c : text)
                if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                    c = '?';
            return text;
        };
        if (descr.empty())
            return R::failure(Diagnostic::error(
                path, 0, "the .npy header names no 'descr' (its header reads \"" + shown(header) + "...\")"));
        const auto d = descr.find_first_not_of(' ');
        return R::failure(Diagnostic::error(path, 0,
            "dtype " + shown(descr.substr(d == std::string::npos ? 0 : d))
                + " is not supported: only little-endian float32 ('<f4') or float16 ('<f2') arrays are; convert with "
                  "arr.astype(numpy.float32)"));
    }
    if (field("fortran_order").find("True") < field("fortran_order").find(','))
        return R::failure(
            Diagnostic::error(path, 0, "Fortran-ordered arrays are not supported; save with np.ascontiguousarray"));
    std::string shapeText = field("shape");
    const auto open = shapeText.find('(');
    const auto close = shapeText.find(')');
    if (open == std::string::npos || close == std::string::npos)
        return R::failure(Diagnostic::error(path, 0, "cannot read the array shape"));
    std::vector<std::int64_t> shape;
    std::string inner = shapeText.substr(open + 1, close - open - 1);
    std::size_t p = 0;
    while (p < inner.size()) {
        const auto comma = inner.find(',', p);
        const std::string item = inner.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
        const auto b = item.find_first_not_of(' ');
        if (b != std::string::npos) {
            const auto e = item.find_last_not_of(' ') + 1;
            std::int64_t dim = 0;
            const auto [end, ec] = std::from_chars(item.data() + b, item.data() + e, dim);
            if (ec != std::errc() || end != item.data() + e || dim <= 0 || dim > (std::int64_t { 1 } << 40))
                return R::failure(Diagnostic::error(path, 0, "cannot read the array shape \"" + inner + "\""));
            shape.push_back(dim);
        }
        if (comma == std::string::npos)
            break;
        p = comma + 1;
    }
    std::string found = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        found += (i ? ", " : "") + std::to_string(shape[i]);
    found += shape.size() == 1 ? ",)" : ")";
    if (shape.size() == 2)
        shape.insert(shape.begin() + 1, 1);
    if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0)
        return R::failure(Diagnostic::error(
            path, 0, "expected an array [tokens, layers, experts] or [tokens, experts], found shape " + found));
    const std::size_t es = f32 ? 4 : 2;
    // Dimensions are at most 2^40 each: the product is checked for overflow before it is compared
    // with the file size.
    std::uint64_t count = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(shape[0]), static_cast<std::uint64_t>(shape[1]), &count)
        || __builtin_mul_overflow(count, static_cast<std::uint64_t>(shape[2]), &count)
        || count > (std::uint64_t { 1 } << 60))
        return R::failure(Diagnostic::error(path, 0, "the array shape is too large for any file"));
    const std::size_t dataStart = headerStart + headerLen;
    if (count > (t.size() - dataStart) / es || count * es != t.size() - dataStart)
        return R::failure(Diagnostic::error(path, 0,
            "the array shape needs " + std::to_string(count * es) + " bytes of data but the file holds "
                + std::to_string(t.size() - dataStart)));
    if (topK <= 0 || topK > shape[2])
        return R::failure(Diagnostic::error(
            path, 0, "a .npy trace needs the model's top-k between 1 and " + std::to_string(shape[2])));
    Trace tr;
    tr.tokens = shape[0];
    tr.layers = shape[1];
    tr.experts = shape[2];
    tr.topK = topK;
    tr.scoreType = f32 ? ScoreType::F32 : ScoreType::F16;
    tr.scoreKind = options.scoreKind;
    tr.normTopkProb = options.normTopkProb;
    tr.model = options.model;
    const char* data = file->data() + dataStart;
    if (reinterpret_cast<std::uintptr_t>(data) % es != 0) {
        auto copy = std::make_shared<std::vector<std::uint8_t>>(count * es);
        std::memcpy(copy->data(), data, copy->size());
        tr.ownedScores = copy;
        tr.scores = copy->data();
    } else {
        tr.scores = data;
    }
    tr.mapping = file;
    const std::int64_t per = std::max<std::int64_t>(1, options.tokensPerRequest);
    tr.requestId.resize(static_cast<std::size_t>(tr.tokens));
    for (std::int64_t i = 0; i < tr.tokens; ++i)
        tr.requestId[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i / per);
    Result<Trace> out;
    out.value = std::move(tr);
    return out;
}

Result<Trace> importNpyTrace(const std::string& path, std::int64_t topK, const TraceImportOptions& options)
{
    return failOnOutOfMemory<Trace>(path, [&] { return unguardedImportNpyTrace(path, topK, options); });
}

} // namespace deltascope::moe
