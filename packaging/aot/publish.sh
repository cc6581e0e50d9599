#!/usr/bin/env bash
# Publishes the NativeAOT binary TaintWatch ships: bash packaging/aot/publish.sh [OUTDIR] (default artifacts/aot).
# Leaves OUTDIR/taintwatch and OUTDIR/taintwatch.dbg (its debug symbols) and prints the binary's path.
#
# The binary must run on every supported RHEL, so it may reference no glibc symbol version above 2.28 (RHEL 8).
# Linked on this Debian (glibc 2.36) with clang it would need 2.34; so it is linked with zig cc against glibc
# 2.28's symbol versions (packaging/aot/zig-cc). TAINTWATCH_LINKER=host links with the build host's clang
# instead: right on RHEL 8 itself, where the host's glibc is 2.28 (the SRPM built there).
# Version and git revision are stamped into the binary (taintwatch --version, taintwatch_build_info): from git
# when this is a checkout, else from the REVISION file build.sh puts into the source tarball.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd -P)
out=$(realpath -m "${1:-$root/artifacts/aot}")
cd "$root"

version=$(sed -n 's/^Version: *//p' packaging/rpm/taintwatch.spec)
# A checkout of this very tree (not a tarball unpacked inside some other repository, e.g. rpmbuild's BUILD/).
if [ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" = "$root" ]; then
  revision=$(git -C "$root" rev-parse HEAD)
elif [ -s REVISION ]; then
  revision=$(cat REVISION)
else
  echo "publish.sh: neither a git checkout nor a REVISION file: cannot stamp the revision" >&2; exit 2
fi

args=(-c Release -r linux-x64 -p:PublishAot=true -p:Version="$version" -p:SourceRevisionId="$revision" -nologo -v quiet -o "$out")
case "${TAINTWATCH_LINKER:-zig}" in
  zig)
    export TAINTWATCH_ZIG=${TAINTWATCH_ZIG:-/var/cache/taintwatch-build/zig-0.11.0/zig}
    [ -x "$TAINTWATCH_ZIG" ] || { echo "publish.sh: $TAINTWATCH_ZIG is missing: run scripts/install-deps.sh (or set TAINTWATCH_LINKER=host on RHEL 8)" >&2; exit 2; }
    args+=(-p:CppCompilerAndLinker="$here/zig-cc") ;;
  host) ;;
  *) echo "publish.sh: TAINTWATCH_LINKER is zig or host" >&2; exit 2 ;;
esac
# The native link is incremental on its inputs only: a binary linked by the other linker would be kept.
rm -rf src/TaintWatch/obj/Release/net10.0/linux-x64/native src/TaintWatch/bin/Release/net10.0/linux-x64/native
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/TaintWatch "${args[@]}" >&2
echo "$out/taintwatch"
