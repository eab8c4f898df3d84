#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# choicemap bootstrap: Debian packages, .venv, PostgreSQL + PostGIS, Redis, var/env.
#
# Idempotent; safe to run again and again (make run / make test call it every time).
# Runs as root, or as a user with sudo (sudo is used only when something must be installed).
#
#   scripts/bootstrap.sh                 everything `make run` needs
#   scripts/bootstrap.sh --with-browser  ... plus Debian's chromium, ESLint and a running RabbitMQ (`make test`)
#   scripts/bootstrap.sh --lint-tools    only what `make lint` needs: .venv and ESLint (no servers)
#   scripts/bootstrap.sh --stop          stop the servers/processes started under var/
#   scripts/bootstrap.sh --clean-var     --stop, then remove var/
#
# Environment it honours:
#   DATABASE_URL                 use this database (PostGIS is checked, the database created if missing)
#   PGUSER / PGPASSWORD          credentials for the PostgreSQL found on 127.0.0.1 (default user: postgres)
#   REDIS_URL, CELERY_BROKER_URL use this Redis / broker
#   CHOICEMAP_PG_PORT            port to look for / start PostgreSQL on (default 5432)
#   CHOICEMAP_REDIS_PORT         port to look for / start Redis on (default 6379)
#   CHOICEMAP_PYTHON             the Python (>= 3.12) to build .venv with
# Result: var/env (sourced by scripts/run.sh and scripts/test.sh). The steps live in scripts/lib/.
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

# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/apt.sh
. "$ROOT/scripts/lib/apt.sh"
# shellcheck source=lib/probe.sh
. "$ROOT/scripts/lib/probe.sh"
# shellcheck source=lib/processes.sh
. "$ROOT/scripts/lib/processes.sh"
# shellcheck source=lib/python.sh
. "$ROOT/scripts/lib/python.sh"
# shellcheck source=lib/postgres.sh
. "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=lib/redis.sh
. "$ROOT/scripts/lib/redis.sh"
# shellcheck source=lib/rabbitmq.sh
. "$ROOT/scripts/lib/rabbitmq.sh"
# shellcheck source=lib/node.sh
. "$ROOT/scripts/lib/node.sh"
# shellcheck source=lib/env.sh
. "$ROOT/scripts/lib/env.sh"

# ---------------------------------------------------------------- arguments
WITH_BROWSER=0
WITH_LINT=0
SERVERS=1
case "${1:-}" in
    "") ;;
    --with-browser) WITH_BROWSER=1; WITH_LINT=1 ;;
    --lint-tools) WITH_LINT=1; SERVERS=0 ;;
    --stop) stop_local; exit 0 ;;
    --clean-var) clean_var; exit 0 ;;
    -h|--help) sed -n '3,21p' "$0"; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
esac

cd "$ROOT"
mkdir -p "$VAR"
# One bootstrap at a time per checkout (make run and make test may start together).
# fd 9 holds the lock: everything that may leave a daemon behind runs with 9>&-.
exec 9>"$VAR/.bootstrap.lock"
flock -w 900 9 || die "another bootstrap is still running (var/.bootstrap.lock)"

# 1. Debian packages
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
have_libgdal || need+=(gdal-bin libgdal-dev)
if [ "$WITH_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
apt_install "${need[@]}"

setup_python                            # 2. Python 3.12 + .venv + requirements  (lib/python.sh)
[ "$WITH_LINT" = 0 ] || setup_node      # 3. ESLint for make lint / make test     (lib/node.sh)
[ "$SERVERS" = 1 ] || { say "lint tools ready"; exit 0; }
setup_postgres                          # 4. PostgreSQL + PostGIS                 (lib/postgres.sh)
setup_redis                             # 5. Redis                                (lib/redis.sh)
[ "$WITH_BROWSER" = 0 ] || setup_rabbitmq  # 5b. RabbitMQ for the fault tests      (lib/rabbitmq.sh)
write_env                               # 6. var/env                              (lib/env.sh)
