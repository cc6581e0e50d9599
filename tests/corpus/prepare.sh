#!/usr/bin/env bash
# Prepares the real-module corpus the parity tests compare against kmod's modinfo:
#   <corpus>/root/lib/modules/<kver>/        Debian's signed kernel modules, depmod run
#   <corpus>/variants/{xz-crc32,xz-crc64,zst,gz}/...  every module recompressed as kernel builds do
#   <corpus>/signed/                         modules re-signed here with sign-file (RSA, ECDSA; sha256/384/512; -k)
# Cached: a corpus that is complete (marker file) is reused. Location: $TAINTWATCH_CORPUS or
# /var/cache/taintwatch-test.
set -euo pipefail

KVER=${TAINTWATCH_KVER:-6.1.0-56-amd64}
KBUILD=${TAINTWATCH_KBUILD:-linux-kbuild-6.1}
CORPUS=${TAINTWATCH_CORPUS:-/var/cache/taintwatch-test}
MARKER="$CORPUS/.complete-$KVER-v3"
[ -f "$MARKER" ] && exit 0

mkdir -p "$CORPUS"
cd "$CORPUS"
for tool in depmod modinfo xz zstd gzip openssl python3; do
  command -v "$tool" >/dev/null || { echo "prepare.sh: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done

echo "corpus: fetching linux-image-$KVER and $KBUILD" >&2
ls linux-image-"$KVER"_*.deb >/dev/null 2>&1 || apt-get download -qq "linux-image-$KVER"
ls "$KBUILD"_*.deb >/dev/null 2>&1 || apt-get download -qq "$KBUILD"
rm -rf root variants signed kbuild
dpkg -x linux-image-"$KVER"_*.deb root
dpkg -x "$KBUILD"_*.deb kbuild
depmod -b root "$KVER"
SIGN_FILE=$(find kbuild -name sign-file -type f | head -n 1)

mods=root/lib/modules/$KVER
echo "corpus: recompressing $(find "$mods" -name '*.ko' | wc -l) modules (xz crc32/1MiB, xz crc64/2MiB, zstd, gzip -n)" >&2
compress_one() {
  set -e
  local f=$1 rel=${1#root/lib/modules/*/}
  for v in xz-crc32 xz-crc64 zst gz; do mkdir -p "variants/$v/$(dirname "$rel")"; done
  xz --check=crc32 --lzma2=dict=1MiB -c "$f" > "variants/xz-crc32/$rel.xz"
  xz --lzma2=dict=2MiB -c "$f" > "variants/xz-crc64/$rel.xz"
  zstd -q -c "$f" > "variants/zst/$rel.zst"
  gzip -n -c "$f" > "variants/gz/$rel.gz"
}
export -f compress_one
find "$mods" -name '*.ko' -print0 | xargs -0 -n 1 -P "$(nproc)" bash -c 'compress_one "$0"'

echo "corpus: signing test modules with $SIGN_FILE" >&2
mkdir -p signed/keys
cat > signed/keys/x509.genkey <<'GENKEY'
[ req ]
default_bits = 2048
distinguished_name = req_distinguished_name
prompt = no
string_mask = utf8only
x509_extensions = myexts
[ req_distinguished_name ]
O = TaintWatch Test
CN = TaintWatch test module signing key
emailAddress = test@example.invalid
[ myexts ]
basicConstraints=critical,CA:FALSE
keyUsage=digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
GENKEY
openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -config signed/keys/x509.genkey \
  -newkey rsa:2048 -outform PEM -out signed/keys/rsa.pem -keyout signed/keys/rsa.pem 2>/dev/null
openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -config signed/keys/x509.genkey \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -outform PEM -out signed/keys/ecdsa.pem -keyout signed/keys/ecdsa.pem 2>/dev/null

# Strip Debian's signature (the kernel's layout: ELF, PKCS#7, 12-byte info, 28-byte magic).
strip_sig() {
  python3 - "$1" "$2" <<'PY'
import sys, struct
data = open(sys.argv[1], 'rb').read()
magic = b'~Module signature appended~\n'
if data.endswith(magic):
    sig_len = struct.unpack('>I', data[-32:-28])[0]
    data = data[:len(data) - 40 - sig_len]
open(sys.argv[2], 'wb').write(data)
PY
}
for m in e1000 ext4 xfs btrfs dummy loop vfat sctp; do
  src=$(find "$mods" -name "$m.ko" | head -n 1)
  [ -n "$src" ] || continue
  strip_sig "$src" "signed/$m-unsigned.ko"
  for key in rsa ecdsa; do
    for hash in sha256 sha384 sha512; do
      for kflag in "" "-k"; do
        out="signed/$m-$key-$hash${kflag:+-skid}.ko"
        cp "signed/$m-unsigned.ko" "$out"
        "$SIGN_FILE" $kflag "$hash" "signed/keys/$key.pem" "signed/keys/$key.pem" "$out"
      done
    done
  done
done
touch "$MARKER"
echo "corpus: ready in $CORPUS" >&2
