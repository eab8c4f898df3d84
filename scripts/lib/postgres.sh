# shellcheck shell=bash
# Step 4: PostgreSQL + PostGIS: DATABASE_URL, else a server on 127.0.0.1, else a project-local
# cluster under var/pg (Debian's packages installed when missing).
# Sourced by scripts/bootstrap.sh (after lib/common.sh).

# The database tool (scripts/dbtool.py): psycopg2 from .venv when importable, else psql. Commands:
#   info URL   -> "<server_version_num> <postgis available 0|1> <server is local 0|1>"
#   setup URL  -> create the database if missing, CREATE EXTENSION IF NOT EXISTS postgis
dbtool() {
    local py=python3
    if [ -x "$PY" ] && "$PY" -c 'import psycopg2' >/dev/null 2>&1; then py="$PY"; fi
    "$py" "$ROOT/scripts/dbtool.py" "$@"
}

# Run a PostgreSQL server binary as the cluster owner: the postgres user when we are root
# (initdb refuses root), else the invoking user itself. Run from / so the owner needs no
# access to the current directory.
pg_as_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

newest_installed_pg() {
    local d v=""
    for d in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$d" ] || continue
        d="${d#/usr/lib/postgresql/}"
        d="${d%%/*}"
        if [ -z "$v" ] || [ "$d" -gt "$v" ] 2>/dev/null; then v="$d"; fi
    done
    [ -n "$v" ] && printf '%s\n' "$v"
}

install_postgresql() {
    local had_common=0 ver name _rest
    command -v pg_lsclusters >/dev/null 2>&1 && had_common=1
    apt_install postgresql
    # On a machine that had no PostgreSQL at all, Debian's package just created (and maybe
    # started) a 'main' cluster on 5432 with password auth. choicemap runs its own under var/pg,
    # so remove that empty cluster instead of letting it hold the port.
    if [ "$had_common" = 0 ] && command -v pg_lsclusters >/dev/null 2>&1; then
        while read -r ver name _rest; do
            [ -n "$ver" ] || continue
            say "removing the empty $ver/$name cluster that Debian's package created (choicemap uses var/pg)"
            as_root pg_dropcluster --stop "$ver" "$name" 9>&- || true
        done < <(pg_lsclusters -h 2>/dev/null || true)
    fi
}

# Prepare (once) and print the real data directory of the project-local cluster.
prepare_pg_datadir() {
    if [ -L "$VAR/pg" ] || [ -d "$VAR/pg" ]; then pg_datadir_real; return; fi
    if ! is_root; then
        mkdir -m 700 "$VAR/pg"
        printf '%s\n' "$VAR/pg"
        return
    fi
    getent passwd postgres >/dev/null || die "user 'postgres' is missing (is Debian's postgresql installed?)"
    if runuser -u postgres -- test -x "$VAR"; then
        mkdir -m 700 "$VAR/pg"
        touch "$VAR/pg.log"
        chown postgres:postgres "$VAR/pg" "$VAR/pg.log"
        printf '%s\n' "$VAR/pg"
    else
        # The postgres user cannot get into this checkout (e.g. it is under /root): keep the
        # cluster in its own directory and link it as var/pg and var/pg.log.
        local ext
        ext="$PG_EXTERNAL_BASE/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
        mkdir -p "$ext/data"
        touch "$ext/pg.log"
        chown postgres:postgres "$PG_EXTERNAL_BASE" "$ext" "$ext/data" "$ext/pg.log"
        chmod 700 "$ext/data"
        ln -sfn "$ext/data" "$VAR/pg"
        ln -sfn "$ext/pg.log" "$VAR/pg.log"
        printf '%s\n' "$ext/data"
    fi
}

start_local_pg() {
    local port="$1" data log ver bindir pid
    data="$(pg_datadir_real)"
    if [ -f "$data/PG_VERSION" ]; then
        ver="$(cat "$data/PG_VERSION")"
    else
        ver="$(newest_installed_pg)" || { install_postgresql; ver="$(newest_installed_pg)"; } \
            || die "PostgreSQL server binaries not found after installing 'postgresql'"
    fi
    bindir="/usr/lib/postgresql/$ver/bin"
    [ -x "$bindir/pg_ctl" ] || apt_install "postgresql-$ver"
    [ -f "/usr/share/postgresql/$ver/extension/postgis.control" ] || apt_install "postgresql-$ver-postgis-3"
    data="$(prepare_pg_datadir)"
    if [ -L "$VAR/pg.log" ]; then log="$(readlink -f "$VAR/pg.log")"; else log="$VAR/pg.log"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        say "initialising a PostgreSQL $ver cluster in var/pg"
        pg_as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
            >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "initdb failed (log: var/pg.log)"; }
        cat >>"$data/postgresql.conf" <<EOF

# ---- added by choicemap scripts/bootstrap.sh (throwaway development cluster)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    pid=""
    [ -f "$data/postmaster.pid" ] && pid="$(head -n1 "$data/postmaster.pid" | tr -dc '0-9')"
    if pid_alive "$pid" && pid_cmd_has "$pid" postgres; then
        pg_answers "$port" && return 0
        die "the PostgreSQL in var/pg is running but not on 127.0.0.1:$port; run 'make clean-var' (or set CHOICEMAP_PG_PORT)"
    fi
    say "starting local PostgreSQL $ver on 127.0.0.1:$port (data var/pg, log var/pg.log)"
    pg_as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null 9>&- \
        || { tail -n 20 "$log" >&2; die "could not start PostgreSQL (log: var/pg.log)"; }
    pg_answers "$port" || die "local PostgreSQL started but does not answer on 127.0.0.1:$port"
}

# Choose the server, make sure it has PostGIS, and create the database; sets db_url.
setup_postgres() {
    if [ -n "${DATABASE_URL:-}" ]; then
        db_url="$DATABASE_URL"
        say "using PostgreSQL from DATABASE_URL: $(mask_url "$db_url")"
    elif pg_answers "$PG_PORT"; then
        db_user="${PGUSER:-postgres}"
        db_auth="$(urlencode "$db_user")"
        [ -z "${PGPASSWORD:-}" ] || db_auth="$db_auth:$(urlencode "$PGPASSWORD")"
        db_url="postgis://$db_auth@127.0.0.1:$PG_PORT/$DB_NAME"
        say "using PostgreSQL at 127.0.0.1:$PG_PORT (user $db_user)"
    else
        say "no PostgreSQL on 127.0.0.1:$PG_PORT; starting a project-local one under var/pg"
        start_local_pg "$PG_PORT"
        db_url="postgis://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
    fi

    db_info="$(dbtool info "$db_url")" || exit 1
    read -r pg_ver_num has_postgis pg_is_local <<<"$db_info"
    pg_major=$((pg_ver_num / 10000))
    if [ "$has_postgis" != 1 ]; then
        [ "$pg_is_local" = 1 ] || die "the PostgreSQL server at $(mask_url "$db_url") has no PostGIS; install PostGIS there or point DATABASE_URL at a PostGIS server"
        say "PostgreSQL $pg_major has no PostGIS yet"
        pkg_installed "postgresql-$pg_major-postgis-3" || apt_install "postgresql-$pg_major-postgis-3"
        db_info="$(dbtool info "$db_url")" || exit 1
        read -r pg_ver_num has_postgis pg_is_local <<<"$db_info"
        [ "$has_postgis" = 1 ] || die "PostGIS is still not available to the PostgreSQL $pg_major server at $(mask_url "$db_url") (is it Debian's postgresql-$pg_major?)"
    fi
    dbtool setup "$db_url" || exit 1
}
