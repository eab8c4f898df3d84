# shellcheck shell=bash
# Small network probes (scripts/probe.py on the system Python; .venv may not exist yet).
# Sourced by scripts/bootstrap.sh (after lib/common.sh); defines functions only.

# host port -> 0 if something accepts TCP connections there
tcp_open() { python3 "$ROOT/scripts/probe.py" tcp "$1" "$2"; }

# port -> 0 if a PostgreSQL server accepts connections on 127.0.0.1:port
pg_answers() {
    local port="$1" rc
    if ! command -v pg_isready >/dev/null 2>&1; then
        tcp_open 127.0.0.1 "$port"
        return
    fi
    for _ in $(seq 1 30); do
        rc=0
        pg_isready -q -h 127.0.0.1 -p "$port" -t 3 || rc=$?
        case "$rc" in
            0) return 0 ;;
            1) sleep 1 ;;  # server is starting up: wait for it
            *) return 1 ;;
        esac
    done
    return 1
}


# port -> 0 PONG, 1 nothing there, 2 something that is not Redis, 3 Redis that wants a password
redis_ping() { python3 "$ROOT/scripts/probe.py" redis "$1"; }
