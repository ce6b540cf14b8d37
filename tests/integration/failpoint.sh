#!/usr/bin/env bash
# RCMQ_FAIL_APPLY (common/failpoint.h, docs/adr/0073) says when it cannot
# fire. Since the filtered fan-out (ADR 58) a service receives only the
# types its event table names, and an entry on an event of another type
# never fired, silently. Now:
#   - text that is no <service>:<stream>:<seq> stops the start, the log
#     naming the item;
#   - an entry on a stream the service does not consume (inquiry and
#     intake) stops that service's start, the log naming the entry;
#   - an entry the stream's offset passes without the event reaching the
#     service (intake #4, the batch's batch_completed, which metrics does
#     not take) is the problem failpoint_passed in status (ok false),
#     naming the entry and what metrics takes; the stream goes on.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=37000 bash tests/integration/failpoint.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init failpoint 27900
export RCMQ_NOW="2026-11-02T12:00:00Z"

# start [TIMEOUT_S]: scripts/run --empty with RCMQ_FAIL_APPLY as set; its
# exit status in $rc. A start that is to fail waits TIMEOUT_S, not the
# whole start timeout, for the process that will not come up.
start() {
    rc=0
    RCMQ_START_TIMEOUT="${1:-${RCMQ_START_TIMEOUT:-60}}" "$ROOT/scripts/run" --empty >"$WORK/start.log" 2>&1 || rc=$?
    cat "$WORK/start.log" >>"$WORK/run.log"
}

# 1. Not an entry.
export RCMQ_FAIL_APPLY="metrics:intake:2,metrics:intake:x"
start 15
((rc != 0)) && ok "bad text: scripts/run fails (exit $rc)" || fail "bad text: scripts/run started"
grep -qF "RCMQ_FAIL_APPLY: 'metrics:intake:x' is not <service>:<stream>:<seq>" "$RCMQ_VAR/log/metrics.log" \
    && ok "bad text: metrics' log names the item" || fail "bad text: $(tail -n 3 "$RCMQ_VAR/log/metrics.log")"
stop_all || true

# 2. A stream the service does not consume.
export RCMQ_FAIL_APPLY="inquiry:intake:1"
start 15
grep -F "RCMQ_FAIL_APPLY names a stream this service does not consume" "$RCMQ_VAR/log/inquiry.log" \
    | grep -qF '"failpoint":"inquiry:intake:1"' \
    && ok "inquiry:intake:1: inquiry's start fails, naming the entry" || fail "inquiry: $(tail -n 3 "$RCMQ_VAR/log/inquiry.log")"
((rc != 0)) && ok "inquiry:intake:1: scripts/run fails (exit $rc)" || fail "inquiry:intake:1: scripts/run started"
stop_all || true

# 3. An event of a type metrics does not take: three claims are intake #1-3
# (claim_accepted), the batch's batch_completed #4.
export RCMQ_FAIL_APPLY="metrics:intake:4"
start
((rc == 0)) && ok "metrics:intake:4: the deployment starts" || { fail "start: exit $rc"; tail -n 20 "$WORK/start.log"; }
"$ROOT/scripts/gen-837" --seed 3 --claims 3 --date 2026-11-01 --out three.837 --expect three.json
expect 0 "intake accepts three claims" ctl intake submit three.837
passed() {
    ctl status --json --timeout 2000 >status.json 2>/dev/null || true
    python3 - <<'EOF'
import json, sys
doc = json.load(open("status.json"))
metrics = [p for p in doc["processes"] if p["name"] == "metrics"][0]
problems = [p for p in metrics["problems"] if p["code"] == "failpoint_passed"]
sys.exit(0 if problems else 1)
EOF
}
if wait_for 60 passed; then ok "metrics raises failpoint_passed"; else fail "no failpoint_passed problem"; head -c 3000 status.json; fi
python3 - <<'EOF' && ok "the problem names metrics:intake:4 and what metrics takes; ok false; intake went on to #4" || fail "status: $(head -c 3000 status.json)"
import json
doc = json.load(open("status.json"))
assert doc["ok"] is False, doc["ok"]
metrics = [p for p in doc["processes"] if p["name"] == "metrics"][0]
problem = [p for p in metrics["problems"] if p["code"] == "failpoint_passed"][0]
assert problem["subject"] == "intake" and problem["seq"] == 4, problem
assert "RCMQ_FAIL_APPLY metrics:intake:4 never fired" in problem["message"], problem
assert "intake?" in problem["message"] and "claim_accepted" in problem["message"], problem
assert metrics["consumed"]["intake"] >= 4, metrics["consumed"]
assert not [p for p in metrics["problems"] if p["code"] == "stream_stopped"], metrics["problems"]
EOF
lines="$(grep -c "RCMQ_FAIL_APPLY never fired" "$RCMQ_VAR/log/metrics.log" || true)"
((lines == 1)) && ok "metrics' log says it once" || fail "metrics' log says it $lines times"
stop_all || true

echo
if ((failures)); then
    echo "failpoint: $failures check(s) failed"
    exit 1
fi
echo "failpoint: all checks passed"
