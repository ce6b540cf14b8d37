#!/usr/bin/env bash
# rcmq-web's sign-in and sessions with real processes (issue 18, ADR 27):
# no session, a forged cookie, an expired session (the clock moved past the
# idle time across a restart), a replayed one-time link, a missing CSRF
# token (sign-in form and sign-out) are all refused; five wrong passwords
# lock the user; cookies carry HttpOnly and SameSite=Strict and no Secure on
# plain HTTP; a service that does not answer makes a 502 page that names it;
# the dashboard acts with the user's own key, so a role that may
# not read metrics gets 403 from the page the service refuses.
#
# Run by scripts/test (RCMQ_BUILD, RCMQ_TEST_PORT_BASE, TMPDIR set); by hand:
#   RCMQ_BUILD=build RCMQ_TEST_PORT_BASE=28000 bash tests/integration/web-security.sh

# shellcheck disable=SC2015
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_init web-security 28000
export RCMQ_NO_BUILD=1
export RCMQ_NOW="2026-11-02T09:00:00Z"
WEB="http://127.0.0.1:$((RCMQ_PORT_BASE + 80))"

# get PATH [curl args...]: prints "STATUS LOCATION" of one request, headers
# in $WORK/headers, body in $WORK/body; never follows a redirect.
get() {
    local path="$1"; shift
    curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code} %{redirect_url}' "$@" "$WEB$path"
}
header() { grep -i "^$1:" "$WORK/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
session_of() { header Set-Cookie | sed -E 's/^rcmq_session=([0-9a-f]*);.*/\1/'; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/body" | head -n 1 | sed -E 's/.*value="([0-9a-f]*)"/\1/'; }
link() { "$CTL" --config "$CONF" web link "$1"; }

"$ROOT/scripts/run" --empty >"$WORK/start.log" 2>&1 || { tail -n 40 "$WORK/start.log"; exit 1; }
grep -q "Sign in as leader (one-time link, 5 minutes): $WEB/link/[0-9a-f]\{64\}$" "$WORK/start.log" \
    && ok "scripts/run prints the dashboard and a sign-in link" || fail "scripts/run printed no sign-in link"
"$CTL" --config "$CONF" status --json >"$WORK/status.json" || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(p["name"]=="web" and p["up"] for p in d["processes"]), d' \
    "$WORK/status.json" && ok "rcmqctl status lists rcmq-web up" || fail "status does not list rcmq-web up"

# --- no session: every page sends the browser to the sign-in page -----------
for page in / /overview.csv /aging /aging.csv "/drill?kpi=ar_cents" /drill.csv /scorecard /scorecard.csv /denials.csv /queues.csv \
            /denials /denial-patterns.csv /work /work.csv /queues "/queue?id=q-x" /audit /patients; do
    got="$(get "$page")"
    [[ "$got" == "303 $WEB/signin" ]] && ok "no session: $page -> sign-in" || fail "no session: $page gave '$got'"
done
got="$(get /signin)"
[[ "$got" == "200 " ]] && ok "the sign-in page is public" || fail "GET /signin gave '$got'"

# --- forged cookie ------------------------------------------------------------
forged="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
got="$(get / -H "Cookie: rcmq_session=$forged")"
[[ "$got" == "303 $WEB/signin" ]] && ok "a forged session cookie -> sign-in" || fail "forged cookie gave '$got'"
header Set-Cookie | grep -q "Max-Age=0" && ok "and the browser is told to forget it" || fail "the forged cookie is not cleared"

# --- one-time link: signs in once, then never again ---------------------------
url="$(link leader)"
[[ "$url" =~ ^$WEB/link/[0-9a-f]{64}$ ]] && ok "web link prints only the URL" || fail "web link printed '$url'"
got="$(curl -s -o /dev/null -D "$WORK/headers" -w '%{http_code} %{redirect_url}' "$url")"
[[ "$got" == "303 $WEB/" ]] && ok "the link signs in and opens the Overview" || fail "the link gave '$got'"
cookie="$(header Set-Cookie)"
[[ "$cookie" == *"; HttpOnly"* && "$cookie" == *"; SameSite=Strict"* && "$cookie" == *"Path=/"* ]] \
    && ok "session cookie: HttpOnly, SameSite=Strict, Path=/" || fail "session cookie flags: $cookie"
[[ "$cookie" != *Secure* ]] && ok "no Secure flag over plain HTTP" || fail "Secure on plain HTTP: $cookie"
session="$(session_of)"
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "200 " ]] && ok "the session opens the Overview" || fail "Overview with the session gave '$got'"
grep -q 'data-kpi="ar_cents"' "$WORK/body" && ok "the Overview shows the KPI tiles" || fail "no KPI tiles"
got="$(curl -s -o /dev/null -w '%{http_code}' "$url")"
[[ "$got" == 403 ]] && ok "a replayed link is refused (403)" || fail "the replayed link gave $got"
"$CTL" --config "$CONF" --json web link leader | python3 -c 'import json,sys; d=json.load(sys.stdin); assert list(d)==["url"] and "/link/" in d["url"]' \
    && ok "web link --json is {\"url\": ...}" || fail "web link --json"
"$CTL" --config "$CONF" web link nobody >/dev/null 2>"$WORK/err" && fail "web link for a user without keys worked" \
    || ok "web link for a user without a key file fails"

# --- CSRF: a POST without the token changes nothing ------------------------------
got="$(get /signout -X POST -H "Cookie: rcmq_session=$session" --data "")"
[[ "$got" == "403 " ]] && ok "sign-out without the CSRF token is refused (403)" || fail "sign-out without CSRF gave '$got'"
got="$(get /signout -X POST -H "Cookie: rcmq_session=$session" --data "csrf=$(printf '0%.0s' {1..64})")"
[[ "$got" == "403 " ]] && ok "sign-out with a wrong CSRF token is refused (403)" || fail "wrong CSRF gave '$got'"
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "200 " ]] && ok "the session still works after the refused POSTs" || fail "session after refused POST: '$got'"
csrf="$(csrf_of)"
got="$(get /signout -X POST -H "Cookie: rcmq_session=$session" --data "csrf=$csrf")"
[[ "$got" == "303 $WEB/signin" ]] && ok "sign-out with the token" || fail "sign-out gave '$got'"
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "303 $WEB/signin" ]] && ok "the signed-out cookie opens nothing" || fail "signed-out cookie gave '$got'"

# --- password sign-in, its CSRF token, lockout -----------------------------------
printf 'a long demo password\n' >"$WORK/pw"
"$CTL" --config "$CONF" web passwd leader --password-file "$WORK/pw" >/dev/null \
    && ok "web passwd --password-file" || fail "web passwd failed"
printf 'short\n' | "$CTL" --config "$CONF" web passwd leader >/dev/null 2>"$WORK/err" \
    && fail "a 5-character password was taken" || ok "a short password (stdin) is refused"
get /signin >/dev/null
pre="$(header Set-Cookie | sed -E 's/^rcmq_signin=([0-9a-f]*);.*/\1/')"
form_csrf="$(csrf_of)"
signin() { get /signin -X POST -H "Cookie: rcmq_signin=$pre" --data-urlencode "csrf=$form_csrf" \
               --data-urlencode "user=leader" --data-urlencode "password=$1"; }
got="$(get /signin -X POST --data-urlencode "user=leader" --data-urlencode "password=a long demo password")"
[[ "$got" == "403 " ]] && ok "a sign-in POST without the form's CSRF token is refused" || fail "sign-in without CSRF gave '$got'"
got="$(signin "a long demo password")"
[[ "$got" == "303 $WEB/" ]] && ok "sign-in with the password" || fail "password sign-in gave '$got'"
for i in 1 2 3 4; do
    got="$(signin "wrong $i")"
    [[ "$got" == "401 " ]] || fail "wrong password $i gave '$got'"
done
got="$(signin "wrong 5")"
[[ "$got" == "429 " ]] && ok "the fifth wrong password locks (429)" || fail "fifth wrong password gave '$got'"
got="$(signin "a long demo password")"
[[ "$got" == "429 " ]] && ok "locked: the right password is refused too" || fail "locked user signed in: '$got'"

# --- the dashboard has the user's rights, no more ---------------------------------
rcmq_grant "$CTL" "$CONF" agent vendor-agent acme-billing 2027-12-31 >/dev/null || fail "grant agent"
url="$(link agent)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
agent="$(session_of)"
got="$(get / -H "Cookie: rcmq_session=$agent")"
[[ "$got" == "403 " ]] && ok "a vendor agent's Overview is 403: metrics refuses the agent's own key" \
    || fail "vendor agent's Overview gave '$got'"
grep -q "PERMISSION_DENIED" "$WORK/body" && ok "the page says the service's refusal" || fail "no refusal on the page"

# --- a vendor opening a queue outside its team's: 403, audited as denied -------------
# Intake answers the vendor NOT_FOUND (an out-of-scope subject reads as
# absent); the access record is a denied access naming the queue, so
# compliance's `audit query --outcome denied` finds it.
rcmq_grant "$CTL" "$CONF" vince vendor-lead acme-billing 2027-12-31 >/dev/null || fail "grant vince"
url="$(link vince)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
vince="$(session_of)"
got="$(get "/queue?id=q-medicare" -H "Cookie: rcmq_session=$vince")"
[[ "$got" == "403 " ]] && ok "a vendor lead opening another team's queue gets 403" || fail "vince's q-medicare gave '$got'"
refused() {
    ctl --json audit query --actor vince --method queue.Show --outcome denied >"$WORK/denied.json" 2>/dev/null \
    && python3 -c '
import json, sys
records = json.load(open(sys.argv[1]))["records"]
sys.exit(0 if any(r["status"] == "PERMISSION_DENIED" and "q-medicare" in r["message"] and r["role"] == "vendor-lead"
                  and r["team"] == "acme-billing" and r["service"] == "intake" for r in records) else 1)' "$WORK/denied.json"
}
wait_for 30 refused && ok "and audit query --outcome denied finds intake's refusal of q-medicare (vendor-lead, acme-billing)" \
    || fail "no denied queue.Show of q-medicare by vince in audit query: $(cat "$WORK/denied.json")"

# --- a session's connections are kept across its pages (ADR 41) --------------------
# rcmq-web's established TCP connections to metrics' api: one a signed-in
# session that has read it, however many pages it opened; none once it
# signed out.
metrics_connections() {
    ss -tnpH state established "( dport = :$((RCMQ_PORT_BASE + 16)) )" 2>/dev/null \
        | grep -c "pid=$(cat "$RCMQ_VAR/run/web.pid")," || true
}
before="$(metrics_connections)"     # the sessions above keep theirs
url="$(link leader)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
session="$(session_of)"
for _ in 1 2 3; do
    got="$(get / -H "Cookie: rcmq_session=$session")"
    [[ "$got" == "200 " ]] || fail "Overview gave '$got'"
done
csrf="$(csrf_of)"
got="$(metrics_connections)"
[[ "$got" == $((before + 1)) ]] && ok "three Overview pages of one session: one connection to metrics, kept" \
    || fail "three Overview pages of one session: $got connections to metrics (expected $before + 1)"
url="$(link leader)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
other="$(session_of)"
get / -H "Cookie: rcmq_session=$other" >/dev/null
got="$(metrics_connections)"
[[ "$got" == $((before + 2)) ]] && ok "a second session has its own connection (its user's key)" \
    || fail "two sessions: $got connections to metrics (expected $before + 2)"
got="$(get /signout -X POST -H "Cookie: rcmq_session=$session" --data "csrf=$csrf")"
[[ "$got" == "303 $WEB/signin" ]] || fail "sign-out gave '$got'"
sleep 0.5
got="$(metrics_connections)"
[[ "$got" == $((before + 1)) ]] && ok "signing out ends the session's connections" \
    || fail "after one sign-out: $got connections to metrics (expected $before + 1)"

# --- a service that does not answer: the page says so (502), once ----------------
url="$(link leader)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
session="$(session_of)"
metrics_pid="$(cat "$RCMQ_VAR/run/metrics.pid")"
kill -STOP "$metrics_pid"
got="$(get / -H "Cookie: rcmq_session=$session")"
kill -CONT "$metrics_pid"
[[ "$got" == "502 " ]] && ok "metrics not answering: the Overview is 502" || fail "metrics stopped: Overview gave '$got'"
grep -q "no reply from tcp://127.0.0.1:$((RCMQ_PORT_BASE + 16))" "$WORK/body" \
    && ok "and names the endpoint that did not answer" || fail "the 502 page does not name metrics' endpoint"
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "200 " ]] && ok "metrics back: the Overview is 200 again" || fail "after metrics came back: '$got'"

# --- an idle session ends (the clock moved on across a restart of rcmq-web) -----------
url="$(link leader)"
curl -s -o /dev/null -D "$WORK/headers" "$url"
session="$(session_of)"
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "200 " ]] || fail "fresh session gave '$got'"
kill -TERM "$(cat "$RCMQ_VAR/run/web.pid")"
for _ in $(seq 1 100); do kill -0 "$(cat "$RCMQ_VAR/run/web.pid")" 2>/dev/null || break; sleep 0.1; done
RCMQ_NOW="2026-11-02T10:00:00Z" "$ROOT/scripts/run" --empty >"$WORK/restart.log" 2>&1 \
    || { tail -n 30 "$WORK/restart.log"; fail "restart of rcmq-web"; }
got="$(get / -H "Cookie: rcmq_session=$session")"
[[ "$got" == "303 $WEB/signin" ]] && ok "a session idle past 30 minutes is refused" || fail "idle session gave '$got'"

# In the sanitizer build, no process may report an ASan, UBSan or leak
# error (leaks show at exit, so after the stop).
if [[ "${RCMQ_SANITIZE:-0}" == 1 ]]; then
    stop_deployment
    reports="$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RCMQ_VAR"/log/*.log || true)"
    if [[ -z "$reports" ]]; then ok "no sanitizer reports in the processes' logs"; else
        for log in $reports; do
            fail "sanitizer report in $(basename "$log"):"
            grep -n -A 25 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 60 | sed 's/^/    /'
        done
    fi
fi

echo
if ((failures)); then
    echo "web-security: $failures check(s) failed"
    exit 1
fi
echo "web-security: all checks passed"
