#!/usr/bin/env sh
# Install the desktop entry and icon for the current user (XDG locations).
# Usage: packaging/linux/install-desktop-entry.sh   (after `pip install caffe2-studio`)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
install -Dm644 "$here/caffe2-studio.desktop" "$data/applications/caffe2-studio.desktop"
install -Dm644 "$root/resources/icons/c2studio.svg" "$data/icons/hicolor/scalable/apps/caffe2-studio.svg"
install -Dm644 "$root/resources/icons/c2studio.png" "$data/icons/hicolor/256x256/apps/caffe2-studio.png"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "installed Caffe2 Studio desktop entry into $data"
