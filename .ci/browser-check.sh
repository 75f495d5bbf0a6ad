#!/usr/bin/env bash
# Headless-browser check of a report page: every image loads, no console errors, nothing from
# the network, no broken links, no sideways scrolling on a phone; saves full-page screenshots.
#
#   .ci/browser-check.sh <index.html> <screenshot.png>
#
# Uses Debian's `chromium` package (installed with apt if missing; no browser download) driven
# by playwright-core, pinned in tests/browser/package-lock.json and installed with `npm ci` into
# a cache directory outside the clone (PORTCAST_BROWSER_DEPS, default ~/.cache/portcast-browser),
# so no third-party files land in the source tree. Set CHROMIUM=/path/to/chromium to use another
# binary.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 <index.html> <screenshot.png>" >&2
    exit 2
fi
index=$1
shot=$2
root="$(cd "$(dirname "$0")/.." && pwd)"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=no
apt_install() {
    if [ "$apt_updated" = no ]; then
        as_root apt-get update -qq
        apt_updated=yes
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
    echo "== installing chromium (apt)"
    apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "== installing nodejs and npm (apt)"
    apt_install nodejs npm
fi

browser_dir="$root/tests/browser"
deps="${PORTCAST_BROWSER_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/portcast-browser}"
mkdir -p "$deps"
# Reinstall when the pinned lock file changed (or nothing is installed yet).
if ! cmp -s "$browser_dir/package-lock.json" "$deps/package-lock.json" \
    || [ ! -f "$deps/node_modules/playwright-core/package.json" ]; then
    echo "== installing playwright-core into $deps (npm ci, no browser download)"
    cp "$browser_dir/package.json" "$browser_dir/package-lock.json" "$deps/"
    (cd "$deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
# The script runs beside its dependencies (an ES module resolves imports from its own folder).
cp "$browser_dir/check_page.mjs" "$deps/check_page.mjs"

mkdir -p "$(dirname "$shot")"
CHROMIUM="$chromium_bin" node "$deps/check_page.mjs" "$index" "$shot"
