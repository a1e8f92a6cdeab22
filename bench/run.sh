#!/usr/bin/env bash
# One command for the ingest benchmark: builds a release guichet, generates a Maildir of realistic
# mail (bench/gen_corpus.cc), ingests it into a fresh database and reports messages/s, peak RSS and
# database size against raw mail size. Usage: bench/run.sh [COUNT] (default 10000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-10000}
out=build-bench/ingest
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF

rm -rf "$out" && mkdir -p "$out"
build-release/bench/guichet-bench-gen "$out/maildir" "$count"
raw_bytes=$(find "$out/maildir/new" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "" > "$out/empty.yaml"

/usr/bin/time -f '%e %M' -o "$out/time" \
  build-release/guichet --config "$out/empty.yaml" --db "$out/bench.db" ingest "$out/maildir" >/dev/null 2>"$out/stderr"
read -r seconds rss_kb < "$out/time"
# The last connection to close checkpoints the WAL into the main file; count both in case.
db_bytes=$(( $(stat -c %s "$out/bench.db") + $(stat -c %s "$out/bench.db-wal" 2>/dev/null || echo 0) ))
tail -1 "$out/stderr"
awk -v n="$count" -v s="$seconds" -v rss="$rss_kb" -v raw="$raw_bytes" -v db="$db_bytes" 'BEGIN {
  printf "messages:        %d\n", n
  printf "wall time:       %.2f s\n", s
  printf "rate:            %.0f messages/s\n", n / s
  printf "peak RSS:        %.1f MB\n", rss / 1024
  printf "raw mail:        %.1f MB\n", raw / 1e6
  printf "database:        %.1f MB (%.2f x raw)\n", db / 1e6, db / raw
}'
echo "machine:         $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
