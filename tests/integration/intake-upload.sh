#!/usr/bin/env bash
# Large files into intake, with real processes (issue 11, items 2 and 3):
#
#  - `rcmqctl intake submit -` reads standard input and sends the file in
#    chunks (intake's request limit is set to 1 MiB here, so a 10,000-claim
#    file of ~7 MB takes several); while it is parsed and applied,
#    `rcmqctl status` is asked every 250 ms and each answer must say intake
#    is up (a generous timeout: this checks that intake answers at all while
#    it works, not how fast). The batch counts are the generator's.
#  - a request above the limit (the same file as ONE intake.Submit, with
#    the client's own check set above the server's) is dropped by intake,
#    the client's error says why, nothing of it is applied, and intake goes
#    on answering; with the client knowing the limit it is refused before
#    it is sent, with an error naming api/max-request-bytes.
#  - an upload is all-or-nothing across a SIGKILL: intake killed while it
#    prepares a file keeps no trace of it and no staged file after restart.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/intake-upload.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init intake-upload 27900
export RCMQ_NOW="2026-11-02T12:00:00Z"
# Every process (and rcmqctl) reads the limit from the environment.
export RCMQ_INTAKE_MAX_REQUEST_BYTES=1048576
CLAIMS="${RCMQ_UPLOAD_CLAIMS:-10000}"

field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
intake_pid() { pgrep -f -x ".*/rcmq-intake --config $CONF" | head -n 1; }

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 11 --control 2000 --claims "$CLAIMS" --date 2026-11-02 --out big.837 --expect big.json
python3 "$ROOT/scripts/gen-837" --seed 12 --control 3000 --claims 3000 --date 2026-11-02 --out whole.837 --expect whole.json
size=$(stat -c %s big.837)
[[ "$size" -gt 2097152 ]] || fail "the test file is only $size bytes: it should take several 1 MiB chunks"

# --- status while a file goes in from standard input ---------------------
ctl --json intake submit - --name big.837 <big.837 >submit.json 2>submit.err &
submit=$!
polls=0 answered=0
while kill -0 "$submit" 2>/dev/null; do
    polls=$((polls + 1))
    if ctl --json --timeout 20000 status >status.json 2>>status.err \
       && python3 - <<'PY'
import json, sys
status = json.load(open("status.json"))
intake = [p for p in status["processes"] if p["name"] == "intake"]
sys.exit(0 if intake and intake[0]["up"] else 1)
PY
    then
        answered=$((answered + 1))
    else
        echo "status request $polls: intake did not answer: $(tail -n 1 status.err 2>/dev/null)"
    fi
    sleep 0.25
done
wait "$submit" && submitted=0 || submitted=$?
[[ "$submitted" == 0 ]] && ok "intake submit - (standard input) went through" \
    || { fail "intake submit - exited $submitted: $(cat submit.err)"; }
[[ "$polls" -ge 1 && "$answered" == "$polls" ]] \
    && ok "all $polls status requests during the submit were answered, intake up" \
    || fail "$answered of $polls status requests during the submit were answered"
python3 - <<'PY' && ok "the batch counts are the generator's" || fail "batch counts differ from the generator's"
import json
batch = json.load(open("submit.json"))
expect = json.load(open("big.json"))
totals = expect["totals"]
assert batch["status"] == "completed", batch
assert batch["filename"] == "big.837", batch["filename"]
assert batch["claims"] == totals["claims"], (batch["claims"], totals["claims"])
assert batch["accepted"] == totals["accepted"], (batch["accepted"], totals["accepted"])
assert batch["rejected"] == totals["rejected"], (batch["rejected"], totals["rejected"])
PY
[[ -z "$(ls -A "$RCMQ_VAR/data/intake-uploads" 2>/dev/null)" ]] && ok "no staged file is left after the batch" \
    || fail "staged files left: $(ls "$RCMQ_VAR/data/intake-uploads")"

# --- a request above the limit -------------------------------------------
batches_before=$(ctl --json status >/dev/null; ls "$RCMQ_VAR"/data/acks | wc -l)
if RCMQ_INTAKE_MAX_REQUEST_BYTES=67108864 ctl --timeout 5000 intake submit --whole whole.837 >whole.out 2>whole.err; then
    fail "a request of $(stat -c %s whole.837) bytes went through a 1 MiB limit"
else
    grep -q "closed the connection" whole.err && ok "a request above intake's limit is dropped, and the client says why: $(cat whole.err)" \
        || fail "a request above the limit: unexpected error: $(cat whole.err)"
fi
if ctl intake submit --whole whole.837 >whole.out 2>whole.err; then
    fail "the client sent a request above the limit it knows"
else
    grep -q "api/max-request-bytes" whole.err && ok "the client refuses a request above the limit: $(cat whole.err)" \
        || fail "client-side refusal: unexpected error: $(cat whole.err)"
fi
[[ -n "$(intake_pid)" ]] && ok "intake is still running" || fail "intake died"
ctl --json --timeout 5000 status | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if [p for p in s["processes"] if p["name"] == "intake" and p["up"]] else 1)' \
    && ok "intake answers after the oversized request" || fail "intake does not answer after the oversized request"
[[ "$(ls "$RCMQ_VAR"/data/acks | wc -l)" == "$batches_before" ]] && ok "nothing of the oversized request was applied" \
    || fail "the oversized request made a batch"
# The same file, chunked, goes through.
ctl --json intake submit whole.837 >whole.json 2>whole.err && [[ "$(field status <whole.json)" == completed ]] \
    && ok "the same file in chunks is taken" || fail "the same file in chunks: $(cat whole.err)"

# --- SIGKILL while an upload is prepared ----------------------------------
python3 "$ROOT/scripts/gen-837" --seed 13 --control 4000 --claims "$CLAIMS" --date 2026-11-02 --out crash.837 --expect crash.json
ctl --json intake submit crash.837 >crash.json.out 2>crash.err &
submit=$!
# Kill once the upload is staged and intake works on it.
for _ in $(seq 1 400); do
    grep -q "parsing\|applying" crash.err 2>/dev/null && break
    [[ -n "$(ls "$RCMQ_VAR/data/intake-uploads"/*.prep 2>/dev/null)" ]] && break
    sleep 0.05
done
pid=$(intake_pid)
kill -KILL "$pid"
wait "$submit" && fail "the submit succeeded though intake was killed" || ok "the submit failed when intake was killed: $(tail -n 1 crash.err)"
"$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; fail "restart"; }
for _ in $(seq 1 100); do
    ctl --json status 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if [p for p in s["processes"] if p["name"] == "intake" and p["up"]] else 1)' 2>/dev/null && break
    sleep 0.2
done
[[ -z "$(ls -A "$RCMQ_VAR/data/intake-uploads" 2>/dev/null)" ]] && ok "the restart removed the staged files" \
    || fail "staged files left after the restart: $(ls "$RCMQ_VAR/data/intake-uploads")"
ctl --json intake submit crash.837 >crash2.json 2>crash2.err
status=$(field status <crash2.json 2>/dev/null || true)
claims=$(field claims <crash2.json 2>/dev/null || true)
if [[ "$status" == completed && "$claims" == "$CLAIMS" ]]; then
    ok "nothing of the killed upload was applied: the file went through whole afterwards"
else
    # Only if the kill came after the commit may the first try have won.
    fail "after the kill, the file again: status '$status', claims '$claims': $(cat crash2.err)"
fi

echo "intake-upload: $failures failure(s)"
[[ "$failures" == 0 ]]
