#!/usr/bin/env bash
# The README's second Quick start command, and what CI runs (.ci/run): install, build, and run the
# whole test suite twice (plain, then under AddressSanitizer + UndefinedBehaviorSanitizer), a
# short fuzzing run of the MIME parser, then the Debian package built, installed, upgraded under a
# running daemon, removed and purged (scripts/package-test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
fuzz_seconds=${GUICHET_FUZZ_SECONDS:-60}

bash scripts/install-deps.sh --test

echo "== plain build"
# Its own tree: the demo configures build/ without tests, and a shared CMake cache would let one
# script silently change what the other builds.
bash scripts/build.sh build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGUICHET_TESTS=ON -DGUICHET_BENCH=ON -DGUICHET_SANITIZE=OFF
(cd build-test && ctest --output-on-failure -j "$jobs")

echo "== clang-tidy on the files the last change touched"
bash scripts/tidy.sh build-test

echo "== sanitizer build (ASan + UBSan)"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DGUICHET_SANITIZE=ON -DGUICHET_TESTS=ON -DGUICHET_BENCH=OFF
(cd build-asan && ctest --output-on-failure -j "$jobs")

echo "== fuzzing the parser for ${fuzz_seconds}s (libFuzzer)"
CXX=clang++ bash scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGUICHET_FUZZ=ON \
  -DGUICHET_TESTS=OFF -DGUICHET_BENCH=OFF
rm -rf build-fuzz/corpus && mkdir -p build-fuzz/corpus && cp tests/data/mail/*.eml build-fuzz/corpus/
LSAN_OPTIONS=suppressions=$root/tests/lsan.supp \
  build-fuzz/fuzz/fuzz_parse -max_total_time="$fuzz_seconds" -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 build-fuzz/corpus 2>&1 | tail -15
echo "fuzz: no crash in ${fuzz_seconds}s"

echo "== the Debian package"
bash scripts/package-test.sh
