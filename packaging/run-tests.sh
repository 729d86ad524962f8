#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Deltascope needs to build and test, builds every target, and runs the whole test
# suite (GPU tests skip cleanly on machines without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/setup-deps.sh --with-tests
cmake --preset dev
cmake --build --preset dev --parallel "$(nproc)"
ctest --preset dev --parallel "$(nproc)"
