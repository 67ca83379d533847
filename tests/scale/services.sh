#!/usr/bin/env bash
# Run a command against a private PostgreSQL and Redis on loopback, then stop both, whatever the command did.
#
#   tests/scale/services.sh COMMAND [ARGS…]     e.g. tests/scale/services.sh .venv/bin/python -m pytest -x tests/test_dedupe.py
#
# Installs Debian's postgresql and redis-server when missing (as root; otherwise says what to install). The
# servers listen on free loopback ports with their data in a throw-away folder; no system-wide cluster or
# service is started, stopped or changed. The command sees:
#   CIVICBOT_TEST_DATABASE_URL   the server's civicbot_test database (tests/conftest.py makes it a template)
#   CIVICBOT_TEST_REDIS_URL      the Redis server (each test takes a Redis database of its own)
#   CIVICBOT_BENCH_DATABASE_URL  an empty database for bench/load.py
#   CIVICBOT_BENCH_REDIS_URL     Redis database 0, for bench/load.py
# and this script exits with the command's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS…]" >&2
  exit 2
fi

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

missing=()
[ -x "$(postgres_bin)/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-scale needs Debian's ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]} with apt" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PG_BIN=$(postgres_bin)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

folder=$(mktemp -d "${TMPDIR:-/tmp}/civicbot-scale.XXXXXX")
# PostgreSQL refuses to run as root: as root its folder belongs to the postgres user and it runs as that user.
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$folder"
  as_postgres=(runuser -u postgres --)
else
  as_postgres=()
fi
pg_port=$(free_port)
redis_port=$(free_port)

stop() {
  status=$?
  if [ -f "$folder/pg/postmaster.pid" ]; then
    "${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$folder/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$folder/redis.pid" ]; then
    kill "$(cat "$folder/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$folder/redis.pid" ] || break; sleep 0.1; done
  fi
  rm -rf "$folder"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A throw-away cluster: no fsync (its data dies with the run), trust on loopback only, sockets in its folder.
"${as_postgres[@]}" "$PG_BIN/initdb" -D "$folder/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$folder/initdb.log" 2>&1 || { cat "$folder/initdb.log" >&2; exit 1; }
"${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$folder/pg" -l "$folder/pg/server.log" -w -t 60 start -o \
  "-c listen_addresses=127.0.0.1 -p $pg_port -k $folder -c max_connections=300 \
   -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
  || { cat "$folder/pg/server.log" >&2; exit 1; }
for name in civicbot_test civicbot_bench; do
  "${as_postgres[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$name"
done

# Many small databases, so that every test can have one of its own; nothing is saved to disk.
redis-server --bind 127.0.0.1 --port "$redis_port" --databases 256 --save '' --appendonly no \
  --dir "$folder" --pidfile "$folder/redis.pid" --logfile "$folder/redis.log" --daemonize yes
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { cat "$folder/redis.log" >&2; exit 1; }

export CIVICBOT_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/civicbot_test"
export CIVICBOT_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export CIVICBOT_BENCH_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/civicbot_bench"
export CIVICBOT_BENCH_REDIS_URL="redis://127.0.0.1:$redis_port/0"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port," \
     "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port, in $folder" >&2

"$@"
