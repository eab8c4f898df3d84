#!/usr/bin/env bash
# `make test`: bootstrap (plus Debian's chromium for the browser tests), then the whole pytest suite.
# Arguments go to pytest:  scripts/test.sh -k imports   (make test ARGS="-k imports")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

if [ "${CHOICEMAP_SKIP_BOOTSTRAP:-0}" != 1 ] || [ ! -x /usr/bin/chromium ]; then
    bash "$ROOT/scripts/bootstrap.sh" --with-browser
fi
# shellcheck source=/dev/null
. "$ROOT/var/env"
# choicemap.settings.test moves Celery to Redis database 15, away from a `make run` worker.
export DJANGO_SETTINGS_MODULE="${CHOICEMAP_TEST_SETTINGS:-choicemap.settings.test}"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
