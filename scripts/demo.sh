#!/usr/bin/env bash
# The demo: install what is missing, then start Asterisk and the services,
# place one call that leaves a request, and print a console login.
# `scripts/demo.sh stop` (make stop) stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-start}" = stop ]; then
  exec .venv/bin/callcenter demo stop
fi

bash scripts/setup.sh
bash scripts/services.sh
exec .venv/bin/callcenter demo start
