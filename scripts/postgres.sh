# Sourced by scripts/test and scripts/cluster: makes sure PostgreSQL answers
# on 127.0.0.1:5432 (starting Debian's cluster if it does not) and that the
# `postgres` role can log in over TCP. Sets PG_ADMIN_URL.
# Needs: log, SUDO.

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  log "starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
if ! psql "$PG_ADMIN_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  # A fresh install asks for a password over TCP: give the postgres role one.
  $SUDO su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
fi

# ensure_database NAME: creates it unless it exists.
ensure_database() {
  psql "$PG_ADMIN_URL" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 \
    || psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $1"
}
