#!/usr/bin/env bash
# Long patient control numbers, with real processes (Issue 12 item 3): the
# claims service read PCNs back from its status index into 128-byte
# buffers, so a claim whose PCN is longer (here 205 characters) entered but
# was never found again: `claims submit` silently left it out and
# `claims list --status` did not show it. Every such buffer is now sized
# from the data; this sends claims with PCNs of 205 and 300 characters
# through intake, claims list and claims submit: they are listed whole, and
# submit refuses them by name (CLM01 holds 38 characters) while it sends the
# others. The PCNs are made here, not read from rcmq.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/claims-long-pcn.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-long-pcn 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 31 --claims 6 --date 2026-11-01 --out short.837 --expect short.json

# The 2nd and 4th claims get long PCNs (205 and 300 characters).
python3 - <<'PY'
import json
text = open("short.837").read()
el, term = text[3], text[105]
pcns = [c["pcn"] for c in json.load(open("short.json"))["claims"]]
long = {pcns[1]: "L" * 195 + "0000000205", pcns[3]: "M" * 290 + "0000000300"}
for old, new in long.items():
    assert text.count("CLM" + el + old + el) == 1, old
    text = text.replace("CLM" + el + old + el, "CLM" + el + new + el)
open("long.837", "w").write(text)
want = [long.get(p, p) for p in pcns]
open("pcns.json", "w").write(json.dumps(want))
assert sorted(map(len, want))[-2:] == [205, 300]
PY

# A PCN longer than CLM01's 38 characters never reaches claims now: intake
# refuses it (LEN001, issue 12 item 3), naming the element. The claims side
# (sized from the data, submit naming a PCN it cannot send) stays for events
# logged before the element limits; unit and scope tests cover its paths.
ctl intake submit long.837 >/dev/null || fail "intake submit"
for _ in $(seq 1 120); do
    [[ "$(ctl claims list --status ready --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" == 4 ]] && break
    sleep 0.5
done
ctl claims list --status ready --json >ready.json || fail "claims list --status ready"
python3 - <<'PY' && ok "the four claims with a short PCN are ready, the long ones are not" || fail "the ready list"
import json
want = sorted(p for p in json.load(open("pcns.json")) if len(p) <= 38)
got = sorted(c["pcn"] for c in json.load(open("ready.json")))
assert got == want, (got, want)
PY
ctl --json intake rejections --limit 100 >rejections.json || fail "intake rejections"
python3 - <<'PY' && ok "intake refused both long PCNs with LEN001 naming CLM01 and its length" || fail "rejections: $(head -c 1500 rejections.json)"
import json
doc = json.load(open("rejections.json"))
rows = doc["rejections"] if isinstance(doc, dict) else doc
found = []
for r in rows:
    for e in r.get("errors", []):
        if e.get("rule") == "LEN001" and "CLM01" in e.get("message", ""):
            found.append(e["message"])
assert len(found) == 2, found
assert any("2300 CLM01 is 205 characters, at most 38" in m for m in found), found
assert any("2300 CLM01 is 300 characters, at most 38" in m for m in found), found
PY

ctl claims submit --json >submit.json || fail "claims submit"
python3 - "$OUTBOUND" <<'PY' && ok "claims submit sends the four others" || fail "submission"
import json, os, sys
reply = json.load(open("submit.json"))
short = sorted(p for p in json.load(open("pcns.json")) if len(p) <= 38)
assert reply.get("claims") == len(short) == 4, reply
sent = []
for name in reply["files"]:
    text = open(os.path.join(sys.argv[1], name)).read()
    el, term = text[3], text[105]
    sent += [s.strip("\r\n").split(el)[1] for s in text.split(term) if s.strip("\r\n").startswith("CLM" + el)]
assert sorted(sent) == short, sent
PY

if grep -l "runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$RCMQ_VAR"/log/*.log 2>/dev/null; then
    fail "a process logged a sanitizer report (above)"
else
    ok "no sanitizer report in any process log"
fi

echo "$failures failed"
((failures == 0))
