#!/usr/bin/env bash
# The shipped binary (zig cc, glibc 2.28 symbol versions; packaging/aot/publish.sh) beside the same source
# linked by this host's clang (glibc 2.36), alternating, in one run: exec -> READY=1 (six starts each, wall time and
# the CPU time the process used to get there), /metrics with wrk (two 10 s rounds each: requests/s, and the
# daemon's CPU time per request, which a busy shared machine disturbs less), RSS and idle CPU over 60 s.
# The zig link must cost nothing at run time.
# Usage: bench/linkers.sh      (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/linkers.sh: apt-get install wrk" >&2; exit 2; }
TAINTWATCH_LINKER=host bash packaging/aot/publish.sh artifacts/aot-clang >/dev/null
bash packaging/aot/publish.sh artifacts/aot-zig >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r tests/fixtures/rhel79-scini "$work/host"
python3 - "$work" artifacts/aot-clang/taintwatch artifacts/aot-zig/taintwatch <<'PY'
import os, re, socket, subprocess, sys, time
work, clang, zig = sys.argv[1:4]
bins = {"clang": clang, "zig": zig}
def oncpu(pid):
    return sum(int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0]) for t in os.listdir(f"/proc/{pid}/task"))
def start(name, port, tag):
    path = f"{work}/notify-{name}-{tag}"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(60)
    h = work + "/host"
    t0 = time.monotonic()
    p = subprocess.Popen([bins[name], "run", "--path.procfs", h + "/proc", "--path.sysfs", h + "/sys", "--path.rootfs", h,
        "--web.listen-address", f"127.0.0.1:{port}", "--state.directory", f"{work}/state-{name}-{tag}", "--log.format", "console"],
        env=dict(os.environ, NOTIFY_SOCKET=path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while s.recv(4096) != b"READY=1":
        pass
    return p, (time.monotonic() - t0) * 1000, oncpu(p.pid) / 1e6
ready = {n: [] for n in bins}
cpu = {n: [] for n in bins}
for i in range(6):
    for name in (["clang", "zig"] if i % 2 == 0 else ["zig", "clang"]):
        p, ms, cpu_ms = start(name, 19300 + 2 * i + (name == "zig"), i); ready[name].append(ms); cpu[name].append(cpu_ms); p.terminate(); p.wait()
for n, v in ready.items():
    c = sorted(cpu[n])
    print(f"{n:5} exec -> READY=1: median {sorted(v)[len(v) // 2]:.0f} ms wall (each: {', '.join(f'{x:.0f}' for x in v)}), median {c[len(c) // 2]:.1f} ms CPU")
procs = {n: start(n, 19400 + k, "wrk")[0] for k, n in enumerate(bins)}
time.sleep(3)
def wrk(port):
    out = subprocess.run(["wrk", "-c10", "-t2", "-d10s", "--latency", f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True).stdout
    return (float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), re.search(r"\n\s+99%\s+(\S+)", out).group(1),
            int(re.search(r"(\d+) requests in", out).group(1)))
for r in range(2):
    for k, n in (list(enumerate(bins)) if r == 0 else list(reversed(list(enumerate(bins))))):
        before = oncpu(procs[n].pid)
        rps, p99, requests = wrk(19400 + k)
        per = (oncpu(procs[n].pid) - before) / 1e3 / requests
        print(f"{n:5} /metrics round {r + 1}: {rps:.0f} req/s, p99 {p99}, {per:.1f} us of daemon CPU per request")
for p in procs.values():
    p.terminate(); p.wait()
procs = {n: start(n, 19500 + k, "idle")[0] for k, n in enumerate(bins)}
time.sleep(20)
def rss(pid):
    return int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1])
c1 = {n: oncpu(p.pid) for n, p in procs.items()}; time.sleep(60); c2 = {n: oncpu(p.pid) for n, p in procs.items()}
for n, p in procs.items():
    print(f"{n:5} after 80 s: RSS {rss(p.pid) / 1024:.1f} MiB, idle CPU over 60 s {(c2[n] - c1[n]) / 1e9 / 60 * 100:.4f}% of a core")
for p in procs.values():
    p.terminate(); p.wait()
PY
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
