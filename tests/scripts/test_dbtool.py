"""scripts/dbtool.py, the bootstrap's database tool, against the real PostgreSQL the tests use.

Each test works on throwaway databases (hostile names included) and drops them afterwards. The
answers are checked against psycopg2 directly, and the psql fallback against the psycopg2 path.
"""

import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import sql

DBTOOL = Path(settings.BASE_DIR) / "scripts" / "dbtool.py"


def server_params() -> dict:
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"] or "127.0.0.1", "port": int(db["PORT"] or 5432), "user": db["USER"]}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    return params


def url_for(name: str, *, port: int | None = None, scheme: str = "postgis") -> str:
    params = server_params()
    auth = quote(params["user"], safe="")
    if "password" in params:
        auth += ":" + quote(params["password"], safe="")
    return f"{scheme}://{auth}@{params['host']}:{port or params['port']}/{quote(name, safe='')}"


def run_dbtool(*args: str, without_psycopg2: bool = False) -> subprocess.CompletedProcess:
    # -S leaves out site-packages, so psycopg2 cannot be imported and the tool falls back to psql.
    python = [sys.executable, "-S"] if without_psycopg2 else [sys.executable]
    command = [*python, str(DBTOOL), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def query(statement, *args, dbname: str = "postgres") -> list[tuple]:
    conn = psycopg2.connect(dbname=dbname, **server_params())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement, args)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def database_exists(name: str) -> bool:
    return bool(query("SELECT 1 FROM pg_database WHERE datname = %s", name))


def drop_database(name: str) -> None:
    query(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def throwaway_names():
    """Database names to use; whichever of them exist afterwards are dropped."""
    names = []

    def make(label: str) -> str:
        names.append(f"choicemap_dbtool_{label}_{uuid.uuid4().hex[:8]}")
        return names[-1]

    yield make
    for name in names:
        drop_database(name)


def test_info_reports_the_server_version_postgis_and_that_it_is_local(throwaway_names):
    # The database need not exist yet: info falls back to the server's maintenance database.
    name = throwaway_names("info")
    done = run_dbtool("info", url_for(name))
    assert done.returncode == 0, done.stderr
    version = query("SHOW server_version_num")[0][0]
    has_postgis = bool(query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))
    assert done.stdout.split() == [version, str(int(has_postgis)), "1"]
    assert not database_exists(name)  # info only looks


def test_setup_creates_the_database_with_postgis_and_is_idempotent(throwaway_names):
    name = throwaway_names("setup") + ' it\'s "quoted"'  # quotes must reach SQL as data
    try:
        done = run_dbtool("setup", url_for(name))
        assert done.returncode == 0, done.stderr
        assert database_exists(name)
        version = query("SELECT extversion FROM pg_extension WHERE extname = 'postgis'", dbname=name)[0][0]
        assert done.stdout.splitlines() == [
            f"choicemap: created database {name}",
            f"choicemap: database {name} ready (PostGIS {version})",
        ]
        again = run_dbtool("setup", url_for(name))
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines() == [f"choicemap: database {name} ready (PostGIS {version})"]
    finally:
        drop_database(name)


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql (postgresql-client) is not installed")
def test_the_psql_fallback_gives_the_same_answers(throwaway_names):
    name = throwaway_names("psql")
    with_psycopg2 = run_dbtool("info", url_for(name))
    with_psql = run_dbtool("info", url_for(name), without_psycopg2=True)
    assert with_psql.returncode == 0, with_psql.stderr
    assert with_psql.stdout == with_psycopg2.stdout

    done = run_dbtool("setup", url_for(name), without_psycopg2=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"choicemap: created database {name}\n")
    assert query("SELECT 1 FROM pg_extension WHERE extname = 'postgis'", dbname=name) == [(1,)]


def test_bad_urls_are_refused_with_a_clear_error_and_nothing_created(throwaway_names):
    name = throwaway_names("refused")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    cases = [
        (url_for(name, scheme="mysql"), "DATABASE_URL must be postgis://... (got scheme 'mysql')"),
        (url_for(name).rsplit("/", 1)[0] + "/", "DATABASE_URL has no database name"),
        (url_for(name, port=free_port), f"cannot connect to PostgreSQL at 127.0.0.1:{free_port}"),
    ]
    for url, message in cases:
        for command in ("info", "setup"):
            done = run_dbtool(command, url)
            assert done.returncode == 2, (url, done.stdout)
            assert done.stderr.startswith("choicemap: ERROR: "), done.stderr
            assert message in done.stderr, done.stderr
            assert done.stdout == ""
    assert not database_exists(name)
    assert run_dbtool("drop", url_for(name)).returncode == 2  # unknown command
