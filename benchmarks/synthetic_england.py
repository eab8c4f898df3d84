"""A synthetic England for benchmarking the reach engine (pure numpy, no Django).

Localities cluster like settlements: gaussian clusters around ~60 town/city centres with
heavy-tailed (Pareto) sizes, plus sparse rural scatter over England's bounding box
(lat 50.0–55.8, lon −5.7–1.8). Sites prefer populated places; offers mix delivery modes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from reach.engine import HOME_VISIT, ON_SITE, OUTREACH, REMOTE, LocalityArrays, OfferArrays, SiteArrays
from reach.travel import unit_sphere_xyz_km

LAT_RANGE = (50.0, 55.8)
LON_RANGE = (-5.7, 1.8)
KM_PER_DEG_LAT = 111.2
RURALITY_CLASSES = ("urban_conurbation", "urban_city_town", "rural_town_fringe", "rural_village", "rural_dispersed")


@dataclass
class SyntheticEngland:
    localities: LocalityArrays
    sites: SiteArrays
    offers: OfferArrays
    n_options: int
    n_providers: int


def _offset_km_to_deg(lat0: np.ndarray, dx_km: np.ndarray, dy_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Δlat, Δlon) in degrees for east/north offsets in km around latitude lat0."""
    return dy_km / KM_PER_DEG_LAT, dx_km / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))


def make_england(
    *,
    seed: int = 0,
    n_localities: int = 33755,
    n_sites: int = 2000,
    n_options: int = 15,
    n_offers: int = 6000,
    n_providers: int = 40,
    n_centres: int = 60,
    rural_share: float = 0.15,
) -> SyntheticEngland:
    """Engine input arrays for a synthetic England (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    localities = _make_localities(rng, n_localities=n_localities, n_centres=n_centres, rural_share=rural_share)
    sites = _make_sites(rng, localities, n_sites=n_sites)
    offers = _make_offers(rng, localities, sites, n_offers=n_offers, n_options=n_options, n_providers=n_providers)
    return SyntheticEngland(
        localities=localities, sites=sites, offers=offers, n_options=n_options, n_providers=n_providers
    )


def _make_localities(
    rng: np.random.Generator, *, n_localities: int, n_centres: int, rural_share: float
) -> LocalityArrays:
    # ---- settlements: heavy-tailed sizes so a few conurbations dominate --------------------
    centre_lat = rng.uniform(50.4, 55.2, n_centres)
    centre_lon = rng.uniform(-4.5, 1.3, n_centres)
    size = rng.pareto(1.2, n_centres) + 1.0
    size /= size.sum()
    n_rural = round(n_localities * rural_share)
    n_urban = n_localities - n_rural
    cluster = rng.choice(n_centres, size=n_urban, p=size)
    spread_km = 2.0 + 12.0 * np.sqrt(size / size.max())  # bigger places sprawl further
    dx = rng.normal(0.0, spread_km[cluster])
    dy = rng.normal(0.0, spread_km[cluster])
    dlat, dlon = _offset_km_to_deg(centre_lat[cluster], dx, dy)
    urban_lat = centre_lat[cluster] + dlat
    urban_lon = centre_lon[cluster] + dlon
    rural_lat = rng.uniform(*LAT_RANGE, n_rural)
    rural_lon = rng.uniform(*LON_RANGE, n_rural)
    lat = np.clip(np.concatenate([urban_lat, rural_lat]), *LAT_RANGE)
    lon = np.clip(np.concatenate([urban_lon, rural_lon]), *LON_RANGE)

    # distance (in cluster spreads) from the own centre decides the rurality class
    is_urban = np.zeros(n_localities, bool)
    is_urban[:n_urban] = True
    rel = np.full(n_localities, 99.0)
    rel[:n_urban] = np.hypot(dx, dy) / spread_km[cluster]
    big = np.zeros(n_localities, bool)
    big[:n_urban] = size[cluster] > np.quantile(size, 0.9)
    klass = np.where(
        is_urban & big & (rel < 1.5),
        0,
        np.where(is_urban & (rel < 1.5), 1, np.where(is_urban, 2, np.where(rng.random(n_localities) < 0.6, 3, 4))),
    )
    rurality = np.array(RURALITY_CLASSES, dtype=object)[klass]
    rurality[rng.random(n_localities) < 0.01] = ""  # a few unknown

    population = np.round(rng.lognormal(np.log(1600.0), 0.25, n_localities) * np.where(klass >= 3, 0.7, 1.0))
    car_share = np.clip(np.array([0.55, 0.7, 0.82, 0.88, 0.92])[klass] + rng.normal(0, 0.06, n_localities), 0, 1)
    car_share[rng.random(n_localities) < 0.03] = np.nan
    imd = np.clip(rng.integers(1, 11, n_localities) - (klass <= 1) * rng.integers(0, 3, n_localities), 1, 10)
    imd[rng.random(n_localities) < 0.01] = 0

    return LocalityArrays(
        lat=lat, lon=lon, population=population, car_share=car_share, rurality=rurality, imd_decile=imd
    )


def _make_sites(rng: np.random.Generator, localities: LocalityArrays, *, n_sites: int) -> SiteArrays:
    lat, lon, population = localities.lat, localities.lon, localities.population
    n_localities = lat.size
    # ---- sites: mostly at populated localities (jittered ~1 km), some anywhere -----------
    n_anywhere = n_sites // 10
    host = rng.choice(n_localities, size=n_sites - n_anywhere, p=population / population.sum())
    s_lat, s_lon = _offset_km_to_deg(lat[host], rng.normal(0, 1.0, host.size), rng.normal(0, 1.0, host.size))
    site_lat = np.concatenate([lat[host] + s_lat, rng.uniform(*LAT_RANGE, n_anywhere)])
    site_lon = np.concatenate([lon[host] + s_lon, rng.uniform(*LON_RANGE, n_anywhere)])
    return SiteArrays(lat=np.clip(site_lat, *LAT_RANGE), lon=np.clip(site_lon, *LON_RANGE))


def _make_offers(
    rng: np.random.Generator,
    localities: LocalityArrays,
    sites: SiteArrays,
    *,
    n_offers: int,
    n_options: int,
    n_providers: int,
) -> OfferArrays:
    lat, lon = localities.lat, localities.lon
    n_sites = sites.lat.size
    # ---- offers: each site has a main provider; options skewed in popularity -------------
    offer_site = np.sort(rng.integers(0, n_sites, n_offers))
    option_weight = 1.0 / np.arange(1, n_options + 1) ** 0.7
    offer_option = rng.choice(n_options, size=n_offers, p=option_weight / option_weight.sum())
    site_provider = rng.integers(0, n_providers, n_sites)
    offer_provider = np.where(
        rng.random(n_offers) < 0.8, site_provider[offer_site], rng.integers(0, n_providers, n_offers)
    )
    delivery = rng.choice([ON_SITE, OUTREACH, HOME_VISIT, REMOTE], size=n_offers, p=[0.8, 0.08, 0.06, 0.06])
    capacity = np.round(rng.uniform(5, 60, n_offers))
    capacity[rng.random(n_offers) < 0.1] = np.nan
    waiting = np.round(rng.uniform(0, 8, n_offers), 1)
    waiting[rng.random(n_offers) < 0.15] = np.nan
    active = rng.random(n_offers) < 0.95
    home_km = np.where(delivery == HOME_VISIT, np.round(rng.uniform(10, 25, n_offers), 1), np.nan)

    # outreach: held in 1–5 localities near the site
    outreach = np.flatnonzero(delivery == OUTREACH)
    loc_tree = cKDTree(unit_sphere_xyz_km(lat, lon))
    n_venues = rng.integers(1, 6, outreach.size)
    _, near = loc_tree.query(unit_sphere_xyz_km(sites.lat[offer_site[outreach]], sites.lon[offer_site[outreach]]), k=20)
    near = np.atleast_2d(near)
    venue_offer, venue_loc = [], []
    for row, (offer, k) in enumerate(zip(outreach, n_venues, strict=True)):
        picks = rng.choice(near[row], size=min(k, near.shape[1]), replace=False)
        venue_offer.append(np.full(picks.size, offer))
        venue_loc.append(picks)
    return OfferArrays(
        site_idx=offer_site,
        option_idx=offer_option,
        provider_idx=offer_provider,
        delivery=delivery,
        capacity_per_week=capacity,
        waiting_weeks=waiting,
        active=active,
        home_visit_km=home_km,
        outreach_offer_idx=np.concatenate(venue_offer) if venue_offer else np.empty(0, np.int32),
        outreach_locality_idx=np.concatenate(venue_loc) if venue_loc else np.empty(0, np.int32),
    )
