#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, prepares the real-module corpus, publishes the
# NativeAOT binary, runs every test against the JIT build, runs the command-line and daemon tests again
# against the AOT binary (the one the RPM ships), and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 2
bash tests/corpus/prepare.sh || exit 2

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "publishing the NativeAOT binary" >&2
dotnet publish src/TaintWatch -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o artifacts/aot >/dev/null || exit 2
export TAINTWATCH_AOT_BINARY=$PWD/artifacts/aot/taintwatch

log=$(mktemp)
dotnet test TaintWatch.sln -c Release --logger "console;verbosity=minimal" 2>&1 | tee "$log"
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
[ "$status" -eq 0 ] && [ "$aot_status" -eq 0 ]
