"""Shared plumbing for all-or-nothing imports: problems are collected, never written."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction


@dataclass(frozen=True)
class ImportProblem:
    file: str
    location: str  # "row 7", "feature 12", or "file"
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, {self.location}"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ImportFailed(Exception):
    """Raised with every problem found; the transaction is rolled back, nothing is written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportReport:
    file: str
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self, noun: str) -> str:
        parts = [f"{self.created} {noun} created", f"{self.updated} updated"]
        if self.deactivated:
            parts.append(f"{self.deactivated} deactivated")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        return prefix + ", ".join(parts) + "."


class _DryRunRollback(Exception):
    pass


def run_import(work, *, dry_run: bool):
    """Run `work()` in one transaction; roll it back when dry_run so database checks still apply."""
    result = None
    try:
        with transaction.atomic():
            result = work()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return result


def upsert_by_key(*, model, key: str, rows: dict[str, dict], report: ImportReport, new_row_defaults=dict) -> None:
    """Create missing rows, update rows whose values differ, count the rest as unchanged."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": list(rows)})}
    for key_value, values in rows.items():
        obj = existing.get(key_value)
        if obj is None:
            model.objects.create(**{key: key_value}, **new_row_defaults(), **values)
            report.created += 1
        elif any(getattr(obj, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()  # save(), not update(): auto_now fields (last modified) move too
            report.updated += 1
        else:
            report.unchanged += 1


class RowReader:
    """Reads a CSV with a fixed set of required and optional columns, collecting problems."""

    def __init__(
        self, path: Path | str, *, required: list[str], optional: list[str] = (), other_columns_allowed: bool = False
    ):
        self.path = Path(path)
        self.file = self.path.name
        self.required = list(required)
        self.optional = list(optional)
        # Published files with dozens of columns (the ONS Postcode Directory) keep the ones not read.
        self.other_columns_allowed = other_columns_allowed
        self.problems: list[ImportProblem] = []
        self.parse = FieldParser(self.file, self.problems)

    def problem(self, location: str, field_name: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.file, location, field_name, reason))

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (row number as a spreadsheet shows it, stripped values); header problems stop here."""
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.problem("file", "", "file not found")
            return
        except UnicodeDecodeError as exc:
            self.problem("file", "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return
        if not text.strip():
            self.problem("file", "", "the file is empty")
            return
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in self.required if c not in header]
        unknown = [
            c for c in header if c not in self.required and c not in self.optional and not self.other_columns_allowed
        ]
        duplicated = sorted({c for c in header if header.count(c) > 1})
        for column in missing:
            self.problem("header", column, "required column is missing")
        for column in unknown:
            self.problem(
                "header",
                column or "(blank)",
                "unknown column (expected: " + ", ".join(self.required + self.optional) + ")",
            )
        for column in duplicated:
            self.problem("header", column, "column appears more than once")
        if missing or unknown or duplicated:
            return
        reader.fieldnames = header
        any_row = False
        for index, raw in enumerate(reader, start=2):
            if None in raw:
                self.problem(f"row {index}", "", f"more values than the {len(header)} columns")
                continue
            values = {k: (v or "").strip() for k, v in raw.items()}
            if not any(values.values()):
                continue
            any_row = True
            yield index, values
        if not any_row:
            self.problem("file", "", "no data rows after the header")


class FieldParser:
    """Converts text cells, recording a specific problem instead of raising."""

    def __init__(self, file: str, problems: list[ImportProblem]):
        self.file = file
        self.problems = problems

    def _bad(self, location: str, field_name: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.file, location, field_name, reason))

    def text(
        self, location: str, field_name: str, value: str, *, required: bool = False, max_length: int | None = None
    ) -> str:
        if required and not value:
            self._bad(location, field_name, "is required")
        if max_length and len(value) > max_length:
            self._bad(location, field_name, f"is longer than {max_length} characters")
        return value

    def number(
        self,
        location: str,
        field_name: str,
        value,
        *,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        exclusive_minimum: bool = False,
    ) -> float | int | None:
        if value is None or value == "":
            if required:
                self._bad(location, field_name, "is required")
            return None
        if isinstance(value, bool):
            self._bad(location, field_name, f"{value!r} is not a number")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            self._bad(location, field_name, f"{value!r} is not a number")
            return None
        if not math.isfinite(number):
            self._bad(location, field_name, f"{value!r} is not a finite number")
            return None
        if integer:
            if number != int(number):
                self._bad(location, field_name, f"{value!r} is not a whole number")
                return None
            number = int(number)
        if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
            bound = f"greater than {minimum:g}" if exclusive_minimum else f"at least {minimum:g}"
            self._bad(location, field_name, f"{value!r} is out of range (must be {bound})")
            return None
        if maximum is not None and number > maximum:
            self._bad(location, field_name, f"{value!r} is out of range (must be at most {maximum:g})")
            return None
        return number

    def boolean(self, location: str, field_name: str, value: str, *, default: bool) -> bool:
        if value == "":
            return default
        lowered = value.lower()
        if lowered in {"true", "yes", "1", "y"}:
            return True
        if lowered in {"false", "no", "0", "n"}:
            return False
        self._bad(location, field_name, f"{value!r} is not true or false")
        return default

    def choice(self, location: str, field_name: str, value: str, choices, *, required: bool = True) -> str:
        if not value:
            if required:
                self._bad(location, field_name, "is required")
            return ""
        if value not in choices:
            self._bad(location, field_name, f"{value!r} is not one of: {', '.join(choices)}")
        return value
