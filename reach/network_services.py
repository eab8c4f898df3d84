"""Writes for travel networks: all-or-nothing builds, and network minutes computed in chunks and cached.

A build works in a folder of its own and becomes its network's current build only when it has
finished; a failed or cancelled build leaves the build in use untouched. Network minutes are
cached one column (one site point, every origin of an origin set) at a time, so a catalogue
edit that adds a site computes one new column. Missing columns are computed in chunks of
origins, inline or as a Celery group; they are stored only when every chunk is done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import numpy as np
from celery import group
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from choicemap.celery import app

from .models import (
    BuildStatus,
    MatrixChunk,
    MatrixJob,
    NetworkBuild,
    ReachRun,
    TravelNetwork,
    TravelTimeColumn,
)
from .networks.errors import NetworkInputError
from .networks.osm import file_sha256, inspect_osm
from .networks.osrm import OSRM_PROFILES, OsrmMatrix, build_osrm

logger = logging.getLogger(__name__)

COMPUTE_RUN_TASK = "reach.compute_reach_run"  # sent by name: this module never imports the tasks
ROAD_MODES = tuple(OSRM_PROFILES)  # car, walk, cycle: OSRM
ALL_NETWORK_MODES = (*ROAD_MODES, "pt")  # pt: Valhalla over GTFS
# A chunk marks an origin it could not snap with this value instead of minutes (NaN = no route).
OFF_NETWORK = np.float32(-1.0)


def network_root() -> Path:
    return Path(settings.NETWORK_DIR)


def build_path(build: NetworkBuild) -> Path:
    return network_root() / build.directory


# ---- builds ---------------------------------------------------------------------------------


def _inspect_feeds(gtfs_paths: list[Path], *, travel_date: date | None, bbox) -> tuple[list[dict], list[str]]:
    """Each feed's facts, or every problem with it; PT needs transit's GTFS module."""
    if not gtfs_paths:
        return [], []
    try:
        from .networks.gtfs import inspect_gtfs  # noqa: PLC0415 (transit's module; PT is optional)
    except ImportError:
        return [], ["public transport: the GTFS reader (reach.networks.gtfs) is not installed in this build"]
    feeds, problems = [], []
    for path in gtfs_paths:
        try:
            info = inspect_gtfs(Path(path), travel_date=travel_date, bbox=bbox)
        except NetworkInputError as exc:
            problems.extend(exc.problems)
            continue
        feeds.append(
            {
                "file": Path(path).name,
                "path": str(Path(path).resolve()),
                "sha256": info.sha256,
                "size": info.size,
                "agencies": list(info.agencies),
                "start_date": info.start_date.isoformat() if info.start_date else None,
                "end_date": info.end_date.isoformat() if info.end_date else None,
                "stop_count": info.stop_count,
                "trip_count": info.trip_count,
            }
        )
    return feeds, problems


def _check_name_and_modes(name: str, modes: list[str], gtfs_paths: list[Path]) -> list[str]:
    problems = []
    try:
        TravelNetwork._meta.get_field("name").run_validators(name)
    except ValidationError as exc:
        problems.append(f"network name {name!r}: {' '.join(exc.messages)}")
    unknown = [mode for mode in modes if mode not in ALL_NETWORK_MODES]
    if unknown:
        problems.append(f"--modes: {', '.join(unknown)} unknown (modes: {', '.join(ALL_NETWORK_MODES)})")
    if "pt" in modes and not gtfs_paths:
        problems.append("--modes pt needs at least one GTFS feed (--gtfs FEED.zip)")
    if gtfs_paths and "pt" not in modes:
        problems.append("GTFS feeds were given but pt is not among --modes")
    return problems


@transaction.atomic
def create_network_build(
    *,
    name: str,
    osm_path: Path,
    gtfs_paths: list[Path] | None = None,
    modes: list[str] | None = None,
    travel_date: date | None = None,
    started_by=None,
) -> NetworkBuild:
    """A queued build after every input has been checked; on bad input NetworkInputError lists all problems.

    Nothing is written when any input is bad: not the network, not the build, not a folder.
    """
    gtfs_paths = [Path(p) for p in (gtfs_paths or [])]
    modes = list(modes or ([*ROAD_MODES, "pt"] if gtfs_paths else list(ROAD_MODES)))
    problems = _check_name_and_modes(name, modes, gtfs_paths)
    osm = None
    try:
        osm = inspect_osm(Path(osm_path))
    except NetworkInputError as exc:
        problems.extend(exc.problems)
    feeds, feed_problems = _inspect_feeds(gtfs_paths, travel_date=travel_date, bbox=osm.bbox if osm else None)
    problems.extend(feed_problems)
    if problems or osm is None:
        raise NetworkInputError(problems)
    network, _ = TravelNetwork.objects.get_or_create(name=name)
    build = NetworkBuild.objects.create(
        network=network,
        modes=[mode for mode in ALL_NETWORK_MODES if mode in modes],
        osm_file=str(osm.path.resolve()),
        osm_sha256=osm.sha256,
        osm_size=osm.size,
        osm_extract_date=osm.extract_date,
        osm_bbox=list(osm.bbox) if osm.bbox else None,
        gtfs_feeds=feeds,
        started_by=started_by,
    )
    NetworkBuild.objects.filter(pk=build.pk).update(directory=f"{network.name}/build-{build.pk}")
    build.refresh_from_db()
    return build


def enqueue_network_build(*, build: NetworkBuild) -> None:
    """Send the build to the worker, by task name, once the transaction that created it commits."""
    transaction.on_commit(lambda: app.send_task("reach.build_network", args=(build.pk,)))


def cancel_network_build(*, build: NetworkBuild) -> bool:
    """A queued or building build becomes cancelled; a running build then discards its work."""
    return bool(
        NetworkBuild.objects.filter(pk=build.pk, status__in=[BuildStatus.QUEUED, BuildStatus.BUILDING]).update(
            status=BuildStatus.CANCELLED, built_at=None
        )
    )


class _BuildLog:
    """Appends to the build's log as it goes, outside any transaction, so a watcher sees it move."""

    def __init__(self, build_id: int):
        self.build_id = build_id
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        NetworkBuild.objects.filter(pk=self.build_id).update(log="\n".join(self.lines[-2000:]))

    def progress(self, start: int, span: int) -> Callable[[int], None]:
        def report(percent: int) -> None:
            value = max(0, min(99, start + span * int(percent) // 100))
            NetworkBuild.objects.filter(pk=self.build_id, status=BuildStatus.BUILDING).update(progress=value)

        return report


def _build_artefacts(build: NetworkBuild, work: Path, log: _BuildLog) -> None:
    osm_path = Path(build.osm_file)
    if file_sha256(osm_path) != build.osm_sha256:
        raise NetworkInputError([f"{osm_path.name}: the file changed since the build was queued"])
    for feed in build.gtfs_feeds:
        if file_sha256(Path(feed["path"])) != feed["sha256"]:
            raise NetworkInputError([f"{feed['file']}: the file changed since the build was queued"])
    road_modes = [mode for mode in build.modes if mode in ROAD_MODES]
    road_share = 100 if "pt" not in build.modes else 40
    if road_modes:
        build_osrm(
            osm_path=osm_path, out_dir=work / "osrm", modes=road_modes, log=log, progress=log.progress(0, road_share)
        )
    if "pt" in build.modes:
        from .networks.valhalla import build_valhalla  # noqa: PLC0415 (transit's module; PT is optional)

        build_valhalla(
            osm_path=osm_path,
            gtfs_paths=[Path(feed["path"]) for feed in build.gtfs_feeds],
            out_dir=work / "valhalla",
            log=log,
            progress=log.progress(road_share, 100 - road_share),
        )


def execute_network_build(*, build_id: int) -> NetworkBuild:
    """Build into the build's own folder, then make it the network's current build in one step.

    Safe to run again for the same id (a redelivered task): the folder starts afresh. A failed or
    cancelled build removes its folder and leaves the network's current build as it was.
    """
    claimed = NetworkBuild.objects.filter(pk=build_id, status__in=[BuildStatus.QUEUED, BuildStatus.BUILDING]).update(
        status=BuildStatus.BUILDING, progress=0, started_at=timezone.now(), error="", log=""
    )
    build = NetworkBuild.objects.select_related("network").get(pk=build_id)
    if not claimed:
        return build
    # Each build has a folder of its own, so building in place never touches the build in use;
    # in place, too, because Valhalla's config records absolute paths to its tiles.
    work = build_path(build)
    log = _BuildLog(build_id)
    try:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log(f"Building {build.network.name} ({', '.join(build.modes)}) from {Path(build.osm_file).name}")
        _build_artefacts(build, work, log)
        with transaction.atomic():
            locked = NetworkBuild.objects.select_for_update().get(pk=build_id)
            if locked.status != BuildStatus.BUILDING:
                raise NetworkInputError([f"the build was {locked.status} while it ran; its work is discarded"])
            NetworkBuild.objects.filter(pk=build_id).update(
                status=BuildStatus.READY, progress=100, built_at=timezone.now()
            )
            TravelNetwork.objects.filter(pk=build.network_id).update(current_build=build_id)
        log("Ready.")
    except Exception as exc:
        logger.exception("network build %s failed", build_id)
        shutil.rmtree(work, ignore_errors=True)
        message = "\n".join(exc.problems) if isinstance(exc, NetworkInputError) else f"{type(exc).__name__}: {exc}"
        log("FAILED: " + message)
        NetworkBuild.objects.filter(pk=build_id).exclude(status=BuildStatus.CANCELLED).update(
            status=BuildStatus.FAILED, error=message + "\n\n" + traceback.format_exc(limit=5)
        )
    build.refresh_from_db()
    return build


# ---- network minutes: settings, cache keys, chunks --------------------------------------------


@dataclass(frozen=True)
class PtWindow:
    travel_date: date
    window_start: time
    window_end: time
    step_minutes: int
    percentile: float
    max_minutes: float


def next_weekday_in_feeds(feeds: list[dict], *, today: date | None = None) -> date:
    """The first Tuesday–Thursday from today inside every feed's service dates (an ordinary weekday)."""
    today = today or timezone.localdate()
    starts = [date.fromisoformat(f["start_date"]) for f in feeds if f.get("start_date")]
    ends = [date.fromisoformat(f["end_date"]) for f in feeds if f.get("end_date")]
    day = max([today, *starts])
    for _ in range(14):
        if day.weekday() in (1, 2, 3) and all(day <= end for end in ends):
            return day
        day += timedelta(days=1)
    raise NetworkInputError(["the GTFS feeds share no weekday from today on: pick pt_date inside their service dates"])


def _check_feeds_cover(feeds: list[dict], travel_date: date) -> None:
    """A date outside a feed's service would give no journeys at all: refuse it by name instead."""
    problems = [
        f"{feed['file']}: pt_date {travel_date} is outside its service dates {feed['start_date']} to {feed['end_date']}"
        for feed in feeds
        if feed.get("start_date")
        and feed.get("end_date")
        and not (date.fromisoformat(feed["start_date"]) <= travel_date <= date.fromisoformat(feed["end_date"]))
    ]
    if problems:
        raise NetworkInputError(problems)


def settings_for_mode(*, mode: str, params: dict, build: NetworkBuild) -> dict:
    """What a chunk needs besides points, as JSON: the snapping rule, and the PT window for pt."""
    chosen: dict[str, float | int | str] = {"snap_max_m": float(params.get("snap_max_m", 500))}
    if mode == "pt":
        travel_date = params.get("pt_date") or next_weekday_in_feeds(build.gtfs_feeds).isoformat()
        _check_feeds_cover(build.gtfs_feeds, date.fromisoformat(str(travel_date)))
        chosen |= {
            "travel_date": str(travel_date),
            "window_start": str(params.get("pt_window_start", "07:00:00")),
            "window_end": str(params.get("pt_window_end", "09:00:00")),
            "step_minutes": int(params.get("pt_step_minutes", 10)),
            "percentile": float(params.get("pt_percentile", 50)),
            # Valhalla stops routing a pair once it cannot meet the limit, so the limit is part of the key
            "max_minutes": float(params.get("pt_minutes", 45)),
        }
    return chosen


def _key(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def settings_key(mode: str, chosen: dict) -> str:
    """The key a mode's cached columns are stored under for its settings (see settings_for_mode)."""
    return _key({"mode": mode, **chosen})


def site_key(lat: float, lon: float) -> str:
    return f"{lat:.7f},{lon:.7f}"


def origins_key(points: np.ndarray) -> str:
    return hashlib.sha256(np.round(np.asarray(points, dtype=np.float64), 7).tobytes()).hexdigest()


def chunk_minutes(
    *, build: NetworkBuild, mode: str, chosen: dict, origins: np.ndarray, sites: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origins × sites) float32 minutes and both sides' snapping metres, from the build's engine."""
    root = build_path(build)
    if mode in ROAD_MODES:
        minutes, origin_snap, site_snap = OsrmMatrix(root / "osrm" / mode).minutes_and_snaps(origins, sites)
        return minutes.astype(np.float32), origin_snap, site_snap
    from .networks.valhalla import ValhallaMatrix  # noqa: PLC0415 (transit's module; PT is optional)

    matrix = ValhallaMatrix(root / "valhalla")
    minutes = matrix.pt_minutes(
        origins,
        sites,
        travel_date=date.fromisoformat(chosen["travel_date"]),
        window_start=time.fromisoformat(chosen["window_start"]),
        window_end=time.fromisoformat(chosen["window_end"]),
        step_minutes=chosen["step_minutes"],
        percentile=chosen["percentile"],
        max_minutes=chosen["max_minutes"],
    )
    return (
        minutes.astype(np.float32),
        matrix.snap_distances_m(origins, "pt"),
        matrix.snap_distances_m(sites, "pt"),
    )


def _apply_snapping(minutes: np.ndarray, origin_snap: np.ndarray, site_snap: np.ndarray, snap_max_m: float):
    """Origins off the network get OFF_NETWORK in every cell; off-network sites are flagged."""
    minutes = minutes.copy()
    site_off = ~(site_snap <= snap_max_m)
    minutes[:, site_off] = np.nan
    minutes[~(origin_snap <= snap_max_m), :] = OFF_NETWORK
    return minutes, site_off


def current_build_for(*, network_name: str, modes: list[str]) -> NetworkBuild:
    """The network's current build, which must serve every mode asked of it."""
    network = TravelNetwork.objects.select_related("current_build").filter(name=network_name).first()
    if network is None:
        names = ", ".join(TravelNetwork.objects.values_list("name", flat=True)) or "none"
        raise NetworkInputError([f"no travel network {network_name!r} (networks: {names})"])
    build = network.current_build
    if build is None or build.status != BuildStatus.READY:
        raise NetworkInputError(
            [f"travel network {network_name!r} has no finished build yet (manage.py build_network)"]
        )
    unserved = [mode for mode in modes if mode not in build.modes]
    if unserved:
        served, missing = ", ".join(build.modes), ", ".join(unserved)
        raise NetworkInputError([f"travel network {network_name!r} build {build.pk} serves {served}, not {missing}"])
    return build


def _float_bytes(array: np.ndarray, dtype) -> bytes:
    return np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()


def _from_bytes(data, dtype, shape=None) -> np.ndarray:
    array = np.frombuffer(bytes(data), dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
    return array.reshape(shape) if shape is not None else array


@transaction.atomic
def create_matrix_job(
    *,
    run: ReachRun,
    build: NetworkBuild,
    mode: str,
    chosen: dict,
    origins: np.ndarray,
    sites: np.ndarray,
    keys: list[str],
) -> MatrixJob:
    """The missing columns of one mode as chunks of origins; the same run and mode reuse an unfinished job."""
    okey, skey = origins_key(origins), settings_key(mode, chosen)
    existing = MatrixJob.objects.filter(
        run=run, build=build, mode=mode, settings_key=skey, origins_key=okey, stored=False
    ).first()
    if existing is not None and existing.site_keys == keys:
        return existing
    chunk_size = max(1, int(settings.NETWORK_CHUNK_ORIGINS))
    n_chunks = max(1, -(-len(origins) // chunk_size))
    job = MatrixJob.objects.create(
        run=run,
        build=build,
        mode=mode,
        settings=chosen,
        settings_key=skey,
        origins_key=okey,
        origins=_float_bytes(origins, np.float64),
        sites=_float_bytes(sites, np.float64),
        site_keys=keys,
        chunk_size=chunk_size,
        n_chunks=n_chunks,
    )
    MatrixChunk.objects.bulk_create([MatrixChunk(job=job, index=i) for i in range(n_chunks)])
    return job


def compute_matrix_chunk(*, chunk_id: int) -> bool:
    """Compute one chunk and store it in one write; returns whether it was (already) done.

    A redelivered chunk (its worker died) computes again from scratch: nothing half-written exists.
    """
    chunk = MatrixChunk.objects.select_related("job", "job__build").filter(pk=chunk_id).first()
    if chunk is None:
        return False
    if chunk.done:
        return True
    MatrixChunk.objects.filter(pk=chunk_id).update(attempts=F("attempts") + 1)
    job = chunk.job
    origins = _from_bytes(job.origins, np.float64, (-1, 2))
    sites = _from_bytes(job.sites, np.float64, (-1, 2))
    part = origins[chunk.index * job.chunk_size : (chunk.index + 1) * job.chunk_size]
    minutes, origin_snap, site_snap = chunk_minutes(
        build=job.build, mode=job.mode, chosen=job.settings, origins=part, sites=sites
    )
    MatrixChunk.objects.filter(pk=chunk_id, done=False).update(
        done=True,
        minutes=_float_bytes(minutes, np.float32),
        origin_snap_m=_float_bytes(origin_snap, np.float64),
        site_snap_m=_float_bytes(site_snap, np.float64),
    )
    _report_chunk_progress(job.run_id)
    return True


def _report_chunk_progress(run_id: int) -> None:
    """The run's progress while its matrices build: chunks done over chunks in all its open jobs (5–50 %)."""
    chunks = MatrixChunk.objects.filter(job__run_id=run_id, job__stored=False)
    total = chunks.count()
    if total:
        done = chunks.filter(done=True).count()
        # a finished chunk is the waiting run's sign of life (heartbeat), so it is not taken for stale
        ReachRun.objects.filter(pk=run_id, status="running").update(
            progress=5 + 45 * done // total, heartbeat_at=timezone.now()
        )


def finish_matrix_job(*, job_id: int) -> bool:
    """Once every chunk is done, write the job's columns in one transaction; returns whether the
    run's last open job was just stored (so the run can go on).

    The run row is locked, so two chunks finishing at once agree on who goes on.
    """
    with transaction.atomic():
        job = MatrixJob.objects.select_related("build").get(pk=job_id)
        ReachRun.objects.select_for_update().filter(pk=job.run_id).first()
        job.refresh_from_db()
        if job.stored or job.chunks.filter(done=False).exists():
            return False
        chunks = list(job.chunks.order_by("index"))
        n_sites = len(job.site_keys)
        minutes = np.concatenate([_from_bytes(c.minutes, np.float32, (-1, n_sites)) for c in chunks])
        origin_snap = np.concatenate([_from_bytes(c.origin_snap_m, np.float64) for c in chunks])
        site_snap = _from_bytes(chunks[0].site_snap_m, np.float64)
        minutes, site_off = _apply_snapping(minutes, origin_snap, site_snap, job.settings["snap_max_m"])
        TravelTimeColumn.objects.bulk_create(
            [
                TravelTimeColumn(
                    build=job.build,
                    mode=job.mode,
                    settings_key=job.settings_key,
                    origins_key=job.origins_key,
                    site_key=key,
                    minutes=_float_bytes(minutes[:, j], np.float32),
                    site_off_network=bool(site_off[j]),
                )
                for j, key in enumerate(job.site_keys)
            ],
            ignore_conflicts=True,
            batch_size=200,
        )
        MatrixJob.objects.filter(pk=job_id).update(stored=True)
        # the chunks' answers now live in the columns
        MatrixChunk.objects.filter(job_id=job_id).update(minutes=None, origin_snap_m=None, site_snap_m=None)
        return not MatrixJob.objects.filter(run_id=job.run_id, stored=False).exists()


def dispatch_matrix_job(*, job: MatrixJob) -> None:
    """Send the job's unfinished chunks as one Celery group, by task name, after the commit."""
    chunk_ids = list(job.chunks.filter(done=False).values_list("pk", flat=True))

    def send() -> None:
        group(app.signature("reach.compute_matrix_chunk", args=(chunk_id,)) for chunk_id in chunk_ids).apply_async()

    transaction.on_commit(send)


@dataclass
class NetworkTimes:
    """Pairs per mode from cached columns, and what was left out because it was off the network."""

    pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    off_network: dict[str, dict[str, list[int]]]
    build: NetworkBuild
    chosen: dict[str, dict]


def network_times_for_run(
    *,
    run: ReachRun,
    lat: np.ndarray,
    lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    modes: list[str],
    inline: bool,
) -> NetworkTimes | None:
    """Network minutes for the run's network modes; None when chunks went to the workers.

    Inline (``--sync``, tests) the chunks are computed here, one after another; on a worker they
    run as a Celery group and the last one to finish sends the run again.
    """
    params = run.params
    build = current_build_for(network_name=params.get("network", ""), modes=modes)
    origins = np.column_stack([lat, lon]).astype(np.float64)
    okey = origins_key(origins)
    keys = [site_key(a, b) for a, b in zip(site_lat.tolist(), site_lon.tolist(), strict=True)]
    unique_keys = list(dict.fromkeys(keys))
    points = {k: (a, b) for k, a, b in zip(keys, site_lat.tolist(), site_lon.tolist(), strict=True)}
    chosen = {mode: settings_for_mode(mode=mode, params=params, build=build) for mode in modes}
    waiting = False
    for mode in modes:
        skey = settings_key(mode, chosen[mode])
        present = set(
            TravelTimeColumn.objects.filter(
                build=build, mode=mode, settings_key=skey, origins_key=okey, site_key__in=unique_keys
            ).values_list("site_key", flat=True)
        )
        missing = [k for k in unique_keys if k not in present]
        if not missing:
            continue
        sites = np.array([points[k] for k in missing], dtype=np.float64)
        job = create_matrix_job(
            run=run, build=build, mode=mode, chosen=chosen[mode], origins=origins, sites=sites, keys=missing
        )
        if inline:
            for chunk_id in job.chunks.order_by("index").values_list("pk", flat=True):
                compute_matrix_chunk(chunk_id=chunk_id)
            finish_matrix_job(job_id=job.pk)
        else:
            dispatch_matrix_job(job=job)
            waiting = True
    if waiting:
        return None
    return _load_columns(
        build=build, modes=modes, chosen=chosen, okey=okey, keys=keys, n_origins=len(origins), limits=params
    )


def _load_columns(*, build, modes, chosen, okey, keys, n_origins, limits) -> NetworkTimes:
    site_index: dict[str, list[int]] = {}
    for j, key in enumerate(keys):
        site_index.setdefault(key, []).append(j)
    pairs, off = {}, {}
    for mode in modes:
        skey = settings_key(mode, chosen[mode])
        limit = float(limits.get(f"{mode}_minutes", np.inf))
        locs, sites, mins = [], [], []
        off_origins = np.zeros(n_origins, dtype=bool)
        off_sites: list[int] = []
        columns = TravelTimeColumn.objects.filter(
            build=build, mode=mode, settings_key=skey, origins_key=okey, site_key__in=list(site_index)
        ).values_list("site_key", "minutes", "site_off_network")
        for key, data, site_off in columns.iterator(chunk_size=200):
            column = _from_bytes(data, np.float32)
            off_origins |= column == OFF_NETWORK
            keep = np.flatnonzero((column >= 0) & (column <= limit))
            for j in site_index[key]:
                if site_off:
                    off_sites.append(j)
                locs.append(keep)
                sites.append(np.full(keep.size, j, dtype=np.int64))
                mins.append(column[keep])
        pairs[mode] = (
            np.concatenate(locs or [np.empty(0, np.int64)]),
            np.concatenate(sites or [np.empty(0, np.int64)]),
            np.concatenate(mins or [np.empty(0, np.float32)]),
        )
        off[mode] = {"localities": np.flatnonzero(off_origins).tolist(), "sites": sorted(off_sites)}
    return NetworkTimes(pairs=pairs, off_network=off, build=build, chosen=chosen)


def resume_run_after_matrices(*, run_id: int) -> None:
    """The last chunk of a run's matrices sends the run again, by task name."""
    transaction.on_commit(lambda: app.send_task(COMPUTE_RUN_TASK, args=(run_id,)))
