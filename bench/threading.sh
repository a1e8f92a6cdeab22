#!/usr/bin/env bash
# Threading cost must not grow with the database: ingests COUNT (default 100,000) conversational
# mails in ten parts into one database and compares the time per message of the last part with
# the first. Usage: bench/threading.sh [COUNT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-100000}
out=build-bench/threading
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF -DGUICHET_BENCH=ON
rm -rf "$out" && mkdir -p "$out"
build-release/bench/guichet-bench-gen --threaded "$out/mail" "$count" 10
echo "" > "$out/empty.yaml"
first=""
for part in "$out"/mail/part-*; do
  n=$(ls "$part/new" | wc -l)
  start=$(date +%s.%N)
  build-release/guichet --config "$out/empty.yaml" --db "$out/t.db" ingest "$part" >/dev/null 2>"$out/last.err"
  end=$(date +%s.%N)
  us=$(awk -v s="$start" -v e="$end" -v n="$n" 'BEGIN {printf "%.0f", (e - s) * 1e6 / n}')
  [[ -z "$first" ]] && first=$us
  printf '%s  %6d mails  %5d us/mail  %s\n' "$(basename "$part")" "$n" "$us" "$(tail -1 "$out/last.err")"
  last=$us
done
awk -v f="$first" -v l="$last" 'BEGIN {printf "last/first: %.2f (target <= 1.5)\n", l / f}'
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
