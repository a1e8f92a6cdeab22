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
echo "Database: etc/demo/var/guichet.db. Try: build/guichet --config etc/demo/guichet.yaml list --json"
