#!/usr/bin/env bash
# Make sure Debian's Chromium is present for the browser tests (tests/browser).
#
# Why Debian's package and not `playwright install`: Playwright's own download needs network access
# to its CDN, which CI and the course machines do not have; Debian's chromium works headless with
# Python Playwright through `executable_path`. Set CHROMIUM=/path/to/chromium to use another one.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "install_browser: $CHROMIUM is present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: $CHROMIUM is missing, installing Debian's chromium package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends chromium
    if [ -x "$CHROMIUM" ]; then
        echo "install_browser: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
        exit 0
    fi
    echo "install_browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi

cat >&2 <<MSG
install_browser: $CHROMIUM is missing and this script can't install it (it needs root and apt-get).
Install Chromium yourself, then run the tests again:
    Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y chromium
    elsewhere:      install Chromium and set CHROMIUM=/path/to/chromium
Do not run 'playwright install' (it downloads a browser from the network).
To skip the browser tests on purpose: AEUTILS_SKIP_BROWSER=1
MSG
exit 1
