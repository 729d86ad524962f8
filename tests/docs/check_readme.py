#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs every README command block marked runnable and checks what it documents.

A block is runnable when the line before its opening fence (blank lines aside) is
`<!-- runnable -->`, optionally with `exit=N` (the exit status every command of the block must
have; default 0) and `gui` (it needs the window's program; skipped when that is not built).

- ```sh blocks: every line is a command (a trailing backslash continues it; # comments are
  skipped).
- ```console blocks: `$ COMMAND` lines are commands; the lines after one, up to the next `$ `,
  are output lines that must appear in what it printed (stdout and stderr), compared with runs of
  spaces squeezed; `...` inside a line matches anything, a line of only `...` is skipped.
  `$ echo $?` prints the previous command's exit status, so a block can state it where exit=N
  would be too coarse: a command followed by `echo $?` may exit with any status, and the number
  after `echo $?` is checked.

Commands run with bash in a scratch folder holding links to the checkout's tests/ and resources/,
with the build's programs first on PATH, no DISPLAY and QT_QPA_PLATFORM unset (help and headless
runs must work without a display: the window's headless modes set it themselves where needed).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = re.compile(r"<!--\s*runnable(?P<opts>[^>]*)-->")


def squeeze(s):
    return " ".join(s.split())


def blocks(readme):
    lines = open(readme, encoding="utf-8").read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = MARK.fullmatch(lines[i].strip())
        if not m:
            i += 1
            continue
        opts = m.group("opts").split()
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = lines[j].strip() if j < len(lines) else ""
        if not fence.startswith("```"):
            sys.exit(f"{readme}:{i + 1}: a runnable mark must stand right before a fenced block")
        lang = fence[3:].strip()
        k = j + 1
        while k < len(lines) and lines[k].strip() != "```":
            k += 1
        # A block inside a list item is indented like its fence: read it without that indent.
        indent = len(lines[j]) - len(lines[j].lstrip())
        body = [l[indent:] if l[:indent].strip() == "" else l for l in lines[j + 1:k]]
        out.append({"line": j + 1, "lang": lang, "body": body, "opts": opts})
        i = k + 1
    return out


def commands(block):
    """[(command, [expected lines], line number)]"""
    cmds = []
    if block["lang"] == "console":
        for n, line in enumerate(block["body"]):
            if line.startswith("$ "):
                cmds.append([line[2:], [], block["line"] + 1 + n])
            elif cmds and line.strip() and line.strip() != "...":
                cmds[-1][1].append(line)
    else:
        pending = ""
        for n, line in enumerate(block["body"]):
            text = line.rstrip()
            if not pending and (not text or text.lstrip().startswith("#")):
                continue
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            cmds.append([pending + text, [], block["line"] + 1 + n])
            pending = ""
    return cmds


def found(expected, output_lines):
    parts = [squeeze(p) for p in squeeze(expected).split("...")]
    for line in output_lines:
        at = 0
        for p in parts:
            k = line.find(p, at)
            if k < 0:
                break
            at = k + len(p)
        else:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--source", required=True, help="the checkout (its tests/ and resources/ are linked)")
    ap.add_argument("--bin", action="append", default=[], help="a folder of built programs (repeatable)")
    ap.add_argument("--min-blocks", type=int, default=1)
    a = ap.parse_args()

    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    env["PATH"] = os.pathsep.join([os.path.abspath(b) for b in a.bin] + [env.get("PATH", "")])
    have_gui = shutil.which("deltascope", path=env["PATH"]) is not None

    all_blocks = blocks(a.readme)
    if len(all_blocks) < a.min_blocks:
        print(f"{a.readme}: {len(all_blocks)} runnable block(s), expected at least {a.min_blocks}")
        return 1
    failures = 0
    ran = 0
    with tempfile.TemporaryDirectory(prefix="readme-") as work:
        for name in ("tests", "resources", "packaging"):
            os.symlink(os.path.join(os.path.abspath(a.source), name), os.path.join(work, name))
        for b in all_blocks:
            where = f"{a.readme}:{b['line']}"
            if "gui" in b["opts"] and not have_gui:
                print(f"{where}: skipped (the window is not built)")
                continue
            want_exit = 0
            for o in b["opts"]:
                if o.startswith("exit="):
                    want_exit = int(o[5:])
            cmds = commands(b)
            last = 0
            for i, (cmd, expected, line) in enumerate(cmds):
                followed_by_echo = i + 1 < len(cmds) and cmds[i + 1][0].strip() == "echo $?"
                run = cmd.replace("$?", str(last))
                try:
                    p = subprocess.run(["bash", "-o", "pipefail", "-c", run], cwd=work, env=env, text=True,
                                       capture_output=True, timeout=300)
                    output, status = p.stdout + p.stderr, p.returncode
                except subprocess.TimeoutExpired:
                    output, status = "(timed out after 300 s)", 124
                ran += 1
                problems = []
                if cmd.strip() != "echo $?" and not followed_by_echo and status != want_exit:
                    problems.append(f"exit status {status}, documented {want_exit}")
                lines = [squeeze(l) for l in output.split("\n")]
                for e in expected:
                    if not found(e, lines):
                        problems.append(f"documented line not printed: {e.strip()}")
                if problems:
                    failures += 1
                    print(f"{a.readme}:{line}: FAIL: {cmd}")
                    for pr in problems:
                        print(f"    {pr}")
                    print("    output:\n      " + "\n      ".join(output.rstrip().split("\n")[-40:]))
                else:
                    print(f"{a.readme}:{line}: ok: {cmd}")
                last = status
    print(f"{ran} command(s) in {len(all_blocks)} runnable block(s), {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
