#!/bin/sh
#   pageprobe-e2e.sh BUILD OUT [e2e arguments...]
#   Runs BUILD's bench/e2e with bench/pageprobe.so preloaded into
#   rcmq-claims alone (a copy of BUILD, its rcmq-claims wrapped), the
#   probe's lines to OUT, then bench/pageprobe-summary.sh on them: pages
#   each 277CA and 835 file's commit wrote, by table. The e2e bench makes
#   one file of each per payer (six payers), so a file holds claims/6.
#       bench/pageprobe-e2e.sh build /tmp/probe.out --claims 30000 --no-limits
set -e
build=$(cd "$1" && pwd); out=$2; shift 2
claims=100000
prev=""
for arg in "$@"; do [ "$prev" = "--claims" ] && claims=$arg; prev=$arg; done
copy=$(mktemp -d /tmp/pageprobe-build.XXXXXX)
trap 'rm -rf "$copy"' EXIT
cp -a "$build/." "$copy/"
mv "$copy/services/claims/rcmq-claims" "$copy/services/claims/rcmq-claims.real"
# shellcheck disable=SC2016  # the wrapper expands them, not this script
printf '#!/bin/sh\nLD_PRELOAD=%s PAGEPROBE_OUT=%s exec "$(dirname "$0")/rcmq-claims.real" "$@"\n' \
    "$copy/bench/pageprobe.so" "$out" > "$copy/services/claims/rcmq-claims"
chmod +x "$copy/services/claims/rcmq-claims"
rm -f "$out"
"$copy/bench/e2e" "$@"
"$(dirname "$0")/pageprobe-summary.sh" "$out" $((claims / 6))
