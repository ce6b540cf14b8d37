#!/bin/sh
#   pageprobe-summary.sh PROBE_OUT CLAIMS_PER_FILE
#   The probe's commits of 277CA files (those writing table "acks") and of
#   835 files (table "remits"), averaged: pages a file by table, pages a
#   claim, runs (contiguous stretches) and the commit's ms. With
#   PAGEPROBE_TIMES's lines (a commit's time and the entries of acks and
#   remits after it), the commits that added to acks or remits, one by one.
awk -v per="$2" '
/acks_entries=/ {
    split ($3, a, "="); split ($4, r, "=")
    sync = ""; if ($5 ~ /^sync_ms=/) { split ($5, y, "="); sync = " (syncs " y [2] " ms)" }
    if (a [2] + 0 > acks + 0) printf "ack file commit %.1f ms%s\n", $2, sync
    if (r [2] + 0 > remits + 0) printf "post file commit %.1f ms%s\n", $2, sync
    acks = a [2]; remits = r [2]; next
}
/ acks=/ { kind = "ack" } / remits=/ { kind = "post" }
!/ acks=| remits=/ { next }
{
    files [kind]++; ms [kind] += $2; pages [kind] += $3; runs [kind] += $4
    for (i = 5; i <= NF; i++) { split ($i, kv, "="); t [kind SUBSEP kv [1]] += kv [2]; names [kv [1]] = 1 }
}
END {
    for (k in files) {
        n = files [k]
        printf "%s: %d files; a file: %.0f pages (%.2f a claim), %.0f runs, commit %.0f ms\n", k, n, pages [k] / n, pages [k] / n / per, runs [k] / n, ms [k] / n
        for (name in names) if (t [k SUBSEP name] / n >= 1)
            printf "    %-22s %8.0f  %6.3f a claim  %5.1f %%\n", name, t [k SUBSEP name] / n, t [k SUBSEP name] / n / per, 100 * t [k SUBSEP name] / pages [k]
    }
}' "$1"
