#!/usr/bin/env bash
# `denials correct` with real processes (issue 17, ADR 0037): rcmq-denials
# asks rcmq-claims, over claims' api with its own key
# (claims.RequestCorrection), for a corrected claim or a void; claims stays
# the only writer of claim state. scripts/gen-837 claims go through intake
# and `claims submit`; scripts/payer-sim acknowledges them (some rejected)
# and denies the rest; rcmqctl posts every file. Then:
#   - correcting a denial nobody reviewed is refused naming both states;
#   - `denials correct ID` moves a reviewed denial to corrected, and the next
#     `claims submit` sends that claim with frequency 7 and the payer's claim
#     number (REF*F8), read from the 837P file it wrote;
#   - `denials correct ID --void` does the same with frequency 8;
#   - a 277CA rejection's claim (nothing at the payer to replace) is
#     refused by claims, the refusal is the reply, and the denial does not
#     move;
#   - the claim's history says who asked for which denial;
#   - `denials appeal ID --reason TEXT` writes a letter (plain text, built-in
#     template) into the outbound folder naming the claim, the payer's claim
#     number and each denied line's CARC (from payer-sim's own records) and
#     the reason; the denial is appealed and `denials show --json` has
#     `letter`; `--attach ID,ID --attach ID` lists the documents under
#     Enclosures and on the denial (`documents`), a bad id is refused naming
#     it and changes nothing; `--template medical-necessity`
#     (deploy/appeal-templates) fills that template; an unknown template is
#     refused naming it.
# Expected PCNs and claim numbers come from payer-sim's records.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/denials-correct.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init denials-correct 24540
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"
export RCMQ_DENIALS_TEMPLATES_DIR="$ROOT/deploy/appeal-templates"

python3 "$ROOT/scripts/gen-837" --seed 37 --claims 30 --date 2026-11-01 --out claims.837 --expect claims.json
ACCEPTED="$(python3 -c 'import json; print(sum(1 for c in json.load(open("claims.json"))["claims"] if c["accepted"]))')"

start_deployment
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims "$ACCEPTED" && ok "$ACCEPTED claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit1.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/

"$ROOT/scripts/payer-sim" --seed 5 --out sim --expect sim.json --accept-rate 0.8 --missing-277-rate 0 \
    --mix denied=1 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done

wait_for 90 caught_up denials claims && ok "denials caught up with the claims stream" || fail "denials did not catch up"
ctl denials list --limit 1000 --json >list.json || fail "denials list"

# Two denied claims and one rejected, by the payer's own record, and their
# denials.
python3 - >picks.txt <<'PY'
import json
sim = json.load(open("sim.json"))["claims"]
denied = [c for c in sim if c["ack"] != "rejected" and c["status"] == "denied"]
rejected = [c for c in sim if c["ack"] == "rejected"]
assert len(denied) >= 2 and rejected, (len(denied), len(rejected))
by_pcn = {}
for d in json.load(open("list.json"))["denials"]:
    by_pcn.setdefault((d["pcn"], d["kind"]), d["id"])
assert len(denied) >= 4, len(denied)
for c, kind in ((denied[0], "denial"), (denied[1], "denial"), (rejected[0], "rejection"),
                (denied[2], "denial"), (denied[3], "denial")):
    print(by_pcn[(c["pcn"], kind)], c["pcn"], c.get("payer_claim_number") or "-")
PY
read -r FIX_ID FIX_PCN FIX_ICN < <(sed -n 1p picks.txt)
read -r VOID_ID VOID_PCN VOID_ICN < <(sed -n 2p picks.txt)
read -r REJ_ID _ _ < <(sed -n 3p picks.txt)
read -r APPEAL_ID APPEAL_PCN APPEAL_ICN < <(sed -n 4p picks.txt)
read -r APPEAL2_ID APPEAL2_PCN _ < <(sed -n 5p picks.txt)
[[ -n "$FIX_ID" && -n "$VOID_ID" && -n "$REJ_ID" ]] && ok "a denial for each picked claim" || fail "picks: $(cat picks.txt)"

rcmq_grant "$CTL" "$CONF" bea internal-biller internal >/dev/null || fail "grant bea"

expect 1 "correcting a new denial is refused" ctl --as bea denials correct "$FIX_ID"
grep -q "state new cannot move to corrected" "$WORK/err" && ok "the refusal names both states" \
    || fail "refusal: $(cat "$WORK/err")"

for id in "$FIX_ID" "$VOID_ID" "$REJ_ID" "$APPEAL_ID" "$APPEAL2_ID"; do
    ctl --as bea denials assign "$id" bea >/dev/null || fail "assign $id"
done

expect 0 "denials correct" ctl --as bea denials correct "$FIX_ID" --reason "modifier 25 added" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "corrected", d
h = [e for e in d["history"] if e["to"] == "corrected"]; assert h and h[-1]["actor"] == "bea", h' "$WORK/out" \
    && ok "the denial is corrected, by bea" || fail "correct: $(cat "$WORK/out")"
expect 0 "denials correct --void" ctl --as bea denials correct "$VOID_ID" --void --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "corrected", d' "$WORK/out" \
    && ok "the voided claim's denial is corrected" || fail "void: $(cat "$WORK/out")"

expect 1 "a rejected claim cannot be corrected" ctl --as bea denials correct "$REJ_ID"
grep -q "claims edit" "$WORK/err" && ok "claims' refusal (fix it with claims edit) is the reply" \
    || fail "rejection refusal: $(cat "$WORK/err")"
state="$(ctl denials show "$REJ_ID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
[[ "$state" == in_review ]] && ok "the refused denial stays in_review" || fail "refused denial is $state"

ctl claims show "$FIX_PCN" --json >claim.json || fail "claims show $FIX_PCN"
python3 - "$FIX_ID" <<'PY' && ok "the claim's history says bea asked for the denial" || fail "claim history: $(cat claim.json)"
import json, sys
claim = json.load(open("claim.json"))
assert claim["status"] == "corrected", claim["status"]
text = json.dumps(claim.get("history", []))
assert "asked by bea for " + sys.argv[1] in text, text
PY

ctl claims submit --json >submit2.json || fail "claims submit after the corrections"
python3 - "$OUTBOUND" "$FIX_PCN" "$FIX_ICN" "$VOID_PCN" "$VOID_ICN" <<'PY' \
    && ok "the next submit sends frequency 7 and 8 with the payer's claim numbers" || fail "the resubmitted claims"
import json, os, sys
outbound, fix, fix_icn, void, void_icn = sys.argv[1:]
want = {fix: ("7", fix_icn), void: ("8", void_icn)}
files = json.load(open("submit2.json"))["files"]
seen = {}
for name in files:
    text = open(os.path.join(outbound, name)).read()
    el, term, comp = text[3], text[105], text[104]
    pcn = None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "CLM":
            pcn = seg[1]
            seen[pcn] = {"freq": seg[5].split(comp)[2]}
        elif seg[0] == "REF" and seg[1] == "F8" and pcn:
            seen[pcn]["icn"] = seg[2]
assert set(seen) == set(want), (sorted(seen), sorted(want))
for pcn, (freq, icn) in want.items():
    assert seen[pcn]["freq"] == freq and seen[pcn].get("icn") == icn, (pcn, seen[pcn], freq, icn)
PY

# --- Appeals -----------------------------------------------------------------
expect 1 "an appeal needs a reason" ctl --as bea denials appeal "$APPEAL_ID"
expect 1 "a document id with a blank is refused" ctl --as bea denials appeal "$APPEAL_ID" --reason x --attach "op note"
grep -q "document 1 'op note' is not a document id" "$WORK/err" && ok "the refusal names the document" \
    || fail "bad document: $(cat "$WORK/err")"
expect 2 "an empty document id is refused" ctl --as bea denials appeal "$APPEAL_ID" --reason x --attach "DOC-1,,DOC-2"
grep -qF -- "--attach 'DOC-1,,DOC-2': an empty item in ID[,ID...]" "$WORK/err" && ok "the empty id: named" \
    || fail "empty id: $(cat "$WORK/err")"
expect 1 "a document attached twice is refused" ctl --as bea denials appeal "$APPEAL_ID" --reason x --attach DOC-1 --attach DOC-1
grep -q "document 'DOC-1' is attached twice" "$WORK/err" && ok "twice: named" || fail "twice: $(cat "$WORK/err")"
ctl denials show "$APPEAL_ID" --json >before-appeal.json || fail "denials show $APPEAL_ID"
python3 -c 'import json; d = json.load(open("before-appeal.json")); assert d["state"] != "appealed" and not d.get("documents") and not d.get("letter"), d' \
    && ok "refused appeals changed nothing" || fail "a refused appeal left a trace"
expect 0 "denials appeal" ctl --as bea denials appeal "$APPEAL_ID" --reason "the operative note shows the procedure was necessary" \
    --attach DOC-OPNOTE-1,dms:4711/2 --attach LAB-9
ctl denials show "$APPEAL_ID" --json >appeal.json || fail "denials show $APPEAL_ID"
python3 - "$APPEAL_PCN" "$APPEAL_ICN" "$OUTBOUND" <<'PY' && ok "the letter names the claim, its CARCs, the reason and the documents attached" || fail "the appeal letter"
import json, os, sys
pcn, icn, outbound = sys.argv[1:]
d = json.load(open("appeal.json"))
assert d["state"] == "appealed", d["state"]
path = d.get("letter", "")
assert path and os.path.isfile(path), path
assert os.path.realpath(path).startswith(os.path.realpath(outbound) + "/"), (path, outbound)
assert path.endswith(".txt"), path
text = open(path).read()
# What the payer denied, from payer-sim's own records.
sim = [c for c in json.load(open("sim.json"))["claims"] if c["pcn"] == pcn][0]
carcs = {(x["group"], x["carc"]) for x in sim["denials"]}
for line in sim["line_results"]:
    if line["paid_cents"] == 0:
        carcs |= {(a["group"], a["carc"]) for a in line["adjustments"] if a["group"] != "PR"}
assert carcs, sim
assert pcn in text and icn in text, text
assert any("%s-%s" % c in text for c in carcs), (carcs, text)
assert "the operative note shows the procedure was necessary" in text, text
assert "{{" not in text, text
# The documents sent with it: on the denial and under Enclosures, in order.
assert d["documents"] == ["DOC-OPNOTE-1", "dms:4711/2", "LAB-9"], d.get("documents")
assert "\nEnclosures:\n  - DOC-OPNOTE-1\n  - dms:4711/2\n  - LAB-9\n" in text, text
assert "3 documents attached" in d["history"][-1]["reason"], d["history"][-1]
PY
expect 1 "an unknown template is refused" ctl --as bea denials appeal "$APPEAL2_ID" --reason x --template no-such
grep -q "no template 'no-such'" "$WORK/err" && ok "the refusal names the template" || fail "template refusal: $(cat "$WORK/err")"
expect 0 "appeal with a shipped template" ctl --as bea denials appeal "$APPEAL2_ID" --reason "LCD criteria met" \
    --template medical-necessity --json
python3 - "$APPEAL2_PCN" "$WORK/out" <<'PY' && ok "the medical-necessity template fills its fields" || fail "template letter: $(cat "$WORK/out")"
import json, sys
pcn, out = sys.argv[1:]
d = json.load(open(out))
assert d["state"] == "appealed", d["state"]
text = open(d["letter"]).read()
assert "Appeal of a medical necessity denial" in text and pcn in text and "LCD criteria met" in text, text
assert "{{" not in text, text
PY
# Each appeal is its own event on the denials stream (denials.appealed), as
# audit, which keeps every event, has it.
wait_for 60 caught_up audit denials || fail "audit did not catch up with the denials stream"
ctl audit export --out export >/dev/null || fail "audit export"
python3 - "$APPEAL_ID" "$APPEAL2_ID" <<'PY' && ok "each appeal is a denials.appealed event" || fail "no denials.appealed events"
import json, sys
records = [json.loads(line) for line in open("export/records.jsonl")]
appealed = sorted(r["key"] for r in records if r.get("stream") == "denials" and r.get("type") == "appealed")
assert appealed == sorted(sys.argv[1:]), appealed
PY

# Stopped first, so a report the processes make as they exit (LSan) is in their logs.
stop_all
check_sanitizer
test_finish denials-correct
