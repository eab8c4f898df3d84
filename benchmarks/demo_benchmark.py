"""What `manage.py load_demo` costs, and its parts: the care-plan people, the publication, a personal menu.

    DATABASE_URL=postgis://…/an_empty_database OPENBLAS_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/demo_benchmark.py [--repeat 3]

The database must be migrated and hold nothing else: the script loads the demo into it (and leaves it
there). Prints the people, choices and reviews loaded, the localities the unmet publication shows on
their own, and, as wall-clock and CPU seconds of this process:
- `load_demo` as a whole (imports, users, the synthetic people with their needs, choices and reviews,
  and the first publication);
- building the publication again (the demo's one removed first), best and median of --repeat;
- one person's personal menu (`careplans.selectors.personal_menu`), median over the demo's people.
CPU seconds are this process only: the database's own work shows in wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402


def timed(function, *args, **kwargs) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="how many times to rebuild the publication")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from django.core.management import call_command

    from careplans.models import CarePlanChoice, Publication, PublicationTrigger, Review, ServiceUser
    from careplans.selectors import personal_menu
    from careplans.services import Actor, publish
    from careplans.unmet import OTHER, unmet_of

    if ServiceUser.objects.exists():
        sys.exit("the database already holds care-plan records: give an empty, migrated database")
    wall, cpu, _ = timed(call_command, "load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"load_demo: {wall:.1f} s wall, {cpu:.1f} s CPU")
    shown = [name for code, name in unmet_of(Publication.objects.get()).localities if code != OTHER]
    print(
        f"loaded: {ServiceUser.objects.count()} people, {CarePlanChoice.objects.count()} choices, "
        f"{Review.objects.count()} reviews; the publication shows {len(shown)} localities on their own "
        f"({', '.join(shown)})"
    )
    walls, cpus = [], []
    for _ in range(args.repeat):
        Publication.objects.all().delete()
        wall, cpu, _ = timed(publish, actor=Actor(user=None, path="benchmark"), trigger=PublicationTrigger.COMMAND)
        walls.append(wall)
        cpus.append(cpu)
    print(
        f"publication: best {min(walls):.2f} s wall, median {statistics.median(walls):.2f} s wall, "
        f"median {statistics.median(cpus):.2f} s CPU (of {args.repeat})"
    )
    people = ServiceUser.objects.select_related("home_locality")
    menus = [timed(personal_menu, service_user=person) for person in people]
    print(
        f"personal menu: median {statistics.median(m[0] for m in menus) * 1000:.0f} ms wall, "
        f"{statistics.median(m[1] for m in menus) * 1000:.0f} ms CPU (of {len(menus)} people)"
    )


if __name__ == "__main__":
    main()
