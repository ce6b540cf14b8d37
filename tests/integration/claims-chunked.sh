#!/usr/bin/env bash
# 277CA and 835 files larger than one request (issue 19), with real
# processes: every process's request limit is set to 32 KiB
# (api/max-request-bytes), so each payer's 277CA (~50 KB) and 835
# (~110 KB) of 2,000 claims is larger than one request, and `rcmqctl
# claims ack` / `claims post` send them in chunks (claims.UploadBegin /
# UploadChunk, common/spool.h) that the call then names. Before, the file
# went as ONE request and claims dropped the connection: nothing posted.
#
#   - the acknowledgements' accepted / rejected counts and the posts'
#     claims posted and paid cents are payer-sim's records;
#   - the claims' final statuses are payer-sim's;
#   - the same 835 posted again (chunked again) is a duplicate;
#   - nothing is left in the upload folder.
# The bad-input cases (unknown upload id, a chunk at a wrong offset, an
# abort, another identity's upload, an incomplete one) are the spool Check
# suites' (tests/unit/test_spool.c, tests/integration/test_claims_upload.c).
#
# Expected figures come from payer-sim's records, never from rcmq.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=31000 bash tests/integration/claims-chunked.sh

# shellcheck disable=SC2015
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-chunked 28300
export RCMQ_NOW="2026-11-02T09:00:00Z"
# Every process (and rcmqctl) reads the limit from the environment, as it
# would from the deployment's config.
LIMIT=32768
export RCMQ_API_MAX_REQUEST_BYTES=$LIMIT
CLAIMS=2000
OUTBOUND="$RCMQ_VAR/data/outbound"
# Large files take a while on a loaded machine.
CTL_TIMEOUT_MS=120000

# Every claim (claims list pages of 1000) as one JSON array on stdout.
all_claims() {
    python3 - "$CTL" "$CONF" <<'PY'
import json, subprocess, sys
ctl, conf = sys.argv[1:3]
rows, after = [], None
while True:
    command = [ctl, "--config", conf, "claims", "list", "--limit", "1000", "--json"]
    page = json.loads(subprocess.check_output(command + (["--after", after] if after else [])))
    rows += page
    if len(page) < 1000:
        break
    after = page[-1]["pcn"]
json.dump(rows, sys.stdout)
PY
}
entered() { [[ "$(all_claims 2>/dev/null | count)" == "$1" ]]; }

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 19 --claims "$CLAIMS" --date 2026-11-01 --out claims.837 --expect claims.json
accepted="$(python3 -c 'import json; print(json.load(open("claims.json"))["totals"]["accepted"])')"
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_for 180 entered "$accepted" && ok "$accepted claims entered" \
    || fail "the claims did not all enter ($(all_claims | count) of $accepted)"
ctl claims submit >/dev/null || fail "claims submit"
mkdir sent && cp "$OUTBOUND"/*.x12 sent/
"$ROOT/scripts/payer-sim" --seed 23 --out sim --expect sim.json --accept-rate 0.9 --missing-277-rate 0 \
    --mix paid=0.7,partial=0.1,denied=0.2 --waves 1 sent >/dev/null || fail "payer-sim"

small=0
for file in sim/277CA-*.x12 sim/835-*.x12; do
    [[ "$(stat -c %s "$file")" -gt "$LIMIT" ]] || { small=1; fail "$file is not larger than the $LIMIT-byte limit"; }
done
((small == 0)) && ok "every 277CA and 835 is larger than one request ($LIMIT bytes)"

# send_all COMMAND FILE...: `claims COMMAND` of each file, its reply in
# COMMAND<n>.json.
send_all() {
    local command="$1" n=0; shift
    for file in "$@"; do
        n=$((n + 1))
        ctl --json claims "$command" "$file" >"$command$n.json" 2>"$command$n.err" \
            || fail "claims $command $file: $(cat "$command$n.err")"
    done
}

# --- acknowledgements ------------------------------------------------------
send_all ack sim/277CA-*.x12
python3 - <<'PY' && ok "claims ack in chunks: accepted and rejected are payer-sim's" || fail "acknowledgement counts"
import glob, json
sim = json.load(open("sim.json"))
want = {"accepted": 0, "rejected": 0}
for claim in sim["claims"]:
    if claim["ack"] in want:
        want[claim["ack"]] += 1
got = {"accepted": 0, "rejected": 0, "unmatched": 0}
for path in glob.glob("ack*.json"):
    reply = json.load(open(path))
    for key in got:
        got[key] += reply.get(key, 0)
assert got["unmatched"] == 0, got
assert got["accepted"] == want["accepted"] and got["rejected"] == want["rejected"], (got, want)
assert want["rejected"] > 0 and want["accepted"] > 0, want
PY

# --- remittances -------------------------------------------------------------
send_all post sim/835-*.x12
python3 - <<'PY' && ok "claims post in chunks: claims posted and paid cents are payer-sim's" || fail "posting figures"
import glob, json
sim = json.load(open("sim.json"))
want_claims = sum(r["claims"] for r in sim["remittances"])
want_paid = sim["totals"]["paid_cents"]
posted = paid = exceptions = 0
for path in glob.glob("post*.json"):
    reply = json.load(open(path))
    assert not reply.get("duplicate"), (path, reply)
    posted += reply.get("claims_posted", 0)
    paid += int(reply.get("paid_cents", 0))
    exceptions += reply.get("exceptions", 0)
assert exceptions == 0, exceptions
assert posted == want_claims, (posted, want_claims)
assert paid == want_paid, (paid, want_paid)
PY
all_claims >final.json || fail "claims list"
python3 - <<'PY' && ok "every claim's status is payer-sim's" || fail "claim statuses differ from payer-sim's"
import collections, json
sim = json.load(open("sim.json"))
want = {c["pcn"]: c["status"] for c in sim["claims"]}
got = {c["pcn"]: c["status"] for c in json.load(open("final.json"))}
wrong = [(pcn, got.get(pcn), status) for pcn, status in want.items() if got.get(pcn) != status]
assert not wrong, (len(wrong), wrong[:5])
print("    statuses:", dict(collections.Counter(want.values())))
PY

first_835="$(ls sim/835-*.x12 | head -n 1)"
ctl --json claims post "$first_835" >again.json 2>again.err || fail "claims post again: $(cat again.err)"
python3 -c 'import json; r = json.load(open("again.json")); assert r.get("duplicate") is True and not r.get("claims_posted"), r' \
    && ok "the same 835 posted again in chunks is a duplicate" || fail "a second post was not a duplicate: $(cat again.json)"

[[ -z "$(ls -A "$RCMQ_VAR/data/claims-uploads" 2>/dev/null)" ]] && ok "no spooled file is left" \
    || fail "spooled files left: $(ls "$RCMQ_VAR/data/claims-uploads")"

test_finish claims-chunked
