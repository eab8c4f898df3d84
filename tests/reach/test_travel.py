"""Travel-time providers: haversine, crow-fly cut-offs, imported matrices (no Django)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reach.travel import (
    MODES,
    CrowflyProvider,
    MatrixProvider,
    TravelTimeProvider,
    TravelTimes,
    crowfly_pairs_within_km,
    crowfly_travel_times,
    haversine_km,
    matrix_travel_times,
)

R = 6371.0088
POOLE = (50.7167, -2.0)
BOURNEMOUTH = (50.7205, -1.8795)

SPEEDS = {"walk": 4.8, "pt": 20.0, "car": 40.0, "cycle": 15.0}
ACCESS = {"walk": 0.0, "pt": 10.0, "car": 5.0, "cycle": 0.0}
LIMITS = {"walk": 30.0, "pt": 45.0, "car": 30.0, "cycle": 30.0}


def hand_haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


def test_modes() -> None:
    assert MODES == ("walk", "pt", "car", "cycle")


def test_haversine_poole_bournemouth() -> None:
    expected = hand_haversine(*POOLE, *BOURNEMOUTH)
    assert expected == pytest.approx(8.4938, abs=1e-3)  # ~8.5 km, as on a map
    assert float(haversine_km(*POOLE, *BOURNEMOUTH)) == pytest.approx(expected, rel=1e-12)


def test_haversine_same_meridian_is_radius_times_angle() -> None:
    assert float(haversine_km(50.0, -1.0, 51.0, -1.0)) == pytest.approx(R * math.pi / 180, rel=1e-12)
    assert float(haversine_km(52.0, 0.5, 52.0, 0.5)) == 0.0


def test_haversine_vectorised() -> None:
    d = haversine_km(np.array([50.0, 50.0]), np.array([0.0, 0.0]), np.array([50.0, 51.0]), np.array([0.0, 0.0]))
    np.testing.assert_allclose(d, [0.0, R * math.pi / 180], rtol=1e-12)


def test_crowfly_minutes_for_known_pair() -> None:
    km = hand_haversine(*POOLE, *BOURNEMOUTH)
    tt = crowfly_travel_times(
        locality_lat=np.array([POOLE[0]]),
        locality_lon=np.array([POOLE[1]]),
        site_lat=np.array([BOURNEMOUTH[0]]),
        site_lon=np.array([BOURNEMOUTH[1]]),
        speeds_kmh=SPEEDS,
        access_minutes=ACCESS,
        detour_factor=1.3,
        max_minutes=LIMITS,
    )
    car = km * 1.3 / 40 * 60 + 5  # ≈ 21.56 min
    pt = km * 1.3 / 20 * 60 + 10  # ≈ 43.13 min
    assert car == pytest.approx(21.563, abs=1e-3)
    loc, site, minutes = tt.pairs["car"]
    assert loc.tolist() == [0] and site.tolist() == [0]
    assert float(minutes[0]) == pytest.approx(car, rel=1e-6)
    assert float(tt.pairs["pt"][2][0]) == pytest.approx(pt, rel=1e-6)
    # walking takes ~138 minutes: beyond the 30 minute limit, so no pair
    assert tt.pairs["walk"][0].size == 0
    assert tt.pairs["car"][0].dtype == np.int32 and minutes.dtype == np.float32
    assert tt.n_localities == 1 and tt.n_sites == 1


def test_crowfly_limit_is_inclusive_and_exact() -> None:
    # locality 1° of latitude north of the site: 111.195 km; at 60 km/h with no detour
    # and no access time that's 111.195 minutes
    minutes = R * math.pi / 180
    common = {
        "locality_lat": np.array([51.0]),
        "locality_lon": np.array([0.0]),
        "site_lat": np.array([50.0]),
        "site_lon": np.array([0.0]),
        "speeds_kmh": {"walk": 60.0, "pt": 60.0, "car": 60.0},
        "access_minutes": {"walk": 0.0, "pt": 0.0, "car": 0.0},
        "detour_factor": 1.0,
    }
    inside = crowfly_travel_times(**common, max_minutes={"walk": 111.2, "pt": 111.19, "car": 0.0})
    assert float(inside.pairs["walk"][2][0]) == pytest.approx(minutes, rel=1e-6)
    assert inside.pairs["pt"][0].size == 0  # 111.19 < 111.195
    assert inside.pairs["car"][0].size == 0


def test_crowfly_max_below_access_gives_no_pairs() -> None:
    tt = crowfly_travel_times(
        locality_lat=np.array([50.0]),
        locality_lon=np.array([0.0]),
        site_lat=np.array([50.0]),
        site_lon=np.array([0.0]),  # same point: 0 km
        speeds_kmh=SPEEDS,
        access_minutes={"walk": 0.0, "pt": 10.0, "car": 5.0},
        detour_factor=1.3,
        max_minutes={"walk": 30.0, "pt": 9.0, "car": 5.0},
    )
    assert tt.pairs["pt"][0].size == 0  # 10 min access > 9 min limit
    assert float(tt.pairs["car"][2][0]) == 5.0  # 0 km + 5 min access == limit: kept
    assert float(tt.pairs["walk"][2][0]) == 0.0


def test_crowfly_matches_brute_force_and_is_sorted() -> None:
    rng = np.random.default_rng(3)
    loc_lat, loc_lon = rng.uniform(50.5, 51.5, 300), rng.uniform(-2.5, -0.5, 300)
    site_lat, site_lon = rng.uniform(50.5, 51.5, 40), rng.uniform(-2.5, -0.5, 40)
    tt = crowfly_travel_times(
        locality_lat=loc_lat,
        locality_lon=loc_lon,
        site_lat=site_lat,
        site_lon=site_lon,
        speeds_kmh=SPEEDS,
        access_minutes=ACCESS,
        detour_factor=1.3,
        max_minutes=LIMITS,
    )
    dense_km = haversine_km(loc_lat[:, None], loc_lon[:, None], site_lat[None, :], site_lon[None, :])
    for mode in MODES:
        dense_min = dense_km * 1.3 / SPEEDS[mode] * 60 + ACCESS[mode]
        want_loc, want_site = np.nonzero(dense_min <= LIMITS[mode])  # row-major = sorted
        loc, site, minutes = tt.pairs[mode]
        assert loc.tolist() == want_loc.tolist()
        assert site.tolist() == want_site.tolist()
        np.testing.assert_allclose(minutes, dense_min[want_loc, want_site], rtol=1e-6)
    assert tt.n_pairs()["car"] > tt.n_pairs()["walk"] > 0


def test_crowfly_skips_non_finite_points() -> None:
    loc, site, km = crowfly_pairs_within_km(
        locality_lat=np.array([50.0, np.nan, 50.0]),
        locality_lon=np.array([0.0, 0.0, 0.0]),
        site_lat=np.array([50.0, 50.0]),
        site_lon=np.array([np.nan, 0.0]),
        max_km=1.0,
    )
    assert loc.tolist() == [0, 2] and site.tolist() == [1, 1]
    np.testing.assert_array_equal(km, [0.0, 0.0])


def test_matrix_keeps_minimum_of_duplicates_and_accepts_mode_names() -> None:
    tt = matrix_travel_times(
        locality_idx=np.array([1, 0, 1, 1, 0]),
        site_idx=np.array([2, 0, 2, 0, 0]),
        mode_idx=np.array(["car", "walk", "car", "car", "pt"]),
        minutes=np.array([25.0, 12.0, 19.0, 70.0, np.nan]),
        n_localities=2,
        n_sites=3,
    )
    loc, site, minutes = tt.pairs["car"]
    # sorted by (locality, site); the duplicate (1, 2) keeps 19; above-limit rows are kept
    assert loc.tolist() == [1, 1] and site.tolist() == [0, 2]
    assert minutes.tolist() == [70.0, 19.0]
    assert tt.pairs["walk"][2].tolist() == [12.0]
    assert tt.pairs["pt"][0].size == 0  # NaN minutes dropped


def test_matrix_accepts_integer_mode_codes() -> None:
    tt = matrix_travel_times(
        locality_idx=[0, 0],
        site_idx=[0, 0],
        mode_idx=[2, 0],
        minutes=[9.0, 3.0],
        n_localities=1,
        n_sites=1,
    )
    assert tt.pairs["car"][2].tolist() == [9.0]
    assert tt.pairs["walk"][2].tolist() == [3.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"locality_idx": [2], "site_idx": [0], "mode_idx": [0], "minutes": [1.0]},  # locality out of range
        {"locality_idx": [0], "site_idx": [5], "mode_idx": [0], "minutes": [1.0]},  # site out of range
        {"locality_idx": [0], "site_idx": [0], "mode_idx": ["bike"], "minutes": [1.0]},
        {"locality_idx": [0], "site_idx": [0], "mode_idx": [4], "minutes": [1.0]},
        {"locality_idx": [0], "site_idx": [0], "mode_idx": [0], "minutes": [-1.0]},
    ],
)
def test_matrix_rejects_bad_rows(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        matrix_travel_times(**kwargs, n_localities=2, n_sites=1)


def test_travel_times_fills_missing_modes() -> None:
    tt = TravelTimes(pairs={"car": (np.array([0]), np.array([0]), np.array([3.0]))}, n_localities=1, n_sites=1)
    assert set(tt.pairs) == set(MODES)
    assert tt.pairs["walk"][0].size == 0
    with pytest.raises(ValueError):
        TravelTimes(pairs={"bike": (np.array([0]), np.array([0]), np.array([3.0]))}, n_localities=1, n_sites=1)


def test_providers_follow_protocol() -> None:
    crowfly: TravelTimeProvider = CrowflyProvider(
        speeds_kmh=SPEEDS, access_minutes=ACCESS, detour_factor=1.3, max_minutes=LIMITS
    )
    matrix: TravelTimeProvider = MatrixProvider(
        locality_idx=np.array([0]), site_idx=np.array([0]), mode_idx=np.array(["walk"]), minutes=np.array([7.0])
    )
    coords = {
        "locality_lat": np.array([POOLE[0]]),
        "locality_lon": np.array([POOLE[1]]),
        "site_lat": np.array([BOURNEMOUTH[0]]),
        "site_lon": np.array([BOURNEMOUTH[1]]),
    }
    assert crowfly.travel_times(**coords).n_pairs() == {"walk": 0, "pt": 1, "car": 1, "cycle": 0}
    assert matrix.travel_times(**coords).pairs["walk"][2].tolist() == [7.0]
