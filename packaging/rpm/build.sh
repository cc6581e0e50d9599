#!/usr/bin/env bash
# Builds every TaintWatch package from this checkout: bash packaging/rpm/build.sh
# Leaves in artifacts/rpm/ (or --out DIR):
#   taintwatch-V-R.src.rpm                      the spec and a source tarball of HEAD (with REVISION)
#   taintwatch-V-R.el8.x86_64.rpm, .el9., .el10.  and taintwatch-debuginfo-V-R.elN.x86_64.rpm for each
# The binary is published once, from the source tarball (so the SRPM's sources are what is built, and the
# revision is stamped from its REVISION file), linked against glibc 2.28: it runs on all three majors.
# Each major's package is then built with that major's dist tag, Requires and systemd scriptlet macros
# (packaging/rpm/macros/, unless building on that very major, whose rpm has its own).
# Options: --prebuilt BINARY (package this binary and BINARY.dbg instead of publishing), --release N,
#          --dists "el8 el9 el10", --out DIR. Prints the path of each package.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
prebuilt="" release="" dists="el8 el9 el10" out=$root/artifacts/rpm
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=$(realpath "$2"); shift 2 ;;
    --release) release=$2; shift 2 ;;
    --dists) dists=$2; shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in git rpmbuild readelf; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing: run scripts/install-deps.sh" >&2; exit 2; }
done

version=$(sed -n 's/^Version: *//p' packaging/rpm/taintwatch.spec)
revision=$(git rev-parse HEAD)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$work/rpmbuild
mkdir -p "$top"/{SOURCES,BUILD,SRPMS,RPMS} "$out"
rm -f "$out"/taintwatch-*.rpm

# The source tarball: HEAD as git has it, plus REVISION (a tarball has no .git to read the revision from).
echo "$revision" > "$work/REVISION"
git archive --format=tar.gz --prefix="taintwatch-$version/" --add-file="$work/REVISION" \
  -o "$top/SOURCES/taintwatch-$version.tar.gz" HEAD
cp packaging/systemd/taintwatch.sysusers "$top/SOURCES/taintwatch.sysusers"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  if [ -z "$prebuilt" ]; then echo "build.sh: note: uncommitted changes are not in the packages (they build HEAD)" >&2
  else echo "build.sh: note: uncommitted changes other than in the given binary are not in the packages (HEAD's files are)" >&2; fi
fi

common=(--define "_topdir $top" --define "_sourcedir $top/SOURCES" --define "_srcrpmdir $out" --define "_rpmdir $out"
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm")
cp packaging/rpm/taintwatch.spec "$work/taintwatch.spec"
[ -n "$release" ] && sed -i "s/^Release: .*/Release:        $release%{?dist}/" "$work/taintwatch.spec"
spec=$work/taintwatch.spec

# The SRPM carries no dist tag: it is rebuilt on (and for) each major.
rpmbuild -bs --nodeps --undefine dist "${common[@]}" "$spec" >"$work/srpm.log" 2>&1 || { cat "$work/srpm.log" >&2; exit 1; }
sed -n 's/^Wrote: //p' "$work/srpm.log"

if [ -z "$prebuilt" ]; then
  mkdir -p "$work/src" && tar -xzf "$top/SOURCES/taintwatch-$version.tar.gz" -C "$work/src"
  echo "build.sh: publishing the NativeAOT binary from the source tarball" >&2
  prebuilt=$(bash "$work/src/taintwatch-$version/packaging/aot/publish.sh" "$work/aot")
fi
[ -f "$prebuilt.dbg" ] || { echo "build.sh: $prebuilt.dbg (the binary's debug symbols) is missing" >&2; exit 2; }

for dist in $dists; do
  major=${dist#el}
  case "$major" in 8) macros=systemd-239.macros ;; 9|10) macros=systemd-252.macros ;; *) echo "build.sh: no macros for $dist" >&2; exit 2 ;; esac
  args=("${common[@]}" --define "dist .$dist" --define "rhel $major" --define "$dist 1" --define "prebuilt_binary $prebuilt"
    # rpm's database here knows no RHEL packages: BuildRequires cannot be checked.
    --nodeps)
  # That major's own macros when building on it; else (Debian, or another major) the ones written out here.
  if [ "$(rpm --eval '%{?rhel}')" != "$major" ] || [ -z "$(rpm --eval '%{?systemd_post:yes}')" ]; then
    args+=(--load "$root/packaging/rpm/macros/$macros")
  fi
  rpmbuild -bb "${args[@]}" "$spec" >"$work/$dist.log" 2>&1 || { cat "$work/$dist.log" >&2; exit 1; }
  sed -n 's/^Wrote: //p' "$work/$dist.log"
done
