#!/usr/bin/env bash
# choicemap bootstrap: Debian packages, .venv, PostgreSQL + PostGIS, Redis, var/env.
#
# Idempotent; safe to run again and again (make run / make test call it every time).
# Runs as root, or as a user with sudo (sudo is used only when something must be installed).
#
#   scripts/bootstrap.sh                 everything `make run` needs
#   scripts/bootstrap.sh --with-browser  ... plus Debian's chromium and a running RabbitMQ (for `make test`)
#   scripts/bootstrap.sh --stop          stop the servers/processes started under var/
#   scripts/bootstrap.sh --clean-var     --stop, then remove var/
#
# Environment it honours:
#   DATABASE_URL                 use this database (PostGIS is checked, the database created if missing)
#   PGUSER / PGPASSWORD          credentials for the PostgreSQL found on 127.0.0.1 (default user: postgres)
#   REDIS_URL, CELERY_BROKER_URL use this Redis / broker
#   CHOICEMAP_PG_PORT            port to look for / start PostgreSQL on (default 5432)
#   CHOICEMAP_REDIS_PORT         port to look for / start Redis on (default 6379)
# Result: var/env (sourced by scripts/run.sh and scripts/test.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VAR="$ROOT/var"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
DB_NAME=choicemap
PG_PORT="${CHOICEMAP_PG_PORT:-5432}"
REDIS_PORT="${CHOICEMAP_REDIS_PORT:-6379}"
# Where a root-run local cluster lives when the postgres user cannot reach var/ (e.g. a checkout in /root).
PG_EXTERNAL_BASE=/var/lib/postgresql/choicemap
export DEBIAN_FRONTEND=noninteractive

say() { printf 'choicemap: %s\n' "$*"; }
die() { printf 'choicemap: ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "root privileges are needed for: $* (run as root, or install sudo)"
    fi
}

# ---------------------------------------------------------------- Debian packages
APT_UPDATED=0
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_get() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
        -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold "$@" 9>&-
}
apt_install() {
    [ "$#" -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; please install: $*"
    mkdir -p "$VAR"
    local log="$VAR/apt.log"
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update (log var/apt.log)"
        local try
        for try in $(seq 1 60); do
            apt_get update >>"$log" 2>&1 && break
            # another apt-get update holds the lists lock: wait for it (up to 10 minutes)
            if [ "$try" -lt 60 ] && tail -n 5 "$log" | grep -q 'Could not get lock'; then sleep 10; continue; fi
            tail -n 20 "$log" >&2
            die "apt-get update failed (log: var/apt.log)"
        done
        APT_UPDATED=1
    fi
    say "installing Debian packages: $* (log var/apt.log)"
    apt_get install --no-install-recommends "$@" >>"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; die "could not install Debian packages: $* (log: var/apt.log)"; }
}

have_libgdal() {
    command -v gdal-config >/dev/null 2>&1 && return 0
    local ldconfig
    ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
    "$ldconfig" -p 2>/dev/null | grep -q 'libgdal\.so'
}

# ---------------------------------------------------------------- small network probes
# host port -> 0 if something accepts TCP connections there
tcp_open() {
    python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

# port -> 0 if a PostgreSQL server accepts connections on 127.0.0.1:port
pg_answers() {
    local port="$1" rc
    if ! command -v pg_isready >/dev/null 2>&1; then
        tcp_open 127.0.0.1 "$port"
        return
    fi
    for _ in $(seq 1 30); do
        rc=0
        pg_isready -q -h 127.0.0.1 -p "$port" -t 3 || rc=$?
        case "$rc" in
            0) return 0 ;;
            1) sleep 1 ;;  # server is starting up: wait for it
            *) return 1 ;;
        esac
    done
    return 1
}

# port -> 0 PONG, 1 nothing there, 2 something that is not Redis, 3 Redis that wants a password
redis_ping() {
    python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.settimeout(2)
    s.sendall(b"PING\r\n")
    reply = s.recv(64)
    s.close()
except OSError:
    sys.exit(1)
if reply.startswith(b"+PONG"):
    sys.exit(0)
sys.exit(3 if reply.startswith((b"-NOAUTH", b"-ERR AUTH", b"-WRONGPASS")) else 2)
PY
}

urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
mask_url() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

# ---------------------------------------------------------------- processes started under var/
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_cmd_has() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"; }

# pidfile name-in-cmdline signal [group] : stop that process (and its process group) and wait for it
stop_pidfile() {
    local pidfile="$1" name="$2" sig="$3" group="${4:-}" pid
    [ -f "$pidfile" ] || return 0
    pid="$(head -n1 "$pidfile" 2>/dev/null | tr -dc '0-9')"
    if [ -n "$pid" ] && pid_alive "$pid" && pid_cmd_has "$pid" "$name"; then
        say "stopping $name (pid $pid)"
        if [ -n "$group" ]; then
            kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || as_root kill "-$sig" "$pid"
        else
            kill "-$sig" "$pid" 2>/dev/null || as_root kill "-$sig" "$pid"
        fi
        for _ in $(seq 1 60); do
            pid_alive "$pid" || break
            sleep 0.5
        done
        if pid_alive "$pid"; then
            say "$name (pid $pid) did not stop in 30s; killing it"
            kill -KILL "$pid" 2>/dev/null || as_root kill -KILL "$pid" || true
        fi
    fi
    rm -f "$pidfile" 2>/dev/null || true
}

pg_datadir_real() {
    if [ -L "$VAR/pg" ]; then readlink -f "$VAR/pg"; else printf '%s\n' "$VAR/pg"; fi
}

stop_local() {
    stop_pidfile "$VAR/runserver.pid" runserver TERM group
    stop_pidfile "$VAR/celery.pid" celery TERM group
    stop_pidfile "$VAR/redis/redis.pid" redis-server TERM
    local data
    data="$(pg_datadir_real)"
    if [ -d "$data" ]; then
        # SIGINT = PostgreSQL's "fast" shutdown; works for any version and owner (root may signal postgres).
        stop_pidfile "$data/postmaster.pid" postgres INT
    fi
}

clean_var() {
    stop_local
    if [ -L "$VAR/pg" ]; then
        local ext
        ext="$(dirname "$(readlink -f "$VAR/pg")")"
        case "$ext" in
            "$PG_EXTERNAL_BASE"/*)
                say "removing $ext"
                as_root rm -rf -- "$ext"
                as_root rmdir -- "$PG_EXTERNAL_BASE" 2>/dev/null || true
                ;;
        esac
    fi
    if [ -e "$VAR" ]; then
        say "removing var/"
        rm -rf -- "$VAR" 2>/dev/null || as_root rm -rf -- "$VAR"
    fi
    say "var/ is clean"
}

# ---------------------------------------------------------------- arguments
WITH_BROWSER=0
case "${1:-}" in
    "") ;;
    --with-browser) WITH_BROWSER=1 ;;
    --stop) stop_local; exit 0 ;;
    --clean-var) clean_var; exit 0 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
esac

cd "$ROOT"
mkdir -p "$VAR"
# One bootstrap at a time per checkout (make run and make test may start together).
# fd 9 holds the lock: everything that may leave a daemon behind runs with 9>&-.
exec 9>"$VAR/.bootstrap.lock"
flock -w 900 9 || die "another bootstrap is still running (var/.bootstrap.lock)"

# ---------------------------------------------------------------- 1. Debian packages
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
have_libgdal || need+=(gdal-bin libgdal-dev)
if [ "$WITH_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
apt_install "${need[@]}"

# ---------------------------------------------------------------- 2. Python 3.12 + .venv + requirements
# The routing engines (osrm-bindings, pyvalhalla) ship wheels only for CPython >= 3.12 (abi3).
PY_MIN_MINOR=12
py_ok() { "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $PY_MIN_MINOR) else 1)" >/dev/null 2>&1; }
find_python() {
    local cand
    if [ -n "${CHOICEMAP_PYTHON:-}" ]; then
        py_ok "$CHOICEMAP_PYTHON" && { echo "$CHOICEMAP_PYTHON"; return 0; }
        die "CHOICEMAP_PYTHON=$CHOICEMAP_PYTHON is not Python >= 3.$PY_MIN_MINOR"
    fi
    for cand in python3.12 python3.13 python3.14 python3; do
        cand="$(command -v "$cand" 2>/dev/null)" || continue
        py_ok "$cand" && { echo "$cand"; return 0; }
    done
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3 \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*/bin/python3 \
                /usr/local/bin/python3.12 /opt/python*/bin/python3 "$VAR"/python/*/bin/python3; do
        [ -x "$cand" ] && py_ok "$cand" && { echo "$cand"; return 0; }
    done
    return 1
}
install_python() {
    # pyenv when present, else a python-build-standalone CPython under var/python (pbs-installer from PyPI).
    local pyenv_bin
    pyenv_bin="$(command -v pyenv 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv")"
    if [ -x "$pyenv_bin" ]; then
        say "installing Python 3.12 with pyenv (several minutes)"
        "$pyenv_bin" install -s 3.12 >>"$VAR/python-install.log" 2>&1 && return 0
    fi
    say "installing a standalone CPython 3.12 under var/python (pbs-installer)"
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    python3 -m venv "$VAR/pbs-venv" >>"$VAR/python-install.log" 2>&1 || { apt_install python3-venv; python3 -m venv "$VAR/pbs-venv"; }
    "$VAR/pbs-venv/bin/pip" install -q 'pbs-installer[download,install]' >>"$VAR/python-install.log" 2>&1 \
        && "$VAR/pbs-venv/bin/pbs-install" 3.12 --version-dir -d "$VAR/python" >>"$VAR/python-install.log" 2>&1
}
PYTHON_BASE="$(find_python || true)"
if [ -z "$PYTHON_BASE" ]; then
    install_python || true
    PYTHON_BASE="$(find_python || true)"
    [ -n "$PYTHON_BASE" ] || die "Python >= 3.$PY_MIN_MINOR not found and could not be installed (log var/python-install.log); install python3.12 and set CHOICEMAP_PYTHON=/path/to/python3.12"
fi
venv_ok() { [ -x "$PY" ] && py_ok "$PY" && "$PY" -m pip --version >/dev/null 2>&1; }
if ! venv_ok; then
    say "creating .venv with $PYTHON_BASE ($("$PYTHON_BASE" -V 2>&1))"
    rm -rf -- "$VENV"
    if ! "$PYTHON_BASE" -m venv "$VENV" >/dev/null 2>&1; then
        # Debian ships ensurepip separately, in python3-venv.
        apt_install python3-venv
        rm -rf -- "$VENV"
        "$PYTHON_BASE" -m venv "$VENV" || die "could not create .venv with $PYTHON_BASE"
    fi
fi
if [ -f "$ROOT/requirements.txt" ]; then
    req_files=("$ROOT/requirements.txt")
    if [ -d "$ROOT/requirements" ]; then
        while IFS= read -r -d '' f; do req_files+=("$f"); done \
            < <(find "$ROOT/requirements" -maxdepth 1 -name '*.txt' -print0 | sort -z)
    fi
    req_hash="$(cat "${req_files[@]}" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)" != "$req_hash" ]; then
        say "installing Python requirements into .venv (requirements.txt changed)"
        "$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements.txt" \
            || die "pip install -r requirements.txt failed"
        printf '%s\n' "$req_hash" >"$VENV/.requirements.sha256"
    else
        say "Python requirements up to date"
    fi
else
    say "WARNING: requirements.txt not found; skipping pip install"
fi

# ---------------------------------------------------------------- 3. PostgreSQL + PostGIS
# SQL helper: psycopg2 from .venv when importable, else psql. Commands:
#   info URL   -> "<server_version_num> <postgis available 0|1> <server is local 0|1>"
#   setup URL  -> create the database if missing, CREATE EXTENSION IF NOT EXISTS postgis
read -r -d '' DBTOOL <<'PY' || true
import os, shutil, subprocess, sys
from urllib.parse import parse_qsl, unquote, urlsplit

try:
    import psycopg2
except ImportError:
    psycopg2 = None

LIBPQ_KEYS = {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
              "options", "application_name", "target_session_attrs", "gssencmode"}

def fail(msg, code=2):
    print("choicemap: ERROR: " + msg, file=sys.stderr)
    sys.exit(code)

cmd, url = sys.argv[1], sys.argv[2]
u = urlsplit(url)
if u.scheme not in ("postgis", "postgres", "postgresql", "pgsql"):
    fail(f"DATABASE_URL must be postgis://... (got scheme {u.scheme!r})")
params = {
    "host": unquote(u.hostname) if u.hostname else None,
    "port": u.port or 5432,
    "user": unquote(u.username) if u.username else None,
    "password": unquote(u.password) if u.password is not None else None,
}
params.update({k: v for k, v in parse_qsl(u.query) if k in LIBPQ_KEYS})
params = {k: v for k, v in params.items() if v is not None}
params.setdefault("connect_timeout", "10")
target = unquote(u.path.lstrip("/"))
if not target:
    fail("DATABASE_URL has no database name")
host = params.get("host")
is_local = host is None or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")
where = f"{host or 'local socket'}:{params['port']}"

class DBError(Exception):
    pass

def lit(s):
    return "'" + s.replace("'", "''") + "'"

def ident(s):
    return '"' + s.replace('"', '""') + '"'

class DB:
    def __init__(self, dbname):
        self.dbname = dbname
        if psycopg2:
            try:
                self.conn = psycopg2.connect(dbname=dbname, **params)
            except psycopg2.Error as e:
                raise DBError(str(e).strip())
            self.conn.autocommit = True
        else:
            if not shutil.which("psql"):
                fail("need psycopg2 in .venv (pip install -r requirements.txt) or psql (apt-get install postgresql-client)")
            self.query("SELECT 1")

    def query(self, sql):
        if psycopg2:
            try:
                with self.conn.cursor() as cur:
                    cur.execute(sql)
                    return [tuple(str(v) for v in r) for r in cur.fetchall()] if cur.description else []
            except psycopg2.Error as e:
                raise DBError(str(e).strip())
        conninfo = " ".join(
            f"{k}='" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"
            for k, v in {**params, "dbname": self.dbname}.items() if k != "password")
        env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
        if "password" in params:
            env["PGPASSWORD"] = params["password"]
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise DBError(p.stderr.strip())
        return [tuple(line.split("|")) for line in p.stdout.splitlines() if line]

def connect_any():
    first = None
    for db in (target, "postgres", "template1"):
        try:
            return DB(db)
        except DBError as e:
            first = first or e
    fail(f"cannot connect to PostgreSQL at {where} as {params.get('user', '(default user)')}: {first}\n"
         "  Set DATABASE_URL, or PGUSER/PGPASSWORD, or CHOICEMAP_PG_PORT=55432 to start a project-local server.")

try:
    if cmd == "info":
        db = connect_any()
        ver = int(db.query("SHOW server_version_num")[0][0])
        has = bool(db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))
        print(ver, int(has), int(is_local))
    elif cmd == "setup":
        db = connect_any()
        if db.dbname != target:
            if not db.query(f"SELECT 1 FROM pg_database WHERE datname = {lit(target)}"):
                db.query(f"CREATE DATABASE {ident(target)}")
                print(f"choicemap: created database {target}")
            db = DB(target)
        db.query("CREATE EXTENSION IF NOT EXISTS postgis")
        v = db.query("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")[0][0]
        print(f"choicemap: database {target} ready (PostGIS {v})")
    else:
        fail(f"unknown command {cmd}")
except DBError as e:
    fail(f"PostgreSQL at {where}: {e}")
PY
dbtool() {
    local py=python3
    if [ -x "$PY" ] && "$PY" -c 'import psycopg2' >/dev/null 2>&1; then py="$PY"; fi
    "$py" -c "$DBTOOL" "$@"
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

# ---------------------------------------------------------------- 4. Redis
start_local_redis() {
    local port="$1" dir="$VAR/redis" conf pid esc
    mkdir -p "$dir"
    pid="$(cat "$dir/redis.pid" 2>/dev/null | tr -dc '0-9' || true)"
    if pid_alive "$pid" && pid_cmd_has "$pid" redis-server; then
        die "the Redis in var/redis is running but not on 127.0.0.1:$port; run 'make clean-var' (or set CHOICEMAP_REDIS_PORT)"
    fi
    esc="${dir//\\/\\\\}"
    esc="${esc//\"/\\\"}"
    conf="$dir/redis.conf"
    cat >"$conf" <<EOF
# written by choicemap scripts/bootstrap.sh
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
dir "$esc"
pidfile "$esc/redis.pid"
logfile "$esc/redis.log"
save ""
appendonly no
EOF
    say "starting local Redis on 127.0.0.1:$port (var/redis, log var/redis/redis.log)"
    redis-server "$conf" 9>&- || die "could not start redis-server (log: var/redis/redis.log)"
    for _ in $(seq 1 40); do
        redis_ping "$port" && return 0
        sleep 0.25
    done
    tail -n 20 "$dir/redis.log" >&2 || true
    die "local Redis does not answer on 127.0.0.1:$port"
}

if [ -n "${REDIS_URL:-}" ]; then
    redis_url="$REDIS_URL"
    say "using Redis from REDIS_URL: $(mask_url "$redis_url")"
elif [ -n "${CELERY_BROKER_URL:-}" ]; then
    redis_url="$CELERY_BROKER_URL"
    say "using Redis from CELERY_BROKER_URL: $(mask_url "$redis_url")"
else
    rc=0
    redis_ping "$REDIS_PORT" || rc=$?
    if [ "$rc" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
        apt_install redis-server
        # Debian's package starts its own service on 6379 where systemd runs: use it if it is ours to use.
        sleep 1
        rc=0
        redis_ping "$REDIS_PORT" || rc=$?
    fi
    case "$rc" in
        0) say "using Redis at 127.0.0.1:$REDIS_PORT" ;;
        1) start_local_redis "$REDIS_PORT" ;;
        2) die "something that is not Redis listens on 127.0.0.1:$REDIS_PORT; set REDIS_URL or CHOICEMAP_REDIS_PORT" ;;
        3) die "the Redis on 127.0.0.1:$REDIS_PORT needs a password; set REDIS_URL=redis://:PASSWORD@127.0.0.1:$REDIS_PORT/0" ;;
    esac
    redis_url="redis://127.0.0.1:$REDIS_PORT/0"
fi

# ---------------------------------------------------------------- 4b. RabbitMQ (tests only)
# The worker-kill fault test runs on both brokers; it makes a vhost of its own with rabbitmqctl.
if [ "$WITH_BROWSER" = 1 ] && ! tcp_open 127.0.0.1 5672; then
    command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
    say "starting RabbitMQ on 127.0.0.1:5672 (rabbitmq-server -detached; stop it with: rabbitmqctl stop)"
    as_root rabbitmq-server -detached 9>&- || die "could not start rabbitmq-server"
    for _ in $(seq 1 90); do tcp_open 127.0.0.1 5672 && break; sleep 1; done
    tcp_open 127.0.0.1 5672 || die "RabbitMQ does not answer on 127.0.0.1:5672"
fi

# ---------------------------------------------------------------- 5. var/env
tmp="$(mktemp "$VAR/.env.XXXXXX")"
{
    echo "# Written by scripts/bootstrap.sh; sourced by scripts/run.sh and scripts/test.sh."
    echo "# Values already exported in the environment win over these."
    # shellcheck disable=SC2016  # these expand when var/env is sourced, not now
    printf '[ -n "${DATABASE_URL:-}" ] || DATABASE_URL=%q\n' "$db_url"
    # shellcheck disable=SC2016
    printf '[ -n "${REDIS_URL:-}" ] || REDIS_URL=%q\n' "$redis_url"
    # shellcheck disable=SC2016
    printf '%s\n' '[ -n "${CELERY_BROKER_URL:-}" ] || CELERY_BROKER_URL="$REDIS_URL"'
    echo 'export DATABASE_URL REDIS_URL CELERY_BROKER_URL'
} >"$tmp"
chmod 600 "$tmp"
mv -f "$tmp" "$VAR/env"
say "bootstrap done (settings in var/env)"
