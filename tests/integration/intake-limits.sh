#!/usr/bin/env bash
# Issue 12 items 3, 7 and 9, end to end with real processes: 837P files in
# which every element intake reads is at its 837P maximum length in one
# claim and one character over in another (one element per claim, each
# claim with its own HL hierarchy), plus a 2,000-character payer id and PCN,
# a claim of 10,000 service lines, an escape sequence in CLM01 and invalid
# UTF-8 in a name; a second file whose header elements are over, and a third
# whose GS06 and ST02 are 600 characters (refused whole, naming GS06).
#
# It checks that the file is not refused, that the clean and maximum-length
# claims are accepted and reach the claims service, that each over-length
# element is refused with a finding naming its field and element, that
# metrics applies everything (its offsets reach the intake and claims
# stream heads) and stays up, that rcmqctl prints no raw control byte, and
# in the sanitizer build that no process log has a sanitizer report.
#
# The expected findings are written in this script's generator (from the X12
# element dictionary), never read from rcmq.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=33000 bash tests/integration/intake-limits.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init intake-limits 27800
# Timely filing and the file dates are checked against this day.
export RCMQ_NOW="2026-01-10T12:00:00Z"
# A loaded machine (and the ASan build) is slow: generous, never a timing check.
DEADLINE_S=300

CTL_TIMEOUT_MS=120000
ok()   { echo "ok   $* [${SECONDS}s]"; }      # with the time: where a slow machine spends it

# ---------------------------------------------------------------------------
# The files and what each claim must come to (expect.json).

python3 - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]

def isa(control):
    return ("ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     "
            "*260110*1200*^*00501*%09d*0*P*:~" % control)

# Header elements: name -> value. Max-length values in file 1.
def header(v):
    return [
        "BHT*0019*00*%s*20260110*1200*CH~" % v["bht03"],
        "NM1*41*2*%s*****46*%s~" % (v["sub_name"], v["sub_id"]),
        "NM1*40*2*CLEARING HOUSE*****46*%s~" % v["rcv_id"],
    ]

# A clean claim, with fields at sensible lengths; cases change one.
BASE = dict(
    bprv="207Q00000X", bname="FAMILY CLINIC", bnpi="1234567893", ba1="100 MAIN ST", ba2="SUITE 2",
    bcity="SPRINGFIELD", bst="IL", bzip="62701", btax="123456789",
    sbr01="P", sbr02="18", sbr03="GRP100", sbr04="ACME GROUP", sbr09="CI",
    sl="DOE", sf="JOHN", sm="Q", ss="JR", mid="MEM0001", sa1="5 ELM ST", sa2="APT 9",
    sc="SPRINGFIELD", sst="IL", sz="62702", sdob="19800215", sg="M",
    pname="ACME HEALTH", pid="PAYER01",
    pat="19", pl="ROE", pf="JANE", pm="A", ps="III", pa1="7 OAK ST", pa2="APT 3",
    pc="SHELBYVILLE", pst="IN", pz="46176", pdob="20100101", pg="F",
    pcn="PCN", chg="175.50", pos="11", fq="B", freq="1", dtpq="431", dtp="20251201",
    auth="AUTH77", orig="ORIGINAL9", dx="E119",
    rl="SMITH", rf="ANNA", rnpi="1245319599", rprv="207R00000X",
    fname="CLINIC ANNEX", fnpi="1528088480", fa1="200 BIRCH AVE", fa2="FLOOR 2",
    fc="CAPITAL CITY", fst="OH", fz="43004",
    lx="1", svq="HC", code="99214", mod="25", lchg="175.50", ut="UN", units="1", lpos="11",
    dos="20251220", lic="LINE-A", lines=1,
)

def claim(hl, v):
    s = [
        "HL*%d**20*1~" % hl,
        "PRV*BI*PXC*%s~" % v["bprv"],
        "NM1*85*2*%s*****XX*%s~" % (v["bname"], v["bnpi"]),
        "N3*%s*%s~" % (v["ba1"], v["ba2"]),
        "N4*%s*%s*%s~" % (v["bcity"], v["bst"], v["bzip"]),
        "REF*EI*%s~" % v["btax"],
        "HL*%d*%d*22*1~" % (hl + 1, hl),
        "SBR*%s*%s*%s*%s*****%s~" % (v["sbr01"], v["sbr02"], v["sbr03"], v["sbr04"], v["sbr09"]),
        "NM1*IL*1*%s*%s*%s**%s*MI*%s~" % (v["sl"], v["sf"], v["sm"], v["ss"], v["mid"]),
        "N3*%s*%s~" % (v["sa1"], v["sa2"]),
        "N4*%s*%s*%s~" % (v["sc"], v["sst"], v["sz"]),
        "DMG*D8*%s*%s~" % (v["sdob"], v["sg"]),
        "NM1*PR*2*%s*****PI*%s~" % (v["pname"], v["pid"]),
        "HL*%d*%d*23*0~" % (hl + 2, hl + 1),
        "PAT*%s~" % v["pat"],
        "NM1*QC*1*%s*%s*%s**%s~" % (v["pl"], v["pf"], v["pm"], v["ps"]),
        "N3*%s*%s~" % (v["pa1"], v["pa2"]),
        "N4*%s*%s*%s~" % (v["pc"], v["pst"], v["pz"]),
        "DMG*D8*%s*%s~" % (v["pdob"], v["pg"]),
        "CLM*%s*%s***%s:%s:%s*Y*A*Y*Y~" % (v["pcn"], v["chg"], v["pos"], v["fq"], v["freq"]),
        "DTP*%s*D8*%s~" % (v["dtpq"], v["dtp"]),
        "REF*G1*%s~" % v["auth"],
        "REF*F8*%s~" % v["orig"],
        "HI*ABK:%s*ABF:I10~" % v["dx"],
        "NM1*82*1*%s*%s****XX*%s~" % (v["rl"], v["rf"], v["rnpi"]),
        "PRV*PE*PXC*%s~" % v["rprv"],
        "NM1*77*2*%s*****XX*%s~" % (v["fname"], v["fnpi"]),
        "N3*%s*%s~" % (v["fa1"], v["fa2"]),
        "N4*%s*%s*%s~" % (v["fc"], v["fst"], v["fz"]),
    ]
    for n in range(v["lines"]):
        lx = v["lx"] if v["lines"] == 1 else str(n + 1)
        s += [
            "LX*%s~" % lx,
            "SV1*%s:%s:%s*%s*%s*%s*%s**1:2~" % (v["svq"], v["code"], v["mod"], v["lchg"], v["ut"], v["units"], v["lpos"]),
            "DTP*472*D8*%s~" % v["dos"],
            "REF*6R*%s~" % v["lic"],
        ]
    return s

def envelope(control, head, body, st03="005010X222A1", gs06=None, st02="0001"):
    gs06 = gs06 or str(control)
    st = ["ST*837*%s*%s~" % (st02, st03)] + head + body
    se = "SE*%d*%s~" % (len(st) + 1, st02)
    return "".join([isa(control), "GS*HC*SUBMITTER01*RECEIVER01*20260110*1200*%s*X*005010X222A1~" % gs06]
                   + st + [se, "GE*1*%s~" % gs06, "IEA*1*%09d~" % control])

def fill(c, n):
    return c * n

# (key, field, element, max, fill): one element intake keeps per case.
CASES = [
    ("bprv", "billing_provider.taxonomy", "2000A PRV03", 50, "T"),
    ("bname", "billing_provider.name", "2010AA NM103", 60, "F"),
    ("ba1", "billing_provider.address.line1", "2010AA N301", 55, "M"),
    ("ba2", "billing_provider.address.line2", "2010AA N302", 55, "S"),
    ("bcity", "billing_provider.address.city", "2010AA N401", 30, "C"),
    ("bst", "billing_provider.address.state", "2010AA N402", 2, "I"),
    ("bzip", "billing_provider.address.postal_code", "2010AA N403", 15, "6"),
    ("btax", "billing_provider.tax_id", "2010AA REF02", 50, "9"),
    ("sbr01", "subscriber.payer_responsibility", "2000B SBR01", 1, "P"),
    ("sbr02", "subscriber.relationship", "2000B SBR02", 2, "1"),
    ("sbr03", "subscriber.group_number", "2000B SBR03", 50, "G"),
    ("sbr04", "subscriber.group_name", "2000B SBR04", 60, "N"),
    ("sbr09", "subscriber.claim_filing_indicator", "2000B SBR09", 2, "C"),
    ("sl", "subscriber.last_name", "2010BA NM103", 60, "D"),
    ("sf", "subscriber.first_name", "2010BA NM104", 35, "J"),
    ("sm", "subscriber.middle_name", "2010BA NM105", 25, "Q"),
    ("ss", "subscriber.suffix", "2010BA NM107", 10, "R"),
    ("mid", "subscriber.member_id", "2010BA NM109", 80, "M"),
    ("sa1", "subscriber.address.line1", "2010BA N301", 55, "E"),
    ("sa2", "subscriber.address.line2", "2010BA N302", 55, "E"),
    ("sc", "subscriber.address.city", "2010BA N401", 30, "C"),
    ("sst", "subscriber.address.state", "2010BA N402", 2, "I"),
    ("sz", "subscriber.address.postal_code", "2010BA N403", 15, "6"),
    ("sdob", "subscriber.birth_date", "2010BA DMG02", 35, "1"),
    ("sg", "subscriber.gender", "2010BA DMG03", 1, "M"),
    ("pname", "payer.name", "2010BB NM103", 60, "H"),
    ("pid", "payer.payer_id", "2010BB NM109", 80, "P"),
    ("pat", "patient.relationship", "2000C PAT01", 2, "1"),
    ("pl", "patient.last_name", "2010CA NM103", 60, "R"),
    ("pf", "patient.first_name", "2010CA NM104", 35, "J"),
    ("pm", "patient.middle_name", "2010CA NM105", 25, "A"),
    ("ps", "patient.suffix", "2010CA NM107", 10, "I"),
    ("pa1", "patient.address.line1", "2010CA N301", 55, "O"),
    ("pa2", "patient.address.line2", "2010CA N302", 55, "O"),
    ("pc", "patient.address.city", "2010CA N401", 30, "S"),
    ("pst", "patient.address.state", "2010CA N402", 2, "I"),
    ("pz", "patient.address.postal_code", "2010CA N403", 15, "4"),
    ("pdob", "patient.birth_date", "2010CA DMG02", 35, "2"),
    ("pg", "patient.gender", "2010CA DMG03", 1, "F"),
    ("pcn", "patient_control_number", "2300 CLM01", 38, "P"),
    ("chg", "total_charge_cents", "2300 CLM02", 18, "0"),
    ("pos", "place_of_service", "2300 CLM05-1", 2, "1"),
    ("fq", "facility_code_qualifier", "2300 CLM05-2", 2, "B"),
    ("freq", "frequency_code", "2300 CLM05-3", 1, "1"),
    ("dtpq", "dates[1].qualifier", "2300 DTP01", 3, "4"),
    ("dtp", "dates", "2300 DTP03", 35, "2"),
    ("auth", "prior_authorization", "2300 REF02 (REF*G1)", 50, "A"),
    ("orig", "payer_claim_number", "2300 REF02 (REF*F8)", 50, "O"),
    ("dx", "diagnoses[1].code", "2300 HI0n-2", 30, "E"),
    ("rl", "rendering_provider.name", "2310B NM103", 60, "S"),
    ("rf", "rendering_provider.first_name", "2310B NM104", 35, "A"),
    ("rnpi", "rendering_provider.npi", "2310B NM109 (NPI)", 10, "1"),
    ("rprv", "rendering_provider.taxonomy", "2310B PRV03", 50, "T"),
    ("fname", "service_facility.name", "2310C NM103", 60, "C"),
    ("fnpi", "service_facility.npi", "2310C NM109 (NPI)", 10, "1"),
    ("fa1", "service_facility.address.line1", "2310C N301", 55, "B"),
    ("fa2", "service_facility.address.line2", "2310C N302", 55, "F"),
    ("fc", "service_facility.address.city", "2310C N401", 30, "C"),
    ("fst", "service_facility.address.state", "2310C N402", 2, "O"),
    ("fz", "service_facility.address.postal_code", "2310C N403", 15, "4"),
    ("lx", "lines[1].line_number", "2400 LX01", 6, "1"),
    ("svq", "lines[1].procedure_qualifier", "2400 SV101-1", 2, "H"),
    ("code", "lines[1].procedure_code", "2400 SV101-2", 48, "9"),
    ("mod", "lines[1].modifiers[1]", "2400 SV101-3..6", 2, "2"),
    ("lchg", "lines[1].charge_cents", "2400 SV102", 18, "0"),
    ("ut", "lines[1].unit_type", "2400 SV103", 2, "U"),
    ("units", "lines[1].units", "2400 SV104", 15, "1"),
    ("lpos", "lines[1].place_of_service", "2400 SV105", 2, "1"),
    ("dos", "lines[1].service_date_from", "2400 DTP03 (DTP*472)", 35, "2"),
    ("lic", "lines[1].line_item_control_number", "2400 REF02 (REF*6R)", 50, "L"),
]

# The claim every element of which that can be is at its maximum, and
# still passes every rule (codes, NPIs and dates stay valid): accepted.
MAX = dict(BASE)
for key, field, element, mx, c in CASES:
    if key in ("bprv", "bname", "ba1", "ba2", "bcity", "bzip", "btax", "sbr03", "sbr04",
               "sl", "sf", "sm", "ss", "mid", "sa1", "sa2", "sc", "sz", "pname", "pid",
               "pl", "pf", "pm", "ps", "pa1", "pa2", "pc", "pz", "auth", "orig",
               "rl", "rf", "rprv", "fname", "fa1", "fa2", "fc", "fz", "lic"):
        MAX[key] = fill(c, mx)
MAX["pcn"] = "MAX" + fill("X", 35)
MAX["chg"] = "000000000000175.50"
MAX["lchg"] = "000000000000175.50"
MAX["units"] = "000000000000001"
MAX["lx"] = "000001"

claims, expect, hl = [], [], 1
def add(values, outcome, findings=(), pcn=None):
    global hl
    claims.extend(claim(hl, values))
    hl += 3
    expect.append({"pcn": pcn or values["pcn"], "outcome": outcome,
                   "findings": [list(f) for f in findings]})

add(dict(BASE, pcn="CLEAN-1"), "accepted")
add(MAX, "accepted")
for i, (key, field, element, mx, c) in enumerate(CASES):
    v = dict(BASE, pcn="OVER-%02d" % i)
    v[key] = fill(c, mx + 1)
    pcn = None
    if key == "pcn":
        pcn = v["pcn"]
    add(v, "rejected", [("LEN001", field, "%s is %d characters, at most %d" % (element, mx + 1, mx))], pcn)
# The reports of issue 12.
add(dict(BASE, pcn="HUGE-PAYER", pid=fill("P", 2000)), "rejected",
    [("LEN001", "payer.payer_id", "2010BB NM109 is 2000 characters, at most 80")])
add(dict(BASE, pcn=fill("N", 2000)), "rejected",
    [("LEN001", "patient_control_number", "2300 CLM01 is 2000 characters, at most 38")])
add(dict(BASE, pcn="HUGE-NPI", fnpi=fill("1", 600)), "rejected",
    [("LEN001", "service_facility.npi", "2310C NM109 (NPI) is 600 characters, at most 10")])
add(dict(BASE, pcn="LINES-10000", lines=10000, chg="1755000"), "rejected",
    [("REP001", "lines", "10000 lines")])
add(dict(BASE, pcn="ESC\x1b[2J"), "rejected",
    [("CHR001", "patient_control_number", "2300 CLM01 holds a control character (byte 0x1B at offset 3)")])
add(dict(BASE, pcn="BAD-UTF8", sl="DO\xffE"), "rejected",
    [("CHR001", "subscriber.last_name", "2010BA NM103 is not valid UTF-8 (byte 0xFF at offset 2)")])
add(dict(BASE, pcn="CLEAN-2"), "accepted")

head = header(dict(bht03=fill("B", 50), sub_name=fill("A", 60), sub_id=fill("S", 80), rcv_id=fill("R", 80)))
text = envelope(1, head, claims)
open(work + "/limits.837", "wb").write(text.encode("latin-1"))

# File 2: the header's elements one over; both its claims carry them.
head2 = header(dict(bht03=fill("B", 51), sub_name=fill("A", 61), sub_id=fill("S", 81), rcv_id=fill("R", 81)))
hl = 1
claims2 = claim(1, dict(BASE, pcn="HEAD-1")) + claim(4, dict(BASE, pcn="HEAD-2"))
head_findings = [("LEN001", "bht_reference", "BHT03 is 51 characters, at most 50"),
                 ("LEN001", "submitter.name", "1000A NM103 is 61 characters, at most 60"),
                 ("LEN001", "submitter.id", "1000A NM109 is 81 characters, at most 80"),
                 ("LEN001", "receiver.id", "1000B NM109 is 81 characters, at most 80"),
                 ("LEN001", "implementation", "ST03 is 36 characters, at most 35")]
text2 = envelope(2, head2, claims2, st03="005010X222A1" + "0" * 24)
open(work + "/header.837", "wb").write(text2.encode("latin-1"))
expect2 = [{"pcn": p, "outcome": "rejected", "findings": [list(f) for f in head_findings]}
           for p in ("HEAD-1", "HEAD-2")]
# File 3: GS06 and ST02 of 600 characters: the X12 reader refuses the
# file whole (control numbers are envelope structure), naming GS06.
head3 = header(dict(bht03="BATCH3", sub_name="ACME BILLING", sub_id="SUB123", rcv_id="RCV456"))
text3 = envelope(3, head3, claim(1, dict(BASE, pcn="CTRL-1")), gs06=fill("7", 600), st02=fill("8", 600))
open(work + "/control.837", "wb").write(text3.encode("latin-1"))
json.dump({"limits.837": expect, "header.837": expect2}, open(work + "/expect.json", "w"))
EOF
ok "generated limits.837 ($(wc -c <"$WORK/limits.837") bytes), header.837 and control.837"

# ---------------------------------------------------------------------------
# A deployment, the two files, and what came of them.

"$ROOT/scripts/run" --empty >"$WORK/run.out" 2>&1 && ok "scripts/run --empty" || { fail "scripts/run --empty"; tail -n 30 "$WORK/run.out"; exit 1; }

if ctl --json intake submit "$WORK/control.837" >"$WORK/control.batch.json" 2>"$WORK/err"; then
    fail "intake submit control.837: not refused"
else
    python3 - "$WORK/control.batch.json" <<'EOF' && ok "control.837 refused whole: GS06 control number too long" || fail "control.837 not refused as expected"
import json, sys
batch = json.load(open(sys.argv[1]))
assert batch["status"] == "refused" and "GS06 control number too long" in batch["error"], batch
EOF
fi

for file in limits.837 header.837; do
    if ctl --json intake submit "$WORK/$file" >"$WORK/$file.batch.json" 2>"$WORK/err"; then
        ok "intake submit $file: not refused"
    else
        fail "intake submit $file"; tail -n 20 "$WORK/err" "$WORK/$file.batch.json"
    fi
    batch="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch_id"])' "$WORK/$file.batch.json" 2>/dev/null || true)"
    ctl --json intake rejections --batch "$batch" --limit 1000 >"$WORK/$file.rejections.json" 2>"$WORK/err" \
        || { fail "intake rejections --batch $batch"; cat "$WORK/err"; }
done

python3 - "$WORK" <<'EOF' && ok "every claim came out as expected" || fail "claims did not come out as expected"
import json, sys
work = sys.argv[1]
expect = json.load(open(work + "/expect.json"))
bad = 0
for name, claims in expect.items():
    batch = json.load(open("%s/%s.batch.json" % (work, name)))
    rejections = json.load(open("%s/%s.rejections.json" % (work, name)))
    accepted = sum(1 for c in claims if c["outcome"] == "accepted")
    if batch["claims"] != len(claims) or batch["accepted"] != accepted or batch["rejected"] != len(claims) - accepted:
        print("    %s: batch says %d claims, %d accepted, %d rejected; expected %d, %d, %d" % (
            name, batch["claims"], batch["accepted"], batch["rejected"], len(claims), accepted, len(claims) - accepted))
        bad += 1
    # Rejections carry the claim's index in the file in their claim id.
    by_index = {int(r["claim_id"].rsplit("-", 1)[1]): r for r in rejections}
    for index, claim in enumerate(claims, 1):
        r = by_index.get(index)
        if claim["outcome"] == "accepted":
            if r:
                print("    %s claim %d (%s) rejected: %s" % (name, index, claim["pcn"][:40], r["errors"]))
                bad += 1
            continue
        if not r:
            print("    %s claim %d (%s) was not rejected" % (name, index, claim["pcn"][:40]))
            bad += 1
            continue
        for rule, field, text in claim["findings"]:
            if not any(e["rule_id"] == rule and e["field"] == field and text in e["message"] for e in r["errors"]):
                print("    %s claim %d: no %s on %s saying '%s'; got %s" % (
                    name, index, rule, field, text, [(e["rule_id"], e["field"], e["message"]) for e in r["errors"]]))
                bad += 1
        for e in r["errors"]:
            if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in e["message"]):
                print("    %s claim %d: raw control character in '%r'" % (name, index, e["message"]))
                bad += 1
sys.exit(1 if bad else 0)
EOF

# Metrics applies every event: its offsets reach the stream heads, and the
# claims service has the accepted claims (so the claims stream has events).
deadline=$((SECONDS + DEADLINE_S))
caught_up=0
while ((SECONDS < deadline)); do
    ctl status --json >"$WORK/status.json" 2>/dev/null || true
    if python3 - "$WORK/status.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
heads = {s["stream"]: s["head_seq"] for s in doc["broker"]["streams"]}
metrics = next(p for p in doc["processes"] if p["name"] == "metrics")
consumed = metrics.get("consumed") or {}
need = [s for s in ("intake", "claims") if heads.get(s, 0) == 0 or consumed.get(s, 0) < heads[s]]
sys.exit(1 if need else 0)
EOF
    then caught_up=1; break; fi
    sleep 1
done
((caught_up)) && ok "metrics consumed the intake and claims streams to their heads" \
    || { fail "metrics did not reach the stream heads in ${DEADLINE_S}s"; cat "$WORK/status.json"; }

ctl status --json >"$WORK/status.json" 2>/dev/null || true
python3 - "$WORK/status.json" <<'EOF' && ok "all eight processes still up" || fail "a process is down"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["up"] == 8, [(p["name"], p.get("error")) for p in doc["processes"]]
EOF

# The accepted claims reached the claims service, the maximum-length PCN
# whole. rcmqctl prints no raw control byte in any format.
ctl --json claims list --limit 1000 >"$WORK/claims.json" 2>"$WORK/err" || { fail "claims list --json"; cat "$WORK/err"; }
python3 - "$WORK/claims.json" <<'EOF' && ok "claims has CLEAN-1, CLEAN-2 and the 38-character PCN" || fail "claims list lacks an accepted claim"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc if isinstance(doc, list) else doc.get("claims", [])
pcns = {r["pcn"] for r in rows}
want = {"CLEAN-1", "CLEAN-2", "MAX" + "X" * 35}
assert want <= pcns, (want - pcns, sorted(pcns)[:10])
EOF
for format in "" "--csv"; do
    # shellcheck disable=SC2086
    ctl $format intake rejections --limit 1000 >"$WORK/table.out" 2>"$WORK/err" || fail "intake rejections $format"
    if LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' "$WORK/table.out"; then
        fail "intake rejections ${format:-(table)} printed a raw control byte"
    else
        ok "intake rejections ${format:-(table)}: no raw control byte"
    fi
done
grep -q 'ESC\\x1B\[2J' "$WORK/table.out" && ok "the escape sequence of CLM01 shows as ESC\\x1B[2J" \
    || fail "the CLM01 escape sequence is not shown escaped"

# A sanitizer report in any process's log is a failure even if it kept running.
check_sanitizer
echo
test_finish intake-limits
