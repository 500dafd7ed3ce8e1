#!/usr/bin/env bash
# Checks (and, where it can, starts) the PostgreSQL and Redis the tests use.
# On this project's machines both are started before a session; elsewhere
# this starts them the same way or says what to do.
set -euo pipefail

pg_ok() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_ok() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_ok && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if ! redis_ok && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /tmp || true
  sleep 1
fi

pg_ok || { echo "services: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
redis_ok || { echo "services: Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
[ "${1:-}" = check ] && echo "services: PostgreSQL and Redis are up"
exit 0
