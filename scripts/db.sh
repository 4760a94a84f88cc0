#!/usr/bin/env bash
# The project's own PostgreSQL + PostGIS cluster, in the git-ignored .local/postgres.
#   scripts/db.sh start   initialise on first use, start if stopped, ensure database + postgis
#   scripts/db.sh stop    stop the cluster (data is kept)
#   scripts/db.sh status  say whether it runs
#   scripts/db.sh url     print the DATABASE_URL of the cluster
# It never wipes data. PostgreSQL refuses to run as root: as root, the cluster runs as the
# unprivileged system user $PG_SYSUSER, and since that user cannot reach a root-owned clone
# (one under /root, say), the data then lives in /var/lib/wecreatespace/<hash of the clone
# path>, linked from .local/postgres. A new clone at the same path finds the same cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL="$ROOT/.local"
PGDIR="$LOCAL/postgres"
PG_SYSUSER=${PG_SYSUSER:-wecreatespace-pg}
DBNAME=mapapp
DBUSER=mapapp
URLFILE="$LOCAL/database_url"

port_in_use() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# The port is chosen once, when the cluster is made (MAPAPP_PGPORT, else the first free one
# from 54329), and kept beside the cluster so that two clones can run side by side. The
# password is kept there too: the cluster may outlive a clone (see above).
choose_port() {
    local f
    f="$(real)/port"
    if [ -n "${MAPAPP_PGPORT:-}" ]; then PGPORT=$MAPAPP_PGPORT; return; fi
    if [ -s "$f" ]; then PGPORT=$(cat "$f"); return; fi
    PGPORT=54329
    while port_in_use "$PGPORT"; do
        PGPORT=$((PGPORT + 1))
        [ "$PGPORT" -lt 54400 ] || die "no free port between 54329 and 54399; set MAPAPP_PGPORT"
    done
    echo "$PGPORT" > "$f"
}

say() { printf '\033[1m[db]\033[0m %s\n' "$*"; }
die() { echo "[db] $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

pg_bindir() {
    # the newest installed PostgreSQL that has PostGIS installed for it
    local d v
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        v=$(basename "$(dirname "$d")")
        if ls /usr/share/postgresql/"$v"/extension/postgis.control >/dev/null 2>&1; then
            echo "$d"; return 0
        fi
    done
    return 1
}

as_pg() {
    if is_root; then runuser -u "$PG_SYSUSER" -- "$@"; else "$@"; fi
}

ensure_sysuser() {
    is_root || return 0
    id -u "$PG_SYSUSER" >/dev/null 2>&1 || {
        say "creating system user $PG_SYSUSER to run PostgreSQL (it refuses to run as root)"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_SYSUSER"
    }
}

ensure_dirs() {
    mkdir -p "$LOCAL"
    chmod 700 "$LOCAL"
    if [ ! -e "$PGDIR" ]; then
        if is_root; then
            # .local is private to root, and a clone under /root cannot be traversed by other
            # users at all: keep the data beside the system's own and link it here.
            local ext
            ext="/var/lib/wecreatespace/pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
            mkdir -p "$ext"
            ln -s "$ext" "$PGDIR"
        else
            mkdir -p "$PGDIR"
        fi
    fi
    local real
    real=$(readlink -f "$PGDIR")
    mkdir -p "$real/run" "$real/log"
    if is_root && [ "$(stat -c %U "$real")" != "$PG_SYSUSER" ]; then
        chown -R "$PG_SYSUSER:" "$real"
    fi
    chmod 700 "$real"
}

password() {
    local f
    f="$(real)/password"
    if [ ! -s "$f" ]; then
        (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f")
    fi
    cat "$f"
}

real() { readlink -f "$PGDIR"; }

running() { as_pg "$BIN/pg_ctl" -D "$(real)/data" status >/dev/null 2>&1; }

psql_pg() {
    PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$(password) "$BIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U "$DBUSER" -v ON_ERROR_STOP=1 "$@"
}

start() {
    BIN=$(pg_bindir) || die "PostgreSQL with PostGIS is not installed: run scripts/setup.sh (or set DATABASE_URL)"
    ensure_sysuser
    ensure_dirs
    choose_port
    if [ ! -f "$(real)/data/PG_VERSION" ]; then
        say "initialising a PostgreSQL cluster in $(real)/data"
        local pwfile="$(real)/run/initpw"
        password > "$pwfile"
        is_root && chown "$PG_SYSUSER:" "$pwfile"
        chmod 600 "$pwfile"
        as_pg "$BIN/initdb" -D "$(real)/data" -U "$DBUSER" --pwfile="$pwfile" \
            --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
        cat >> "$(real)/data/postgresql.conf" <<CONF

# --- wecreatespace embedded cluster ---
listen_addresses = '127.0.0.1'
port = $PGPORT  # also given on the command line at start
unix_socket_directories = '$(real)/run'
max_connections = 100
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 128MB
CONF
    fi
    if ! running; then
        if port_in_use "$PGPORT"; then
            die "port $PGPORT on 127.0.0.1 is taken by another program; set MAPAPP_PGPORT to a free port"
        fi
        say "starting PostgreSQL on 127.0.0.1:$PGPORT"
        as_pg "$BIN/pg_ctl" -D "$(real)/data" -l "$(real)/log/postgresql.log" -o "-p $PGPORT" -w -t 60 start >/dev/null \
            || { tail -20 "$(real)/log/postgresql.log" >&2; die "PostgreSQL did not start"; }
    fi
    if [ "$(psql_pg -d postgres -tAc "select 1 from pg_database where datname = '$DBNAME'")" != 1 ]; then
        say "creating database $DBNAME"
        psql_pg -d postgres -c "create database $DBNAME"
    fi
    psql_pg -d "$DBNAME" -c "create extension if not exists postgis"
    (umask 077; echo "postgis://$DBUSER:$(password)@127.0.0.1:$PGPORT/$DBNAME" > "$URLFILE")
}

stop() {
    BIN=$(pg_bindir) || exit 0
    [ -f "$(real)/data/PG_VERSION" ] || { say "no cluster here"; return 0; }
    choose_port
    if running; then as_pg "$BIN/pg_ctl" -D "$(real)/data" -m fast -w stop >/dev/null; say "stopped"; else say "not running"; fi
}

status() {
    BIN=$(pg_bindir) || die "PostgreSQL with PostGIS is not installed"
    choose_port
    if [ -f "$(real)/data/PG_VERSION" ] && running; then say "running on 127.0.0.1:$PGPORT ($PGDIR)"; else say "not running"; return 3; fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) cat "$URLFILE" ;;
    *) die "usage: $0 start|stop|status|url" ;;
esac
