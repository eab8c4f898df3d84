"""A scenario's catalogue: the live catalogue's snapshot with a scenario's changes applied, in memory.

Each change is checked against the state the earlier changes left, by the offer rules every other
door uses (`services.rules.offer_problems`) and the catalogue's site checks (code, name, lat/lon
ranges, a site code used once). Problems come back as {field: message}, like `offer_problems`.
Nothing here writes to the database: `ScenarioCatalogue.snapshot()` is what a scenario run computes
on, and `reach.scenario_services.apply_scenario` replays the same cleaned changes on the catalogue.

Change values by kind (optional fields in brackets):
- add_site: code, name, provider (a provider's name; a new name is a new provider), lat, lon,
  [provider_kind] (required for a new provider, and a known one's kind if given: the import's rule)
- add_offer: site_code, option_code, delivery, [capacity_per_week, waiting_weeks, min_age, max_age,
  outreach_localities (locality codes), home_visit_km]
- close_site: site_code
- close_offer: site_code, option_code, delivery
- change_offer: site_code, option_code, delivery, and capacity_per_week and/or waiting_weeks
  (null = unknown)
- add_outreach, remove_outreach: site_code, option_code, localities (codes of an outreach offer)
- make_remote: site_code, option_code, [capacity_per_week, waiting_weeks]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from choicemap.imports import FieldParser
from services.models import Delivery, ProviderKind
from services.rules import offer_problems, provider_kind_problem

from .engine import DELIVERY_CODES, OfferArrays, SiteArrays
from .models import ChangeKind
from .selectors import CatalogueSnapshot

CODE_MAX, NAME_MAX = 40, 200
OFFER_KEY = ("site_code", "option_code", "delivery")
OFFER_VALUE_FIELDS = ("capacity_per_week", "waiting_weeks", "min_age", "max_age", "home_visit_km")
CHANGE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind: (required, optional)
    ChangeKind.ADD_SITE: (("code", "name", "provider", "lat", "lon"), ("provider_kind",)),
    ChangeKind.ADD_OFFER: (OFFER_KEY, (*OFFER_VALUE_FIELDS, "outreach_localities")),
    ChangeKind.CLOSE_SITE: (("site_code",), ()),
    ChangeKind.CLOSE_OFFER: (OFFER_KEY, ()),
    ChangeKind.CHANGE_OFFER: (OFFER_KEY, ("capacity_per_week", "waiting_weeks")),
    ChangeKind.ADD_OUTREACH: (("site_code", "option_code", "localities"), ()),
    ChangeKind.REMOVE_OUTREACH: (("site_code", "option_code", "localities"), ()),
    ChangeKind.MAKE_REMOTE: (("site_code", "option_code"), ("capacity_per_week", "waiting_weeks")),
}
_TEXT = {"code": CODE_MAX, "name": NAME_MAX, "provider": NAME_MAX, "site_code": CODE_MAX, "option_code": CODE_MAX}
_WHOLE = {"capacity_per_week", "min_age", "max_age"}
_NUMBER = {"lat", "lon", "waiting_weeks", "home_visit_km", *_WHOLE}
_CODE_LISTS = {"outreach_localities", "localities"}
_RANGES = {"lat": (-90, 90), "lon": (-180, 180)}


class ScenarioInvalid(Exception):
    """A change breaks a rule; `problems` maps a label (e.g. "change 3, site_code") to the reason."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{where}: {why}" for where, why in problems.items()))


def clean_change(kind: str, values: Any) -> tuple[dict, dict[str, str]]:
    """Types and presence of a change's fields: (cleaned values, {field: problem})."""
    if kind not in CHANGE_FIELDS:
        return {}, {"kind": f"{kind!r} is not one of: {', '.join(CHANGE_FIELDS)}"}
    if not isinstance(values, dict):
        return {}, {"values": "must be an object of field names and values"}
    required, optional = CHANGE_FIELDS[kind]
    problems: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name in values:
        if name not in required and name not in optional:
            problems[name] = f"unknown field for {kind} (fields: {', '.join(required + optional)})"
    for name in required + optional:
        if name not in values or values[name] is None or values[name] == "":
            if name in required:
                problems[name] = "is required"
            elif name in values:
                cleaned[name] = None
            continue
        value, problem = _clean_value(name, values[name])
        if problem:
            problems[name] = problem
        else:
            cleaned[name] = value
    if kind == ChangeKind.CHANGE_OFFER and not {"capacity_per_week", "waiting_weeks"} & set(values):
        problems["capacity_per_week"] = "give capacity_per_week or waiting_weeks (or both) to change"
    return cleaned, problems


def _clean_value(name: str, value: Any) -> tuple[Any, str]:
    if name in _TEXT or name == "delivery":
        return _clean_text(name, value)
    if name == "provider_kind":
        return _clean_choice(name, value, ProviderKind.values)
    if name in _NUMBER:
        return _clean_number(name, value)
    if name in _CODE_LISTS:
        return _clean_codes(value)
    return None, "unknown field"


def _clean_text(name: str, value: Any) -> tuple[Any, str]:
    if not isinstance(value, str):
        return None, "must be text"
    value = value.strip()
    problem = ""
    if name in _TEXT and len(value) > _TEXT[name]:
        problem = f"is longer than {_TEXT[name]} characters"
    elif name == "delivery" and value not in Delivery.values:
        problem = f"{value!r} is not one of: {', '.join(Delivery.values)}"
    return (None, problem) if problem else (value, "")


def _clean_choice(name: str, value: Any, choices: list[str]) -> tuple[Any, str]:
    """The catalogue import's own choice check."""
    if not isinstance(value, str):
        return None, "must be text"
    problems: list = []
    choice = FieldParser("", problems).choice("", name, value.strip(), choices)
    return (None, problems[0].reason) if problems else (choice, "")


def _clean_number(name: str, value: Any) -> tuple[Any, str]:
    """The catalogue import's own number checks (types, finiteness, whole numbers, lat/lon ranges);
    the offer rules judge the rest."""
    problems: list = []
    low, high = _RANGES.get(name, (None, None))
    number = FieldParser("", problems).number("", name, value, minimum=low, maximum=high, integer=name in _WHOLE)
    return (None, problems[0].reason) if problems else (number, "")


def _clean_codes(value: Any) -> tuple[Any, str]:
    if not isinstance(value, list) or not all(isinstance(code, str) and code.strip() for code in value):
        return None, "must be a list of locality codes"
    codes = [code.strip() for code in value]
    if len(set(codes)) != len(codes):
        return None, "a locality code is listed twice"
    return codes, ""


@dataclass
class _Site:
    site_id: int  # negative for a site the scenario adds
    code: str
    lat: float
    lon: float
    provider_id: int  # negative for a provider the scenario adds
    active: bool


@dataclass
class _Offer:
    offer_id: int  # negative for an offer the scenario adds
    site: int
    option: int
    delivery: str
    capacity_per_week: float | None
    waiting_weeks: float | None
    home_visit_km: float | None
    active: bool
    outreach: set[int] = field(default_factory=set)


@dataclass
class ScenarioCatalogue:
    """The catalogue as a scenario sees it; `apply` one change at a time, then `snapshot()`."""

    base: CatalogueSnapshot
    sites: list[_Site]
    offers: list[_Offer]
    provider_names: dict[str, int]  # name → provider id (negative for new ones)
    provider_kinds: dict[str, str] = field(default_factory=dict)  # the catalogue's providers' kinds, by name
    _next_new_id: int = -1

    def __post_init__(self) -> None:
        self.site_by_code = {site.code: i for i, site in enumerate(self.sites)}
        self.offer_by_key = {self._key(o.site, o.option, o.delivery): i for i, o in enumerate(self.offers)}
        self.option_index = {code: i for i, code in enumerate(self.base.option_codes)}
        self.locality_index = {code: i for i, code in enumerate(self.base.locality_codes)}
        self.new_provider_kinds: dict[str, str] = {}  # providers this scenario adds: name → kind

    def _key(self, site: int, option: int, delivery: str) -> tuple[int, int, str]:
        return (site, option, delivery)

    def _new_id(self) -> int:
        new_id, self._next_new_id = self._next_new_id, self._next_new_id - 1
        return new_id

    # -- one change -------------------------------------------------------------------------

    def apply(self, kind: str, values: dict) -> dict[str, str]:
        """Check a cleaned change against the current state and, when it breaks no rule, make it."""
        return getattr(self, f"_{kind}")(values)

    def _active_site(self, code: str, problems: dict[str, str]) -> int | None:
        index = self.site_by_code.get(code)
        if index is None:
            problems["site_code"] = f"no site with code {code!r}"
        elif not self.sites[index].active:
            problems["site_code"] = f"site {code!r} is closed"
        else:
            return index
        return None

    def _option(self, code: str, problems: dict[str, str]) -> int | None:
        if code not in self.option_index:
            problems["option_code"] = f"{code!r} is not an active menu option"
        return self.option_index.get(code)

    def _localities(self, codes: list[str], name: str, problems: dict[str, str]) -> set[int]:
        unknown = [code for code in codes if code not in self.locality_index]
        if unknown:
            problems[name] = "unknown locality code(s): " + ", ".join(unknown)
        return {self.locality_index[code] for code in codes if code in self.locality_index}

    def _existing_offer(self, values: dict, delivery: str, problems: dict[str, str]) -> _Offer | None:
        site = self._active_site(values["site_code"], problems)
        option = self._option(values["option_code"], problems)
        if site is None or option is None:
            return None
        index = self.offer_by_key.get(self._key(site, option, delivery))
        if index is None or not self.offers[index].active:
            problems["option_code"] = (
                f"site {values['site_code']!r} has no open {delivery} offer of {values['option_code']!r}"
            )
            return None
        return self.offers[index]

    def _add_site(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        if values["code"] in self.site_by_code:
            problems["code"] = f"a site with code {values['code']!r} already exists"
            return problems
        provider, kind = values["provider"], values.get("provider_kind") or ""
        earlier = self.new_provider_kinds.get(provider)
        problem = provider_kind_problem(
            provider=provider,
            kind=kind,
            known_kind=None if provider in self.new_provider_kinds else self.provider_kinds.get(provider, None),
            first=None if earlier is None else (earlier, "earlier in this scenario"),
        )
        if problem:
            return {"provider_kind": problem}
        provider_id = self.provider_names.get(provider)
        if provider_id is None:
            provider_id = self.provider_names[provider] = self._new_id()
            self.new_provider_kinds[provider] = kind
        self.site_by_code[values["code"]] = len(self.sites)
        self.sites.append(
            _Site(self._new_id(), values["code"], float(values["lat"]), float(values["lon"]), provider_id, True)
        )
        return problems

    def _add_offer(self, values: dict, *, delivery: str | None = None) -> dict[str, str]:
        delivery = delivery or values["delivery"]
        problems: dict[str, str] = {}
        site = self._active_site(values["site_code"], problems)
        option = self._option(values["option_code"], problems)
        localities = self._localities(values.get("outreach_localities") or [], "outreach_localities", problems)
        entered = {name: values.get(name) for name in OFFER_VALUE_FIELDS}
        problems.update(
            offer_problems({**entered, "delivery": delivery, "outreach_localities": values.get("outreach_localities")})
        )
        if problems:
            return problems
        if site is None or option is None:  # each records a problem when it finds nothing
            raise RuntimeError("an offer without a site or option passed the checks")
        key = self._key(site, option, delivery)
        index = self.offer_by_key.get(key)
        if index is not None and self.offers[index].active:
            return {"option_code": f"site {values['site_code']!r} already offers {values['option_code']!r} {delivery}"}
        offer = _Offer(
            offer_id=self._new_id() if index is None else self.offers[index].offer_id,
            site=site,
            option=option,
            delivery=delivery,
            capacity_per_week=entered["capacity_per_week"],
            waiting_weeks=entered["waiting_weeks"],
            home_visit_km=entered["home_visit_km"],
            active=True,
            outreach=localities,
        )
        if index is None:  # a closed offer with the same key is reopened with the new values
            self.offer_by_key[key] = len(self.offers)
            self.offers.append(offer)
        else:
            self.offers[index] = offer
        return {}

    def _make_remote(self, values: dict) -> dict[str, str]:
        return self._add_offer(values, delivery=Delivery.REMOTE)

    def _close_site(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        site = self._active_site(values["site_code"], problems)
        if site is not None:
            self.sites[site].active = False
        return problems

    def _close_offer(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        offer = self._existing_offer(values, values["delivery"], problems)
        if offer is not None:
            offer.active = False
        return problems

    def _change_offer(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        offer = self._existing_offer(values, values["delivery"], problems)
        if offer is None:
            return problems
        changed = {
            "capacity_per_week": values.get("capacity_per_week", offer.capacity_per_week),
            "waiting_weeks": values.get("waiting_weeks", offer.waiting_weeks),
        }
        problems = offer_problems(
            {
                **changed,
                "delivery": offer.delivery,
                "home_visit_km": offer.home_visit_km,
                "outreach_localities": sorted(offer.outreach),
            }
        )
        if not problems:
            offer.capacity_per_week, offer.waiting_weeks = changed["capacity_per_week"], changed["waiting_weeks"]
        return problems

    def _add_outreach(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        offer = self._existing_offer(values, Delivery.OUTREACH, problems)
        localities = self._localities(values["localities"], "localities", problems)
        if offer is None or problems:
            return problems
        already = [code for code in values["localities"] if self.locality_index[code] in offer.outreach]
        if already:
            return {"localities": "already on the outreach list: " + ", ".join(already)}
        offer.outreach |= localities
        return {}

    def _remove_outreach(self, values: dict) -> dict[str, str]:
        problems: dict[str, str] = {}
        offer = self._existing_offer(values, Delivery.OUTREACH, problems)
        localities = self._localities(values["localities"], "localities", problems)
        if offer is None or problems:
            return problems
        missing = [code for code in values["localities"] if self.locality_index[code] not in offer.outreach]
        if missing:
            return {"localities": "not on the outreach list: " + ", ".join(missing)}
        remaining = offer.outreach - localities
        rule = offer_problems({"delivery": Delivery.OUTREACH, "outreach_localities": sorted(remaining)})
        if rule:
            return {"localities": rule["outreach_localities"] + " (close the offer instead)"}
        offer.outreach = remaining
        return {}

    # -- the modified snapshot --------------------------------------------------------------

    def snapshot(self) -> CatalogueSnapshot:
        """The engine arrays of this state: same localities and options, sites and offers changed."""
        provider_ids = sorted({self.sites[o.site].provider_id for o in self.offers})
        provider_index = {p: i for i, p in enumerate(provider_ids)}
        pairs = sorted((i, loc) for i, o in enumerate(self.offers) for loc in o.outreach)
        offers = OfferArrays(
            site_idx=np.asarray([o.site for o in self.offers], dtype=np.int32),
            option_idx=np.asarray([o.option for o in self.offers], dtype=np.int32),
            provider_idx=np.asarray(
                [provider_index[self.sites[o.site].provider_id] for o in self.offers], dtype=np.int32
            ),
            delivery=np.asarray([DELIVERY_CODES[o.delivery] for o in self.offers], dtype=np.int8),
            capacity_per_week=_nan_for_none(o.capacity_per_week for o in self.offers),
            waiting_weeks=_nan_for_none(o.waiting_weeks for o in self.offers),
            active=np.asarray([o.active and self.sites[o.site].active for o in self.offers], dtype=bool),
            home_visit_km=_nan_for_none(o.home_visit_km for o in self.offers),
            outreach_offer_idx=np.asarray([i for i, _ in pairs], dtype=np.int32),
            outreach_locality_idx=np.asarray([loc for _, loc in pairs], dtype=np.int32),
        )
        return CatalogueSnapshot(
            locality_ids=self.base.locality_ids,
            locality_codes=self.base.locality_codes,
            locality_names=self.base.locality_names,
            localities=self.base.localities,
            site_ids=np.array([s.site_id for s in self.sites], dtype=np.int64),
            sites=SiteArrays(
                lat=np.asarray([s.lat for s in self.sites], dtype=np.float64),
                lon=np.asarray([s.lon for s in self.sites], dtype=np.float64),
            ),
            option_codes=self.base.option_codes,
            provider_ids=np.array(provider_ids, dtype=np.int64),
            offer_ids=np.array([o.offer_id for o in self.offers], dtype=np.int64),
            offers=offers,
        )


def _nan_for_none(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _none_for_nan(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def catalogue_from_snapshot(
    *,
    snapshot: CatalogueSnapshot,
    site_codes: dict[int, str],
    site_providers: dict[int, int],
    site_active: dict[int, bool],
    offer_active: dict[int, bool],
    provider_names: dict[str, int],
    provider_kinds: dict[str, str] | None = None,
) -> ScenarioCatalogue:
    """The in-memory catalogue of a snapshot plus the facts the snapshot folds away (codes, raw flags)."""
    sites = [
        _Site(int(site_id), site_codes[site_id], float(lat), float(lon), site_providers[site_id], site_active[site_id])
        for site_id, lat, lon in zip(snapshot.site_ids.tolist(), snapshot.sites.lat, snapshot.sites.lon, strict=True)
    ]
    arrays = snapshot.offers
    reverse_delivery = {code: name for name, code in DELIVERY_CODES.items()}
    offers = [
        _Offer(
            offer_id=offer_id,
            site=int(arrays.site_idx[i]),
            option=int(arrays.option_idx[i]),
            delivery=reverse_delivery[int(arrays.delivery[i])],
            capacity_per_week=_none_for_nan(arrays.capacity_per_week[i]),
            waiting_weeks=_none_for_nan(arrays.waiting_weeks[i]),
            home_visit_km=_none_for_nan(arrays.home_visit_km[i]),
            active=offer_active[offer_id],
        )
        for i, offer_id in enumerate(snapshot.offer_ids.tolist())
    ]
    for offer_idx, locality_idx in zip(
        arrays.outreach_offer_idx.tolist(), arrays.outreach_locality_idx.tolist(), strict=True
    ):
        offers[offer_idx].outreach.add(locality_idx)
    return ScenarioCatalogue(
        base=snapshot,
        sites=sites,
        offers=offers,
        provider_names=dict(provider_names),
        provider_kinds=dict(provider_kinds or {}),
    )
