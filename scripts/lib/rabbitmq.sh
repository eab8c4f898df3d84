# shellcheck shell=bash
# Step 5b (make test only): a running RabbitMQ on 127.0.0.1:5672. The worker-kill fault test runs
# on both brokers; it makes a vhost of its own with rabbitmqctl.
# Sourced by scripts/bootstrap.sh (after lib/common.sh, lib/apt.sh and lib/probe.sh).

setup_rabbitmq() {
    tcp_open 127.0.0.1 5672 && return 0
    command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
    say "starting RabbitMQ on 127.0.0.1:5672 (rabbitmq-server -detached; stop it with: rabbitmqctl stop)"
    as_root rabbitmq-server -detached 9>&- || die "could not start rabbitmq-server"
    for _ in $(seq 1 90); do tcp_open 127.0.0.1 5672 && break; sleep 1; done
    tcp_open 127.0.0.1 5672 || die "RabbitMQ does not answer on 127.0.0.1:5672"
}
