#!/usr/bin/env bash
# Starts the PostgreSQL server the tests run the store against, without systemd (like start-test-ldap.sh).
#   postgres://kraut:kraut@127.0.0.1:5433/kraut   role kraut (CREATEDB: each test fixture makes and drops its own database)
# A private cluster (Debian's postgresql package, run as the postgres user) in $KRAUT_TEST_POSTGRES_DIR, on port 5433 so
# that an operator's own server on 5432 is neither needed nor disturbed. Durability is switched off (fsync,
# synchronous_commit): it holds only throwaway test data, and the tests run faster.
# Idempotent: a running server is kept (the role and database are made sure of). Prints the postgres:// URL on stdout.
set -euo pipefail

state=${KRAUT_TEST_POSTGRES_DIR:-/var/lib/kraut-test-postgres}
port=${KRAUT_TEST_POSTGRES_PORT:-5433}
url=postgres://kraut:kraut@127.0.0.1:$port/kraut

log() { printf '[test-postgres] %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (installs packages, runs the server as postgres)"; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! installed postgresql; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's package makes and starts a cluster of its own on 5432 where it can; without systemd it cannot, and this
  # script never uses it.
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$bin/pg_ctl" ] || { log "no pg_ctl under /usr/lib/postgresql/*/bin although postgresql is installed"; exit 1; }

as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres "$bin/../bin/psql" -h "$state/run" -p "$port" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
answers() { as_postgres "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; }

# One start at a time: test runs and helpers may call this at once.
mkdir -p "$(dirname "$state")"
exec 9>"$state.lock"
flock 9

if answers; then
  log "PostgreSQL already answers on 127.0.0.1:$port"
else
  if [ ! -f "$state/data/PG_VERSION" ]; then
    log "creating a cluster in $state"
    rm -rf "$state"
    mkdir -p "$state/data" "$state/run"
    chown -R postgres:postgres "$state"
    chmod 700 "$state"
    # C locale: text sorts by bytes, as on SQLite (the portal's columns say so themselves too).
    as_postgres "$bin/initdb" -D "$state/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --no-locale >/dev/null
    cat >> "$state/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$state/run'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if [ -f "$state/data/postmaster.pid" ]; then
    pid=$(head -n1 "$state/data/postmaster.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "postgres (pid $pid) runs but does not answer; restarting it"
      as_postgres "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null || true
    fi
  fi
  log "starting PostgreSQL on 127.0.0.1:$port"
  mkdir -p "$state/run" && chown postgres:postgres "$state/run"
  # 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs.
  as_postgres "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 30 start >/dev/null 9>&- \
    || { log "PostgreSQL did not start; see $state/server.log:"; tail -n 20 "$state/server.log" >&2; exit 1; }
  answers || { log "PostgreSQL does not answer on 127.0.0.1:$port"; exit 1; }
fi

# The role and its database, made sure of on every run.
psql_admin <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kraut') THEN CREATE ROLE kraut LOGIN CREATEDB PASSWORD 'kraut';
  ELSE ALTER ROLE kraut LOGIN CREATEDB PASSWORD 'kraut'; END IF;
END $$;
SQL
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'kraut'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE kraut OWNER kraut" >/dev/null
fi

log "test PostgreSQL ready: $url (server log $state/server.log)"
echo "$url"
