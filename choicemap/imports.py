"""Shared plumbing for all-or-nothing imports: problems are collected, never written."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .csvsafe import unescape_cell


@dataclass(frozen=True)
class ImportProblem:
    file: str
    location: str  # "row 7", "feature 12", or "file"
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, {self.location}"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


# A bad file can hold hundreds of thousands of problems: the first ones say what is wrong, a count says how much.
PROBLEMS_LISTED = 200


class Problems(list):
    """An import's problems: the first PROBLEMS_LISTED kept, every one counted in `total`."""

    def __init__(self, problems=()):
        super().__init__()
        self.total = 0
        self.extend(problems)

    def append(self, problem: ImportProblem) -> None:
        self.total += 1
        if len(self) < PROBLEMS_LISTED:
            super().append(problem)

    def extend(self, problems) -> None:
        for problem in problems:
            self.append(problem)


class ImportFailed(Exception):
    """Raised with the problems found (the first PROBLEMS_LISTED, and how many in all); the transaction is
    rolled back, nothing is written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = list(problems)
        self.total = getattr(problems, "total", len(self.problems))
        lines = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"… and {self.total - len(self.problems):,} more problems")
        super().__init__("\n".join(lines))


def import_size_limit() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def check_import_file(path: Path) -> None:
    """Refuse, naming the file, one that is missing or larger than the configured limit (IMPORT_MAX_MB)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImportFailed([ImportProblem(path.name, "file", "", "file not found")]) from None
    if size > import_size_limit():
        reason = (
            f"the file is {size / 1024 / 1024:,.1f} MB, more than the import limit of {settings.IMPORT_MAX_MB} MB "
            "(IMPORT_MAX_MB)"
        )
        raise ImportFailed([ImportProblem(path.name, "file", "", reason)])


def read_import_text(path: Path) -> str:
    """A whole import file as text (for JSON formats): UTF-8, within the size limit, with no NUL byte."""
    check_import_file(path)

    def fail(reason: str) -> ImportFailed:
        return ImportFailed([ImportProblem(path.name, "file", "", reason)])

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise fail(f"contains a NUL byte (line {line}): not a text file")
    return text


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


class _NotUtf8(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _utf8_lines(handle) -> Iterator[str]:
    """A binary file's lines decoded one by one (a stream, not the whole file), so a bad byte is named by line."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(number, f"{exc.reason} at byte {exc.start + 1} of the line") from None
        yield line.removeprefix("\ufeff") if number == 1 else line


class RowReader:
    """Reads a CSV with a fixed set of required and optional columns, collecting problems."""

    def __init__(
        self,
        path: Path | str,
        *,
        required: list[str],
        optional: Sequence[str] = (),
        other_columns_allowed: bool = False,
    ):
        self.path = Path(path)
        self.file = self.path.name
        self.required = list(required)
        self.optional = list(optional)
        # Published files with dozens of columns (the ONS Postcode Directory) keep the ones not read.
        self.other_columns_allowed = other_columns_allowed
        self.problems: list[ImportProblem] = Problems()
        self.parse = FieldParser(self.file, self.problems)

    def problem(self, location: str, field_name: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.file, location, field_name, reason))

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (row number as a spreadsheet shows it, stripped values), reading the file as a stream;
        header problems stop here."""
        try:
            check_import_file(self.path)
            with self.path.open("rb") as handle:
                reader = csv.DictReader(_utf8_lines(handle))
                try:
                    yield from self._rows(reader)
                except _NotUtf8 as bad:
                    self.problem(f"line {bad.line}", "", f"not UTF-8 text ({bad.reason}): save it as UTF-8")
                except csv.Error as exc:
                    self.problem(f"line {reader.line_num}", "", f"not a readable CSV ({exc})")
        except ImportFailed as failure:
            self.problems.extend(failure.problems)

    def _rows(self, reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str]]]:
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not any(header):
            self.problem(
                "file", "", "the file is empty" if not self.path.read_bytes().strip() else "the header is blank"
            )
            return
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
            nul = next((k for k, v in raw.items() if v and "\x00" in v), None)
            if nul is not None:
                self.problem(f"row {index}", nul, "contains a NUL byte: not text")
                continue
            # Cells an export neutralised for spreadsheets (csvsafe) come back as they were.
            values = {k: unescape_cell((v or "").strip()) for k, v in raw.items()}
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
        if "\x00" in value:
            self._bad(location, field_name, "contains a NUL byte: not text")
        if max_length and len(value) > max_length:
            self._bad(location, field_name, f"is longer than {max_length} characters")
        return value

    def checked(self, location: str, field_name: str, value: str, rule: Callable[[str], str | None]) -> str:
        """`value`, with the problem `rule` finds in it (a message, or None) recorded against the field."""
        if (reason := rule(value)) is not None:
            self._bad(location, field_name, reason)
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
        number = self._finite_number(location, field_name, value, integer=integer)
        if number is None:
            return None
        if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
            bound = f"greater than {minimum:g}" if exclusive_minimum else f"at least {minimum:g}"
            self._bad(location, field_name, f"{value!r} is out of range (must be {bound})")
            return None
        if maximum is not None and number > maximum:
            self._bad(location, field_name, f"{value!r} is out of range (must be at most {maximum:g})")
            return None
        return number

    def _finite_number(self, location: str, field_name: str, value, *, integer: bool) -> float | int | None:
        """`value` as a finite number (an int when `integer`), or None once the problem is reported."""
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
        if not integer:
            return number
        if number != int(number):
            self._bad(location, field_name, f"{value!r} is not a whole number")
            return None
        return int(number)

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
