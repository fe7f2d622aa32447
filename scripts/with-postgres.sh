#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster when the server binaries are present:
# initdb as the `postgres` user (when run as root; as the current user otherwise) in a temp
# directory, start it on a free loopback port, export DEFLEDGER_TEST_PG_URL, run the command,
# then stop and remove the cluster, whatever the command's outcome. The command's exit status is
# the script's. Without the binaries (or as root without a `postgres` user) the command runs as
# is and the PostgreSQL tests skip with a visible reason. A DEFLEDGER_TEST_PG_URL already set is
# used as is.
#
#   bash scripts/with-postgres.sh python -m pytest -q
set -uo pipefail

say() { echo "with-postgres: $*" >&2; }

if [ "$#" -eq 0 ]; then
    say "usage: bash scripts/with-postgres.sh COMMAND [ARGS...]"
    exit 2
fi
if [ -n "${DEFLEDGER_TEST_PG_URL:-}" ]; then
    say "using the server in DEFLEDGER_TEST_PG_URL"
    exec "$@"
fi

# The server binaries: $DEFLEDGER_PG_BIN if set ("none" to run without a server), else pg_ctl
# on PATH, else the newest of Debian/Ubuntu's versioned directories.
PG_BIN=""
candidates=()
if [ -n "${DEFLEDGER_PG_BIN:-}" ]; then
    candidates+=("$DEFLEDGER_PG_BIN")
elif command -v pg_ctl >/dev/null 2>&1; then
    candidates+=("$(dirname "$(readlink -f "$(command -v pg_ctl)")")")
fi
if [ -z "${DEFLEDGER_PG_BIN:-}" ]; then
    while IFS= read -r dir; do candidates+=("$dir"); done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn)
fi
for candidate in ${candidates[@]+"${candidates[@]}"}; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then PG_BIN="$candidate"; break; fi
done
if [ -z "$PG_BIN" ]; then
    say "no PostgreSQL server binaries (initdb, pg_ctl); PostgreSQL tests will skip"
    exec "$@"
fi
if [ "$(id -u)" = "0" ] && ! id -u postgres >/dev/null 2>&1; then
    say "running as root but there is no 'postgres' user to run the server; PostgreSQL tests will skip"
    exec "$@"
fi

RUNUSER=$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser || true)
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/defledger-pg.XXXXXX")
as_pg() {
    # The server refuses to run as root; run it as `postgres` from a directory it can enter.
    if [ "$(id -u)" = "0" ] && [ -n "$RUNUSER" ]; then
        (cd "$PGDIR" && "$RUNUSER" -u postgres -- "$@")
    elif [ "$(id -u)" = "0" ]; then
        (cd "$PGDIR" && su -s /bin/sh postgres -c '"$0" "$@"' -- "$@")
    else
        (cd "$PGDIR" && "$@")
    fi
}
started=""
cleanup() {
    if [ -n "$started" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ "$(id -u)" = "0" ] && chown postgres "$PGDIR"

if ! as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$PGDIR/initdb.log" 2>&1; then
    say "initdb failed:"
    cat "$PGDIR/initdb.log" >&2
    exit 1
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A port found free can be taken before the server binds it: try a few.
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    if as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null 2>&1; then
        started=1
        break
    fi
    say "server did not start on port $PORT (attempt $attempt)"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
done
if [ -z "$started" ]; then
    say "could not start the throwaway server; its log:"
    cat "$PGDIR/server.log" >&2 2>/dev/null
    exit 1
fi

export DEFLEDGER_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
export DEFLEDGER_TEST_PG_REQUIRED=1  # the server is ours: if the tests cannot reach it, fail
say "throwaway cluster ($("$PG_BIN/pg_ctl" --version)) on 127.0.0.1:$PORT"
"$@"
exit $?
