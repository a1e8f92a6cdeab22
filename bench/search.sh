#!/usr/bin/env bash
# Search and the web view over a large commune (bench/search_bench.cc): what the search index costs
# at ingest (SAMPLE mails with and without it, 5 rounds), then a database of COUNT messages (built
# once into build-bench/search/big.db and reused; delete it to rebuild), the queries' p50/p95/worst
# in-process and through `guichet search`, and the web view's pages over loopback HTTP.
# Usage: bench/search.sh [COUNT] [SAMPLE]   (defaults: 1,000,000 and 10,000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-1000000}
sample=${2:-10000}
out=build-bench/search
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF -DGUICHET_BENCH=ON >/dev/null
mkdir -p "$out"
if [[ -f $out/big.db && ! -f $out/big.count ]] || [[ -f $out/big.count && $(cat "$out/big.count") != "$count" ]]; then
  rm -f "$out"/big.db*
fi
echo "$count" > "$out/big.count"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), commit $(git rev-parse --short HEAD)"
TZ=Europe/Paris build-release/bench/guichet-bench-search "$out" "$count" "$sample" "$root/build-release/guichet"
