#!/usr/bin/env bash
# Numbers and filters from the command line, with real processes: a number
# that is not one, or is out of range, is a usage error (exit 2) naming the
# option and the range, never the default, the maximum or a wrapped value;
# a metrics filter that names what no claim has, an unknown KPI, and a trend
# reaching back before 1970 are refused with what does exist (exit 1).
# (issue 12 item 8)
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/cli-numbers.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init cli-numbers 27900
export RCMQ_NOW="2026-11-02T09:00:00Z"

# refused EXIT TEXT WHAT CMD...: CMD exits EXIT and its stderr holds TEXT.
refused() {
    local want="$1" text="$2" what="$3" rc=0; shift 3
    ctl "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    if ((rc == want)) && grep -qF -- "$text" "$WORK/err"; then ok "$what"; else
        fail "$what: exit $rc (expected $want), stderr:"; sed 's/^/    /' "$WORK/err" | tail -n 5; fi
}

start_deployment
python3 "$ROOT/scripts/gen-837" --seed 8 --claims 30 --date 2026-11-01 --out claims.837 --expect claims.json
ctl intake submit claims.837 >/dev/null || fail "intake submit"
# The payer ids the generator wrote, and one it did not.
payer="$(python3 -c 'import json; e=json.load(open("claims.json")); c=e["claims"] if isinstance(e,dict) else e; print(sorted({x["payer_id"] for x in c if x["accepted"]})[0])')"
for _ in $(seq 1 60); do
    ctl metrics kpi --payer "$payer" --json >/dev/null 2>&1 && break
    sleep 0.5
done

refused 2 "--limit -1: expected a whole number from 1 to 1000" "a negative limit is a usage error" \
    metrics drill ar_cents --limit -1
refused 2 "--limit 4294967297: expected a whole number" "a limit past 32 bits does not wrap to 1" \
    metrics drill ar_cents --limit 4294967297
refused 2 "--window abc: expected a whole number" "a window that is not a number" metrics kpi --window abc
refused 2 "--periods 500: expected a whole number from 1 to 120" "too many trend periods" \
    metrics trend ar_cents --periods 500
refused 1 "would begin before 1970-01-01" "a trend reaching back before 1970 is refused, not wrapped" \
    metrics trend ar_cents --periods 120 --as-of 1971-01-01
refused 1 "KPIs: clean_claim_rate" "an unknown KPI lists the KPIs" metrics trend days_in_AR
refused 1 "one can drill into clean_claim_rate" "an undrillable KPI lists the drillable ones" metrics drill paid
refused 1 "no claim has payer_id '99999' (known: " "a payer no claim has is refused" metrics kpi --payer 99999
grep -qF "$payer" "$WORK/err" && ok "the refusal lists the payers that exist" || fail "the refusal does not list $payer"
ctl metrics kpi --payer "$payer" --json >/dev/null && ok "a payer that exists answers" || fail "kpi for $payer"
refused 2 "--follow-up-days x: expected a whole number" "queue create with a bad follow-up days" \
    queue create q-typo --follow-up-days x
refused 2 "--limit -1: expected a whole number from 1 to 1000" "claims list with a negative limit" \
    claims list --limit -1
refused 2 "--limit abc: expected a whole number" "claims due with a limit that is not a number" \
    claims due --limit abc
refused 2 "--limit 0: expected a whole number from 1 to 1000" "intake rejections with limit 0" \
    intake rejections --limit 0
refused 2 "--total 12x: expected an amount in dollars" "a corrected total that is not money is not 12" \
    claims correct P80000001 --total 12x --reason typo
refused 2 "--total 1.234: expected an amount in dollars" "a corrected total with three decimals" \
    claims correct P80000001 --total 1.234 --reason typo
# A list with an empty item is a slip, not a shorter list (it was dropped
# without a word before).
refused 2 "--by 'payer,': an empty item in DIM[,DIM...]" "a trailing comma in a list is a usage error" \
    metrics kpi --by payer,
refused 2 "--payer-ids 'A,,B': an empty item in ID[,ID...]" "two commas in a row in a list" \
    queue create q-empty --payer-ids A,,B
refused 2 "--dx '': an empty item" "an empty list value" claims edit P80000001 --reason x --dx ''
ctl queue show q-empty >/dev/null 2>&1 && fail "the refused queue was created" || ok "the refused queue was not created"

((failures == 0)) && { echo "cli-numbers: all checks passed"; exit 0; }
echo "cli-numbers: $failures check(s) failed"; exit 1
