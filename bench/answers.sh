#!/usr/bin/env bash
# Agents' answers: the cost of relaying one (bench/answers_bench.cc: COUNT requests, then COUNT
# answers composed as Outlook writes them), beside the cost of a resident's mail, same run.
# Usage: bench/answers.sh [COUNT] (default 5000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-5000}
out=build-bench/answers
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF -DGUICHET_BENCH=ON >/dev/null
rm -rf "$out" && mkdir -p "$out"
build-release/bench/guichet-bench-answers "$out" "$count"
