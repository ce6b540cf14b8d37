#!/usr/bin/env bash
# The ops port of every process (issue 18, "Operations"; docs/operations.md
# "Ops port"), on a real deployment made by scripts/run:
#
#   - `rcmqctl status --json` gives each of the eight processes its "ops"
#     base URL, http://127.0.0.1:<port base + 90 + its place in start
#     order> (the ports scripts/run writes; computed here), and the table
#     shows them too;
#   - each answers GET /healthz 200 "ok" and GET /readyz 200 "ready"; an
#     unknown path is 404 and a POST 405;
#   - each one's /metrics passes `promtool check metrics` (Debian's
#     prometheus package; scripts/test installs it) with nothing to say,
#     names its process in rcmq_build_info, has process_start_time_seconds
#     within this test's own run, and its histograms are cumulative with
#     +Inf equal to _count;
#   - claims counts exactly the claims.List calls this test made (OK) and
#     its claims.Show of a claim that does not exist (NOT_FOUND);
#   - the broker's commit histogram counts commits once events flowed; every
#     consumer's lag reaches 0; each store's map bytes in use are at most
#     its data.mdb file's size (read with stat here) and at most the map;
#   - every series deploy/grafana/rcmq.json queries is served by some process;
#   - a service started alone, with no broker, serves /healthz but its
#     /readyz is 503 and says it has not heard the broker; an ops setting
#     that is not address:port stops the start, naming the setting.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build bash tests/integration/ops-port.sh

set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init ops-port 25500

command -v promtool >/dev/null || { echo "FAIL promtool is not installed (Debian: prometheus)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL curl is not installed"; exit 1; }

before_start="$(date +%s)"
start_deployment

# The ports scripts/run gives: base + 90 + the process's place in start order.
declare -A want_ops
i=0
for name in "${RCMQ_PROCESSES[@]}"; do
    want_ops[$name]="http://127.0.0.1:$((RCMQ_PORT_BASE + 90 + i))"
    i=$((i + 1))
done

# --- status names each process's ops URL ------------------------------------
ctl status --json >status.json || true
for name in "${RCMQ_PROCESSES[@]}"; do
    got="$(python3 -c 'import json,sys
doc = json.load(open("status.json"))
print([p for p in doc["processes"] if p["name"] == sys.argv[1]][0].get("ops"))' "$name")"
    if [[ "$got" == "${want_ops[$name]}" ]]; then ok "status --json: $name ops $got"
    else fail "status --json: $name ops is '$got', expected ${want_ops[$name]}"; fi
done
ctl status >status.txt || true
if grep -q "^broker .*${want_ops[broker]}" status.txt && grep -q "^web .*${want_ops[web]}" status.txt; then
    ok "status table shows the ops URLs"
else
    fail "status table has no ops URLs: $(head -n 12 status.txt)"
fi

# http METHOD URL: prints "<status> <body>" (curl, 10 s at most).
http() {
    local code
    rm -f body.txt
    code="$(curl -s -o body.txt -w '%{http_code}' -X "$1" --max-time 10 "$2")" || code="000"
    printf '%s %s' "$code" "$(tr '\n' ' ' <body.txt 2>/dev/null | sed 's/ $//')"
}

ready() { [[ "$(http GET "$1/readyz")" == "200 ready" ]]; }

# --- /healthz, /readyz, 404, 405 --------------------------------------------
for name in "${RCMQ_PROCESSES[@]}"; do
    url="${want_ops[$name]}"
    got="$(http GET "$url/healthz")"
    [[ "$got" == "200 ok" ]] && ok "$name /healthz" || fail "$name /healthz: $got"
    if wait_for 60 ready "$url"; then ok "$name /readyz"; else fail "$name /readyz: $(http GET "$url/readyz")"; fi
done
got="$(http GET "${want_ops[claims]}/nope")"
[[ "$got" == 404* ]] && ok "unknown path: 404" || fail "unknown path: $got"
got="$(http POST "${want_ops[claims]}/metrics")"
[[ "$got" == 405* ]] && ok "POST /metrics: 405" || fail "POST /metrics: $got"

# --- requests counted by method and status ----------------------------------
for _ in 1 2 3; do ctl claims list --json >/dev/null; done
ctl claims show NO-SUCH-CLAIM >/dev/null 2>&1 || true

# metric TEXTFILE NAME LABELS: the value of the sample NAME{LABELS} ("" if none).
metric() {
    python3 - "$@" <<'EOF'
import sys
path, name, labels = sys.argv[1], sys.argv[2], sys.argv[3]
want = name + ("{" + labels + "}" if labels else "")
for line in open(path):
    if line.startswith("#"):
        continue
    key, _, value = line.rstrip("\n").rpartition(" ")
    if key == want:
        print(value)
        break
EOF
}

scrape() { curl -s --max-time 10 "${want_ops[$1]}/metrics" >"metrics-$1.txt"; }

scrape claims
got="$(metric metrics-claims.txt rcmq_requests_total 'method="claims.List",status="OK"')"
[[ "$got" == "3" ]] && ok "claims counts 3 claims.List OK" || fail "claims.List OK counted '$got', expected 3"
got="$(metric metrics-claims.txt rcmq_requests_total 'method="claims.Show",status="NOT_FOUND"')"
[[ "$got" == "1" ]] && ok "claims counts 1 claims.Show NOT_FOUND" || fail "claims.Show NOT_FOUND counted '$got', expected 1"
got="$(metric metrics-claims.txt rcmq_request_duration_seconds_count 'method="claims.List"')"
[[ "$got" == "3" ]] && ok "claims.List latency histogram counts 3" || fail "claims.List latency count '$got'"

# --- every process's exposition ---------------------------------------------
# The consumers catch up (lag 0 everywhere) and the broker has committed.
lag_zero() {
    scrape "$1"
    python3 - "metrics-$1.txt" <<'EOF'
import sys
lags = [float(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1])
        if l.startswith("rcmq_consumer_lag_events{") or l.startswith("rcmq_broker_consumer_lag_events{")]
sys.exit(0 if lags and all(v == 0 for v in lags) else 1)
EOF
}
for name in "${RCMQ_PROCESSES[@]}"; do
    if wait_for 60 lag_zero "$name"; then ok "$name: every consumer lag reaches 0"
    else fail "$name: lag: $(grep -h 'lag_events{' "metrics-$name.txt" | head -n 5 | tr '\n' ' ')"; fi
done

after_start="$(date +%s)"
for name in "${RCMQ_PROCESSES[@]}"; do
    file="metrics-$name.txt"
    scrape "$name"
    if promtool check metrics <"$file" >promtool.out 2>&1; then
        if [[ -s promtool.out ]]; then fail "$name: promtool says: $(head -c 400 promtool.out)"
        else ok "$name: promtool check metrics passes"; fi
    else
        fail "$name: promtool check metrics failed: $(head -c 600 promtool.out)"
    fi
    got="$(metric "$file" rcmq_build_info "process=\"$name\",version=\"$(grep -oE 'project \(rcmq VERSION [0-9.]+' "$ROOT/CMakeLists.txt" | grep -oE '[0-9.]+$')\"")"
    [[ "$got" == "1" ]] && ok "$name: rcmq_build_info names it" || fail "$name: rcmq_build_info: '$got'"
    started="$(metric "$file" process_start_time_seconds '')"
    if python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if $before_start - 1 <= s <= $after_start + 1 else 1)" "$started"; then
        ok "$name: process_start_time_seconds within this run"
    else
        fail "$name: process_start_time_seconds '$started' not within $before_start..$after_start"
    fi
    # Histograms: buckets cumulative (never decreasing), +Inf equal to _count.
    if python3 - "$file" <<'EOF'
import re, sys, collections
series = collections.defaultdict(list)
counts = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    key, value = line.rstrip("\n").rsplit(" ", 1)
    m = re.match(r'(\w+)_bucket\{(.*?),?le="([^"]+)"\}$', key)
    if m:
        series[(m.group(1), m.group(2))].append((m.group(3), float(value)))
    m = re.match(r'(\w+)_count(?:\{(.*)\})?$', key)
    if m:
        counts[(m.group(1), m.group(2) or "")] = float(value)
bad = []
for key, buckets in series.items():
    values = [v for _, v in buckets]
    if values != sorted(values) or buckets[-1][0] != "+Inf" or buckets[-1][1] != counts.get(key):
        bad.append(key)
sys.exit(1 if bad or not series else 0)
EOF
    then ok "$name: histograms cumulative, +Inf = _count"
    else fail "$name: a histogram is not cumulative or its +Inf is not its _count"; fi
    used="$(metric "$file" rcmq_store_map_used_bytes '')"
    map="$(metric "$file" rcmq_store_map_size_bytes '')"
    size="$(stat -c %s "$RCMQ_VAR/data/$name/data.mdb")"
    if [[ -n "$used" ]] && python3 -c "import sys; u,m,s=map(float,sys.argv[1:]); sys.exit(0 if 0 < u <= s and u <= m else 1)" "$used" "$map" "$size"; then
        ok "$name: store map bytes in use ($used) within data.mdb ($size) and the map ($map)"
    else
        fail "$name: store map used '$used', map '$map', data.mdb $size"
    fi
done
# claims holds work items (follow-ups): none is due in an empty deployment.
got="$(metric metrics-claims.txt rcmq_escalations_raised_total '')"
[[ "$got" == "0" ]] && ok "claims: escalations raised 0 (no work item is due)" \
    || fail "claims: rcmq_escalations_raised_total '$got'"
got="$(metric metrics-broker.txt rcmq_broker_commit_duration_seconds_count '')"
if [[ -n "$got" ]] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "$got"; then
    ok "broker: $got commits in its commit histogram"
else
    fail "broker: commit histogram count '$got'"
fi
got="$(metric metrics-claims.txt rcmq_outbox_depth '')"
[[ "$got" == "0" ]] && ok "claims: outbox depth 0 once acked" || fail "claims: outbox depth '$got'"

# The shipped Grafana dashboard asks only for series the processes serve.
if python3 - "$ROOT/deploy/grafana/rcmq.json" metrics-*.txt <<'EOF'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
wanted = {n for e in exprs for n in re.findall(r"\b(?:rcmq|process)_[a-z_]+\b", e)}
served = set()
for path in sys.argv[2:]:
    for line in open(path):
        if not line.startswith("#"):
            served.add(re.split(r"[{ ]", line, 1)[0])
missing = sorted(wanted - served)
if missing:
    print("dashboard asks for series no process serves:", missing)
sys.exit(1 if missing or not wanted else 0)
EOF
then ok "deploy/grafana/rcmq.json: every series it queries is served"
else fail "deploy/grafana/rcmq.json queries series that are not served"; fi

# --- readiness without a broker; a bad setting --------------------------------
"$ROOT/scripts/run" stop >/dev/null 2>&1
port=$((RCMQ_PORT_BASE + 98))
sed -E "s|^    ops = \"127.0.0.1:$((RCMQ_PORT_BASE + 91))\"|    ops = \"127.0.0.1:$port\"|" "$CONF" >"$RCMQ_VAR/alone.conf"
(cd "$RCMQ_VAR" && exec "$RCMQ_BUILD/services/intake/rcmq-intake" --config "$RCMQ_VAR/alone.conf" \
    >"$WORK/alone.log" 2>&1 </dev/null) &
alone=$!
healthz() { [[ "$(http GET "http://127.0.0.1:$port/healthz")" == "200 ok" ]]; }
if wait_for 60 healthz; then ok "intake alone: /healthz 200"; else fail "intake alone: no /healthz; $(tail -n 5 alone.log)"; fi
got="$(http GET "http://127.0.0.1:$port/readyz")"
if [[ "$got" == "503 not ready: intake has not heard the broker since it started" ]]; then
    ok "intake alone: /readyz 503, has not heard the broker"
else
    fail "intake alone: /readyz '$got'"
fi
kill -TERM "$alone" 2>/dev/null || true
wait "$alone" 2>/dev/null || true

sed -E "s|^    ops = \"127.0.0.1:$((RCMQ_PORT_BASE + 91))\"|    ops = \"localhost\"|" "$CONF" >"$RCMQ_VAR/bad.conf"
rc=0
(cd "$RCMQ_VAR" && timeout 60 "$RCMQ_BUILD/services/intake/rcmq-intake" --config "$RCMQ_VAR/bad.conf" \
    >"$WORK/bad.log" 2>&1 </dev/null) || rc=$?
if ((rc == 1)) && grep -q 'intake/ops' bad.log && grep -q 'expected an IPv4 address and port' bad.log; then
    ok "ops = \"localhost\": the start stops, naming intake/ops (exit 1)"
else
    fail "ops = \"localhost\": exit $rc, log: $(tail -n 3 bad.log)"
fi

test_finish ops-port
