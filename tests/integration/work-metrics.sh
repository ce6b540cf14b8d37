#!/usr/bin/env bash
# Work-item figures in rcmq-metrics with real processes (issue 15, Metrics;
# docs/metrics.md "Work items"): metrics consumes the work events claims
# sends for its follow-up items and keeps open and overdue items, SLA
# attainment and time to first touch by queue, type, team and owner.
#
#   - 40 claims land in q-int (internal phase, team billing), 20 in q-acme
#     (vendor phase, team acme); each submitted claim is an open follow_up
#     item, due 30 days after submission;
#   - a day later (restart at 11-03) the admin works 4 billing items and
#     closes 2, the vendor agent works 2 acme items and closes 1, while
#     rcmq-metrics is down (SIGKILL); metrics then starts, is SIGKILLed again
#     while it catches up, and starts again: nothing counted twice or lost;
#   - a month later (restart at 12-03) every open item is overdue; closing
#     the in-progress ones then breaches their SLA;
#   - metrics kpi, scorecard (billing and acme side by side) and metrics
#     work show what the test computes from what it did, never from rcmq's
#     stores; a vendor key sees only its team's figures;
#   - q-acme rolled back to internal: its open items count for billing at
#     once, what acme did stays acme's.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/work-metrics.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init work-metrics 24000
export RCMQ_NOW="2026-11-02T09:00:00Z"
items() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))'; }

# restart NOW: the whole deployment again, its clocks starting at NOW.
restart() {
    stop_deployment
    RCMQ_NOW="$1" RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 \
        || { tail -20 "$WORK/run.log"; exit 1; }
}

# figures FILE EXPR...: python asserts over the JSON in FILE (as `j`).
figures() {
    local file="$1"; shift
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    assert eval(expr), (expr, {k: v for k, v in j.items() if k.startswith(("work", "sla"))} if isinstance(j, dict) else j)
' "$file" "$@"
}

# until_figures SECONDS FILE CMD -- EXPR...: runs CMD into FILE until the
# expressions hold (metrics applies events a moment after they happen).
until_figures() {
    local seconds="$1" file="$2"; shift 2
    local cmd=()
    while [[ "$1" != "--" ]]; do cmd+=("$1"); shift; done
    shift
    local deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        "${cmd[@]}" >"$file" 2>/dev/null && figures "$file" "$@" 2>/dev/null && return 0
        sleep 0.5
    done
    "${cmd[@]}" >"$file" && figures "$file" "$@"
}

start_deployment
rcmq_grant "$CTL" "$CONF" agent vendor-agent acme 2027-12-31 >/dev/null || fail "grant agent"
rcmq_grant "$CTL" "$CONF" vlead vendor-lead acme 2027-12-31 >/dev/null || fail "grant vlead"

# 40 claims into q-int, then 20 into q-acme (a queue takes the claims that
# arrive after it, as work-items.sh relies on).
ctl queue create q-int --owner-team billing --phase internal >/dev/null || fail "queue create q-int"
python3 "$ROOT/scripts/gen-837" --seed 11 --claims 40 --date 2026-11-01 --out a.837 --expect a.json
ctl intake submit a.837 >/dev/null || fail "intake submit a.837"
wait_claims 40 || fail "40 claims did not enter"
ctl queue create q-acme --owner-team billing --vendor-team acme --phase vendor >/dev/null \
    || fail "queue create q-acme"
python3 "$ROOT/scripts/gen-837" --seed 12 --claims 20 --date 2026-11-01 --control 5000 --out b.837 --expect b.json
ctl intake submit b.837 >/dev/null || fail "intake submit b.837"
wait_claims 60 || fail "60 claims did not enter"
ctl claims submit >/dev/null || fail "claims submit"
[[ "$(ctl work list --queue q-int --limit 1000 --json | items)" == 40 ]] && [[ "$(ctl work list --queue q-acme --limit 1000 --json | items)" == 20 ]] \
    && ok "40 follow-up items in q-int, 20 in q-acme" || fail "the items are not where the test put the claims"

until_figures 30 kpi.json ctl metrics kpi --json -- 'j["work_open"] == 60' \
    && ok "metrics kpi: work_open 60 (one per submitted claim)" || fail "work_open after submission"
figures kpi.json 'j["work_overdue"] == 0' 'j["sla_met_rate"] is None' 'j["work_created"] == 60' \
    'j["work_first_touch_mean_hours"] is None' \
    && ok "nothing overdue, no SLA figure before anything is done (null), 60 created" || fail "figures after submission"
ctl metrics scorecard --json >card.json || fail "metrics scorecard"
python3 - <<'PY' && ok "scorecard: billing 40 open, acme 20 open, side by side" || fail "scorecard after submission"
import json
teams = {t["team"]: t for t in json.load(open("card.json"))["teams"]}
assert teams["billing"]["work_open"] == 40 and teams["acme"]["work_open"] == 20, teams
assert teams["billing"]["work_overdue"] == 0 and teams["acme"]["work_overdue"] == 0, teams
PY

# A day later: items are worked while metrics is down.
restart "2026-11-03T09:00:00Z"
ctl work list --queue q-int --limit 1000 --json >int.json
ctl work list --queue q-acme --limit 1000 --json >acme.json
mapfile -t INT < <(python3 -c 'import json; [print(i["id"]) for i in json.load(open("int.json"))["items"][:4]]')
mapfile -t ACME < <(python3 -c 'import json; [print(i["id"]) for i in json.load(open("acme.json"))["items"][:2]]')
kill -9 "$(cat "$RCMQ_VAR/run/metrics.pid")" || fail "no rcmq-metrics to kill"
for id in "${INT[@]}"; do ctl work state "$id" in_progress --note "on it" >/dev/null || fail "state $id"; done
for id in "${ACME[@]}"; do ctl --as agent work state "$id" in_progress >/dev/null || fail "agent state $id"; done
ctl work state "${INT[0]}" done --note "paid on the portal" >/dev/null || fail "done ${INT[0]}"
ctl work state "${INT[1]}" done >/dev/null || fail "done ${INT[1]}"
ctl --as agent work state "${ACME[0]}" done >/dev/null || fail "agent done ${ACME[0]}"
# Metrics starts again and catches up on what happened while it was down.
RCMQ_NOW="2026-11-03T09:00:00Z" RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 \
    || fail "metrics did not start again"

# The figures after 11-03's changes: 3 done within their SLA (due 30 days
# on), 6 first touched a day after creation (created a few seconds after
# 11-02T09:00, touched a few seconds after 11-03T09:00: 24 h give or take
# the minutes each start took).
after_day_one() {
    figures "$1" 'j["work_open"] == 57' 'j["work_done"] == 3' 'j["work_created"] == 60' \
        'j["sla_met_rate"] == 1.0' 'j["work_overdue"] == 0' '23.9 <= j["work_first_touch_mean_hours"] <= 24.1'
}
until_figures 30 kpi2.json ctl metrics kpi --json -- 'j["work_open"] == 57' \
    && ok "after a SIGKILL of metrics: work_open 57 (60 - 3 done)" || fail "work_open after the kill"
after_day_one kpi2.json && ok "3 done, all within their SLA, 6 first touched a day after creation" \
    || fail "figures after the kill"

# A rebuild replays every stream from seq 1; metrics is SIGKILLed as soon
# as the rebuild is answered (while it replays, unless the replay of these
# few hundred events was quicker still: the Check suite "metrics" kills it
# in the middle of 2,000 claims' replay) and started again: every event
# applied once, the same figures.
ctl metrics rebuild >/dev/null || fail "metrics rebuild"
kill -9 "$(cat "$RCMQ_VAR/run/metrics.pid")" || fail "no rcmq-metrics to kill during the rebuild"
RCMQ_NOW="2026-11-03T09:00:00Z" RCMQ_NO_BUILD=1 "$ROOT/scripts/run" --empty >>"$WORK/run.log" 2>&1 \
    || fail "metrics did not start after the kill during the rebuild"
until_figures 60 kpi2b.json ctl metrics kpi --json -- 'j["work_created"] == 60' 'j["work_open"] == 57' \
    && after_day_one kpi2b.json \
    && ok "after a SIGKILL in the middle of a rebuild: the same figures, nothing counted twice" \
    || fail "figures after the kill during the rebuild"
ctl metrics scorecard --json >card2.json
python3 - <<'PY' && ok "scorecard: billing 38 open, 2 done in SLA; acme 19 open, 1 done in SLA" || fail "scorecard after the kills"
import json
teams = {t["team"]: t for t in json.load(open("card2.json"))["teams"]}
b, a = teams["billing"], teams["acme"]
assert (b["work_open"], b["work_done"], b["sla_met_rate"]) == (38, 2, 1.0), b
assert (a["work_open"], a["work_done"], a["sla_met_rate"]) == (19, 1, 1.0), a
PY
ctl metrics kpi --queue q-acme --json >acme-kpi.json
figures acme-kpi.json 'j["work_open"] == 19' && ok "kpi --queue q-acme: 19 open" || fail "kpi --queue"
PAYER="$(python3 -c 'import json; print(json.load(open("a.json"))["claims"][0]["payer_id"])' 2>/dev/null || echo "")"
if [[ -n "$PAYER" ]]; then
    ctl metrics kpi --payer "$PAYER" --json >payer-kpi.json || fail "kpi --payer"
    figures payer-kpi.json 'j["work_open"] is None' 'j["sla_met_rate"] is None' \
        && ok "kpi --payer: work figures null (items have no payer), not the unfiltered ones" || fail "kpi --payer"
fi
ctl metrics work --by team,owner --json >work.json || fail "metrics work --by team,owner"
python3 - <<'PY' && ok "metrics work --by team,owner: the groups the test made" || fail "metrics work by team and owner"
import json
j = json.load(open("work.json"))
groups = {g["key"]: g for g in j["groups"]}
assert j["work_open"] == 57, j
assert groups["billing|"]["work_open"] == 38, groups
assert groups["acme|"]["work_open"] == 19, groups
PY
ctl --as vlead metrics work --json >vlead.json || fail "metrics work as the vendor lead"
figures vlead.json 'j["work_open"] == 19' 'j["work_done"] == 1' \
    && ok "the vendor lead's metrics work: acme's figures only" || fail "vendor scope of metrics work"
expect 1 "the vendor lead asking for billing's figures is refused" ctl --as vlead metrics work --team billing
grep -q PERMISSION_DENIED "$WORK/err" && ok "... PERMISSION_DENIED" || fail "refusal: $(cat "$WORK/err")"

# A month later: every window of 30 days from 11-02 has ended, so every
# open item is overdue; the ones in progress are closed after their due,
# so their SLA is missed.
restart "2026-12-03T09:00:00Z"
until_figures 30 kpi3.json ctl metrics kpi --json -- 'j["work_overdue"] == 57' \
    && ok "at 12-03 all 57 open items are overdue" || fail "overdue at 12-03"
ctl work state "${INT[2]}" done >/dev/null || fail "done ${INT[2]}"
ctl work state "${INT[3]}" done >/dev/null || fail "done ${INT[3]}"
ctl --as agent work state "${ACME[1]}" done >/dev/null || fail "agent done ${ACME[1]}"
until_figures 30 card3.json ctl metrics scorecard --json -- \
    '{t["team"]: t for t in j["teams"]}["billing"]["work_done"] == 4' \
    '{t["team"]: t for t in j["teams"]}["acme"]["work_done"] == 2' \
    && ok "three more done at 12-03" || fail "done at 12-03"
python3 - <<'PY' && ok "scorecard at 12-03: billing 2/4 and acme 1/2 within SLA; 36 and 18 overdue" || fail "scorecard at 12-03"
import json
teams = {t["team"]: t for t in json.load(open("card3.json"))["teams"]}
b, a = teams["billing"], teams["acme"]
assert (b["work_open"], b["work_overdue"], b["sla_met_rate"]) == (36, 36, 0.5), b
assert (a["work_open"], a["work_overdue"], a["sla_met_rate"]) == (18, 18, 0.5), a
PY
[[ "$(ctl work list --overdue --limit 1000 --json | items)" == 54 ]] && ok "work list --overdue agrees: 54" \
    || fail "work list --overdue differs from metrics"

# q-acme rolls back to internal: its 18 open items are billing's at once
# (open and overdue follow the team that owns the work now, as `work list`
# shows it), while what acme did stays acme's (2 done, 1 within SLA).
ctl queue phase q-acme internal >/dev/null || fail "queue phase q-acme internal"
until_figures 30 card4.json ctl metrics scorecard --json -- \
    '{t["team"]: t for t in j["teams"]}["billing"]["work_open"] == 54' \
    && ok "after the rollback: billing owns all 54 open items" || fail "open items after the rollback"
python3 - <<'PY' && ok "after the rollback: acme keeps its 2 done, 1 within SLA, and owns nothing open" || fail "flows after the rollback"
import json
teams = {t["team"]: t for t in json.load(open("card4.json"))["teams"]}
b, a = teams["billing"], teams["acme"]
assert (b["work_open"], b["work_overdue"], b["work_done"], b["sla_met_rate"]) == (54, 54, 4, 0.5), b
assert (a["work_open"], a["work_overdue"], a["work_done"], a["sla_met_rate"]) == (0, 0, 2, 0.5), a
PY
# (every item the test touched is done by now, so the open ones are "open")
[[ "$(ctl work list --team billing --state open --limit 1000 --json | items)" == 54 ]] \
    && ok "work list --team billing --state open agrees: 54" || fail "work list --team billing --state open differs"

test_finish work-metrics
