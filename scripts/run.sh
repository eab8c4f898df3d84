#!/usr/bin/env bash
# `make run`: bootstrap, migrate, load the demo, then a Celery worker (background, log var/celery.log)
# and the development server on http://127.0.0.1:${PORT:-8000}. Ctrl-C stops both.
#   scripts/run.sh            the portal
#   scripts/run.sh --worker   only a Celery worker, in the foreground (`make worker`)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
say() { printf 'choicemap: %s\n' "$*"; }
die() { printf 'choicemap: ERROR: %s\n' "$*" >&2; exit 1; }

mode=portal
case "${1:-}" in
    "") ;;
    --worker) mode=worker ;;
    *) die "usage: scripts/run.sh [--worker]" ;;
esac

[ "${CHOICEMAP_SKIP_BOOTSTRAP:-0}" = 1 ] || bash "$ROOT/scripts/bootstrap.sh"
[ -f "$ROOT/var/env" ] || die "var/env is missing; run scripts/bootstrap.sh"
# shellcheck source=/dev/null
. "$ROOT/var/env"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-choicemap.settings.local}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-choicemap-demo}"
PY="$ROOT/.venv/bin/python"
CELERY="$ROOT/.venv/bin/celery"
PORT="${PORT:-8000}"
[ -f "$ROOT/manage.py" ] || die "manage.py not found in $ROOT"

if [ "$mode" = worker ]; then
    say "starting a Celery worker (settings $DJANGO_SETTINGS_MODULE); Ctrl-C stops it"
    exec "$CELERY" -A choicemap worker -l info
fi

"$PY" manage.py migrate --noinput
say "loading the demo data"
"$PY" manage.py load_demo 2>&1 | tee "$ROOT/var/load_demo.log"
if ! grep -qi keyworker "$ROOT/var/load_demo.log"; then
    say "demo logins (username / password):"
    for user in admin commissioner keyworker; do printf '  %s / %s\n' "$user" "$DEMO_PASSWORD"; done
fi
# STATIC_ROOT is only for deployments: runserver serves static files itself with DEBUG on.

celery_pid=""
server_pid=""
cleanup() {
    local pid
    trap - EXIT INT TERM
    for pid in "$server_pid" "$celery_pid"; do
        [ -n "$pid" ] || continue
        # Each was started with setsid: signal its whole process group (runserver's reloader, celery's pool).
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 40); do
        { [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; } \
            || { [ -n "$celery_pid" ] && kill -0 "$celery_pid" 2>/dev/null; } || break
        sleep 0.5
    done
    for pid in "$server_pid" "$celery_pid"; do
        [ -n "$pid" ] || continue
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    rm -f "$ROOT/var/celery.pid" "$ROOT/var/runserver.pid"
    say "stopped the web server and the Celery worker"
    if [ -e "$ROOT/var/pg" ] || [ -e "$ROOT/var/redis" ]; then
        say "the project-local PostgreSQL/Redis under var/ are still running; stop them with: make clean-var"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -B: the worker also runs the beat schedule (the nightly care-record retention task).
setsid "$CELERY" -A choicemap worker -B --schedule "$ROOT/var/celerybeat-schedule" -l info --concurrency 2 \
    </dev/null >>"$ROOT/var/celery.log" 2>&1 &
celery_pid=$!
echo "$celery_pid" >"$ROOT/var/celery.pid"
say "Celery worker and beat started (pid $celery_pid, log var/celery.log)"

setsid "$PY" manage.py runserver "127.0.0.1:$PORT" </dev/null &
server_pid=$!
echo "$server_pid" >"$ROOT/var/runserver.pid"
say "portal: http://127.0.0.1:$PORT/  (Ctrl-C stops the server and the worker)"
wait "$server_pid"
