#!/usr/bin/env bash
# The shipped units, checked by systemd itself (every directive known, the binary where they say),
# with the binary of this build in place of /usr/local/bin/guichet. Skipped (77) without systemd.
set -euo pipefail
source_dir=$1 binary=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for unit in "$source_dir"/systemd/*.service "$source_dir"/systemd/*.timer; do
  sed "s#/usr/local/bin/guichet#$binary#g" "$unit" > "$dir/$(basename "$unit")"
done
out=$(systemd-analyze verify "$dir"/*.service "$dir"/*.timer 2>&1 | grep -v "^$" || true)
if [[ -n "$out" ]]; then
  echo "$out"
  exit 1
fi
echo "units verified: $(cd "$dir" && echo *.service *.timer)"
