#!/usr/bin/env bash
# Installs what guichet needs to build and run on Debian 12, as root. With "--test", also what the
# test suite needs (clang for the fuzz target). Safe to run again: apt skips what is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libssl-dev libmimetic-dev libsqlite3-dev libspdlog-dev libcli11-dev
  libyaml-cpp-dev libkainjow-mustache-dev libsystemd-dev nlohmann-json3-dev zlib1g-dev libre2-dev
  libcpp-httplib-dev libarchive-dev catch2 tzdata
)
if [[ "${1:-}" == "--test" ]]; then
  # Real servers for the integration tests, started by the suite on loopback: an SMTP receiver
  # (aiosmtpd) and Dovecot (IMAP, and LMTP for seeding unseen mail).
  # The web view's tests drive a real Chromium through chromium-driver and python3-selenium
  # (fonts-dejavu-core: the screenshots show text, not boxes). mandoc lints the man pages; the
  # package test builds the .deb (debhelper, dpkg-dev; no fakeroot: Rules-Requires-Root: no) and
  # checks it (lintian).
  packages+=(clang clang-tidy libclang-rt-14-dev python3-aiosmtpd dovecot-imapd dovecot-lmtpd
             chromium chromium-driver python3-selenium fonts-dejavu-core mandoc
             debhelper dpkg-dev lintian)
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root (apt-get install)" >&2
  exit 77
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages present"
