#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into OUT/<target>/, from the repository's real fixtures:
module files, logs, /proc and /sys files, captured uevents. Usage: fuzz/seeds.py OUT"""
import gzip, lzma, os, struct, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1]
fixtures = os.path.join(root, "tests", "fixtures")

def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()

modules = {n: read(fixtures, "modules", n) for n in sorted(os.listdir(os.path.join(fixtures, "modules")))}
magic = b"~Module signature appended~\n"
for name, data in modules.items():
    put("module", name, data)
    put("elf", name, data)
    put("appended-signature", name, data[-2048:])
    if data.endswith(magic):
        sig_len = struct.unpack(">I", data[-len(magic) - 4:-len(magic)])[0]
        put("pkcs7", name + ".p7", data[-len(magic) - 12 - sig_len:-len(magic) - 12])
small = modules["unsigned.ko"]
put("module", "unsigned.ko.xz", lzma.compress(small, check=lzma.CHECK_CRC32))
put("xz", "crc32.xz", lzma.compress(small[:2048], check=lzma.CHECK_CRC32))
put("xz", "crc64.xz", lzma.compress(b"taintwatch " * 50, check=lzma.CHECK_CRC64))
put("gzip", "module.gz", gzip.compress(small[:2048], mtime=0))
put("module", "unsigned.ko.gz", gzip.compress(small, mtime=0))
zstd = subprocess.run(["zstd", "-q", "-c"], input=small[:2048], stdout=subprocess.PIPE, check=True).stdout
put("zstd", "module.zst", zstd)
put("module", "unsigned.ko.zst", subprocess.run(["zstd", "-q", "-c"], input=small, stdout=subprocess.PIPE, check=True).stdout)
# OpenPGP v3 signature packet of a RHEL 5 module (tests/Modules/LegacySignatureTests).
put("openpgp", "rhel5.sig", bytes.fromhex("883f0305005d5a9ac688ff6304ebc6e5001102f948009e3949ebb835488cb726477731c7d0812c9f1c1883009f632b8fe096a6144cb8c58022230104835917014e"))
for log in sorted(os.listdir(os.path.join(fixtures, "logs"))):
    put("kernel-log", log, read(fixtures, "logs", log)[:8192])
# Logs pasted in bug trackers, in every shape scan-log reads (tests/fixtures/real-logs/manifest.json).
for log in sorted(os.listdir(os.path.join(fixtures, "real-logs"))):
    if log.endswith(".log"):
        put("kernel-log", "real-" + log, read(fixtures, "real-logs", log)[:8192])
for tree in ("rhel79-scini", "rhel6", "rhel86", "rhel93", "upstream-clean"):
    put("proc-modules", tree, read(fixtures, tree, "proc", "modules"))
    put("taint-value", tree, read(fixtures, tree, "proc", "sys", "kernel", "tainted"))
    sysmod = os.path.join(fixtures, tree, "sys", "module")
    for m in sorted(os.listdir(sysmod)):
        note = os.path.join(sysmod, m, "notes", ".note.gnu.build-id")
        if os.path.exists(note):
            put("build-id-note", f"{tree}-{m}", read(note))
for i, text in enumerate([b"12801", b"0x3001", b"POE", b"Tainted: P           OE  ------------ T", b"(Tainted: P    )", b"G     U"]):
    put("taint-value", f"text{i}", text)
for request in sorted(os.listdir(os.path.join(fixtures, "http"))):
    put("http-request", request, read(fixtures, "http", request))
uevents = read(fixtures, "uevents", "debian-6.1.0-56-qemu.bin")
i = n = 0
while i < len(uevents) and n < 12:
    length = struct.unpack("<I", uevents[i:i + 4])[0]
    put("uevent", f"uevent{n}", uevents[i + 4:i + 4 + length])
    i += 4 + length
    n += 1
put("expected-modules", "example.yaml", read(root, "packaging", "systemd", "expected-modules.example.yaml"))
put("expected-modules", "globs.yaml", b'signers:\n  - signer: "Red Hat*"\n    sig_key: "67:C6"\nmodules:\n  - name: "nvidia*"\n    signer: NVIDIA*\n  - {name: scini}\n')
