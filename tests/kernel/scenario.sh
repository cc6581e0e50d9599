#!/bin/bash
# Runs inside the QEMU guest (chrooted into the host's root over 9p). Loads real modules step by step while
# TaintWatch watches, and records what the kernel says next to what TaintWatch says.
# Usage (by run.sh): scenario.sh AOT_BINARY WORK_DIR
set -u
B=$1; W=$2; R=$W/results; ROOT=$W/modroot
K=$ROOT/lib/modules/$(uname -r)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

truth() { # what the kernel says now, and TaintWatch's metrics, into results/<step>/
  local d=$R/$1; mkdir -p "$d"
  cat /proc/sys/kernel/tainted > "$d/tainted"
  cat /proc/modules > "$d/modules"
  for f in /sys/module/*/taint; do n=${f#/sys/module/}; echo "${n%/taint} $(cat "$f")"; done > "$d/sysfs-taint"
  curl -s 127.0.0.1:9877/metrics > "$d/metrics"
}
start_tw() { # start_tw N [extra flags]
  local n=$1; shift
  "$B" run --path.rootfs "$ROOT" --state.directory /tmp/tw-state --poll.interval 1s \
    --web.listen-address 127.0.0.1:9877 --log.format journal "$@" > "$R/taintwatch-$n.log" 2>&1 &
  TW=$!
  for _ in $(seq 1 120); do curl -sf 127.0.0.1:9877/metrics > /dev/null && return 0; sleep 0.5; done
  echo "taintwatch did not start"; return 1
}

now_us() { date +%s%6N; }
latency_loop() { # latency_loop FILE: load and unload tw_latency 5 times, writing the time just before each insmod
  for i in 1 2 3 4 5; do
    now_us >> "$R/$1"; insmod "$K/extra/tw_latency.ko"; sleep 0.$((RANDOM % 9 + 1)); rmmod tw_latency; sleep 1.2
  done
}

/lib/systemd/systemd-journald > "$R/journald.log" 2>&1 &
# Every uevent the kernel sends, length-prefixed (fixtures for the parser), and when it arrived (the latency's start).
python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15); s.bind((0, 1))
out = open(sys.argv[1], "wb", buffering=0); times = open(sys.argv[2], "w", buffering=1)
while True:
    d = s.recv(65536); t = time.time_ns() // 1000
    out.write(struct.pack("<I", len(d)) + d); times.write("%d %s\n" % (t, d.split(b"\0")[0].decode()))
' "$R/uevents.bin" "$R/uevents.times" &
CAPTURE=$!
sleep 1
start_tw 1 || exit 1
sleep 2; truth 0-start
insmod "$K/extra/tw_gpl.ko"; sleep 3; truth 1-gpl
insmod "$K/extra/tw_badsig.ko"; sleep 3; truth 2-badsig
# Restart between two loads: kill -9, load the WARN module while TaintWatch is down, start again.
kill -9 "$TW"; wait "$TW" 2>/dev/null
insmod "$K/extra/tw_prop.ko"
start_tw 2 || exit 1
sleep 3; truth 3-prop-after-restart
rmmod tw_gpl; sleep 3; truth 4-gpl-removed
insmod "$K/kernel/drivers/net/dummy.ko"; sleep 3; truth 5-dummy
# Faster than any poll: load and unload at once. The uevent tells TaintWatch its name; the C bit stays.
# finit_module and delete_module straight from one process: the module lives for well under a millisecond.
python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
if libc.syscall(313, fd, b"", 0) != 0: sys.exit("finit_module: " + os.strerror(ctypes.get_errno()))
if libc.syscall(176, b"tw_staging", os.O_NONBLOCK) != 0: sys.exit("delete_module: " + os.strerror(ctypes.get_errno()))
' "$K/extra/tw_staging.ko" || exit 1
sleep 3; truth 6-fast
# Time from insmod to the journal entry: with uevents, then with the 1 s timed poll alone.
latency_loop latency-uevents.times; truth 7-latency-uevents
kill "$TW"; wait "$TW" 2>/dev/null
start_tw 3 --poll.uevents=false || exit 1
latency_loop latency-poll.times; truth 8-latency-poll

"$B" status --json --path.rootfs "$ROOT" > "$R/status.json"; echo $? > "$R/status.rc"
"$B" inspect --json --path.rootfs "$ROOT" tw_prop tw_badsig dummy > "$R/inspect.json"
for m in tw_prop tw_badsig dummy; do
  modinfo -b "$ROOT" "$m" > "$R/modinfo-$m.txt"
  "$B" inspect --modinfo --path.rootfs "$ROOT" "$m" > "$R/taintwatch-modinfo-$m.txt"
done
dmesg > "$R/dmesg.txt"
"$B" scan-log --json "$R/dmesg.txt" > "$R/scan-log.json"
kill "$TW" "$CAPTURE"; wait "$TW" 2>/dev/null
# ---- issue 15 (trust): signatures verified against the keys found in the kernel image -------------------
# The kernel's own verdict is in sysfs-taint (E for tw_badsig, none for dummy) and /proc/keys; TaintWatch's is
# what status, inspect and the daemon say. Kept apart from the blocks above so other additions do not collide.
mkdir -p "$R/9-trust"
cat /proc/keys > "$R/9-trust/proc-keys" 2>&1
truth_taint() { for f in /sys/module/*/taint; do n=${f#/sys/module/}; echo "${n%/taint} $(cat "$f")"; done; }
truth_taint > "$R/9-trust/sysfs-taint"
"$B" status --json --path.rootfs "$ROOT" > "$R/9-trust/status.json"
"$B" inspect --json --path.rootfs "$ROOT" tw_badsig tw_prop dummy > "$R/9-trust/inspect.json"
"$B" run --path.rootfs "$ROOT" --state.directory /tmp/tw-state-trust --poll.interval 1s \
  --web.listen-address 127.0.0.1:9878 --log.format console > "$R/taintwatch-trust.log" 2>&1 &
TWT=$!
# Unpacking the image under TCG takes a while: wait for the trust anchors to be in.
for _ in $(seq 1 240); do
  curl -s 127.0.0.1:9878/metrics > "$R/9-trust/metrics"
  grep -q 'taintwatch_trusted_keys{source="kernel_image"}' "$R/9-trust/metrics" && grep -q 'module="dummy".*verified="valid"' "$R/9-trust/metrics" && break
  sleep 1
done
kill "$TWT"; wait "$TWT" 2>/dev/null
# ---- end of issue 15 (trust) ----

journalctl -o json --all --no-pager SYSLOG_IDENTIFIER=taintwatch > "$R/journal.json"

# ---- policy (issue 17): live patch, lifecycle metrics, the alert through Prometheus and Alertmanager ----
. "$W/policy-scenario.sh"
# ---- end of policy ----

uname -r > "$R/uname"
exit 0
