#!/usr/bin/env bash
# The JSON of every `rcmqctl --json` command keeps its fields: with real
# processes, each command is run on real data (generated claims submitted,
# acknowledged and posted from scripts/payer-sim's files, followed up,
# corrected and voided) and the shape of what it prints -- every key path,
# array elements merged, with the JSON type found there -- is compared with
# tests/integration/cli-json.shapes, which was written from the CLI before
# its JSON was rebuilt on pbjson views (issue 13 item 6). A field renamed,
# dropped, moved or turned from a number into a string fails here, naming
# the command and the path. Also: metrics tables print money in dollars
# under headers that do not say cents.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/cli-json.sh
# UPDATE=1 rewrites the shapes file from this build instead of checking
# (only for a change that means to change the JSON: say so in the commit).

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init cli-json 28100
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"
SHAPES="$ROOT/tests/integration/cli-json.shapes"

field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$@"; }

# shape NAME CMD...: runs `rcmqctl CMD --json` and appends its shape, one
# "NAME<TAB>path<TAB>types" line a path, to shapes.txt. Exit status 1 is
# accepted only for status (a process may report a problem), never a
# missing output.
mkdir shapes
shape() {
    local name="$1" rc=0; shift
    ctl "$@" --json >"shapes/$name.json" 2>"shapes/$name.err" || rc=$?
    if ((rc != 0)) && ! [[ "$name" == status* && rc -eq 1 ]]; then
        fail "$name: rcmqctl $* --json exited $rc: $(head -c 300 "shapes/$name.err")"
        return
    fi
    python3 - "$name" "shapes/$name.json" >>shapes.txt <<'PY' || fail "$name: output is not JSON"
import json, sys
name, path = sys.argv[1], sys.argv[2]
found = {}
def kind(v):
    if v is None: return "null"
    if isinstance(v, bool): return "bool"
    if isinstance(v, int): return "int"
    if isinstance(v, float): return "real"
    if isinstance(v, str): return "string"
    if isinstance(v, list): return "array"
    return "object"
def walk(v, at):
    found.setdefault(at, set()).add(kind(v))
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, at + "." + k)
    elif isinstance(v, list):
        for x in v:
            walk(x, at + "[]")
walk(json.load(open(path)), "$")
for at in sorted(found):
    print("%s\t%s\t%s" % (name, at, "|".join(sorted(found[at]))))
PY
}

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 31 --claims 40 --date 2026-10-20 --error-rate NPI001=0.1 --out claims.837 --expect claims.json

shape keys-list keys list
shape keys-add keys add jsontest --role internal-biller
# A key file opens nothing: jsontest (the follow-up's assignee below) is
# granted through the access registry, admin asking and admin2 approving.
rcmq_grant "$CTL" "$CONF" jsontest internal-biller internal || fail "granting jsontest"
shape queue-create queue create q-json --payer-groups medicare --owner-team internal --follow-up-days 20
shape queue-phase queue phase q-json internal
shape queue-show queue show q-json
shape queue-list queue list
# The responsibility grid and contacts (issue 15): admin and jsontest are users.
shape queue-grid-set queue grid set q-json default --lead admin --escalate ,jsontest --sla standard
shape queue-grid queue grid q-json
shape queue-contacts-set queue contacts q-json --set urgent --side internal --name admin
shape queue-contacts queue contacts q-json
shape intake-submit intake submit claims.837
batch="$(field batch_id <shapes/intake-submit.json)"
shape intake-batch intake batch "$batch"
shape intake-rejections intake rejections
for _ in $(seq 1 120); do
    n="$(ctl claims list --limit 1000 --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)"
    (( n > 0 )) && [[ "$n" == "$(python3 -c 'import json; e=json.load(open("claims.json")); c=e["claims"] if isinstance(e,dict) else e; print(sum(1 for x in c if x["accepted"]))')" ]] && break
    sleep 0.5
done

shape claims-submit claims submit
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/
"$ROOT/scripts/payer-sim" --seed 7 --out sim --expect sim.json --accept-rate 0.9 --missing-277-rate 0 \
    --mix paid=0.5,partial=0.2,denied=0.3 --waves 1 --plb --unknown-claims 2 round1 >/dev/null || fail "payer-sim"
first=1
for file in sim/277CA-*.x12; do
    if ((first)); then shape claims-ack claims ack "$file"; first=0; else ctl claims ack "$file" >/dev/null || fail "ack $file"; fi
done
first=1
for file in sim/835-*.x12; do
    if ((first)); then shape claims-post claims post "$file"; first=0; else ctl claims post "$file" >/dev/null || fail "post $file"; fi
done
shape claims-list claims list
pcn="$(field 0 pcn <shapes/claims-list.json)"
shape claims-show claims show "$pcn"
shape claims-followup claims followup "$pcn" --assign jsontest --next 2026-11-01 --note "called the payer"
shape claims-due claims due
shape work-list work list
work_id="$(ctl work list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"
shape work-show work show "$work_id"
shape work-note work note "$work_id" "shape check"
shape work-request-doc work request-doc --claim "$pcn" --what "operative note for the date of service"
shape claims-exceptions claims exceptions
shape claims-credits claims credits
# The denials the remits opened (rcmq-denials applies them from the stream).
denials_opened() { [[ "$(ctl denials list --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["denials"]))')" != 0 ]]; }
wait_for 60 denials_opened || fail "no denial opened"
shape denials-list denials list
denial_id="$(field denials 0 id <shapes/denials-list.json)"
shape denials-show denials show "$denial_id"
shape denials-assign denials assign "$denial_id" jsontest
shape denials-policies denials policies
shape denials-patterns denials patterns
# A paid claim by the payer's record: corrected; a denied one: voided.
read -r paid denied < <(python3 -c '
import json; c = json.load(open("sim.json"))["claims"]
print([x["pcn"] for x in c if x["status"] == "paid"][0], [x["pcn"] for x in c if x["status"] == "denied"][0])')
shape claims-correct claims correct "$paid" --total 99.50 --reason "charge was wrong"
shape claims-void claims void "$denied" --reason "billed in error"
# A remit's denial of another claim, reviewed, then corrected through claims.
rework="$(ctl denials list --limit 1000 --json | python3 -c '
import json,sys; skip = set(sys.argv[1:])
print([d["id"] for d in json.load(sys.stdin)["denials"] if d["kind"] == "denial" and d["pcn"] not in skip][0])' "$paid" "$denied")"
ctl denials assign "$rework" jsontest >/dev/null || fail "assign $rework"
shape denials-correct denials correct "$rework"
appeal="$(ctl denials list --limit 1000 --json | python3 -c '
import json,sys; skip = set(sys.argv[1:])
print([d["id"] for d in json.load(sys.stdin)["denials"] if d["state"] == "new" and d["pcn"] not in skip][0])' "$paid" "$denied")"
ctl denials assign "$appeal" jsontest >/dev/null || fail "assign $appeal"
shape denials-appeal denials appeal "$appeal" --reason "the note shows it was needed" --attach DOC-1,DOC-2
shape denials-show-appealed denials show "$appeal"
exception="$(field exceptions 0 id <<<"{\"exceptions\": $(cat shapes/claims-exceptions.json)}" 2>/dev/null || true)"
if [[ -n "$exception" ]]; then
    shape claims-match claims match "$exception" "$paid"
fi

for _ in $(seq 1 120); do
    ctl metrics kpi --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["received"] > 0 else 1)' \
        2>/dev/null && break
    sleep 0.5
done
shape metrics-kpi metrics kpi --as-of 2026-11-02
shape metrics-kpi-by metrics kpi --by payer-group,queue --as-of 2026-11-02
shape metrics-kpi-by-payer metrics kpi --by payer,location --as-of 2026-11-02
shape metrics-aging-by-payer metrics aging --by payer --as-of 2026-11-02
shape metrics-aging metrics aging --as-of 2026-11-02
shape metrics-aging-by metrics aging --by payer-group --as-of 2026-11-02
shape metrics-scorecard metrics scorecard --as-of 2026-11-02
shape metrics-trend metrics trend clean_claim_rate --interval week --periods 4 --as-of 2026-11-02
shape metrics-trend-cents metrics trend ar_cents --interval week --periods 4 --as-of 2026-11-02
shape metrics-drill metrics drill ar_cents --limit 5 --as-of 2026-11-02
shape metrics-work metrics work
shape metrics-work-by metrics work --by type,team
# Tables name money truly: a metrics table prints dollars, so no header says
# cents, and each amount is the JSON's cents / 100 (the JSON keeps ar_cents).
for form in "metrics scorecard" "metrics kpi --by payer-group" "metrics aging --by payer-group"; do
    # shellcheck disable=SC2086
    ctl $form --as-of 2026-11-02 >table.txt 2>/dev/null || fail "rcmqctl $form"
    # shellcheck disable=SC2086
    ctl $form --as-of 2026-11-02 --json >table.json 2>/dev/null || fail "rcmqctl $form --json"
    python3 - table.txt table.json <<'PY' && ok "rcmqctl $form: A/R in dollars under AR, not AR CENTS" || fail "rcmqctl $form: $(head -n 3 table.txt)"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
reply = json.load(open(sys.argv[2]))
header = lines[0]
assert "CENTS" not in header, header
columns = re.split(r"\s{2,}", header.strip())
at = columns.index("AR")
groups = reply.get("teams", reply.get("groups"))
assert groups and len(lines) == len(groups) + 1, (len(lines), len(groups))
for line, group in zip(lines[1:], groups):
    cell = re.split(r"\s{2,}", line.strip())[at]
    cents = group["ar_cents"]
    want = "%s$%d.%02d" % ("-" if cents < 0 else "", abs(cents) // 100, abs(cents) % 100)
    assert cell == want, (cell, want, line)
PY
done
ctl metrics kpi --as-of 2026-11-02 >tall.txt || fail "metrics kpi"
grep -Eq '^ar_cents +\$[0-9]+\.[0-9]{2}( |$)' tall.txt && ok "metrics kpi: ar_cents prints as dollars, marked \$" \
    || fail "metrics kpi: $(grep '^ar_cents' tall.txt)"

# The access registry's commands (issue 14's names): a grant asked by admin
# and approved by admin2, the list and history, a review the two admins
# confirm for each other (so it suspends no one they need), a revoke.
ctl keys add jsonview >/dev/null 2>&1 || fail "keys add jsonview"
shape access-request access request jsonview --role leader --team internal
request="$(field request <shapes/access-request.json)"
shape access-approve --as admin2 access approve "$request"
shape access-list access list
shape access-history access history jsonview
shape access-review-start access review start --until 2026-12-31
shape access-review-confirm access review confirm admin2
ctl --as admin2 access review confirm admin >/dev/null || fail "admin2 confirming admin"
shape access-review-status access review status
shape access-review-end access review end
shape access-revoke access revoke jsonview --reason "left"
shape deadletter-list deadletter list
shape status status
shape metrics-rebuild metrics rebuild

if [[ -n "${UPDATE:-}" ]]; then
    cp shapes.txt "$SHAPES"
    echo "cli-json: wrote $SHAPES ($(wc -l <shapes.txt) paths)"
    exit "$((failures > 0))"
fi
# Every command pinned must have been run and printed the same paths.
if diff -u "$SHAPES" shapes.txt >shapes.diff; then
    ok "every --json command prints the pinned fields ($(wc -l <shapes.txt) paths, $(cut -f1 shapes.txt | sort -u | wc -l) commands)"
else
    fail "the JSON of some commands changed (- pinned, + now):"
    grep '^[-+][^-+]' shapes.diff | head -n 60 | sed 's/^/    /'
fi

((failures == 0)) && { echo "cli-json: all checks passed"; exit 0; }
echo "cli-json: $failures check(s) failed"; exit 1
