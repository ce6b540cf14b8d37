#!/usr/bin/env bash
# Denials with real processes (issue 17, docs/denials.md): scripts/gen-837
# claims go through intake and `claims submit`; scripts/payer-sim
# acknowledges them (some rejected) and adjudicates them in two waves
# (paid, partially paid with denied lines, denied, reversed and
# re-adjudicated); rcmqctl posts every file. rcmq-denials is SIGKILLed
# between the waves and started again. Then:
#   - exactly one denial per claim and remit that denied (lines the payer
#     paid nothing for, or the claim), one per 277CA rejection, one per
#     reversal that took money back and kept it; none opened twice;
#   - each denial's lines, amount, category (from this script's own table
#     of the CARCs the simulator uses) and appeal deadline (remit date +
#     the payer's window: built-in per payer group from the 837's filing
#     indicator, or the per-payer window this test configures) as this
#     script computes them from the simulator's and generator's records;
#   - one `denial` work item per denial;
#   - a reposted 835 (a duplicate remit) opens nothing;
#   - a later 835 (a second payer-sim run paying everything) wins every
#     denied claim's denial with recovered_cents = what it paid;
#   - the workflow through rcmqctl: assign moves new to in_review, an
#     illegal move is refused naming both states, categorize keeps its
#     reason in the history, a write-off above the limit waits for a second
#     person, who must be an internal-lead or leader other than the asker;
#     the denial carries the amount written off (written_off_cents) and
#     metrics' denial_written_off_cents counts exactly those amounts;
#   - a later RCMQ_NOW past the deadlines flags missed_deadline on the
#     denials nobody acted on, and only those.
# Expected figures never come from rcmq's stores.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/denials.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init denials 24500
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

python3 "$ROOT/scripts/gen-837" --seed 31 --claims 80 --date 2026-11-01 --out claims.837 --expect claims.json
# One payer's own window, as a deployment names a state Medicaid payer's.
CONFIGURED_PAYER="$(python3 -c 'import json; print(sorted({c["payer_id"] for c in json.load(open("claims.json"))["claims"] if c["accepted"]})[0])')"
export RCMQ_DENIALS_APPEAL_WINDOWS="payer $CONFIGURED_PAYER 1 45"
ACCEPTED="$(python3 -c 'import json; print(sum(1 for c in json.load(open("claims.json"))["claims"] if c["accepted"]))')"

start_deployment
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims "$ACCEPTED" && ok "$ACCEPTED claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/

"$ROOT/scripts/payer-sim" --seed 9 --out sim --expect sim.json --accept-rate 0.9 --missing-277-rate 0 \
    --mix paid=0.35,partial=0.2,denied=0.3,reversal=0.15 --waves 2 --late-rate 0.2 round1 >/dev/null \
    || fail "payer-sim"

# Waits until rcmq-denials applied every claims event there is.

for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*-w1.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done
# SIGKILL while it works through wave 1's events, wave 2 posted while it is
# down, then started again: it must apply each event once.
kill -KILL "$(cat "$RCMQ_VAR/run/denials.pid")"
for file in sim/835-*-w2.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done
"$ROOT/scripts/run" --empty start >>"$WORK/run.log" 2>&1 || fail "scripts/run start after the kill"
wait_for 90 caught_up denials claims && ok "denials caught up with the claims stream after SIGKILL" || fail "denials did not catch up"

ctl denials list --limit 1000 --json >list1.json || fail "denials list"
ctl work list --type denial --limit 1000 --json >work1.json || fail "work list --type denial"

# This script's own expectation, from the simulator's and the generator's
# records (and the 277CA files the simulator wrote, for the ack dates).
cat >expect.py <<'PY'
import datetime, glob, json

# The CARCs payer-sim sends, as docs/denials.md files them.
CATEGORY = {"16": "missing_information", "18": "duplicate", "22": "other", "27": "eligibility",
            "29": "timely_filing", "50": "medical_necessity", "96": "non_covered", "97": "coding",
            "197": "authorization", "204": "non_covered", "151": "medical_necessity"}
TEAM = {"16": "billing", "18": "billing", "22": "front_desk", "27": "front_desk", "29": "billing",
        "50": "coding", "96": "billing", "97": "coding", "197": "front_desk", "204": "payer"}
REJECTED = {"21": "missing_information", "33": "eligibility", "116": "eligibility",
            "145": "missing_information", "454": "coding", "562": "provider"}
GROUP = {"MA": "medicare", "MB": "medicare", "16": "medicare", "MC": "medicaid", "BL": "bcbs",
         "CI": "commercial", "HM": "commercial", "12": "commercial", "13": "commercial",
         "14": "commercial", "15": "commercial", "CH": "tricare"}
WINDOW = {"medicare": 120, "commercial": 180, "bcbs": 180, "tricare": 90}
CONTRACTUAL = {("CO", "45"), ("CO", "253")}

def deadline(date, payer, filing, configured):
    days = 45 if payer == configured else WINDOW.get(GROUP.get(filing, "other"), 90)
    day = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:8])) + datetime.timedelta(days=days)
    return day.isoformat()

def iso(date):
    return "%s-%s-%s" % (date[:4], date[4:6], date[6:8])

def ack_dates():
    dates = {}
    for path in glob.glob("sim/277CA-*.x12"):
        text = open(path).read()
        pcn = None
        for seg in (s.strip().split("*") for s in text.split("~") if s.strip()):
            if seg[0] == "TRN" and seg[1] == "2":
                pcn = seg[2]
            elif seg[0] == "STC" and pcn:
                dates[pcn] = seg[2]
                pcn = None
    return dates

def expected(configured):
    gen = {c["pcn"]: c for c in json.load(open("claims.json"))["claims"] if c["accepted"]}
    sim = json.load(open("sim.json"))["claims"]
    acks = ack_dates()
    out = {}
    for c in sim:
        pcn, payer = c["pcn"], c["payer_id"]
        filing = gen[pcn]["filing_indicator"]
        if c["ack"] == "rejected":
            date = acks[pcn]
            out[(pcn, "rejection")] = {"kind": "rejection", "category": REJECTED.get(c["ack_status"], "other"),
                                       "denied_cents": c["charge_cents"], "remit_date": iso(date),
                                       "appeal_deadline": deadline(date, payer, filing, configured),
                                       "state": "new", "status": c["status"]}
            continue
        if not c["remits"]:
            continue
        last = c["remits"][-1]
        # What claims calls denied: claim-level reasons of a denied claim,
        # and lines paid nothing (each with its non-PR, non-contractual CAS).
        reasons = []
        if c["status"] == "denied" and not c["line_results"]:
            reasons = [(d["group"], d["carc"], d["amount_cents"]) for d in c["denials"] if d["line"] == 0]
        for line in c["line_results"]:
            if line["paid_cents"] == 0:
                reasons += [(a["group"], a["carc"], a["amount_cents"]) for a in line["adjustments"]
                            if a["group"] != "PR" and (a["group"], a["carc"]) not in CONTRACTUAL and a["amount_cents"]]
        reversal = [r for r in c["remits"] if r["status_code"] == "22"]
        taken = -sum(r["paid_cents"] for r in reversal)
        repaid = sum(r["paid_cents"] for r in c["remits"] if reversal and r["trace"] == reversal[0]["trace"]
                     and r["status_code"] != "22")
        key = (pcn, last["trace"])
        base = {"remit_date": iso(last["payment_date"]), "status": c["status"],
                "appeal_deadline": deadline(last["payment_date"], payer, filing, configured)}
        if reasons:
            primary = max(reasons, key=lambda r: r[2])          # the first of equals
            for r in reasons:
                if r[2] == primary[2]:
                    primary = r
                    break
            out[key] = dict(base, kind="denial", category=CATEGORY[primary[1]], carc=primary[1],
                            group=primary[0], denied_cents=sum(r[2] for r in reasons), state="new",
                            lines=len(reasons))
        elif reversal and repaid < taken:
            out[key] = dict(base, kind="reversal", category="other", denied_cents=taken - repaid, state="new")
        elif reversal:
            out[key] = dict(base, kind="reversal", category="other", denied_cents=0, state="cancelled")
    return out
PY

python3 - "$CONFIGURED_PAYER" <<'PY' && ok "one denial per claim and remit, with the simulator's lines, amounts, categories and deadlines" || fail "denials against the simulator's records"
import json, sys
sys.path.insert(0, ".")
from expect import expected
want = expected(sys.argv[1])
page = json.load(open("list1.json"))
got = page["denials"]
assert page["next_after"] == "", page["next_after"]
keys = [(d["pcn"], "rejection" if d["kind"] == "rejection" else d["remit_trace"]) for d in got]
assert len(keys) == len(set(keys)), "a claim and remit with two denials"
assert set(keys) == set(want), (sorted(set(keys) - set(want))[:5], sorted(set(want) - set(keys))[:5])
kinds = {}
for d, key in zip(got, keys):
    w = want[key]
    for field in ("id", "claim_id", "pcn", "payer_id", "carc", "group", "rarc", "category", "preventable",
                  "denied_cents", "remit_date", "appeal_deadline", "state", "owner", "team", "priority"):
        assert field in d, (field, d)
    for field in ("kind", "category", "denied_cents", "remit_date", "appeal_deadline", "state"):
        assert d[field] == w[field], (key, field, d[field], w[field])
    if w["kind"] == "denial":
        assert d["carc"] == w["carc"] and d["group"] == w["group"], (key, d["carc"], w)
        assert len(d["reasons"]) == w["lines"], (key, len(d["reasons"]), w["lines"])
    assert d["claim_id"] and d["work_item"].startswith("denials-"), d
    kinds[w["kind"]] = kinds.get(w["kind"], 0) + 1
# The list's order: priority, highest first.
priorities = [d["priority"] for d in got]
assert priorities == sorted(priorities, reverse=True), priorities[:10]
assert kinds.get("denial", 0) >= 10 and kinds.get("rejection", 0) >= 2, kinds
print("   ", len(got), "denials:", kinds, file=sys.stderr)
PY

python3 - <<'PY' && ok "one denial work item per denial" || fail "work items of the denials"
import json
denials = json.load(open("list1.json"))["denials"]
items = json.load(open("work1.json"))["items"]
assert all(i["service"] == "denials" and i["type"] == "denial" for i in items), items[:2]
assert sorted(i["subject"] for i in items) == sorted(d["id"] for d in denials), (len(items), len(denials))
assert sorted(i["id"] for i in items) == sorted(d["work_item"] for d in denials)
PY

# A duplicate remit opens nothing.
first_835="$(ls sim/835-*-w1.x12 | head -1)"
ctl claims post "$first_835" >/dev/null 2>&1 || true
wait_for 30 caught_up denials claims || true
[[ "$(ctl denials list --limit 1000 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["denials"]))')" \
   == "$(python3 -c 'import json; print(len(json.load(open("list1.json"))["denials"]))')" ]] \
    && ok "a reposted 835 opens no denial" || fail "a duplicate remit opened denials"

# Paging in priority order.
ctl denials list --limit 5 --json >p1.json
after="$(python3 -c 'import json; print(json.load(open("p1.json"))["next_after"])')"
ctl denials list --limit 5 --after "$after" --json >p2.json
python3 - <<'PY' && ok "pages of 5 follow on in priority order" || fail "paging"
import json
whole = [d["id"] for d in json.load(open("list1.json"))["denials"]]
pages = [d["id"] for d in json.load(open("p1.json"))["denials"]] + [d["id"] for d in json.load(open("p2.json"))["denials"]]
assert pages == whole[:10], (pages, whole[:10])
PY

# --- The workflow through rcmqctl -------------------------------------------
rcmq_grant "$CTL" "$CONF" bea internal-biller internal >/dev/null || fail "grant bea"
rcmq_grant "$CTL" "$CONF" lee internal-lead internal >/dev/null || fail "grant lee"
ID="$(python3 -c 'import json; print([d["id"] for d in json.load(open("list1.json"))["denials"] if d["state"] == "new" and d["kind"] == "denial"][0])')"
ID2="$(python3 -c 'import json; print([d["id"] for d in json.load(open("list1.json"))["denials"] if d["state"] == "new" and d["kind"] == "denial"][1])')"
expect 1 "resolving a new denial as won is refused" ctl --as bea denials resolve "$ID" won
grep -q "state new cannot move to won" "$WORK/err" && ok "the refusal names both states" || fail "refusal: $(cat "$WORK/err")"
expect 0 "assign" ctl --as bea denials assign "$ID" bea --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "in_review" and d["owner"] == "bea", d' "$WORK/out" \
    && ok "assigning a new denial moves it to in_review" || fail "assign: $(cat "$WORK/out")"
expect 0 "categorize" ctl --as bea denials categorize "$ID" eligibility --reason "member id typo at check-in" --json
python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))
h = [e for e in d["history"] if e["what"] == "categorized"]
assert d["category"] == "eligibility" and d["team"] == "front_desk", d
assert h and h[-1]["reason"] == "member id typo at check-in" and h[-1]["actor"] == "bea" and h[-1]["to"] == "eligibility", h
' "$WORK/out" && ok "re-categorized with its reason in the history" || fail "categorize: $(cat "$WORK/out")"
expect 1 "a write-off without a reason code is refused" ctl --as bea denials resolve "$ID" written_off
expect 0 "a write-off of more than the limit is asked" ctl --as bea denials resolve "$ID" written_off --reason small_balance --cents 90000 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "in_review" and d["write_off"]["cents"] == 90000, d' "$WORK/out" \
    && ok "it waits for approval" || fail "write-off request: $(cat "$WORK/out")"
expect 1 "the asker cannot approve it" ctl --as bea denials approve "$ID"
expect 0 "an internal lead approves it" ctl --as lee denials approve "$ID" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "written_off" and d["resolution_reason"] == "small_balance" and d["written_off_cents"] == 90000, d' "$WORK/out" \
    && ok "written off after the second person, the amount asked carried" || fail "approve: $(cat "$WORK/out")"
expect 0 "a small write-off needs no approval" ctl --as bea denials assign "$ID2" bea
expect 0 "written off at once" ctl --as bea denials resolve "$ID2" written_off --reason small_balance --cents 100 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "written_off" and d["written_off_cents"] == 100 and d["denied_cents"] != 100, d' "$WORK/out" \
    && ok "the denial carries the amount written off (written_off_cents), not what was open" || fail "write-off: $(cat "$WORK/out")"
wait_for 60 caught_up metrics denials || fail "metrics did not catch up with the denials stream"
ctl metrics kpi --json >kpi.json || fail "metrics kpi"
python3 -c 'import json; k = json.load(open("kpi.json")); assert k["denial_written_off_cents"] == 90000 + 100, k["denial_written_off_cents"]' \
    && ok "metrics: denial_written_off_cents is the amounts written off (90000 + 100)" \
    || fail "metrics written off: $(python3 -c 'import json; print(json.load(open("kpi.json")).get("denial_written_off_cents"))')"
expect 0 "denials policies" ctl denials policies --json
python3 -c '
import json,sys
p = json.load(open(sys.argv[1]))["policies"]
assert {"payer_group": "medicare", "level": 1, "days": 120, "source": "built-in", "kind": "appeal"} in p, p
assert {"payer_id": sys.argv[2], "level": 1, "days": 45, "source": "denials/appeal-windows", "kind": "appeal"} in p, p
' "$WORK/out" "$CONFIGURED_PAYER" && ok "policies: built-in and configured windows" || fail "policies: $(cat "$WORK/out")"

# --- Paid later: a second payer run pays every claim --------------------------
"$ROOT/scripts/payer-sim" --seed 2 --out later --expect later.json --accept-rate 1 --missing-277-rate 0 \
    --mix paid=1 --waves 1 --date 2026-12-20 round1 >/dev/null || fail "payer-sim (later)"
for file in later/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done
wait_for 90 caught_up denials claims && ok "denials caught up with the later payments" || fail "denials did not catch up (later)"
ctl denials list --limit 1000 --json >list2.json
python3 - "$ID" "$ID2" <<'PY' && ok "every denied claim paid later is won with what it paid recovered; the rest stand" || fail "paid later"
import json, sys
sim = {c["pcn"]: c for c in json.load(open("sim.json"))["claims"]}
later = {c["pcn"]: c for c in json.load(open("later.json"))["claims"]}
before = {d["id"]: d for d in json.load(open("list1.json"))["denials"]}
won = 0
for d in json.load(open("list2.json"))["denials"]:
    b = before[d["id"]]
    if d["id"] in sys.argv[1:]:
        assert d["state"] == "written_off", d
        continue
    if sim[d["pcn"]]["status"] == "denied" and b["state"] == "new":
        paid = later[d["pcn"]]["paid_cents"]
        assert d["state"] == "won" and d["recovered_cents"] == min(paid, d["denied_cents"]), (d["pcn"], d["state"], d["recovered_cents"], paid)
        won += 1
    else:
        assert d["state"] == b["state"] and d["recovered_cents"] == 0, (d["pcn"], d["state"], b["state"])
assert won >= 5, won
print("   ", won, "won", file=sys.stderr)
PY

# --- Missed deadlines ----------------------------------------------------------
# Past every deadline: a restart sweeps before it answers.
"$ROOT/scripts/run" stop >>"$WORK/run.log" 2>&1 || true
export RCMQ_NOW="2027-08-01T09:00:00Z"
"$ROOT/scripts/run" --empty start >>"$WORK/run.log" 2>&1 || fail "start at a later RCMQ_NOW"
wait_for 60 caught_up denials claims || true
ctl denials list --limit 1000 --json >list3.json
python3 - <<'PY' && ok "missed_deadline on exactly the denials nobody acted on before their deadline, counted" || fail "missed deadlines"
import json
page = json.load(open("list3.json"))
missed = sum(1 for d in page["denials"] if d["missed_deadline"])
assert missed >= 5 and page["missed_deadline_total"] == missed, (missed, page["missed_deadline_total"])
assert page["unknown_carc_total"] == 0, page["unknown_carc_total"]
for d in page["denials"]:
    acted = d["state"] not in ("new", "in_review", "waiting_payer", "waiting_practice")
    assert d["missed_deadline"] == (not acted), (d["id"], d["state"], d["missed_deadline"])
    if d["missed_deadline"]:
        assert d["appeal_deadline"] < "2027-08-01", d
PY

test_finish denials
