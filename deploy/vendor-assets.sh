#!/usr/bin/env bash
# Refresh the front-end assets vendored under caseflow/static/vendor/ from the npm registry.
# CaseFlow serves only these local copies (air-gapped: no CDN). Each keeps its licence file.
# Usage: deploy/vendor-assets.sh   (needs npm; the output is committed)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # [dest=DIR] fetch NAME@VERSION SUBDIR FILE...
  local spec=$1 dir=$2 dest=${dest:-caseflow/static/vendor}; shift 2
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  local tgz; tgz=$(ls "$work"/*.tgz); mkdir -p "$work/x" "$dest/$dir"
  tar xzf "$tgz" -C "$work/x"; rm -f "$tgz"
  for f in "$@"; do cp "$work/x/package/$f" "$dest/$dir/"; done
  echo "$spec" > "$dest/$dir/VERSION"
  rm -rf "$work/x"
}

fetch @picocss/pico@2.1.1 pico css/pico.min.css LICENSE.md
fetch cytoscape@3.35.0 cytoscape dist/cytoscape.min.js LICENSE
# axe-core runs only in the browser tests (accessibility checks); it is not served to users.
dest=tests/functional/vendor fetch axe-core@4.14.1 axe-core axe.min.js LICENSE LICENSE-3RD-PARTY.txt
