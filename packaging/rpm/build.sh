#!/usr/bin/env bash
# Builds the RPM from this checkout: a source tarball from git, then rpmbuild. On a machine without the
# .NET SDK in rpm's database (Debian, CI), pass a published NativeAOT binary: build.sh --prebuilt PATH.
# Prints the path of the binary RPM.
set -euo pipefail
cd "$(dirname "$0")/../.."
prebuilt=""
[ "${1:-}" = "--prebuilt" ] && prebuilt=$(realpath "$2")
version=$(sed -n 's/^Version: *//p' packaging/rpm/taintwatch.spec)
top=$PWD/artifacts/rpmbuild
rm -rf "$top" && mkdir -p "$top"/{SOURCES,BUILD,RPMS,SRPMS,SPECS}
git archive --format=tar.gz --prefix="taintwatch-$version/" -o "$top/SOURCES/taintwatch-$version.tar.gz" HEAD
args=(--define "_topdir $top" --define "dist .el9")
if [ -n "$prebuilt" ]; then
  # rpm's database here knows no RHEL packages: BuildRequires cannot be checked.
  args+=(--define "prebuilt_binary $prebuilt" --nodeps)
fi
rpmbuild -bb "${args[@]}" packaging/rpm/taintwatch.spec >"$top/build.log" 2>&1 || { cat "$top/build.log" >&2; exit 1; }
find "$top/RPMS" -name '*.rpm' | head -n 1
