#!/usr/bin/env bash
# claims.ListExceptions and claims.ListCredits are paged (issue 13: one
# paging helper, store_page_read), with real processes:
#   - 130 CLPs for PCNs rcmq never sent (payer-sim --unknown-claims) are 130
#     exceptions, more than a page (100): `claims exceptions --json` is
#     still one bare array of all 130, by id; --limit/--after give one page
#     at a time in the same order, an after past the last row gives [].
#     Before, --limit and --after did not exist and the method answered at
#     most 1000 rows with no way to go on.
#   - every paid claim paid again under a new trace is a credit balance; the
#     835s are posted one by one, so the credits of a later file are younger:
#     `claims credits --json` is {"credits": [...]} oldest first (by post
#     and transaction set, then PCN), and pages of --limit 5 followed by next_after give the same
#     order, the last page's next_after null. Before, the method sorted the
#     whole table on every call and had no pages.
#   - a claims store of layout 1 (credits, no age index) is refused until
#     `scripts/run migrate` builds the index; then the list is the same.
#   - a limit that is not a whole number from 1 to 1000 is a usage error.
# Expected rows come from payer-sim's records and its files, never from rcmq.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=21000 bash tests/integration/claims-paging.sh

# shellcheck disable=SC2015
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-paging 28200
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"
UNKNOWN=130

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 41 --claims 16 --date 2026-11-01 --out claims.837 --expect claims.json
accepted="$(python3 -c 'import json; print(json.load(open("claims.json"))["totals"]["accepted"])')"
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims "$accepted" && ok "$accepted claims entered" || fail "the claims did not all enter"
ctl claims submit >/dev/null || fail "claims submit"
mkdir round1 && cp "$OUTBOUND"/*.x12 round1/

# Round 1 pays every claim and brings the unknown CLPs; round 2 (another
# seed, so other traces) pays every claim again.
sim() {
    "$ROOT/scripts/payer-sim" --seed "$1" --out "$2" --expect "$2.json" --accept-rate 1 --missing-277-rate 0 \
        --mix paid=1 --waves 1 --unknown-claims "$3" round1 >/dev/null || fail "payer-sim $2"
}
sim 7 sim1 "$UNKNOWN"
sim 8 sim2 0
for file in sim1/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "ack $file"; done
for file in sim1/835-*.x12; do ctl claims post "$file" >/dev/null || fail "post $file"; done

# ---------------------------------------------------------------------------
# Exceptions: by id, payer/trace/PCN/1 for each unknown CLP.
python3 - <<'PY' >exceptions.want
import json
sim = json.load(open("sim1.json"))
ids = sorted("%s/%s/%s/1" % (u["payer_id"], u["trace"], u["pcn"]) for u in sim["unknown_claims"])
assert len(ids) == 130, len(ids)
print("\n".join(ids))
PY
ids() { python3 -c 'import json,sys; [print(e["id"]) for e in json.load(sys.stdin)]'; }
row() { sed -n "$1p" exceptions.want; }

ctl claims exceptions --json >all.json || fail "claims exceptions --json"
python3 -c 'import json,sys; assert isinstance(json.load(open("all.json")), list)' \
    && ok "claims exceptions --json is a bare array" || fail "claims exceptions --json: $(head -c 300 all.json)"
ids <all.json >all.ids
diff -q exceptions.want all.ids >/dev/null && ok "all $UNKNOWN exceptions, by id, across pages of 100" \
    || fail "claims exceptions: $(wc -l <all.ids) ids, not the $UNKNOWN payer-sim filed: $(diff exceptions.want all.ids | head -n 5)"

: >pages.ids
after=""
for page in 1 2 3; do
    ctl claims exceptions --json --limit 50 ${after:+--after "$after"} >"page$page.json" || fail "page $page"
    ids <"page$page.json" >>pages.ids
    after="$(tail -n 1 pages.ids)"
done
diff -q exceptions.want pages.ids >/dev/null && ok "three pages of --limit 50, each after the last id, are the whole list in order" \
    || fail "pages of 50: $(diff exceptions.want pages.ids | head -n 5)"
[[ "$(ids <page3.json | wc -l)" == 30 ]] && ok "the third page has the last 30" || fail "the third page: $(ids <page3.json | wc -l) rows"
[[ "$(ctl claims exceptions --json --limit 2 --after "$(row 57)" | ids | tr '\n' ' ')" == "$(row 58) $(row 59) " ]] \
    && ok "--limit 2 --after row 57 gives rows 58 and 59" || fail "--limit 2 --after row 57"
[[ "$(ctl claims exceptions --json --after "$(row "$UNKNOWN")")" == "[]" ]] \
    && ok "--after the last id gives []" || fail "--after the last id: $(ctl claims exceptions --json --after "$(row "$UNKNOWN")" | head -c 200)"
[[ "$(ctl claims exceptions --json --after "~")" == "[]" ]] && ok "--after past every id gives []" || fail "--after ~"
ctl claims exceptions --limit 3 >table.txt 2>table.err || fail "claims exceptions --limit 3 (table)"
[[ "$(($(wc -l <table.txt) - 1))" == 3 ]] && grep -qF "more: add --after $(row 3)" table.err \
    && ok "the table of one page says how to go on" || fail "table page: $(cat table.txt table.err | head -n 8)"

expect 2 "claims exceptions --limit abc" ctl claims exceptions --limit abc
grep -qF -- "--limit abc: expected a whole number from 1 to 1000" "$WORK/err" && ok "it names the limit" \
    || fail "$(cat "$WORK/err")"
expect 2 "claims exceptions --limit 0" ctl claims exceptions --limit 0
expect 2 "claims exceptions --limit 1001" ctl claims exceptions --limit 1001
expect 2 "claims credits --limit 12x" ctl claims credits --limit 12x

# ---------------------------------------------------------------------------
# Credits: round 2's 835s posted one at a time, the last file first, so the
# age order is not the files' order. A post's time is taken per transaction
# set (ST/SE) of the file: within a post, a set's credits are by PCN, and a
# later set's are younger, or tied with the earlier's to the millisecond and
# then merged with them by PCN.
ls sim2/835-*.x12 | sort -r >post.order
python3 - <<'PY' >credits.want
import json
sim1 = json.load(open("sim1.json"))
sim2 = json.load(open("sim2.json"))
traces1 = {r["trace"] for r in sim1["remittances"]}
assert not traces1 & {r["trace"] for r in sim2["remittances"]}, "round 2 reuses a trace"
paid1 = {c["pcn"] for c in sim1["claims"] if c["status"] == "paid" and c["paid_cents"] > 0}
paid2 = {c["pcn"] for c in sim2["claims"] if c["status"] == "paid" and c["paid_cents"] > 0}
rows = []
for post, path in enumerate(open("post.order").read().split()):
    text = open(path).read()
    el, term = text[3], text[105]
    st = -1
    for s in text.split(term):
        s = s.strip("\r\n").split(el)
        if s[0] == "ST":
            st += 1
        if s[0] == "CLP" and s[1] in paid1 and s[1] in paid2:
            rows.append((post, st, s[1]))
rows.sort()
assert len(rows) > 10 and [r[2] for r in rows] != sorted(r[2] for r in rows), rows
for post, st, pcn in rows:
    print(pcn, post, st)
PY
while read -r file; do ctl claims post "$file" >/dev/null || fail "post $file"; done <post.order
pcns() { python3 -c 'import json,sys; [print(c["pcn"]) for c in json.load(sys.stdin)["credits"]]'; }
# age_order FILE: the PCNs in FILE are those of credits.want in age order.
age_order() {
    python3 - "$1" <<'PY'
import itertools, sys
want = [line.split() for line in open("credits.want")]
got = open(sys.argv[1]).read().split()
where = {pcn: (int(post), int(st)) for pcn, post, st in want}
assert sorted(got) == sorted(where), ("not the credits payer-sim paid twice", got)
posts = [where[p][0] for p in got]
assert posts == sorted(posts), ("a later post's credit before an earlier one's", got)
for post, block in itertools.groupby(got, key=lambda p: where[p][0]):
    block = list(block)
    by_set = sorted(block, key=lambda p: (where[p][1], p))
    assert block in (by_set, sorted(block)), ("post %d: not by set then PCN" % post, block)
PY
}
credits="$(wc -l <credits.want)"

ctl claims credits --json >credits.json || fail "claims credits --json"
python3 -c 'import json; d = json.load(open("credits.json")); assert list(d) == ["credits"], list(d)' \
    && ok "claims credits --json is {\"credits\": [...]} as before" || fail "credits shape: $(head -c 300 credits.json)"
pcns <credits.json >credits.got
age_order credits.got && ok "all $credits credits, oldest post first, then by PCN" \
    || fail "credits order: $(tr '\n' ' ' <credits.got)"

: >credit-pages.got
after="" pages=0 last_next=""
while :; do
    pages=$((pages + 1))
    ctl claims credits --json --limit 5 ${after:+--after "$after"} >credit-page.json || { fail "credits page $pages"; break; }
    pcns <credit-page.json >>credit-pages.got
    last_next="$(python3 -c 'import json; print(json.dumps(json.load(open("credit-page.json"))["next_after"]))')"
    [[ "$last_next" == null ]] && break
    after="$(python3 -c 'import json; print(json.load(open("credit-page.json"))["next_after"])')"
    ((pages < 50)) || { fail "credits pages never end"; break; }
done
diff -q credits.got credit-pages.got >/dev/null \
    && ok "pages of 5 followed by next_after: the same $credits credits in the same order ($pages pages)" \
    || fail "credit pages: $(diff credits.got credit-pages.got | head -n 6)"
[[ "$pages" == $(((credits + 4) / 5)) ]] && ok "no empty page at the end: the last page's next_after is null" \
    || fail "$pages pages for $credits credits"

# ---------------------------------------------------------------------------
# A store of layout 1: the claims store as this build wrote it, without the
# age index, each record under its PCN alone (what follows the key's first
# 0; no claim_keys, ADR 82) and stamped version 1 (what an old build left).
stop_deployment
claims_store="$RCMQ_VAR/data/claims"
mdb_dump -a "$claims_store" >claims.dump
python3 - <<'PY' || fail "could not make the layout-1 dump"
blocks, block = [], []
for line in open("claims.dump"):
    if line.startswith("db_pagesize="):
        continue            # mdb_load does not take it
    block.append(line)
    if line.strip() == "DATA=END":
        blocks.append(block); block = []
out = []
version_key = " " + b"version".hex() + "\n"
for b in blocks:
    if "database=credits_by_age\n" in b or "database=claim_keys\n" in b:
        continue
    if "database=claims\n" in b:
        start = b.index("HEADER=END\n") + 1
        rows = sorted((bytes.fromhex(b[i].strip()).split(b"\0", 1)[1], b[i + 1]) for i in range(start, len(b) - 1, 2))
        b = b[:start] + [x for pcn, value in rows for x in (" " + pcn.hex() + "\n", value)] + ["DATA=END\n"]
    if "database=_store\n" in b:
        at = b.index(version_key)
        b[at + 1] = " %016x\n" % 1
    out += b
open("claims-v1.dump", "w").writelines(out)
PY
mv "$claims_store" "$WORK/claims-v2" && mkdir "$claims_store"
mdb_load -f claims-v1.dump "$claims_store" && ok "claims' store at layout 1, without credits_by_age" \
    || fail "mdb_load of the layout-1 store"
expect 1 "scripts/run on a layout-1 claims store" "$ROOT/scripts/run" --empty
grep -q "schema version 1, older than this program's 4" "$RCMQ_VAR/log/claims.log" \
    && ok "claims refuses it, asking for a migration" || fail "claims' log: $(tail -n 3 "$RCMQ_VAR/log/claims.log")"
stop_deployment
expect 0 "scripts/run migrate" "$ROOT/scripts/run" migrate
grep -q '"msg":"store migrated".*"from_version":1,"to_version":4' "$RCMQ_VAR/log/claims.log" \
    && ok "claims' store migrated from 1 to 4" || fail "no migration in claims' log"
stop_deployment
start_deployment
ctl claims credits --json | pcns >credits.migrated || fail "claims credits after migrate"
diff -q credits.got credits.migrated >/dev/null && ok "after migrate the same $credits credits in the same order" \
    || fail "after migrate: $(diff credits.got credits.migrated | head -n 6)"

test_finish claims-paging
