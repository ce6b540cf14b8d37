#!/usr/bin/env bash
# Payers, locations and rendering providers by name beside their ids
# (issue 18), with real processes: intake carries the names the 837P sent
# (NM1*PR, the location's NM1*77 / NM1*85, NM1*82 else the billing
# provider) in the claim's dimensions; metrics keeps them (names.c) and
# gives them beside the ids: `metrics kpi|aging --by payer|location --json`
# (payer_name, location_name on each group), `metrics drill --json` (each
# row's dims: payer_name, location_name, provider_id, provider_name). The
# expected names come from scripts/gen-837's own records, never from rcmq.
# rcmq-web shows them beside the ids on the aging page, its CSV and the
# claims behind a figure.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=26000 bash tests/integration/metrics-names.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init metrics-names 26000
export RCMQ_NO_BUILD=1
export RCMQ_NOW="2026-11-02T09:00:00Z"
WEB="http://127.0.0.1:$((RCMQ_PORT_BASE + 80))"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 18 --claims 60 --date 2026-10-20 --error-rate NPI001=0.1 \
    --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
total="$(python3 -c 'import json; e=json.load(open("claims.json")); print(len(e["claims"] if isinstance(e, dict) else e))')"
received() { [[ "$(ctl metrics kpi --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])')" == "$total" ]]; }
wait_for 120 received && ok "metrics received all $total claims" || fail "metrics did not receive $total claims"

ctl metrics kpi --by payer --json >by-payer.json || fail "metrics kpi --by payer"
ctl metrics aging --by location --json >by-location.json || fail "metrics aging --by location"
ctl metrics kpi --by payer,location --json >by-both.json || fail "metrics kpi --by payer,location"
ctl metrics kpi --by queue --json >by-queue.json || fail "metrics kpi --by queue"
ctl metrics drill received --limit 1000 --json >drill.json || fail "metrics drill received"

# The checks, each a line "ok ..." or "FAIL ...", from the generator's records.
python3 - <<'PY' >checks.txt
import json
e = json.load(open("claims.json"))
records = e["claims"] if isinstance(e, dict) else e
payers = {r["payer_id"]: r["payer_name"] for r in records}
locations = {r["location"]: r["location_name"] for r in records}
by_pcn = {r["pcn"]: r for r in records}

def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + detail))

def groups(path):
    return json.load(open(path))["groups"]

g = groups("by-payer.json")
check(len(g) == len(payers), "kpi --by payer: a group per payer of the file", "%d groups" % len(g))
check(all(x.get("payer_name") == payers[x["key"]] for x in g), "kpi --by payer: each group's payer_name is the file's NM1*PR name",
      str([(x["key"], x.get("payer_name")) for x in g]))
check(all("location_name" not in x for x in g), "kpi --by payer: no location_name")
g = groups("by-location.json")
check(len(g) == len(locations) and all(x.get("location_name") == locations[x["key"]] for x in g),
      "aging --by location: each group's location_name is the file's 2310C name",
      str([(x["key"], x.get("location_name")) for x in g]))
g = groups("by-both.json")
check(g and all(x.get("payer_name") == payers[x["key"].split("|")[0]] and
                x.get("location_name") == locations[x["key"].split("|")[1]] for x in g),
      "kpi --by payer,location: both names, each of its own part of the key")
g = groups("by-queue.json")
check(g and all("payer_name" not in x and "location_name" not in x for x in g), "kpi --by queue: no names")
rows = json.load(open("drill.json"))["rows"]
check(len(rows) == len(records), "drill received: every claim", "%d rows" % len(rows))
bad = []
for row in rows:
    r, d = by_pcn[row["pcn"]], row["dims"]
    provider = (r["rendering_npi"], r["rendering_name"]) if r["rendering_npi"] else (r["billing_npi"], r["billing_name"])
    want = (payers[r["payer_id"]], r["location_name"]) + provider
    got = (d["payer_name"], d["location_name"], d["provider_id"], d["provider_name"])
    if got != want:
        bad.append((row["pcn"], got, want))
check(not bad, "drill: each row's payer, location and rendering provider names (and the provider's NPI) are the claim's",
      str(bad[:3]))
check(any(by_pcn[row["pcn"]]["rendering_npi"] for row in rows) and any(not by_pcn[row["pcn"]]["rendering_npi"] for row in rows),
      "drill: claims with and without a rendering provider (NM1*82) are both checked")
PY
while read -r line; do
    [[ "$line" == ok* ]] && ok "${line#ok   }" || fail "${line#FAIL }"
done <checks.txt

# The dashboard shows them beside the ids (a leader's session, by link).
rcmq_grant "$CTL" "$CONF" boss leader internal >/dev/null </dev/null || fail "grant boss"
url="$(ctl web link boss)" || fail "web link boss"
curl -s -o /dev/null -c cookies.txt "$url"
curl -s -b cookies.txt "$WEB/aging" >aging.html
curl -s -b cookies.txt "$WEB/aging.csv" >aging.csv
curl -s -b cookies.txt "$WEB/drill?kpi=received" >drill.html
python3 - <<'PY' >checks.txt
import csv, html, json, re
e = json.load(open("claims.json"))
records = e["claims"] if isinstance(e, dict) else e
payers = {r["payer_id"]: r["payer_name"] for r in records}
page = html.unescape(open("aging.html").read())
def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + detail))
missing = [p for p, n in payers.items() if not re.search(r'data-payer="%s"[^>]*>.*?%s' % (re.escape(p), re.escape(n)), page)]
check(not missing, "web /aging: each payer's row names it beside its id", str(missing))
check(all(n in page.split("<table")[0] for n in payers.values()), "web /aging: the chart's bars carry the payer names")
rows = list(csv.DictReader(open("aging.csv")))
check(rows and all(r.get("payer_name") == payers[r["payer_id"]] for r in rows), "web /aging.csv: payer_name beside payer_id",
      str(rows[:2]))
drill = html.unescape(open("drill.html").read())
check(all(n in drill for r in records[:5] for n in (r["payer_name"], r["location_name"])),
      "web /drill: payer and location names beside the ids")
PY
while read -r line; do
    [[ "$line" == ok* ]] && ok "${line#ok   }" || fail "${line#FAIL }"
done <checks.txt

test_finish metrics-names
