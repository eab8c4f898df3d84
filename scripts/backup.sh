#!/usr/bin/env bash
# Database backups with pg_dump (custom format, restorable with scripts/restore.sh).
#   scripts/backup.sh                  one backup now into $BACKUP_DIR (default var/backups)
#   scripts/backup.sh --every SECONDS  one backup now and then every SECONDS (the compose `backup` service)
# DATABASE_URL names the database (postgis:// or postgresql://); the newest $BACKUP_KEEP (default 14) are kept.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BACKUP_DIR="${BACKUP_DIR:-$ROOT/var/backups}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"
say() { printf 'choicemap backup: %s\n' "$*"; }
die() { printf 'choicemap backup: ERROR: %s\n' "$*" >&2; exit 1; }

[ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set"
url="${DATABASE_URL/#postgis:/postgresql:}"

backup_once() {
    local name partial
    mkdir -p "$BACKUP_DIR"
    name="$BACKUP_DIR/choicemap-$(date -u +%Y%m%dT%H%M%SZ).dump"
    partial="$name.partial"
    # Written under another name and renamed when complete: a listed .dump is never half a backup.
    if ! pg_dump --format=custom --no-owner --file "$partial" "$url"; then
        rm -f "$partial"
        die "pg_dump failed; no backup written"
    fi
    mv "$partial" "$name"
    say "wrote $name ($(du -h "$name" | cut -f1))"
    # Keep the newest BACKUP_KEEP.
    find "$BACKUP_DIR" -maxdepth 1 -name 'choicemap-*.dump' | sort -r | tail -n +"$((BACKUP_KEEP + 1))" \
        | while read -r old; do rm -f "$old"; say "removed $old"; done
}

case "${1:-}" in
    "") backup_once ;;
    --every)
        interval="${2:?usage: scripts/backup.sh --every SECONDS}"
        while true; do
            backup_once || say "backup failed; trying again in $interval s"
            sleep "$interval"
        done
        ;;
    *) die "usage: scripts/backup.sh [--every SECONDS]" ;;
esac
