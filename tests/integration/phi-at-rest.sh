#!/usr/bin/env bash
# Patient data at rest (Issue 12 item 6), with a whole deployment: 837P
# files come in through intake's inbox folder and `rcmqctl intake submit`,
# claims are submitted, scripts/payer-sim acknowledges (with rejections)
# and pays or denies them, rcmqctl posts the 277CA and 835 files, a claim is
# corrected and sent again. Then, with rcmq stopped, every store
# (`mdb_dump -a -p`) and every file under the data folder is searched for
# the patients' and subscribers' names, member ids, street addresses and
# dates of birth, taken from the generated 837P files by an independent
# reading here (NM1*IL / NM1*QC with their N3 and DMG), less any word that
# also stands in the files outside those loops (a provider's name can be a
# patient's). None may be found, except in the outbound 837P files meant
# for the clearinghouse and payers, which must be mode 0600 in 0700
# folders; every folder under data/ must be 0700 and every file 0600.
# Positive controls: the same search finds them in the input files, and in
# the outbound 837P files, so the search can fail.
# Patients are also viewed (`claims show` as admin, issue 14): the answers
# hold the PHI in full (a control too), and the access records those views
# leave on the audit stream, in the broker's and the services' stores, name
# the fields shown, never their values.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/phi-at-rest.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init phi-at-rest 27800
export RCMQ_NOW="2026-11-02T09:00:00Z"
DATA="$RCMQ_VAR/data"

accepted() { python3 -c 'import json,sys; print(sum(c["accepted"] for a in sys.argv[1:] for c in json.load(open(a))["claims"]))' "$@"; }

start_deployment
mkdir in
python3 "$ROOT/scripts/gen-837" --seed 61 --claims 30 --date 2026-11-01 --control 100 --out in/a.837 --expect a.json
python3 "$ROOT/scripts/gen-837" --seed 62 --claims 20 --date 2026-11-01 --control 200 \
    --error-rate MBR001=0.1 --error-rate DX001=0.1 --out in/b.837 --expect b.json
WANT="$(accepted a.json b.json)"

ctl intake submit in/a.837 >/dev/null || fail "intake submit"
# The inbox: written under a dot name, then renamed, as a sender should.
cp in/b.837 "$DATA/inbox/.b.837" && mv "$DATA/inbox/.b.837" "$DATA/inbox/b.837"
for _ in $(seq 1 120); do
    [[ "$(ctl claims list --limit 1000 --json 2>/dev/null | count)" == "$WANT" ]] && break
    sleep 0.5
done
[[ "$(ctl claims list --limit 1000 --json | count)" == "$WANT" ]] && ok "$WANT claims entered" || fail "claims did not all enter"
for _ in $(seq 1 60); do [[ -e "$DATA/inbox/b.837" ]] || break; sleep 0.5; done
[[ -e "$DATA/inbox/b.837" ]] && fail "the inbox file was not taken"

ctl claims submit >/dev/null || fail "claims submit"
mkdir sent && cp "$DATA"/outbound/*.x12 sent/
"$ROOT/scripts/payer-sim" --seed 7 --out sim --expect sim.json --accept-rate 0.85 --missing-277-rate 0 \
    --mix paid=0.5,partial=0.2,denied=0.3 --waves 1 sent >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "claims ack $file"; done
for file in sim/835-*.x12; do ctl claims post "$file" >/dev/null || fail "claims post $file"; done
DENIED="$(python3 -c 'import json; print([c["pcn"] for c in json.load(open("sim.json"))["claims"] if c["status"] == "denied"][0])')"
ctl claims correct "$DENIED" --reason "corrected codes" --total 99.00 >/dev/null || fail "claims correct"
ctl claims submit >/dev/null || fail "second claims submit"
mkdir shown
python3 -c 'import json,sys; print("\n".join(c["pcn"] for c in json.load(sys.stdin)[:10]))' \
    < <(ctl claims list --limit 10 --json) >shown.txt
while read -r pcn; do
    ctl claims show "$pcn" --json >"shown/$pcn.json" || fail "claims show $pcn"
done <shown.txt
[[ "$(wc -l <shown.txt)" -eq 10 ]] || fail "claims list gave $(wc -l <shown.txt) claims to show"
"$ROOT/scripts/run" stop >/dev/null 2>&1

# The search: every term of the input's patient and subscriber loops.
cat >scan.py <<'PY'
import os, re, subprocess, sys

def segments(path):
    text = open(path, newline="").read()
    el, term = text[3], text[105]
    return [s.strip("\r\n").split(el) for s in text.split(term) if s.strip("\r\n")]

def phi_terms(paths):
    """Names, member ids, street lines, birth dates of NM1*IL / NM1*QC
    loops, less words that also occur outside those loops."""
    terms, other = set(), []
    for path in paths:
        in_person = False
        for seg in segments(path):
            if seg[0] == "NM1":
                in_person = seg[1] in ("IL", "QC")
                if in_person:
                    terms.update(x for x in seg[3:5] if len(x) >= 3)
                    if len(seg) > 9 and seg[9]:
                        terms.add(seg[9])
                    continue
            elif seg[0] in ("HL", "CLM", "SBR", "PAT"):
                in_person = False
            if in_person and seg[0] == "N3":
                terms.update(x for x in seg[1:] if x)
                continue
            if in_person and seg[0] == "DMG":
                terms.add(seg[2])
                continue
            if in_person and seg[0] == "N4":
                continue        # city, state, zip: with the address
            other.append("*".join(seg))
    other = "\n".join(other)
    return sorted(t for t in terms if not re.search(r"(?<![A-Z0-9])%s(?![A-Z0-9])" % re.escape(t), other))

def find(terms, text):
    return sorted(t for t in terms if re.search(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(t), text))

mode, *args = sys.argv[1:]
terms = phi_terms(sorted(os.path.join("in", n) for n in os.listdir("in")))
assert len(terms) > 50, terms
if mode == "terms":
    print(len(terms))
elif mode == "file":
    for path in args:
        hits = find(terms, open(path, "rb").read().decode("latin-1"))
        print("%s\t%d\t%s" % (path, len(hits), " ".join(hits[:5])))
elif mode == "store":
    for env in args:
        dump = subprocess.run(["mdb_dump", "-a", "-p", env], capture_output=True, check=True).stdout
        hits = find(terms, dump.decode("latin-1"))
        print("%s\t%d\t%s" % (env, len(hits), " ".join(hits[:5])))
PY
python3 scan.py terms >terms.txt && ok "$(cat terms.txt) patient terms read from the generated files" || fail "too few patient terms"

# Positive controls: the input files and the outbound 837P files hold them.
python3 scan.py file in/a.837 in/b.837 >control.txt
awk -F'\t' '$2 == 0 { bad = 1 } END { exit bad }' control.txt && ok "the search finds them in the input files" \
    || fail "the search finds nothing in the input files: $(cat control.txt)"
find "$DATA/outbound" -name '*.x12' -type f | sort >outbound.txt
python3 scan.py file $(cat outbound.txt) >control2.txt
awk -F'\t' '$2 > 0 { any = 1 } END { exit !any }' control2.txt && ok "the search finds them in the outbound 837P files" \
    || fail "the search finds nothing in the outbound files"
python3 scan.py file shown/*.json >control3.txt
awk -F'\t' '$2 == 0 { bad = 1 } END { exit bad }' control3.txt && ok "the search finds them in every claims show admin ran" \
    || fail "a claims show as admin holds no patient data: $(cat control3.txt)"

# Every store.
find "$DATA" -name data.mdb -printf '%h\n' | sort >stores.txt
[[ "$(wc -l <stores.txt)" -ge 7 ]] || fail "only $(wc -l <stores.txt) stores found"
python3 scan.py store $(cat stores.txt) >stores-hits.txt
if awk -F'\t' '$2 > 0 { print "  " $0; bad = 1 } END { exit bad }' stores-hits.txt; then
    ok "no patient name, member id, address or birth date in any of $(wc -l <stores.txt) stores"
else
    fail "patient data in plaintext in a store (above)"
fi

# Every other file under data/.
find "$DATA" -type f ! -name data.mdb ! -name lock.mdb | sort | grep -vxF -f outbound.txt >files.txt || true
if [[ -s files.txt ]]; then
    python3 scan.py file $(cat files.txt) >files-hits.txt
    if awk -F'\t' '$2 > 0 { print "  " $0; bad = 1 } END { exit bad }' files-hits.txt; then
        ok "no patient data in the $(wc -l <files.txt) other files under data/ (acks, reports, inbox, register)"
    else
        fail "patient data in plaintext in a file under data/ (above)"
    fi
fi

# The process logs (DESIGN §4: no PHI in logs).
python3 scan.py file "$RCMQ_VAR"/log/*.log >logs-hits.txt
if awk -F'\t' '$2 > 0 { print "  " $0; bad = 1 } END { exit bad }' logs-hits.txt; then
    ok "no patient data in any process log"
else
    fail "patient data in a process log (above)"
fi

# Modes: folders 0700, files 0600, from data/ down.
bad="$(find "$DATA" \( \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) \) -printf '%m %p\n')"
[[ -z "$bad" ]] && ok "every folder under data/ is 0700 and every file 0600" || fail "modes: $bad"

echo "$failures failed"
((failures == 0))
