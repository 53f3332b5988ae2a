#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the report tests and the screenshot
# (Playwright drives it through executable_path; no browser is ever downloaded).
# Installs it with apt when it is missing and we are root; otherwise says what to run.
# Usage: scripts/ensure-chromium.sh   (from the Makefile / .ci/run before the tests)
set -euo pipefail
CHROMIUM="${LEDGERLINE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; install it as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and there is no apt-get: install Chromium and set LEDGERLINE_CHROMIUM to its path" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo installed)"
