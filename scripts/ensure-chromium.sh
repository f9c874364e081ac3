#!/usr/bin/env bash
# Make sure a headless Chromium is installed for the Swagger UI browser test
# (tests/e2e/gateway-docs.test.ts drives it with playwright-core).
#
#   bash scripts/ensure-chromium.sh        (npm test runs it first)
#
# Idempotent: does nothing when /usr/bin/chromium (or CHROMIUM_PATH) exists.
# Otherwise installs Debian's `chromium` package via apt-get, which needs root.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

fail() { echo "ensure-chromium: FAIL: $*" >&2; exit 1; }
info() { echo "ensure-chromium: $*"; }

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  fail "$CHROMIUM not found and apt-get is unavailable; install Chromium and set CHROMIUM_PATH to its binary"
fi
if [[ "$(id -u)" -ne 0 ]]; then
  fail "$CHROMIUM not found; run as root (or: sudo apt-get install -y chromium) and re-run"
fi

info "chromium missing; installing Debian package chromium via apt-get (about 100 MB, once)"
export DEBIAN_FRONTEND=noninteractive
log=/tmp/ensure-chromium-apt.log
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2 || true
  fail "apt-get install chromium failed (log: $log)"
fi
[[ -x "$CHROMIUM" ]] || fail "$CHROMIUM still missing after apt-get install chromium (set CHROMIUM_PATH if it lives elsewhere)"
info "$("$CHROMIUM" --version 2>/dev/null || echo 'chromium installed')"
