#!/usr/bin/env bash
# `make test`: bootstrap (plus Debian's chromium for the browser tests), `make lint`, then the whole
# pytest suite. Arguments go to pytest:  scripts/test.sh -k imports   (make test ARGS="-k imports")
# CHOICEMAP_SKIP_LINT=1 leaves out the lint step (for quick runs of a few tests; CI never sets it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

# Even when asked to skip it, bootstrap what is missing: chromium, or ESLint for the lint step.
if [ "${CHOICEMAP_SKIP_BOOTSTRAP:-0}" != 1 ] || [ ! -x /usr/bin/chromium ] \
    || { [ "${CHOICEMAP_SKIP_LINT:-0}" != 1 ] && [ ! -x "$ROOT/node_modules/.bin/eslint" ]; }; then
    bash "$ROOT/scripts/bootstrap.sh" --with-browser
fi
# shellcheck source=/dev/null
. "$ROOT/var/env"
if [ "${CHOICEMAP_SKIP_LINT:-0}" != 1 ]; then
    CHOICEMAP_SKIP_BOOTSTRAP=1 bash "$ROOT/scripts/lint.sh"
fi
# choicemap.settings.test moves Celery to Redis database 15, away from a `make run` worker.
export DJANGO_SETTINGS_MODULE="${CHOICEMAP_TEST_SETTINGS:-choicemap.settings.test}"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
