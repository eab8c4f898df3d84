# shellcheck shell=bash
# Step 5: Redis: REDIS_URL or CELERY_BROKER_URL, else one on 127.0.0.1, else a project-local
# server under var/redis.
# Sourced by scripts/bootstrap.sh (after lib/common.sh).

start_local_redis() {
    local port="$1" dir="$VAR/redis" conf pid esc
    mkdir -p "$dir"
    pid="$(cat "$dir/redis.pid" 2>/dev/null | tr -dc '0-9' || true)"
    if pid_alive "$pid" && pid_cmd_has "$pid" redis-server; then
        die "the Redis in var/redis is running but not on 127.0.0.1:$port; run 'make clean-var' (or set CHOICEMAP_REDIS_PORT)"
    fi
    esc="${dir//\\/\\\\}"
    esc="${esc//\"/\\\"}"
    conf="$dir/redis.conf"
    cat >"$conf" <<EOF
# written by choicemap scripts/bootstrap.sh
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
dir "$esc"
pidfile "$esc/redis.pid"
logfile "$esc/redis.log"
save ""
appendonly no
EOF
    say "starting local Redis on 127.0.0.1:$port (var/redis, log var/redis/redis.log)"
    redis-server "$conf" 9>&- || die "could not start redis-server (log: var/redis/redis.log)"
    for _ in $(seq 1 40); do
        redis_ping "$port" && return 0
        sleep 0.25
    done
    tail -n 20 "$dir/redis.log" >&2 || true
    die "local Redis does not answer on 127.0.0.1:$port"
}

# Choose the Redis; sets redis_url.
setup_redis() {
    if [ -n "${REDIS_URL:-}" ]; then
        redis_url="$REDIS_URL"
        say "using Redis from REDIS_URL: $(mask_url "$redis_url")"
    elif [ -n "${CELERY_BROKER_URL:-}" ]; then
        redis_url="$CELERY_BROKER_URL"
        say "using Redis from CELERY_BROKER_URL: $(mask_url "$redis_url")"
    else
        rc=0
        redis_ping "$REDIS_PORT" || rc=$?
        if [ "$rc" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
            apt_install redis-server
            # Debian's package starts its own service on 6379 where systemd runs: use it if it is ours to use.
            sleep 1
            rc=0
            redis_ping "$REDIS_PORT" || rc=$?
        fi
        case "$rc" in
            0) say "using Redis at 127.0.0.1:$REDIS_PORT" ;;
            1) start_local_redis "$REDIS_PORT" ;;
            2) die "something that is not Redis listens on 127.0.0.1:$REDIS_PORT; set REDIS_URL or CHOICEMAP_REDIS_PORT" ;;
            3) die "the Redis on 127.0.0.1:$REDIS_PORT needs a password; set REDIS_URL=redis://:PASSWORD@127.0.0.1:$REDIS_PORT/0" ;;
        esac
        redis_url="redis://127.0.0.1:$REDIS_PORT/0"
    fi
}
