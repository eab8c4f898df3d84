"""The cost of one person's own menu: cold (first read of a catalogue version) and warm (cached), and memory.

Uses a database of its own (default `cm_personal_bench`, dropped and recreated). Loads the Dorset demo or
a synthetic England (benchmarks/synthetic_england.py), gives every offer opening hours from a list of
realistic patterns (the demo has none), computes one crow-fly run, then times `personal_menu` for people
in many localities. "Before" repeats what each view did before the cache: load the snapshot and parse
every offer's hours. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/personal_menu_benchmark.py --scale dorset
    .venv/bin/python benchmarks/personal_menu_benchmark.py --scale england [--localities 33755]
    .venv/bin/python benchmarks/personal_menu_benchmark.py --scale england --measure-only   # again, no reload
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run_benchmark import (  # noqa: E402
    add_england_arguments,
    django_on_fresh_database,
    peak_rss_mb,
    write_inputs,
)

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway database's logins)
# Weekly patterns of the kind services publish, with overnight and bank-holiday rules among them.
HOURS = [
    "Mo-Fr 09:00-17:00",
    "Mo-Fr 09:00-17:00; PH off",
    "Mo-Th 09:00-17:00; Fr 09:00-16:30",
    "Mo,We,Fr 10:00-13:00",
    "Tu,Th 13:00-19:30",
    "Mo-Fr 08:30-12:30,13:30-17:00; Sa 10:00-12:00",
    "Sa-Su 10:00-16:00",
    "Fr 22:00-02:00",
    "24/7",
    "Mo-Fr 17:00-21:00; PH off",
    "We 18:00-20:00",
    "Mo-Su 07:00-22:00; PH 10:00-14:00",
    "",
]


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, value


def load(scale: str, args) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if scale == "dorset":
        from demo.services import load_demo

        load_demo(password=BENCH_PASSWORD)
        return
    from areas.services import import_localities
    from services.services import import_catalogue, import_options, import_providers

    with tempfile.TemporaryDirectory() as folder:
        paths = write_inputs(Path(folder), n_localities=args.localities, n_sites=args.sites, n_offers=args.offers)
        import_localities(path=paths["localities"])
        import_providers(path=paths["providers"])
        import_options(path=paths["options"])
        import_catalogue(path=paths["catalogue"])


def give_opening_hours() -> None:
    """Every offer gets a pattern by its id, and one in five a site-specific variant (a distinct text)."""
    from services.models import SiteOffer

    offers = list(SiteOffer.objects.only("pk"))
    for offer in offers:
        text = HOURS[offer.pk % len(HOURS)]
        if offer.pk % 5 == 0 and text and text != "24/7":
            text = f"{text}; Sa {8 + offer.pk % 4:02d}:00-{12 + offer.pk % 6:02d}:00"
        offer.opening_hours = text
    SiteOffer.objects.bulk_update(offers, ["opening_hours"], batch_size=2000)


def people(n: int):
    """One person in each of `n` localities spread over the catalogue, half without a car, some evenings only."""
    from accounts.roles import KEYWORKER
    from accounts.services import ensure_user
    from areas.models import Locality
    from careplans.services import Actor, Needs, create_service_user, update_needs

    keyworker = ensure_user(username="bench-kw", password=BENCH_PASSWORD, role=KEYWORKER)
    actor = Actor(user=keyworker, path="/bench", ip_address="192.0.2.1")
    ids = list(Locality.objects.order_by("id").values_list("id", flat=True))
    chosen = ids[:: max(1, len(ids) // n)][:n]
    found = []
    for k, locality_id in enumerate(chosen):
        person = create_service_user(
            actor=actor, keyworker=keyworker, age_band="25_34", home_locality=Locality.objects.get(pk=locality_id)
        )
        needs = Needs(travel_access="no_car" if k % 2 else "car", can_attend=["weekday_evening"] if k % 3 == 0 else [])
        found.append(update_needs(actor=actor, service_user=person, needs=needs))
    return found


def before_cache(today: datetime.date) -> float:
    """What every view and save did before: the whole snapshot, and each offer's hours parsed."""
    from reach.hours import open_sessions
    from reach.selectors import load_snapshot
    from services.models import SiteOffer

    started = time.perf_counter()
    snapshot = load_snapshot()
    texts = SiteOffer.objects.filter(pk__in=snapshot.offer_ids.tolist()).values_list("opening_hours", flat=True)
    for text in texts:
        open_sessions(text, start=today)
    return (time.perf_counter() - started) * 1000


def catalogue_bytes(catalogue) -> int:
    import numpy as np

    arrays = [*vars(catalogue.snapshot.localities).values(), *vars(catalogue.snapshot.sites).values()]
    arrays += [*vars(catalogue.snapshot.offers).values(), *vars(catalogue.facts).values()]
    arrays += [catalogue.snapshot.locality_ids, catalogue.snapshot.site_ids, catalogue.snapshot.offer_ids]
    return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


def measure(persons, *, repeat: int) -> None:
    from django.utils import timezone

    from careplans.selectors import personal_menu
    from reach.personal_selectors import forget_personal_catalogues, personal_catalogue

    today = timezone.localdate()
    old = [before_cache(today) for _ in range(3)]
    print(f"before (snapshot + every offer's hours), per view: median {statistics.median(old):.0f} ms")
    cold = []
    for person in persons[:3]:
        forget_personal_catalogues()
        cold.append(timed(personal_menu, service_user=person)[0])
    print(f"cold personal menu (catalogue built, then the person): median {statistics.median(cold):.0f} ms")
    builds = []
    for _ in range(3):
        forget_personal_catalogues()
        builds.append(timed(personal_catalogue, today=today)[0])
    forget_personal_catalogues()
    tracemalloc.start()
    catalogue = personal_catalogue(today=today)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  of which the catalogue build: median {statistics.median(builds):.0f} ms; "
        f"Python allocation peak while building {peak / 1e6:.1f} MB"
    )
    print(f"  cached catalogue: {catalogue_bytes(catalogue) / 1e6:.2f} MB of arrays")
    warm = [timed(personal_menu, service_user=p)[0] for _ in range(repeat) for p in persons]
    warm.sort()
    p95 = warm[int(0.95 * (len(warm) - 1))]
    print(f"warm personal menu: median {statistics.median(warm):.1f} ms, p95 {p95:.1f} ms over {len(warm)} reads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["dorset", "england"], required=True)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--measure-only", action="store_true", help="time again on the database a previous invocation left"
    )
    add_england_arguments(parser, database="cm_personal_bench")
    args = parser.parse_args()
    django_on_fresh_database(args.database, fresh=not args.measure_only)
    from reach.personal_selectors import personal_catalogue
    from reach.services import create_run, execute_run
    from services.models import SiteOffer

    if not args.measure_only:
        started = time.perf_counter()
        load(args.scale, args)
        give_opening_hours()
        run = execute_run(run_id=create_run().pk)
        print(f"{args.scale}: loaded and run {run.pk} {run.status} in {time.perf_counter() - started:.0f} s")
    distinct = SiteOffer.objects.values("opening_hours").distinct().count()
    persons = people(args.people)
    from django.utils import timezone

    counts = personal_catalogue(today=timezone.localdate()).snapshot.counts()
    print(f"catalogue {counts}, {distinct} distinct opening-hours texts, {len(persons)} people")
    measure(persons, repeat=args.repeat)
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
