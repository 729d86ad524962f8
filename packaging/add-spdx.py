#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Puts the licence tag `SPDX-License-Identifier: GPL-3.0-or-later` on the first line of every C++,
CUDA, CMake, Python and shell source file that git tracks, after a shebang (and a Python coding
line) where there is one. Files that already carry an SPDX tag near the top are left as they are,
so running it again changes nothing.

    packaging/add-spdx.py           add the missing tags
    packaging/add-spdx.py --check   list the files without one; exit 1 when there are any
"""
import argparse
import pathlib
import re
import subprocess
import sys

TAG = "SPDX-License-Identifier: GPL-3.0-or-later"
SLASH_SUFFIXES = (".cpp", ".cc", ".cxx", ".h", ".hpp", ".cu", ".cuh", ".h.in")
HASH_SUFFIXES = (".py", ".sh", ".cmake")
# Inputs and expected outputs of tests are data, not source, whatever their name says.
DATA_DIRS = ("tests/fuzz/corpus/",)
SEARCHED_LINES = 5  # an existing tag counts when it is this close to the top
EXISTING = re.compile(r"\s*(//|#|/\*)\s*SPDX-License-Identifier:")


def comment_for(path: str, first_line: str):
    """The comment leader for a source file, or None for a file that is not source."""
    name = path.rsplit("/", 1)[-1]
    if any(path.startswith(d) for d in DATA_DIRS):
        return None
    if name.endswith(SLASH_SUFFIXES):
        return "//"
    if name == "CMakeLists.txt" or name.endswith(HASH_SUFFIXES):
        return "#"
    # Scripts without a suffix (.ci/run): known by their interpreter.
    if "." not in name and re.match(r"#!.*\b(ba|z|da)?sh\b|#!.*\bpython", first_line):
        return "#"
    return None


def tagged(text: str, path: str) -> str | None:
    """The file's text with the tag added, or None when it needs none (not source, or tagged)."""
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    leader = comment_for(path, first)
    if leader is None or any(EXISTING.match(l) for l in lines[:SEARCHED_LINES]):
        return None
    at = 0
    if first.startswith("#!"):
        at = 1
        # PEP 263: a coding declaration must stay on line 1 or 2.
        if len(lines) > 1 and re.match(r"#.*coding[:=]", lines[1]):
            at = 2
    newline = "\r\n" if first.endswith("\r\n") else "\n"
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += newline
    lines.insert(at, f"{leader} {TAG}{newline}")
    return "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only list the files without a tag")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    missing = []
    for path in sorted(p for p in files.decode().split("\0") if p):
        full = root / path
        if full.is_symlink() or not full.is_file():
            continue
        try:
            text = full.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # not text
        new = tagged(text, path)
        if new is None:
            continue
        missing.append(path)
        if not args.check:
            full.write_bytes(new.encode("utf-8"))  # in place: the file keeps its mode
    if args.check:
        for path in missing:
            print(f"no SPDX tag: {path}")
        return 1 if missing else 0
    print(f"tagged {len(missing)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
