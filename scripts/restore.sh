#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into DATABASE_URL, replacing what is there.
#   scripts/restore.sh var/backups/choicemap-20261129T031500Z.dump
# One transaction: if anything fails, the database is left exactly as it was. Stop the web, worker and beat
# first (they hold connections and would write during the restore); start them again afterwards.
set -euo pipefail

die() { printf 'choicemap restore: ERROR: %s\n' "$*" >&2; exit 1; }
file="${1:-}"
[ -n "$file" ] || die "usage: scripts/restore.sh BACKUP.dump"
[ -f "$file" ] || die "no such backup file: $file"
[ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set"
url="${DATABASE_URL/#postgis:/postgresql:}"

pg_restore --list "$file" >/dev/null || die "$file is not a pg_dump custom-format backup"
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname "$url" "$file" \
    || die "pg_restore failed; the database was left as it was"
printf 'choicemap restore: restored %s\n' "$file"
