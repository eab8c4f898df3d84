# shellcheck shell=bash
# Step 6: var/env, the chosen DATABASE_URL and REDIS_URL for scripts/run.sh and scripts/test.sh.
# Sourced by scripts/bootstrap.sh (after lib/common.sh).

write_env() {
    local tmp
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
}
