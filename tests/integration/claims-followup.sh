#!/usr/bin/env bash
# Follow-up work on claims, with real processes: every open claim can get an
# assignee, a next-action date and notes (claims.FollowUp), and the due list
# (claims.ListFollowUp) holds the open claims whose next action has come or
# whose payer has not answered within the follow-up days since submission,
# oldest first. Settings come from the environment here: a window of 0
# days for each payer of the generated claims
# (RCMQ_CLAIMS_FOLLOW_UP_DAYS_<payer id>=0, which beats the queue's
# --follow-up-days) makes every submitted claim due at once.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/claims-followup.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-followup 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"

python3 "$ROOT/scripts/gen-837" --seed 5 --claims 20 --date 2026-11-01 --out claims.837 --expect claims.json
for payer in $(python3 -c 'import json; print(" ".join(sorted({c["payer_id"] for c in json.load(open("claims.json"))["claims"]})))'); do
    export "RCMQ_CLAIMS_FOLLOW_UP_DAYS_$payer=0"
done
start_deployment
ctl intake submit claims.837 >/dev/null || fail "intake submit"

# Claims arrive through the event stream: wait until all 20 are in.
for _ in $(seq 1 60); do
    [[ "$(ctl claims list --json 2>/dev/null | count)" == 20 ]] && break
    sleep 0.5
done
[[ "$(ctl claims list --json | count)" == 20 ]] && ok "20 claims entered" || fail "claims did not all enter"

[[ "$(ctl claims due --json | count)" == 0 ]] && ok "nothing is due before any follow-up or submission" \
    || fail "claims are due with nothing to follow up"

# An assignee is a person the access registry holds as active
# (claims.FollowUp refuses others): a key file alone is no one.
ctl keys add dana --role internal-biller >/dev/null 2>&1 || fail "keys add dana"
if ctl claims followup P50000003 --assign dana >/dev/null 2>&1; then
    fail "an assignee with a key file but no grant was taken"
else
    ok "an assignee with a key file but no grant is refused"
fi
rcmq_grant "$CTL" "$CONF" dana internal-biller internal || fail "granting dana through the registry"
ctl claims followup P50000003 --assign dana --next 2026-10-30 --note "payer said resubmit" >/dev/null \
    && ok "follow-up set" || fail "claims followup"
ctl claims due --json >due.json
python3 - <<'PY' && ok "the claim whose next action has come is due, with its assignee and note" || fail "due list after follow-up"
import json
due = json.load(open("due.json"))
assert [c["pcn"] for c in due] == ["P50000003"], due
assert due[0]["assignee"] == "dana" and due[0]["next_action_date"] == "20261030", due[0]
assert due[0]["notes"][0]["text"] == "payer said resubmit" and due[0]["notes"][0]["actor"] == "admin", due[0]
PY

if ctl claims followup P50000004 --next "next tuesday" >/dev/null 2>&1; then
    fail "a next action date that is not a date was taken"
else
    ok "a next action date that is not a date is refused"
fi
ctl claims followup P50000004 --next 2026-12-24 >/dev/null && ok "a future next action date is taken" || fail "a future next action date"

ctl claims submit >/dev/null || fail "claims submit"
ctl claims due --limit 100 --json >due.json
python3 - <<'PY' && ok "after submission with 0 follow-up days every unanswered claim is due, oldest first" || fail "due list after submission"
import json
due = json.load(open("due.json"))
pcns = [c["pcn"] for c in due]
assert len(pcns) == 20, pcns
# P50000003 (next action 2026-10-30) comes before the ones due since today.
assert pcns[0] == "P50000003", pcns
assert all(c["status"] == "submitted" for c in due), [c["status"] for c in due]
PY

ctl claims show P50000003 --json >show.json
python3 - <<'PY' && ok "the claim's history records the submission" || fail "claims show history"
import json
claim = json.load(open("show.json"))
moves = [(h["from_status"], h["to_status"]) for h in claim["history"]]
assert moves == [("", "ready"), ("ready", "submitted")], moves
PY

# Scope: a vendor's agent sees only claims of queues in pilot or vendor
# phase whose vendor team is theirs. The 20 claims above sit in the default
# (internal) queue; 10 more are routed to a queue already with the vendor.
rcmq_grant "$CTL" "$CONF" agent vendor-agent acme 2099-12-31 || fail "granting the vendor agent"
ctl queue create q-acme --owner-team internal-ar --vendor-team acme --phase vendor >/dev/null \
    || fail "queue create q-acme"
python3 "$ROOT/scripts/gen-837" --seed 6 --claims 10 --date 2026-11-01 --control 5000 --out more.837
ctl intake submit more.837 >/dev/null || fail "intake submit more.837"
for _ in $(seq 1 60); do
    [[ "$(ctl claims list --json 2>/dev/null | count)" == 30 ]] && break
    sleep 0.5
done
ctl --as agent claims list --json >agent.json 2>agent.err || fail "claims list as the vendor agent"
python3 - <<'PY' && ok "the vendor agent sees exactly the 10 claims of its vendor-phase queue" || fail "vendor scope"
import json
claims = json.load(open("agent.json"))
assert len(claims) == 10, [c["pcn"] for c in claims]
assert all(c["queue"] == "q-acme" and c["owner_team"] == "acme" for c in claims), claims
PY
if ctl --as agent claims show P50000003 >/dev/null 2>&1; then
    fail "the vendor agent read a claim of an internal queue"
else
    ok "a claim of an internal queue is not found for the vendor agent"
fi
if ctl --as agent claims submit >/dev/null 2>&1; then
    fail "the vendor agent submitted claims"
else
    ok "the vendor agent may not submit claims (PERMISSION_DENIED)"
fi

# Under the sanitizers a process that hit undefined behaviour has died or
# logged it; either way the run fails here, naming the process.
if grep -l "runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$RCMQ_VAR"/log/*.log 2>/dev/null; then
    fail "a process logged a sanitizer report (above)"
else
    ok "no sanitizer report in any process log"
fi

echo "$failures failed"
((failures == 0))
