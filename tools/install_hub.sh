#!/usr/bin/env bash
# configurable-http-proxy (JupyterHub's proxy) for the hub end-to-end test (tests/hub), from npm,
# into build/node. Skipped with a note when npm is missing (the test then skips with a reason).
set -euo pipefail
DEST="build/node"
if [ -x "$DEST/node_modules/.bin/configurable-http-proxy" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install_hub: npm is missing, the hub test will be skipped (Debian: apt-get install npm)" >&2
    exit 0
fi
mkdir -p "$DEST"
npm install --silent --no-audit --no-fund --prefix "$DEST" configurable-http-proxy@5
