#!/usr/bin/env bash
# NativeAOT against the JIT build of the same daemon, in one run: binary size, time from exec to READY=1
# (received on a NOTIFY_SOCKET, as systemd would), and RSS after 20 s of polling the RHEL 7.9 fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/aot/publish.sh artifacts/aot >/dev/null   # the shipped binary (glibc 2.28 link)
dotnet publish src/TaintWatch -c Release -r linux-x64 --self-contained false -nologo -v quiet -o artifacts/jit >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r tests/fixtures/rhel79-scini "$work/host"
measure() { # name binary port
  python3 - "$@" "$work" <<'PY'
import os, socket, subprocess, sys, time
name, binary, port, work = sys.argv[1:5]
path = os.path.join(work, "notify-" + name)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(30)
host = os.path.join(work, "host")
env = dict(os.environ, NOTIFY_SOCKET=path)
start = time.monotonic()
p = subprocess.Popen([binary, "run", "--path.procfs", host + "/proc", "--path.sysfs", host + "/sys", "--path.rootfs", host,
                      "--web.listen-address", "127.0.0.1:" + port, "--state.directory", os.path.join(work, "state-" + name),
                      "--log.format", "console"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while s.recv(4096) != b"READY=1":
    pass
ready = (time.monotonic() - start) * 1000
time.sleep(20)
rss = int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1])
p.terminate(); p.wait()
size = sum(os.path.getsize(os.path.join(os.path.dirname(binary), f)) for f in os.listdir(os.path.dirname(binary)) if not f.endswith(".dbg") and not f.endswith(".pdb"))
print(f"{name:4}  files {size / 1048576:6.1f} MiB   exec -> READY=1 {ready:6.0f} ms   RSS after 20 s {rss / 1024:6.1f} MiB")
PY
}
echo "NativeAOT vs JIT (framework-dependent; files = the published directory without symbols)"
measure aot artifacts/aot/taintwatch 19201
measure jit artifacts/jit/taintwatch 19202
