#!/usr/bin/env bash
# Benchmark: `taintwatch inspect --modinfo` (reading only) and `taintwatch inspect` (reading and verifying every
# signature against the keys unpacked from the corpus's own vmlinuz) against kmod's `modinfo`, which only reads,
# over the same full module tree, in one run. All get every file of the tree in batches (xargs); modinfo is
# timed in one process and split over every core (-P).
# Usage: bench/inspect-vs-modinfo.sh [runs]     (needs tests/corpus/prepare.sh to have run)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
CORPUS=${TAINTWATCH_CORPUS:-/var/cache/taintwatch-test}
KVER=${TAINTWATCH_KVER:-6.1.0-56-amd64}
bash tests/corpus/prepare.sh
# The shipped form: NativeAOT (no JIT start-up).
bash packaging/aot/publish.sh artifacts/aot >/dev/null   # the shipped binary (glibc 2.28 link)
TW=$PWD/artifacts/aot/taintwatch
cpus=$(nproc)

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_cmd() { # prints wall seconds of "$@" (output discarded)
  local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

cpu_cmd() { # prints CPU seconds (user + system, children included) of "$@" (output discarded)
  local TIMEFORMAT='%U %S' t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$t" | awk '{print $1 + $2}'; }

bench_tree() { # name dir pattern
  local name=$1 dir=$2 pattern=$3 count
  count=$(find "$dir" -name "$pattern" | wc -l)
  find "$dir" -name "$pattern" -print0 > /tmp/bench-files
  # Warm the page cache so both read from memory.
  xargs -0 cat < /tmp/bench-files > /dev/null
  local m1 mp t v
  # modinfo as an operator runs it (one process), and split over every core (xargs -P). -s: xargs would
  # otherwise cut the list into 128 KiB command lines, i.e. several sequential runs.
  m1=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n 5000 modinfo < /tmp/bench-files"; done | median)
  mp=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus modinfo < /tmp/bench-files"; done | median)
  t=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n 5000 $TW inspect --modinfo < /tmp/bench-files"; done | median)
  v=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n 5000 $TW inspect -k $KVER --path.rootfs $CORPUS/root < /tmp/bench-files"; done | median)
  printf '%-20s %5d files  modinfo %6.3f s  modinfo -P%d %6.3f s  taintwatch --modinfo %6.3f s (%.2f / %.2f)  verifying %6.3f s (%.2f / %.2f)\n' \
    "$name" "$count" "$m1" "$cpus" "$mp" "$t" "$(echo "$t / $m1" | bc -l)" "$(echo "$t / $mp" | bc -l)" \
    "$v" "$(echo "$v / $m1" | bc -l)" "$(echo "$v / $mp" | bc -l)"
  # What any verifier must pay here, in the same run. For a plain tree, a lower bound: the arithmetic alone, with
  # nothing read — every signed byte hashed at `openssl speed`'s SHA-256 rate (16 KiB blocks) and one public-key
  # check per file at its RSA rate, spread perfectly over the cores. For a compressed tree, decompression comes
  # first; it is measured with the format's own tool on every core (xz -dc / zstd -dc to /dev/null: liblzma and
  # libzstd, which TaintWatch and kmod use too), so the sum is an estimate rather than a bound. Then the same work
  # by the command-line tools on every core (openssl dgst, after xz -dc / zstd -dc), plus the checks.
  local first bits rate sha bytes bound tools checks decomp=0
  first=$(head -z -n 1 /tmp/bench-files | tr -d '\0')
  bits=$(( $(modinfo -F signature "$first" | tr -d ' \n\t:' | wc -c) * 4 ))
  rate=$(openssl speed -seconds 1 -mr "rsa$bits" 2>/dev/null | awk -F: '/^\+F2:/ {print $5; exit}')
  sha=$(openssl speed -seconds 1 -mr -evp sha256 2>/dev/null | awk -F: '/^\+F:/ {print $NF; exit}')
  checks=$(echo "$count / $rate / $cpus" | bc -l)
  case $pattern in
    *.xz) bytes=$(xargs -0 xz -dc < /tmp/bench-files | wc -c)
      decomp=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus xz -dc < /tmp/bench-files"; done | median)
      tools=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus sh -c 'xz -dc \"\$@\" | openssl dgst -sha256' sh < /tmp/bench-files"; done | median) ;;
    *.zst) bytes=$(xargs -0 zstd -qdc < /tmp/bench-files | wc -c)
      decomp=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus zstd -qdc < /tmp/bench-files"; done | median)
      tools=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus sh -c 'zstd -qdc \"\$@\" | openssl dgst -sha256' sh < /tmp/bench-files"; done | median) ;;
    *) bytes=$(xargs -0 cat < /tmp/bench-files | wc -c)
      tools=$(for _ in $(seq "$runs"); do time_cmd bash -c "xargs -0 -s 1900000 -n $(( (count + cpus - 1) / cpus )) -P $cpus openssl dgst -sha256 < /tmp/bench-files"; done | median) ;;
  esac
  bound=$(echo "$decomp + ($bytes / $sha + $count / $rate) / $cpus" | bc -l)
  tools=$(echo "$tools + $checks" | bc -l)
  local label=bound; [ "$decomp" = 0 ] || label=estimate
  printf '%-20s %s: %.3f s decompressing + %d MB hashed at %.2f GB/s + %d RSA-%d checks at %.0f/s, over %d cores = %.3f s (%.2f / %.2f)   same work by the tools: %.3f s (%.2f / %.2f)\n' "" "$label" \
    "$decomp" "$(( bytes / 1000000 ))" "$(echo "$sha / 1000000000" | bc -l)" "$count" "$bits" "$rate" "$cpus" "$bound" "$(echo "$bound / $m1" | bc -l)" "$(echo "$bound / $mp" | bc -l)" \
    "$tools" "$(echo "$tools / $m1" | bc -l)" "$(echo "$tools / $mp" | bc -l)"
  # CPU time, which other work on a shared machine disturbs far less than wall time.
  local cm cv
  cm=$(for _ in $(seq "$runs"); do cpu_cmd bash -c "xargs -0 -s 1900000 -n 5000 modinfo < /tmp/bench-files"; done | median)
  cv=$(for _ in $(seq "$runs"); do cpu_cmd bash -c "xargs -0 -s 1900000 -n 5000 $TW inspect -k $KVER --path.rootfs $CORPUS/root < /tmp/bench-files"; done | median)
  printf '%-20s CPU: modinfo %6.3f s  taintwatch verifying %6.3f s (%.2f)   load average %s\n' "" "$cm" "$cv" "$(echo "$cv / $cm" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
}

echo "inspect vs modinfo ($(modinfo --version | head -1)), median of $runs runs, $cpus cores; ratios = taintwatch / modinfo (one process) / modinfo -P$cpus"
bench_tree "uncompressed (.ko)" "$CORPUS/root/lib/modules/$KVER" '*.ko'
bench_tree "xz crc32 (.ko.xz)" "$CORPUS/variants/xz-crc32" '*.ko.xz'
bench_tree "zstd (.ko.zst)" "$CORPUS/variants/zst" '*.ko.zst'
# `inspect --all`: the whole tree of the release found under --path.rootfs, every signature verified, the table.
all=$(for _ in $(seq "$runs"); do time_cmd "$TW" inspect --all -k "$KVER" --path.rootfs "$CORPUS/root"; done | median)
echo "inspect --all (verifying, .ko tree): $all s"
