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

# start_deployment: scripts/run --empty, its output in $WORK/run.log; a
# deployment that does not start ends the test (shown the log).
start_deployment() {
    "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; exit 1; }
}

ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ctl()  { "$CTL" --config "$CONF" "$@"; }
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

# wait_for SECONDS COMMAND...: polls COMMAND every 0.5 s until it succeeds.
wait_for() {
    local seconds="$1"; shift
    local deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        "$@" && return 0
        sleep 0.5
    done
    return 1
}

# wait_claims N: until claims lists N claims (60 s at most).
wait_claims() {
    for _ in $(seq 1 120); do
        [[ "$(ctl claims list --limit 1000 --json 2>/dev/null | count)" == "$1" ]] && return 0
        sleep 0.5
    done
    return 1
}

# test_finish NAME: the last line, and the exit status.
test_finish() {
    ((failures == 0)) && { echo "$1: all checks passed"; exit 0; }
    echo "$1: $failures check(s) failed"; exit 1
}
