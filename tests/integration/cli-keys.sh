#!/usr/bin/env bash
# rcmqctl's contract with the people and scripts that call it: `keys init`
# (layout, permissions, idempotence, --force rotation), `keys add` / `keys
# list`, --json that parses, --help on every command, exit codes 0 / 1 / 2,
# errors that name the file or endpoint, and config discovery
# (--config > RCMQ_CONFIG > ./var/rcmq.conf).
#
# Run by scripts/test with RCMQ_BUILD set; by hand:
#   RCMQ_BUILD=build bash tests/integration/cli-keys.sh

# ok never fails, so `test && ok || fail` is if-then-else here.
# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init cli-keys 27600
[[ -x "$CTL" ]] || { echo "no rcmqctl at $CTL"; exit 1; }
PORT_BASE="$RCMQ_PORT_BASE"
# No ./var/rcmq.conf from a developer's deployment may leak in (test_init's
# empty folder), nor env.
unset RCMQ_CONFIG RCMQ_KEYS_DIR RCMQ_CLIENT_NAME

# stderr_has TEXT DESCRIPTION: the last command's stderr names TEXT.
stderr_has() {
    if grep -qF -- "$1" "$WORK/err"; then ok "$2"; else
        fail "$2: stderr lacks '$1'"; sed 's/^/    stderr: /' "$WORK/err"; fi
}
json_ok() {
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out" 2>/dev/null; then
        ok "$1: --json output parses"; else fail "$1: --json output is not JSON"; sed 's/^/    /' "$WORK/out"; fi
}
mode_of() { stat -c '%a' "$1"; }
# The public keys of a keys folder, as one digest (the files' comments carry
# their creation time, so the files themselves differ for the same key).
keys_digest() { grep -h 'public-key' "$1"/public/*.cert | sha256sum | cut -d' ' -f1; }

NAMES=(broker intake claims denials inquiry audit metrics web admin admin2)

# --- help and usage errors -------------------------------------------------
expect 0 "rcmqctl --help" "$CTL" --help
grep -q "keys init" "$WORK/out" && ok "--help lists keys init" || fail "--help does not list keys init"
expect 0 "rcmqctl help" "$CTL" help
expect 2 "rcmqctl with no command" "$CTL"
expect 2 "unknown command" "$CTL" frobnicate
stderr_has "frobnicate" "unknown command is named"
expect 2 "unknown subcommand" "$CTL" keys frobnicate
expect 2 "unknown option" "$CTL" keys init --frobnicate
stderr_has "--frobnicate" "unknown option is named"
expect 2 "option without its value" "$CTL" keys add bob --role
expect 2 "bad --timeout" "$CTL" --timeout soon status
expect 2 "too many operands" "$CTL" keys init a b
expect 2 "keys add without NAME" "$CTL" keys add
for command in "status" "keys" "keys init" "keys add" "keys list"; do
    # shellcheck disable=SC2086 # words on purpose
    expect 0 "rcmqctl $command --help" "$CTL" $command --help
    grep -q "usage: rcmqctl" "$WORK/out" || fail "rcmqctl $command --help prints no usage"
done

# --- keys init -------------------------------------------------------------
expect 0 "keys init k" "$CTL" keys init k
all=1
for name in "${NAMES[@]}"; do
    [[ -f "k/public/$name.cert" && -f "k/secret/$name.cert_secret" ]] || { all=0; fail "no key pair for $name"; }
    [[ "$(mode_of "k/secret/$name.cert_secret")" == 600 ]] || { all=0; fail "k/secret/$name.cert_secret is not 0600"; }
done
((all)) && ok "a key pair for each of ${NAMES[*]}, secrets 0600"
[[ "$(mode_of k/secret)" == 700 ]] && ok "k/secret is 0700" || fail "k/secret is $(mode_of k/secret), not 0700"
grep -q 'role = "admin"' k/public/admin.cert && ok "admin cert has role admin" || fail "admin cert lacks role admin"
grep -q 'role = "service"' k/public/claims.cert && ok "claims cert has role service" || fail "claims cert lacks role service"
[[ -z "$(ls k/public/*.tmp k/secret/*.tmp 2>/dev/null)" ]] && ok "no temporary files left" || fail "temporary files left in k/"

before="$(keys_digest k)"
expect 0 "keys init k again" "$CTL" --json keys init k
json_ok "keys init"
[[ "$(keys_digest k)" == "$before" ]] && ok "keys init is idempotent: keys kept" || fail "keys init changed existing keys"
python3 - "$WORK/out" <<'EOF' && ok "--json says every key was kept" || fail "--json does not say kept"
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["keys"]) == 10 and all(k["status"] == "kept" for k in doc["keys"]), doc
EOF

chmod 0755 k/secret
rm k/public/audit.cert
expect 0 "keys init k with a public cert missing" "$CTL" keys init k
[[ -f k/public/audit.cert ]] && ok "the missing public cert is restored from its secret" || fail "public cert not restored"
[[ "$(keys_digest k)" == "$before" ]] && ok "restored cert is the same key" || fail "restored cert differs"
[[ "$(mode_of k/secret)" == 700 ]] && ok "a loosened k/secret is tightened to 0700" || fail "k/secret left at $(mode_of k/secret)"

expect 0 "keys init k --force" "$CTL" keys init k --force --json
json_ok "keys init --force"
[[ "$(keys_digest k)" != "$before" ]] && ok "--force rotates the keys" || fail "--force kept the keys"
python3 - "$WORK/out" <<'EOF' && ok "--json says every key was rotated" || fail "--json does not say rotated"
import json, sys
doc = json.load(open(sys.argv[1]))
assert all(k["status"] == "rotated" for k in doc["keys"]), doc
EOF
[[ "$(mode_of k/secret/admin.cert_secret)" == 600 ]] && ok "rotated secret is 0600" || fail "rotated secret is not 0600"

# --- keys add / list -------------------------------------------------------
expect 2 "vendor role without a vendor team" "$CTL" keys add alice --role vendor-agent --dir k
expect 2 "unknown role" "$CTL" keys add alice --role overlord --dir k
expect 2 "name that is a path" "$CTL" keys add ../alice --role leader --dir k
expect 0 "keys add alice (vendor-agent, acme)" "$CTL" keys add alice --role vendor-agent --team acme --dir k
[[ "$(mode_of k/secret/alice.cert_secret)" == 600 ]] && ok "alice's secret is 0600" || fail "alice's secret is not 0600"
stderr_has "grants nothing" "keys add says the key grants nothing until the registry holds it"
expect 0 "keys add bob without a role (a key pair only)" "$CTL" keys add bob --dir k
expect 1 "keys add alice again" "$CTL" keys add alice --role vendor-agent --team acme --dir k
stderr_has "k/public/alice.cert" "the refusal names the file"
expect 0 "keys list --json" "$CTL" --keys k keys list --json
json_ok "keys list"
python3 - "$WORK/out" <<'EOF' && ok "keys list shows 12 identities with role and team" || fail "keys list content"
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
assert len(rows) == 12, rows
assert rows["alice"]["role"] == "vendor-agent" and rows["alice"]["team"] == "acme", rows["alice"]
assert rows["admin"]["secret"] is True and len(rows["admin"]["public_key"]) == 40, rows["admin"]
EOF
expect 0 "keys list --csv" "$CTL" keys list --dir k --csv
[[ "$(head -n 1 "$WORK/out" | tr -d '\r')" == "name,role,team,secret,public_key" ]] && ok "CSV header" || fail "CSV header: $(head -n 1 "$WORK/out")"

# --- config discovery and status errors ------------------------------------
expect 1 "--config that does not exist" "$CTL" --config nowhere.conf status
stderr_has "nowhere.conf" "the error names the config file"
RCMQ_CONFIG=nowhere-env.conf expect 1 "RCMQ_CONFIG that does not exist" "$CTL" status
stderr_has "nowhere-env.conf" "the error names the RCMQ_CONFIG file"

expect 1 "status with no keys and no config" "$CTL" status
stderr_has "admin.cert_secret" "the error names the missing client cert"

# A deployment in ./var on ports nobody listens on: found without flags,
# keys relative to the config file, every process reported down, quickly.
mkdir -p var
"$CTL" keys init var/keys >/dev/null
{
    printf 'keys\n    dir = "keys"\n'
    for i in broker:4 intake:11 claims:12 denials:13 inquiry:14 audit:15 metrics:16 web:17; do
        printf '%s\n    api = "tcp://127.0.0.1:%d"\n' "${i%%:*}" $((PORT_BASE + ${i##*:}))
    done
} >var/rcmq.conf
expect 0 "keys list finds ./var/rcmq.conf" "$CTL" keys list --json
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 10' "$WORK/out" \
    && ok "it lists var/keys, relative to the config file" || fail "keys list did not use var/keys"
# Asked in parallel, 8 dead processes cost one timeout (2 s), asked one by
# one 16 s: the bound of 10 s tells the two apart on a loaded machine too
# (at 400 ms a process, a loaded CI box took 4 s against a bound of 3).
started=$SECONDS
expect 1 "status with every process down" "$CTL" status --timeout 2000 --json
json_ok "status"
((SECONDS - started <= 10)) && ok "status reports a dead deployment within one timeout, not one per process" \
    || fail "status took $((SECONDS - started))s for 8 dead processes (one by one would be 16 s)"
stderr_has "tcp://127.0.0.1:$((PORT_BASE + 12))" "the error names the claims endpoint"
stderr_has "CURVE" "the error says the key may have been refused"
python3 - "$WORK/out" <<'EOF' && ok "status --json: ok false, 8 processes down" || fail "status --json content"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["ok"] is False and len(doc["processes"]) == 8, doc
assert not any(p["up"] for p in doc["processes"]) and doc["broker"] is None, doc
EOF
RCMQ_CONFIG="$WORK/none.conf" expect 1 "RCMQ_CONFIG beats ./var/rcmq.conf" "$CTL" keys list
stderr_has "none.conf" "and is the file it reads"
expect 1 "--keys beats the config for the client cert" "$CTL" --keys elsewhere status
stderr_has "elsewhere/secret/admin.cert_secret" "the error names the --keys folder"
expect 1 "--as picks the client cert" "$CTL" --as nobody status
stderr_has "nobody.cert_secret" "the error names the --as identity"

echo
test_finish cli-keys
