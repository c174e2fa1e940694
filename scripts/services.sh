#!/usr/bin/env bash
# Start the local PostgreSQL and Redis servers if they are installed and not running (tests and CI).
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432; set DATABASE_URL" >&2; exit 1; }
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "Redis is not reachable on 127.0.0.1:6379; set REDIS_URL" >&2; exit 1; }
fi
# The database the test settings (and `make test`) name; tests create their own beside it.
if command -v psql >/dev/null 2>&1 && [ -z "${DATABASE_URL:-}" ]; then
  if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'quorum'" postgres | grep -q 1; then
    echo "creating database quorum"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE quorum" postgres
  fi
fi
echo "services: PostgreSQL and Redis are up"
