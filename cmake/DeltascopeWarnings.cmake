# SPDX-License-Identifier: GPL-3.0-or-later
# Strict warnings for Deltascope's own targets only (never global, never on dependencies).
function(deltascope_target_warnings target)
    target_compile_options(${target} PRIVATE
        $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
            -Werror=undef -Werror=return-type -Wnon-virtual-dtor>
        $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall -Werror=all-warnings>)
endfunction()

# Qt hygiene for targets that link Qt.
# ALLOW_FOREACH: for targets that include qcustomplot.h, whose templates use Qt's foreach (our
# own code does not).
function(deltascope_qt_hygiene target)
    cmake_parse_arguments(ARG "ALLOW_FOREACH" "" "" ${ARGN})
    target_compile_definitions(${target} PRIVATE
        QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_USE_QSTRINGBUILDER
        QT_NO_URL_CAST_FROM_STRING QT_NO_CAST_FROM_BYTEARRAY)
    if(NOT ARG_ALLOW_FOREACH)
        target_compile_definitions(${target} PRIVATE QT_NO_FOREACH)
    endif()
endfunction()
