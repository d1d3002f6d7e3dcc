#!/usr/bin/env bash
# Make a local PostgreSQL server available for the database tests and print its SQLAlchemy URL.
# Installs Debian's postgresql when it is missing (as root), starts the cluster on loopback, and creates a
# role and database for the tests. Prints nothing (and exits 0) when it cannot: the PostgreSQL tests then skip
# with that reason, and the SQLite tests still run.
set -u
URL="postgresql+psycopg://countyzero:countyzero@127.0.0.1:5432/countyzero_test"
log() { echo "postgres-for-tests: $*" >&2; }
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq postgresql >/dev/null 2>&1 || \
     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null 2>&1)) || { log "cannot install"; exit 0; }
  else
    log "no PostgreSQL server and not root"; exit 0
  fi
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters 2>/dev/null | grep -q "^$version "; then
  pg_createcluster "$version" main >/dev/null 2>&1 || { log "cannot create cluster"; exit 0; }
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='countyzero'\"" 2>/dev/null | grep -q 1 || \
  su postgres -c "psql -qc \"create role countyzero login createdb password 'countyzero'\"" >/dev/null 2>&1
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='countyzero_test'\"" 2>/dev/null | grep -q 1 || \
  su postgres -c "createdb -O countyzero countyzero_test" >/dev/null 2>&1
if su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1; then echo "$URL"; else log "server did not start"; fi
exit 0
