// Keep-lists written by `deltascope-cli shrink`.
#include "FuzzSupport.h"
#include "eval/KeepList.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("keep.json", data, size);
    (void)deltascope::eval::loadKeepList(path);
    return 0;
}
