#!/usr/bin/env bash
# Debian packages used by the tests, and why:
#   chromium  headless browser: the browser tests load the exported HTML pages (index.html and the
#             notebook pages) and check what a reader sees after the scripts ran (formulas rendered
#             as MathML, plotly figures drawn, the findings filter working offline).
# Idempotent: says what it found and does nothing when every package is already there.
# SKIP_SYSTEM_DEPS=1 skips it (the browser tests then fail, saying chromium is missing).
set -euo pipefail
if [ -n "${SKIP_SYSTEM_DEPS:-}" ]; then
    echo "system packages: skipped (SKIP_SYSTEM_DEPS is set); the browser tests need chromium"
    exit 0
fi
declare -A why=(
    [chromium]="headless browser for the tests of the exported HTML pages (formulas, figures, filter)"
)
need=()
for pkg in chromium; do
    if command -v "$pkg" >/dev/null 2>&1; then
        echo "system packages: $pkg present ($(command -v "$pkg"))"
    else
        need+=("$pkg")
    fi
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "system packages: installing with ${SUDO:+sudo }apt-get (Debian):"
for pkg in "${need[@]}"; do echo "  - $pkg: ${why[$pkg]}"; done
echo "  (SKIP_SYSTEM_DEPS=1 skips this; the browser tests then fail for want of chromium)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
echo "system packages: installed ${need[*]}"
