#!/usr/bin/env bash
# Documentation requests, per-payer follow-up windows, vendor scope of work
# items and a mover, with real processes (issue 15, docs/work-items.md;
# ADR 0029):
#
#   - each submitted claim's follow_up item is due when its payer's
#     no-response window ends: claims/follow-up-days/<payer> (set here for
#     payer 00435), else its queue's --follow-up-days (q-med 20, q-acme
#     14), counted from the submission;
#   - `work request-doc --claim PCN --what TEXT [--denial ID] --json`, as a
#     vendor agent on a claim of its vendor-phase queue, opens a
#     documentation_request owned by the practice's internal team of that
#     queue, due in 2 business days (the default calendar: UTC, mon-fri
#     09:00-17:00); the claim's follow-up waits in waiting_practice, its
#     clock paused; done needs the answer; answering it (as the practice)
#     returns the follow-up to the state it was in, its history saying who
#     answered what;
#   - a vendor agent lists only its team's items of its vendor-phase
#     queue; show / assign / state / note of any other id, or of an id
#     that is none, are PERMISSION_DENIED, each refusal an audit record
#     naming the item;
#   - a practice biller moved to the vendor team (a mover through
#     `rcmqctl access`, approved by a second admin) loses the practice's
#     items: the time from the approval to the first list without them is
#     printed.
#
# Expected instants and counts come from this script's own arithmetic on
# the RCMQ_NOW and settings it set and from gen-837's records, never from
# the stores.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/work-docs.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init work-docs 23500
# A Tuesday, 10:00 UTC: 2 business days later is Thursday 10:00.
export RCMQ_NOW="2026-11-03T10:00:00Z"
export RCMQ_CLAIMS_FOLLOW_UP_DAYS_00435=45

items() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))'; }
# refused WHAT STATUS CMD...: the command fails and its error names STATUS.
refused() {
    local what="$1" status="$2" rc=0; shift 2
    "$@" >out.txt 2>err.txt || rc=$?
    if ((rc != 0)) && grep -q -- "$status" err.txt; then ok "$what"; else
        fail "$what: exit $rc, stderr: $(head -c 400 err.txt)"; fi
}

start_deployment
while read -r name role team until; do
    rcmq_grant "$CTL" "$CONF" "$name" "$role" "$team" "$until" </dev/null >/dev/null || fail "grant $name"
done <<'EOF'
pat internal-biller internal-ar
mia internal-biller internal-ar
agent vendor-agent acme 2027-12-31
EOF
ctl queue create q-med --payer-ids 00435 --owner-team internal-ar --follow-up-days 20 >/dev/null \
    || fail "queue create q-med"
ctl queue create q-acme --owner-team internal-ar --vendor-team acme --phase vendor --follow-up-days 14 >/dev/null \
    || fail "queue create q-acme"

python3 "$ROOT/scripts/gen-837" --seed 5 --claims 20 --date 2026-11-01 --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims 20 && ok "20 claims entered" || fail "claims did not all enter"
ctl claims submit >/dev/null || fail "claims submit"

# 1. The follow-up windows, from the generator's payer ids and the settings
#    above.
ctl work list --type follow_up --json >follow.json
python3 - <<'PY' && ok "follow-up due: payer 00435 45 days (its setting beats q-med's 20), q-acme's 14 days" \
    || fail "follow-up windows"
import json, datetime
generated = {c["pcn"]: c for c in json.load(open("claims.json"))["claims"]}
items = json.load(open("follow.json"))["items"]
assert len(items) == 20, len(items)
now = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.timezone.utc)
for item in items:
    payer = generated[item["subject"]]["payer_id"]
    days, queue = (45, "q-med") if payer == "00435" else (14, "q-acme")
    assert item["queue"] == queue, (item["subject"], payer, item["queue"])
    due = datetime.datetime.strptime(item["due_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    delta = due - (now + datetime.timedelta(days=days))
    assert datetime.timedelta(0) <= delta < datetime.timedelta(minutes=5), (item["subject"], payer, item["due_at"])
PY

# 2. A documentation request, asked by the vendor's agent.
FOLLOW="$(python3 -c '
import json
items = json.load(open("follow.json"))["items"]
print(next(i["id"] for i in items if i["queue"] == "q-acme"))')"
PCN="$(python3 -c '
import json
items = json.load(open("follow.json"))["items"]
print(next(i["subject"] for i in items if i["queue"] == "q-acme"))')"
ctl --as agent work state "$FOLLOW" in_progress --note "calling the payer" >/dev/null \
    && ok "the agent works its follow-up" || fail "agent work state in_progress"
expect 2 "request-doc without --what is a usage error" ctl --as agent work request-doc --claim "$PCN"
refused "request-doc on a claim that is none: NOT_FOUND" NOT_FOUND \
    ctl --as agent work request-doc --claim P-NONE --what "x"
ctl --as agent work request-doc --claim "$PCN" --what "operative note for DOS 2026-11-01" --denial D-77 --json \
    >doc.json && ok "work request-doc --json" || fail "work request-doc: $(cat doc.json)"
DOC="$(python3 -c 'import json; print(json.load(open("doc.json"))["id"])')"
ctl work show "$DOC" --json >doc-show.json
python3 - "$PCN" "$FOLLOW" <<'PY' && ok "the request: internal-ar's (the queue is in vendor phase), policy documentation_request, due Thursday 10:00, what and denial kept; --json as work show" \
    || fail "the documentation request"
import json, sys, datetime
pcn, follow = sys.argv[1], sys.argv[2]
doc, shown = json.load(open("doc.json")), json.load(open("doc-show.json"))
assert set(doc) == set(shown), set(doc) ^ set(shown)
for key in ("id", "type", "subject", "queue", "team", "state", "sla_policy", "what", "denial", "blocks"):
    assert doc[key] == shown[key], (key, doc[key], shown[key])
assert doc["type"] == "documentation_request" and doc["subject"] == pcn and doc["queue"] == "q-acme", doc
assert doc["team"] == "internal-ar" and doc["state"] == "open", doc
assert doc["sla_policy"] == "documentation_request", doc
assert doc["what"] == "operative note for DOS 2026-11-01" and doc["denial"] == "D-77", doc
assert doc["blocks"] == follow, doc
# 2 business days of 8 hours from Tuesday 10:00 in mon-fri 09:00-17:00:
# 7 h on Tuesday, 8 on Wednesday, 1 on Thursday.
due = datetime.datetime.strptime(doc["due_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
delta = due - datetime.datetime(2026, 11, 5, 10, 0)
assert datetime.timedelta(0) <= delta < datetime.timedelta(minutes=5), doc["due_at"]
PY
ctl work show "$FOLLOW" --json >waiting.json
python3 - "$DOC" <<'PY' && ok "the follow-up waits in waiting_practice for the request, clock paused, in_progress remembered" \
    || fail "the waiting follow-up"
import json, sys
item = json.load(open("waiting.json"))
assert item["state"] == "waiting_practice", item["state"]
assert item["waiting_for"] == [sys.argv[1]], item["waiting_for"]
assert item["resume_state"] == "in_progress", item["resume_state"]
assert item["due_at"] is None and item["running_since_ms"] == 0 and item["next_boundary_ms"] == 0, item
PY
refused "the agent cannot see the request it asked for (the practice's item): PERMISSION_DENIED" \
    PERMISSION_DENIED ctl --as agent work show "$DOC"
refused "done without the answer is refused" "needs the answer" ctl --as pat work state "$DOC" done
ctl --as pat work state "$DOC" done --note "op note uploaded to the portal" >/dev/null \
    && ok "the practice answers it" || fail "answer the request"
ctl work show "$FOLLOW" --json >resumed.json
python3 - "$DOC" <<'PY' && ok "the follow-up is back in_progress, its clock running, its history saying who answered what" \
    || fail "the follow-up after the answer"
import json, sys
item = json.load(open("resumed.json"))
assert item["state"] == "in_progress", item["state"]
assert item["waiting_for"] == [] and item["resume_state"] == "", item
assert item["due_at"] is not None and item["running_since_ms"] > 0, item
last = item["history"][-1]
assert last["who"] == "claims" and last["what"].startswith("state waiting_practice -> in_progress"), last
assert sys.argv[1] in last["note"] and "answered by pat: op note uploaded to the portal" in last["note"], last
PY

# 3. Vendor scope: the agent's list, and every other id refused.
ctl --as agent work list --json >agent.json
python3 - <<'PY' && ok "the agent lists exactly the 12 follow-ups of q-acme (vendor phase, team acme)" || fail "the agent's list"
import json
generated = json.load(open("claims.json"))["claims"]
expected = sorted(c["pcn"] for c in generated if c["payer_id"] != "00435")
items = json.load(open("agent.json"))["items"]
assert sorted(i["subject"] for i in items) == expected, [i["subject"] for i in items]
assert all(i["type"] == "follow_up" and i["team"] == "acme" and i["queue"] == "q-acme" for i in items), items
PY
MED="$(python3 -c '
import json
print(next(i["id"] for i in json.load(open("follow.json"))["items"] if i["queue"] == "q-med"))')"
refused "agent: work show of a practice item is PERMISSION_DENIED" PERMISSION_DENIED ctl --as agent work show "$MED"
refused "agent: work assign of it is PERMISSION_DENIED" PERMISSION_DENIED ctl --as agent work assign "$MED" agent
refused "agent: work state of it is PERMISSION_DENIED" PERMISSION_DENIED ctl --as agent work state "$MED" done
refused "agent: work note on it is PERMISSION_DENIED" PERMISSION_DENIED ctl --as agent work note "$MED" "mine now"
refused "agent: an id that is none is PERMISSION_DENIED too" PERMISSION_DENIED ctl --as agent work show claims-0000009999
refused "an internal biller asking for an id that is none: NOT_FOUND" NOT_FOUND ctl --as pat work show claims-0000009999
ctl work show "$MED" --json >med.json
python3 - <<'PY' && ok "the refused changes changed nothing" || fail "a refused change wrote"
import json
item = json.load(open("med.json"))
assert item["owner"] == "" and item["state"] == "open" and len(item["history"]) == 1, item
PY
refusals() {
    ctl audit query --work-item "$MED" --outcome denied --json 2>/dev/null | python3 -c '
import json, sys
records = json.load(sys.stdin)["records"]
methods = sorted(r["method"] for r in records if r["actor"] == "agent" and r["status"] == "PERMISSION_DENIED")
sys.exit(0 if methods == ["claims.WorkAssign", "claims.WorkGet", "claims.WorkNote", "claims.WorkState"] else 1)'
}
wait_for 20 refusals && ok "each refusal is an audit record: the agent, the method, the item, PERMISSION_DENIED" \
    || fail "audit records of the refusals: $(ctl audit query --work-item "$MED" --json 2>&1 | head -c 600)"

# 4. A mover: mia, a practice biller, moves to the vendor's team. Before,
#    she sees every item; from the approval on, only acme's.
list_start_ns="$(date +%s%N)"
before="$(ctl --as mia work list --queue q-med --json | items)"
list_ms=$(( ($(date +%s%N) - list_start_ns) / 1000000 ))
[[ "$before" == 8 ]] && ok "mia (internal-ar) sees q-med's 8 items" || fail "mia before the move sees $before"
request="$(ctl --json access request mia --role vendor-agent --team acme --until 2027-12-31 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')" || fail "mover request"
ctl --as admin2 access approve "$request" >/dev/null || fail "mover approve"
start_ns="$(date +%s%N)"
gone() { [[ "$(ctl --as mia work list --queue q-med --json 2>/dev/null | items)" == 0 ]]; }
# The change reached claims after the start of the last list that still
# showed q-med (seen_ms) and before the answer of the first that did not
# (done_ms): each list is a process start, a CURVE handshake and a call,
# whose own time (list_ms, the same list before the move) is printed too.
moved=0 seen_ms=0 gone_ms=0 calls=0
for _ in $(seq 1 400); do
    at_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    calls=$((calls + 1))
    if gone; then moved=1; gone_ms=$at_ms; break; fi
    seen_ms=$at_ms
    sleep 0.05
done
done_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "     mover: q-med's items gone from mia's list after ${seen_ms} ms and by ${done_ms} ms from the approval" \
     "($calls lists; the first without them started at ${gone_ms} ms; one list took ${list_ms} ms before the move)"
((moved)) && ok "the mover lost the practice's items (by ${done_ms} ms)" || fail "mia still sees q-med after 400 lists"
[[ "$(ctl --as mia work list --json | items)" == 12 ]] && ok "and sees acme's 12 instead" || fail "mia's list after the move"
refused "the mover cannot show a q-med item any more" PERMISSION_DENIED ctl --as mia work show "$MED"

if grep -l "runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$RCMQ_VAR"/log/*.log 2>/dev/null; then
    fail "a process logged a sanitizer report (above)"
else
    ok "no sanitizer report in any process log"
fi
test_finish work-docs
