#!/usr/bin/env bash
# Intake's side of issue 17, with real processes.
#
# Lessons back to intake: a denials.pattern event (payer, procedure,
# category, count) reaches rcmq-intake through the broker, and every line
# of a new claim to that payer with that procedure gets a scrub WARNING
# (DEN001) -- on the claim (claims show) when it is accepted, in `intake
# rejections` when it is rejected for its own errors -- and no claim is
# rejected for it. The denials service's pattern detector is not built
# yet, so tests/integration/evpattern publishes the event as denials would
# (its key, its stream). The expected warnings are counted here from the
# 837P text: lines whose 2010BB payer and SV1 procedure match.
#
# Rejections resolved: a first file has claims rejected for a missing
# member id (gen-837 MBR001); a second, the same PCNs without the error,
# is accepted for those (and rejected as duplicates for the PCNs accepted
# the first time). Each first-file rejection whose PCN is accepted later
# shows resolved, with resolved_by the accepted claim's id; the duplicates
# are not resolved (nothing accepted after them).
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/intake-lessons.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init intake-lessons 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 7 --claims 30 --date 2026-11-01 --error-rate MBR001=0.4 \
    --out first.837 --expect first.json
python3 "$ROOT/scripts/gen-837" --seed 7 --claims 30 --date 2026-11-01 --control 2000 \
    --out second.837 --expect second.json

# The second file's claims as X12 says them: PCN -> payer id, SV1 procedures.
cat >x12lines.py <<'PY'
def claims(path):
    text = open(path).read()
    el, comp, term = text[3], text[104], text[105]
    out, payer, pcn = {}, None, None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "NM1" and seg[1] == "PR":
            payer = seg[9]
        elif seg[0] == "CLM":
            pcn = seg[1]
            out[pcn] = {"payer": payer, "procedures": []}
        elif seg[0] == "SV1" and pcn:
            out[pcn]["procedures"].append(seg[1].split(comp)[1])
    return out
PY

# The pattern: the (payer, procedure) of the second file that most claims
# carry, so both accepted and rejected claims have it.
python3 - >pattern.txt <<'PY'
import collections, json
from x12lines import claims
second = claims("second.837")
pairs = collections.Counter((c["payer"], p) for c in second.values() for p in set(c["procedures"]))
(payer, procedure), n = pairs.most_common(1)[0]
assert n >= 2, pairs
print(payer, procedure)
PY
read -r PAYER PROCEDURE <pattern.txt
EVPATTERN="$RCMQ_BUILD/tests/integration/evpattern"
expect 0 "a denials.pattern event for $PAYER / $PROCEDURE is published" \
    "$EVPATTERN" --config "$CONF" --payer "$PAYER" --procedure "$PROCEDURE" --category coding \
    --count 7 --cents 87500 --carc 50 --seq 1
# A pattern of the same payer for a procedure no claim has warns on nothing.
expect 0 "a second pattern (a procedure no claim carries)" \
    "$EVPATTERN" --config "$CONF" --payer "$PAYER" --procedure 0001U --category coding \
    --count 5 --cents 100 --seq 2
intake_consumed() {
    ctl status --json 2>/dev/null | python3 -c '
import json, sys
status = json.load(sys.stdin)
intake = [p for p in status["processes"] if p["name"] == "intake"][0]
sys.exit(0 if intake.get("consumed", {}).get("denials", 0) >= 2 else 1)'
}
wait_for 60 intake_consumed && ok "intake applied both denials.pattern events" || fail "intake did not consume the denials stream"

ctl intake submit first.837 --json >batch1.json || fail "intake submit first.837"
ctl intake submit second.837 --json >batch2.json || fail "intake submit second.837"
python3 - >expect.txt <<'PY'
import json
first = json.load(open("first.json"))["claims"]
second = json.load(open("second.json"))["claims"]
accepted_first = {c["pcn"] for c in first if c["accepted"]}
accepted_second = [c["pcn"] for c in second if c["accepted"] and c["pcn"] not in accepted_first]
print(len(accepted_first) + len(accepted_second))
PY
wait_claims "$(cat expect.txt)" && ok "$(cat expect.txt) claims accepted (the warnings reject none)" \
    || fail "claims did not reach $(cat expect.txt) (a warning must not reject a claim)"

ctl intake rejections --limit 1000 --json >rejections.json || fail "intake rejections"
python3 - "$PAYER" "$PROCEDURE" <<'PY' && ok "rejections: the first file's resolved by the later accepted claim (resolved_by), the duplicates not, each rejected claim of the second file with its DEN001 warnings" \
    || fail "intake rejections"
import json, sys
from x12lines import claims
payer, procedure = sys.argv[1], sys.argv[2]
first = json.load(open("first.json"))["claims"]
second = json.load(open("second.json"))["claims"]
batch1 = json.load(open("batch1.json"))["batch_id"]
batch2 = json.load(open("batch2.json"))["batch_id"]
lines = claims("second.837")
accepted_first = {c["pcn"] for c in first if c["accepted"]}
# claim ids are batch-n, n the claim's place in its file
second_id = {c["pcn"]: "%s-%05d" % (batch2, i + 1) for i, c in enumerate(second)}
rows = json.load(open("rejections.json"))
by_batch = {}
for r in rows:
    by_batch.setdefault(r["batch_id"], {})[r["pcn"]] = r
rejected_first = [c["pcn"] for c in first if not c["accepted"]]
assert rejected_first and set(by_batch[batch1]) == set(rejected_first), (sorted(by_batch.get(batch1, {})), rejected_first)
for pcn in rejected_first:
    r = by_batch[batch1][pcn]
    assert r["resolved"] is True and r["resolved_by"] == second_id[pcn], (pcn, r.get("resolved_by"), second_id[pcn])
    assert r["resolved_ms"], r
# The second file: its rejections are the duplicates of the first's accepted PCNs.
assert set(by_batch[batch2]) == accepted_first, (sorted(by_batch[batch2]), sorted(accepted_first))
warned = 0
for pcn, r in by_batch[batch2].items():
    assert r["resolved"] is False and not r["resolved_by"], r
    assert [e["rule"] for e in r["errors"]] == ["DUP001"], r["errors"]
    want = sum(1 for p in lines[pcn]["procedures"] if p == procedure) if lines[pcn]["payer"] == payer else 0
    got = [w for w in r.get("warnings", []) if w["rule_id"] == "DEN001"]
    assert len(got) == want, (pcn, want, got)
    for w in got:
        assert w["severity"] == "SEVERITY_WARNING" and procedure in w["message"] and "coding" in w["message"], w
    warned += want
print("rejected claims warned:", warned, file=sys.stderr)
PY

# The accepted claims of the second file: DEN001 on the claim, as many as
# their matching lines; none on the others.
python3 - >accepted2.txt <<'PY'
import json
first = {c["pcn"] for c in json.load(open("first.json"))["claims"] if c["accepted"]}
for c in json.load(open("second.json"))["claims"]:
    if c["pcn"] not in first:
        print(c["pcn"])
PY
mkdir shown
while read -r pcn; do ctl claims show "$pcn" --json >"shown/$pcn.json" || fail "claims show $pcn"; done <accepted2.txt
python3 - "$PAYER" "$PROCEDURE" <<'PY' && ok "each accepted claim carries its DEN001 warnings (claims show), the others none" \
    || fail "warnings on the accepted claims"
import glob, json, sys
from x12lines import claims
payer, procedure = sys.argv[1], sys.argv[2]
lines = claims("second.837")
shown = [json.load(open(path)) for path in sorted(glob.glob("shown/*.json"))]
assert len(shown) == len(open("accepted2.txt").read().split()), len(shown)
total = 0
for r in shown:
    want = sum(1 for p in lines[r["pcn"]]["procedures"] if p == procedure) if lines[r["pcn"]]["payer"] == payer else 0
    got = [w for w in r.get("scrub_warnings", []) if w["rule_id"] == "DEN001"]
    assert len(got) == want, (r["pcn"], want, got)
    total += want
assert total >= 1, "no accepted claim of the second file matches the pattern: pick another"
print("accepted claims warned:", total, file=sys.stderr)
PY

# ---------------------------------------------------------------------------
# A store of layout 1 (the previous build's): no rejections_by_pcn, no
# resolved_by in the rejections, stamped version 1. `scripts/run migrate`
# indexes and resolves them: intake rejections is then what it was.
ctl intake rejections --limit 1000 --json >rejections.before || fail "intake rejections before the stop"
stop_deployment
intake_store="$RCMQ_VAR/data/intake"
mdb_dump -a "$intake_store" >intake.dump
python3 - <<'PY' || fail "could not make the layout-1 dump"
def varint(b, i):
    n = shift = 0
    while True:
        n |= (b[i] & 0x7f) << shift; shift += 7; i += 1
        if not b[i - 1] & 0x80:
            return n, i
def without(b, drop):               # a message's bytes without fields drop
    out, i = bytearray(), 0
    while i < len(b):
        start = i
        tag, i = varint(b, i)
        kind = tag & 7
        if kind == 0: _, i = varint(b, i)
        elif kind == 2: n, i = varint(b, i); i += n
        elif kind == 1: i += 8
        elif kind == 5: i += 4
        if tag >> 3 not in drop:
            out += b[start:i]
    return bytes(out)
blocks, block = [], []
for line in open("intake.dump"):
    if line.startswith("db_pagesize="):
        continue
    block.append(line)
    if line.strip() == "DATA=END":
        blocks.append(block); block = []
out, resolved = [], 0
version_key = " " + b"version".hex() + "\n"
for b in blocks:
    if "database=rejections_by_pcn\n" in b:
        continue
    if "database=_store\n" in b:
        at = b.index(version_key)
        b[at + 1] = " %016x\n" % 1
    if "database=rejections\n" in b:
        body = b.index("HEADER=END\n") + 1
        for at in range(body + 1, len(b) - 1, 2):        # key, value, key, value ...
            old = bytes.fromhex(b[at].strip())
            new = without(old, {10, 11})
            resolved += new != old
            b[at] = " " + new.hex() + "\n"
    out += b
assert resolved, "no resolved rejection to take back"
open("intake-v1.dump", "w").writelines(out)
PY
mv "$intake_store" "$WORK/intake-v2" && mkdir "$intake_store"
mdb_load -f intake-v1.dump "$intake_store" && ok "intake's store at layout 1: no rejections_by_pcn, nothing resolved" \
    || fail "mdb_load of the layout-1 store"
expect 1 "scripts/run on a layout-1 intake store" "$ROOT/scripts/run" --empty
grep -q "schema version 1, older than this program's 2" "$RCMQ_VAR/log/intake.log" \
    && ok "intake refuses it, asking for a migration" || fail "intake's log: $(tail -n 3 "$RCMQ_VAR/log/intake.log")"
stop_deployment
expect 0 "scripts/run migrate" "$ROOT/scripts/run" migrate
grep -q '"msg":"store migrated".*"from_version":1,"to_version":2' "$RCMQ_VAR/log/intake.log" \
    && ok "intake's store migrated from 1 to 2" || fail "no migration in intake's log"
stop_deployment
start_deployment
rejections_after() { ctl intake rejections --limit 1000 --json >rejections.after 2>rejections.err; }
wait_for 60 rejections_after || fail "intake rejections after migrate: $(cat rejections.err)"
python3 - <<'PY' && ok "after migrate the same rejections, resolved by the same claims" || fail "after migrate"
import json
key = lambda r: (r["claim_id"], r["resolved"], r["resolved_by"])
before = sorted(map(key, json.load(open("rejections.before"))))
after = sorted(map(key, json.load(open("rejections.after"))))
assert before == after, [x for x in zip(before, after) if x[0] != x[1]][:5]
assert any(r[1] for r in after) and not all(r[1] for r in after), "want both resolved and open ones"
PY

test_finish intake-lessons
