# shellcheck shell=bash
# Step 3 (make test and make lint only): ESLint from package-lock.json into node_modules, with
# Debian's nodejs and npm when the machine has no npm. Reinstalled when package-lock.json changes.
# Sourced by scripts/bootstrap.sh (after lib/common.sh and lib/apt.sh).

setup_node() {
    [ -f "$ROOT/package-lock.json" ] || return 0
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    local lock_hash stamp="$ROOT/node_modules/.package-lock.sha256"
    lock_hash="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" = "$lock_hash" ] && [ -x "$ROOT/node_modules/.bin/eslint" ]; then
        say "npm packages up to date"
        return 0
    fi
    say "installing npm packages into node_modules (npm ci; log var/npm.log)"
    (cd "$ROOT" && npm ci --no-audit --no-fund) >>"$VAR/npm.log" 2>&1 9>&- \
        || { tail -n 20 "$VAR/npm.log" >&2; die "npm ci failed (log: var/npm.log)"; }
    printf '%s\n' "$lock_hash" >"$stamp"
}
