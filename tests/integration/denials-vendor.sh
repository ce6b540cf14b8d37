#!/usr/bin/env bash
# Vendor scope of denials with real processes (issue 17 "Vendor scope";
# docs/denials.md): claims go into q-int (internal) and q-acme (vendor
# phase, vendor team acme); scripts/payer-sim denies every claim; an acme
# vendor agent then
#   - lists exactly the denials of q-acme's claims (from the generator's
#     and payer-sim's records), none of q-int's; `denials show` of a q-int
#     denial is NOT_FOUND, of a q-acme denial answers;
#   - sees claim and payer data on the denial and no patient field (none of
#     the generator's patient names, birth dates or member ids is in it);
#   - on `claims show` of its claim sees the patient masked (initial and
#     last name, birth year), where an internal biller sees them in full;
#   - assigns a denial to someone of its own team, never to another team's.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/denials-vendor.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init denials-vendor 24620
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

start_deployment
rcmq_grant "$CTL" "$CONF" bea internal-biller billing >/dev/null || fail "grant bea"
rcmq_grant "$CTL" "$CONF" ava vendor-agent acme 2027-12-31 >/dev/null || fail "grant ava"
rcmq_grant "$CTL" "$CONF" abe vendor-agent acme 2027-12-31 >/dev/null || fail "grant abe"

# A queue takes the claims that arrive after it.
ctl queue create q-int --owner-team billing --phase internal >/dev/null || fail "queue create q-int"
python3 "$ROOT/scripts/gen-837" --seed 51 --claims 16 --date 2026-11-01 --out a.837 --expect a.json
ctl intake submit a.837 >/dev/null || fail "intake submit a.837"
A_ACCEPTED="$(python3 -c 'import json; print(sum(1 for c in json.load(open("a.json"))["claims"] if c["accepted"]))')"
wait_claims "$A_ACCEPTED" || fail "a.837's claims did not enter"
ctl queue create q-acme --owner-team billing --vendor-team acme --phase vendor >/dev/null || fail "queue create q-acme"
python3 "$ROOT/scripts/gen-837" --seed 52 --claims 12 --date 2026-11-01 --control 6000 --out b.837 --expect b.json
ctl intake submit b.837 >/dev/null || fail "intake submit b.837"
ALL="$(python3 -c 'import json; print(sum(1 for f in ("a.json", "b.json") for c in json.load(open(f))["claims"] if c["accepted"]))')"
wait_claims "$ALL" && ok "$ALL claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/
"$ROOT/scripts/payer-sim" --seed 8 --out sim --expect sim.json --accept-rate 1 --missing-277-rate 0 \
    --mix denied=1 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done

wait_for 90 caught_up denials claims queue && ok "denials caught up" || fail "denials did not catch up"

# The denied claims of each file, from the generator's and payer-sim's records.
cat >expect.py <<'PY'
import json
denied = {c["pcn"] for c in json.load(open("sim.json"))["claims"] if c["status"] == "denied"}
def accepted(path):
    return {c["pcn"] for c in json.load(open(path))["claims"] if c["accepted"]}
internal = accepted("a.json") & denied
vendor = accepted("b.json") & denied
PY
ctl --as ava denials list --limit 1000 --json >ava.json || fail "denials list as ava"
ctl denials list --limit 1000 --json >all.json || fail "denials list as admin"
python3 - <<'PY' && ok "the vendor agent lists exactly its queue's denials (payer-sim's denied claims of q-acme)" \
    || fail "vendor list: $(head -c 600 ava.json)"
import json, sys
sys.path.insert(0, ".")
from expect import internal, vendor
assert internal and vendor, (len(internal), len(vendor))
got = [d["pcn"] for d in json.load(open("ava.json"))["denials"]]
assert sorted(got) == sorted(vendor), (sorted(set(got) - vendor), sorted(vendor - set(got)))
every = [d["pcn"] for d in json.load(open("all.json"))["denials"]]
assert set(every) == internal | vendor and len(every) == len(internal) + len(vendor), len(every)
PY

read -r INT_ID ACME_ID ACME_PCN < <(python3 -c '
import json, sys
sys.path.insert(0, ".")
from expect import internal, vendor
d = json.load(open("all.json"))["denials"]
i = sorted(x["id"] for x in d if x["pcn"] in internal)[0]
a = sorted((x["id"], x["pcn"]) for x in d if x["pcn"] in vendor)[0]
print(i, a[0], a[1])')
expect 1 "an internal queue's denial is not the vendor's" ctl --as ava denials show "$INT_ID"
grep -qi "not.found\|no denial" "$WORK/err" && ok "NOT_FOUND, as if it were not there" || fail "out of scope: $(cat "$WORK/err")"
expect 0 "its own queue's denial" ctl --as ava denials show "$ACME_ID" --json
cp "$WORK/out" acme-denial.json
python3 - "$ACME_PCN" <<'PY' && ok "the denial shows claim and payer data and no patient field" \
    || fail "patient data in a denial: $(head -c 600 acme-denial.json)"
import json, sys
pcn = sys.argv[1]
text = open("acme-denial.json").read()
d = json.loads(text)
gen = {c["pcn"]: c for c in json.load(open("b.json"))["claims"]}[pcn]
assert d["pcn"] == pcn and d["payer_id"] == gen["payer_id"] and d["carc"], d
person = gen["patient"] or gen["subscriber"]
for value in (person["last_name"], person["first_name"], person["birth_date"], gen["subscriber"]["member_id"],
              person.get("address", {}).get("line1", "")):
    assert not value or value not in text, value
PY

ctl --as ava claims show "$ACME_PCN" --json >ava-claim.json || fail "claims show as ava"
ctl --as bea claims show "$ACME_PCN" --json >bea-claim.json || fail "claims show as bea"
python3 - "$ACME_PCN" <<'PY' && ok "claims show: the vendor sees the patient masked (initial, last name, birth year), an internal biller in full" \
    || fail "masking: $(head -c 600 ava-claim.json)"
import json, sys
pcn = sys.argv[1]
gen = {c["pcn"]: c for c in json.load(open("b.json"))["claims"]}[pcn]
person = gen["patient"] or gen["subscriber"]
masked = open("ava-claim.json").read()
assert "%s. %s" % (person["first_name"][0], person["last_name"]) in masked, masked[:400]
assert person["first_name"] not in masked and person["birth_date"] not in masked, masked[:400]
assert person["birth_date"][:4] in masked, masked[:400]
full = open("bea-claim.json").read()
assert person["first_name"] in full and person["last_name"] in full, full[:400]
PY

expect 1 "a vendor cannot hand a denial to another team" ctl --as ava denials assign "$ACME_ID" bea
grep -q "is not of team acme" "$WORK/err" && ok "refused, naming the team" || fail "assign across teams: $(cat "$WORK/err")"
expect 0 "a vendor assigns within its team" ctl --as ava denials assign "$ACME_ID" abe --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["owner"] == "abe" and d["state"] == "in_review", d' "$WORK/out" \
    && ok "assigned to abe, in review" || fail "assign: $(cat "$WORK/out")"

# Stopped first, so a report the processes make as they exit (LSan) is in their logs.
stop_all
check_sanitizer
test_finish denials-vendor
