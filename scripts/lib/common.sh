# shellcheck shell=bash
# Shared by scripts/run and scripts/test: where the repository is, the Debian
# packages rcmq needs and how to get them, and how to build.
#
# Everything rcmq needs comes from Debian packages (DESIGN §9), so a fresh
# Debian 12 machine is ready after one apt-get install; we only run apt-get
# when something is missing, so a developer's second run does not touch apt.

RCMQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

RCMQ_PACKAGES=(
    build-essential cmake pkg-config
    libczmq-dev libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
    liblmdb-dev libsodium-dev libjansson-dev libmicrohttpd-dev
    check libsubunit-dev
    python3 lmdb-utils clang libclang-rt-14-dev libx12-parser-perl curl
    chromium chromium-driver python3-selenium
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
