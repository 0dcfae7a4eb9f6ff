#!/usr/bin/env bash
# Make sure Debian's bubblewrap (`bwrap`) is present: `aeutils grade` isolates each student's
# kernel with it where it is installed (aeutils/instructor/sandbox.py), and falls back to its
# hand-written unshare/setpriv sandbox where it is not.
#
# Installs it only as root with apt-get and only when missing; otherwise it changes nothing
# (grading needs root to isolate kernels anyway, so a non-root machine loses nothing).
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
    echo "install_sandbox: $(command -v bwrap) is present ($(bwrap --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install_sandbox: bwrap is missing, installing Debian's bubblewrap package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends bubblewrap
    command -v bwrap >/dev/null 2>&1 && { echo "install_sandbox: installed $(bwrap --version)"; exit 0; }
    echo "install_sandbox: apt-get finished but bwrap is still missing" >&2
    exit 1
fi

echo "install_sandbox: bwrap is not installed and this script can't install it (needs root and" \
     "apt-get); grading uses the hand-written sandbox (as root) or none. To install it:" \
     "sudo apt-get install bubblewrap"
exit 0
