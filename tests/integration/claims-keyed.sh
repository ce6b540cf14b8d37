#!/usr/bin/env bash
# The claims store keyed by payer and PCN (ADR 82), with real processes:
#   - claims enter in PCN order with their payers mixed (gen-837): the
#     "claims" table holds them by payer, yet `claims list` (no status)
#     answers by PCN, whole and page by page (--limit/--after), and by
#     status too. Before, the list walked "claims" itself, PCN-keyed.
#   - a store of layout 3 (each record under its PCN, no claim_keys, as the
#     previous build left it) is refused until `scripts/run migrate`; a
#     record in it that does not decode fails the migration, which names
#     its PCN and writes nothing (the dump the same, still version 3);
#     mended, the migration to 4 leaves the same list, every claim shown
#     by PCN, and the claims go on (submitted, then acknowledged).
# Expected rows come from gen-837's records and from the list before the
# migration, never from the migrated store alone.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=22000 bash tests/integration/claims-keyed.sh

# shellcheck disable=SC2015
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init claims-keyed 28500
export RCMQ_NOW="2026-11-02T09:00:00Z"
OUTBOUND="$RCMQ_VAR/data/outbound"

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 43 --claims 40 --date 2026-11-01 --out claims.837 --expect claims.json
accepted="$(python3 -c 'import json; print(json.load(open("claims.json"))["totals"]["accepted"])')"
ctl intake submit claims.837 >/dev/null || fail "intake submit"
wait_claims "$accepted" && ok "$accepted claims entered" || fail "the claims did not all enter"

pcns() { python3 -c 'import json,sys; [print(c["pcn"]) for c in json.load(sys.stdin)]'; }

# ---------------------------------------------------------------------------
# The list by PCN, though the table is by payer.
ctl claims list --json --limit 1000 >before.json || fail "claims list --json"
pcns <before.json >before.pcns
python3 - <<'PY' && ok "claims list: all $accepted by PCN, their payers mixed (payer order differs)" \
    || fail "claims list order: $(tr '\n' ' ' <before.pcns)"
import json
rows = json.load(open("before.json"))
pcns = [r["pcn"] for r in rows]
assert pcns == sorted(pcns), "not by PCN"
assert len(set(r["payer_id"] for r in rows)) >= 3, "fewer than three payers: the test could not fail"
by_payer = [r["pcn"] for r in sorted(rows, key=lambda r: (r["payer_id"], r["pcn"]))]
assert by_payer != pcns, "payer order is PCN order: the test could not fail"
PY

: >pages.pcns
after="" pages=0
while :; do
    pages=$((pages + 1))
    ctl claims list --json --limit 7 ${after:+--after "$after"} >page.json || { fail "list page $pages"; break; }
    pcns <page.json >page.pcns
    [[ -s page.pcns ]] || break
    cat page.pcns >>pages.pcns
    after="$(tail -n 1 page.pcns)"
    ((pages < 50)) || { fail "list pages never end"; break; }
done
diff -q before.pcns pages.pcns >/dev/null && ok "pages of 7 after the last PCN: the same $accepted in the same order" \
    || fail "list pages: $(diff before.pcns pages.pcns | head -n 6)"
ctl claims list --json --status ready --limit 1000 | pcns >ready.pcns || fail "claims list --status ready"
diff -q before.pcns ready.pcns >/dev/null && ok "claims list --status ready: the same, by PCN" \
    || fail "list by status: $(diff before.pcns ready.pcns | head -n 6)"

# ---------------------------------------------------------------------------
# A store of layout 3: each record under its PCN (what follows the key's
# first 0), no claim_keys, stamped 3 -- what the previous build left.
stop_deployment
claims_store="$RCMQ_VAR/data/claims"
mdb_dump -a "$claims_store" >claims.dump
python3 - <<'PY' || fail "could not make the layout-3 dumps"
blocks, block = [], []
for line in open("claims.dump"):
    if line.startswith("db_pagesize="):
        continue            # mdb_load does not take it
    block.append(line)
    if line.strip() == "DATA=END":
        blocks.append(block); block = []

def layout3(damage):
    out, damaged = [], None
    version_key = " " + b"version".hex() + "\n"
    for b in blocks:
        if "database=claim_keys\n" in b:
            continue
        b = list(b)
        if "database=_store\n" in b:
            at = b.index(version_key)
            b[at + 1] = " %016x\n" % 3
        if "database=claims\n" in b:
            start = b.index("HEADER=END\n") + 1
            rows = []
            for i in range(start, len(b) - 1, 2):
                key = bytes.fromhex(b[i].strip())
                assert b"\0" in key, "a key without payer, 0, PCN"
                rows.append((key.split(b"\0", 1)[1], b[i + 1]))
            rows.sort()                             # LMDB's order: by PCN
            if damage:
                damaged = rows[len(rows) // 2][0].decode()
                rows[len(rows) // 2] = (rows[len(rows) // 2][0], " 0a7f01\n")
            b = b[:start] + [x for pcn, value in rows for x in (" " + pcn.hex() + "\n", value)] + ["DATA=END\n"]
        out += b
    return out, damaged

good, _ = layout3(False)
bad, damaged = layout3(True)
open("claims-v3.dump", "w").writelines(good)
open("claims-v3-damaged.dump", "w").writelines(bad)
open("damaged.pcn", "w").write(damaged + "\n")
PY
damaged="$(cat damaged.pcn)"

mv "$claims_store" "$WORK/claims-v4" && mkdir "$claims_store"
mdb_load -f claims-v3-damaged.dump "$claims_store" && ok "claims' store at layout 3, record $damaged damaged" \
    || fail "mdb_load of the damaged layout-3 store"
expect 1 "scripts/run on a layout-3 claims store" "$ROOT/scripts/run" --empty
grep -q "schema version 3, older than this program's 4" "$RCMQ_VAR/log/claims.log" \
    && ok "claims refuses it, asking for a migration" || fail "claims' log: $(tail -n 3 "$RCMQ_VAR/log/claims.log")"
stop_deployment
before="$(mdb_dump -a "$claims_store" | sha256sum)"
expect 1 "scripts/run migrate with a damaged record" "$ROOT/scripts/run" migrate
grep -q "record of $damaged in table claims does not decode" "$RCMQ_VAR/log/claims.log" "$WORK/out" "$WORK/err" \
    && ok "the migration names the record it cannot read ($damaged)" \
    || fail "no PCN named: $(tail -n 3 "$RCMQ_VAR/log/claims.log")"
stop_deployment
[[ "$(mdb_dump -a "$claims_store" | sha256sum)" == "$before" ]] \
    && ok "nothing written: the store's dump is the same, still layout 3" || fail "the failed migration changed the store"

rm -rf "$claims_store" "$RCMQ_VAR"/data/claims.backup-* && mkdir "$claims_store"
mdb_load -f claims-v3.dump "$claims_store" && ok "claims' store at layout 3, whole" || fail "mdb_load of the layout-3 store"
expect 0 "scripts/run migrate" "$ROOT/scripts/run" migrate
grep -q '"msg":"store migrated".*"from_version":3,"to_version":4' "$RCMQ_VAR/log/claims.log" \
    && ok "claims' store migrated from 3 to 4" || fail "no migration in claims' log"
stop_deployment
start_deployment
ctl claims list --json --limit 1000 >after.json || fail "claims list after migrate"
cmp -s before.json after.json && ok "after migrate claims list is the same, byte for byte" \
    || fail "after migrate: $(diff <(pcns <before.json) <(pcns <after.json) | head -n 6)"
shown=0
while read -r pcn; do
    ctl claims show "$pcn" --json >show.json 2>/dev/null \
        && [[ "$(python3 -c 'import json; print(json.load(open("show.json"))["pcn"])')" == "$pcn" ]] \
        && shown=$((shown + 1))
done <before.pcns
[[ "$shown" == "$accepted" ]] && ok "every one of the $accepted claims shown by its PCN" \
    || fail "$shown of $accepted claims shown after migrate"

# The claims go on: submitted, then acknowledged, under their keys.
ctl claims submit >/dev/null || fail "claims submit after migrate"
"$ROOT/scripts/payer-sim" --seed 7 --out sim --expect sim.json --accept-rate 1 --missing-277-rate 0 \
    --mix paid=1 --waves 1 "$OUTBOUND" >/dev/null || fail "payer-sim"
for file in sim/277CA-*.x12; do ctl claims ack "$file" >/dev/null || fail "ack $file"; done
ctl claims list --json --status accepted --limit 1000 | pcns >accepted.pcns || fail "claims list --status accepted"
diff -q before.pcns accepted.pcns >/dev/null && ok "all $accepted submitted and acknowledged after migrate, by PCN" \
    || fail "accepted after migrate: $(diff before.pcns accepted.pcns | head -n 6)"

test_finish claims-keyed
