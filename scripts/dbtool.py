"""The bootstrap's database tool: what a PostgreSQL server offers, and a PostGIS database on it.

    python3 scripts/dbtool.py info URL    prints "<server_version_num> <postgis available 0|1> <server is local 0|1>"
    python3 scripts/dbtool.py setup URL   creates the database if missing, then CREATE EXTENSION IF NOT EXISTS postgis

URL is a DATABASE_URL (postgis://user:password@host:port/name?sslmode=...). It talks through psycopg2
when it can be imported (the project's .venv), else through psql, so it also runs on the system
Python before .venv exists. Standard library only: it must not need anything pip installs.
Errors go to stderr as "choicemap: ERROR: ..." with exit status 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

try:
    import psycopg2
except ImportError:  # the system Python before .venv exists: use psql
    psycopg2 = None

SCHEMES = ("postgis", "postgres", "postgresql", "pgsql")
LIBPQ_KEYS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "options",
    "application_name",
    "target_session_attrs",
    "gssencmode",
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class ToolError(Exception):
    """A problem to report to the person running the bootstrap (exit status 2)."""


class DBError(Exception):
    """PostgreSQL refused a connection or a statement."""


@dataclass(frozen=True)
class Target:
    """Where DATABASE_URL points: libpq connection parameters and the database name."""

    params: dict[str, str | int]
    dbname: str

    @property
    def host(self) -> str | None:
        host = self.params.get("host")
        return None if host is None else str(host)

    @property
    def is_local(self) -> bool:
        return self.host is None or self.host.startswith("/") or self.host in LOCAL_HOSTS

    @property
    def where(self) -> str:
        return f"{self.host or 'local socket'}:{self.params['port']}"


def parse_url(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ToolError(f"DATABASE_URL must be postgis://... (got scheme {parts.scheme!r})")
    params: dict[str, str | int | None] = {
        "host": unquote(parts.hostname) if parts.hostname else None,
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
    }
    params.update({key: value for key, value in parse_qsl(parts.query) if key in LIBPQ_KEYS})
    known = {key: value for key, value in params.items() if value is not None}
    known.setdefault("connect_timeout", "10")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ToolError("DATABASE_URL has no database name")
    return Target(params=known, dbname=dbname)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class Connection:
    """One database on the server, through psycopg2 or, failing that, one psql call per query."""

    def __init__(self, target: Target, dbname: str) -> None:
        self.params = target.params
        self.dbname = dbname
        if psycopg2 is not None:
            try:
                self.conn = psycopg2.connect(dbname=dbname, **self.params)
            except psycopg2.Error as error:
                raise DBError(str(error).strip()) from error
            self.conn.autocommit = True
        else:
            if not shutil.which("psql"):
                raise ToolError(
                    "need psycopg2 in .venv (pip install -r requirements.txt) "
                    "or psql (apt-get install postgresql-client)"
                )
            self.query("SELECT 1")

    def query(self, sql: str) -> list[tuple[str, ...]]:
        """Rows as tuples of strings; statements without a result give []."""
        if psycopg2 is not None:
            try:
                with self.conn.cursor() as cursor:
                    cursor.execute(sql)
                    if not cursor.description:
                        return []
                    return [tuple(str(value) for value in row) for row in cursor.fetchall()]
            except psycopg2.Error as error:
                raise DBError(str(error).strip()) from error
        return self._psql(sql)

    def _psql(self, sql: str) -> list[tuple[str, ...]]:
        def quoted(value: str | int) -> str:
            return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

        # The password goes through the environment, never the command line.
        conninfo = " ".join(
            f"{key}={quoted(value)}"
            for key, value in {**self.params, "dbname": self.dbname}.items()
            if key != "password"
        )
        env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
        if "password" in self.params:
            env["PGPASSWORD"] = str(self.params["password"])
        psql = shutil.which("psql") or "psql"
        done = subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise DBError(done.stderr.strip())
        return [tuple(line.split("|")) for line in done.stdout.splitlines() if line]


def connect_any(target: Target) -> Connection:
    """The target database if it exists, else a maintenance database on the same server."""
    first_error: DBError | None = None
    for dbname in (target.dbname, "postgres", "template1"):
        try:
            return Connection(target, dbname)
        except DBError as error:
            first_error = first_error or error
    user = target.params.get("user", "(default user)")
    raise ToolError(
        f"cannot connect to PostgreSQL at {target.where} as {user}: {first_error}\n"
        "  Set DATABASE_URL, or PGUSER/PGPASSWORD, or CHOICEMAP_PG_PORT=55432 to start a project-local server."
    )


def info(target: Target) -> str:
    db = connect_any(target)
    version = int(db.query("SHOW server_version_num")[0][0])
    has_postgis = bool(db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))
    return f"{version} {int(has_postgis)} {int(target.is_local)}"


def setup(target: Target, say: Callable[[str], None] = print) -> None:
    """Create the database if missing and enable PostGIS in it, saying what it did."""
    db = connect_any(target)
    if db.dbname != target.dbname:
        if not db.query(f"SELECT 1 FROM pg_database WHERE datname = {literal(target.dbname)}"):  # noqa: S608
            db.query(f"CREATE DATABASE {identifier(target.dbname)}")
            say(f"choicemap: created database {target.dbname}")
        db = Connection(target, target.dbname)
    db.query("CREATE EXTENSION IF NOT EXISTS postgis")
    version = db.query("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")[0][0]
    say(f"choicemap: database {target.dbname} ready (PostGIS {version})")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("info", "setup"):
        print("usage: dbtool.py info|setup DATABASE_URL", file=sys.stderr)
        return 2
    command, url = argv
    target: Target | None = None
    try:
        target = parse_url(url)
        if command == "info":
            print(info(target))
        else:
            setup(target)
    except ToolError as error:
        print(f"choicemap: ERROR: {error}", file=sys.stderr)
        return 2
    except DBError as error:
        where = target.where if target else "?"
        print(f"choicemap: ERROR: PostgreSQL at {where}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
