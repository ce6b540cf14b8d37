#!/usr/bin/env bash
# payer-sim.sh: scripts/payer-sim on generated 837P files (scripts/gen-837
# writes the same loops as our writer), checked three ways:
#   - an independent Python reading of every 835 and 277CA here: envelopes,
#     every line, claim and payment balanced, every SVC matched to a billed
#     line by REF*6R and procedure, and the files agreeing with --expect
#     claim by claim (paid, patient share, adjustments, acks, reversals);
#   - the claims service's own readers (remitcheck, built from
#     services/claims/remit835.c and ack277.c): every 835 read and balanced
#     with totals per file equal to the expectation's, every 277CA read with
#     the expected accepted / rejected counts;
#   - determinism (same seed, same bytes; another seed, other bytes), and a
#     tampered 835 that both checks must refuse.
# Env (scripts/test sets them): RCMQ_SOURCE, RCMQ_BUILD, TMPDIR; KEEP=1 keeps
# the work directory for a look after a failure.
set -euo pipefail

SOURCE="${RCMQ_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${RCMQ_BUILD:-$SOURCE/build}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/payer-sim.XXXXXX")"
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$WORK"' EXIT
cd "$WORK"

say() { echo "payer-sim.sh: $*"; }
fail() { echo "payer-sim.sh: FAIL: $*" >&2; exit 1; }

mkdir in
"$SOURCE/scripts/gen-837" --seed 11 --claims 1500 --envelopes 2 --out in/a.837
"$SOURCE/scripts/gen-837" --seed 12 --claims 300 --separators pipe --crlf --out in/b.837

sim() {
    "$SOURCE/scripts/payer-sim" --seed "$1" --out "$2" --expect "$2.json" --plb \
        --unknown-claims 7 --missing-277-rate 0.1 --accept-rate 0.9 \
        --mix paid=0.55,partial=0.15,denied=0.15,reversal=0.1,none=0.05 in
}
sim 5 out
sim 5 again
diff -r out again >/dev/null || fail "same seed, different files"
sed 's#"again/#"out/#g' again.json | cmp -s out.json - || fail "same seed, different expectation"
sim 6 other
if diff -r out other >/dev/null; then fail "another seed gave the same files"; fi
say "deterministic for a seed"

# The independent check. Exits non-zero naming the first problem.
cat >check.py <<'PY'
import json, os, sys

def cents(t):
    neg = t.startswith("-")
    t = t.lstrip("-")
    w, _, f = t.partition(".")
    assert len(f) <= 2, t
    v = int(w or 0) * 100 + int((f + "00")[:2])
    return -v if neg else v

def segments(path):
    text = open(path, newline="").read()
    el, comp, term = text[3], text[104], text[105]
    segs = [s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")]
    return segs, comp

def envelope(path, segs):
    """ISA/GS/ST..SE/GE/IEA counts and control numbers."""
    st = None; sets = 0
    for i, s in enumerate(segs):
        if s[0] == "ST": st = i; sets += 1; st02 = s[2]
        if s[0] == "SE":
            assert int(s[1]) == i - st + 1, "%s: SE01 %s, set has %d" % (path, s[1], i - st + 1)
            assert s[2] == st02, "%s: SE02" % path
        if s[0] == "GE": assert int(s[1]) == sets and s[2] == segs[1][6], "%s: GE" % path
        if s[0] == "IEA": assert s[2] == segs[0][13], "%s: IEA" % path

expect = json.load(open(sys.argv[1]))
billed = {}                     # pcn -> {line id: procedure composite}
for name in sorted(os.listdir("in")):
    segs, comp = segments(os.path.join("in", name))
    pcn = None
    for s in segs:
        if s[0] == "CLM": pcn = s[1]; billed[pcn] = {}
        elif s[0] == "SV1": proc = s[1].split(comp)
        elif s[0] == "REF" and s[1] == "6R": billed[pcn][s[2]] = proc

claims = {c["pcn"]: c for c in expect["claims"]}
assert set(claims) == set(billed), "expectation and 837 claims differ"
paid, share, adjust, statuses, remit_files = {}, {}, {}, {}, {}
unknown = {u["pcn"] for u in expect["unknown_claims"]}
seen_unknown = set()
per_file = {}
for path in expect["files"]["835"]:
    segs, comp = segments(path)
    envelope(path, segs)
    bpr = clp_sum = plb_sum = 0
    totals = per_file.setdefault(path, {"claims": 0, "bpr": 0, "clp": 0, "plb": 0})
    clp = svc = None
    def close_svc():
        if svc is not None:
            assert svc["charge"] - svc["cas"] == svc["paid"], "%s: line %s of %s does not balance" % (path, svc["id"], clp["pcn"])
    def close_clp():
        close_svc()
        if clp is not None:
            assert clp["charge"] - clp["cas"] == clp["paid"], "%s: claim %s does not balance" % (path, clp["pcn"])
            assert clp["pr"] == clp["pr_cas"], "%s: claim %s CLP05 is not its PR adjustments" % (path, clp["pcn"])
    def close_set():
        close_clp()
        assert bpr == clp_sum - plb_sum, "%s: BPR02 %d != CLP %d - PLB %d" % (path, bpr, clp_sum, plb_sum)
    for s in segs:
        sid = s[0]
        if sid == "ST": bpr = clp_sum = plb_sum = 0; clp = svc = None
        elif sid == "BPR": bpr = cents(s[2]); totals["bpr"] += bpr; assert bpr >= 0
        elif sid == "CLP":
            close_clp(); svc = None
            clp = {"pcn": s[1], "charge": cents(s[3]), "paid": cents(s[4]), "pr": cents(s[5]), "cas": 0, "pr_cas": 0}
            clp_sum += clp["paid"]; totals["clp"] += clp["paid"]; totals["claims"] += 1
            if s[1] in unknown:
                seen_unknown.add(s[1]); continue
            assert s[1] in billed, "%s: CLP for a claim never sent: %s" % (path, s[1])
            paid[s[1]] = paid.get(s[1], 0) + clp["paid"]
            share[s[1]] = share.get(s[1], 0) + clp["pr"]
            statuses.setdefault(s[1], []).append(s[2])
        elif sid == "SVC":
            close_svc()
            svc = {"charge": cents(s[2]), "paid": cents(s[3]), "cas": 0, "proc": s[1].split(comp), "id": None}
        elif sid == "REF" and s[1] == "6R":
            svc["id"] = s[2]
            if clp["pcn"] not in unknown:
                assert s[2] in billed[clp["pcn"]], "%s: REF*6R %s is no line of %s" % (path, s[2], clp["pcn"])
                assert billed[clp["pcn"]][s[2]] == svc["proc"], "%s: SVC01 %s is not the billed %s" % (path, svc["proc"], billed[clp["pcn"]][s[2]])
        elif sid == "CAS":
            for k in range(2, len(s), 3):
                if k + 1 < len(s) and s[k]:
                    amount = cents(s[k + 1])
                    clp["cas"] += amount
                    if s[1] == "PR": clp["pr_cas"] += amount
                    if svc is not None: svc["cas"] += amount
                    if clp["pcn"] not in unknown:
                        key = (clp["pcn"], s[1], s[k])
                        adjust[key] = adjust.get(key, 0) + amount
        elif sid == "PLB":
            for k in range(4, len(s), 2):
                plb_sum += cents(s[k]); totals["plb"] += cents(s[k])
        elif sid == "SE": close_set()

for pcn, c in claims.items():
    assert paid.get(pcn, 0) == c["paid_cents"], "%s: paid %d, expected %d" % (pcn, paid.get(pcn, 0), c["paid_cents"])
    assert share.get(pcn, 0) == c["patient_responsibility_cents"], "%s: patient share" % pcn
    net = sorted((g, r, a) for (p, g, r), a in adjust.items() if p == pcn and a)
    want = sorted((x["group"], x["carc"], x["amount_cents"]) for x in c["adjustments"])
    assert net == want, "%s: adjustments %s, expected %s" % (pcn, net, want)
    codes = statuses.get(pcn, [])
    assert len(codes) == len(c["remits"]) and codes == [r["status_code"] for r in c["remits"]], "%s: CLP02s %s" % (pcn, codes)
    if c["ack"] == "rejected":
        assert not codes and c["status"] == "rejected", "%s: a rejected claim was adjudicated" % pcn
    if c["outcome"] == "reversal":
        assert codes[1] == "22" and c["first_adjudication"] == "paid", "%s: reversal" % pcn
        assert c["remits"][1]["wave"] == 2 and c["remits"][0]["wave"] == 1, "%s: reversal waves" % pcn
    if c["outcome"] == "denied":
        assert codes == ["4"] and c["paid_cents"] == 0 and c["status"] == "denied", "%s: denial" % pcn
assert seen_unknown == unknown, "unknown claims missing from the 835s"
by_file = {}
for r in expect["remittances"]:
    t = by_file.setdefault(r["file"], {"claims": 0, "bpr": 0, "clp": 0, "plb": 0})
    t["claims"] += r["claims"]; t["bpr"] += r["paid_cents"]; t["clp"] += r["clp_paid_cents"]; t["plb"] += r["plb_cents"]
assert by_file == per_file, "per-file totals differ from the expectation"

acks = {}
for path in expect["files"]["277ca"]:
    segs, comp = segments(path)
    envelope(path, segs)
    pcn = None
    for s in segs:
        if s[0] == "TRN" and s[1] == "2" and s[2] in claims: pcn = s[2]
        elif s[0] == "STC" and pcn:
            acks[pcn] = s[1].split(comp)[0]; pcn = None
for pcn, c in claims.items():
    if c["ack"] == "none":
        assert pcn not in acks, "%s: acknowledged, expected no 277CA" % pcn
    else:
        assert acks.get(pcn) == c["ack_category"], "%s: 277CA %s, expected %s" % (pcn, acks.get(pcn), c["ack_category"])

t = expect["totals"]
mix = t["by_outcome"]
for outcome in ("paid", "partial", "denied", "reversal", "none", "rejected"):
    assert mix.get(outcome, 0) > 0, "no claim drew %s" % outcome
assert t["no_277"] > 0 and t["plb_cents"] != 0 and t["unknown_claims"] == len(unknown)
for line in open(sys.argv[2]) if len(sys.argv) > 2 else []:
    name, status, rest = line.split(" ", 2)
    assert status == "ok", line
    got = dict(kv.split("=") for kv in rest.split())
    want = per_file[name]
    assert (int(got["claims"]), int(got["bpr"]), int(got["clp"]), int(got["plb"])) == \
        (want["claims"], want["bpr"], want["clp"], want["plb"]), "remitcheck totals for %s: %s, expected %s" % (name, got, want)
for line in open(sys.argv[3]) if len(sys.argv) > 3 else []:
    name, status, rest = line.split(" ", 2)
    assert status == "ok", line
    got = dict(kv.split("=") for kv in rest.split())
    payer = os.path.basename(name)[len("277CA-"):-len(".x12")]
    mine = [c for c in claims.values() if c["payer_id"] == payer and c["ack"] != "none"]
    want = (len(mine), sum(c["ack"] == "accepted" for c in mine), sum(c["ack"] == "rejected" for c in mine))
    assert (int(got["claims"]), int(got["accepted"]), int(got["rejected"])) == want, \
        "ack277 counts for %s: %s, expected %s" % (name, got, want)
print("%d claims, %d 835 files, %d 277CA files: balanced and as expected; statuses %s"
      % (len(claims), len(per_file), len(expect["files"]["277ca"]), json.dumps(t["by_status"], sort_keys=True)))
PY

REMITCHECK="$BUILD/tests/integration/remitcheck"
if [[ -x "$REMITCHECK" ]]; then
    "$REMITCHECK" out/835-*.x12 >remitcheck.txt || { cat remitcheck.txt; fail "remit835 refused a payer-sim 835"; }
    "$REMITCHECK" --277 out/277CA-*.x12 >ackcheck.txt || { cat ackcheck.txt; fail "ack277 refused a payer-sim 277CA"; }
    python3 check.py out.json remitcheck.txt ackcheck.txt || fail "check of out/"
    say "remit835 reads and balances every 835; ack277 reads every 277CA"
else
    say "no $REMITCHECK (build it for the C reader's check); Python checks only"
    python3 check.py out.json || fail "check of out/"
fi

# Both checks must refuse a remit whose paid amount was changed by a cent.
mkdir tampered
first="$(ls out/835-*-w1.x12 | head -n 1)"
python3 - "$first" tampered/835.x12 <<'PY'
import sys
text = open(sys.argv[1], newline="").read()
at = text.index("~\nCLP*")
end = text.index("~", at + 2)
fields = text[at:end].split("*")
fields[4] = "%.2f" % (float(fields[4]) + 0.01)
open(sys.argv[2], "w", newline="").write(text[:at] + "*".join(fields) + text[end:])
PY
if [[ -x "$REMITCHECK" ]] && "$REMITCHECK" tampered/835.x12 >/dev/null; then
    fail "remitcheck accepted an 835 that does not balance"
fi
sed -i "s#\"$first\"#\"tampered/835.x12\"#" out.json
if python3 check.py out.json >/dev/null 2>&1; then
    fail "check.py accepted an 835 that does not balance"
fi
say "an unbalanced 835 is refused by both checks"
say "ok"
