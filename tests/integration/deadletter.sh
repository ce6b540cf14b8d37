#!/usr/bin/env bash
# Issue 12 item 3 with real processes: a service that cannot apply an event
# stops that stream there and says so, and an operator sets the event aside.
#
# The event seen in the field was a claim whose 500-character payer id
# rcmq-metrics could not store (MDB_BAD_VALSIZE). Intake refuses such
# elements now and metrics stores any length (issue 12 items 3 and 7), so
# the test makes the second claim's events fail with the failpoint
# RCMQ_FAIL_APPLY (common/service.c), as a handler's refusal would. Before
# issue 12 metrics logged "consumer cannot apply events" every second
# forever while `rcmqctl status` said ok. Now:
#   - status --json shows metrics' problem stream_stopped (stream, seq, error)
#     with ok false and exit status 1, and the log says it once;
#   - the events before it were applied, the stream waits at it;
#   - `deadletter skip` by a leader key is refused, with a wrong seq or no
#     reason too; by an admin it sets the event aside and the stream goes on;
#   - every event set aside concerns the bad claim and nothing else, and
#     `deadletter list --json` shows them; status is ok again;
#   - both the admin's skip and the leader's refused one are audited;
#   - metrics' figures are those of the generator's other claims.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=37000 bash tests/integration/deadletter.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init deadletter 27800
export RCMQ_NOW="2026-11-02T12:00:00Z"

status_json() { ctl status --json --timeout 1000 2>/dev/null || true; }
# Status JSON into $WORK/status.json, for the checks that read it.
snapshot() { status_json >"$WORK/status.json"; }
# The metrics problems as "stream seq" lines.
stopped_streams() {
    python3 - "$WORK/status.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for p in doc["processes"]:
    if p["name"] == "metrics":
        for problem in p["problems"]:
            if problem["code"] == "stream_stopped":
                print(problem["subject"], problem["seq"])
EOF
}
# (Output captured first: grep -q would close the pipe under pipefail.)
intake_stopped() { snapshot; [[ "$(stopped_streams)" =~ (^|$'\n')intake\  ]]; }
status_ok() { ctl status --json --timeout 1000 >/dev/null 2>&1; }

export RCMQ_FAIL_APPLY="metrics:intake:2,metrics:claims:2"
expect 0 "scripts/run --empty starts a deployment" "$ROOT/scripts/run" --empty
# A key file opens nothing: the leader is granted through the access
# registry (admin asks, admin2 approves).
rcmq_grant "$CTL" "$CONF" lead1 leader internal && ok "a leader, granted" || fail "granting lead1"

# Three claims; the second one's events (intake #2, claims #2) cannot be
# applied by metrics. What the figures must be afterwards comes from the
# generator's record of the others.
"$ROOT/scripts/gen-837" --seed 3 --claims 3 --date 2026-11-01 --out bad.837 --expect batch.json
python3 - <<'EOF' >expected.txt
import json
doc = json.load(open("batch.json"))
claims = doc["claims"]
assert len(claims) == 3 and all(c["accepted"] for c in claims), claims
good = [c for i, c in enumerate(claims) if i != 1]
print(claims[1]["pcn"], len(good), sum(c["charge_cents"] for c in good))
EOF
read -r BAD_PCN GOOD_COUNT GOOD_CENTS <expected.txt
ok "bad claim $BAD_PCN; the others: $GOOD_COUNT claims, $GOOD_CENTS cents"

expect 0 "intake accepts the file" ctl intake submit bad.837

# The stream stops at the bad event and status says so.
if wait_for 60 intake_stopped; then ok "metrics reports stream_stopped on intake"; else
    fail "metrics never reported stream_stopped on intake"; cat "$WORK/status.json" | head -c 3000; fi
read -r _ SEQ < <(stopped_streams | sed -n 's/^intake /x /p')
SEQ="${SEQ:-0}"
python3 - "$WORK/status.json" "$SEQ" <<'EOF' && ok "status: ok false, the problem names intake #$SEQ and the failure, offset $((SEQ - 1))" || fail "status does not show the stopped stream right"
import json, sys
doc = json.load(open(sys.argv[1])); seq = int(sys.argv[2])
assert doc["ok"] is False and doc["problem_count"] >= 1, doc
metrics = [p for p in doc["processes"] if p["name"] == "metrics"][0]
problem = [p for p in metrics["problems"] if p["subject"] == "intake"][0]
assert problem["code"] == "stream_stopped" and problem["seq"] == seq >= 1, problem
assert "RCMQ_FAIL_APPLY" in problem["message"] and "RCMQ_FAIL_APPLY" in problem["error"], problem
assert problem["stream"] == "intake", problem
assert "deadletter skip" in problem["message"], problem
assert metrics["consumed"]["intake"] == seq - 1, metrics["consumed"]
EOF
expect 1 "status exits 1 while a stream is stopped" ctl status --timeout 1000

# Retries (after 1 s, then 2 s) change nothing and log nothing more.
sleep 4
snapshot
python3 - "$WORK/status.json" "$SEQ" <<'EOF' && ok "4 s later it still waits at intake #$SEQ" || fail "the stream moved past the event on its own"
import json, sys
doc = json.load(open(sys.argv[1])); seq = int(sys.argv[2])
metrics = [p for p in doc["processes"] if p["name"] == "metrics"][0]
assert metrics["consumed"]["intake"] == seq - 1, metrics["consumed"]
EOF
lines="$(grep -c '"msg":"stream stopped: cannot apply event","stream":"intake"' "$RCMQ_VAR/log/metrics.log" || true)"
((lines == 1)) && ok "the log says it once" || fail "the log says it $lines times"
lines="$(grep -c 'cannot apply' "$RCMQ_VAR/log/metrics.log" || true)"
((lines <= 2)) && ok "no line per retry ($lines in all, at most one per stream)" || fail "$lines 'cannot apply' lines"

# Who may set it aside, and what.
expect 1 "a leader may not skip" ctl --as lead1 deadletter skip metrics intake "$SEQ" --reason "try"
grep -q "PERMISSION_DENIED" "$WORK/err" && ok "refused: PERMISSION_DENIED" || fail "not refused for permission: $(cat "$WORK/err")"
expect 1 "a skip of another seq is refused" ctl deadletter skip metrics intake $((SEQ + 1)) --reason "wrong one"
grep -q "stopped at seq $SEQ, not $((SEQ + 1))" "$WORK/err" && ok "it names the seq the stream is stopped at" || fail "$(cat "$WORK/err")"
expect 2 "a skip without --reason is a usage error" ctl deadletter skip metrics intake "$SEQ"
expect 1 "a skip of a stream metrics does not consume is refused" ctl deadletter skip metrics audit 1 --reason "no"
snapshot
grep -qx "intake $SEQ" <<<"$(stopped_streams)" && ok "after the refusals it still waits at intake #$SEQ" || fail "a refused skip moved the stream"

# Set aside by an admin: each stopped stream of metrics, until none is left;
# every event set aside must concern the bad claim.
expect 0 "an admin sets intake #$SEQ aside" ctl --json deadletter skip metrics intake "$SEQ" --reason "claim $BAD_PCN cannot be applied; to be resubmitted"
python3 - "$WORK/out" "$SEQ" "$BAD_PCN" <<'EOF' && ok "the reply is the record (admin, reason, key $BAD_PCN)" || fail "skip reply: $(cat "$WORK/out")"
import json, sys
record = json.load(open(sys.argv[1]))
assert record["service"] == "metrics" and record["stream"] == "intake", record
assert record["seq"] == int(sys.argv[2]) and record["actor"] == "admin", record
assert record["key"] == sys.argv[3] and "to be resubmitted" in record["reason"], record
assert "RCMQ_FAIL_APPLY" in record["error"] and record["time"].startswith("2026-11-02T"), record
EOF
skips=1
echo "intake#$SEQ" >skipped.ids
for _ in 1 2 3 4 5 6; do
    status_ok && break
    snapshot
    while read -r stream seq; do
        [[ -z "$stream" ]] && continue
        ctl deadletter skip metrics "$stream" "$seq" --reason "same claim $BAD_PCN" >/dev/null \
            && skips=$((skips + 1)) && echo "$stream#$seq" >>skipped.ids || fail "skip metrics $stream $seq"
    done < <(stopped_streams)
    sleep 1
done
if wait_for 30 status_ok; then ok "status is ok again after $skips skip(s)"; else
    fail "status not ok after the skips"; ctl status --timeout 1000 || true; fi
lines="$(grep -c '"msg":"stream resumed"' "$RCMQ_VAR/log/metrics.log" || true)"
((lines == skips)) && ok "the log says each stream resumed once" || fail "$lines 'stream resumed' lines for $skips skips"

expect 0 "deadletter list --json" ctl --json deadletter list
python3 - "$WORK/out" "$SEQ" "$BAD_PCN" "$skips" <<'EOF' && ok "list: $skips record(s), all of $BAD_PCN, intake #$SEQ among them" || fail "deadletter list: $(head -c 2000 "$WORK/out")"
import json, sys
records = json.load(open(sys.argv[1]))["deadletters"]
assert len(records) == int(sys.argv[4]), records
for r in records:
    assert r["service"] == "metrics" and r["key"] == sys.argv[3], r
    for field in ("stream", "seq", "type", "error", "reason", "actor", "time"):
        assert field in r, (field, r)
assert any(r["stream"] == "intake" and r["seq"] == int(sys.argv[2]) for r in records), records
EOF
expect 0 "a leader may list (deadletter.read)" ctl --as lead1 --json deadletter list --service metrics
expect 0 "the table form" ctl deadletter list
grep -q "intake" "$WORK/out" && ok "the table lists it" || fail "table: $(cat "$WORK/out")"

# One page at a time (<svc>.DeadletterList is paged, ids STREAM#SEQ): pages
# of one record, each after the previous next_after, are the records this
# test set aside, by stream then seq; the last page's next_after is null,
# and after the last record there is nothing. Before, the method had no
# pages and --limit / --after did not exist.
sort -t '#' -k1,1 -k2,2n skipped.ids >skipped.want
: >pages.ids
after="" pages=0
while :; do
    pages=$((pages + 1))
    ctl --json deadletter list --service metrics --limit 1 ${after:+--after "$after"} >page.json \
        || { fail "deadletter page $pages"; break; }
    python3 -c 'import json; [print("%s#%d" % (r["stream"], r["seq"])) for r in json.load(open("page.json"))["deadletters"]]' \
        >>pages.ids
    after="$(python3 -c 'import json; n = json.load(open("page.json"))["next_after"]; print(n if n is not None else "")')"
    [[ -z "$after" ]] && break
    ((pages <= skips)) || { fail "deadletter pages never end"; break; }
done
diff -q skipped.want pages.ids >/dev/null && ok "pages of --limit 1: the $skips record(s) set aside, by stream then seq, next_after null on the last" \
    || fail "deadletter pages: $(diff skipped.want pages.ids | head -n 5)"
last="$(tail -n 1 skipped.want)"
expect 0 "a page after the last record" ctl --json deadletter list --service metrics --after "$last"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d == {"deadletters": [], "next_after": None}, d' "$WORK/out" \
    && ok "after $last: no records, next_after null" || fail "after $last: $(cat "$WORK/out")"
expect 1 "an after that is no STREAM#SEQ" ctl deadletter list --service metrics --after "intake-7"
grep -qF "INVALID_ARGUMENT: metrics.DeadletterList: after 'intake-7' is not STREAM#SEQ" "$WORK/err" \
    && ok "refused, naming it" || fail "$(cat "$WORK/err")"
expect 2 "--limit without --service" ctl deadletter list --limit 1
expect 2 "--limit abc" ctl deadletter list --service metrics --limit abc

# Audited: the broker's log (its LMDB "events" table, read with mdb_dump)
# holds metrics' audit.access records of the admin's skip (its subjects: the
# stream#seq and the claim) and of the leader's refused one.
audited() {
    mdb_dump -p -s events "$RCMQ_VAR/data/broker" >"$WORK/events.txt" 2>/dev/null || return 1
    grep -F "metrics.DeadletterSkip" "$WORK/events.txt" | grep -F "intake#$SEQ" | grep -qF "$BAD_PCN" \
        && grep -F "lead1" "$WORK/events.txt" | grep -qF "may not metrics.DeadletterSkip"
}
if wait_for 30 audited; then ok "both skips are in the audit stream"; else
    fail "no audit.access record of the skips in the broker's log"; fi

# The figures are those of the other claims, from the generator's record.
expect 0 "metrics kpi --json" ctl --json metrics kpi
python3 - "$WORK/out" "$GOOD_COUNT" "$GOOD_CENTS" <<'EOF' && ok "received $GOOD_COUNT, charges $GOOD_CENTS cents: the other claims" || fail "kpi: $(head -c 1500 "$WORK/out")"
import json, sys
kpi = json.load(open(sys.argv[1]))
assert kpi["received"] == int(sys.argv[2]), kpi["received"]
assert kpi["charges_cents"] == int(sys.argv[3]), kpi["charges_cents"]
EOF

expect 0 "scripts/run stop" "$ROOT/scripts/run" stop

if [[ "${RCMQ_SANITIZE:-0}" == 1 ]]; then
    reports="$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RCMQ_VAR"/log/*.log || true)"
    if [[ -z "$reports" ]]; then ok "no sanitizer reports in the processes' logs"; else
        for log in $reports; do
            fail "sanitizer report in $(basename "$log"):"
            grep -n -A 25 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 60 | sed 's/^/    /'
        done
    fi
fi

echo
if ((failures)); then
    echo "deadletter: $failures check(s) failed"
    exit 1
fi
echo "deadletter: all checks passed"
