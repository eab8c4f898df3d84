#!/usr/bin/env bash
# `make lint`, and the first step of `make test`: ruff (lint and format), mypy, import-linter's
# layer contracts and ESLint. Runs every check, then fails if any of them found something.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
[ "${CHOICEMAP_SKIP_BOOTSTRAP:-0}" = 1 ] || bash "$ROOT/scripts/bootstrap.sh" --lint-tools

BIN="$ROOT/.venv/bin"
ESLINT="$ROOT/node_modules/.bin/eslint"
[ -x "$BIN/ruff" ] || { echo "choicemap: ERROR: .venv has no ruff; run scripts/bootstrap.sh --lint-tools" >&2; exit 1; }
[ -x "$ESLINT" ] || { echo "choicemap: ERROR: node_modules has no eslint; run scripts/bootstrap.sh --lint-tools (installs node and npm)" >&2; exit 1; }

failed=()
check() {
    local name="$1"
    shift
    printf 'choicemap: lint: %s\n' "$name"
    "$@" || failed+=("$name")
}
check "ruff check" "$BIN/ruff" check --no-fix .
check "ruff format --check" "$BIN/ruff" format --check .
check "mypy" "$BIN/mypy"
check "lint-imports" "$BIN/lint-imports"
check "eslint" "$ESLINT" static

if [ "${#failed[@]}" -gt 0 ]; then
    joined="$(printf '%s, ' "${failed[@]}")"
    printf 'choicemap: ERROR: lint found problems: %s\n' "${joined%, }" >&2
    exit 1
fi
printf 'choicemap: lint clean\n'
