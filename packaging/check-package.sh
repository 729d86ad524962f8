#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the Debian package from a configured build folder, unpacks it into a scratch root and
# runs what it installed as a user would: deltascope-cli on the bundled demo, deltascope
# --screenshot offscreen, and the validators of the desktop file and AppStream metadata.
#   packaging/check-package.sh [BUILD_DIR]     (default build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

(cd "$build" && cpack -G DEB > cpack.log 2>&1) || { cat "$build/cpack.log"; exit 1; }
deb=$(ls -t "$build"/deltascope_*.deb | head -1)
echo "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb -I "$deb" | grep -E "^ (Package|Version|Depends|Installed-Size):"
dpkg-deb -x "$deb" "$root"

for f in usr/bin/deltascope usr/bin/deltascope-cli usr/share/applications/org.deltascope.Deltascope.desktop \
    usr/share/metainfo/org.deltascope.Deltascope.metainfo.xml usr/share/man/man1/deltascope-cli.1 \
    usr/share/icons/hicolor/scalable/apps/org.deltascope.Deltascope.svg \
    usr/share/icons/hicolor/256x256/apps/org.deltascope.Deltascope.png \
    usr/share/deltascope/exporters/export_hf_router_trace.py usr/share/deltascope/demo/baseline \
    usr/share/doc/deltascope/copyright; do
    [ -e "$root/$f" ] || { echo "missing from the package: /$f"; exit 1; }
done
# The licence, where Debian and software centres look for it.
grep -q "^License: GPL-3+" "$root/usr/share/doc/deltascope/copyright" \
    || { echo "the package's copyright file does not state GPL-3.0-or-later"; exit 1; }
grep -q "<project_license>GPL-3.0-or-later</project_license>" \
    "$root/usr/share/metainfo/org.deltascope.Deltascope.metainfo.xml" \
    || { echo "the AppStream metadata does not state GPL-3.0-or-later"; exit 1; }

cli="$root/usr/bin/deltascope-cli"
"$cli" --version
demo="$root/usr/share/deltascope/demo"
set +e
"$cli" compare "$demo/baseline" "$demo/candidate" --format md > "$root/verdict.md"
status=$?
set -e
[ "$status" -eq 1 ] || { echo "installed deltascope-cli on the demo: exit $status, expected 1 (degraded)"; exit 1; }
grep -q "mmlu" "$root/verdict.md" || { echo "installed deltascope-cli wrote no verdict"; exit 1; }
echo "installed deltascope-cli compare on the installed demo: exit 1 (degradation found), as expected"

# The window, offscreen, finding the installed demo next to the installed binary (exit 1: the
# demo candidate is degraded).
set +e
env -u DELTASCOPE_DEMO_DIR QT_QPA_PLATFORM=offscreen "$root/usr/bin/deltascope" --demo \
    --screenshot "$root/window.png" --size 1280x800
status=$?
set -e
[ "$status" -eq 1 ] || { echo "installed deltascope --demo --screenshot: exit $status, expected 1"; exit 1; }
[ -s "$root/window.png" ] || { echo "no screenshot written"; exit 1; }
echo "installed deltascope --demo --screenshot: $(du -h "$root/window.png" | cut -f1) PNG"
man -l "$root/usr/share/man/man1/deltascope-cli.1" > /dev/null 2>&1 || command -v man > /dev/null || true

if command -v desktop-file-validate > /dev/null; then
    desktop-file-validate "$root/usr/share/applications/org.deltascope.Deltascope.desktop"
    echo "desktop file: valid"
fi
if command -v appstreamcli > /dev/null; then
    appstreamcli validate --no-net "$root/usr/share/metainfo/org.deltascope.Deltascope.metainfo.xml"
fi
echo "package check: ok"
