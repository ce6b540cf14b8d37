#!/usr/bin/env bash
# The responsibility grid and contacts of a queue (issue 15), with real
# processes: intake keeps them in the queue and publishes each change on the
# "queue" stream; claims keeps its copy of the queue from that stream.
#
#   - an internal lead sets the grid and contacts; a biller and a vendor
#     agent are refused (PERMISSION_DENIED), and so is a name the registry holds as no active person;
#     a wrong work type, topic or side is a usage error naming the choices;
#   - what `queue grid --json` shows is what the test expects from the rules
#     of docs/work-items.md (written out below, not read from rcmq);
#   - moving the queue to vendor moves follow_up to the vendor team but not
#     documentation_request, and the internal lead stays escalation level 1;
#   - a vendor lead sets only the pool of its own team's work and the vendor
#     side's contacts;
#   - claims' copy of the queue (its store's "queues" table, read with
#     mdb_dump once claims has consumed the queue stream to its head) holds
#     the grid and the contacts after the change.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/queue-grid.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init queue-grid 28300
export RCMQ_NOW="2026-11-06T16:00:00Z"

# refused NAME EXIT WORDS CMD...: the command exits EXIT and its error says WORDS.
refused() {
    local name="$1" want="$2" words="$3" rc=0; shift 3
    ctl "$@" >out.txt 2>err.txt || rc=$?
    if ((rc == want)) && grep -q -- "$words" err.txt; then
        ok "$name"
    else
        fail "$name: exit $rc (expected $want), stderr: $(head -c 300 err.txt)"
    fi
}

start_deployment

# The people: the practice's lead, manager, CFO, biller and office; the
# vendor's lead and agents, granted through the registry (rcmq_grant).
while read -r name role team; do
    until=""
    [[ "$role" == vendor-* ]] && until="2027-12-31"
    rcmq_grant "$CTL" "$CONF" "$name" "$role" "$team" "$until" </dev/null >/dev/null || fail "grant $name"
done <<'EOF'
lena internal-lead internal-ar
mgr internal-lead internal-ar
cfo leader internal
bill internal-biller internal-ar
olga internal-biller practice-office
vlead vendor-lead acme
vic vendor-agent acme
vera vendor-agent acme
EOF
ctl queue create q-grid --owner-team internal-ar --vendor-team acme --payer-groups bcbs >/dev/null \
    || fail "queue create q-grid"

# --- Set by the internal lead -----------------------------------------------
ctl --as lena queue grid set q-grid default --lead lena --escalate ,mgr,cfo --sla standard >/dev/null \
    && ok "the internal lead sets the default row" || fail "grid set default as lena: $(cat err.txt 2>/dev/null)"
ctl --as lena queue grid set q-grid documentation_request --team practice-office --assignee olga >/dev/null \
    && ok "the internal lead sets documentation_request's team and assignee" || fail "grid set documentation_request as lena"
ctl --as lena queue grid set q-grid denial --sla denial-fast --pool bill,lena >/dev/null \
    && ok "the internal lead sets denial's SLA and pool" || fail "grid set denial as lena"
# Changing one field keeps the rest of the row.
ctl --as lena queue grid set q-grid denial --lead mgr >/dev/null && ok "a second change of the denial row" \
    || fail "grid set denial --lead"

refused "a biller may not change the grid" 1 PERMISSION_DENIED --as bill queue grid set q-grid follow_up --lead bill
refused "a vendor agent may not change the grid" 1 PERMISSION_DENIED --as vic queue grid set q-grid follow_up --lead vic
refused "a biller may not set contacts" 1 PERMISSION_DENIED --as bill queue contacts q-grid --set routine --side internal --name bill
refused "a name the registry holds as no active person is refused" 1 "'nobody' is no active user" --as lena queue grid set q-grid follow_up --lead nobody
refused "a service key is no person" 1 "'claims' is no active user" --as lena queue grid set q-grid follow_up --escalate lena,claims
refused "an unknown work type is a usage error naming the types" 2 "documentation_request" \
    queue grid set q-grid followup --lead lena
refused "an unknown topic is a usage error" 2 "routine" queue contacts q-grid --set weekend --side internal --name lena
refused "an unknown side is a usage error" 2 "vendor" queue contacts q-grid --set urgent --side offshore --name lena
refused "an unknown queue is refused" 1 "no queue 'q-nope'" queue grid set q-nope follow_up --lead lena
refused "more than three escalation levels are refused" 2 "levels are 1 to 3" \
    queue grid set q-grid follow_up --escalate lena,mgr,cfo,bill

ctl --as lena queue contacts q-grid --set routine --side internal --name bill >/dev/null || fail "contacts routine internal"
ctl --as lena queue contacts q-grid --set urgent --side internal --name lena >/dev/null || fail "contacts urgent internal"
ctl --as lena queue contacts q-grid --set downtime --side vendor --name vlead >/dev/null || fail "contacts downtime vendor"
refused "an internal contact must be of the internal side" 1 "not of the internal side" \
    --as lena queue contacts q-grid --set patient --side internal --name vic
refused "a vendor contact must be of the queue's vendor" 1 "not of queue q-grid's vendor" \
    --as lena queue contacts q-grid --set patient --side vendor --name bill

# The grid as the rules say it is (docs/work-items.md), in each phase: the
# expected rows are written here.
check_grid() {
    local phase="$1"
    ctl queue grid q-grid --json >grid.json || { fail "queue grid q-grid --json"; return; }
    python3 - "$phase" <<'PY' && ok "queue grid in phase $1 is as the rules say" || fail "queue grid in phase $1"
import json, sys
phase = sys.argv[1]
vendor_owns = phase != "internal"
rows = {r["work_type"]: r for r in json.load(open("grid.json"))["grid"]}
assert sorted(rows) == sorted(["follow_up", "documentation_request", "denial", "inquiry", "action"]), rows.keys()
def expect(kind, **want):
    row = rows[kind]
    for key, value in want.items():
        assert row[key] == value, (phase, kind, key, row[key], value)
    assert row["queue"] == "q-grid" and row["phase"] == phase, row
# The default row: lead lena, chain (lead, mgr, cfo), SLA standard.
for kind in ("follow_up", "inquiry", "action"):
    expect(kind, team="acme" if vendor_owns else "internal-ar", lead="lena",
           escalate=["lena", "mgr", "cfo"], sla_policy="standard", assignee="", pool=[])
# denial: its own SLA, pool and lead (level 1 is its lead: its row is more specific).
expect("denial", team="acme" if vendor_owns else "internal-ar", lead="mgr",
       escalate=["mgr", "mgr", "cfo"], sla_policy="denial-fast", pool=["bill", "lena"], assignee="")
# documentation_request stays with the practice's office in every phase.
expect("documentation_request", team="practice-office", assignee="olga", lead="lena",
       escalate=["lena", "mgr", "cfo"], sla_policy="standard")
PY
}
check_grid internal

# --- The phase moves the work in one change ---------------------------------
ctl queue phase q-grid vendor >/dev/null || fail "queue phase q-grid vendor"
check_grid vendor

# --- The vendor lead: who gets its own team's new items, its own contacts ---
ctl --as vlead queue grid set q-grid follow_up --pool vic,vera >/dev/null \
    && ok "the vendor lead sets the pool of follow_up (its team's work now)" || fail "grid set follow_up --pool as vlead"
refused "the vendor lead may not change the lead" 1 PERMISSION_DENIED --as vlead queue grid set q-grid follow_up --lead vic
refused "the vendor lead may not route documentation requests" 1 "is practice-office's work now, not acme's" \
    --as vlead queue grid set q-grid documentation_request --assignee vic
refused "the vendor lead may not change the default row" 1 "default of queue q-grid is the practice's" \
    --as vlead queue grid set q-grid default --pool vic
refused "the vendor lead names only its own people" 1 "of team internal-ar" \
    --as vlead queue grid set q-grid inquiry --assignee bill
ctl --as vlead queue contacts q-grid --set urgent --side vendor --name vic >/dev/null \
    && ok "the vendor lead sets the vendor side's urgent contact" || fail "contacts as vlead"
refused "the vendor lead may not set the internal side" 1 PERMISSION_DENIED \
    --as vlead queue contacts q-grid --set urgent --side internal --name vic

# An option given empty resets the field: denial's own SLA gives way to the
# default row's.
ctl --as lena queue grid set q-grid denial --sla '' >/dev/null || fail "grid set denial --sla ''"
ctl queue grid q-grid --json | python3 -c '
import json, sys
rows = {r["work_type"]: r for r in json.load(sys.stdin)["grid"]}
assert rows["denial"]["sla_policy"] == "standard", rows["denial"]
assert rows["denial"]["lead"] == "mgr" and rows["denial"]["pool"] == ["bill", "lena"], rows["denial"]' \
    && ok "--sla '' resets denial's SLA to the default row's and keeps the rest" || fail "grid set --sla ''"

ctl queue contacts q-grid --json >contacts.json || fail "queue contacts --json"
python3 - <<'PY' && ok "queue contacts --json is {queue, contacts: [{topic, side, name}]} with what was set" \
    || fail "queue contacts --json"
import json
doc = json.load(open("contacts.json"))
assert set(doc) == {"queue", "contacts"} and doc["queue"] == "q-grid", doc
got = sorted((c["topic"], c["side"], c["name"]) for c in doc["contacts"])
assert all(set(c) == {"topic", "side", "name"} for c in doc["contacts"]), doc
assert got == sorted([("routine", "internal", "bill"), ("urgent", "internal", "lena"),
                      ("downtime", "vendor", "vlead"), ("urgent", "vendor", "vic")]), got
PY
ctl --as lena queue contacts q-grid --set routine --side internal --name '' >/dev/null || fail "remove a contact"
ctl queue contacts q-grid --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert ("routine", "internal") not in [(c["topic"], c["side"]) for c in doc["contacts"]], doc
assert len(doc["contacts"]) == 3, doc' && ok "--name '' removes one contact" || fail "contact removal"
# A vendor agent of acme may not read queue set-up (queue.read is not an
# agent's), but reads whom to call about the queue it works (contacts.read).
refused "a vendor agent does not read the grid" 1 PERMISSION_DENIED --as vic queue grid q-grid
ctl --as vic queue contacts q-grid --json | python3 -c '
import json, sys
assert len(json.load(sys.stdin)["contacts"]) == 3' && ok "a vendor agent of the queue's vendor reads its contacts" \
    || fail "queue contacts as vic"
ctl queue create q-home --owner-team internal-ar --payer-groups medicare >/dev/null || fail "queue create q-home"
refused "a vendor agent does not read the contacts of an internal queue" 1 "no queue 'q-home'" \
    --as vic queue contacts q-home

# --- Claims' copy of the queue ----------------------------------------------
# Wait until claims has applied the queue stream up to the broker's head.
caught_up=0
for _ in $(seq 1 120); do
    if ctl status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
head = {x["stream"]: x["head_seq"] for x in s["broker"]["streams"]}.get("queue", 0)
claims = [p for p in s["processes"] if p["name"] == "claims"][0]
sys.exit(0 if head > 0 and (claims.get("consumed") or {}).get("queue", 0) >= head else 1)'; then
        caught_up=1; break
    fi
    sleep 0.5
done
((caught_up)) && ok "claims consumed the queue stream to its head" || fail "claims did not catch up on the queue stream"
store="$(find "$RCMQ_VAR/data" -path '*claims*' -name data.mdb -printf '%h\n' | head -n 1)"
if [[ -z "$store" ]]; then
    fail "no claims store under $RCMQ_VAR/data"
else
    mdb_dump -p -s queues "$store" >claims-queues.txt 2>claims-queues.err || fail "mdb_dump of claims' queues: $(cat claims-queues.err)"
    python3 - <<'PY' && ok "claims' copy of q-grid carries the grid and contacts of the last change" \
        || fail "claims' copy of q-grid: $(head -c 600 claims-queues.txt)"
# mdb_dump -p prints key and value lines; the value holds the protobuf's
# strings as they are. The last change was a contact removal: everything
# before it must be there, the removed contact not.
lines = [l.strip() for l in open("claims-queues.txt")]
value = next(lines[i + 1] for i, l in enumerate(lines) if l == "q-grid")
for text in ("documentation_request", "practice-office", "olga", "standard", "cfo", "vera",
             "downtime", "vlead", "urgent", "vic"):
    assert text in value, (text, value)
assert "routine" not in value, value
assert "denial-fast" not in value, value
PY
fi

echo
if ((failures)); then
    echo "queue-grid: $failures failure(s)"
    exit 1
fi
echo "queue-grid: all passed"
