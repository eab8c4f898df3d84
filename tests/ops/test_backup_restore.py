"""scripts/backup.sh and scripts/restore.sh (what the compose `backup` service runs, and the documented restore),
on the real test database: a restore brings back exactly what was backed up, over a changed database too,
and a bad backup file changes nothing."""

import os
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from reach.services import create_run, execute_run

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def run_script(script: str, *args: str, database: str, backup_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(database), "BACKUP_DIR": str(backup_dir), "BACKUP_KEEP": "2"}
    return subprocess.run(  # noqa: S603
        [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def snapshot(name: str) -> list:
    db = settings.DATABASES["default"]
    with psycopg2.connect(dbname=name, user=db["USER"], host=db["HOST"], port=db["PORT"]) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT code, name, population, ST_AsText(geometry), ST_AsText(origin) "
                "FROM areas_locality ORDER BY code"
            )
            localities = cursor.fetchall()
            cursor.execute(
                "SELECT locality_code, menu_with_car, expected_menu, providers_with_car FROM reach_localityresult "
                "ORDER BY run_id, locality_code"
            )
            results = cursor.fetchall()
            cursor.execute("SELECT status, summary::text FROM reach_reachrun ORDER BY id")
            runs = cursor.fetchall()
    connection.close()
    return [localities, results, runs]


@pytest.fixture
def scratch_database():
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_restore"
    admin = psycopg2.connect(dbname="postgres", user=db["USER"], host=db["HOST"], port=db["PORT"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_backup_restores_exactly_into_an_empty_and_into_a_changed_database(small_world, scratch_database, tmp_path):
    assert execute_run(run_id=create_run().pk).status == "succeeded"
    source = settings.DATABASES["default"]["NAME"]
    backed_up = run_script("backup.sh", database=source, backup_dir=tmp_path)
    assert backed_up.returncode == 0, backed_up.stderr
    [dump] = tmp_path.glob("choicemap-*.dump")
    expected = snapshot(source)
    assert expected[1], "the run's results are part of what is checked"

    restored = run_script("restore.sh", str(dump), database=scratch_database, backup_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert snapshot(scratch_database) == expected

    # The disaster case: rows lost or changed after the backup; the restore replaces them all.
    db = settings.DATABASES["default"]
    with psycopg2.connect(dbname=scratch_database, user=db["USER"], host=db["HOST"], port=db["PORT"]) as conn:
        with conn.cursor() as cursor:
            cursor.execute("DELETE FROM reach_localityresult")
            cursor.execute("UPDATE areas_locality SET name = 'changed'")
    conn.close()
    assert snapshot(scratch_database) != expected
    again = run_script("restore.sh", str(dump), database=scratch_database, backup_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert snapshot(scratch_database) == expected


def test_a_bad_backup_file_changes_nothing(small_world, scratch_database, tmp_path):
    assert execute_run(run_id=create_run().pk).status == "succeeded"
    source = settings.DATABASES["default"]["NAME"]
    assert run_script("backup.sh", database=source, backup_dir=tmp_path).returncode == 0
    [dump] = tmp_path.glob("choicemap-*.dump")
    assert run_script("restore.sh", str(dump), database=scratch_database, backup_dir=tmp_path).returncode == 0
    before = snapshot(scratch_database)

    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    failed = run_script("restore.sh", str(truncated), database=scratch_database, backup_dir=tmp_path)
    assert failed.returncode != 0
    assert "the database was left as it was" in failed.stderr or "not a pg_dump" in failed.stderr
    assert snapshot(scratch_database) == before


def test_backups_keep_only_the_newest(small_world, tmp_path):
    source = settings.DATABASES["default"]["NAME"]
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (tmp_path / f"choicemap-{stamp}.dump").write_bytes(b"old")
    assert run_script("backup.sh", database=source, backup_dir=tmp_path).returncode == 0
    kept = sorted(path.name for path in tmp_path.glob("choicemap-*.dump"))
    assert len(kept) == 2
    assert kept[0] == "choicemap-20200103T000000Z.dump"
    assert not list(tmp_path.glob("*.partial"))
