#!/usr/bin/env bash
# Install the web console's front-end files from the npm registry, at the
# exact versions of package-lock.json, and copy the ones the pages use into
# web_console/static/vendor/ (gitignored). The console still renders with
# its own plain CSS when this has not been run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/web_console/static/vendor"
cd "$root"

if ! command -v npm >/dev/null 2>&1; then
    echo "install-assets: npm not found (apt-get install npm)" >&2
    exit 1
fi

# --ignore-scripts: none of these packages needs an install script, and we
# run no code from the registry.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

rm -rf "$vendor"
mkdir -p "$vendor/bootstrap" "$vendor/vazirmatn/fonts/webfonts"

cp node_modules/bootstrap/dist/css/bootstrap.rtl.min.css "$vendor/bootstrap/"
cp node_modules/bootstrap/LICENSE "$vendor/bootstrap/LICENSE"

# The font-face file names its fonts relative to itself; keep that layout.
cp node_modules/vazirmatn/Vazirmatn-font-face.css "$vendor/vazirmatn/"
cp node_modules/vazirmatn/fonts/webfonts/Vazirmatn-*.woff2 \
    "$vendor/vazirmatn/fonts/webfonts/"
cp node_modules/vazirmatn/OFL.txt "$vendor/vazirmatn/OFL.txt"

echo "install-assets: vendor files in ${vendor#"$root"/}"
