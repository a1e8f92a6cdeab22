#!/usr/bin/env bash
# Makes schema-N.db, the database an earlier guichet wrote, for tests/unit/test_upgrade.cc: the
# demo's eleven mails (one with a PDF) ingested and routed, the acknowledgements and notices sent
# to a Maildir, then the corpus's Gmail mail with its attachment ingested and left queued, and one
# request transferred. Run it with the binary of the release whose schema it should hold:
#   tests/data/upgrade/make_fixture.sh OLD_GUICHET OUT.db
set -euo pipefail
old=${1:?usage: make_fixture.sh OLD_GUICHET OUT.db}
out=${2:?usage: make_fixture.sh OLD_GUICHET OUT.db}
root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/guichet.yaml" <<YAML
commune: Champignac-en-Cambrousse
database: $work/fixture.db
directory: $root/etc/directory.yaml
rules: $root/rules
mailboxes:
  - {name: mairie, url: 'maildir://$work/inbox', address: mairie@champignac.example, department: accueil}
smtp:
  url: maildir://$work/outbox
YAML
export TZ=Europe/Paris
g() { "$old" --config "$work/guichet.yaml" --now 2026-11-20T10:00 "$@"; }
g ingest --mailbox mairie "$root"/etc/demo/inbox/new/* >/dev/null
g outbox send >/dev/null
g ingest --mailbox mairie "$root/tests/data/mail/gmail-utf8-attachment.eml" >/dev/null
first=$(g list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["reference"])')
g transfer "$first" voirie --actor fixture >/dev/null
sqlite3 "$work/fixture.db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
cp "$work/fixture.db" "$out"
echo "$out: schema $(sqlite3 "$out" 'PRAGMA user_version'), $(sqlite3 "$out" 'SELECT count(*) FROM requests') requests"
