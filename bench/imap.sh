#!/usr/bin/env bash
# One command for the daemon benchmark against a real Dovecot on loopback (as root):
#   1. 10,000 generated mails (bench/gen_corpus.cc) in a Dovecot mailbox;
#   2. the reference: curl fetching every message by UID over one connection;
#   3. guichet serve --once ingesting the same mailbox (start: all), same run: rate and peak RSS;
#      then the same mail from a Maildir (serve --once, maildir://) and from an mbox (ingest);
#   4. the daemon left running: steady-state RSS and CPU time over 30 idle seconds;
#   5. delivery to acknowledgement, poll interval left at 30 s: 200 mails one by one with IDLE,
#      and 3 with the poll alone (watch: false).
# Usage: bench/imap.sh [COUNT] [--compare REV] (default 10000). With --compare, step 3 also runs
# the guichet of commit REV (built in a worktree under build-bench/) on the same mailbox, in the
# same run, before the current one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-10000}
compare=
if [[ "${2:-}" == "--compare" ]]; then compare=${3:?--compare needs a commit}; fi
out=$root/build-bench/imap
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF >/dev/null
rm -rf "$out" && mkdir -p "$out/home/guichet/Maildir"/{new,cur,tmp} "$out/run" "$out/state"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "guichet:{PLAIN}secret:1000:1000::$out/home/guichet::" > "$out/passwd"
cat > "$out/dovecot.conf" <<CONF
base_dir = $out/run
state_dir = $out/state
log_path = $out/dovecot.log
ssl = no
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
first_valid_uid = 500
auth_username_format = %n
protocols = imap
listen = 127.0.0.1
passdb {
  driver = passwd-file
  args = $out/passwd
}
userdb {
  driver = passwd-file
  args = $out/passwd
}
service imap-login {
  inet_listener imap {
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
build-release/bench/guichet-bench-gen "$out/gen" "$count" >/dev/null
cp "$out/gen/new/"* "$out/home/guichet/Maildir/new/"
chown -R 1000:1000 "$out/home"
/usr/sbin/dovecot -F -c "$out/dovecot.conf" >"$out/dovecot.out" 2>&1 &
dovecot=$!
daemon=
trap 'kill $dovecot ${daemon:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
# Dovecot indexes the Maildir on first access: do it before timing anything.
doveadm -c "$out/dovecot.conf" mailbox status -u guichet messages INBOX

start=$(date +%s.%N)
curl -s "imap://127.0.0.1:$port/INBOX;UID=[1-$count]" -u guichet:secret -o /dev/null
raw_s=$(echo "$(date +%s.%N) - $start" | bc)
# Put \Seen back so guichet sees the mailbox as a human would have left it: unread.
doveadm -c "$out/dovecot.conf" flags remove -u guichet '\Seen' mailbox INBOX all

echo "secret" > "$out/imap-password"
cat > "$out/guichet.yaml" <<CONF
commune: Champignac-en-Cambrousse
database: guichet.db
directory: $root/etc/directory.yaml
rules: $root/rules
mailboxes:
  - name: mairie
    url: imap://127.0.0.1:$port/INBOX
    tls: none
    user: guichet
    password_file: imap-password
    department: accueil
    start: all
CONF
if [[ -n "$compare" ]]; then
  rm -rf "$root/build-bench/before" && git worktree prune
  git worktree add -f --detach "$root/build-bench/before" "$compare" >/dev/null 2>&1
  bash "$root/build-bench/before/scripts/build.sh" "$root/build-bench/before/build" -DCMAKE_BUILD_TYPE=Release \
    -DGUICHET_TESTS=OFF -DGUICHET_BENCH=OFF >/dev/null
  /usr/bin/time -f '%e %M' -o "$out/time-before" "$root/build-bench/before/build/guichet" \
    --config "$out/guichet.yaml" --db "$out/before.db" serve --once 2>"$out/serve-before.log"
  read -r before_s before_rss < "$out/time-before"
  printf 'guichet %s serve --once: %.2f s, %.0f messages/s, peak RSS %.1f MB\n' "$(git rev-parse --short "$compare")" \
    "$before_s" "$(echo "$count / $before_s" | bc -l)" "$(echo "$before_rss / 1024" | bc -l)"
  # The mailbox as it was: unread, no keyword.
  doveadm -c "$out/dovecot.conf" flags remove -u guichet '\Seen $Guichet' mailbox INBOX all
  git worktree remove --force "$root/build-bench/before"
fi
/usr/bin/time -f '%e %M' -o "$out/time" build-release/guichet --config "$out/guichet.yaml" serve --once 2>"$out/serve.log"
read -r serve_s rss_kb < "$out/time"

# The same mail from a Maildir (the daemon's path, another source) and from an mbox (an import).
mkdir -p "$out/maildir"/{new,cur,tmp}
cp "$out/gen/new/"* "$out/maildir/new/"
sed -e "s#url: imap://.*#url: maildir://$out/maildir#" -e '/tls: none/d' -e '/user: guichet/d' \
  -e '/password_file/d' "$out/guichet.yaml" > "$out/maildir.yaml"
/usr/bin/time -f '%e %M' -o "$out/time-maildir" build-release/guichet --config "$out/maildir.yaml" \
  --db "$out/maildir.db" serve --once 2>"$out/serve-maildir.log"
read -r maildir_s maildir_rss < "$out/time-maildir"
/usr/bin/python3 - "$out/gen/new" "$out/corpus.mbox" <<'PY'
import mailbox, os, sys
box = mailbox.mbox(sys.argv[2])
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name), 'rb') as f:
        box.add(mailbox.mboxMessage(f.read()))
box.flush()
PY
/usr/bin/time -f '%e %M' -o "$out/time-mbox" build-release/guichet --config "$out/guichet.yaml" \
  --db "$out/mbox.db" ingest --mailbox mairie "$out/corpus.mbox" >/dev/null 2>"$out/ingest-mbox.log"
read -r mbox_s mbox_rss < "$out/time-mbox"

# Steady state: the daemon running on the ingested mailbox, nothing new arriving.
cat >> "$out/guichet.yaml" <<CONF
smtp:
  url: maildir://$out/outbox
CONF
build-release/guichet --config "$out/guichet.yaml" serve 2>"$out/daemon.log" &
daemon=$!
sleep 5
t0=$(awk '{print $14+$15}' /proc/$daemon/stat)
sleep 30
t1=$(awk '{print $14+$15}' /proc/$daemon/stat)
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$daemon/status)
ticks=$(getconf CLK_TCK)

# Delivery to acknowledgement with IDLE, the poll interval left at 30 s: 200 mails one by one.
sent() { { ls "$out/outbox/new" 2>/dev/null || true; } | wc -l; }
deliver() {
  # Each mail its own sender, subject and text: none may look like a copy of another.
  printf 'From: Lea <lea-%s-%d@example.org>\r\nTo: mairie@champignac.example\r\nSubject: Demande %s %d\r\nMessage-ID: <delay-%s-%d-%s@example.org>\r\n\r\nBonjour, demande %s %d.\r\n' \
    "$2" "$1" "$2" "$1" "$2" "$1" "$RANDOM" "$2" "$1" | doveadm -c "$out/dovecot.conf" save -u guichet
}
: > "$out/idle-delays"
for i in $(seq 200); do
  before=$(sent)
  t=$(date +%s.%N)
  deliver "$i" idle
  while [ "$(sent)" -le "$before" ]; do sleep 0.01; done
  echo "$(date +%s.%N) - $t" | bc >> "$out/idle-delays"
  sleep 0.$((RANDOM % 5))
done
kill $daemon; wait $daemon 2>/dev/null || true
# The same with the poll alone, for reference (3 samples: each waits for the next poll).
sed 's/    start: all/    start: all\n    watch: false/' "$out/guichet.yaml" > "$out/poll-only.yaml"
build-release/guichet --config "$out/poll-only.yaml" serve 2>"$out/daemon-poll.log" &
daemon=$!
sleep 3
delays=()
for i in 1 2 3; do
  before=$(sent)
  t=$(date +%s.%N)
  deliver "$i" poll
  while [ "$(sent)" -le "$before" ]; do sleep 0.05; done
  delays+=("$(echo "$(date +%s.%N) - $t" | bc)")
  sleep $((RANDOM % 10))
done
idle_p=$(sort -n "$out/idle-delays" | awk '{a[NR]=$1} END {printf "p50 %.3f s, p95 %.3f s, max %.3f s", a[int(NR*0.5)], a[int(NR*0.95)], a[NR]}')

awk -v n="$count" -v raw="$raw_s" -v s="$serve_s" -v rss="$rss_kb" -v idle="$idle_rss" -v cpu="$((t1 - t0))" -v tck="$ticks" \
    -v d="${delays[*]}" -v md="$maildir_s" -v mrss="$maildir_rss" -v mb="$mbox_s" -v ip="$idle_p" 'BEGIN {
  printf "messages:                %d\n", n
  printf "curl, one UID at a time: %.2f s, %.0f messages/s (one connection)\n", raw, n / raw
  printf "guichet serve --once:    %.2f s, %.0f messages/s (%.1f x curl, %.0f %% of its Maildir rate)\n", s, n / s, raw / s, 100 * md / s
  printf "guichet from a Maildir:  %.2f s, %.0f messages/s, peak RSS %.1f MB\n", md, n / md, mrss / 1024
  printf "guichet from an mbox:    %.2f s, %.0f messages/s\n", mb, n / mb
  printf "peak RSS while ingesting: %.1f MB\n", rss / 1024
  printf "steady-state RSS (idle): %.1f MB\n", idle / 1024
  printf "idle CPU:                %.2f s over 30 s (%.2f %%)\n", cpu / tck, 100 * cpu / tck / 30
  printf "delivery to acknowledgement, IDLE, 200 mails: %s\n", ip
  printf "delivery to acknowledgement, poll only (every 30 s): %s s\n", d
}'
grep -c "new_request\|attached\|duplicate" "$out/serve.log" | xargs echo "messages logged:        "
