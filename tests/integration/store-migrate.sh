#!/usr/bin/env bash
# Stores at start-up through scripts/run (issue 10): a second process on a
# running deployment's store is refused naming the lock and the holder's pid;
# `scripts/run migrate` stops the deployment, runs every process once with
# --migrate (each logs that its store is at the current version), and starts
# it again; a store stamped with a newer layout version than the build's is
# refused by both `scripts/run` and `scripts/run migrate`, naming both
# versions, and nothing in it changes.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/store-migrate.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init store-migrate 27800

up_count() {
    "$CTL" --config "$CONF" status --json 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["up"])' 2>/dev/null || echo 0
}

expect 0 "scripts/run --empty starts a deployment" "$ROOT/scripts/run" --empty
[[ "$(up_count)" == 8 ]] && ok "eight up" || fail "not eight up"

# A second rcmq-claims on the same store, the way an operator might start one.
claims_pid="$(cat "$RCMQ_VAR/run/claims.pid")"
expect 1 "a second rcmq-claims on the running store" \
    "$RCMQ_BUILD/services/claims/rcmq-claims" --config "$CONF"
grep -q "data/claims/rcmq.lock is held by pid $claims_pid on host" "$WORK/out" "$WORK/err" \
    && ok "it names the lock and the holder's pid" || fail "it does not name the lock and pid $claims_pid"
[[ "$(up_count)" == 8 ]] && ok "the first is still up" || fail "not eight up after the second claims"

# Nothing to upgrade in a deployment of this build: every process says so.
expect 0 "scripts/run migrate" "$ROOT/scripts/run" migrate
n="$(grep -c "store at this build's layout" "$WORK/err" || true)"
[[ "$n" == 8 ]] && ok "all eight stores at this build's layout" || fail "$n of 8 processes said their store is current"
migrated=0
for name in broker intake claims denials inquiry audit metrics web; do
    grep -q -- "--migrate: store is at the current version" "$RCMQ_VAR/log/$name.log" && migrated=$((migrated + 1))
done
[[ "$migrated" == 8 ]] && ok "each process logged its --migrate run" || fail "$migrated of 8 logs show a --migrate run"
[[ "$(up_count)" == 8 ]] && ok "migrate started the deployment again" || fail "not eight up after migrate"

# A store of a newer layout (version 99 in its own _store table).
expect 0 "scripts/run stop" "$ROOT/scripts/run" stop
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n %s\n %s\nDATA=END\n' \
    "$(printf version | od -An -tx1 | tr -d ' \n')" 0000000000000063 >"$WORK/newer.dump"
mdb_load -s _store -f "$WORK/newer.dump" "$RCMQ_VAR/data/claims" \
    && ok "claims' store stamped version 99" || fail "mdb_load could not stamp the store"
before="$(mdb_dump -a "$RCMQ_VAR/data/claims" | sha256sum)"
expect 1 "scripts/run with a store newer than the build" "$ROOT/scripts/run" --empty
grep -q "schema version 99, newer than this program's 4" "$RCMQ_VAR/log/claims.log" \
    && ok "claims' log names both versions" || fail "claims' log does not name both versions"
stop_deployment
expect 1 "scripts/run migrate with a newer store" "$ROOT/scripts/run" migrate
grep -q "schema version 99, newer than this program's 4" "$WORK/err" \
    && ok "migrate says why (both versions)" || fail "migrate does not name both versions"
[[ "$(mdb_dump -a "$RCMQ_VAR/data/claims" | sha256sum)" == "$before" ]] \
    && ok "the newer store is unchanged" || fail "the newer store changed"
ls -d "$RCMQ_VAR"/data/claims.backup-* >/dev/null 2>&1 \
    && fail "a backup was made of a store that was not migrated" || ok "no backup made"

echo
if ((failures)); then
    echo "store-migrate: $failures check(s) failed"
    exit 1
fi
echo "store-migrate: all checks passed"
