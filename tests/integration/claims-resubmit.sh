#!/usr/bin/env bash
# Corrections and voids after adjudication, with real processes: claims are
# submitted, scripts/payer-sim acknowledges and adjudicates them (paid and
# denied), rcmqctl posts its 277CA and 835 files, then a paid and a denied
# claim are voided and another paid and denied one corrected, and the next
# `claims submit` must send them (frequency 8 / 7 with the payer's claim
# number in REF*F8) without stopping rcmq-claims, which crashed at every
# submit after a void or correction (Issue 12 item 2). A second submit sends
# nothing. Expected figures come from gen-837's and payer-sim's records.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/claims-resubmit.sh
# With an ASan build (RCMQ_BUILD=build-asan) any sanitizer report fails it.

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-resubmit 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

# Without the sanitizers, glibc's checking malloc makes a bad free abort at
# once (a free of protobuf-c's shared empty string can otherwise pass
# silently and corrupt the heap for later).
if [[ "${RCMQ_SANITIZE:-0}" != 1 && -e /usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0 ]]; then
    export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0 MALLOC_CHECK_=3
fi

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 21 --claims 24 --date 2026-11-01 --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims 24 && ok "24 claims entered" || fail "claims did not all enter"

ctl claims submit --json >submit1.json || fail "first claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/

# The payers: every claim acknowledged, half paid, half denied, one wave.
"$ROOT/scripts/payer-sim" --seed 4 --out sim --expect sim.json --accept-rate 1 --missing-277-rate 0 \
    --mix paid=0.5,denied=0.5 --waves 1 round1 >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done

# Two paid and two denied claims, by the payer's own record.
python3 - >picks.txt <<'PY'
import json
claims = json.load(open("sim.json"))["claims"]
paid = [c for c in claims if c["status"] == "paid"]
denied = [c for c in claims if c["status"] == "denied"]
assert len(paid) >= 2 and len(denied) >= 2, (len(paid), len(denied))
for c in (paid[0], denied[0], paid[1], denied[1]):
    print(c["pcn"], c["payer_claim_number"], c["charge_cents"])
PY
read -r VOID_PAID VOID_PAID_ICN _ < <(sed -n 1p picks.txt)
read -r VOID_DENIED VOID_DENIED_ICN _ < <(sed -n 2p picks.txt)
read -r FIX_PAID FIX_PAID_ICN _ < <(sed -n 3p picks.txt)
read -r FIX_DENIED FIX_DENIED_ICN _ < <(sed -n 4p picks.txt)
for pcn in "$VOID_PAID" "$VOID_DENIED" "$FIX_PAID" "$FIX_DENIED"; do
    status="$(ctl claims show "$pcn" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
    [[ "$status" == paid || "$status" == denied ]] || fail "$pcn is $status before the void or correction"
done

ctl claims void "$VOID_PAID" --reason "billed in error" >/dev/null || fail "void a paid claim"
ctl claims void "$VOID_DENIED" --reason "wrong patient" >/dev/null || fail "void a denied claim"
ctl claims correct "$FIX_PAID" --reason "charge was wrong" --total 123.45 >/dev/null || fail "correct a paid claim"
ctl claims correct "$FIX_DENIED" --reason "resend" --total 77.00 >/dev/null || fail "correct a denied claim"

if ctl claims submit --json >submit2.json 2>submit2.err; then
    ok "claims submit after voids and corrections answers"
else
    fail "claims submit after voids and corrections: $(cat submit2.err)"
fi
ctl claims list --json >/dev/null 2>&1 && ok "rcmq-claims is still running" || fail "rcmq-claims died at submit"

# The new files carry the four claims, as the payer needs them.
python3 - "$OUTBOUND" "$VOID_PAID" "$VOID_PAID_ICN" "$VOID_DENIED" "$VOID_DENIED_ICN" \
          "$FIX_PAID" "$FIX_PAID_ICN" "$FIX_DENIED" "$FIX_DENIED_ICN" <<'PY' \
    && ok "voids go out with frequency 8 and corrections with 7, each with the payer's claim number" \
    || fail "the resubmitted claims"
import json, os, sys
outbound, args = sys.argv[1], sys.argv[2:]
want = {args[0]: ("8", args[1], None), args[2]: ("8", args[3], None),
        args[4]: ("7", args[5], "123.45"), args[6]: ("7", args[7], "77")}
reply = json.load(open("submit2.json"))
assert reply.get("claims") == 4, reply
first = set(json.load(open("submit1.json"))["files"])
files = reply["files"]
assert files and not first & set(files), (files, first)
seen = {}
for name in files:
    text = open(os.path.join(outbound, name)).read()
    el, term, comp = text[3], text[105], text[104]
    pcn = None
    for seg in (s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")):
        if seg[0] == "CLM":
            pcn = seg[1]
            seen[pcn] = {"freq": seg[5].split(comp)[2], "total": seg[2]}
        elif seg[0] == "REF" and seg[1] == "F8" and pcn:
            seen[pcn]["icn"] = seg[2]
assert set(seen) == set(want), (sorted(seen), sorted(want))
for pcn, (freq, icn, total) in want.items():
    assert seen[pcn]["freq"] == freq, (pcn, seen[pcn])
    assert seen[pcn].get("icn") == icn, (pcn, seen[pcn], icn)
    if total:
        assert float(seen[pcn]["total"]) == float(total), (pcn, seen[pcn])
PY

python3 - "$VOID_PAID" "$VOID_DENIED" "$FIX_PAID" "$FIX_DENIED" >expect_status.txt <<'PY'
import sys
print(sys.argv[1], "closed"); print(sys.argv[2], "closed")
print(sys.argv[3], "submitted"); print(sys.argv[4], "submitted")
PY
while read -r pcn want; do
    got="$(ctl claims show "$pcn" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' || echo "?")"
    [[ "$got" == "$want" ]] && ok "$pcn is $want" || fail "$pcn is $got, not $want"
done <expect_status.txt

ctl claims submit --json >submit3.json || fail "third claims submit"
python3 -c 'import json; r = json.load(open("submit3.json")); assert not r.get("claims") and not r.get("files"), r' \
    && ok "a submit with nothing to send sends nothing" || fail "a submit with nothing to send: $(cat submit3.json)"

# Under the sanitizers a process that hit undefined behaviour or a bad free
# has died or logged it; either way the run fails here, naming the process.
if grep -l "runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|munmap_chunk\|free():" \
        "$RCMQ_VAR"/log/*.log 2>/dev/null; then
    fail "a process logged a crash or sanitizer report (above)"
else
    ok "no crash or sanitizer report in any process log"
fi

echo "$failures failed"
((failures == 0))
