#!/usr/bin/env bash
# clang-tidy (.clang-tidy) on the C++ files a change touches: those changed since BASE (default: the
# previous commit, or every file when there is none, as in a first clone), plus uncommitted ones.
# Needs a configured build tree for compile_commands.json. Usage: scripts/tidy.sh BUILD_DIR [BASE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:?usage: scripts/tidy.sh BUILD_DIR [BASE]}
base=${2:-HEAD~1}
if git rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
  mapfile -t files < <({ git diff --name-only --diff-filter=AMR "$base" -- ; git ls-files --others --exclude-standard; } |
                       grep -E '^(lib|daemon|tests|bench|fuzz)/.*\.cc$' | sort -u)
else
  mapfile -t files < <(git ls-files 'lib/*.cc' 'daemon/*.cc' 'tests/*.cc' 'bench/*.cc')
fi
existing=()
for f in "${files[@]}"; do [[ -f $f && $f != fuzz/* ]] && existing+=("$f"); done
if [[ ${#existing[@]} -eq 0 ]]; then
  echo "tidy: no C++ file changed since $base"
  exit 0
fi
echo "tidy: ${#existing[@]} file(s) changed since $base"
printf '%s\n' "${existing[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet >"$build/tidy.log" 2>/dev/null || true
if grep -E "(warning|error):" "$build/tidy.log"; then
  echo "tidy: clang-tidy found problems (above; the whole output is in $build/tidy.log)"
  exit 1
fi
echo "tidy: clean"
