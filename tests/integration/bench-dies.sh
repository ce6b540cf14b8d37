#!/usr/bin/env bash
# bench/e2e when a process of its deployment dies: it stops at once, saying
# which process, how it ended and in which stage, with the end of its log
# (bench/bench_watch.h). Before, it waited out rcmqctl's 15-minute timeout
# or its own hour (session 10's 1M run: rcmq-audit segfaulted and the bench
# sat waiting). Three runs of --claims 200 --no-limits:
#   - intake SIGKILLs itself after its first step (the failpoint
#     RCMQ_FAIL_INTAKE_STEP) while `rcmqctl intake submit` waits for it:
#     non-zero soon, naming rcmq-intake, signal 9 and the stage intake, with
#     its log's failpoint line; no JSON line; none of its processes left;
#   - the test kills rcmq-audit while the bench waits for the deployment to
#     come up (the status loop): the same, rcmq-audit and stage start-up;
#   - nothing dies: exit 0 and the JSON line, as before.
# And bench/intake --ingest-only with RCMQ_FAIL_INTAKE_STEP=1: exit 1 soon,
# naming rcmq-intake, signal 9 and the stage ingest (its own client calls
# stop waiting when a process dies: client_set_watch).
#
# Run by scripts/test (RCMQ_BUILD, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/bench-dies.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init bench-dies 27900
BENCH="$RCMQ_BUILD/bench/e2e"
[[ -x "$BENCH" ]] || { echo "bench-dies: $BENCH not built"; exit 1; }
# The bench's temp dirs (kept when it fails) go with the test's.
export TMPDIR="$WORK"
# How long a run that noticed a death may take at most (a sanitizer build
# starts its eight processes slowly; the old waits were 900 s and more).
LIMIT_S=90

# The pids of the processes still running on a bench's config under $WORK.
leftovers() { pgrep -f -- "--config $WORK/rcmq-bench-e2e-" || true; }

# checks NAME PROCESS STAGE SIGNAL ELAPSED RC: what a run that saw PROCESS
# die must have said and left.
checks() {
    local name="$1" process="$2" stage="$3" signal="$4" elapsed="$5" rc="$6"
    ((rc != 0)) && ok "$name: exit $rc" || fail "$name: exit 0"
    ((elapsed <= LIMIT_S)) && ok "$name: done in $elapsed s" || fail "$name: took $elapsed s"
    grep -qE "^bench: $process \(pid [0-9]+\) died during $stage: killed by signal $signal " "$name.err" \
        && ok "$name: names $process, signal $signal and the stage $stage" \
        || { fail "$name: no line naming $process, $stage and signal $signal"; sed 's/^/    err: /' "$name.err" | tail -n 30; }
    grep -q "^bench: the last lines of .*/${process#rcmq-}.log:" "$name.err" \
        && ok "$name: shows the end of ${process#rcmq-}.log" || fail "$name: no log tail"
    grep -q '^{"name":"e2e"' "$name.out" && fail "$name: printed the JSON line" || ok "$name: no JSON line"
    [[ -z "$(leftovers)" ]] && ok "$name: none of its processes left" || fail "$name: left $(leftovers | tr '\n' ' ')"
}

# 1. intake dies inside `rcmqctl intake submit`.
start=$SECONDS rc=0
RCMQ_FAIL_INTAKE_STEP=1 timeout 600 "$BENCH" --claims 200 --no-limits >intake.out 2>intake.err || rc=$?
checks intake rcmq-intake intake 9 $((SECONDS - start)) "$rc"
grep -q '    | .*failpoint RCMQ_FAIL_INTAKE_STEP' intake.err \
    && ok "intake: the tail holds the failpoint's line" || fail "intake: the tail misses the failpoint's line"

# 2. audit killed while the bench waits for every process to be up.
start=$SECONDS rc=0
timeout 600 "$BENCH" --claims 200 --no-limits >audit.out 2>audit.err &
bench=$!
audit=""
for _ in $(seq 1 600); do
    audit="$(pgrep -f -- "rcmq-audit --config $WORK/rcmq-bench-e2e-" || true)"
    [[ -n "$audit" ]] && break
    sleep 0.1
done
if [[ -n "$audit" ]]; then
    kill -KILL "$audit"
    killed=$SECONDS
    wait "$bench" || rc=$?
    checks audit rcmq-audit start-up 9 $((SECONDS - start)) "$rc"
    ((SECONDS - killed <= 15)) && ok "audit: stopped $((SECONDS - killed)) s after the kill" \
        || fail "audit: stopped $((SECONDS - killed)) s after the kill"
else
    fail "audit: rcmq-audit never started"
    kill "$bench" 2>/dev/null || true
    wait "$bench" || true
fi

# 4. bench/intake (its own client calls, not rcmqctl): intake SIGKILLs itself
#    after its first step while the bench polls the upload. Its calls
#    stop waiting the moment a process dies (client_set_watch with
#    bench_watch_client), so it stops naming rcmq-intake and the stage
#    ingest, as e2e does.
INTAKE_BENCH="$RCMQ_BUILD/bench/intake"
ileftovers() { pgrep -f -- "--config $WORK/rcmq-bench-intake-" || true; }
start=$SECONDS rc=0
RCMQ_FAIL_INTAKE_STEP=1 timeout 600 "$INTAKE_BENCH" --claims 200 --ingest-only >bintake.out 2>bintake.err || rc=$?
elapsed=$((SECONDS - start))
((rc == 1)) && ok "bench intake: exit 1" || fail "bench intake: exit $rc"
((elapsed <= LIMIT_S)) && ok "bench intake: done in $elapsed s" || fail "bench intake: took $elapsed s"
grep -qE "^bench: rcmq-intake \(pid [0-9]+\) died during ingest: killed by signal 9 " bintake.err \
    && ok "bench intake: names rcmq-intake, signal 9 and the stage ingest" \
    || { fail "bench intake: no line naming rcmq-intake, ingest and signal 9"; sed 's/^/    err: /' bintake.err | tail -n 30; }
grep -q '    | .*failpoint RCMQ_FAIL_INTAKE_STEP' bintake.err \
    && ok "bench intake: the tail holds the failpoint's line" || fail "bench intake: the tail misses the failpoint's line"
grep -q "ingest via upload" bintake.out && fail "bench intake: printed its figures" || ok "bench intake: no figures"
[[ -z "$(ileftovers)" ]] && ok "bench intake: none of its processes left" || fail "bench intake: left $(ileftovers | tr '\n' ' ')"

# 3. Nothing dies: the run as before.
rc=0
timeout 600 "$BENCH" --claims 200 --no-limits >whole.out 2>whole.err || rc=$?
((rc == 0)) && ok "whole: exit 0" || { fail "whole: exit $rc"; tail -n 30 whole.err; }
tail -n 1 whole.out | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["name"] == "e2e" and d["figures"]["claims"] == 200, d' \
    && ok "whole: the JSON line, 200 claims" || fail "whole: no JSON line of 200 claims: $(tail -n 1 whole.out)"
grep -q "died during" whole.err && fail "whole: a death reported" || ok "whole: no death reported"

echo
if ((failures)); then
    echo "bench-dies: $failures check(s) failed"
    exit 1
fi
echo "bench-dies: all checks passed"
