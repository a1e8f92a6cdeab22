#!/usr/bin/env bash
# Threading agreement with an established mail indexer on real public list mail.
#
# Corpus: the real mailing-list mail that notmuch ships in its Debian source package
# (test/corpora/lkml: Linux kernel mailing list threads; test/corpora/default: the notmuch list;
# test/corpora/threading: threads with a missing parent, from notmuch's own threading tests).
# Reference: notmuch's own thread index of the same mail (JWZ threading over References).
# guichet ingests the files in file-name order (not date order: replies often come first) and the
# two groupings are compared pair by pair. Needs root (apt-get source needs a deb-src entry, which
# this script adds for Debian 12 if there is none) and reaches only Debian's archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=build-bench/agreement
rm -rf "$out" && mkdir -p "$out"

export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n' \
    > /etc/apt/sources.list.d/guichet-bench-src.sources
fi
apt-get update -qq
apt-get install -y -qq notmuch python3 >/dev/null
(cd "$out" && apt-get source --download-only -qq notmuch >/dev/null 2>&1 && tar xf notmuch_*.orig.tar.xz)
src=$(ls -d "$out"/notmuch-*/)
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGUICHET_TESTS=OFF -DGUICHET_BENCH=ON >/dev/null

for corpus in lkml default threading; do
  mail="$out/$corpus"
  cp -r "$src/test/corpora/$corpus" "$mail"
  # notmuch's thread index.
  printf '[database]\npath=%s\n[new]\ntags=\n' "$(realpath "$mail")" > "$out/notmuch-$corpus.conf"
  NOTMUCH_CONFIG="$out/notmuch-$corpus.conf" notmuch new --quiet
  NOTMUCH_CONFIG="$out/notmuch-$corpus.conf" notmuch search --format=json --output=summary '*' > "$out/nm-threads-$corpus.json"
  : > "$out/nm-$corpus.tsv"
  for thread in $(python3 -c 'import json,sys; [print(t["thread"]) for t in json.load(open(sys.argv[1]))]' "$out/nm-threads-$corpus.json"); do
    NOTMUCH_CONFIG="$out/notmuch-$corpus.conf" notmuch search --output=messages "thread:$thread" |
      sed "s/^id:/$thread\t/" >> "$out/nm-$corpus.tsv"
  done
  # guichet's requests, ingesting the files in name order.
  echo "" > "$out/empty.yaml"
  find "$mail" -type f -not -path '*/.notmuch/*' | sort > "$out/files-$corpus"
  xargs -a "$out/files-$corpus" build-release/guichet --config "$out/empty.yaml" --db "$out/$corpus.db" ingest --json \
    > "$out/guichet-$corpus.jsonl"
  python3 - "$corpus" "$out/nm-$corpus.tsv" "$out/guichet-$corpus.jsonl" <<'PY'
import itertools, json, sys
corpus, nm_path, g_path = sys.argv[1:]
nm = {}
for line in open(nm_path):
    thread, mid = line.rstrip("\n").split("\t", 1)
    nm[mid] = thread
g = {}
for line in open(g_path):
    o = json.loads(line)
    if o["message_id"]:
        g.setdefault(o["message_id"], o["reference"])
common = sorted(set(nm) & set(g))
same_nm = same_g = both = 0
for a, b in itertools.combinations(common, 2):
    x, y = nm[a] == nm[b], g[a] == g[b]
    same_nm += x; same_g += y; both += x and y
precision = both / same_g if same_g else 1.0
recall = both / same_nm if same_nm else 1.0
threads = {}
for m in common:
    threads.setdefault(nm[m], set()).add(m)
requests = {}
for m in common:
    requests.setdefault(g[m], set()).add(m)
exact = sum(1 for t in threads.values() if t in requests.values())
print(f"{corpus}: {len(common)} messages, notmuch {len(threads)} threads, guichet {len(requests)} requests; "
      f"pairs precision {precision:.3f} recall {recall:.3f}; threads reproduced exactly {exact}/{len(threads)}")
PY
done
