#!/usr/bin/env bash
# Rework paths as denials (issue 17, docs/denials.md "Rework"), with real
# processes:
#   - intake's scrub rejects claims (gen-837 MBR001 errors): rcmq-denials,
#     consuming the intake stream, opens one denial of kind
#     intake_rejection per rejected claim (PCN, payer, charge from the
#     generator's records) with its work item; a second file with the same
#     PCNs fixed is accepted, intake resolves the rejections
#     (intake.rejection_resolved) and each such denial ends `reworked`, its
#     work item done; its deadline is the date of service (the 837's
#     earliest DTP*472) + the payer's timely-filing limit (built-in per
#     payer group, or denials/timely-filing's payer and group rows this
#     test sets), not an appeal window;
#   - the second file's duplicates (DUP001 alone: the PCN was already
#     accepted) open no denial and are counted (duplicate_rejections_total);
#   - a claim the payer rejected on its 277CA (payer-sim) has a denial of
#     kind rejection; `claims edit` (claims.edited) moves it to corrected
#     with an `edited` history entry; the edited claim is submitted again
#     and the payer's 277CA accepts it: the denial ends `reworked`, and a
#     payer-rejected claim nobody edited stays open.
# Expected figures come from gen-837's and payer-sim's records.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/denials-rework.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init denials-rework 24560
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"
python3 "$ROOT/scripts/gen-837" --seed 7 --claims 30 --date 2026-11-01 --error-rate MBR001=0.4 \
    --out first.837 --expect first.json
# A payer's own filing limit and a group's, over the built-in ones.
FILING_PAYER="$(python3 -c 'import json; print(sorted({c["payer_id"] for c in json.load(open("first.json"))["claims"] if not c["accepted"] and c["filing_indicator"] == "CI"})[0])')"
export RCMQ_DENIALS_TIMELY_FILING="payer $FILING_PAYER 30; group medicaid 180"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 7 --claims 30 --date 2026-11-01 --control 2000 \
    --out second.837 --expect second.json

rework() { ctl denials list --limit 1000 --json | python3 -c '
import json,sys; print(json.dumps([d for d in json.load(sys.stdin)["denials"] if d["kind"] == sys.argv[1]]))' "$1"; }

# --- Intake's rejections ------------------------------------------------------
ACCEPTED1="$(python3 -c 'import json; print(sum(1 for c in json.load(open("first.json"))["claims"] if c["accepted"]))')"
ctl intake submit first.837 >/dev/null || fail "intake submit first.837"
wait_claims "$ACCEPTED1" && ok "$ACCEPTED1 claims of the first file entered" || fail "first file"
wait_for 60 caught_up denials claims intake && ok "denials caught up" || fail "denials did not catch up"
rework intake_rejection >intake1.json
python3 - "$FILING_PAYER" <<'PY' && ok "one intake_rejection denial per claim intake rejected, with its PCN, payer, charge, rule and timely-filing deadline" \
    || fail "intake rejections as denials: $(head -c 600 intake1.json)"
import datetime, json, sys
# The filing limits (docs/denials.md "Deadlines"): built-in per payer group,
# the payer and the group this test configures over them.
GROUP = {"MA": "medicare", "MB": "medicare", "16": "medicare", "MC": "medicaid", "BL": "bcbs",
         "CI": "commercial", "HM": "commercial", "12": "commercial", "13": "commercial",
         "14": "commercial", "15": "commercial", "CH": "tricare"}
FILING = {"medicare": 365, "tricare": 365, "bcbs": 180, "commercial": 90, "medicaid": 180}
def service_dates(path):
    text = open(path).read()
    el, term = text[3], text[105]
    out, pcn = {}, None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "CLM":
            pcn = seg[1]
        elif seg[0] == "DTP" and seg[1] == "472" and pcn:
            out[pcn] = min(out.get(pcn, seg[3]), seg[3])
    return out
dos = service_dates("first.837")
gen = [c for c in json.load(open("first.json"))["claims"] if not c["accepted"]]
got = json.load(open("intake1.json"))
assert gen and len(got) == len(gen), (len(got), len(gen))
by_pcn = {d["pcn"]: d for d in got}
for c in gen:
    d = by_pcn[c["pcn"]]
    assert d["payer_id"] == c["payer_id"] and d["denied_cents"] == c["charge_cents"], (d, c)
    assert d["state"] == "new" and d["category"] == "missing_information" and d["preventable"], d
    assert d["status_code"] == "MBR001" and d["work_item"].startswith("denials-"), d
    assert d["remit_date"] == "2026-11-02", d["remit_date"]
    days = 30 if c["payer_id"] == sys.argv[1] else FILING.get(GROUP.get(c["filing_indicator"], "other"), 90)
    date = dos[c["pcn"]]
    want = (datetime.date(int(date[:4]), int(date[4:6]), int(date[6:8])) + datetime.timedelta(days=days)).isoformat()
    assert d["appeal_deadline"] == want and "timely filing: %d days" % days in d["deadline_policy"], (c["pcn"], d, want)
assert any(c["payer_id"] == sys.argv[1] for c in gen) and any(c["filing_indicator"] == "MC" for c in gen), "configured rows unused"
PY
ctl denials policies --json >policies.json || fail "denials policies"
python3 - "$FILING_PAYER" <<'PY' && ok "denials policies lists the timely-filing limits in force" || fail "policies: $(head -c 600 policies.json)"
import json, sys
p = json.load(open("policies.json"))["policies"]
assert {"payer_id": sys.argv[1], "level": 0, "days": 30, "source": "denials/timely-filing", "kind": "timely_filing"} in p, p
assert {"payer_group": "medicaid", "level": 0, "days": 180, "source": "denials/timely-filing", "kind": "timely_filing"} in p, p
assert {"payer_group": "medicare", "level": 0, "days": 365, "source": "built-in", "kind": "timely_filing"} in p, p
assert {"payer_group": "medicare", "level": 1, "days": 120, "source": "built-in", "kind": "appeal"} in p, p
PY

ctl intake submit second.837 >/dev/null || fail "intake submit second.837"
wait_for 60 caught_up denials claims intake || fail "denials did not catch up after the second file"
rework intake_rejection >intake2.json
ctl denials list --limit 1 --json >page2.json || fail "denials list"
ctl work list --type denial --limit 1000 --json >work2.json || fail "work list"
python3 - <<'PY' && ok "the rejections a later accepted claim resolved are reworked (work item done); duplicates open none, counted" \
    || fail "resolved rejections: $(head -c 800 intake2.json)"
import json
first = json.load(open("first.json"))["claims"]
fixed = {c["pcn"] for c in first if not c["accepted"]}
dupes = {c["pcn"] for c in first if c["accepted"]}
got = json.load(open("intake2.json"))
work = {i["id"]: i for i in json.load(open("work2.json"))["items"]}
reworked = [d for d in got if d["state"] == "reworked"]
assert {d["pcn"] for d in reworked} == fixed and len(reworked) == len(fixed), sorted(d["pcn"] for d in reworked)
# A duplicate (DUP001 alone) is not rework: the accepted original is in flight.
assert len(got) == len(fixed), [(d["pcn"], d["status_code"], d["state"]) for d in got if d["pcn"] not in fixed]
assert dupes and json.load(open("page2.json"))["duplicate_rejections_total"] == len(dupes), len(dupes)
for d in reworked:
    assert work[d["work_item"]]["state"] == "done", work[d["work_item"]]
PY

# --- The payer's rejections -----------------------------------------------------
ctl claims submit --json >submit1.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/
"$ROOT/scripts/payer-sim" --seed 5 --out sim --expect sim.json --accept-rate 0.5 --missing-277-rate 0 \
    --mix paid=1 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
wait_for 60 caught_up denials claims intake || fail "denials did not catch up with the 277CAs"
read -r REJ STAY < <(python3 -c '
import json; r = [c["pcn"] for c in json.load(open("sim.json"))["claims"] if c["ack"] == "rejected"]
assert len(r) >= 2, r; print(r[0], r[1])')
den_of() { ctl denials list --limit 1000 --json | python3 -c '
import json,sys; print([d["id"] for d in json.load(sys.stdin)["denials"] if d["pcn"] == sys.argv[1] and d["kind"] == "rejection"][0])' "$1"; }
REJ_ID="$(den_of "$REJ")"
STAY_ID="$(den_of "$STAY")"
[[ -n "$REJ_ID" && -n "$STAY_ID" ]] && ok "the payer's rejections opened denials" || fail "no rejection denial"

expect 0 "claims edit" ctl claims edit "$REJ" --reason "member id from the new card" --member-id W987654321
wait_for 60 caught_up denials claims intake || fail "denials did not catch up with claims.edited"
ctl denials show "$REJ_ID" --json >edited.json
python3 -c '
import json; d = json.load(open("edited.json"))
assert d["state"] == "corrected", d["state"]
e = [h for h in d["history"] if h["what"] == "edited"]
assert e and e[-1]["from"] == "rejected" and e[-1]["to"] == "ready" and "member id from the new card" in e[-1]["reason"], e
' && ok "claims.edited moves the rejection's denial to corrected, the edit in its history" || fail "after the edit: $(head -c 600 edited.json)"

ctl claims submit --json >submit2.json || fail "claims submit of the edited claim"
mkdir round2 && python3 -c '
import json, shutil, sys; [shutil.copy(sys.argv[1] + "/" + f, "round2/") for f in json.load(open("submit2.json"))["files"]]' "$OUTBOUND"
"$ROOT/scripts/payer-sim" --seed 6 --out sim2 --expect sim2.json --accept-rate 1 --missing-277-rate 0 \
    --mix paid=1 --waves 1 round2 >/dev/null || fail "payer-sim round 2"
python3 -c 'import json,sys; c = json.load(open("sim2.json"))["claims"]; assert [x["pcn"] for x in c] == [sys.argv[1]] and c[0]["ack"] == "accepted", c' "$REJ" \
    && ok "the edited claim went out again and the payer accepted it" || fail "round 2: $(head -c 400 sim2.json)"
for file in sim2/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
wait_for 60 caught_up denials claims intake || fail "denials did not catch up with the acceptance"
ctl denials show "$REJ_ID" --json >accepted.json
ctl denials show "$STAY_ID" --json >stay.json
python3 -c '
import json; d = json.load(open("accepted.json")); s = json.load(open("stay.json"))
assert d["state"] == "reworked" and "accepted the edited claim" in d["history"][-1]["reason"], d["history"][-1]
assert s["state"] == "new", s["state"]
' && ok "the accepted edited claim ends its denial reworked; the claim nobody edited stays open" \
    || fail "after the acceptance: $(head -c 400 accepted.json)"

# metrics follows every denials event, `reworked` included (a final state
# with no outcome): its stream never stops on one.
wait_for 60 caught_up metrics denials && ok "metrics applied every denials event, reworked ones included" \
    || fail "metrics stopped on the denials stream: $(grep -o 'stream_stopped[^"]*' caught-up.json | head -c 300)"

# Stopped first, so a report the processes make as they exit (LSan) is in their logs.
stop_all
check_sanitizer
test_finish denials-rework
