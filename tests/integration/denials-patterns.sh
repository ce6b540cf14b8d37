#!/usr/bin/env bash
# Lessons back to intake, end to end with real processes (issue 17,
# docs/denials.md "Patterns"): scripts/gen-837 claims go through intake and
# `claims submit`; scripts/payer-sim denies them all (lines denied CO-50,
# CO-197, CO-97 ...); rcmqctl posts the 835s. rcmq-denials counts each
# preventable denial toward (payer, procedure, category) and, at
# denials/pattern-min (2 here) within 30 days, publishes denials.pattern:
#   - `denials patterns --json` lists exactly the patterns this script
#     computes from payer-sim's records and the 837P's SV1 procedures,
#     with their counts, dollars and trend;
#   - intake, consuming the denials stream, warns (DEN001) on every line of
#     a new claim to a pattern's payer with its procedure (the same claims
#     sent again: rejected as duplicates, their warnings in `intake
#     rejections`), naming the procedure and category;
#   - re-categorizing a counted denial moves its count: out of its pattern
#     (which ends below the threshold, at intake too: no more warnings) and
#     into the new category's when that is preventable;
#   - the duplicates intake rejects (DUP001) open no denial.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/denials-patterns.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init denials-patterns 24580
export RCMQ_NOW="2026-11-02T09:00:00Z"
export RCMQ_DENIALS_PATTERN_MIN=2
OUTBOUND="$RCMQ_VAR/data/outbound"

python3 "$ROOT/scripts/gen-837" --seed 41 --claims 120 --date 2026-11-01 --out claims.837 --expect claims.json
python3 "$ROOT/scripts/gen-837" --seed 41 --claims 120 --date 2026-11-01 --control 3000 --out again.837 --expect again.json
ACCEPTED="$(python3 -c 'import json; print(sum(1 for c in json.load(open("claims.json"))["claims"] if c["accepted"]))')"

start_deployment
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims "$ACCEPTED" && ok "$ACCEPTED claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/
"$ROOT/scripts/payer-sim" --seed 3 --out sim --expect sim.json --accept-rate 1 --missing-277-rate 0 \
    --mix denied=1 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done

wait_for 90 caught_up denials claims && ok "denials caught up with the claims stream" || fail "denials did not catch up"

# This script's expectation: each remit denial's lines, the procedure of
# each line from the 837P (its n-th SV1), the denial's category and
# preventable from its largest reason (as docs/denials.md files the CARCs
# payer-sim sends); claim-level denials whose remit lists no lines have no
# procedure and count toward nothing.
cat >expect.py <<'PY'
import collections, json
CATEGORY = {"16": "missing_information", "18": "duplicate", "22": "other", "27": "eligibility",
            "29": "timely_filing", "50": "medical_necessity", "96": "non_covered", "97": "coding",
            "197": "authorization", "204": "non_covered", "151": "medical_necessity"}
PREVENTABLE = {"missing_information", "duplicate", "eligibility", "timely_filing", "medical_necessity",
               "coding", "authorization", "provider"}
CONTRACTUAL = {("CO", "45"), ("CO", "253")}

def procedures(path):
    text = open(path).read()
    el, comp, term = text[3], text[104], text[105]
    out, pcn = {}, None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "CLM":
            pcn = seg[1]
            out[pcn] = []
        elif seg[0] == "SV1" and pcn:
            out[pcn].append(seg[1].split(comp)[1])
    return out

def expected(minimum, moved={}):
    """moved: PCN -> the category a person re-categorized its denial to."""
    procs = procedures("claims.837")
    counts = collections.defaultdict(lambda: [0, 0])
    for c in json.load(open("sim.json"))["claims"]:
        reasons = []            # (line, group, carc, cents)
        for line in c["line_results"]:
            if line["paid_cents"] == 0:
                reasons += [(line["lx"], a["group"], a["carc"], a["amount_cents"]) for a in line["adjustments"]
                            if a["group"] != "PR" and (a["group"], a["carc"]) not in CONTRACTUAL and a["amount_cents"]]
        if not reasons:
            continue
        primary = reasons[0]
        for r in reasons:
            if r[3] > primary[3]:
                primary = r
        category = CATEGORY[primary[2]]
        preventable = category in PREVENTABLE or primary[2] == "22"
        if c["pcn"] in moved:
            category = moved[c["pcn"]]
            preventable = category in PREVENTABLE
        if not preventable:
            continue
        per = collections.Counter()
        for line, group, carc, cents in reasons:
            per[procs[c["pcn"]][line - 1]] += cents
        for procedure, cents in per.items():
            key = (c["payer_id"], procedure, category)
            counts[key][0] += 1
            counts[key][1] += cents
    return {k: v for k, v in counts.items() if v[0] >= minimum}
PY

ctl denials patterns --json >patterns.json || fail "denials patterns"
python3 - <<'PY' && ok "denials patterns: the (payer, procedure, category) with 2+ preventable denials, counts and dollars as computed here" \
    || fail "denials patterns: $(head -c 800 patterns.json)"
import json, sys
sys.path.insert(0, ".")
from expect import expected
want = expected(2)
assert want, "no pattern in payer-sim's denials: pick another seed"
got = {(p["payer_id"], p["procedure_code"], p["category"]): p for p in json.load(open("patterns.json"))["patterns"]}
assert set(got) == set(want), (sorted(set(got) - set(want)), sorted(set(want) - set(got)))
for key, (count, cents) in want.items():
    p = got[key]
    assert p["count"] == count and p["cents"] == cents, (key, p, count, cents)
    assert p["window_days"] == 30 and p["trend"] == "rising" and p["carc"], p
print("   ", len(want), "patterns", file=sys.stderr)
PY
ctl denials patterns >patterns.txt || fail "denials patterns (table)"
head -3 patterns.txt | sed 's/^/    /'

wait_for 60 caught_up intake denials && ok "intake applied the denials stream" || fail "intake did not consume the denials stream"
ctl intake submit again.837 --json >batch2.json || fail "intake submit again.837"
ctl intake rejections --limit 1000 --json >rejections.json || fail "intake rejections"
python3 - <<'PY' && ok "intake warns DEN001 on every line of a new claim matching a pattern, and on no other" \
    || fail "intake's warnings"
import collections, json, sys
sys.path.insert(0, ".")
from expect import expected, procedures
want = expected(2)
patterns = collections.defaultdict(set)
for payer, procedure, category in want:
    patterns[(payer, procedure)].add(category)
gen = {c["pcn"]: c for c in json.load(open("claims.json"))["claims"]}
procs = procedures("again.837")
batch = json.load(open("batch2.json"))["batch_id"]
rows = [r for r in json.load(open("rejections.json")) if r["batch_id"] == batch]
assert rows, "the second file was not rejected as duplicates"
warned = 0
for r in rows:
    payer = gen[r["pcn"]]["payer_id"]
    expect = sum(len(patterns.get((payer, p), ())) for p in procs[r["pcn"]])
    got = [w for w in r.get("warnings", []) if w["rule_id"] == "DEN001"]
    assert len(got) == expect, (r["pcn"], expect, got)
    warned += expect
assert warned >= 1, "no claim matches a pattern"
print("    warned lines:", warned, file=sys.stderr)
PY

# --- A re-categorization moves the denial's count ------------------------------
# A denial counted in a pattern is re-categorized twice: to a category that
# is not preventable (it leaves the pattern; at the threshold the pattern
# ends, at intake too), then to another preventable one (it counts there).
read -r MOVED_PCN MOVED_ID FROM_CATEGORY < <(ctl denials list --limit 1000 --json | python3 -c '
import json, sys
sys.path.insert(0, ".")
from expect import expected, procedures
want = expected(2)
procs = procedures("claims.837")
payer = {c["pcn"]: c["payer_id"] for c in json.load(open("sim.json"))["claims"]}
denials = [d for d in json.load(sys.stdin)["denials"] if d["kind"] == "denial"]
# A pattern of exactly the threshold, so taking one out ends it.
for d in sorted(denials, key=lambda d: d["id"]):
    keys = [(d["payer_id"], p, d["category"]) for p in procs[d["pcn"]]]
    if any(want.get(k, (0,))[0] == 2 for k in keys):
        print(d["pcn"], d["id"], d["category"])
        break
')
[[ -n "${MOVED_ID:-}" ]] && ok "a denial of a pattern at the threshold: $MOVED_ID ($FROM_CATEGORY)" || fail "no denial to move"
TO_CATEGORY="$([[ "$FROM_CATEGORY" == coding ]] && echo eligibility || echo coding)"
rcmq_grant "$CTL" "$CONF" bea internal-biller internal >/dev/null || fail "grant bea"

check_patterns() {   # check_patterns MOVED_TO WHAT: the list is what expected() computes
    ctl denials patterns --json >patterns-now.json || return 1
    python3 - "$MOVED_PCN" "$1" <<'PY'
import json, sys
sys.path.insert(0, ".")
from expect import expected
want = expected(2, {sys.argv[1]: sys.argv[2]})
got = {(p["payer_id"], p["procedure_code"], p["category"]): p for p in json.load(open("patterns-now.json"))["patterns"]}
assert set(got) == set(want), (sorted(set(got) - set(want)), sorted(set(want) - set(got)))
for key, (count, cents) in want.items():
    assert got[key]["count"] == count and got[key]["cents"] == cents, (key, got[key], count, cents)
PY
}
expect 0 "categorize to contractual" ctl --as bea denials categorize "$MOVED_ID" contractual --reason "the contract allows it"
check_patterns contractual && ok "re-categorized not preventable: its count left the pattern, which ended below the threshold" \
    || fail "patterns after the move to contractual: $(head -c 800 patterns-now.json)"
expect 0 "categorize to $TO_CATEGORY" ctl --as bea denials categorize "$MOVED_ID" "$TO_CATEGORY" --reason "the code was wrong after all"
check_patterns "$TO_CATEGORY" && ok "re-categorized to $TO_CATEGORY: its count joined that category's patterns" \
    || fail "patterns after the move to $TO_CATEGORY: $(head -c 800 patterns-now.json)"

# intake follows: the pattern that ended warns no more; the new one warns.
wait_for 60 caught_up intake denials || fail "intake did not consume the re-categorizations"
python3 "$ROOT/scripts/gen-837" --seed 41 --claims 120 --date 2026-11-01 --control 4000 --out third.837 --expect third.json
ctl intake submit third.837 --json >batch3.json || fail "intake submit third.837"
ctl intake rejections --limit 1000 --json >rejections3.json || fail "intake rejections"
python3 - "$MOVED_PCN" "$TO_CATEGORY" <<'PY' && ok "intake's warnings follow the moved count (the ended pattern warns no more)" \
    || fail "intake's warnings after the re-categorization"
import collections, json, sys
sys.path.insert(0, ".")
from expect import expected, procedures
want = expected(2, {sys.argv[1]: sys.argv[2]})
patterns = collections.defaultdict(set)
for payer, procedure, category in want:
    patterns[(payer, procedure)].add(category)
gen = {c["pcn"]: c for c in json.load(open("claims.json"))["claims"]}
procs = procedures("third.837")
batch = json.load(open("batch3.json"))["batch_id"]
rows = [r for r in json.load(open("rejections3.json")) if r["batch_id"] == batch]
assert rows, "the third file was not rejected as duplicates"
for r in rows:
    payer = gen[r["pcn"]]["payer_id"]
    expect = sorted(c for p in procs[r["pcn"]] for c in patterns.get((payer, p), ()))
    got = sorted(w["message"] for w in r.get("warnings", []) if w["rule_id"] == "DEN001")
    assert len(got) == len(expect), (r["pcn"], expect, got)
    for category in expect:
        assert sum(category in m for m in got) >= expect.count(category), (r["pcn"], expect, got)
PY
# Duplicates are not rework (docs/denials.md "Rework"): the two copies opened no denial.
ctl denials list --limit 1000 --json >list-end.json || fail "denials list"
python3 -c '
import json
page = json.load(open("list-end.json"))
assert not [d for d in page["denials"] if d["kind"] == "intake_rejection"], "a duplicate opened a denial"
assert page["duplicate_rejections_total"] > 0, page["duplicate_rejections_total"]
' && ok "duplicate rejections (DUP001) opened no denial, counted" || fail "duplicates: $(head -c 300 list-end.json)"

# Stopped first, so a report the processes make as they exit (LSan) is in their logs.
stop_all
check_sanitizer
test_finish denials-patterns
