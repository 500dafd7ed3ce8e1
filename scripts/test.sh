#!/usr/bin/env bash
# Every check the project has: formatter, linter, then all tests, the
# end-to-end ones on a real Asterisk 22 and the browser ones included.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/services.sh check

echo "== ruff format --check"
.venv/bin/ruff format --check .
echo "== ruff check"
.venv/bin/ruff check .

echo "== pytest"
exec .venv/bin/pytest "$@"
