#!/usr/bin/env bash
# Refresh the front-end assets vendored under caseflow/static/vendor/ from the npm registry.
# CaseFlow serves only these local copies (air-gapped: no CDN). Each keeps its licence file.
# Usage: deploy/vendor-assets.sh   (needs npm; the output is committed)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=caseflow/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME@VERSION DIR FILE...
  local spec=$1 dir=$2; shift 2
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  local tgz; tgz=$(ls "$work"/*.tgz); mkdir -p "$work/x" "$dest/$dir"
  tar xzf "$tgz" -C "$work/x"; rm -f "$tgz"
  for f in "$@"; do cp "$work/x/package/$f" "$dest/$dir/"; done
  echo "$spec" > "$dest/$dir/VERSION"
  rm -rf "$work/x"
}

fetch @picocss/pico@2.1.1 pico css/pico.min.css LICENSE.md
