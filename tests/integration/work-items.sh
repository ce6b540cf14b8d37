#!/usr/bin/env bash
# Work items with real processes (issue 15, docs/work-items.md): every
# claim submitted gets a follow_up item in rcmq-claims, due when the payer's
# no-response window ends (claims/follow-up-days, 30 by default, from the
# submission); `rcmqctl work` lists, shows and changes them; a restart of
# the deployment at later RCMQ_NOWs escalates them level by level, each
# level once (the built-in follow_up policy: level 1 at 75% of the window,
# level 2 at its end); a remit closes an item.
#
# Expected instants come from this script's own arithmetic on the RCMQ_NOW
# it set, never from the stores.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/work-items.sh

# shellcheck disable=SC2015
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init work-items 27900
export RCMQ_NOW="2026-11-02T09:00:00Z"

items() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))'; }

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 5 --claims 20 --date 2026-11-01 --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims 20 || true
[[ "$(ctl claims list --json | count)" == 20 ]] && ok "20 claims entered" || fail "claims did not all enter"
[[ "$(ctl work list --json | items)" == 0 ]] && ok "no work item before submission" || fail "items before submission"

ctl claims submit >/dev/null || fail "claims submit"
ctl work list --json >list.json
python3 - <<'PY' && ok "one open follow_up item per submitted claim, due 30 days after submission" || fail "follow-up items after submission"
import json, datetime
page = json.load(open("list.json"))
items = page["items"]
assert page["next_after"] is None, page["next_after"]
assert len(items) == 20, len(items)
now = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.timezone.utc)
for item in items:
    for key in ("id", "service", "type", "subject", "queue", "owner", "team", "state", "priority",
                "due_at", "sla_policy", "escalation_level", "escalated_to", "overdue"):
        assert key in item, (key, item)
    assert item["service"] == "claims" and item["type"] == "follow_up", item
    assert item["state"] == "open" and item["escalation_level"] == 0 and item["overdue"] is False, item
    assert item["sla_policy"] == "follow_up", item
    due = datetime.datetime.strptime(item["due_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    # Submitted a little after RCMQ_NOW (the clock runs on from it).
    delta = due - (now + datetime.timedelta(days=30))
    assert datetime.timedelta(0) <= delta < datetime.timedelta(minutes=5), (item["due_at"], delta)
assert len(set(i["subject"] for i in items)) == 20
PY

# Paging across the merged list.
ctl work list --limit 7 --json >p1.json
after="$(python3 -c 'import json; print(json.load(open("p1.json"))["next_after"])')"
ctl work list --limit 7 --after "$after" --json >p2.json
python3 - <<'PY' && ok "pages of 7 follow on from next_after" || fail "paging"
import json
p1, p2 = json.load(open("p1.json")), json.load(open("p2.json"))
assert len(p1["items"]) == 7 and len(p2["items"]) == 7, (len(p1["items"]), len(p2["items"]))
ids = [i["id"] for i in p1["items"] + p2["items"]]
assert ids == sorted(ids) and len(set(ids)) == 14, ids
assert p1["next_after"] == p1["items"][-1]["id"], p1["next_after"]
PY

ID="$(python3 -c 'import json; print(json.load(open("p1.json"))["items"][0]["id"])')"
PCN="$(python3 -c 'import json; print(json.load(open("p1.json"))["items"][0]["subject"])')"
rcmq_grant "$CTL" "$CONF" dana internal-biller internal >/dev/null || fail "grant dana"
ctl work assign "$ID" dana --note "yours" >/dev/null && ok "work assign" || fail "work assign"
ctl work state "$ID" in_progress --note "calling the payer" >/dev/null && ok "work state in_progress" || fail "work state"
ctl work note "$ID" "payer says next week" >/dev/null && ok "work note" || fail "work note"
if ctl work state "$ID" closed >/dev/null 2>err.txt; then
    fail "a state outside the table was taken"
else
    grep -q "expected one of open, in_progress" err.txt && ok "a state outside the table is refused with the states" \
        || fail "refusal of 'closed' does not list the states: $(cat err.txt)"
fi
if ctl work assign "$ID" nobody-here >/dev/null 2>err.txt; then
    fail "an owner without a key was taken"
else
    grep -q "no user 'nobody-here'" err.txt && ok "an owner must hold a key" || fail "owner refusal: $(cat err.txt)"
fi
ctl work show "$ID" --json >show.json
python3 - "$ID" <<'PY' && ok "work show: owner, state and the history of every change" || fail "work show"
import json, sys
item = json.load(open("show.json"))
assert item["id"] == sys.argv[1], item["id"]
assert item["owner"] == "dana" and item["state"] == "in_progress", item
whats = [h["what"] for h in item["history"]]
assert whats[0] == "created", whats
assert whats[1] == "assigned dana (was nobody)", whats
assert whats[2] == "state open -> in_progress", whats
assert whats[3] == "noted" and item["history"][3]["note"] == "payer says next week", item["history"]
assert all(h["who"] == "admin" for h in item["history"][1:]), item["history"]
PY
[[ "$(ctl --as dana work mine --json | items)" == 1 ]] && ok "work mine as dana: her one item" || fail "work mine"
[[ "$(ctl work list --owner dana --state in_progress --json | items)" == 1 ]] && ok "filters by owner and state" \
    || fail "owner+state filter"

# claims followup edits the same item.
PCN2="$(python3 -c 'import json; print(json.load(open("p1.json"))["items"][1]["subject"])')"
ID2="$(python3 -c 'import json; print(json.load(open("p1.json"))["items"][1]["id"])')"
ctl claims followup "$PCN2" --assign dana --next 2026-11-20 --note "check portal" --state waiting_payer >/dev/null \
    && ok "claims followup with a state" || fail "claims followup"
ctl work show "$ID2" --json >show2.json
python3 - <<'PY' && ok "claims followup edited the follow-up item (owner, due, note, state)" || fail "claims followup did not edit the item"
import json
item = json.load(open("show2.json"))
assert item["owner"] == "dana" and item["state"] == "waiting_payer", item
assert item["due_at"] == "2026-11-20T00:00:00.000Z", item["due_at"]
assert any(h["note"] == "check portal" for h in item["history"]), item["history"]
PY

# Scope: a vendor's agent sees and acts only on items of queues in pilot or
# vendor phase whose vendor team is its own (and that its team owns now).
rcmq_grant "$CTL" "$CONF" agent vendor-agent acme 2027-12-31 >/dev/null || fail "grant agent"
ctl queue create q-acme --owner-team internal-ar --vendor-team acme --phase vendor >/dev/null \
    || fail "queue create q-acme"
python3 "$ROOT/scripts/gen-837" --seed 6 --claims 10 --date 2026-11-01 --control 5000 --out more.837 --expect more.json
ctl intake submit more.837 >/dev/null || fail "intake submit more.837"
for _ in $(seq 1 60); do
    [[ "$(ctl claims list --json 2>/dev/null | count)" == 30 ]] && break
    sleep 0.5
done
ctl claims submit >/dev/null || fail "claims submit (q-acme)"
ctl --as agent work list --json >agent.json || fail "work list as the vendor agent"
python3 - <<'PY' && ok "the vendor agent lists exactly the 10 items of its vendor-phase queue, team acme" || fail "vendor scope of work list"
import json
items = json.load(open("agent.json"))["items"]
assert len(items) == 10, [(i["id"], i["queue"]) for i in items]
assert all(i["queue"] == "q-acme" and i["team"] == "acme" for i in items), items
PY
[[ "$(ctl work list --json | items)" == 30 ]] && ok "an internal caller lists all 30" || fail "internal list of 30"
if ctl --as agent work show "$ID" >/dev/null 2>err.txt; then
    fail "the vendor agent read an item of an internal queue"
else
    grep -q "PERMISSION_DENIED" err.txt && ok "an item of an internal queue is refused to the vendor agent (PERMISSION_DENIED)" \
        || fail "vendor refusal: $(cat err.txt)"
fi
# Minimum necessary (issue 14): the agent sees a claim's patient masked
# until it holds the claim's follow-up; then in full what a payer asks for
# (name, DOB, member id), the address still masked, and the access record
# of the view names the work item it was for. The plain values come from
# the generator's records.
AGENT_ITEM="$(python3 -c 'import json; print(json.load(open("agent.json"))["items"][0]["id"])')"
AGENT_PCN="$(python3 -c 'import json; print(json.load(open("agent.json"))["items"][0]["subject"])')"
ctl --as agent claims show "$AGENT_PCN" --json >shown-before.json || fail "claims show as the agent"
ctl work assign "$AGENT_ITEM" agent --note "call the payer" >/dev/null || fail "assign the acme item to the agent"
ctl --as agent claims show "$AGENT_PCN" --json >shown-after.json || fail "claims show as the agent, owning its follow-up"
python3 - "$AGENT_PCN" <<'PY' && ok "the agent sees the DOB and member id in full only while it owns the claim's follow-up; the address stays masked" || fail "PHI for the agent's own work item"
import json, sys
pcn = sys.argv[1]
claim = next(c for c in json.load(open("more.json"))["claims"] if c["pcn"] == pcn)
person = claim["patient"] or claim["subscriber"]
dob, member = person["birth_date"], claim["subscriber"]["member_id"]
before, after = json.load(open("shown-before.json")), json.load(open("shown-after.json"))
iso = "%s-%s-%s" % (dob[:4], dob[4:6], dob[6:])
assert before["patient_dob"] == dob[:4], before["patient_dob"]
assert before["member_id"] == "****" + member[-4:], before["member_id"]
assert after["patient_dob"] in (dob, iso), (after["patient_dob"], dob)
assert after["member_id"] == member, (after["member_id"], member)
assert after["patient_address"] == person["address"]["state"], after["patient_address"]
assert person["address"]["line1"] not in json.dumps(after), "street shown"
PY
shown_for_item() {
    ctl audit query --work-item "$AGENT_ITEM" --json 2>/dev/null | python3 -c '
import json, sys
records = json.load(sys.stdin)["records"]
sys.exit(0 if any(r["method"] == "claims.Show" and r["actor"] == "agent" and sys.argv[1] in r["subjects"]
                  for r in records) else 1)' "$AGENT_PCN"
}
for _ in $(seq 1 40); do shown_for_item && break; sleep 0.25; done
shown_for_item && ok "audit query --work-item finds the agent's view of the claim made for that item" \
    || fail "no audit record of the agent's claims.Show naming $AGENT_ITEM"
if ctl --as agent work state "$ID" done >/dev/null 2>&1; then
    fail "the vendor agent changed an item of an internal queue"
else
    ok "the vendor agent cannot change an item of an internal queue"
fi

# Restart at 2026-11-26: level 1 (75% of 30 days = 22.5 days) has passed
# for every item whose clock runs; none is overdue yet. The waiting_payer
# item's clock also runs (follow_up pauses only on waiting_practice), and
# its due of 2026-11-20 has passed: it is overdue and at level 2.
restart() {
    stop_deployment
    RCMQ_NOW="$1" RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 || { tail -20 "$WORK/run.log"; exit 1; }
}
restart "2026-11-26T09:00:00Z"
for _ in $(seq 1 40); do
    [[ "$(ctl work list --escalated --json 2>/dev/null | items)" == 30 ]] && break
    sleep 0.5
done
ctl work list --json >l1.json
python3 - "$ID2" <<'PY' && ok "after the restart at 11-26 every item is at level 1, the one due 11-20 at level 2 and overdue" || fail "escalation at 11-26"
import json, sys
items = json.load(open("l1.json"))["items"]
assert len(items) == 30, len(items)
for item in items:
    if item["id"] == sys.argv[1]:
        assert item["escalation_level"] == 2 and item["overdue"] is True, item
    else:
        assert item["escalation_level"] == 1 and item["overdue"] is False, item
PY
[[ "$(ctl work list --overdue --json | items)" == 1 ]] && ok "work list --overdue: the one past its due" || fail "overdue at 11-26"

# Restart at 2026-12-03: every window of 30 days has ended. rcmq-claims is
# killed (SIGKILL) between the two levels, not stopped: a level raised is
# in its store with its event, or not at all.
kill -9 "$(cat "$RCMQ_VAR/run/claims.pid")" 2>/dev/null || fail "no rcmq-claims to kill"
sleep 0.5
restart "2026-12-03T09:00:00Z"
for _ in $(seq 1 40); do
    [[ "$(ctl work list --overdue --json 2>/dev/null | items)" == 30 ]] && break
    sleep 0.5
done
ctl work list --overdue --json >l2.json
[[ "$(items <l2.json)" == 30 ]] && ok "after the restart at 12-03 every item is overdue" || fail "overdue at 12-03"
# Each level exactly once: the escalated events on the claims stream,
# read back through the item histories.
ctl work show "$ID" --json >show3.json
python3 - <<'PY' && ok "an item's history holds each level once, in order" || fail "levels not once each"
import json
item = json.load(open("show3.json"))
levels = [h["what"].split()[1] for h in item["history"] if h["what"].startswith("escalated")]
assert levels == ["1", "2"], levels
assert item["escalation_level"] == 2, item
PY
restart "2026-12-03T10:00:00Z"
sleep 1
ctl work show "$ID" --json >show4.json
python3 - <<'PY' && ok "a restart at a later instant with no new level raises nothing again" || fail "escalated twice"
import json
item = json.load(open("show4.json"))
levels = [h["what"] for h in item["history"] if h["what"].startswith("escalated")]
assert len(levels) == 2, levels
PY

# The payer answers: paid and denied claims close their items; a 277CA
# rejection leaves the item open with the claim's state. By payer-sim's
# own record of what it did.
mkdir sent && cp "$RCMQ_VAR"/data/outbound/*.x12 sent/
"$ROOT/scripts/payer-sim" --seed 4 --out sim --expect sim.json --accept-rate 0.8 --missing-277-rate 0 \
    --mix paid=0.5,denied=0.5 --waves 1 sent >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done
ctl work list --json >answered.json
python3 - <<'PY' && ok "a remit closes the follow-up item; a rejection leaves it open as rejected" || fail "items after the payer's answers"
import json
sim = json.load(open("sim.json"))["claims"]
items = {i["subject"]: i for i in json.load(open("answered.json"))["items"]}
closed = [c["pcn"] for c in sim if c["status"] in ("paid", "partially_paid", "denied")]
rejected = [c["pcn"] for c in sim if c["status"] == "rejected"]
assert closed and rejected, ([c["status"] for c in sim])
for pcn in closed:
    assert items[pcn]["state"] == "done" and items[pcn]["overdue"] is False, items[pcn]
for pcn in rejected:
    assert items[pcn]["state"] != "done" and items[pcn]["subject_state"] == "rejected", items[pcn]
PY

# Work events ride on the claims stream: every consumer of it (metrics,
# denials, inquiry, audit) goes on past them.
sleep 1
if ctl status >status.txt 2>&1; then
    ok "every process is up and no stream stopped on a work event"
else
    fail "rcmqctl status: $(grep -i "stopped\|problem\|down" status.txt | head -5)"
fi

check_sanitizer

test_finish work-items
