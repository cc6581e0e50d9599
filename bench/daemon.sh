#!/usr/bin/env bash
# Daemon benchmarks, each beside its peer in the same run:
#  1. CPU and allocation of one steady-state poll of a 200-module host (bench/PollBench, NativeAOT).
#  2. /metrics throughput and latency with wrk (10 connections), against node_exporter's textfile collector
#     serving the very same series (taintwatch's own scrape, written to a .prom file).
#  3. Idle CPU and RSS of both over 60 s at a 5 s poll.
# Usage: bench/daemon.sh [wrk-seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
for tool in wrk prometheus-node-exporter; do
  command -v "$tool" >/dev/null || { echo "bench/daemon.sh: apt-get install wrk prometheus-node-exporter" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
bash packaging/aot/publish.sh artifacts/aot >/dev/null   # the shipped binary (glibc 2.28 link)
dotnet publish bench/PollBench -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o artifacts/pollbench >/dev/null

echo "== 1. one poll"
artifacts/pollbench/PollBench "$work/host" 200 5000

echo "== 2. /metrics, wrk -c10 -t2 -d${secs}s --latency"
artifacts/aot/taintwatch run --path.procfs "$work/host/proc" --path.sysfs "$work/host/sys" --path.rootfs "$work/host" \
  --web.listen-address 127.0.0.1:19101 --state.directory "$work/state" --log.format console >/dev/null 2>&1 &
pids+=($!)
sleep 2
mkdir -p "$work/textfile"
curl -s 127.0.0.1:19101/metrics > "$work/textfile/taintwatch.prom"
series=$(grep -vc '^#' "$work/textfile/taintwatch.prom")
prometheus-node-exporter --collector.disable-defaults --collector.textfile --collector.textfile.directory="$work/textfile" \
  --web.listen-address=127.0.0.1:19102 >/dev/null 2>&1 &
pids+=($!)
sleep 2
bench_wrk() { wrk -c10 -t2 -d"${secs}s" --latency "$1" | awk '/Requests\/sec/ {r=$2} /^ +99%/ {p=$2} END {print r, p}'; }
read -r tw_rps tw_p99 < <(bench_wrk http://127.0.0.1:19101/metrics)
read -r ne_rps ne_p99 < <(bench_wrk http://127.0.0.1:19102/metrics)
printf '%d series: taintwatch %s req/s (p99 %s)   node_exporter textfile %s req/s (p99 %s)   ratio %.1fx\n' \
  "$series" "$tw_rps" "$tw_p99" "$ne_rps" "$ne_p99" "$(echo "$tw_rps / $ne_rps" | bc -l)"

echo "== 3. idle, ${idle:=120} s at the default 5 s poll, fresh processes serving the same series, after one scrape"
# CPU from /proc/PID/task/*/schedstat (nanoseconds on CPU, every thread), not clock ticks: an idle daemon
# uses a few milliseconds a minute, below the tick's resolution.
oncpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {print ns}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
artifacts/aot/taintwatch run --path.procfs "$work/host/proc" --path.sysfs "$work/host/sys" --path.rootfs "$work/host" \
  --web.listen-address 127.0.0.1:19103 --state.directory "$work/state-idle" --log.format console >/dev/null 2>&1 &
tw=$!; pids+=("$tw")
prometheus-node-exporter --collector.disable-defaults --collector.textfile --collector.textfile.directory="$work/textfile" \
  --web.listen-address=127.0.0.1:19104 >/dev/null 2>&1 &
ne=$!; pids+=("$ne")
sleep 3
curl -s 127.0.0.1:19103/metrics >/dev/null; curl -s 127.0.0.1:19104/metrics >/dev/null
sleep 10
t1=$(oncpu "$tw"); n1=$(oncpu "$ne"); sleep "$idle"; t2=$(oncpu "$tw"); n2=$(oncpu "$ne")
printf 'idle: taintwatch %.4f%% of a core, RSS %d KiB   node_exporter (textfile) %.4f%% of a core, RSS %d KiB\n' \
  "$(echo "($t2 - $t1) / 10000000 / $idle" | bc -l)" "$(rss "$tw")" "$(echo "($n2 - $n1) / 10000000 / $idle" | bc -l)" "$(rss "$ne")"
