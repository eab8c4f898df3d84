"""Load benchmark: locust against gunicorn under production settings (a script, not a test).

Commissioners on the equity map and the API, keyworkers recording care-plan choices (benchmarks/locustfile.py).
Uses a database of its own, which it migrates and fills with the Dorset demo and one run when empty:

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/choicemap_load REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python benchmarks/load_benchmark.py --users 50 --minutes 5

It starts gunicorn (production settings; plain HTTP on this machine, so SECURE_SSL_REDIRECT and Secure cookies
are off) and one Celery worker, runs locust headless, stops them, and prints per-endpoint and overall
figures: requests, failures, req/s, median, p95 and p99 in milliseconds. Goal: 50 clients, p95 <= 300 ms,
no failures, /map/api/sites/ p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(port: int) -> dict:
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a database of the benchmark's own (it is migrated and filled).")
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "choicemap.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-benchmark-not-secret"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(ROOT / "var" / "staticfiles"),
        "BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "LOG_REQUESTS": "false",
        "REACH_AUTO_RECOMPUTE": "false",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def prepare(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo")
    has_run = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", "from reach.selectors import current_run as c; exit(c() is None)"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if has_run.returncode != 0:
        manage(env, "compute_reach", "--sync")


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit("gunicorn exited")
        time.sleep(0.2)
    sys.exit("gunicorn did not answer")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def report(stats_csv: Path, seconds: float) -> None:
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{'endpoint':58} {'requests':>8} {'failed':>6} {'median':>7} {'p95':>6} {'p99':>6}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        label = f"{row['Type']} {name}" if row["Type"] else name
        print(
            f"{label[:58]:58} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{row['50%']:>7} {row['95%']:>6} {row['99%']:>6}"
        )
    total = next(row for row in rows if row["Name"] == "Aggregated")
    print(f"\n{int(total['Request Count']) / seconds:.1f} req/s over {seconds:.0f} s; times in ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8106")))
    parser.add_argument("--skip-prepare", action="store_true", help="database and static files already done")
    args = parser.parse_args()
    env = production_env(args.port)
    if not args.skip_prepare:
        prepare(env)
        manage(env, "collectstatic", "--noinput", "-v0")
    gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "choicemap.wsgi"], cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "celery"), "-A", "choicemap", "worker", "-l", "warning", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    host = f"http://127.0.0.1:{args.port}"
    try:
        wait_for(host + "/health/live", gunicorn)
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            subprocess.run(  # noqa: S603
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "benchmarks" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    f"{int(args.minutes * 60)}s",
                    "--host",
                    host,
                    "--csv",
                    f"{out}/load",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                check=False,
            )
            report(Path(out) / "load_stats.csv", time.monotonic() - started)
    finally:
        stop(gunicorn)
        stop(worker)


if __name__ == "__main__":
    main()
