# shellcheck shell=bash
# Processes started under var/: stop them (--stop) and remove var/ (--clean-var).
# Sourced by scripts/bootstrap.sh (after lib/common.sh); defines functions only.

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
