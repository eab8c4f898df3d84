"""Real servers the fault tests own: a throwaway redis-server on a free port that a test stops and starts."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time

import pytest
import redis
from celery import current_app
from django.test import override_settings

from reach.queue import forget_queue_status
from tests.reach.conftest import small_world  # noqa: F401  (shared fixture)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of the test's own (never the shared one), in memory, that can be stopped and started."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def redis_and_broker_at(url: str):
    """The cache, REDIS_URL and the Celery broker all on `url` (the throwaway server) for a while."""
    cache = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "fault",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    previous = current_app.conf.broker_url
    current_app.conf.broker_url = url
    current_app._after_fork()  # drops the connection pools made for the old broker  # noqa: SLF001
    forget_queue_status()
    try:
        with override_settings(REDIS_URL=url, CELERY_BROKER_URL=url, CACHES=cache):
            yield
    finally:
        current_app.conf.broker_url = previous
        current_app._after_fork()  # noqa: SLF001
        forget_queue_status()
