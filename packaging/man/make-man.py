#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the man pages from the programs' own --help texts, so that the two cannot drift.

    make-man.py --cli build/app/cli/deltascope-cli [--gui build/app/gui/deltascope] OUT_DIR
    make-man.py --check --cli ... [--gui ...] packaging/man

deltascope-cli.1 holds the overview (`deltascope-cli --help`) and one section per command (each
command named in the overview's usage lines, with its `--help`); deltascope.1 holds the window's
`deltascope --help`. With --check nothing is written: the committed pages are compared with what the
programs say now, and any difference is printed as a diff (exit 1). Regenerate with the first form.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

FOOTER = """.SH REPORTING BUGS
Read the README's "Known issues / troubleshooting" first; report problems, with the command line
and its output, on the project's issue tracker.
.SH COPYRIGHT
GPL-3.0-or-later.
"""


def run(program, *args):
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # the help texts must not need a display
    env.pop("QT_QPA_PLATFORM", None)
    env["COLUMNS"] = "100"
    p = subprocess.run([program, *args], capture_output=True, text=True, env=env, timeout=60)
    if p.returncode != 0:
        sys.exit(f"make-man: {program} {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def esc(line):
    """A line of text as roff reads it literally."""
    line = line.replace("\\", "\\e").replace("-", "\\-")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def blocks(text):
    """Paragraphs separated by blank lines."""
    out, cur = [], []
    for line in text.rstrip("\n").split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def body(text):
    """Prose (lines starting in column 0 that are not a heading or usage) is filled; everything
    else (option lists, usage, indented tables) keeps its layout."""
    out = []
    for b in blocks(text):
        prose = all(not l.startswith(" ") for l in b) and not b[0].rstrip().endswith(":") \
            and not b[0].startswith(("usage", "Usage", "exit status"))
        if prose:
            out.append(".PP")
            out.extend(esc(l) for l in b)
        else:
            out.append(".PP\n.nf")
            out.extend(esc(l) for l in b)
            out.append(".fi")
    return "\n".join(out) + "\n"


def cli_page(cli):
    overview = run(cli, "--help")
    version = run(cli, "--version").split()[-1]
    first, rest = overview.split("\n", 1)
    summary = first.split(":", 1)[1].strip() if ":" in first else first
    commands = []
    for m in re.finditer(r"^\s+deltascope-cli ([a-z][a-z-]*)", overview, re.M):
        if m.group(1) not in commands:
            commands.append(m.group(1))
    page = [f'.TH DELTASCOPE-CLI 1 "" "Deltascope {version}" "User Commands"',
            ".SH NAME", "deltascope-cli \\- " + esc(summary),
            ".SH SYNOPSIS", ".nf"]
    page += [esc(l.strip()) for l in overview.split("\n") if l.startswith("  deltascope-cli ")]
    # The usage block is the synopsis, and the exit status has a section of its own.
    paragraphs = rest.strip("\n").split("\n\n")
    exits = [b for b in paragraphs if b.startswith("exit status")]
    described = [b for b in paragraphs if not b.startswith(("usage:", "exit status"))]
    page += [".fi", ".SH DESCRIPTION", body("\n\n".join(described)).rstrip("\n")]
    if exits:
        page += [".SH EXIT STATUS", body("\n\n".join(exits)).rstrip("\n")]
    page += [".SH COMMANDS"]
    for c in commands:
        page += [f".SS {c}", body(run(cli, c, "--help")).rstrip("\n")]
    if "formats" in commands:
        page += [".SH INPUT FORMATS", body(run(cli, "formats")).rstrip("\n")]
    page += [".SH SEE ALSO", ".BR deltascope (1)"]
    return "\n".join(page) + "\n" + FOOTER


def gui_page(gui):
    text = run(gui, "--help")
    version = run(gui, "--version").split()[-1]
    first, rest = text.split("\n", 1)
    # Qt prints the program as it was called: name it as installed.
    usage = "deltascope " + first.replace("Usage:", "").strip().split(" ", 1)[1]
    description, _, tail = rest.partition("\nOptions:\n")
    options, _, arguments = tail.partition("\nArguments:\n")
    page = [f'.TH DELTASCOPE 1 "" "Deltascope {version}" "User Commands"',
            ".SH NAME", "deltascope \\- the Deltascope window: model regressions and MoE expert selection",
            ".SH SYNOPSIS", ".nf", esc(usage), ".fi",
            ".SH DESCRIPTION", body(description).rstrip("\n"),
            ".SH OPTIONS", ".nf"] + [esc(l) for l in options.strip("\n").split("\n")] + [".fi"]
    if arguments.strip():
        page += [".SH ARGUMENTS", ".nf"] + [esc(l) for l in arguments.strip("\n").split("\n")] + [".fi"]
    page += [".SH SEE ALSO", ".BR deltascope-cli (1)"]
    return "\n".join(page) + "\n" + FOOTER


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--gui")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("dir")
    a = ap.parse_args()
    pages = {"deltascope-cli.1": cli_page(a.cli)}
    if a.gui:
        pages["deltascope.1"] = gui_page(a.gui)
    stale = 0
    for name, text in pages.items():
        path = os.path.join(a.dir, name)
        if a.check:
            try:
                with open(path, encoding="utf-8") as f:
                    old = f.read()
            except OSError as e:
                print(f"make-man: {path}: {e}", file=sys.stderr)
                stale += 1
                continue
            if old != text:
                stale += 1
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                           path, "generated from --help"))
        else:
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
    if stale:
        print(f"make-man: {stale} man page(s) differ from the --help texts; regenerate with\n"
              f"  packaging/man/make-man.py --cli {a.cli}" + (f" --gui {a.gui}" if a.gui else "") + f" {a.dir}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
