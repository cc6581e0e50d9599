#!/usr/bin/env bash
# Benchmark: `taintwatch scan-log` throughput and memory on generated kernel logs of two sizes, beside
# `grep -c` looking for the same report lines in the same run (the peer: what a support engineer runs first).
# Usage: bench/scan-log.sh [size-in-MiB]   (default 500; a 100 MiB run is done too, to show memory is flat)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-500}
bash packaging/aot/publish.sh artifacts/aot >/dev/null   # the shipped binary (glibc 2.28 link)
TW=$PWD/artifacts/aot/taintwatch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_log() { # MiB file: realistic noise with a report every ~5000 lines, from the test fixtures (plain-text
  # logs only: the journal exports, a format of their own, would change what earlier runs measured)
  local mib=$1 out=$2
  python3 - "$mib" "$out" $(ls tests/fixtures/logs/*.log tests/fixtures/logs/*.dmesg | grep -v /journalctl-) <<'PY'
import sys
mib, out, fixtures = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
reports = [open(f).read() for f in fixtures]
noise = "[ 1234.567890] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx\n" \
        "[ 1234.600001] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready\n" \
        "[ 1240.000002] audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\" operation=\"profile_load\"\n"
block = noise * 1700
with open(out, "w") as f:
    written, i = 0, 0
    while written < mib * 1024 * 1024:
        chunk = block + reports[i % len(reports)]
        f.write(chunk); written += len(chunk); i += 1
PY
}

run() { # file -> "seconds maxrss_kib"
  /usr/bin/time -f "%e %M" "$TW" scan-log "$1" 2>&1 >/dev/null | tail -1
}

echo "scan-log throughput (NativeAOT, $(nproc) cores); peer: grep -c -E 'WARNING:|BUG:|Oops:|Modules linked in:'"
for mib in 100 "$size"; do
  make_log "$mib" "$work/log"
  cat "$work/log" > /dev/null
  read -r secs rss < <(run "$work/log")
  local_start=$(date +%s.%N)
  grep -c -E 'WARNING:|BUG:|Oops:|Modules linked in:' "$work/log" > "$work/count" || true  # not /dev/null: GNU grep then stops at the first match
  g=$(echo "$(date +%s.%N) - $local_start" | bc -l)
  printf '%5d MiB  scan-log %6.2f s = %6.1f MiB/s, max RSS %6.1f MiB   grep %6.2f s = %6.1f MiB/s   ratio %.2f\n' \
    "$mib" "$secs" "$(echo "$mib / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$g" "$(echo "$mib / $g" | bc -l)" "$(echo "$secs / $g" | bc -l)"
done
