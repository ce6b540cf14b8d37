#!/usr/bin/env bash
# The dashboard in a real browser (issue 18): headless Chromium driven by
# python3-selenium (Debian's chromium, chromium-driver, python3-selenium)
# against a whole deployment with the demo data that scripts/run loads.
# dashboard.py says what it checks; screenshots of each page are kept in
# RCMQ_ARTIFACTS (default <build>/test-artifacts/browser).
#
# Run by scripts/test once, in the normal build (not under the sanitizer
# build); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=28000 bash tests/browser/dashboard.sh
set -euo pipefail

: "${RCMQ_BUILD:?set RCMQ_BUILD to a build directory (scripts/test does)}"
ROOT="${RCMQ_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
RCMQ_BUILD="$(realpath "$RCMQ_BUILD")"
export RCMQ_BUILD RCMQ_NO_BUILD=1
export RCMQ_PORT_BASE="${RCMQ_TEST_PORT_BASE:-28000}"
export RCMQ_NOW="2026-11-02T09:00:00Z"
# Two preventable denials of a payer, procedure and category make a pattern
# (denials/pattern-min, 5 by default), so the demo data has top patterns.
export RCMQ_DENIALS_PATTERN_MIN=2
export RCMQ_START_TIMEOUT="${RCMQ_START_TIMEOUT:-120}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/browser.XXXXXX")"
export RCMQ_VAR="$WORK/var"
ARTIFACTS="${RCMQ_ARTIFACTS:-$RCMQ_BUILD/test-artifacts/browser}"
mkdir -p "$ARTIFACTS"

# Debian's python3-selenium is for Debian's python3, whatever python3 is
# first on PATH (a pyenv, a venv).
PYTHON=/usr/bin/python3
for need in /usr/bin/chromium /usr/bin/chromedriver; do
    [[ -x "$need" ]] || { echo "FAIL $need is missing (apt-get install chromium chromium-driver)"; exit 1; }
done
"$PYTHON" -c 'import selenium' 2>/dev/null || { echo "FAIL python3-selenium is missing"; exit 1; }

stop_deployment() { "$ROOT/scripts/run" stop >/dev/null 2>&1 || true; }
trap 'stop_deployment; rm -rf "$WORK"' EXIT
cd "$WORK"

"$ROOT/scripts/run" >"$WORK/start.log" 2>&1 || { tail -n 60 "$WORK/start.log"; exit 1; }
echo "ok   scripts/run started a deployment with the demo data"

"$PYTHON" "$ROOT/tests/browser/dashboard.py" \
    --ctl "$RCMQ_BUILD/cli/rcmqctl" --config "$RCMQ_VAR/rcmq.conf" \
    --url "http://127.0.0.1:$((RCMQ_PORT_BASE + 80))" --artifacts "$ARTIFACTS" --downloads "$WORK/downloads"
