#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian packages Deltascope needs to build, test and run.
# Idempotent: packages already present are left alone. Works as root or through sudo.
set -euo pipefail

BUILD_PKGS=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev qt6-qpa-plugins fonts-dejavu-core
    libboost-math-dev nlohmann-json3-dev libsimdjson-dev libarchive-dev
    python3
)
# scipy checks the statistics' reference vectors and runs the Python peer of the benchmarks;
# poppler's pdftotext reads the text of exported PDF reports back; clang with its runtime builds
# the libFuzzer targets; the validators check the installed desktop file and AppStream metadata;
# CPack's Debian generator needs `file` and dpkg-shlibdeps (dpkg-dev) for the package's library
# dependencies.
TEST_PKGS=(python3-scipy python3-numpy poppler-utils clang libclang-rt-dev desktop-file-utils appstream
    file dpkg-dev zstd)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--with-tests" ]]; then
    want+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deltascope setup: all ${#want[@]} packages already installed"
    exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "deltascope setup: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "deltascope setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
