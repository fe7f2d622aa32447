#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster when the server binaries are present:
# initdb as the `postgres` user in a temp directory, start it on a free loopback port, export
# DEFLEDGER_TEST_PG_URL, run the command, stop and remove the cluster. Without the binaries the
# command runs as is and PostgreSQL tests skip with a visible reason.
set -uo pipefail

PG_BIN=""
for candidate in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then PG_BIN="$candidate"; break; fi
done
if [ -z "$PG_BIN" ] || [ -n "${DEFLEDGER_TEST_PG_URL:-}" ]; then
    [ -z "$PG_BIN" ] && echo "with-postgres: no PostgreSQL server binaries; PostgreSQL tests will skip" >&2
    exec "$@"
fi

as_pg() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
PGDIR=$(mktemp -d /tmp/defledger-pg.XXXXXX)
[ "$(id -u)" = "0" ] && chown postgres "$PGDIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
}
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off -c max_connections=50" start >/dev/null
export DEFLEDGER_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: throwaway cluster on 127.0.0.1:$PORT" >&2
"$@"
status=$?
exit $status
