"""The official Open Referral schemas (fixtures/README.md says where from) as jsonschema validators.

Three readings of one object, all offline:
- HSDS 3.0 (`hsds/schema/*.json`), whose `$ref`s name sibling files: a `referencing` registry holds
  every file under its own name, so "attribute.json" resolves to the local copy;
- the UK profile (`uk-profile/profile/*.json`): JSON merge patches (RFC 7386) on those HSDS files;
- ORUK 3.0 (`oruk/schemas/*.json`), compiled by the ORUK validator into self-contained files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FIXTURES = Path(__file__).parent / "fixtures"
HSDS = FIXTURES / "hsds" / "schema"
PROFILE = FIXTURES / "uk-profile" / "profile"
ORUK = FIXTURES / "oruk" / "schemas"
FORMATS = Draft202012Validator.FORMAT_CHECKER


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def merge_patch(target, patch):
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@cache
def _registry(profiled: bool) -> Registry:
    resources = []
    for path in sorted(HSDS.glob("*.json")):
        if path.name == "openapi.json":
            continue
        contents = load(path)
        patch = PROFILE / path.name
        if profiled and patch.exists():
            contents = merge_patch(contents, load(patch))
        resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def hsds_validator(name: str, *, profiled: bool = False) -> Draft202012Validator:
    """`name` is an HSDS object ("service", "taxonomy_term", …), checked with its nested objects."""
    registry = _registry(profiled)
    return Draft202012Validator(registry.contents(f"{name}.json"), registry=registry, format_checker=FORMATS)


@cache
def compiled_validator(path: Path) -> Draft202012Validator:
    """A self-contained schema file, e.g. HSDS's compiled/service_list.json (what one list item holds)."""
    return Draft202012Validator(load(path), format_checker=FORMATS)


@cache
def oruk_validator(name: str) -> Draft202012Validator:
    """An ORUK 3.0 compiled schema: "service", "service_list", "taxonomy_term", "api_details", …"""
    return compiled_validator(ORUK / f"{name}.json")


def errors(validator: Draft202012Validator, instance) -> list[str]:
    """Every error, each with the JSON path to it, so a failing test says what and where."""
    return [
        f"{error.json_path}: {error.message[:300]}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]
