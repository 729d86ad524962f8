#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutation smoke-fuzzing of the command line: corrupts lm-eval samples/results files and native
traces at random (bytes flipped, cut, bare NaN / huge numbers / brackets inserted) and checks that
deltascope-cli always ends with exit 0, 1 or 2 and never with a crash or a sanitizer report.

    python3 tests/fuzz/mutate_inputs.py build/asan/app/cli/deltascope-cli [ITERATIONS]
"""
import os, random, subprocess, sys, shutil
cli = sys.argv[1]
ITER = int(sys.argv[2]) if len(sys.argv) > 2 else 150
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = __import__("tempfile").mkdtemp()
random.seed(1)
src_dir = os.path.join(HERE, "..", "data", "eval", "layout_current", "baseline", "acme__Llama-3.1-8B-Instruct")
cand = os.path.join(HERE, "..", "data", "eval", "layout_current", "candidate")
files = sorted(os.listdir(src_dir))
bad = 0
for it in range(ITER):
    d = os.path.join(WORK, f"run{it}")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src_dir, d)
    victim = os.path.join(d, random.choice(files))
    data = bytearray(open(victim, "rb").read())
    for _ in range(random.randint(1, 20)):
        op = random.random()
        if op < 0.4 and data:
            data[random.randrange(len(data))] = random.randrange(256)
        elif op < 0.7 and data:
            del data[random.randrange(len(data)):][: random.randint(1, 500)]
        else:
            pos = random.randrange(len(data) + 1)
            data[pos:pos] = random.choice([b"NaN", b"{", b"}", b"\"", b"\n", b"\x00", b"[[[", b"1e999", b"-Infinity"])
    open(victim, "wb").write(bytes(data))
    r = subprocess.run([cli, "compare", d, cand, "--format", "json", "--permutations", "50"], capture_output=True, timeout=60)
    if r.returncode not in (0, 1, 2) or b"Sanitizer" in r.stderr or b"runtime error" in r.stderr:
        bad += 1
        print("PROBLEM", it, r.returncode, r.stderr[-600:])
    shutil.rmtree(d, ignore_errors=True)
# traces
subprocess.run([cli, "synth-trace", os.path.join(WORK, "t.safetensors"), "--requests", "3", "--tokens", "4", "--layers", "2", "--experts", "8", "--top-k", "2"], capture_output=True)
orig = open(os.path.join(WORK, "t.safetensors"), "rb").read()
for it in range(ITER):
    data = bytearray(orig)
    for _ in range(random.randint(1, 6)):
        if random.random() < 0.5:
            p = random.randrange(min(len(data), 400))
            data[p] = random.randrange(256)
        else:
            del data[random.randrange(len(data)):]
    open(os.path.join(WORK, "f.safetensors"), "wb").write(bytes(data))
    r = subprocess.run([cli, "xshare", os.path.join(WORK, "f.safetensors"), "--batch-size", "2"], capture_output=True, timeout=60)
    if r.returncode not in (0, 2) or b"Sanitizer" in r.stderr or b"runtime error" in r.stderr:
        bad += 1
        print("PROBLEM trace", it, r.returncode, r.stderr[-600:])
print("problems:", bad)
shutil.rmtree(WORK, ignore_errors=True)
sys.exit(1 if bad else 0)
