#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, prepares the real-module corpus, builds the packages
# (packaging/rpm/build.sh, which publishes the NativeAOT binary), runs every test against the JIT build, runs
# the command-line and daemon tests again against the binary inside the el8 package, and ends with one line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 2
bash tests/corpus/prepare.sh || exit 2

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The packages, and the binary they ship: build.sh publishes it from the source tarball (linked against glibc
# 2.28); with uncommitted changes, the working tree's binary is packaged instead, so that they are what is tested.
echo "building the el8, el9 and el10 packages" >&2
if [ -z "$(git status --porcelain --untracked-files=no)" ]; then
  bash packaging/rpm/build.sh >/dev/null || exit 2
else
  echo "uncommitted changes: packaging a binary published from the working tree" >&2
  binary=$(bash packaging/aot/publish.sh artifacts/aot) || exit 2
  bash packaging/rpm/build.sh --prebuilt "$binary" >/dev/null || exit 2
fi
# The command-line and daemon tests run the binary inside the el8 package.
rm -rf artifacts/el8 && mkdir -p artifacts/el8
(cd artifacts/el8 && rpm2cpio ../rpm/taintwatch-*.el8.x86_64.rpm | cpio -idm --quiet) || exit 2
export TAINTWATCH_RPM_DIR=$PWD/artifacts/rpm TAINTWATCH_AOT_BINARY=$PWD/artifacts/el8/usr/bin/taintwatch

log=$(mktemp)
# Formatting is part of the suite: the tree must be as `dotnet format` (with .editorconfig) leaves it.
echo "== dotnet format --verify-no-changes" | tee -a "$log"
if dotnet format TaintWatch.sln --verify-no-changes -v quiet >"$log.format" 2>&1; then
  echo "Passed!  - Failed:     0, Passed:     1, Skipped:     0, Total:     1 - dotnet format" | tee -a "$log"
  format_status=0
else
  head -n 40 "$log.format"
  echo "Failed!  - Failed:     1, Passed:     0, Skipped:     0, Total:     1 - dotnet format (run: dotnet format TaintWatch.sln)" | tee -a "$log"
  format_status=1
fi
rm -f "$log.format"
dotnet test TaintWatch.sln -c Release --logger "console;verbosity=minimal" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
echo "== again against the NativeAOT binary: command-line and daemon tests" | tee -a "$log"
TAINTWATCH_BINARY=$TAINTWATCH_AOT_BINARY dotnet test TaintWatch.sln -c Release --no-build \
  --filter "FullyQualifiedName~TaintWatch.Tests.Cli|FullyQualifiedName~TaintWatch.Tests.Daemon" --logger "console;verbosity=minimal" 2>&1 | tee -a "$log"
aot_status=${PIPESTATUS[0]}

# Sum the per-run summaries ("Passed!  - Failed: 0, Passed: 42, Skipped: 1, Total: 43").
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' |
  awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
if { [ "$status" -ne 0 ] || [ "$aot_status" -ne 0 ]; } && [ "$failed" -eq 0 ]; then failed=1; echo "a test run failed before reporting results"; fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" -eq 0 ] && [ "$aot_status" -eq 0 ] && [ "$format_status" -eq 0 ]
