#!/usr/bin/env bash
# Denial figures in rcmq-metrics with real processes (issue 17, "Events and
# metrics"; docs/metrics.md "Denials"): scripts/gen-837 claims go through
# intake and `claims submit` into two queues, q-int (internal, team
# billing) and q-acme (vendor phase, team acme); scripts/payer-sim pays
# some and denies the rest; rcmqctl posts every file and rcmq-denials opens
# the denials; metrics consumes the denials stream.
#
#   - rcmq-metrics is SIGKILLed while it applies the remits' events, and
#     again while the test works denials through rcmqctl (assign, appeal,
#     won / lost, written off with and without a second person), and
#     started again each time: nothing counted twice or lost;
#   - ten days later (restart at 11-12) the appeals are made, so the mean
#     days to appeal is ten; past every deadline (restart at 2027-08-01)
#     the denials nobody touched are missed deadlines;
#   - metrics kpi (overall, by payer), scorecard (billing and acme side by
#     side) show what the test computes from what it did and from the
#     simulator's records, never from rcmq's stores; the vendor lead sees
#     acme's only; q-acme rolled back to internal moves its open denials
#     to billing at once while acme keeps what it did; rcmq-web's Denials
#     page shows the same figures as rcmqctl --json; a rebuild gives them
#     again.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/metrics-denials.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init metrics-denials 24000
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"
WEB="http://127.0.0.1:$((RCMQ_PORT_BASE + 80))"
PERIOD=(--from 2026-10-01 --to 2027-08-01)

# restart NOW: the whole deployment again, its clocks starting at NOW.
restart() {
    stop_deployment
    export RCMQ_NOW="$1"
    RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 || { tail -20 "$WORK/run.log"; exit 1; }
}

# Whether rcmq-NAME applied every event of the streams given.
metrics_caught_up() { caught_up denials claims && caught_up metrics claims denials; }
kill_metrics() { kill -KILL "$(cat "$RCMQ_VAR/run/metrics.pid")" 2>/dev/null || true; }
start_again() { RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty start >>"$WORK/run.log" 2>&1 || fail "scripts/run start"; }

start_deployment
rcmq_grant "$CTL" "$CONF" bea internal-biller billing >/dev/null || fail "grant bea"
rcmq_grant "$CTL" "$CONF" lee internal-lead billing >/dev/null || fail "grant lee"
rcmq_grant "$CTL" "$CONF" boss leader internal >/dev/null </dev/null || fail "grant boss"
rcmq_grant "$CTL" "$CONF" vlead vendor-lead acme 2027-12-31 >/dev/null || fail "grant vlead"

# 40 claims into q-int, then 20 into q-acme (a queue takes the claims that
# arrive after it).
ctl queue create q-int --owner-team billing --phase internal >/dev/null || fail "queue create q-int"
python3 "$ROOT/scripts/gen-837" --seed 21 --claims 40 --date 2026-11-01 --out a.837 --expect a.json
ctl intake submit a.837 >/dev/null || fail "intake submit a.837"
A_ACCEPTED="$(python3 -c 'import json; print(sum(1 for c in json.load(open("a.json"))["claims"] if c["accepted"]))')"
wait_claims "$A_ACCEPTED" || fail "a.837's claims did not enter"
ctl queue create q-acme --owner-team billing --vendor-team acme --phase vendor >/dev/null || fail "queue create q-acme"
python3 "$ROOT/scripts/gen-837" --seed 22 --claims 20 --date 2026-11-01 --control 5000 --out b.837 --expect b.json
ctl intake submit b.837 >/dev/null || fail "intake submit b.837"
ALL="$(python3 -c 'import json; print(sum(1 for f in ("a.json", "b.json") for c in json.load(open(f))["claims"] if c["accepted"]))')"
wait_claims "$ALL" && ok "$ALL claims entered" || fail "claims did not all enter"
ctl claims submit --json >submit.json || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/
"$ROOT/scripts/payer-sim" --seed 5 --out sim --expect sim.json --accept-rate 1 --missing-277-rate 0 \
    --mix paid=0.5,denied=0.5 --waves 1 round1 >/dev/null || fail "payer-sim"

for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
# SIGKILL metrics while it applies the first remit's events; the rest
# posted while it is down; started, SIGKILLed again while it catches up,
# started again.
first=1
for file in sim/835-*.x12; do
    ctl claims post "$file" >/dev/null || fail "claims post $file"
    if ((first)); then sleep 0.3; kill_metrics; first=0; fi
done
start_again
sleep 0.5
kill_metrics
start_again
wait_for 120 metrics_caught_up && ok "metrics caught up with claims and denials after two SIGKILLs" \
    || fail "metrics did not catch up"

# This script's expectation of the denials, from the simulator's and the
# generator's records (as tests/integration/denials.sh computes them).
cat >expect.py <<'PY'
import json
CONTRACTUAL = {("CO", "45"), ("CO", "253")}

def teams():
    team = {}
    for path, name in (("a.json", "billing"), ("b.json", "acme")):
        for c in json.load(open(path))["claims"]:
            if c["accepted"]:
                team[c["pcn"]] = name
    return team

def denials():
    """pcn -> {payer, team, denied_cents} of each claim the payer denied (or lines of it)."""
    team = teams()
    out = {}
    for c in json.load(open("sim.json"))["claims"]:
        if not c["remits"]:
            continue
        reasons = []
        if c["status"] == "denied" and not c["line_results"]:
            reasons = [d["amount_cents"] for d in c["denials"] if d["line"] == 0]
        for line in c["line_results"]:
            if line["paid_cents"] == 0:
                reasons += [a["amount_cents"] for a in line["adjustments"]
                            if a["group"] != "PR" and (a["group"], a["carc"]) not in CONTRACTUAL and a["amount_cents"]]
        if reasons:
            out[c["pcn"]] = {"payer": c["payer_id"], "team": team[c["pcn"]], "denied_cents": sum(reasons)}
    return out
PY
N="$(python3 -c 'import sys; sys.path.insert(0, "."); from expect import denials; print(len(denials()))')"
ctl denials list --limit 1000 --json >list1.json || fail "denials list"
python3 - <<'PY' && ok "$N denials opened, as the simulator's records say" || fail "denials against the simulator"
import json, sys
sys.path.insert(0, ".")
from expect import denials
want = denials()
got = {d["pcn"]: d for d in json.load(open("list1.json"))["denials"]}
assert set(got) == set(want), (sorted(set(got) ^ set(want))[:5])
assert all(got[p]["denied_cents"] == want[p]["denied_cents"] for p in want)
teams = {w["team"] for w in want.values()}
assert len(want) >= 10 and teams == {"billing", "acme"}, (len(want), teams)
PY

# --- Ten days later: the test works denials ---------------------------------
# Which: by PCN order, three billing denials appealed (won 1001, won 1002,
# lost), two acme denials appealed (won 2000; lost, then written off), two
# billing denials written off at once (the default amount: what is open).
restart "2026-11-12T09:00:00Z"
python3 - <<'PY' >plan.txt
import json, sys
sys.path.insert(0, ".")
from expect import denials
want = denials()
ids = {d["pcn"]: d["id"] for d in json.load(open("list1.json"))["denials"]}
billing = sorted(p for p in want if want[p]["team"] == "billing")
acme = sorted(p for p in want if want[p]["team"] == "acme")
plan = [(billing[0], "won", 1001), (billing[1], "won", 1002), (billing[2], "lost", 0),
        (acme[0], "won", 2000), (acme[1], "lost_written_off", 0),
        (billing[3], "written_off", 0), (billing[4], "written_off", 0)]
for pcn, what, cents in plan:
    print(ids[pcn], pcn, what, cents)
PY
# Resolves ID as written off, by lee's approval when the amount is above
# the limit (the asker is the admin).
write_off() {
    ctl denials resolve "$1" written_off --reason small_balance --json >wo.json || { fail "write off $1"; return; }
    if python3 -c 'import json,sys; sys.exit(0 if json.load(open("wo.json")).get("write_off") else 1)'; then
        ctl --as lee denials approve "$1" >/dev/null || fail "lee approves $1"
    fi
}
done_actions=0
while read -r id pcn what cents; do
    ctl denials assign "$id" bea >/dev/null || fail "assign $id"
    case "$what" in
        won)  ctl denials state "$id" appealed --reason "appeal sent" >/dev/null || fail "appeal $id"
              ctl denials resolve "$id" won --cents "$cents" >/dev/null || fail "won $id" ;;
        lost) ctl denials state "$id" appealed --reason "appeal sent" >/dev/null || fail "appeal $id"
              ctl denials resolve "$id" lost >/dev/null || fail "lost $id" ;;
        lost_written_off)
              ctl denials state "$id" appealed --reason "appeal sent" >/dev/null || fail "appeal $id"
              ctl denials resolve "$id" lost >/dev/null || fail "lost $id"
              write_off "$id" ;;
        written_off) write_off "$id" ;;
    esac
    done_actions=$((done_actions + 1))
    # metrics SIGKILLed in the middle of the work, started after it.
    ((done_actions == 3)) && kill_metrics
done <plan.txt
start_again
wait_for 120 metrics_caught_up && ok "metrics caught up after a SIGKILL in the middle of the work" \
    || fail "metrics did not catch up (work)"

# --- Past every deadline ----------------------------------------------------
restart "2027-08-01T09:00:00Z"
wait_for 120 metrics_caught_up || fail "metrics did not catch up (2027-08-01)"
ctl denials list --limit 1000 --json >list2.json || fail "denials list (2027-08-01)"
python3 -c '
import json
page = json.load(open("list2.json"))
assert sum(1 for d in page["denials"] if d["missed_deadline"]) == page["missed_deadline_total"] > 0
' && ok "denials flagged its missed deadlines" || fail "no missed deadlines in denials"

ctl --json metrics kpi "${PERIOD[@]}" >kpi.json || fail "metrics kpi"
ctl --json metrics kpi "${PERIOD[@]}" --by payer >by-payer.json || fail "metrics kpi --by payer"
ctl --json metrics scorecard "${PERIOD[@]}" >scorecard.json || fail "metrics scorecard"
cat >calc.py <<'PY'
import json, sys
sys.path.insert(0, ".")
from expect import denials
want = denials()
plan = [line.split() for line in open("plan.txt")]
ACTED = {pcn for _, pcn, _, _ in plan}

def expected(keep):
    """The figures of the denials keep(pcn, denial) selects, from what the test did."""
    mine = {p: w for p, w in want.items() if keep(p, w)}
    acts = [(pcn, what, int(cents)) for _, pcn, what, cents in plan if pcn in mine]
    won = [c for _, what, c in acts if what == "won"]
    decided = [what for _, what, _ in acts if what in ("won", "lost", "lost_written_off")]
    written = [mine[p]["denied_cents"] for p, what, _ in acts if what in ("written_off", "lost_written_off")]
    return {
        "denials_opened": len(mine),
        "denials_appealed": len(decided),
        "denial_overturn_rate": len(won) / len(decided) if decided else None,
        "denial_recovered_cents": sum(won),
        "denial_written_off_cents": sum(written),
        "denials_open": len(mine) - len(won) - len(written),
        "denials_missed_deadline": len([p for p in mine if p not in ACTED]),
    }

def check(got, want_figures, what):
    bad = {k: (got.get(k), v) for k, v in want_figures.items()
           if (abs(got.get(k) - v) > 1e-9 if isinstance(v, float) and got.get(k) is not None else got.get(k) != v)}
    assert not bad, (what, bad)
PY
cat >figures.py <<'PY'
import json, sys
sys.path.insert(0, ".")
from calc import expected, check, want
kpi = json.load(open("kpi.json"))
check(kpi, expected(lambda p, w: True), "overall")
# Days to appeal: opened on 11-02 at the posting, appealed on 11-12 at the
# restart's clock: ten days, give or take the minutes each step took.
assert abs(kpi["denial_days_to_appeal"] - 10.0) < 0.05, kpi["denial_days_to_appeal"]
by_payer = {g["key"]: g for g in json.load(open("by-payer.json"))["groups"]}
for payer in {w["payer"] for w in want.values()}:
    check(by_payer[payer], expected(lambda p, w: w["payer"] == payer), "payer " + payer)
teams = {t["team"]: t for t in json.load(open("scorecard.json"))["teams"]}
for team in ("billing", "acme"):
    check(teams[team], expected(lambda p, w: w["team"] == team), "team " + team)
print("    overall:", {k: kpi[k] for k in sorted(kpi) if k.startswith("denial")}, file=sys.stderr)
PY
python3 figures.py && ok "denial figures overall, by payer and by team (billing vs acme) equal the test's own" \
    || fail "denial figures"

# The overturn rate by month: every decision was made on 11-12.
ctl --json metrics trend denial_overturn_rate --interval month --periods 12 --as-of 2027-08-01 >trend.json \
    || fail "metrics trend denial_overturn_rate"
python3 -c '
import json
points = json.load(open("trend.json"))["points"]
assert len(points) == 12, points
for p in points:
    if p["from"] == "2026-11-01":
        assert (p["value"], p["numerator"], p["denominator"]) == (0.6, 3, 5), p
    else:
        assert p["value"] is None and p["denominator"] == 0, p
' && ok "metrics trend denial_overturn_rate: 3 of 5 in November 2026, null in the other months" \
    || fail "trend of the overturn rate: $(cat trend.json)"

# A vendor lead sees its own team's figures only.
ctl --as vlead --json metrics kpi "${PERIOD[@]}" >vlead.json || fail "metrics kpi as the vendor lead"
python3 -c '
import json, sys
sys.path.insert(0, ".")
from calc import expected, check
check(json.load(open("vlead.json")), expected(lambda p, w: w["team"] == "acme"), "vlead")
' && ok "the vendor lead's denial figures are acme's" || fail "vendor scope of the denial figures"

# q-acme rolls back to internal: its open denials are billing's at once (as
# their work items are), while what acme did stays acme's.
ctl queue phase q-acme internal >/dev/null || fail "queue phase q-acme internal"
rolled_back() {
    ctl --json metrics scorecard "${PERIOD[@]}" >card2.json 2>/dev/null || return 1
    python3 -c '
import json, sys
sys.path.insert(0, ".")
from calc import expected
teams = {t["team"]: t for t in json.load(open("card2.json"))["teams"]}
acme = expected(lambda p, w: w["team"] == "acme")
assert teams["billing"]["denials_open"] == expected(lambda p, w: True)["denials_open"], teams["billing"]
assert teams["acme"]["denials_open"] == 0, teams["acme"]
assert all(teams["acme"][k] == acme[k] for k in acme if k != "denials_open"), (teams["acme"], acme)
' 2>/dev/null
}
wait_for 60 rolled_back && ok "after q-acme's rollback: billing owns every open denial, acme keeps what it did" \
    || fail "open denials after the rollback: $(cat card2.json)"

# A payer filter applies to them; a period before anything happened has
# no overturn rate (null, not 0) and the open count as of another day is null.
ctl --json metrics kpi --from 2026-01-01 --to 2026-01-31 >early.json || fail "metrics kpi (January)"
python3 -c '
import json
j = json.load(open("early.json"))
assert j["denial_overturn_rate"] is None and j["denials_open"] is None and j["denials_opened"] == 0, j
' && ok "no decisions in January: overturn rate null; open denials as of another day null" || fail "January: $(cat early.json)"

# --- rcmq-web's Denials page: the same figures as rcmqctl --json ------------
url="$(ctl web link boss)" || fail "web link boss"
curl -s -o /dev/null -c cookies.txt "$url"
curl -s -b cookies.txt "$WEB/denials?from=2026-10-01&to=2027-08-01" >denials.html
python3 - <<'PY' && ok "the Denials page shows the denial figures of rcmqctl --json, overall and by payer" || fail "Denials page"
import html, json, re
page = open("denials.html").read()
kpi = json.load(open("kpi.json"))
by_payer = {g["key"]: g for g in json.load(open("by-payer.json"))["groups"]}
section = page[page.index('id="denial-figures"'):page.index('id="denial-outcomes"')]
cells = re.findall(r'class="tile" data-kpi="([a-z_]+)" data-value="([^"]*)"', section)
assert len(cells) == 8, cells
for name, value in cells:
    assert json.loads(html.unescape(value)) == kpi[name], (name, value, kpi[name])
table = page[page.index('id="denial-outcomes"'):]
table = table[:table.index("</table>")]
rows = re.findall(r'<tr data-payer="([^"]*)">(.*?)</tr>', table, re.S)
assert rows and len(rows) == len(by_payer), (len(rows), len(by_payer))
for payer, row in rows:
    for name, value in re.findall(r'<td data-kpi="([a-z_]+)" data-value="([^"]*)"', row):
        assert json.loads(html.unescape(value)) == by_payer[html.unescape(payer)][name], (payer, name, value)
assert "appeal overturn rate" not in page
PY

# --- A rebuild gives the same figures -------------------------------------------
ctl metrics rebuild >/dev/null || fail "metrics rebuild"
same_figures() {
    ctl --json metrics kpi "${PERIOD[@]}" >kpi2.json 2>/dev/null || return 1
    python3 -c '
import json
a, b = json.load(open("kpi.json")), json.load(open("kpi2.json"))
bad = {k: (a[k], b.get(k)) for k in a if k.startswith("denial") and a[k] != b.get(k)}
assert not bad, bad
' 2>/dev/null
}
wait_for 120 same_figures && ok "a rebuild gives the same denial figures" \
    || fail "rebuild: $(diff <(python3 -m json.tool kpi.json) <(python3 -m json.tool kpi2.json) | head -20)"

check_sanitizer
test_finish metrics-denials
