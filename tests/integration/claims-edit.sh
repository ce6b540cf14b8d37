#!/usr/bin/env bash
# Rejections come back (issue 17), with real processes: claims are
# submitted, scripts/payer-sim rejects about half of them on its 277CA and
# pays the rest, rcmqctl reads the 277CAs and 835s. A claim the payer
# rejected was never accepted: a frequency-7 replacement needs the payer's
# claim number (REF*F8), so `claims correct` left it stuck as corrected and
# `claims submit` skipped it for ever. Now `claims correct` refuses it,
# pointing at `claims edit`; `claims edit` fixes one line, then the member
# id, each with its history, and moves it back to ready; the next `claims
# submit` sends it as a new original (frequency 1, no REF*F8) with the
# edits in the 837P file. Expected figures come from gen-837's file and
# payer-sim's records; the claim's charge after the edit is computed here.
# Edits of a paid claim, of lines it does not have, and with codes or
# amounts that are not ones are refused naming what and why.
#
#
# The denials service's way in (docs/denials-claims-api.md): with its own
# key (role service) `claims correct` is refused (claims.work is staff's),
# and claims.RequestCorrection (rcmqctl --as denials claims
# request-correction) corrects one paid claim and voids another, the
# history naming who asked and for which denial; a payer-rejected claim is
# refused there too. The same submit sends them with frequency 7 / 8 and
# the payer's claim number from payer-sim's records.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/claims-edit.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-edit 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 33 --claims 20 --date 2026-11-01 --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims 20 && ok "20 claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit1.json || fail "first claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/

"$ROOT/scripts/payer-sim" --seed 5 --out sim --expect sim.json --accept-rate 0.5 --missing-277-rate 0 \
    --mix paid=1 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done

# The X12 of one claim of a file: its CLM, REF*F8, NM1*IL member id and SV1s.
cat >x12claims.py <<'PY'
import sys
def claims(path):
    text = open(path).read()
    el, comp, term = text[3], text[104], text[105]
    out, pcn, member = {}, None, None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "NM1" and seg[1] == "IL":
            member = seg[9] if len(seg) > 9 else ""
        elif seg[0] == "CLM":
            pcn = seg[1]
            out[pcn] = {"total": seg[2], "freq": seg[5].split(comp)[2], "member": member,
                        "f8": None, "lines": []}
        elif seg[0] == "REF" and seg[1] == "F8" and pcn:
            out[pcn]["f8"] = seg[2]
        elif seg[0] == "SV1" and pcn:
            out[pcn]["lines"].append({"proc": seg[1].split(comp), "charge": seg[2],
                                      "pointers": seg[7] if len(seg) > 7 else ""})
    return out
PY

python3 - >picks.txt <<'PY'
import json
claims = json.load(open("sim.json"))["claims"]
rejected = [c for c in claims if c["ack"] == "rejected"]
paid = [c for c in claims if c["status"] == "paid"]
assert rejected and len(paid) >= 3, (len(rejected), len(paid))
print(rejected[0]["pcn"], paid[0]["pcn"], paid[1]["pcn"], paid[1]["payer_claim_number"],
      paid[2]["pcn"], paid[2]["payer_claim_number"])
PY
read -r REJ PAID FIX FIX_ICN VOID VOID_ICN <picks.txt
status_of() { ctl claims show "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' || echo "?"; }
[[ "$(status_of "$REJ")" == rejected ]] && ok "$REJ is rejected by its payer" || fail "$REJ is $(status_of "$REJ"), not rejected"

# A replacement of a claim the payer never accepted is refused now, not
# left to be skipped at every submit.
expect 1 "claims correct of a payer-rejected claim is refused" ctl claims correct "$REJ" --reason "resend" --total 10
grep -q "claims edit" "$WORK/err" && grep -q "REF\*F8" "$WORK/err" \
    && ok "the refusal says why (REF*F8) and what to do (claims edit)" || fail "the refusal: $(cat "$WORK/err")"
[[ "$(status_of "$REJ")" == rejected ]] && ok "$REJ is still rejected" || fail "$REJ moved to $(status_of "$REJ")"

# Refusals, each naming what and why; none changes the claim.
expect 1 "claims edit of a paid claim" ctl claims edit "$PAID" --reason "x" --member-id M1234
grep -q "is paid" "$WORK/err" && ok "names the state (paid)" || fail "the paid refusal: $(cat "$WORK/err")"
expect 2 "--charge that is not an amount" ctl claims edit "$REJ" --reason x --line 1 --charge 12.345
expect 2 "--charge 0" ctl claims edit "$REJ" --reason x --line 1 --charge 0
expect 2 "--procedure without --line" ctl claims edit "$REJ" --reason x --procedure 99214
expect 2 "--line with nothing to change" ctl claims edit "$REJ" --reason x --line 1
expect 2 "--pointers 0" ctl claims edit "$REJ" --reason x --line 1 --pointers 0
expect 2 "no --reason" ctl claims edit "$REJ" --line 1 --procedure 99214
expect 1 "a procedure that is not a code" ctl claims edit "$REJ" --reason x --line 1 --procedure 9921
grep -q "procedure_code '9921'" "$WORK/err" && ok "names the field and value" || fail "bad procedure: $(cat "$WORK/err")"
expect 1 "a line the claim does not have" ctl claims edit "$REJ" --reason x --line 99 --procedure 99214
grep -q "no line 99" "$WORK/err" && ok "names the line" || fail "bad line: $(cat "$WORK/err")"
expect 1 "a pointer past the diagnoses" ctl claims edit "$REJ" --reason x --line 1 --pointers 12
grep -q "diagnosis pointer 12" "$WORK/err" && ok "names the pointer" || fail "bad pointer: $(cat "$WORK/err")"
ctl claims show "$REJ" --json >before.json
python3 -c 'import json,sys; r = json.load(open("before.json")); assert r["status"] == "rejected" and not r.get("edits"), r' \
    && ok "no refused edit changed the claim" || fail "a refused edit changed the claim"

expect 1 "request-correction of the payer-rejected claim (denials key)" ctl --as denials claims request-correction \
    "$REJ" --reason x --requested-by dana --reference D-0
grep -q "claims edit" "$WORK/err" && ok "refused, pointing at claims edit" || fail "rejected via service: $(cat "$WORK/err")"

# The fixes: line 1, then the member id (one line per call; two calls).
expect 0 "claims edit line 1" ctl claims edit "$REJ" --reason "payer rejected: wrong visit level" \
    --line 1 --procedure 99214 --modifiers 25 --charge 130.50
expect 0 "claims edit the member id" ctl claims edit "$REJ" --reason "member id from the new card" \
    --member-id W987654321
ctl claims show "$REJ" --json >edited.json
python3 - "$REJ" <<'PY' && ok "ready, with two edits: who, why, each field's old and new value (member id by name only)" \
    || fail "the edited claim: $(head -c 600 edited.json)"
import json, sys
r = json.load(open("edited.json"))
assert r["status"] == "ready", r["status"]
edits = r["edits"]
assert len(edits) == 2, edits
assert all(e["actor"] == "admin" for e in edits), edits
first = {c["field"]: c for c in edits[0]["changes"]}
assert first["lines[1].procedure_code"]["to"] == "99214", first
assert first["lines[1].modifiers"]["to"] == "25", first
assert first["lines[1].charge"]["to"] == "130.50", first
second = {c["field"]: c for c in edits[1]["changes"]}
assert "member_id" in second and not second["member_id"].get("from") and not second["member_id"].get("to"), second
assert "W987654321" not in json.dumps(edits)           # claims show gives admin the member id; the edits never
assert r["member_id"] == "W987654321", "the member id shown is not the edited one"
hist = r["history"][-1]
assert hist["from_status"] == "rejected" and hist["to_status"] == "ready" and "wrong visit level" in hist["reason"], hist
PY

# The denials service, with its own key: claims.work is not its.
expect 1 "claims correct with the denials key" ctl --as denials claims correct "$FIX" --reason x --total 99
grep -qi "permission" "$WORK/err" && ok "refused for want of permission" || fail "denials' correct: $(cat "$WORK/err")"
expect 1 "request-correction without --requested-by" ctl --as denials claims request-correction "$FIX" --reason x
grep -q "requested_by is required" "$WORK/err" && ok "claims says who must be named" || fail "no requested_by: $(cat "$WORK/err")"
expect 0 "request-correction (replacement) with the denials key" ctl --as denials claims request-correction "$FIX" \
    --reason "CO-16 missing modifier" --requested-by dana --reference D-17 --total 99.00
expect 0 "request-correction --void with the denials key" ctl --as denials claims request-correction "$VOID" \
    --reason "duplicate of another claim" --requested-by dana --reference D-18 --void
for pair in "$FIX corrected D-17" "$VOID voided D-18"; do
    read -r pcn want ref <<<"$pair"
    ctl claims show "$pcn" --json >"svc-$pcn.json"
    python3 - "$pcn" "$want" "$ref" <<'PY' && ok "$pcn is $want by denials, asked by dana for $ref" || fail "$pcn after request-correction: $(head -c 400 "svc-$pcn.json")"
import json, sys
pcn, want, ref = sys.argv[1:]
r = json.load(open("svc-%s.json" % pcn))
h = r["history"][-1]
assert r["status"] == want and h["to_status"] == want, (r["status"], h)
assert h["actor"] == "denials" and "(asked by dana for %s)" % ref in h["reason"], h
PY
done
ctl claims submit --json >submit2.json || fail "second claims submit: $(cat submit2.json)"
python3 - "$OUTBOUND" "$REJ" "$FIX" "$FIX_ICN" "$VOID" "$VOID_ICN" <<'PY' \
    && ok "the next 837P sends the edited claim as an original (frequency 1, no REF*F8) with both edits, the service's correction as 7 and void as 8 with the payer's claim numbers" \
    || fail "the resubmitted claims"
import json, os, sys
sys.path.insert(0, ".")
from x12claims import claims
outbound, pcn, fix, fix_icn, void, void_icn = sys.argv[1:]
reply = json.load(open("submit2.json"))
assert reply.get("claims") == 3 and not reply.get("skipped"), reply
original = claims("claims.837")[pcn]
sent = {}
for name in reply["files"]:
    sent.update(claims(os.path.join(outbound, name)))
assert set(sent) == {pcn, fix, void}, sorted(sent)
assert sent[fix]["freq"] == "7" and sent[fix]["f8"] == fix_icn and round(float(sent[fix]["total"]) * 100) == 9900, sent[fix]
assert sent[void]["freq"] == "8" and sent[void]["f8"] == void_icn, sent[void]
got = sent[pcn]
assert got["freq"] == "1" and got["f8"] is None, got
assert got["member"] == "W987654321", got["member"] == original["member"]
line1 = got["lines"][0]
assert line1["proc"][:3] == ["HC", "99214", "25"], line1
assert float(line1["charge"]) == 130.50, line1
assert [l["proc"][1] for l in got["lines"][1:]] == [l["proc"][1] for l in original["lines"][1:]]
# The total: the generator's lines, line 1 at the edited charge.
want = 13050 + sum(round(float(l["charge"]) * 100) for l in original["lines"][1:])
assert round(float(got["total"]) * 100) == want, (got["total"], want)
PY
[[ "$(status_of "$REJ")" == submitted ]] && ok "$REJ is submitted again" || fail "$REJ is $(status_of "$REJ")"
expect 1 "claims edit of a submitted claim" ctl claims edit "$REJ" --reason x --member-id M1234
grep -q "is submitted" "$WORK/err" && ok "names the state (submitted)" || fail "submitted refusal: $(cat "$WORK/err")"

test_finish claims-edit
