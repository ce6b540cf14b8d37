#!/usr/bin/env bash
# The README's promise, with real processes: scripts/run starts the broker and
# the six services, `rcmqctl status` sees all eight up (the dashboard too), a second scripts/run
# only reports, a dead process is noticed and restarted, an unknown CURVE key
# gets no service, scripts/run stop ends them all, and a restart keeps the
# keys and data. In the sanitizer build, no process may report an ASan, UBSan
# or leak error in its log.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/cli-run.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init cli-run 27700

status_json() { "$CTL" --config "$CONF" status --json 2>/dev/null || true; }
up_count() { status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["up"])'; }
keys_digest() { grep -h 'public-key' "$RCMQ_VAR"/keys/public/*.cert | sha256sum | cut -d' ' -f1; }

expect 0 "scripts/run --empty starts a deployment" "$ROOT/scripts/run" --empty
[[ -f "$CONF" ]] && ok "it wrote $CONF" || fail "no $CONF"
grep -q "127.0.0.1:$((RCMQ_PORT_BASE + 4))" "$CONF" && ok "ports follow RCMQ_PORT_BASE" || fail "ports ignore RCMQ_PORT_BASE"
expect 0 "rcmqctl status --json" "$CTL" --config "$CONF" status --json
python3 - "$WORK/out" <<'EOF' && ok "all eight up, broker status present" || fail "status --json: not all up"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["ok"] is True and doc["up"] == 8, doc
names = sorted(p["name"] for p in doc["processes"])
assert names == sorted(["broker", "intake", "claims", "denials", "inquiry", "audit", "metrics", "web"]), names
assert doc["broker"] is not None and "streams" in doc["broker"], doc["broker"]
assert all(p["version"] for p in doc["processes"]), doc
assert all(p["problems"] == [] for p in doc["processes"]), doc
EOF
expect 0 "rcmqctl status (table)" "$CTL" --config "$CONF" status
grep -q "8 of 8 processes up" "$WORK/out" && ok "the table says 8 of 8 up" || fail "the table does not say 8 of 8 up"

expect 0 "scripts/run when already running" "$ROOT/scripts/run" --empty
grep -q "already running" "$WORK/err" && ok "it only reports" || fail "it did more than report"
expect 0 "scripts/run status" "$ROOT/scripts/run" status

# An identity the deployment does not know: the servers' public keys, but
# a client key that is not in var/keys/public.
mkdir -p stranger/public
cp "$RCMQ_VAR"/keys/public/*.cert stranger/public/
"$CTL" keys add mallory --role admin --dir stranger >/dev/null
expect 1 "status with an unknown CURVE key" "$CTL" --config "$CONF" --keys stranger --as mallory status --timeout 500
grep -q "CURVE" "$WORK/err" && ok "the error says the key may be refused" || fail "the error does not mention CURVE"

claims_pid="$(cat "$RCMQ_VAR/run/claims.pid")"
kill -KILL "$claims_pid"
sleep 0.3
expect 1 "status with claims killed" "$CTL" --config "$CONF" status --timeout 500
grep -q "claims down" "$WORK/err" && ok "the error names claims" || fail "the error does not name claims"
expect 0 "scripts/run restarts what is missing" "$ROOT/scripts/run" --empty
[[ "$(cat "$RCMQ_VAR/run/claims.pid")" != "$claims_pid" ]] && ok "claims has a new pid" || fail "claims was not restarted"
[[ "$(up_count)" == 8 ]] && ok "eight up again" || fail "not eight up after the restart"

digest="$(keys_digest)"
expect 0 "scripts/run stop" "$ROOT/scripts/run" stop
left=0
for pidfile in "$RCMQ_VAR"/run/*.pid; do
    [[ -e "$pidfile" ]] && left=$((left + 1))
done
((left == 0)) && ok "no pid files left" || fail "$left pid file(s) left"
grep -q "SIGKILL" "$WORK/err" && fail "stop had to SIGKILL: $(grep SIGKILL "$WORK/err")" || ok "every process exited on SIGTERM"
expect 1 "status after stop" "$CTL" --config "$CONF" status --timeout 300
expect 0 "scripts/run stop when stopped" "$ROOT/scripts/run" stop

expect 0 "scripts/run again after stop" "$ROOT/scripts/run" --empty
[[ "$(keys_digest)" == "$digest" ]] && ok "the restart kept the keys" || fail "the restart changed the keys"
[[ -d "$RCMQ_VAR/data/claims" ]] && ok "the restart kept var/data" || fail "var/data/claims is gone"
expect 0 "scripts/run stop" "$ROOT/scripts/run" stop

# A sanitizer report in any process's log is a failure even if it kept running.
check_sanitizer
echo
test_finish cli-run
