# Sourced by the shared-ledger tests (after tests/lib.sh) and bench/ledger_stations.sh: a
# throwaway PostgreSQL cluster from the Debian packages, on a free loopback port, stopped
# and removed on exit.
#   pg_cluster_start        initdb + start; sets PG_URI (postgresql://sealkey@127.0.0.1:PORT/sealkey)
#   pg_cluster_crash        stop it the hard way (immediate: sessions die, no checkpoint)
#   pg_cluster_restart      start it again on the same port and data
#   pg_cluster_stop         stop it (the EXIT trap does this too)
# The password of its superuser "sealkey" is in a PGPASSFILE only (exported), the way a
# station is meant to keep it: scram-sha-256 on loopback, no trust.
# PG_FSYNC=on keeps fsync on (the bench); tests run with fsync off for speed.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PG_BIN/initdb" ] || { echo "pg_cluster: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
PG_DIR=
PG_PORT=

# The server never runs as root: as root, run it as the postgres user (Debian's package
# creates it), in a directory that user owns.
pg_as() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_cluster_start() {
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-pg.XXXXXX")
    chmod 711 "$PG_DIR"
    mkdir "$PG_DIR/data"
    local pw
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    ( umask 077; printf '%s\n' "$pw" > "$PG_DIR/pw" )
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR/data" "$PG_DIR/pw"; fi
    pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U sealkey --pwfile="$PG_DIR/pw" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; return 1; }
    rm -f "$PG_DIR/pw"
    local tries
    for tries in 1 2 3 4 5 6 7 8; do
        PG_PORT=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null && continue
        pg_cluster_restart && break
        PG_PORT=
    done
    [ -n "$PG_PORT" ] || { echo "pg_cluster: cannot start" >&2; cat "$PG_DIR/data/server.log" >&2; return 1; }
    ( umask 077; printf '127.0.0.1:%s:*:sealkey:%s\n' "$PG_PORT" "$pw" > "$PG_DIR/pgpass" )
    export PGPASSFILE=$PG_DIR/pgpass
    export PGCONNECT_TIMEOUT=10
    PG_URI="postgresql://sealkey@127.0.0.1:$PG_PORT/sealkey"
    "$PG_BIN/psql" -qAt "postgresql://sealkey@127.0.0.1:$PG_PORT/postgres" \
        -c "CREATE DATABASE sealkey" >/dev/null || return 1
    trap 'pg_cluster_stop; rm -rf "$T"' EXIT
}

pg_cluster_restart() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='' -c fsync=${PG_FSYNC:-off} -c max_connections=200" \
        >/dev/null 2>&1
}

pg_cluster_crash() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
}

pg_cluster_stop() {
    [ -n "$PG_DIR" ] || return 0
    [ -f "$PG_DIR/data/postmaster.pid" ] &&
        pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$PG_DIR"
    PG_DIR=
}

# psql on the test database.
pg_sql() {
    "$PG_BIN/psql" -qAtX -v ON_ERROR_STOP=1 "$PG_URI" -c "$1"
}
