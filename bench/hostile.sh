#!/usr/bin/env bash
# The metrics port under hostile clients, TaintWatch beside node_exporter (reference, not a budget):
# N idle connections, then N slowloris ones (a request head begun, a byte every 0.5 s), each time 100 scrapes
# on fresh connections from another process; p99, slowest and failures. Loopback only; ends by itself.
# Usage: bench/hostile.sh [connections] [taintwatch-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
bin=${2:-artifacts/aot/taintwatch}
command -v prometheus-node-exporter >/dev/null || { echo "bench/hostile.sh: apt-get install prometheus-node-exporter" >&2; exit 2; }
if [ ! -x "$bin" ]; then
  dotnet publish src/TaintWatch -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o artifacts/aot >/dev/null
fi
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
cp -r tests/fixtures/rhel79-scini "$work/host"
"$bin" run --path.procfs "$work/host/proc" --path.sysfs "$work/host/sys" --path.rootfs "$work/host" \
  --web.listen-address 127.0.0.1:19201 --state.directory "$work/state" --log.format console >/dev/null 2>&1 &
pids+=($!)
prometheus-node-exporter --collector.disable-defaults --collector.textfile --collector.textfile.directory="$work" \
  --web.listen-address=127.0.0.1:19202 >/dev/null 2>&1 &
pids+=($!)
sleep 2
for mode in idle slow; do
  for target in taintwatch:19201 node_exporter:19202; do
    python3 - "$mode" "${target#*:}" "${target%%:*}" "$n" <<'PY'
import socket, sys, threading, time, http.client
mode, port, name, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
attack, stop = [], threading.Event()
for _ in range(n):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        if mode == "slow":
            s.send(b"GET /metrics HTTP/1.1\r\nX-a: ")
    except OSError:
        pass
    attack.append(s)
def drip():
    while mode == "slow" and not stop.is_set():
        for s in attack:
            try: s.send(b"a")
            except OSError: pass
        time.sleep(0.5)
t = threading.Thread(target=drip); t.start()
times, failed = [], 0
for _ in range(100):
    start = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics"); r = c.getresponse(); r.read(); c.close()
        failed += r.status != 200
    except Exception:
        failed += 1
    times.append((time.monotonic() - start) * 1000)
    time.sleep(0.02)
stop.set(); t.join()
for s in attack: s.close()
times.sort()
print(f"{mode:5} {n} connections, {name:13}: 100 scrapes, p99 {times[98]:.1f} ms, slowest {times[-1]:.1f} ms, {failed} failed")
PY
    sleep 2
  done
done
