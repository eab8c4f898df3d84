"""The bootstrap's network probes (system Python, standard library only).

python3 scripts/probe.py tcp HOST PORT   exit 0 if something accepts TCP connections there, else 1
python3 scripts/probe.py redis PORT      on 127.0.0.1:PORT: 0 PONG, 1 nothing there,
                                         2 something that is not Redis, 3 a Redis that wants a password
"""

from __future__ import annotations

import socket
import sys

TIMEOUT_S = 2
NOTHING, NOT_REDIS, NEEDS_PASSWORD = 1, 2, 3
AUTH_REPLIES = (b"-NOAUTH", b"-ERR AUTH", b"-WRONGPASS")


def tcp_open(host: str, port: int) -> int:
    try:
        socket.create_connection((host, port), timeout=TIMEOUT_S).close()
    except OSError:
        return NOTHING
    return 0


def redis_ping(port: int) -> int:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as conn:
            conn.settimeout(TIMEOUT_S)
            conn.sendall(b"PING\r\n")
            reply = conn.recv(64)
    except OSError:
        return NOTHING
    if reply.startswith(b"+PONG"):
        return 0
    return NEEDS_PASSWORD if reply.startswith(AUTH_REPLIES) else NOT_REDIS


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "tcp":
        return tcp_open(argv[1], int(argv[2]))
    if len(argv) == 2 and argv[0] == "redis":
        return redis_ping(int(argv[1]))
    print("usage: probe.py tcp HOST PORT | probe.py redis PORT", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
