#!/usr/bin/env bash
# The deadline scanner over a large commune: COUNT requests (default 1,000,000), OPEN of them open
# (default 100,000), in one database (bench/deadlines_bench.cc). Reports, in one run:
#   1. `guichet deadlines run` on a day: the first run (what is owed is written, with its mail),
#      then a second one (nothing new: the steady state of a scanner every 5 minutes): time, peak RSS;
#   2. the ingest rate of 5,000 generated mails into that database (its scan done, as in a running
#      daemon), alone, then with the scanner running every 5 seconds beside it (the daemon runs it
#      every 5 minutes).
# Usage: bench/deadlines.sh [COUNT] [OPEN]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-1000000}
open=${2:-100000}
out=build-bench/deadlines
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF -DGUICHET_BENCH=ON >/dev/null
rm -rf "$out" && mkdir -p "$out"
now=$(TZ=Europe/Paris date -d '2026-12-03 10:30' +%s)
cat > "$out/guichet.yaml" <<CONF
commune: Champignac-en-Cambrousse
database: big.db
directory: $root/etc/directory.yaml
rules: $root/rules
mailboxes:
  - {name: mairie, url: 'maildir://inbox', address: mairie@champignac.example, department: accueil}
smtp:
  url: maildir://outbox
deadlines:
  digest_at: "off"
CONF
TZ=Europe/Paris build-release/bench/guichet-bench-deadlines "$out/big.db" "$count" "$open" "$now"
cp "$out/big.db" "$out/big-copy.db"
sync  # the copy's dirty pages would otherwise be flushed during the first measurement
g=(build-release/guichet --config "$out/guichet.yaml")
scan() {
  /usr/bin/time -f '%e %M' -o "$out/time" "${g[@]}" --now 2026-12-03T10:30 deadlines run >"$out/scan.out" 2>&1
  read -r s kb < "$out/time"
  printf '%s: %.2f s, peak RSS %.1f MB, %s\n' "$1" "$s" "$(echo "$kb / 1024" | bc -l)" "$(tail -1 "$out/scan.out")"
}
scan "scanner, first run "
scan "scanner, second run"
# The copy as a running daemon leaves it: scanned.
"${g[@]}" --db "$out/big-copy.db" --now 2026-12-03T10:30 deadlines run >/dev/null 2>&1
"${g[@]}" --db "$out/big.db" --now 2026-12-03T10:30 deadlines run >/dev/null 2>&1
sync

build-release/bench/guichet-bench-gen "$out/mail" 5000 >/dev/null
sync
ingest() {
  rm -rf "$out/inbox" && cp -r "$out/mail" "$out/inbox"
  local start end
  start=$(date +%s.%N)
  "${g[@]}" --db "$1" ingest --mailbox mairie "$out/inbox" >/dev/null 2>"$out/ingest.err"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
alone=$(ingest "$out/big.db")
( while true; do "${g[@]}" --db "$out/big-copy.db" --now 2026-12-03T10:30 deadlines run >/dev/null 2>&1; sleep 5; done ) &
loop=$!
trap 'kill $loop 2>/dev/null || true' EXIT
with=$(ingest "$out/big-copy.db")
kill $loop 2>/dev/null || true
awk -v a="$alone" -v w="$with" 'BEGIN {
  printf "ingest of 5,000 mails into it, alone:                 %.0f msg/s\n", 5000 / a
  printf "the same with the scanner running every 5 s beside it: %.0f msg/s (%.0f %%)\n", 5000 / w, 100 * a / w
}'
echo "database: $(du -h "$out/big.db" | cut -f1)"
