#!/usr/bin/env bash
# A large upload is applied in steps (issue 11 item 2, docs/adr/0015), with
# real processes:
#
#  - while a 10,000-claim file goes in, `rcmqctl status` is asked every
#    250 ms and each must be answered with intake up (a generous timeout:
#    that intake answers at all, not how fast); the client, polling
#    intake.UploadStatus, must have seen the upload `applying` (before the
#    steps, the apply held the loop from start to end, so no request was
#    answered while it ran and the client never saw that state); the batch
#    counts and the claims metrics received are the generator's.
#  - intake SIGKILLed between two steps (the failpoint RCMQ_FAIL_INTAKE_STEP
#    kills it after its n-th committed step) before the batch's flip: after
#    a restart nothing of the batch exists (no batch record, no claim event
#    reaches metrics), and the same file then goes through whole;
#  - killed after the flip, while the staged events move to the outbox: the
#    batch exists after the restart, every claim event reaches metrics
#    exactly once, and the file sent again is refused as already processed.
#
# The expected figures are the generator's (scripts/gen-837 --expect).
# Steps are made 250 claims each (and no time limit), so 10,000 claims take
# 40 apply steps, the 42nd is the flip and drain steps follow.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/intake-steps.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init intake-steps 27950
export RCMQ_NOW="2026-11-02T12:00:00Z"
export RCMQ_INTAKE_MAX_REQUEST_BYTES=1048576
export RCMQ_INTAKE_APPLY_STEP_CLAIMS=250
export RCMQ_INTAKE_APPLY_STEP_MS=600000
unset RCMQ_FAIL_INTAKE_STEP
CLAIMS=10000
PRE_FLIP_STEP=5
POST_FLIP_STEP=50

field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
total() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$1" "$2"; }
intake_pid() { pgrep -f -x ".*/rcmq-intake --config $CONF" | head -n 1 || true; }
intake_up() {
    ctl --json --timeout 5000 status 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if [p for p in s["processes"] if p["name"] == "intake" and p["up"]] else 1)' 2>/dev/null
}
wait_up() {
    for _ in $(seq 1 150); do intake_up && return 0; sleep 0.2; done
    return 1
}
received() { ctl --json --timeout 10000 metrics kpi 2>/dev/null | field received 2>/dev/null || echo "?"; }
# Waits until metrics counts $1 claims received, and a little more (so a
# count that would overshoot has the time to); prints the last count.
settle_received() {
    local want="$1" got="?"
    for _ in $(seq 1 300); do
        got="$(received)"
        [[ "$got" == "$want" ]] && break
        sleep 0.2
    done
    sleep 3
    received
}
# Intake stopped (SIGTERM) and started again with the environment given.
restart_intake() {
    local pid
    pid="$(intake_pid)"
    if [[ -n "$pid" ]]; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    env "$@" "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; fail "restart"; }
    wait_up || fail "intake did not come back"
}

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 51 --control 5100 --claims "$CLAIMS" --date 2026-11-02 --out big.837 --expect big.json
python3 "$ROOT/scripts/gen-837" --seed 52 --control 5200 --claims "$CLAIMS" --date 2026-11-02 --out pre.837 --expect pre.json
python3 "$ROOT/scripts/gen-837" --seed 53 --control 5300 --claims "$CLAIMS" --date 2026-11-02 --out post.837 --expect post.json

# --- requests answered during the apply ------------------------------------
# Under `script`, standard error is a terminal: the client shows the states
# it polls.
script -qefc "$CTL --config $CONF --json intake submit big.837 >submit.json" progress.txt >/dev/null &
submit=$!
polls=0 answered=0
while kill -0 "$submit" 2>/dev/null; do
    polls=$((polls + 1))
    if ctl --json --timeout 20000 status >status.json 2>>status.err \
       && python3 -c '
import json, sys
status = json.load(open("status.json"))
sys.exit(0 if [p for p in status["processes"] if p["name"] == "intake" and p["up"]] else 1)'
    then
        answered=$((answered + 1))
    else
        echo "status request $polls: intake did not answer: $(tail -n 1 status.err 2>/dev/null)"
    fi
    sleep 0.25
done
wait "$submit" && submitted=0 || submitted=$?
[[ "$submitted" == 0 && "$(field status <submit.json)" == completed ]] && ok "the 10,000-claim file went through" \
    || fail "intake submit exited $submitted: $(tr "\r" "\n" <progress.txt | tail -n 5)"
[[ "$polls" -ge 1 && "$answered" == "$polls" ]] \
    && ok "all $polls status requests during the submit were answered, intake up" \
    || fail "$answered of $polls status requests during the submit were answered"
grep -q "applying" progress.txt && ok "the client's UploadStatus was answered while the batch was applied" \
    || fail "the client never saw its upload applying: requests waited for the whole apply ($(tr '\r' '\n' <progress.txt | tail -n 3 | tr '\n' ' '))"
python3 - <<'PY' && ok "the batch counts are the generator's" || fail "batch counts differ from the generator's"
import json
batch = json.load(open("submit.json"))
totals = json.load(open("big.json"))["totals"]
assert batch["claims"] == totals["claims"], (batch["claims"], totals["claims"])
assert batch["accepted"] == totals["accepted"], (batch["accepted"], totals["accepted"])
assert batch["rejected"] == totals["rejected"], (batch["rejected"], totals["rejected"])
PY
expected=$(total big.json claims)
got=$(settle_received "$expected")
[[ "$got" == "$expected" ]] && ok "metrics received the $expected claims of the file, once each" \
    || fail "metrics received $got claims, the generator made $expected"

# --- killed before the flip: nothing of the batch stays ----------------------
restart_intake RCMQ_FAIL_INTAKE_STEP="$PRE_FLIP_STEP"
pid=$(intake_pid)
ctl --json intake submit pre.837 >pre.out 2>pre.err && fail "the submit succeeded though the failpoint should have killed intake" \
    || ok "the submit failed: $(tail -n 1 pre.err)"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail "intake is still running: the failpoint RCMQ_FAIL_INTAKE_STEP=$PRE_FLIP_STEP did not kill it"
else
    grep "RCMQ_FAIL_INTAKE_STEP" "$RCMQ_VAR/log/intake.log" | tail -n 1 | grep -q '"phase":"apply"' \
        && ok "the failpoint killed intake after step $PRE_FLIP_STEP, while it applied claims" \
        || fail "intake ended, but not by the failpoint while it applied claims"
fi
batch=$(grep -o 'B[0-9]\{8\}-[0-9]\{6\}' pre.err | head -n 1 || true)
restart_intake
if [[ -n "$batch" ]] && ctl --json intake batch "$batch" >pre-batch.json 2>pre-batch.err; then
    fail "batch $batch exists after a kill before its flip: $(head -c 300 pre-batch.json)"
else
    ok "batch ${batch:-?} does not exist after the restart (the client was told to look it up, and to send again)"
fi
rejections=$(ctl --json intake rejections --batch "${batch:-none}" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo "?")
[[ "$rejections" == 0 ]] && ok "no rejection of the undone batch is listed" || fail "$rejections rejections of the undone batch are listed"
got=$(settle_received "$expected")
[[ "$got" == "$expected" ]] && ok "no claim event of the undone batch reached metrics ($got received)" \
    || fail "metrics received $got claims after the undone batch, $expected before"
ctl --json intake submit pre.837 >pre2.json 2>pre2.err && [[ "$(field status <pre2.json)" == completed \
    && "$(field claims <pre2.json)" == "$(total pre.json claims)" && "$(field accepted <pre2.json)" == "$(total pre.json accepted)" ]] \
    && ok "the file sent again went through whole" || fail "the file sent again: $(cat pre2.err; head -c 300 pre2.json)"
expected=$((expected + $(total pre.json claims)))
got=$(settle_received "$expected")
[[ "$got" == "$expected" ]] && ok "metrics received each claim of it once ($got in all)" \
    || fail "metrics received $got claims, the generator made $expected"

# --- killed after the flip: the batch is whole, its events go out once -----
restart_intake RCMQ_FAIL_INTAKE_STEP="$POST_FLIP_STEP"
pid=$(intake_pid)
ctl --json intake submit post.837 >post.out 2>post.err && fail "the submit succeeded though the failpoint should have killed intake" \
    || ok "the submit failed: $(tail -n 1 post.err)"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail "intake is still running: the failpoint RCMQ_FAIL_INTAKE_STEP=$POST_FLIP_STEP did not kill it"
else
    grep "RCMQ_FAIL_INTAKE_STEP" "$RCMQ_VAR/log/intake.log" | tail -n 1 | grep -q '"phase":"drain"' \
        && ok "the failpoint killed intake after step $POST_FLIP_STEP, after the flip, while the events moved" \
        || fail "intake ended, but not by the failpoint after the flip"
fi
batch=$(grep -o 'B[0-9]\{8\}-[0-9]\{6\}' post.err | head -n 1 || true)
restart_intake
ctl --json intake batch "${batch:-none}" >post-batch.json 2>post-batch.err && python3 - <<'PY' \
    && ok "batch $batch is whole after the restart, with the generator's counts" || fail "batch ${batch:-?} after the restart: $(cat post-batch.err; head -c 300 post-batch.json)"
import json
batch = json.load(open("post-batch.json"))
totals = json.load(open("post.json"))["totals"]
assert batch["status"] == "completed", batch["status"]
assert batch["claims"] == totals["claims"], (batch["claims"], totals["claims"])
assert batch["accepted"] == totals["accepted"], (batch["accepted"], totals["accepted"])
PY
expected=$((expected + $(total post.json claims)))
got=$(settle_received "$expected")
[[ "$got" == "$expected" ]] && ok "every claim event of the flipped batch reached metrics once ($got in all)" \
    || fail "metrics received $got claims, the generator made $expected"
if ctl --json intake submit post.837 >post2.json 2>post2.err; then
    fail "the flipped file was taken again: $(head -c 300 post2.json)"
else
    grep -q "already processed" post2.json post2.err && ok "the file sent again is refused: its interchange was processed" \
        || fail "the file sent again: $(cat post2.err; head -c 300 post2.json)"
fi
got=$(settle_received "$expected")
[[ "$got" == "$expected" ]] && ok "still $got claims received: nothing went twice" \
    || fail "metrics received $got claims, the generator made $expected"

"$ROOT/scripts/run" stop >/dev/null 2>&1 || fail "scripts/run stop"
if [[ "${RCMQ_SANITIZE:-0}" == 1 ]]; then
    reports="$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RCMQ_VAR"/log/*.log || true)"
    if [[ -z "$reports" ]]; then ok "no sanitizer reports in the processes' logs"; else
        for log in $reports; do
            fail "sanitizer report in $(basename "$log"):"
            grep -n -A 25 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 60 | sed 's/^/    /'
        done
    fi
fi

echo "intake-steps: $failures failure(s)"
[[ "$failures" == 0 ]]
