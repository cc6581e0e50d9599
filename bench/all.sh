#!/usr/bin/env bash
# Every performance budget of issue 8, measured now, each beside its peer measured in the same run, with a
# verdict. Runs bench/daemon.sh, bench/inspect-vs-modinfo.sh and bench/scan-log.sh; the soak is separate
# (bench/soak.sh: 10 min for the load test, an hour for the soak) and its last result is quoted in README.
# Usage: bench/all.sh [runs=3] [scan-log-MiB=500]      (needs the corpus: tests/corpus/prepare.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; size=${2:-500}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "running bench/daemon.sh ..." >&2;            bash bench/daemon.sh 10 > "$out/daemon.txt"
echo "running bench/inspect-vs-modinfo.sh ..." >&2; bash bench/inspect-vs-modinfo.sh "$runs" > "$out/inspect.txt"
echo "running bench/scan-log.sh ..." >&2;          bash bench/scan-log.sh "$size" > "$out/scanlog.txt"
cat "$out"/daemon.txt "$out"/inspect.txt "$out"/scanlog.txt
echo

verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo PASS; else echo FAIL; fi; }
row() { printf '%-44s %-34s %-30s %s\n' "$1" "$2" "$3" "$4"; }
num() { grep -oE "$2" "$out/$1" | head -n 1 | grep -oE '[0-9]+(\.[0-9]+)?' | head -n 1; }
ms() { awk -v v="$1" 'BEGIN {if (v ~ /us$/) print v / 1000; else if (v ~ /ms$/) print v + 0; else print v * 1000}'; }

poll_us=$(num daemon.txt '[0-9.]+ us CPU')
poll_bytes=$(num daemon.txt '[0-9]+ bytes allocated')
read -r tw_rps tw_p99 ne_rps ne_p99 < <(awk '/series: taintwatch/ {print $4, $7, $10, $13}' "$out/daemon.txt" | tr -d '()')
tw_p99_ms=$(ms "$tw_p99"); ratio_rps=$(echo "$tw_rps / $ne_rps" | bc -l)
read -r idle_tw rss_tw idle_ne rss_ne < <(awk '/^idle:/ {print $3, $8, $12, $17}' "$out/daemon.txt" | tr -d '%')
# "taintwatch --modinfo  0.070 s (0.38 / 0.73)  verifying  0.503 s (2.76 / 5.22)": ratios to modinfo / modinfo -P2.
ratio() { grep -E "$1" "$out/inspect.txt" | head -n 1 | sed -E "s/.*$2 +[0-9.]+ s \(([0-9.]+) \/ ([0-9.]+)\).*/\\$3/"; }
ko=$(ratio 'uncompressed \(.ko\)' 'taintwatch --modinfo' 1); xz=$(ratio 'xz crc32' 'taintwatch --modinfo' 1)
ko_verify=$(ratio 'uncompressed \(.ko\)' 'verifying' 1); xz_verify=$(ratio 'xz crc32' 'verifying' 1); xz_verify_p2=$(ratio 'xz crc32' 'verifying' 2)
# The bound (or estimate) line follows its tree's line: "bound: ... cores = 0.199 s (1.02 / 1.73)   same work by ...".
bound() { grep -A 1 -E "$1" "$out/inspect.txt" | grep -E 'bound:|estimate:' | head -n 1 | sed -E "s/.*cores = +[0-9.]+ s \(([0-9.]+) \/ ([0-9.]+)\).*/\\$2/"; }
ko_bound=$(bound 'uncompressed \(.ko\)' 1); xz_bound_p2=$(bound 'xz crc32' 2)
read -r mibs rss_big < <(awk -v s="$size" '$1 == s {print $7, $11}' "$out/scanlog.txt")
read -r rss_small < <(awk '$1 == 100 {print $11}' "$out/scanlog.txt")

row BUDGET MEASURED PEER VERDICT
row "idle CPU at a 5 s poll < 0.05% of a core" "$idle_tw%" "node_exporter textfile $idle_ne%" "$(verdict "$idle_tw < 0.05")"
row "idle RSS <= node_exporter textfile's" "${rss_tw} KiB" "node_exporter ${rss_ne} KiB" "$(verdict "$rss_tw <= $rss_ne")"
row "poll of an unchanged 200-module host < 100 us" "$poll_us us CPU, $poll_bytes B/poll" "(allocation flat: PollAllocationTests)" "$(verdict "$poll_us < 100")"
row "/metrics >= 10x node_exporter textfile req/s" "$tw_rps req/s ($(printf %.1f "$ratio_rps")x)" "node_exporter $ne_rps req/s" "$(verdict "$ratio_rps >= 10")"
row "/metrics p99 < 5 ms at 10 connections" "$tw_p99" "node_exporter $ne_p99" "$(verdict "$tw_p99_ms < 5")"
row "inspect --all <= 0.5x modinfo (.ko)" "${ko}x" "modinfo, same files, same run" "$(verdict "$ko <= 0.5")"
row "inspect --all <= 0.7x modinfo (.ko.xz)" "${xz}x" "modinfo, same files, same run" "$(verdict "$xz <= 0.7")"
row "verifying every .ko <= 1x modinfo reading" "${ko_verify}x (lower bound ${ko_bound}x)" "modinfo, same files, same run" "$(verdict "$ko_verify <= 1")"
row "verifying every .ko.xz <= 0.6x modinfo -P2" "${xz_verify_p2}x (${xz_verify}x of one; estimate ${xz_bound_p2}x)" "modinfo split over every core" "$(verdict "$xz_verify_p2 <= 0.6")"
row "scan-log >= 100 MB/s" "$mibs MiB/s on $size MiB" "grep -c in scanlog.txt above" "$(verdict "$mibs >= 100")"
row "scan-log memory flat in input size" "${rss_small} -> ${rss_big} MiB RSS" "100 MiB -> $size MiB" "$(verdict "$rss_big < $rss_small * 2")"
