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
# Trust anchors: a vmlinux-like blob holding a certificate list followed by its length (certs/system_certificates.S),
# that blob as the payload of tiny bzImages in each compression the kernel's build uses, EFI signature lists, and
# the PKCS#7 blocks of real modules for the full SignedData parser.
cert = read(fixtures, "trust", "test-module-key.der")

def align8(blob):
    return blob + b"\0" * (-len(blob) % 8)

def cert_list_image(certs):
    body = b"".join(certs)
    blob = align8(b"\x7fELF\x02\x01\x01" + b"\0" * 57 + b"rodata" * 11) + body
    return align8(blob) + struct.pack("<Q", len(body)) + b"\0" * 64

def bzimage(payload):
    setup = bytearray(1024)
    setup[0x1F1] = 1
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x20F)
    struct.pack_into("<II", setup, 0x248, 16, len(payload))
    return bytes(setup) + b"\0" * 16 + payload

def tool(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout

vmlinux = cert_list_image([cert, cert])
with_size = lambda c: c + struct.pack("<I", len(vmlinux))
put("certificate-list", "two-certs", vmlinux)
put("certificate-list", "no-length", vmlinux[:-72])
put("certificate-list", "truncated-cert", vmlinux[:200])
put("kernel-image", "elf", vmlinux)
put("kernel-image", "bzimage-xz", bzimage(with_size(lzma.compress(vmlinux, check=lzma.CHECK_CRC32))))
put("kernel-image", "bzimage-gzip", bzimage(gzip.compress(vmlinux, mtime=0)))
put("kernel-image", "bzimage-zstd", bzimage(with_size(tool(["zstd", "-q", "-c"], vmlinux))))
put("kernel-image", "bzimage-lz4", bzimage(with_size(tool(["lz4", "-l", "-q", "-c"], vmlinux))))
put("kernel-image", "bzimage-lzma", bzimage(with_size(lzma.compress(vmlinux, format=lzma.FORMAT_ALONE))))
put("kernel-image", "bzimage-bzip2", bzimage(with_size(tool(["bzip2", "-9", "-c"], vmlinux))))
put("kernel-image", "bzimage-truncated", bzimage(gzip.compress(vmlinux, mtime=0))[:1100])
put("kernel-image", "zboot-gzip", b"MZ\0\0zimg" + struct.pack("<II", 64, len(gzip.compress(vmlinux, mtime=0))) + b"\0" * 8 + b"gzip\0\0\0\0" + b"\0" * 32 + gzip.compress(vmlinux, mtime=0))

def signature_list(guid, entries):
    size = 16 + len(entries[0])
    owner = bytes.fromhex("50ab5d6046e00043abb63dd810dd8b23")
    return guid + struct.pack("<III", 28 + size * len(entries), 0, size) + b"".join(owner + e for e in entries)

x509_guid = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")
sha256_guid = bytes.fromhex("2616c4c14c509240aca941f936934328")
db = signature_list(sha256_guid, [b"\1" * 32, b"\2" * 32]) + signature_list(x509_guid, [cert])
put("efi-signature-list", "db", db)
put("efi-signature-list", "db-truncated", db[:-10])
put("efi-signature-list", "header-only", db[:28])
for name, data in modules.items():
    if data.endswith(magic):
        sig_len = struct.unpack(">I", data[-len(magic) - 4:-len(magic)])[0]
        put("pkcs7-message", name + ".p7", data[-len(magic) - 12 - sig_len:-len(magic) - 12])
for name, data in modules.items():
    if data.endswith(magic):
        sig_len = struct.unpack(">I", data[-len(magic) - 4:-len(magic)])[0]
        put("signature-chain", name + ".p7", data[-len(magic) - 12 - sig_len:-len(magic) - 12])

def chain_signature(work):
    """CA -> intermediate -> leaf made by openssl; a CMS by the leaf carrying all three (tests/Trust/ChainMaterial)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(work, "c.cnf"), "w") as f:
        f.write("[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n[ca]\nbasicConstraints=critical,CA:TRUE\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n")
    run("req", "-x509", "-config", "c.cnf", "-extensions", "ca", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=fuzz CA")
    for name, issuer in (("int", "ca"), ("leaf", "int")):
        run("req", "-new", "-config", "c.cnf", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=fuzz " + name)
        run("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey", issuer + ".key", "-extfile", "c.cnf",
            "-extensions", "ca", "-out", name + ".pem")
    with open(os.path.join(work, "certs.pem"), "w") as f:
        f.write(open(os.path.join(work, "int.pem")).read() + open(os.path.join(work, "ca.pem")).read())
    with open(os.path.join(work, "data"), "wb") as f:
        f.write(small[:4096])
    run("cms", "-sign", "-binary", "-noattr", "-outform", "DER", "-md", "sha256", "-in", "data", "-out", "chain.p7",
        "-signer", "leaf.pem", "-inkey", "leaf.key", "-certfile", "certs.pem")
    return read(work, "chain.p7")

import tempfile
with tempfile.TemporaryDirectory() as work:
    chain = chain_signature(work)
put("signature-chain", "chain.p7", chain)
put("signature-chain", "chain-truncated.p7", chain[:len(chain) * 2 // 3])
put("proc-keys", "root", b"0d3c7c1e I------     1 perm 1f030000     0     0 asymmetri Build time autogenerated kernel key: 8963f707e289edc09df337a240938134371a5bb8: X509.rsa 37a5bb8 []\n"
    b"1b2c3d4e I------     1 perm 1f0b0000     0     0 keyring   .builtin_trusted_keys: 1\n")
