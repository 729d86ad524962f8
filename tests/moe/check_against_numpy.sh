#!/usr/bin/env bash
# Compares deltascope-cli xshare with the independent numpy implementation of the batch-greedy
# policy (bench/peer_xshare.py) on a synthetic trace: activated experts and kept mass must agree.
set -euo pipefail
cli=$1
src=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import numpy' 2>/dev/null || { echo "SKIP: numpy is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$cli" synth-trace "$dir/t.safetensors" --requests 40 --tokens 24 --layers 4 --experts 64 --top-k 6 --seed 9 > /dev/null
for budget in 6 12 40; do
    ours=$("$cli" xshare "$dir/t.safetensors" --batch-size 16 --budget "$budget" --format csv | tail -1)
    # The whole output first: cutting the pipe early would break the peer's later prints.
    theirs=$("$py" "$src/bench/peer_xshare.py" "$dir/t.safetensors" 16 "$budget")
    theirs=${theirs%%$'\n'*}
    base=$(echo "$ours" | cut -d, -f2); act=$(echo "$ours" | cut -d, -f3); mass=$(echo "$ours" | cut -d, -f5)
    want=$(echo "$theirs" | sed -n 's/.*activated \([0-9]*\) -> \([0-9]*\), mass retained \([0-9.]*\).*/\1 \2 \3/p')
    read -r wbase wact wmass <<< "$want"
    if [ "$base" != "$wbase" ] || [ "$act" != "$wact" ] || ! awk -v a="$mass" -v b="$wmass" 'BEGIN { exit !(a - b < 1e-5 && b - a < 1e-5) }'; then
        echo "FAIL budget $budget: deltascope $base -> $act mass $mass; numpy $wbase -> $wact mass $wmass"
        exit 1
    fi
    echo "budget $budget: $base -> $act experts, mass $mass (numpy agrees)"
done
