#!/usr/bin/env bash
# The Debian package, built and used as a town's IT would: dpkg-buildpackage -us -uc -b, lintian
# with no error, installed with apt, upgraded while the daemon runs (no mail lost or taken twice),
# removed (the database and the configuration stay) and purged (they go). As root, on a machine
# without guichet: it installs and purges the package, so it refuses to run where guichet is
# installed or /var/lib/guichet exists.
#
#   bash scripts/package-test.sh [--no-build]     (--no-build: reuse build-deb/*.deb)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/build-deb
say() { echo "package: $*"; }
fail() { echo "package: FAILED: $*" >&2; exit 1; }
# dpkg's word for guichet here: installed, config-files (removed), half-installed…; "" or
# not-installed when there is nothing of it.
package_state() { dpkg-query -W -f '${db:Status-Status}' guichet 2>/dev/null || true; }
present() { local s; s=$(package_state); [[ -n $s && $s != not-installed ]]; }

if [[ $(id -u) -ne 0 ]]; then fail "run as root (it installs and purges the package)"; fi
if present || [[ -e /var/lib/guichet ]]; then
  say "SKIPPED: guichet is installed on this machine (or /var/lib/guichet exists), and this test purges it"
  exit 0
fi

if [[ ${1:-} != --no-build ]]; then
  # A copy of the tree as git sees it (ignored build folders left out), so that dpkg-buildpackage
  # writes its .deb into build-deb/ and nothing beside the checkout.
  rm -rf "$out" && mkdir -p "$out/src"
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$out/src"
  say "dpkg-buildpackage -us -uc -b"
  (cd "$out/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
    { tail -40 "$out/build.log"; fail "dpkg-buildpackage (log: $out/build.log)"; }
fi
deb=$(ls "$out"/guichet_*_amd64.deb)
version=$(dpkg-deb -f "$deb" Version)
cmake_version=$(sed -n 's/^project(guichet VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[[ $version == "$cmake_version" ]] || fail "debian/changelog says $version, CMakeLists.txt $cmake_version"
say "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

lintian --fail-on error "$out"/guichet_*_amd64.changes ||
  fail "lintian reports errors"
say "lintian: no error"

# What a package must hold, read from the .deb itself.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/guichet ./lib/systemd/system/guichet.service ./lib/systemd/system/guichet@.service \
         ./lib/systemd/system/guichet-web.service ./lib/systemd/system/guichet-backup.timer \
         ./usr/lib/sysusers.d/guichet.conf ./usr/lib/tmpfiles.d/guichet.conf \
         ./usr/share/man/man8/guichet.8.gz ./usr/share/man/man5/guichet.yaml.5.gz \
         ./usr/share/man/man5/guichet-rules.5.gz ./usr/share/doc/guichet/examples/guichet.yaml \
         ./usr/share/doc/guichet/examples/directory.yaml ./usr/share/doc/guichet/examples/rules/99-accueil.yaml \
         ./usr/share/doc/guichet/examples/templates/accuse-reception.mustache ./etc/guichet/guichet.yaml; do
  grep -qxF "$f" <<<"$contents" || fail "$f is not in the package"
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/guichet/guichet.yaml || fail "guichet.yaml is not a conffile"
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl4 libarchive13 libsystemd0; do  # opened with dlopen: shlibdeps cannot see them
  grep -q "$lib" <<<"$deps" || fail "Depends does not name $lib: $deps"
done
grep -q 'ExecStart=/usr/bin/guichet serve' <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/guichet.service) ||
  fail "guichet.service does not run /usr/bin/guichet"

export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/guichet-package.XXXXXX)
daemon_pid=""
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null || true
  if present; then apt-get purge -y -qq guichet >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

apt-get install -y -qq "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
/usr/bin/guichet --version | grep -qx "guichet $version" || fail "guichet --version: $(/usr/bin/guichet --version)"
getent passwd guichet >/dev/null || fail "no guichet user after install (sysusers)"
[[ $(stat -c '%U %a' /var/lib/guichet) == "guichet 750" ]] || fail "/var/lib/guichet: $(stat -c '%U %a' /var/lib/guichet)"
[[ $(stat -c '%U %a' /etc/guichet/credentials) == "root 700" ]] || fail "/etc/guichet/credentials: $(stat -c '%U %a' /etc/guichet/credentials)"
/usr/bin/guichet rules check --config /etc/guichet/guichet.yaml >"$work/rules.log" 2>&1 ||
  { cat "$work/rules.log"; fail "the shipped configuration does not load"; }
say "installed: binary, user, folders, a configuration that loads"

# The daemon, as the guichet user, on a Maildir fed while the package is upgraded under it.
mkdir -p "$work/in"/{new,cur,tmp} "$work/out"
chmod 0755 "$work"
cat >"$work/guichet.yaml" <<EOF
commune: Champignac-en-Cambrousse
database: /var/lib/guichet/guichet.db
directory: /etc/guichet/directory.yaml
rules: /etc/guichet/rules
mailboxes:
  - {name: mairie, url: 'maildir://$work/in', address: mairie@champignac.example, department: accueil}
smtp:
  url: maildir://$work/out
EOF
chown -R guichet:guichet "$work/in" "$work/out"
deliver() {  # deliver N..M as new mail, the way an MDA does (tmp/, then a rename into new/)
  for ((i = $1; i <= $2; i++)); do
    printf 'From: Résident %d <resident%d@example.org>\r\nTo: mairie@champignac.example\r\nSubject: Demande %d\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\nMessage-ID: <package-%d@example.org>\r\n\r\nBonjour, demande numéro %d.\r\n' \
      "$i" "$i" "$i" "$i" "$i" >"$work/in/tmp/$i.eml"
    chown guichet:guichet "$work/in/tmp/$i.eml"
    mv "$work/in/tmp/$i.eml" "$work/in/new/17950000$i.M${i}P1.package"
    sleep 0.02
  done
}
start_daemon() {
  setpriv --reuid=guichet --regid=guichet --init-groups /usr/bin/guichet serve --config "$work/guichet.yaml" \
    >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
}
requests() {
  setpriv --reuid=guichet --regid=guichet --init-groups /usr/bin/guichet list --json --limit 10000 \
    --config "$work/guichet.yaml" 2>/dev/null | /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' ||
    echo 0
}
wait_for() {  # until N requests are stored, or 30 s
  for _ in $(seq 300); do [[ $(requests) -ge $1 ]] && return 0; sleep 0.1; done
  fail "$(requests) requests stored, $1 expected (daemon log: $(tail -5 "$work/daemon.log"))"
}
start_daemon
deliver 1 40
wait_for 40
# The next version, the same files: what an apt upgrade does to a running daemon is the point.
next="$work/next"
dpkg-deb -R "$deb" "$next"
sed -i "s/^Version: .*/Version: $version+upgrade1/" "$next/DEBIAN/control"
dpkg-deb -b "$next" "$work/guichet_next.deb" >/dev/null
deliver 41 80 &
feeder=$!
apt-get install -y -qq "$work/guichet_next.deb" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrade"; }
wait "$feeder"
kill -0 "$daemon_pid" || fail "the daemon died during the upgrade: $(tail -5 "$work/daemon.log")"
[[ $(dpkg-query -W -f '${Version}' guichet) == "$version+upgrade1" ]] || fail "the upgrade did not install"
# What the postinst's try-restart does under systemd: SIGTERM (the message in hand is committed),
# then the new binary on the same database.
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon did not exit 0 on SIGTERM: $(tail -5 "$work/daemon.log")"
daemon_pid=""
start_daemon
deliver 81 100
wait_for 100
sleep 1
[[ $(requests) -eq 100 ]] || fail "$(requests) requests for 100 mails"
acks=$(grep -l '^Auto-Submitted: auto-replied' -r "$work/out/new" | wc -l)
[[ $acks -eq 100 ]] || fail "$acks acknowledgements for 100 requests"
setpriv --reuid=guichet --regid=guichet --init-groups /usr/bin/guichet verify --config "$work/guichet.yaml" \
  >"$work/verify.log" 2>&1 || { cat "$work/verify.log"; fail "verify after the upgrade"; }
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""
say "upgraded with the daemon running: 100 mails, 100 requests, 100 acknowledgements, verify clean"

echo "# an admin's edit" >>/etc/guichet/guichet.yaml
apt-get remove -y -qq guichet >/dev/null 2>&1 || fail "apt-get remove"
[[ ! -e /usr/bin/guichet ]] || fail "/usr/bin/guichet is still there after remove"
[[ -s /var/lib/guichet/guichet.db ]] || fail "remove took the database"
grep -q "an admin's edit" /etc/guichet/guichet.yaml || fail "remove took the configuration"
[[ -d /etc/guichet/credentials ]] || fail "remove took the credentials folder"
# Installed again, it finds everything as it was.
apt-get install -y -qq "$work/guichet_next.deb" >/dev/null 2>&1 || fail "install after remove"
grep -q "an admin's edit" /etc/guichet/guichet.yaml || fail "install after remove replaced the configuration"
[[ $(requests) -eq 100 ]] || fail "install after remove: $(requests) requests"
say "removed: the database and the configuration stay, and a new install finds them"

apt-get purge -y -qq guichet >/dev/null 2>&1 || fail "apt-get purge"
for d in /etc/guichet /var/lib/guichet /var/backups/guichet; do
  [[ ! -e $d ]] || fail "$d is still there after purge"
done
say "purged: /etc/guichet, /var/lib/guichet and /var/backups/guichet are gone"
