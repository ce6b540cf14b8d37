#!/usr/bin/env bash
# bench/pageprobe.so, the probe that counts the pages each LMDB write
# commit of a writable map wrote, by table (session 14, ack27), on
# bench/pageprobe_sim: a "claims" table of 6,000 records of 600 bytes in
# PCN order, each with one of six payers, then one commit that rewrites
# payer 0's ~1,000 records.
#   - keyed by PCN, that commit writes most of the table's leaves (payer
#     0's records are one in six, ~5 a leaf): between 40 % and 100 % of
#     them, and the probe names the table, the meta page, the free list;
#   - keyed by payer ‖ PCN it writes about the leaves those records fill
#     (rewritten / records a leaf, plus the branch pages): under half of
#     the PCN-keyed count;
#   - no page is left unattributed ("unreached") in either.
#
# Run by scripts/test (RCMQ_BUILD, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/pageprobe.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init pageprobe 28400
PROBE="$RCMQ_BUILD/bench/pageprobe.so"
SIM="$RCMQ_BUILD/bench/pageprobe_sim"
[[ -f "$PROBE" && -x "$SIM" ]] || { echo "pageprobe: $PROBE or $SIM not built"; exit 1; }
# A sanitizer build's programs want ASan's runtime first of their
# libraries, which a preloaded library is not, and ASan takes SIGSEGV,
# which the probe needs: the probe is measured in the plain build only.
if ldd "$SIM" | grep -q libasan; then
    echo "pageprobe: a sanitizer build ($SIM links libasan): the probe runs in the plain build, skipped"
    exit 0
fi

# run MODE: the sim's summary line (the probe's lines in probe-MODE.out).
run() {
    rm -rf "$WORK/env-$1" "$WORK/probe-$1.out"
    LD_PRELOAD="$PROBE" PAGEPROBE_OUT="$WORK/probe-$1.out" "$SIM" "$WORK/env-$1" "$1" 6000 600 6
}
# field LINE NAME: the pages of table NAME in a probe line (0 when absent).
field() { local n; n=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"); echo "${n:-0}"; }

pcn_sim=$(run pcn); pcn=$(tail -1 "$WORK/probe-pcn.out")
payer_sim=$(run payer); payer=$(tail -1 "$WORK/probe-payer.out")
echo "pcn:   $pcn_sim"; echo "       $pcn"
echo "payer: $payer_sim"; echo "       $payer"

rewritten=$(sed -n 's/.*rewrote \([0-9]*\) records.*/\1/p' <<<"$pcn_sim")
leaves=$(sed -n 's/.*table \([0-9]*\) leaves.*/\1/p' <<<"$pcn_sim")
payer_leaves=$(sed -n 's/.*table \([0-9]*\) leaves.*/\1/p' <<<"$payer_sim")
claims_pcn=$(field "$pcn" claims)
claims_payer=$(field "$payer" claims)
total_pcn=$(awk '{print $3}' <<<"$pcn")

((rewritten > 800 && rewritten < 1200)) && ok "one payer's file: $rewritten records" \
    || fail "payer 0 has $rewritten records of 6000"
((claims_pcn * 10 >= leaves * 4 && claims_pcn <= leaves + leaves / 50 + 2)) \
    && ok "keyed by PCN: $claims_pcn pages of table claims written, of $leaves leaves" \
    || fail "keyed by PCN: $claims_pcn pages of table claims written, expected 40-100 % of $leaves leaves"
[[ $(field "$pcn" meta) == 1 && $(field "$pcn" freelist) -ge 1 && $(field "$pcn" main) == 1 ]] \
    && ok "the meta page, the free list and the main tree named" || fail "meta/freelist/main not in: $pcn"
sum=$(tr ' ' '\n' <<<"$pcn" | awk -F= 'NF == 2 { s += $2 } END { print s + 0 }')
((sum == total_pcn)) && ok "every page counted once: $sum = $total_pcn" || fail "tables sum to $sum, the line says $total_pcn"
# The payer's records fill rewritten / (records a leaf) leaves.
fill=$(( (rewritten * payer_leaves + 5999) / 6000 ))
((claims_payer >= fill && claims_payer <= fill + fill / 5 + 5)) \
    && ok "keyed by payer: $claims_payer pages, about the $fill leaves its records fill" \
    || fail "keyed by payer: $claims_payer pages, expected about $fill"
((claims_payer * 2 < claims_pcn)) && ok "keyed by payer writes under half: $claims_payer < $claims_pcn / 2" \
    || fail "keyed by payer: $claims_payer, keyed by PCN: $claims_pcn"
[[ $(field "$pcn" unreached) == 0 && $(field "$payer" unreached) == 0 ]] \
    && ok "no page unattributed" || fail "unreached pages: $pcn / $payer"
test_finish pageprobe
