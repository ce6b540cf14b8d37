# shellcheck shell=bash
# Shared by scripts/run and scripts/test: where the repository is, the Debian
# packages rcmq needs and how to get them, and how to build.
#
# Everything rcmq needs comes from Debian packages (DESIGN §9), so a fresh
# Debian 12 machine is ready after one apt-get install; we only run apt-get
# when something is missing, so a developer's second run does not touch apt.

RCMQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# (The last lines are for the tests: the browser tests' Chromium, and
# prometheus for its promtool, which checks every process's /metrics in
# tests/integration/ops-port.sh. rcmq uses only promtool; on a machine run
# by systemd, Debian's package also starts its own Prometheus on :9090:
# `systemctl disable --now prometheus` when that is not wanted.)
RCMQ_PACKAGES=(
    build-essential cmake pkg-config
    libczmq-dev libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
    liblmdb-dev libsodium-dev libjansson-dev libmicrohttpd-dev
    check libsubunit-dev
    python3 lmdb-utils clang libclang-rt-14-dev libx12-parser-perl curl
    chromium chromium-driver python3-selenium
    prometheus
)

# The eight processes, in start order: the broker first, since every service
# relays its outbox to it; the dashboard (web) last, a client of the others.
# shellcheck disable=SC2034 # used by the scripts that source this
RCMQ_PROCESSES=(broker intake claims denials inquiry audit metrics web)

rcmq_say() { printf 'rcmq: %s\n' "$*" >&2; }
rcmq_die() { printf 'rcmq: error: %s\n' "$*" >&2; exit 1; }

rcmq_ensure_packages() {
    local missing=() package
    for package in "${RCMQ_PACKAGES[@]}"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]]; then
            missing+=("$package")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 \
            || rcmq_die "missing Debian packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
        sudo=(sudo)
    fi
    rcmq_say "installing missing Debian packages: ${missing[*]}"
    # Noninteractive and without stdin: CI has none, and a debconf prompt
    # would hang the run.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null \
        || rcmq_die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null \
        || rcmq_die "apt-get install ${missing[*]} failed"
}

# rcmq_build DIR [cmake args...]: configures and builds into DIR. The output
# goes to DIR/build.log and is shown only when the build fails, so a good
# run stays readable.
rcmq_build() {
    local dir="$1"; shift
    mkdir -p "$dir"
    local log="$dir/build.log" jobs
    jobs="$(nproc 2>/dev/null || echo 2)"
    rcmq_say "building ${dir#"$RCMQ_ROOT"/}/ ($*)"
    if ! { cmake -S "$RCMQ_ROOT" -B "$dir" "$@" && cmake --build "$dir" -j "$jobs"; } >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        rcmq_die "build of $dir failed (full log: $log)"
    fi
}

# rcmq_grant RCMQCTL CONF NAME ROLE TEAM [UNTIL]: gives NAME access as a
# deployment does (docs/access.md, ADR 21): its key pair (`keys add`, unless
# the keys directory has one; a key file alone opens nothing), `access
# request` by admin, `access approve` by admin2 (the two-person rule), then
# waits up to 20 s until every running process admits NAME (a refusal of a
# permission is admission; a refused CURVE key is not). UNTIL (YYYY-MM-DD)
# is required for vendor roles.
rcmq_grant() {
    local ctl="$1" conf="$2" name="$3" role="$4" team="$5" until="${6:-}" id _
    if ! "$ctl" --config "$conf" --json keys list 2>/dev/null | grep -q "\"name\": *\"$name\""; then
        "$ctl" --config "$conf" keys add "$name" --role "$role" --team "$team" >/dev/null 2>&1 \
            || { echo "rcmq_grant: keys add $name failed" >&2; return 1; }
    fi
    id="$("$ctl" --config "$conf" --json access request "$name" --role "$role" --team "$team" \
            ${until:+--until "$until"} | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')" \
        || { echo "rcmq_grant: access request $name failed" >&2; return 1; }
    "$ctl" --config "$conf" --as admin2 access approve "$id" >/dev/null \
        || { echo "rcmq_grant: access approve $id ($name) as admin2 failed" >&2; return 1; }
    local status
    for _ in $(seq 1 100); do
        # status exits 1 when a process refuses a permission: read it whole
        # (under pipefail its exit status would hide the answer).
        status="$("$ctl" --config "$conf" --as "$name" --json status --timeout 500 2>/dev/null)" || true
        if python3 -c '
import json, sys
status = json.loads(sys.argv[1])
sys.exit(0 if all(p.get("up") or "CURVE key" not in (p.get("error") or "") for p in status["processes"]) else 1)
' "$status" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    echo "rcmq_grant: $name granted but not admitted by every process within 20 s" >&2
    return 1
}
