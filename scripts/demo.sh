#!/usr/bin/env bash
# The README's first Quick start command: install, build, and run guichet on the self-contained
# demo (etc/demo: resident mail in a Maildir, a fresh database under etc/demo/var/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGUICHET_TESTS=OFF -DGUICHET_SANITIZE=OFF

guichet=(build/guichet --config etc/demo/guichet.yaml)
rm -rf etc/demo/var
mkdir -p etc/demo/var

cp -r etc/demo/inbox etc/demo/var/inbox

echo
echo "== guichet serve --once: one cycle of the daemon on the demo Maildir (etc/demo/var/inbox),"
echo "   acknowledgements and agents' notices written to the Maildir etc/demo/var/outbox"
"${guichet[@]}" serve --once 2>&1 | sed 's/^[^ ]* //'
echo
echo "== guichet status"
"${guichet[@]}" status
echo
echo "== guichet list"
"${guichet[@]}" list
echo
first=$("${guichet[@]}" list --json --limit 1 | sed -n 's/.*"reference": "\([0-9-]*\)".*/\1/p' | head -1)
echo "== guichet show $first"
"${guichet[@]}" show "$first"
echo
ack=$(grep -l "^Auto-Submitted: auto-replied" etc/demo/var/outbox/new/* | head -1)
echo "== the acknowledgement the resident of $first receives ($ack)"
build/guichet parse "$ack" | sed -n '1,24p'
echo
echo "== guichet search lefev: a resident found by part of her name, without the accent"
"${guichet[@]}" search lefev
echo
# The web view: its own process, on the same database. A login link for the mayor (an élu who
# sees the whole commune) and one for the pilot, as the login page would mail them.
port=${GUICHET_DEMO_PORT:-8080}
"${guichet[@]}" web --listen "127.0.0.1:$port" 2> etc/demo/var/web.log &
web_pid=$!
trap 'kill $web_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /connexion HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
echo "== guichet web, listening on http://127.0.0.1:$port: $(head -1 <&3 | tr -d '\r')"
exec 3<&-
mayor=$("${guichet[@]}" web link maire@champignac.example 2>/dev/null | sed "s/:8080/:$port/")
pilot=$("${guichet[@]}" web link v.durand@champignac.example 2>/dev/null | sed "s/:8080/:$port/")
echo "   the mayor (search, read-only):            $mayor"
echo "   the pilot, DGS (live view, figures, acts): $pilot"
echo "   each works once, within 15 minutes; on the login page, a link goes to etc/demo/var/outbox"
echo "   once guichet serve --once has run."
echo
echo "Database: etc/demo/var/guichet.db. Try: build/guichet --config etc/demo/guichet.yaml list --json"
if [[ -t 0 && -t 1 ]]; then
  echo "The web view runs until Ctrl-C."
  wait $web_pid
else
  kill $web_pid
  wait $web_pid 2>/dev/null || true
  echo "(Not a terminal: the web view stopped. Run: build/guichet --config etc/demo/guichet.yaml web)"
fi
