#!/usr/bin/env bash
# One command for the daemon benchmark against a real Dovecot on loopback (as root):
#   1. 10,000 generated mails (bench/gen_corpus.cc) in a Dovecot mailbox;
#   2. the raw rate: curl fetching every message by UID over one connection;
#   3. guichet serve --once ingesting the same mailbox (start: all), same run: rate and peak RSS;
#   4. the daemon left running: steady-state RSS and CPU time over 30 idle seconds;
#   5. delivery-to-acknowledgement delay with the default poll interval (30 s), 3 samples.
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

# Delivery to acknowledgement, default poll interval (30 s).
sent() { { ls "$out/outbox/new" 2>/dev/null || true; } | wc -l; }
delays=()
for i in 1 2 3; do
  before=$(sent)
  t=$(date +%s.%N)
  printf 'From: Lea <lea%d@example.org>\r\nTo: mairie@champignac.example\r\nSubject: Test %d\r\nMessage-ID: <delay-%d-%s@example.org>\r\n\r\nBonjour\r\n' "$i" "$i" "$i" "$RANDOM" |
    doveadm -c "$out/dovecot.conf" save -u guichet
  while [ "$(sent)" -le "$before" ]; do sleep 0.1; done
  delays+=("$(echo "$(date +%s.%N) - $t" | bc)")
  sleep $((RANDOM % 10))
done

awk -v n="$count" -v raw="$raw_s" -v s="$serve_s" -v rss="$rss_kb" -v idle="$idle_rss" -v cpu="$((t1 - t0))" -v tck="$ticks" \
    -v d="${delays[*]}" 'BEGIN {
  printf "messages:                %d\n", n
  printf "raw curl fetch:          %.2f s, %.0f messages/s (one connection)\n", raw, n / raw
  printf "guichet serve --once:    %.2f s, %.0f messages/s (%.0f %% of raw)\n", s, n / s, 100 * raw / s
  printf "peak RSS while ingesting: %.1f MB\n", rss / 1024
  printf "steady-state RSS (idle): %.1f MB\n", idle / 1024
  printf "idle CPU:                %.2f s over 30 s (%.2f %%)\n", cpu / tck, 100 * cpu / tck / 30
  printf "delivery to acknowledgement (poll every 30 s): %s s\n", d
}'
grep -c "new_request\|attached\|duplicate" "$out/serve.log" | xargs echo "messages logged:        "
