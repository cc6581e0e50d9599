#!/usr/bin/env bash
# Boots Debian's real kernel (the corpus's linux-image) under QEMU (software emulation), with this host's
# root shared read-only over 9p, and runs tests/kernel/scenario.sh inside it: TaintWatch (the NativeAOT
# binary) watches while real modules load, WARN and unload. Results land in <work>/results for the tests.
# Usage: tests/kernel/run.sh AOT_BINARY [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "$1")
CORPUS=${TAINTWATCH_CORPUS:-/var/cache/taintwatch-test}
KVER=${TAINTWATCH_KVER:-6.1.0-56-amd64}
# Not under /tmp: the guest mounts a fresh tmpfs there.
work=${2:-$CORPUS/qemu-work-$$}
kroot=$CORPUS/root
rm -rf "$work" && mkdir -p "$work"/{build,results,initramfs/{bin,mods,proc,sys,dev,host,results}}

for tool in qemu-system-x86_64 busybox depmod cpio prometheus prometheus-alertmanager; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (apt-get install qemu-system-x86 busybox-static kmod cpio prometheus prometheus-alertmanager)" >&2; exit 2; }
done
[ -d "/usr/src/linux-headers-$KVER" ] || { echo "run.sh: apt-get install linux-headers-$KVER" >&2; exit 2; }

# The guest sees the host's root read-only with a fresh tmpfs on /tmp: give it copies of the binary and the
# scenario under the work directory, wherever this checkout lives.
cp "$binary" "$work/taintwatch"
cp "$here/scenario.sh" "$work/scenario.sh"
# policy: its scenario block, the webhook receiver and the shipped alert rules.
cp "$here/policy-scenario.sh" "$here/alert-receiver.py" "$here/../../packaging/prometheus/taintwatch-alerts.yml" "$work/"

# 1. Test modules, built against the kernel's headers; tw_badsig and tw_staging signed with a key the kernel does not trust.
for m in tw_prop tw_gpl tw_badsig tw_staging tw_latency tw_livepatch; do
  cp -r "$here/modules/$m" "$work/build/"
  make -s -C "/usr/src/linux-headers-$KVER" M="$work/build/$m" modules >"$work/build/$m.log" 2>&1 || { cat "$work/build/$m.log" >&2; exit 1; }
done
sign_file=$(find "$CORPUS/kbuild" /usr/lib/linux-kbuild-* -name sign-file -type f 2>/dev/null | head -n 1)
for m in tw_badsig tw_staging tw_livepatch; do
  "$sign_file" sha256 "$CORPUS/signed/keys/rsa.pem" "$CORPUS/signed/keys/rsa.pem" "$work/build/$m/$m.ko"
done

# 2. The guest's module tree: Debian's (hard links) plus the test modules in extra/, then depmod.
mkdir -p "$work/modroot/lib/modules"
cp -al "$kroot/lib/modules/$KVER" "$work/modroot/lib/modules/$KVER"
mkdir -p "$work/modroot/lib/modules/$KVER/extra"
cp "$work"/build/tw_*/tw_*.ko "$work/modroot/lib/modules/$KVER/extra/"
depmod -b "$work/modroot" "$KVER"
# issue 15 (trust): the kernel image under the same root, where TaintWatch finds the kernel's built-in keys.
mkdir -p "$work/modroot/boot" && cp -l "$kroot/boot/vmlinuz-$KVER" "$work/modroot/boot/"

# 3. initramfs: busybox, the 9p stack's modules (in load order; built-in ones are skipped), /init.
cp "$(command -v busybox)" "$work/initramfs/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
  f=$(find "$kroot/lib/modules/$KVER" -name "$m.ko" | head -n 1)
  [ -n "$f" ] && cp "$f" "$work/initramfs/mods/" && echo "$m" >> "$work/initramfs/mods/order"
done
cat > "$work/initramfs/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in \$(cat /mods/order); do insmod /mods/\$m.ko; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /results
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
mount -t tmpfs tmp /host/tmp; mount -t tmpfs run /host/run; mount -t cgroup2 cgroup2 /host/sys/fs/cgroup
mount --bind /results /host$work/results
ip link set lo up
chroot /host /bin/bash $work/scenario.sh $work/taintwatch $work > /results/console.log 2>&1
echo "scenario exit \$?" >> /results/console.log
sync
poweroff -f
INIT
chmod +x "$work/initramfs/init"
(cd "$work/initramfs" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")

# 4. Boot. TCG: nested KVM is not available here (reference/real-kernel-qemu.md).
timeout 600 qemu-system-x86_64 -m 1536 -smp 2 -nographic -no-reboot \
  -kernel "$kroot/boot/vmlinuz-$KVER" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 loglevel=4" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
  -virtfs "local,path=$work/results,mount_tag=results,security_model=none" \
  > "$work/serial.log" 2>&1 || true
grep -q "scenario exit 0" "$work/results/console.log" || { echo "run.sh: the scenario failed; see $work/results/console.log and $work/serial.log" >&2; tail -30 "$work/results/console.log" >&2 || tail -30 "$work/serial.log" >&2; exit 1; }
echo "$work/results"
