#!/usr/bin/env bash
# Load and soak: the NativeAOT daemon on a 200-module fixture host while a module is loaded and another
# unloaded every second, scraped by SCRAPERS concurrent connections (wrk) for MINUTES. RSS, CPU and open
# descriptors are sampled each minute; the summary gives their trend and every failed scrape.
# Usage: bench/soak.sh [MINUTES=60] [SCRAPERS=50] [INTERVAL]
#   Without INTERVAL the scrapers go flat out (wrk); with it, each scrapes once per INTERVAL seconds (curl).
#   issue 8's load test: bench/soak.sh 10 50      its hour-long soak: bench/soak.sh 60 50 1
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}; scrapers=${2:-50}; interval=${3:-}
command -v wrk >/dev/null || { echo "bench/soak.sh: apt-get install wrk" >&2; exit 2; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; cp "$work/daemon.log" "${TMPDIR:-/tmp}/soak-daemon.log" 2>/dev/null; rm -rf "$work"' EXIT
[ -x artifacts/aot/taintwatch ] || bash packaging/aot/publish.sh artifacts/aot >/dev/null   # the shipped binary (glibc 2.28 link)
[ -x artifacts/pollbench/PollBench ] || dotnet publish bench/PollBench -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o artifacts/pollbench >/dev/null
artifacts/pollbench/PollBench "$work/host" 200 1 >/dev/null   # builds the fixture host
host=$work/host

artifacts/aot/taintwatch run --path.procfs "$host/proc" --path.sysfs "$host/sys" --path.rootfs "$host" \
  --web.listen-address 127.0.0.1:19111 --state.directory "$work/state" --poll.interval 1s --log.format console \
  > "$work/daemon.log" 2>&1 &
tw=$!; pids+=("$tw")
for _ in $(seq 1 50); do curl -sf 127.0.0.1:19111/metrics >/dev/null && break; sleep 0.2; done
loads() { curl -s 127.0.0.1:19111/metrics | awk '/^taintwatch_module_events_total\{event="loaded"\}/ {print $2}'; }
loads0=$(loads)   # the 200 modules found at start

# Churn: every second one module appears and the one before disappears (as a fast load/unload cycle does).
(
  i=0
  while true; do
    i=$((i + 1))
    mkdir -p "$host/sys/module/churn_$i"; echo live > "$host/sys/module/churn_$i/initstate"; echo OE > "$host/sys/module/churn_$i/taint"
    { grep -v '^churn_' "$host/proc/modules"; echo "churn_$i 16384 0 - Live 0x0000000000000000 (OE)"; } > "$host/proc/modules.new"
    mv "$host/proc/modules.new" "$host/proc/modules"
    rm -rf "$host/sys/module/churn_$((i - 1))"
    sleep 1
  done
) &
pids+=($!)

if [ -z "$interval" ]; then
  wrk -c"$scrapers" -t2 -d"${minutes}m" --timeout 5s --latency http://127.0.0.1:19111/metrics > "$work/wrk.txt" 2>&1 &
  wrkpid=$!; pids+=("$wrkpid")
else
  # One process, one thread per scraper (no process spawned per scrape, so the scrapers cost little).
  python3 - "$scrapers" "$interval" "$minutes" > "$work/scrapers.txt" <<'PY' &
import sys, threading, time, urllib.request
scrapers, interval, minutes = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
end = time.time() + minutes * 60
ok = [0] * scrapers; bad = [0] * scrapers; slowest = [0.0] * scrapers
def scrape(i):
    time.sleep(interval * i / scrapers)  # spread out, as independent Prometheus servers are
    while time.time() < end:
        start = time.time()
        try:
            with urllib.request.urlopen("http://127.0.0.1:19111/metrics", timeout=5) as r:
                r.read()
                ok[i] += r.status == 200; bad[i] += r.status != 200
        except Exception:
            bad[i] += 1
        slowest[i] = max(slowest[i], time.time() - start)
        time.sleep(max(0.0, interval - (time.time() - start)))
threads = [threading.Thread(target=scrape, args=(i,)) for i in range(scrapers)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok) + sum(bad), sum(bad), "%.1fms" % (max(slowest) * 1000))
PY
  pids+=($!)
  wrkpid=
fi

hz=$(getconf CLK_TCK)
sample() { echo "$(awk '/VmRSS/ {print $2}' "/proc/$tw/status") $(awk '{print $14 + $15}' "/proc/$tw/stat") $(ls "/proc/$tw/fd" | wc -l) $(awk '/Threads/ {print $2}' "/proc/$tw/status")"; }
printf '%6s %10s %10s %6s %8s\n' minute rss_kib cpu_pct fds threads | tee "$work/samples.txt"
read -r _ cpu0 _ _ < <(sample)
for m in $(seq 1 "$minutes"); do
  sleep 60
  kill -0 "$tw" 2>/dev/null || { echo "the daemon died at minute $m"; tail "$work/daemon.log"; exit 1; }
  read -r rss cpu fds threads < <(sample)
  printf '%6d %10d %10.1f %6d %8d\n' "$m" "$rss" "$(echo "($cpu - $cpu0) * 100 / $hz / 60" | bc -l)" "$fds" "$threads" | tee -a "$work/samples.txt"
  cpu0=$cpu
done
if [ -n "$wrkpid" ]; then
  wait "$wrkpid" || true
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$work/wrk.txt"); errors=${errors:-0}
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt"); non2xx=${non2xx:-0}
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt"); p99=$(awk '/^ +99%/ {print $2}' "$work/wrk.txt")
else
  while [ ! -s "$work/scrapers.txt" ]; do sleep 1; done
  read -r requests errors slowest < "$work/scrapers.txt"
  non2xx=0; rps=$(echo "$requests / ($minutes * 60)" | bc -l | xargs printf %.1f); p99="n/a, slowest $slowest"
fi
events=$(( $(loads) - loads0 ))
# Trend: least-squares slope of RSS and descriptors over the second half (after warm-up), per minute.
slope() { awk -v col="$1" -v from="$(( minutes / 2 ))" 'NR > 1 && $1 >= from {n++; x += $1; y += $col; xy += $1 * $col; xx += $1 * $1}
  END {if (n < 2 || n * xx == x * x) print 0; else printf "%.1f", (n * xy - x * y) / (n * xx - x * x)}' "$work/samples.txt"; }
echo "scrapes: $requests ($rps/s, p99 $p99), failed: $errors socket errors, $non2xx non-2xx; module loads seen while churning: $events"
echo "trend over the second half: RSS $(slope 2) KiB/min, descriptors $(slope 4)/min"
