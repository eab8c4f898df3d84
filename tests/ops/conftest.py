"""Real servers the fault tests own: a throwaway redis-server on a free port that a test stops and starts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
from celery import current_app
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.test import override_settings

from accounts.roles import COMMISSIONER
from accounts.services import ensure_user
from reach.queue import forget_queue_status


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
def commissioner_client(client, db):
    client.force_login(ensure_user(username="com", password="a-long-password-1", role=COMMISSIONER))
    return client


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


def collected_static(root) -> str:
    """`collectstatic` under production settings (hashed, compressed), redone only when a static file changed.

    Compressing every file with brotli takes a minute or two; the output is kept under var/test-static,
    keyed by the sources' names, sizes and times.
    """
    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    target = root / "var" / "test-static" / digest.hexdigest()[:16]
    if not (target / "staticfiles.json").exists():
        env = {**production_env(), "STATIC_ROOT": str(target)}
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=root, env=env, check=True
        )
    return str(target)


def production_env(**extra) -> dict:
    db = settings.DATABASES["default"]
    return {
        **{key: value for key, value in os.environ.items() if key not in {"CELERY_BROKER_URL", "DEBUG"}},
        "DJANGO_SETTINGS_MODULE": "choicemap.settings.production",
        "SECRET_KEY": "production-test-not-secret-5d1c",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **extra,
    }


class Gunicorn:
    """gunicorn under production settings on a free port, its log (JSON lines) in a file."""

    def __init__(self, root, log_path, **env):
        self.port = free_port()
        self.log_path = log_path
        self.env = production_env(**{"BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2", **env})
        self.root = root
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [str(Path(sys.executable).parent / "gunicorn"), "choicemap.wsgi"],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/health/live", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{Path(self.log_path).read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def log_lines(self) -> list[dict]:
        lines = []
        for line in Path(self.log_path).read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                lines.append(json.loads(line))
        return lines


class TcpProxy:
    """A TCP proxy the test controls, in front of PostgreSQL: `pause` holds traffic (a query in flight hangs),
    `cut` drops every connection and refuses new ones, `restore` lets traffic through again."""

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.paused = threading.Event()
        self.refusing = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                if self.paused.is_set():
                    time.sleep(0.05)
                    continue
                readable, _, _ = select.select([source], [], [], 0.1)
                if not readable:
                    continue
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except (OSError, ValueError):  # ValueError: select() on a socket cut() has closed
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.close()

    def pause(self) -> None:
        self.paused.set()

    def cut(self) -> None:
        self.refusing.set()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.paused.clear()

    def restore(self) -> None:
        self.refusing.clear()
        self.paused.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def database_proxy():
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield proxy
    proxy.close()


class BehindProxy:
    """A client as a TLS proxy forwards it: X-Forwarded-Proto https, so Secure cookies are sent back by hand
    (a cookie jar keeps Secure cookies away from a plain-HTTP address)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
        )
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def sign_in(self, username: str, password: str) -> None:
        login = self.request("GET", "/accounts/login/")
        assert login.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        origin = self.base.replace("http://", "https://")
        signed_in = self.request(
            "POST",
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": origin + "/accounts/login/", "Origin": origin},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]


def production_user(username: str, password: str, role: str):
    """A user whose password is hashed as production hashes (the test settings' fast hasher is not among
    production's)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        return ensure_user(username=username, password=password, role=role)


@contextlib.contextmanager
def broker_at(url: str):
    """This process sends Celery messages to `url` for a while (the cache stays where it is)."""
    previous = current_app.conf.broker_url
    current_app.conf.broker_url = url
    current_app._after_fork()  # drops the connection pools made for the old broker  # noqa: SLF001
    try:
        with override_settings(CELERY_BROKER_URL=url):
            yield
    finally:
        current_app.conf.broker_url = previous
        current_app._after_fork()  # noqa: SLF001


RABBITMQ_VHOST = "choicemap_test_ops"


@pytest.fixture
def rabbitmq_broker():
    """A vhost of the tests' own on the machine's RabbitMQ (127.0.0.1:5672, guest), created when missing;
    its queues are purged before and after."""
    rabbitmqctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    vhosts = subprocess.run([rabbitmqctl, "list_vhosts", "-q"], capture_output=True, text=True, check=True)  # noqa: S603
    if RABBITMQ_VHOST not in vhosts.stdout.split():
        subprocess.run([rabbitmqctl, "add_vhost", RABBITMQ_VHOST], check=True, capture_output=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [rabbitmqctl, "set_permissions", "-p", RABBITMQ_VHOST, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
    url = f"amqp://guest:guest@127.0.0.1:5672/{RABBITMQ_VHOST}"
    with broker_at(url):
        current_app.control.purge()
        yield url
        current_app.control.purge()


class CeleryWorker:
    """A real `celery worker` process (prefork, one child) under the test settings, on the test database and
    the given broker; `kill` is kill -9 of the whole process group."""

    def __init__(self, broker_url: str, log_path):
        self.broker_url = broker_url
        self.log_path = log_path
        self.name = f"fault-{os.getpid()}-{free_port()}@localhost"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        db = settings.DATABASES["default"]
        env = {
            **{key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"},
            "DJANGO_SETTINGS_MODULE": "choicemap.settings.test",
            "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "TEST_REDIS_URL": settings.REDIS_URL,
            "TEST_CELERY_BROKER_URL": self.broker_url,
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "choicemap",
                    "worker",
                    "-l",
                    "info",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "-n",
                    self.name,
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Its own log says when it consumes (a ping from this process could go out through a control
        # connection pooled for another broker by an earlier test).
        deadline = time.monotonic() + 90
        while f"{self.name} ready." not in Path(self.log_path).read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = Path(self.log_path).read_text()[-3000:]
                self.kill()
                raise RuntimeError(f"worker did not start:\n{log}")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def celery_workers(tmp_path):
    """start(broker_url) gives a started CeleryWorker; every one still running is killed at teardown."""
    started: list[CeleryWorker] = []

    def start(broker_url: str) -> CeleryWorker:
        worker = CeleryWorker(broker_url, tmp_path / f"worker{len(started) + 1}.log")
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.kill()
