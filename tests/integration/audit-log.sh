#!/usr/bin/env bash
# The audit log as a transparency log, with real processes (issue 16,
# docs/audit.md, ADR 26):
#
#   - claims come in through intake; a vendor agent lists and opens the
#     claims of its vendor-phase queue; an admin opens one; a biller polls
#     the claims list. A compliance user's `audit report patient MEMBER_ID`
#     lists exactly the requests this script made that touched that
#     patient's claim (actor and method, counted by the script itself);
#   - a full export and a patient export pass rcmq-audit-verify; the patient
#     export holds only that patient's records, each with its proof; code
#     written here from the signed-note spec and RFC 9162 (Python, with
#     cryptography's Ed25519) accepts its checkpoint and every proof;
#   - edits, a deletion, an insertion, a swap and a truncation of the full
#     export's lines are each detected and named; a checkpoint held from
#     before still verifies as a prefix;
#   - checkpoints keep coming while nothing happens;
#   - audit SIGKILLed while claims come in loses nothing and appends
#     nothing twice: every (stream, seq) once, streams without gaps;
#   - the audit store put back from an older copy is detected at start.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/audit-log.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init audit-log 27000
export RCMQ_NO_BUILD=1
export RCMQ_NOW="2026-11-02T09:00:00Z"
export RCMQ_AUDIT_CHECKPOINT_SECONDS=1 RCMQ_AUDIT_CHECKPOINT_RECORDS=25
VERIFY="$RCMQ_BUILD/services/audit/rcmq-audit-verify"

checkpoints() { ctl --as carol audit checkpoints --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["checkpoints"]))'; }
# verify DIR [ARGS...]: rcmq-audit-verify's exit code; its output in DIR.out
verify() { local dir="$1"; shift; "$VERIFY" "$dir" "$@" >"$dir.out" 2>&1 && return 0 || return $?; }

start_all_up
# The people, granted through the registry as a deployment grants anyone.
rcmq_grant "$CTL" "$CONF" carol compliance internal >/dev/null || fail "grant carol"
rcmq_grant "$CTL" "$CONF" dana internal-biller internal >/dev/null || fail "grant dana"
rcmq_grant "$CTL" "$CONF" agent vendor-agent acme 2027-12-31 >/dev/null || fail "grant agent"
KEY="$(ctl --as carol audit key)"
[[ "$KEY" =~ ^rcmq-audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$ ]] && ok "audit key is a signed-note verifier key" || fail "audit key: '$KEY'"

# --- a billing cycle's requests ---------------------------------------------
python3 "$ROOT/scripts/gen-837" --seed 16 --claims 6 --date 2026-11-01 --control 1600 --out internal.837
ctl queue create q-acme --owner-team internal-ar --vendor-team acme --phase vendor >/dev/null || fail "queue create"
python3 "$ROOT/scripts/gen-837" --seed 17 --claims 4 --date 2026-11-01 --control 1700 --out acme.837 --expect acme.json
ctl intake submit internal.837 >/dev/null || fail "intake submit internal.837"
ctl intake submit acme.837 >/dev/null || fail "intake submit acme.837"
# The patient: the first acme claim's subscriber, as the file names it.
read -r PCN MEMBER < <(python3 - <<'PY'
text = open("acme.837").read()
member = ""
for segment in text.replace("\n", "").split("~"):
    fields = segment.split("*")
    if fields[0] == "NM1" and fields[1] == "IL":
        member = fields[9]
    if fields[0] == "CLM":
        print(fields[1], member)
        break
PY
)
[[ -n "$PCN" && -n "$MEMBER" ]] && ok "the patient is $MEMBER, claim $PCN" || fail "no patient in acme.837"
# dana polls the list until every claim is in; each answer that held the
# patient's claim is an access to it.
dana_lists=0
for _ in $(seq 1 120); do
    ctl --as dana claims list --limit 1000 --json >list.json 2>/dev/null || true
    grep -q "\"$PCN\"" list.json && dana_lists=$((dana_lists + 1))
    [[ "$(count <list.json 2>/dev/null || echo 0)" == 10 ]] && break
    sleep 0.5
done
[[ "$(count <list.json)" == 10 ]] && ok "10 claims in" || fail "claims did not all come in"
ctl --as agent claims list --json >agent.json || fail "agent claims list"
grep -q "\"$PCN\"" agent.json && ok "the vendor agent sees the patient's claim" || fail "agent does not see $PCN"
ctl --as agent claims show "$PCN" >/dev/null || fail "agent claims show"
ctl claims show "$PCN" >/dev/null || fail "admin claims show"

# --- the patient's report ---------------------------------------------------
# Expected, from what this script did: dana's lists that held the claim,
# the agent's list and show, the admin's show.
expected="$(python3 -c "
import json
rows = [('dana', 'claims.List')] * $dana_lists + [('agent', 'claims.List'), ('agent', 'claims.Show'), ('admin', 'claims.Show')]
print(json.dumps(sorted(rows)))")"
reports=0
for _ in $(seq 1 60); do
    ctl --as carol audit report patient "$MEMBER" --json >report.json || fail "audit report patient"
    reports=$((reports + 1))
    got="$(python3 -c "
import json
rows = [(r['actor'], r['method']) for r in json.load(open('report.json'))['records'] if r['actor'] != 'carol']
print(json.dumps(sorted(rows)))")"
    [[ "$got" == "$expected" ]] && break
    sleep 0.5
done
[[ "$got" == "$expected" ]] && ok "the patient's report lists exactly the accesses made ($expected)" \
    || fail "patient report: got $got, expected $expected"
python3 - "$reports" <<'PY' && ok "each report is itself in the log, naming the patient by blind index only" || fail "report records"
import json, sys
rows = json.load(open("report.json"))["records"]
carol = [r for r in rows if r["actor"] == "carol"]
# Every report before this one is in it (the last one's record comes after its answer).
assert len(carol) == int(sys.argv[1]) - 1, (len(carol), sys.argv[1])
assert all(r["method"] == "audit.Query" and r["role"] == "compliance" for r in carol), carol
assert all(any(s.startswith("member:") for s in r["subjects"]) for r in carol), carol
assert not any("M0" in s or "M1" in s for r in rows for s in r["subjects"] if s.startswith("member:M")), rows
keys = {"index", "time", "actor", "role", "team", "service", "method", "outcome", "subjects"}
assert all(keys <= set(r) for r in rows), rows[0]
PY
ctl --as carol audit query --actor agent --limit 1 --json >page.json || fail "audit query --actor"
python3 - <<'PY' && ok "audit query pages: records and next_after" || fail "audit query paging"
import json
page = json.load(open("page.json"))
assert len(page["records"]) == 1 and page["next_after"] == str(page["records"][0]["index"]), page
PY
if ctl --as agent audit query >/dev/null 2>&1; then fail "a vendor agent read the audit log"; else ok "a vendor agent cannot query the audit log"; fi

# --- exports and the offline verifier ---------------------------------------
sleep 2      # a checkpoint seals what came
ctl --as carol audit export --out full >/dev/null || fail "audit export"
verify full --key "$KEY" && ok "the full export verifies" || { fail "full export: $(cat full.out)"; }
python3 - <<'PY' && ok "the full export carries the registry (identities, their history) under the manifest" || fail "registry.json"
import json
registry = json.load(open("full/registry.json"))
names = {i["name"] for i in registry["identities"]}
assert {"admin", "audit"} <= names and "admin" in registry["history"], names
assert "registry.json" in [f["name"] for f in json.load(open("full/manifest.json"))["files"]]
PY
ctl --as carol audit export --member-id "$MEMBER" --out patient >/dev/null || fail "audit export --member-id"
verify patient --key "$KEY" && ok "the patient export verifies (inclusion proofs)" || fail "patient export: $(cat patient.out)"
python3 - "$PCN" <<'PY' && ok "the patient export holds only that patient's records, each with a proof" || fail "patient export content"
import json, sys
lines = [json.loads(l) for l in open("patient/records.jsonl")]
assert lines, "empty"
for l in lines:
    assert sys.argv[1] in l["subjects"] or any(s.startswith("member:") for s in l["subjects"]), l["subjects"]
    assert "proof" in l or l["index"] >= json.load(open("patient/manifest.json"))["sealed_size"], l
PY
ctl --as carol audit verify >/dev/null && ok "audit verify: the live store matches its checkpoints" || fail "audit verify"
# Code that is not rcmq's reads rcmq's formats: the signed-note spec and RFC
# 9162's inclusion check written here from the texts, with Python's
# cryptography for Ed25519, against the patient export.
python3 - "$KEY" <<'PY' && ok "an independent signed-note and RFC 9162 check accepts the checkpoint and every proof" || fail "independent check"
import base64, glob, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
name, keyhash, key64 = sys.argv[1].split("+", 2)
key = base64.b64decode(key64)
assert key[0] == 1 and len(key) == 33
assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == keyhash
note = open(glob.glob("patient/checkpoints/*.checkpoint")[0], "rb").read()
text, sigs = note.rsplit(b"\n\n", 1)
text += b"\n"
line = sigs.decode().splitlines()[0]
assert line.startswith("\u2014 " + name + " ")
sig = base64.b64decode(line.split(" ")[2])
assert sig[:4].hex() == keyhash
Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], text)
origin, size, root64 = text.decode().splitlines()[:3]
size, root = int(size), base64.b64decode(root64)
H = lambda b: hashlib.sha256(b).digest()
checked = 0
for l in open("patient/records.jsonl"):
    r = json.loads(l)
    if "proof" not in r:
        continue
    fn, sn, h = r["index"], size - 1, H(b"\0" + base64.b64decode(r["leaf"]))
    for p in map(base64.b64decode, r["proof"]):
        assert sn != 0
        if fn & 1 or fn == sn:
            h = H(b"\1" + p + h)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            h = H(b"\1" + h + p)
        fn >>= 1; sn >>= 1
    assert sn == 0 and h == root, r["index"]
    checked += 1
assert checked > 0
PY

# Tampering with copies of the full export: each is detected and named.
tamper() {      # NAME PYTHON-EDIT EXPECTED-TEXT
    rm -rf "t-$1"; cp -r full "t-$1"
    python3 - "t-$1/records.jsonl" "$2" <<'PY'
import json, sys, base64
path, how = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
if how == "edit":       # the leaf itself, and its hash to match
    import hashlib
    l = json.loads(lines[3]); leaf = bytearray(base64.b64decode(l["leaf"])); leaf[-1] ^= 1
    l["leaf"] = base64.b64encode(bytes(leaf)).decode()
    l["leaf_hash"] = base64.b64encode(hashlib.sha256(b"\0" + bytes(leaf)).digest()).decode()
    lines[3] = json.dumps(l)
elif how == "field":    # only the decoded field a reader reads
    l = json.loads(lines[5]); l["actor"] = "someone-else"; lines[5] = json.dumps(l)
elif how == "delete":
    del lines[4]
elif how == "insert":
    lines.insert(6, lines[2])
elif how == "swap":
    lines[7], lines[8] = lines[8], lines[7]
elif how == "truncate":
    lines = lines[:5]
open(path, "w").write("\n".join(lines) + "\n")
PY
    if verify "t-$1" --key "$KEY"; then
        fail "$1: the tampered export verified"
    elif grep -q "$3" "t-$1.out"; then
        ok "$1 is detected: $(grep -m1 "$3" "t-$1.out")"
    else
        fail "$1: detected, but not named ('$3'): $(cat "t-$1.out")"
    fi
}
tamper edit     edit     "checkpoint .*records 0 to"
tamper field    field    "record 5: its fields are not its leaf's"
tamper delete   delete   "record 4 is missing"
tamper insert   insert   "line 7 holds record 2 where record 6 belongs (inserted)"
tamper swap     swap     "line 8 holds record 8 where record 7 belongs; that record is on line 9 (reordered)"
tamper truncate truncate "truncated"
grep -q "records.jsonl: its size or SHA-256 is not the manifest's" t-edit.out \
    && ok "the manifest's hash catches the edit too" || fail "manifest did not catch the edit"

# A checkpoint held from before is a prefix of the log now.
cp "$RCMQ_VAR/data/audit-checkpoints/latest" held.checkpoint
# --- idle -------------------------------------------------------------------
before="$(checkpoints)"
sleep 3
after="$(checkpoints)"
((after > before)) && ok "checkpoints keep coming while idle ($before -> $after)" || fail "no checkpoint while idle"

# --- SIGKILL mid-stream -----------------------------------------------------
python3 "$ROOT/scripts/gen-837" --seed 18 --claims 300 --date 2026-11-01 --control 1800 --out big.837
ctl intake submit big.837 >/dev/null || fail "intake submit big.837"
kill -KILL "$(cat "$RCMQ_VAR/run/audit.pid")"
sleep 0.5
start_all_up
for _ in $(seq 1 120); do
    ctl status --json >status.json 2>/dev/null || true
    python3 - <<'PY' && break
import json, sys
status = json.load(open("status.json"))
heads = {s["stream"]: s["head_seq"] for s in status["broker"]["streams"]}
audit = [p for p in status["processes"] if p["name"] == "audit"][0]
consumed = audit["consumed"]
sys.exit(0 if all(consumed.get(s, 0) >= h for s, h in heads.items() if s != "access") else 1)
PY
    sleep 0.5
done
cp status.json before-export.json      # heads audit had applied by then
sleep 2
ctl --as carol audit export --out after-kill >/dev/null || fail "export after the kill"
verify after-kill --key "$KEY" --checkpoint held.checkpoint \
    && ok "after SIGKILL the log verifies and extends the checkpoint held before" || fail "after kill: $(cat after-kill.out)"
python3 - <<'PY' && ok "after SIGKILL: every event once, no stream with a gap" || fail "events lost or doubled across the kill"
import json
status = json.load(open("before-export.json"))
heads = {s["stream"]: s["head_seq"] for s in status["broker"]["streams"]}
seen = {}
for line in open("after-kill/records.jsonl"):
    r = json.loads(line)
    key = (r["stream"], r["seq"])
    assert key not in seen, ("twice", key)
    seen[key] = True
for stream, head in heads.items():
    seqs = sorted(s for (st, s) in seen if st == stream)
    if stream == "access":      # its checkpoint events are not leaves
        assert seqs == sorted(set(seqs)) and all(1 <= s <= head for s in seqs), stream
        continue
    # Every event up to what audit had applied before the export, none
    # missing, none twice (later ones may follow: the export's own requests).
    assert seqs == list(range(1, len(seqs) + 1)), (stream, seqs[:5], head)
    assert len(seqs) >= head, (stream, len(seqs), head)
PY

# --- rollback: the audit store put back from an older copy ------------------
stop_all
cp -a "$RCMQ_VAR/data/audit" old-audit
start_all_up
ctl claims show "$PCN" >/dev/null || true
sleep 3     # new records, new checkpoints published
stop_all
rm -rf "$RCMQ_VAR/data/audit"
cp -a old-audit "$RCMQ_VAR/data/audit"
start_all_up
ctl status --json >status.json 2>/dev/null || true
grep -q "audit_log_rollback" status.json && ok "a store put back from an older copy is detected at start" \
    || fail "rollback not detected: $(grep -o '"problems"[^]]*' status.json | head -3)"
if ctl --as carol audit verify >verify.out 2>&1; then fail "audit verify passed on a rolled-back store"
else grep -q "older than what was published\|not the log that was published" verify.out \
    && ok "audit verify names the rollback" || fail "audit verify: $(cat verify.out)"; fi

stop_all || true
check_sanitizer
test_finish audit-log
