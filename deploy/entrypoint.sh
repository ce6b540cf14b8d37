#!/usr/bin/env bash
#  rcmq-entrypoint: the entrypoint of the rcmq image (deploy/Dockerfile).
#
#  One image holds every rcmq program; this script picks which one a
#  container runs and checks what that program needs before it starts, so a
#  misconfigured container says what is wrong in one line instead of a
#  service failing deep inside CURVE or LMDB.
#
#    (no arguments)          run the process named by RCMQ_PROCESS
#    broker|intake|claims|denials|inquiry|audit|metrics|web [ARGS]
#    rcmq-<name> [ARGS]      run that process (ARGS go to it)
#    -* [ARGS]               flags for the RCMQ_PROCESS process
#    rcmqctl [ARGS]          run the CLI (e.g. `rcmqctl status`)
#    keys-init               make the deployment's keys in the keys
#                            directory, only when it holds none yet
#    health [--deep|--live]  exit 0 when this container's process is up: its
#                            ops port's GET /readyz answers 200 when
#                            <name>/ops is set (--live: GET /healthz), else
#                            its api port accepts a connection
#                            (--deep: answers over CURVE, linked to broker)
#    anything else           run as a command (bash, mdb_copy, mdb_stat, ...)
#
#  Environment: RCMQ_PROCESS, RCMQ_CONFIG (set by the image), any RCMQ_<KEY>
#  of docs/configuration.md, RCMQ_KEYS_WAIT (seconds to wait for this
#  process's secret key to appear, default 60), RCMQ_HEALTH=deep and
#  RCMQ_HEALTH_TIMEOUT (ms, default 3000) for the health check.

#  -e: a failed check stops the container instead of starting a process that
#  cannot work; -u: a misspelt variable is an error, not silently empty;
#  -o pipefail: a failure inside a pipeline is not hidden by its last stage.
set -euo pipefail

BIN=/usr/local/bin
PROCESSES="broker intake claims denials inquiry audit metrics web"
RCMQ_CONFIG="${RCMQ_CONFIG:-/etc/rcmq/rcmq.conf}"
export RCMQ_CONFIG

say () { echo "rcmq-entrypoint: $*" >&2; }
die () { say "$*"; exit 1; }

#  The value of a config key with the precedence of common/config.c:
#  environment RCMQ_<KEY> first, then the ZPL file, then the default. The
#  file is read with awk: rcmq.conf is two levels deep (section, then
#  `key = "value"` lines), which is all this script needs.
setting () {
    local key="$1" fallback="$2" env value
    env="RCMQ_$(printf '%s' "$key" | tr '[:lower:]/.-' '[:upper:]___')"
    value="${!env:-}"
    if [ -z "$value" ] && [ -r "$RCMQ_CONFIG" ]; then
        value="$(awk -v want="$key" '
            /^[ \t]*(#|$)/ { next }
            /^[^ \t]/ { section = $1; sub (/[ \t]*=.*/, "", section); next }
            {
                line = $0; sub (/^[ \t]+/, "", line)
                name = line; sub (/[ \t]*=.*/, "", name)
                if (section "/" name != want || index (line, "=") == 0) next
                value = substr (line, index (line, "=") + 1)
                sub (/^[ \t]+/, "", value)
                if (value ~ /^"/) { value = substr (value, 2); sub (/".*/, "", value) }
                else { sub (/[ \t]+#.*/, "", value); sub (/[ \t]+$/, "", value) }
                print value; exit
            }' "$RCMQ_CONFIG")"
    fi
    printf '%s' "${value:-$fallback}"
}

#  A process name (claims, rcmq-claims) as the short name, or nothing.
short_name () {
    local name="${1#rcmq-}" p
    for p in $PROCESSES; do
        [ "$name" = "$p" ] && { printf '%s' "$p"; return 0; }
    done
    return 1
}

#  The api port a process listens on inside its container, from its
#  api-bind setting (or api when there is no separate bind address).
api_port () {
    local name="$1" endpoint
    endpoint="$(setting "$name/api-bind" "")"
    [ -n "$endpoint" ] || endpoint="$(setting "$name/api" "")"
    [ -n "$endpoint" ] || die "no $name/api-bind or $name/api in $RCMQ_CONFIG"
    printf '%s' "${endpoint##*:}"
}

#  Root is only used to fix ownership of volumes that were created or
#  bind-mounted root-owned (a host directory, a fresh volume of an old
#  engine); the process itself then runs as the unprivileged rcmq user.
drop_root () {
    [ "$(id -u)" = 0 ] || return 0
    [ "${RCMQ_RUN_AS_ROOT:-0}" = 1 ] && return 0
    local data keys
    data="$(setting data/dir /var/lib/rcmq)"
    keys="$(setting keys/dir /etc/rcmq/keys)"
    mkdir -p "$data"
    chown rcmq:rcmq "$data"
    #  Keys may be a read-only mount (a Kubernetes Secret): then leave them.
    if [ -d "$keys" ] && [ -w "$keys" ]; then chown -R rcmq:rcmq "$keys" || true; fi
    exec setpriv --reuid=rcmq --regid=rcmq --init-groups "$0" "$@"
}

#  keys-init: make keys only in an empty directory, never over existing
#  ones. Regenerating would lock every client out and orphan the keys
#  operators have added, so anything already there is left alone.
keys_init () {
    local keys
    keys="$(setting keys/dir /etc/rcmq/keys)"
    mkdir -p "$keys"
    if [ -n "$(ls -A "$keys" 2>/dev/null)" ]; then
        if [ -d "$keys/public" ] && [ -d "$keys/secret" ]; then
            say "keys already in $keys, leaving them as they are"
            #  Show what is there; a listing failure must not fail the job.
            "$BIN/rcmqctl" --keys "$keys" keys list >&2 || true
            exit 0
        fi
        die "$keys is not empty but has no public/ and secret/: not a keys directory, refusing to touch it"
    fi
    say "no keys in $keys yet: creating them"
    exec "$BIN/rcmqctl" keys init "$keys"
}

#  health [--deep|--live]: exit 0 when the process of this container is
#  alive.
#
#  When the process has an ops port (<name>/ops, docs/operations.md "Ops
#  port"), the check is its GET /readyz (--live: GET /healthz) answering
#  200: the process's own word that its store is open, its api bound and its
#  streams caught up, at no cost (the ops port is not audited and touches no
#  store). Without one, it only checks that the process accepts connections
#  on its api port. That is what Docker and Kubernetes run every few seconds, and it must
#  stay cheap and private to this container: a request through rcmqctl is
#  audited (every service writes an audit.access event per request, DESIGN
#  §3), so `rcmqctl status` as a 10-second health check in seven containers
#  would add some 360,000 audit records a day, and would make each container's
#  health depend on all the others.
#
#  web also serves HTTP: its check then asks for the sign-in page, the one
#  page that needs no session, and wants a 200 (below, http_signin_ok).
#
#  --deep (or RCMQ_HEALTH=deep) asks the process itself over CURVE with
#  `rcmqctl status`, acting as the process's own identity (--as: no admin key
#  needed, which Kubernetes pods do not have) and requires this process's row
#  to say up and, for a service, connected to the broker. For scripts and
#  operators after a deployment or an upgrade.
health () {
    local name="${RCMQ_PROCESS:-}" port deep=0 live=0 row state link ops
    [ "${1:-}" = --deep ] || [ "${RCMQ_HEALTH:-}" = deep ] && deep=1
    [ "${1:-}" = --live ] && live=1
    name="$(short_name "$name")" || die "health: RCMQ_PROCESS is not an rcmq process"
    ops="$(setting "$name/ops" "")"
    if [ -n "$ops" ]; then
        if [ "$live" = 1 ]; then ops_ok "$name" "${ops##*:}" /healthz; else ops_ok "$name" "${ops##*:}" /readyz; fi
    else
        port="$(api_port "$name")"
        timeout 10 bash -c ": </dev/tcp/127.0.0.1/$port" 2>/dev/null \
            || die "health: $name is not listening on port $port"
    fi
    [ "$live" = 1 ] || [ "$name" != web ] || http_signin_ok
    [ "$deep" = 1 ] || return 0
    #  status exits non-zero when any process is down; only our row counts.
    row="$("$BIN/rcmqctl" --as "$name" --csv --timeout "${RCMQ_HEALTH_TIMEOUT:-3000}" status 2>/dev/null \
           | awk -F, -v n="$name" '$1 == n { print; exit }' || true)"
    state="$(printf '%s' "$row" | cut -d, -f2)"
    link="$(printf '%s' "$row" | cut -d, -f6)"
    [ "$state" = up ] || die "health: $name does not answer its api (rcmqctl --as $name status)"
    [ "$name" = broker ] || [ "$link" = connected ] || die "health: $name is up but not connected to the broker"
}

#  GET <path> on the ops port answers 200 (HTTP/1.0 over bash's /dev/tcp, as
#  below: the image has no curl); else the status line and the reason the
#  process gives (/readyz says why it is not ready) are the error.
ops_ok () {
    local name="$1" port="$2" path="$3" answer
    answer="$(timeout 10 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
        IFS=" " read -r _ code _ <&3 || exit 1
        # the headers, up to the blank line ("\r" alone)
        while IFS= read -r line <&3 && [ "${#line}" -gt 1 ]; do :; done
        body="$(head -c 300 <&3)"
        printf "%s %s" "$code" "$body"' _ "$port" "$path" 2>/dev/null || true)"
    [ "${answer%% *}" = 200 ] || die "health: $name's GET $path on ops port $port answered '${answer:-nothing}'"
}

#  The dashboard answers GET /signin with 200. The image has no curl, so
#  bash's /dev/tcp speaks HTTP/1.0 (the server closes after one answer) and
#  only the status line is read. Under TLS (web/tls-cert) bash cannot speak
#  it: then the port accepting a connection is the check.
http_signin_ok () {
    local endpoint port status
    endpoint="$(setting web/http 127.0.0.1:7680)"
    port="${endpoint##*:}"
    if [ -n "$(setting web/tls-cert "")" ]; then
        timeout 10 bash -c ": </dev/tcp/127.0.0.1/$port" 2>/dev/null \
            || die "health: web is not listening for HTTPS on port $port"
        return 0
    fi
    status="$(timeout 10 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET /signin HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
        IFS=" " read -r _ code _ <&3 && printf "%s" "$code"' _ "$port" 2>/dev/null || true)"
    [ "$status" = 200 ] || die "health: web's GET /signin on port $port answered '${status:-nothing}', not 200"
}

#  Checks before a service starts: its config, its secret key, its data.
preflight () {
    local name="$1" keys data waited=0 wait_max
    [ -r "$RCMQ_CONFIG" ] || die "config file $RCMQ_CONFIG not found (RCMQ_CONFIG)"
    keys="$(setting keys/dir /etc/rcmq/keys)"
    data="$(setting data/dir /var/lib/rcmq)"
    wait_max="${RCMQ_KEYS_WAIT:-60}"
    #  The keys are made by a one-shot job (compose `keys`) or mounted from
    #  a Secret; give them a moment rather than crash-looping at once.
    until [ -r "$keys/secret/$name.cert_secret" ] && [ -r "$keys/public/$name.cert" ]; do
        [ "$waited" -ge "$wait_max" ] && die "no key for $name: $keys/secret/$name.cert_secret and $keys/public/$name.cert must exist and be readable by $(id -un) (create them with \`rcmqctl keys init $keys\`, see docs/deploy.md)"
        [ $(( waited % 10 )) = 0 ] && say "waiting for $keys/secret/$name.cert_secret"
        sleep 1
        waited=$(( waited + 1 ))
    done
    mkdir -p "$data" 2>/dev/null || true
    [ -d "$data" ] && [ -w "$data" ] \
        || die "data directory $data is not writable by $(id -un) (uid $(id -u)): give the volume to uid $(id -u rcmq) (Kubernetes: fsGroup)"
}

run_process () {
    local name="$1"; shift
    [ -x "$BIN/rcmq-$name" ] || die "this image has no rcmq-$name"
    drop_root "$name" "$@"
    preflight "$name"
    #  exec: the process becomes PID 1 of the container and receives the
    #  SIGTERM of `docker stop` / a pod deletion itself, so it stops taking
    #  requests, flushes its outbox and closes LMDB before the grace period
    #  ends (a shell in between would swallow the signal).
    exec "$BIN/rcmq-$name" "$@"
}

if [ $# = 0 ] || [ "${1#-}" != "$1" ]; then
    [ -n "${RCMQ_PROCESS:-}" ] || die "set RCMQ_PROCESS (one of: $PROCESSES) or name a program to run"
    name="$(short_name "$RCMQ_PROCESS")" || die "RCMQ_PROCESS=$RCMQ_PROCESS: not one of $PROCESSES"
    run_process "$name" "$@"
fi

case "$1" in
    health)    shift; health "$@" ;;
    keys-init) drop_root "$@"; keys_init ;;
    rcmqctl)   shift; exec "$BIN/rcmqctl" "$@" ;;
    *)
        if name="$(short_name "$1")"; then
            shift
            run_process "$name" "$@"
        fi
        exec "$@"
        ;;
esac
