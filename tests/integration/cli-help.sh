#!/usr/bin/env bash
# rcmqctl's help and manual come from its own tables, and what it can check
# without a server it checks (issue 13 item 6, issue 12 item 8). No server:
#   - docs/rcmqctl.md holds, between its generated markers, exactly what
#     `rcmqctl help --markdown` prints: every group, command and option of
#     cli/groups.def and the command tables, so the manual cannot drift;
#   - `rcmqctl GROUP --help` and `rcmqctl help GROUP` list every command of
#     the group with every one of its options;
#   - numbers, money and choices are usage errors (exit 2) naming the option
#     and the value, before any request: nothing is listening here, so a
#     value that got through would fail differently (exit 1).
#
# Run by scripts/test (RCMQ_BUILD, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/cli-help.sh
# UPDATE=1 rewrites the generated part of docs/rcmqctl.md instead.

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# No deployment: an empty folder (test_init's), no config and no keys, so a
# request could not even be made (exit 1): no check below can pass by
# reaching a server.
test_init cli-help 27600
unset RCMQ_CONFIG
DOC="$ROOT/docs/rcmqctl.md"

# The manual's generated part.
"$CTL" help --markdown >generated.md || fail "rcmqctl help --markdown exited $?"
begin='^<!-- The text from here to the END line is `rcmqctl help --markdown`'
python3 - "$DOC" generated.md "${UPDATE:-}" <<'PY' && ok "docs/rcmqctl.md is rcmqctl help --markdown" || fail "docs/rcmqctl.md differs from rcmqctl help --markdown (UPDATE=1 bash $0 rewrites it):"
import sys
doc_path, gen_path, update = sys.argv[1], sys.argv[2], sys.argv[3]
doc = open(doc_path).read()
generated = open(gen_path).read()
start = doc.index("<!-- The text from here to the END line is `rcmqctl help --markdown`")
start = doc.index("-->\n", start) + 4
end = doc.index("<!-- END rcmqctl help --markdown -->")
if update:
    open(doc_path, "w").write(doc[:start] + generated + doc[end:])
    sys.exit(0)
if doc[start:end] != generated:
    import difflib
    for line in list(difflib.unified_diff(doc[start:end].splitlines(), generated.splitlines(),
                                          "docs/rcmqctl.md", "rcmqctl help --markdown", lineterm=""))[:40]:
        print("    " + line)
    sys.exit(1)
PY
: "$begin"

# Every group's help names each of its commands and each command's options;
# the list of groups and options comes from `rcmqctl help --markdown` itself
# (headings and option rows), checked against the text help.
python3 - "$CTL" <<'PY' && ok "every GROUP --help and help GROUP lists its commands and their options" || fail "a group's help leaves out a command or option"
import re, subprocess, sys
ctl = sys.argv[1]
md = subprocess.run([ctl, "help", "--markdown"], capture_output=True, text=True, check=True).stdout
groups = {}
group = command = None
for line in md.splitlines():
    m = re.match(r"^### (\S+)$", line)
    if m:
        group = m.group(1); groups[group] = {}; continue
    m = re.match(r"^#### `rcmqctl ([a-z]+)(?: ([a-z-]+))?", line)
    if m and group:
        command = m.group(2) or m.group(1); groups[group][command] = []; continue
    m = re.match(r"^\| `(--[a-z-]+)", line)
    if m and group and command:
        groups[group][command].append(m.group(1))
assert len(groups) >= 7, groups
bad = []
for group, commands in groups.items():
    for form in ([group, "--help"], ["help", group]):
        r = subprocess.run([ctl] + form, capture_output=True, text=True)
        if r.returncode != 0:
            bad.append("%s: exit %d" % (" ".join(form), r.returncode)); continue
        for command, options in commands.items():
            #  `status --help` is the command's own help (the group is the command).
            named = command != group or form[0] == "help"
            if named and not re.search(r"^  %s\b" % re.escape(command), r.stdout, re.M):
                bad.append("%s: no command %s" % (" ".join(form), command))
            for option in options:
                if option not in r.stdout:
                    bad.append("%s: no option %s of %s" % (" ".join(form), option, command))
for b in bad[:20]:
    print("    " + b)
sys.exit(1 if bad else 0)
PY
for form in "claims list --help" "help claims list"; do
    # shellcheck disable=SC2086
    out="$("$CTL" $form)" && grep -q -- "--status STATUS" <<<"$out" && grep -q "^usage: rcmqctl claims list" <<<"$out" \
        && ok "rcmqctl $form" || fail "rcmqctl $form: $out"
done
rc=0; "$CTL" help nosuch >/dev/null 2>err || rc=$?
((rc == 2)) && grep -q "unknown command 'nosuch'" err && ok "help of an unknown group is a usage error" || fail "help nosuch: exit $rc $(cat err)"

# usage_error TEXT WHAT ARGS...: exit 2, TEXT on stderr.
usage_error() {
    local text="$1" what="$2" rc=0; shift 2
    "$CTL" --keys "$WORK/nokeys" "$@" >out 2>err || rc=$?
    if ((rc == 2)) && grep -qF -- "$text" err; then ok "$what"; else
        fail "$what: rcmqctl $*: exit $rc (expected 2), stderr: $(head -c 300 err)"; fi
}
usage_error "--limit abc: expected a whole number from 1 to 1000" "a limit that is not a number" claims list --limit abc
usage_error "--limit -1: expected a whole number from 1 to 1000" "a negative limit" claims due --limit -1
usage_error "--limit 4294967297: expected a whole number from 1 to 1000" "a limit past 32 bits" intake rejections --limit 4294967297
usage_error "--limit 12x: expected a whole number" "a limit with letters after it" metrics drill ar_cents --limit 12x
usage_error "--total 12x: expected an amount in dollars" "a total that is not money" claims correct P1 --total 12x --reason r
usage_error "--total 1e3: expected an amount in dollars" "a total in exponent form" claims correct P1 --total 1e3 --reason r
usage_error "--status deneid: expected one of ready, submitted, accepted, rejected, paid, partially_paid, denied" \
    "a claim status that does not exist lists the statuses" claims list --status deneid
usage_error "--interval fortnight: expected one of day, week, month" "a trend interval that does not exist" \
    metrics trend clean_claim_rate --interval fortnight
usage_error "PHASE later: expected one of internal, pilot, vendor" "a queue phase that does not exist" queue phase q-x later
usage_error "--phase later: expected one of internal, pilot, vendor" "queue create with a phase that does not exist" \
    queue create q-x --phase later
usage_error "TYPE followup: expected one of follow_up, documentation_request, denial, inquiry, action, default" \
    "a grid work type that does not exist lists the types" queue grid set q-x followup --lead lena
usage_error "nothing to change" "a grid change that names nothing" queue grid set q-x follow_up
usage_error "levels are 1 to 3" "four escalation levels" queue grid set q-x follow_up --escalate a,b,c,d
usage_error "--assignee or --pool, not both" "an assignee and a pool" queue grid set q-x follow_up --assignee a --pool b,c
usage_error "--lead changes the grid" "a grid option without set" queue grid q-x --lead lena
usage_error "--set weekend: expected one of routine, urgent, downtime, patient" "a contact topic that does not exist" \
    queue contacts q-x --set weekend --side internal --name lena
usage_error "--side offshore: expected one of internal, vendor" "a contact side that does not exist" \
    queue contacts q-x --set urgent --side offshore --name lena
usage_error "--side internal or --side vendor is required" "a contact without a side" queue contacts q-x --set urgent --name lena
usage_error "SEQ 0: expected a whole number from 1" "a dead-letter seq of 0" deadletter skip metrics intake 0 --reason r
usage_error "SEQ -1: expected a whole number from 1" "a negative dead-letter seq" deadletter skip metrics intake --reason r -- -1
usage_error "SERVICE billing: expected one of intake, claims, denials, inquiry, audit, metrics" "an unknown service" \
    deadletter skip billing intake 1 --reason r
usage_error "--timeout 10s: expected a whole number from 1 to 3600000" "a timeout with a unit" --timeout 10s claims list

test_finish cli-help
