#!/usr/bin/env bash
# Installs what building and testing TaintWatch needs, on Debian/Ubuntu (apt) or RHEL/Fedora (dnf).
# Idempotent: does nothing for what is already there.
set -euo pipefail

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "run as root (or with sudo): it installs packages" >&2; exit 2; fi; }

# Test tools: kmod's modinfo/depmod (the reference for parity tests), xz/zstd/gzip to recompress modules (and
# lz4 -l for legacy-LZ4 kernel images),
# openssl and python3 to sign test modules, systemd's journald/journalctl and Prometheus' promtool for the
# daemon tests, util-linux's setpriv to run as an unprivileged user, bc for the benchmarks, rpm and rpmlint
# to build and check the package, clang for the NativeAOT link; QEMU, busybox, cpio and the kernel's headers
# for the real-kernel suite (tests/kernel).
apt_packages=(kmod xz-utils zstd gzip lz4 ca-certificates openssl python3 systemd prometheus util-linux bc liblzma5 libzstd1 rpm rpmlint git clang
  qemu-system-x86 busybox-static cpio curl make "linux-headers-${TAINTWATCH_KVER:-6.1.0-56-amd64}")
dnf_packages=(kmod xz zstd gzip lz4 openssl python3 systemd golang-github-prometheus util-linux bc xz-libs libzstd rpm-build rpmlint git clang)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ! command -v dotnet >/dev/null 2>&1; then missing+=(dotnet-sdk-10.0); fi
  if [ "${#missing[@]}" -gt 0 ]; then
    need_root
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif command -v dnf >/dev/null 2>&1; then
  missing=()
  for p in "${dnf_packages[@]}"; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ! command -v dotnet >/dev/null 2>&1; then missing+=(dotnet-sdk-10.0); fi
  if [ "${#missing[@]}" -gt 0 ]; then need_root; dnf install -y -q "${missing[@]}"; fi
else
  echo "neither apt-get nor dnf found: install the .NET 10 SDK, kmod, xz, zstd and gzip by hand" >&2
  exit 2
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "the .NET 10 SDK is still missing: see https://learn.microsoft.com/dotnet/core/install/linux" >&2
  exit 2
fi
