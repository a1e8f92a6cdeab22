#!/usr/bin/env bash
# One command for the outbox benchmark: builds a release guichet, starts a local SMTP server
# (aiosmtpd, as in the tests) on loopback, queues COUNT mails and drains them over one connection.
# Usage: bench/outbox.sh [COUNT] (default 10000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-10000}
out=build-bench/outbox
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF >/dev/null
rm -rf "$out" && mkdir -p "$out"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 tests/servers/smtp_server.py "$port" "$out/received" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q ready "$out/server.log" && break; sleep 0.1; done
build-release/bench/guichet-bench-outbox "$out/bench.db" "smtp://127.0.0.1:$port" "$count" 2>/dev/null
echo "received:        $(find "$out/received" -name '*.eml' | wc -l) files"
