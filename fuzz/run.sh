#!/usr/bin/env bash
# A coverage-guided fuzz campaign on one parser: SharpFuzz-instrumented TaintWatch under Debian's afl++.
# Usage: fuzz/run.sh TARGET [SECONDS]      (targets: fuzz/run.sh --list)
# Prints the campaign's figures; new corpus entries and every crash or hang are copied into
# tests/fuzz-corpus/TARGET/, which the test suite replays (tests/TaintWatch.Tests/Fuzz).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=${FUZZ_WORK:-/var/tmp/taintwatch-fuzz}
export PATH="$PATH:$HOME/.dotnet/tools"

build() {
  command -v afl-fuzz >/dev/null || { echo "fuzz/run.sh: apt-get install afl++" >&2; exit 2; }
  command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
  # Rebuilt and re-instrumented when the sources change.
  local stamp; stamp=$(cd "$repo" && git ls-files -s src fuzz | sha256sum | cut -c1-16)
  if [ ! -f "$work/bin/.instrumented-$stamp" ]; then
    rm -rf "$work/bin"
    dotnet publish "$here/TaintWatch.Fuzz" -c Release -o "$work/bin" -nologo -v quiet >/dev/null
    sharpfuzz "$work/bin/taintwatch.dll" >/dev/null
    touch "$work/bin/.instrumented-$stamp"
  fi
}

if [ "${1:-}" = "--list" ]; then
  build; dotnet "$work/bin/TaintWatch.Fuzz.dll" 2>&1 | sed 's/.*targets: //' | tr -d ')' | tr ',' '\n' | tr -d ' '; exit 0
fi
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-600}
build

seeds=$work/seeds/$target
rm -rf "$work/seeds" && python3 "$here/seeds.py" "$work/seeds"
mkdir -p "$seeds"
kept=$repo/tests/fuzz-corpus/$target
[ -d "$kept" ] && cp "$kept"/* "$seeds"/ 2>/dev/null || true
[ -n "$(ls -A "$seeds")" ] || { echo "fuzz/run.sh: no seeds for $target" >&2; exit 2; }

findings=$work/findings/$target
rm -rf "$findings" && mkdir -p "$work/findings"
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export DOTNET_TieredPGO=0 DOTNET_gcServer=0
timeout $((seconds + 120)) afl-fuzz -V "$seconds" -i "$seeds" -o "$findings" -t 5000 -m none \
  -- dotnet "$work/bin/TaintWatch.Fuzz.dll" "$target" > "$work/$target.log" 2>&1 || true

stats=$findings/default/fuzzer_stats
[ -f "$stats" ] || { echo "fuzz/run.sh: afl-fuzz did not start; see $work/$target.log" >&2; tail -20 "$work/$target.log" >&2; exit 1; }
get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats"; }
echo "$target: $(get execs_done) executions in $(get run_time) s ($(get execs_per_sec)/s), corpus $(get corpus_count) paths, edges $(get edges_found), crashes $(get saved_crashes), hangs $(get saved_hangs)"

# Keep what the campaign learnt: the corpus minimised by coverage (small files only), and every crash or hang.
mkdir -p "$kept"
mini=$work/min/$target
rm -rf "$mini" && mkdir -p "$work/min"
afl-cmin -i "$findings/default/queue" -o "$mini" -t 5000 -m none -- dotnet "$work/bin/TaintWatch.Fuzz.dll" "$target" >/dev/null 2>&1 || cp -r "$findings/default/queue" "$mini"
find "$mini" -type f -size -16k | head -n 200 | while read -r f; do cp "$f" "$kept/$(sha1sum "$f" | cut -c1-16)"; done
for kind in crashes hangs; do
  find "$findings/default/$kind" -type f -name 'id:*' 2>/dev/null | while read -r f; do cp "$f" "$kept/$kind-$(sha1sum "$f" | cut -c1-16)"; done
done
echo "$target: kept $(ls "$kept" | wc -l) inputs in tests/fuzz-corpus/$target"
