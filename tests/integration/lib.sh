# lib.sh: the set-up the shell tests of tests/integration share, sourced
# first and started with the test's name (and its port base when run by
# hand):
#
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#     test_init claims-paging 27800
#
# test_init checks RCMQ_BUILD (scripts/test sets it, with RCMQ_SOURCE,
# RCMQ_TEST_PORT_BASE and TMPDIR) and sets
#   ROOT            the source tree: RCMQ_SOURCE, else this file's ../..
#   RCMQ_BUILD      the build, made absolute and exported (scripts/run
#                   starts its programs)
#   RCMQ_PORT_BASE  RCMQ_TEST_PORT_BASE, else the port base given; exported
#   WORK            a new folder, the current directory from then on,
#                   removed at exit unless KEEP is set
#   RCMQ_VAR        $WORK/var (exported): the deployment scripts/run makes
#   CTL, CONF       rcmqctl and that deployment's config file
# and at exit stops that deployment (never another: RCMQ_VAR names it).
# A test sets what else it needs (RCMQ_NOW, settings) after test_init and
# before it starts the deployment; it may define its own ok, ctl or expect
# after sourcing, which then stand instead of these.
#
# scripts/test runs every tests/integration/*.sh but this one.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "lib.sh: sourced by the tests in $(dirname "$0"), nothing to run on its own"
    exit 0
fi

# rcmq_grant (a person granted through the registry, as a deployment does)
# and the rest of scripts/lib/common.sh.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

# shellcheck disable=SC2034  # ROOT, CTL, CONF and failures are the test's
test_init() {
    local name="$1" port_base="${2:-27800}"
    : "${RCMQ_BUILD:?set RCMQ_BUILD to a build directory (scripts/test does)}"
    ROOT="${RCMQ_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
    RCMQ_BUILD="$(realpath "$RCMQ_BUILD")"
    export RCMQ_BUILD
    export RCMQ_PORT_BASE="${RCMQ_TEST_PORT_BASE:-$port_base}"
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")"
    export RCMQ_VAR="$WORK/var"
    CTL="$RCMQ_BUILD/cli/rcmqctl"
    CONF="$RCMQ_VAR/rcmq.conf"
    trap 'stop_deployment; [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"' EXIT
    cd "$WORK"
    failures=0
}

# Stops the test's deployment, if it made one; never fails.
stop_deployment() {
    [[ -d "$RCMQ_VAR" ]] || return 0
    "$ROOT/scripts/run" stop >/dev/null 2>&1 || true
}

# start_deployment: scripts/run --empty, this start's output in
# $WORK/start.log and every start's in $WORK/run.log; a deployment that
# does not start ends the test (shown this start's output).
start_deployment() {
    local rc=0
    "$ROOT/scripts/run" --empty >"$WORK/start.log" 2>&1 || rc=$?
    cat "$WORK/start.log" >>"$WORK/run.log"
    ((rc == 0)) || { cat "$WORK/start.log"; exit 1; }
}

ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
# rcmqctl on the test's deployment; CTL_TIMEOUT_MS, when the test sets it,
# is each request's timeout (a test of slow work on a loaded machine).
ctl()  { "$CTL" --config "$CONF" ${CTL_TIMEOUT_MS:+--timeout "$CTL_TIMEOUT_MS"} "$@"; }
# The length of the JSON array on stdin.
count() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# expect STATUS WHAT COMMAND...: runs COMMAND (its output in $WORK/out and
# $WORK/err) and checks its exit status; on a failure shows both.
expect() {
    local want="$1" what="$2" rc=0; shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    if ((rc == want)); then ok "$what (exit $rc)"; else
        fail "$what: exit $rc, expected $want"
        sed 's/^/    out: /' "$WORK/out" | tail -n 30; sed 's/^/    err: /' "$WORK/err" | tail -n 40; fi
}

# The deployment's processes running now, "NAME PID" a line: each
# var/run/NAME.pid naming a live rcmq-NAME (not a zombie), as scripts/run
# tells them.
running_processes() {
    local file name pid
    for file in "$RCMQ_VAR"/run/*.pid; do
        [[ -e "$file" ]] || continue
        name="$(basename "$file" .pid)"
        pid="$(cat "$file" 2>/dev/null)" || continue
        process_alive "$name" "$pid" && echo "$name $pid"
    done
    return 0
}
process_alive() {
    local stat
    [[ -n "$2" && "$(cat "/proc/$2/comm" 2>/dev/null)" == "rcmq-$1" ]] || return 1
    stat="$(cat "/proc/$2/stat" 2>/dev/null)" || return 1
    [[ "${stat##*) }" != Z* ]]          # the state, after the command's name
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.5 s until it succeeds.
# A process of the deployment that was running when the wait began and dies
# during it ends the wait at once (what it waits for cannot come), saying
# which and showing the end of its log.
wait_for() {
    local seconds="$1"; shift
    local deadline=$((SECONDS + seconds)) running name pid
    running="$(running_processes)"
    while ((SECONDS < deadline)); do
        "$@" && return 0
        while read -r name pid; do
            [[ -z "$name" ]] && continue
            process_alive "$name" "$pid" && continue
            echo "wait_for: rcmq-$name (pid $pid) died while waiting for: $*" >&2
            tail -n 20 "$RCMQ_VAR/log/$name.log" 2>/dev/null | sed 's/^/    | /' >&2
            return 1
        done <<<"$running"
        sleep 0.5
    done
    return 1
}

# caught_up NAME STREAM...: process NAME has consumed every STREAM up to
# the broker's head (rcmqctl status --json, kept in caught-up.json, where a
# failed wait can look for why). For wait_for: wait_for 90 caught_up denials claims
caught_up() {
    local name="$1"; shift
    ctl status --json >caught-up.json 2>/dev/null || return 1
    python3 - "$name" "$@" <<'PY'
import json, sys
status = json.load(open("caught-up.json"))
heads = {s["stream"]: s["head_seq"] for s in status["broker"]["streams"]}
proc = [p for p in status["processes"] if p["name"] == sys.argv[1]]
sys.exit(0 if proc and all(proc[0].get("consumed", {}).get(s, 0) >= heads.get(s, 0) for s in sys.argv[2:]) else 1)
PY
}

# wait_claims N: until claims lists N claims (60 s at most).
wait_claims() {
    for _ in $(seq 1 120); do
        [[ "$(ctl claims list --limit 1000 --json 2>/dev/null | count)" == "$1" ]] && return 0
        sleep 0.5
    done
    return 1
}

# start_all_up: scripts/run --empty whatever its exit status -- it exits
# non-zero when the status it prints at its end is not ok, which a test of
# a restored or rolled-back store causes on purpose -- then every one of
# the deployment's eight processes up ("8 of 8 processes up"); a deployment
# that is not ends the test (shown this start's output).
start_all_up() {
    "$ROOT/scripts/run" --empty >"$WORK/start.log" 2>&1 || true
    cat "$WORK/start.log" >>"$WORK/run.log"
    grep -q "8 of 8 processes up" "$WORK/start.log" || { tail -n 40 "$WORK/start.log"; exit 1; }
}

# stop_all: scripts/run stop, its output in $WORK/run.log (a test that
# restarts its deployment).
stop_all() { "$ROOT/scripts/run" stop >>"$WORK/run.log" 2>&1; }

# check_sanitizer: a check that no process log of the deployment holds a
# sanitizer report (ASan, LSan, UBSan's "runtime error:"), each one shown.
# Reports come only from a sanitizer build (RCMQ_SANITIZE=1), but the logs
# are read whatever the build: a report is never passed over.
check_sanitizer() {
    local pattern='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' reports log
    reports="$(grep -l -E "$pattern" "$RCMQ_VAR"/log/*.log 2>/dev/null || true)"
    if [[ -z "$reports" ]]; then ok "no sanitizer reports in the processes' logs"; return 0; fi
    for log in $reports; do
        fail "sanitizer report in $(basename "$log"):"
        grep -n -A 25 -E "$pattern" "$log" | head -n 60 | sed 's/^/    /'
    done
}

# test_finish NAME: the last line, and the exit status.
test_finish() {
    ((failures == 0)) && { echo "$1: all checks passed"; exit 0; }
    echo "$1: $failures check(s) failed"; exit 1
}
