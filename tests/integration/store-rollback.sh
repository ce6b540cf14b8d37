#!/usr/bin/env bash
# A store restored from an older copy, with real processes (issue 10, defect 4;
# docs/adr/0007-store-rollback-detection.md). Two cases:
#
#   A. The broker's store is put back from a copy taken before a second 837P
#      batch: intake's relay, the consumers of `intake` and the broker each
#      report it, `rcmqctl status` is not ok and shows negative lag, and a
#      third batch is held in intake's outbox instead of being skipped by the
#      consumers as "already applied". Putting back ALL stores from the one
#      consistent copy (docs/operations.md) makes status ok again, and the
#      batches submitted again all enter claims.
#   B. The claims store is put back from an older copy: its relay (or the
#      broker, refusing its events) reports it, nothing it writes under the
#      re-used sequence numbers enters the broker's `claims` stream, and the
#      events stay in its outbox.
#
# Counts come from the generator's expectation files and this script's own
# arithmetic; rcmq's figures are only compared with them.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/store-rollback.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init store-rollback 27900
export RCMQ_NOW="2026-11-02T09:00:00Z"
DATA="$RCMQ_VAR/data"

# A restored store makes the status scripts/run prints at its end not ok:
# start_all_up (lib.sh), where only every process up decides.
claims_count() { ctl claims list --limit 1000 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# accepted FILE: how many claims of a generated file intake must accept.
accepted() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["accepted"])' "$1"; }
# wait_drained: until every outbox is empty (30 s at most).
wait_drained() {
    for _ in $(seq 1 60); do
        ctl status --json 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
sys.exit(0 if all(p.get("outbox_depth", 0) == 0 for p in doc["processes"] if p["up"]) else 1)' && return 0
        sleep 0.5
    done
    return 1
}
# wait_problem PROCESS CODE...: until status --json shows one of the codes
# on that process (30 s at most).
wait_problem() {
    local process="$1"; shift
    for _ in $(seq 1 60); do
        ctl status --json --timeout 2000 >status.json 2>/dev/null || true
        python3 - "$process" "$@" <<'PY' && return 0
import json, sys
doc = json.load(open("status.json"))
proc = [p for p in doc["processes"] if p["name"] == sys.argv[1]][0]
sys.exit(0 if any(q["code"] in sys.argv[2:] for q in proc["problems"]) else 1)
PY
        sleep 0.5
    done
    return 1
}

# wait_outbox PROCESS N: until status --json shows at least N events held
# in that process's outbox (60 s at most). A relay that wrongly went on
# sending would drain it instead, so this fails then too.
wait_outbox() {
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        ctl status --json --timeout 2000 >outbox.json 2>/dev/null || true
        python3 - "$1" "$2" <<'PY' && return 0
import json, sys
doc = json.load(open("outbox.json"))
proc = [p for p in doc["processes"] if p["name"] == sys.argv[1]][0]
sys.exit(0 if proc.get("outbox_depth", 0) >= int(sys.argv[2]) else 1)
PY
        sleep 0.5
    done
    return 1
}

gen() { python3 "$ROOT/scripts/gen-837" --seed "$1" --claims "$2" --date 2026-11-01 --control "$3" --out "b$1.837" --expect "b$1.json"; }
gen 11 30 100000011
gen 12 30 100000012
gen 13 20 100000013
gen 14 20 100000014
n1="$(accepted b11.json)"; n2="$(accepted b12.json)"; n3="$(accepted b13.json)"; n4="$(accepted b14.json)"

# ---------------------------------------------------------------------------
# A. The broker's store rolled back

start_all_up
ctl intake submit b11.837 >/dev/null || fail "intake submit b11"
wait_claims "$n1" && ok "batch 1: $n1 claims entered" || fail "batch 1 did not enter ($(claims_count) of $n1)"
wait_drained || fail "outboxes did not drain after batch 1"
stop_all
cp -a "$DATA" "$WORK/copy-1"                # every store, one consistent copy

start_all_up
ctl intake submit b12.837 >/dev/null || fail "intake submit b12"
wait_claims $((n1 + n2)) && ok "batch 2: $((n1 + n2)) claims in all" || fail "batch 2 did not enter"
wait_drained || fail "outboxes did not drain after batch 2"
ctl status --json >before-a.json
stop_all

rm -rf "$DATA/broker" && cp -a "$WORK/copy-1/broker" "$DATA/broker"
start_all_up
wait_problem intake broker_lost_acked_events \
    && ok "intake's relay reports that the broker lost events it had acked" \
    || fail "intake's relay did not report the broker's older store"
wait_problem claims stream_behind_consumer \
    && ok "claims' consumer reports the intake stream behind its offset" \
    || fail "claims' consumer did not report the broker's older store"
wait_problem broker consumer_ahead_of_log \
    && ok "the broker reports consumers ahead of its log" \
    || fail "the broker did not report consumers ahead of its log"

ctl intake submit b13.837 >/dev/null || fail "intake submit b13"
# Batch 3's events wait in intake's outbox (at least one per accepted claim).
wait_outbox intake "$n3" || fail "batch 3's events are not held in intake's outbox"
ctl status --json --timeout 2000 >after-a.json 2>/dev/null || true
if ctl status >status.txt 2>&1; then fail "rcmqctl status exits 0 with a rolled-back broker store"; else ok "rcmqctl status exits non-zero"; fi
python3 - "$((n1 + n2))" "$(claims_count)" <<'PY' && ok "A: ok is false, lag is negative, nothing skipped: batch 3 waits in intake's outbox" || fail "A: end-to-end counts"
import json, re, sys
want_claims, claims = int(sys.argv[1]), int(sys.argv[2])
before = json.load(open("before-a.json"))
after = json.load(open("after-a.json"))
text = open("status.txt").read()
proc = {p["name"]: p for p in after["processes"]}
assert after["ok"] is False, "ok"
# The claims store holds batches 1 and 2 and nothing of batch 3: no event
# the restored broker numbered again was applied (or skipped) silently.
assert claims == want_claims, (claims, want_claims)
b_claims = {p["name"]: p for p in before["processes"]}["claims"]
assert proc["claims"]["consumed"]["intake"] == b_claims["consumed"]["intake"], \
    (proc["claims"]["consumed"], b_claims["consumed"])
heads = {s["stream"]: s["head_seq"] for s in after["broker"]["streams"]}
assert heads.get("intake", 0) < b_claims["consumed"]["intake"], (heads, b_claims["consumed"])
# Batch 3's events are held by intake, not lost: its outbox grew.
assert proc["intake"]["outbox_depth"] > 0, proc["intake"]
lags = [c for c in after["broker"]["consumers"] if c["stream"] == "intake" and c["lag"] < 0]
assert lags, after["broker"]["consumers"]
assert re.search(r"intake\s+\d+\s+-\d+", text), text
for p in after["processes"]:
    for q in p["problems"]:
        assert q["code"] and q["message"], q
PY

# The documented recovery: every store from the one consistent copy.
stop_all
rm -rf "$DATA" && cp -a "$WORK/copy-1" "$DATA"
start_all_up
ctl status --json --timeout 2000 >recovered.json || true
python3 -c '
import json; doc = json.load(open("recovered.json"))
assert doc["ok"] is True and all(not p["problems"] for p in doc["processes"]), doc
' && ok "all stores from one copy: status ok, no problems" || fail "status after restoring all stores"
ctl intake submit b12.837 >/dev/null || fail "intake submit b12 again"
ctl intake submit b13.837 >/dev/null || fail "intake submit b13 again"
wait_claims $((n1 + n2 + n3)) && ok "batches 2 and 3 submitted again: $((n1 + n2 + n3)) claims, none lost or doubled" \
    || fail "after recovery: $(claims_count) claims, want $((n1 + n2 + n3))"
wait_drained || fail "outboxes did not drain after recovery"

# ---------------------------------------------------------------------------
# B. The claims store rolled back

stop_all
cp -a "$DATA/claims" "$WORK/claims-copy"
start_all_up
ctl intake submit b14.837 >/dev/null || fail "intake submit b14"
total=$((n1 + n2 + n3 + n4))
wait_claims "$total" && ok "batch 4: $total claims" || fail "batch 4 did not enter"
wait_drained || fail "outboxes did not drain after batch 4"
ctl status --json >before-b.json
stop_all

rm -rf "$DATA/claims" && cp -a "$WORK/claims-copy" "$DATA/claims"
start_all_up
wait_problem claims outbox_behind_broker broker_refused_events \
    && ok "claims reports its store older than the broker's log" \
    || fail "claims did not report its older store"
cp status.json after-b1.json
# The restored claims store applies batch 4's intake events again (its
# offset on `intake` is the copy's) and writes their events under numbers
# the broker already logged: they must wait in its outbox, not enter the
# log and not be dropped as duplicates.
wait_claims "$total" && ok "the restored claims store applied batch 4 again: $total claims" \
    || fail "restored claims store: $(claims_count) claims, want $total"
# Its events for batch 4 wait in its outbox (at least one per claim).
wait_outbox claims "$n4" || fail "batch 4's events are not held in claims' outbox"
ctl status --json --timeout 2000 >after-b2.json 2>/dev/null || true
python3 - "$n4" <<'PY' && ok "B: ok is false; nothing claims wrote under re-used numbers entered the log; it waits in its outbox" || fail "B: end-to-end counts"
import json, sys
n4 = int(sys.argv[1])
before = json.load(open("before-b.json"))
b1 = json.load(open("after-b1.json"))
b2 = json.load(open("after-b2.json"))
assert b2["ok"] is False
heads = lambda doc: {s["stream"]: s["head_seq"] for s in doc["broker"]["streams"]}
assert heads(b2)["claims"] == heads(before)["claims"], (heads(before), heads(b2))
claims = lambda doc: {p["name"]: p for p in doc["processes"]}["claims"]
producer = claims(b2)["problems"][0]["subject"]
acked = lambda doc: {p["producer"]: p["acked_seq"] for p in doc["broker"]["producers"]}.get(producer)
assert acked(b2) == acked(b1), (acked(b1), acked(b2))
assert claims(b2)["outbox_depth"] >= n4, claims(b2)
assert claims(b2)["outbox_depth"] >= claims(b1)["outbox_depth"], (claims(b1), claims(b2))
PY

# Under the sanitizers a process that hit undefined behaviour has died or
# logged it; either way the run fails here, naming the process.
check_sanitizer

echo
if ((failures)); then
    echo "--- run.log"; tail -n 30 "$WORK/run.log"
    for f in "$RCMQ_VAR"/log/*.log; do echo "--- $f"; tail -n 8 "$f"; done
fi
test_finish store-rollback
