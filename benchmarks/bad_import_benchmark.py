"""What a large bad CSV costs an import: problems counted, lines printed, peak memory, time.

    DATABASE_URL=postgis://… .venv/bin/python benchmarks/bad_import_benchmark.py [--mb 50]

Writes a catalogue CSV of about --mb megabytes in which every row has a bad latitude (as issue 11's
50 MB file had about half a million problems), runs `manage.py import_catalogue --dry-run` on it in a
child process, and prints the problems reported, the lines printed, the child's peak RSS and its time.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active\n"
)


def write_bad_csv(path: Path, megabytes: float) -> int:
    row = (
        "Dorset Health,SITE-{n:07d},A site with a longish name for realism,"
        "north,-2.0,OST-METH,on_site,10,2,18,,,,true\n"
    )
    target = megabytes * 1024 * 1024
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        written = len(HEADER)
        while written < target:
            line = row.format(n=rows)
            handle.write(line)
            written += len(line)
            rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.csv"
        rows = write_bad_csv(path, args.mb)
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603  (this project's own manage.py on a file it wrote)
            [sys.executable, str(ROOT / "manage.py"), "import_catalogue", "--dry-run", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mb = path.stat().st_size / 1024 / 1024
    output = result.stderr + result.stdout
    print(f"file: {size_mb:.1f} MB, {rows:,} rows, every one with a bad latitude")
    print(f"exit status: {result.returncode}")
    print(f"first line: {output.splitlines()[0] if output else '(none)'}")
    print(f"lines printed: {len(output.splitlines()):,} ({len(output.encode()) / 1024:.0f} KiB)")
    print(f"child peak RSS: {peak_mb:.0f} MB, time: {seconds:.1f} s")


if __name__ == "__main__":
    main()
