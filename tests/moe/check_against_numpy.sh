#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every expert-selection policy against the independent numpy oracle (tests/moe/xshare_oracle.py,
# written from DESIGN 4.2-4.4): top-k, batch greedy (warm-up 0, 1 and above k), expert-parallel with
# contiguous blocks and with placement files holding copies, speculative (m = k and m = 1), dense,
# tied, logit-scored and sparse traces with missing records, replayed, speculative-length and
# recorded batches, every budget. Both the CPU backend and the device slice code (emulated on the
# host) must agree with it.
#   check_against_numpy.sh XSHARE_DUMP SOURCE_DIR
set -euo pipefail
dump=$1
src=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import numpy' 2>/dev/null || { echo "SKIP: numpy is not installed"; exit 77; }
"$py" "$src/tests/moe/xshare_oracle.py" "$dump" --engine cpu
"$py" "$src/tests/moe/xshare_oracle.py" "$dump" --engine emulated
