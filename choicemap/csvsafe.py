"""CSV files that are safe to open in a spreadsheet, and the undoing of that on import.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula. Following OWASP's rule for CSV injection, every export prefixes such
a text cell with a single quote, which the spreadsheet shows as text. Plain numbers (`-2.5`) are not
formulas and stay as they are.

The prefix is also added to a cell that already begins with quotes followed by one of those
characters, so `unescape_cell` can undo it exactly: every import strips one leading quote from a
cell that `escape_cell` would have prefixed, and the catalogue's export → import round trip stays
byte-exact.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """The value a spreadsheet will show as text; numbers and other non-text values pass through."""
    if not isinstance(value, str) or not value:
        return value
    if value.lstrip(PREFIX).startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return PREFIX + value
    return value


def unescape_cell(value: str) -> str:
    """The imported cell as it was before `escape_cell`; other cells are returned unchanged."""
    if value.startswith(PREFIX) and value.lstrip(PREFIX).startswith(FORMULA_STARTS):
        return value[len(PREFIX) :]
    return value


class TextOutput(Protocol):
    """Where CSV is written: an open text file, or a Django HttpResponse."""

    def write(self, text: str, /) -> object: ...


class _SafeWriter:
    def __init__(self, output: TextOutput, **kwargs):
        self._writer = csv.writer(output, lineterminator="\n", **kwargs)

    def writerow(self, row) -> Any:
        return self._writer.writerow([escape_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(output: TextOutput, **kwargs) -> _SafeWriter:
    """`csv.writer` whose every text cell goes through `escape_cell` (lines end in `\\n`)."""
    return _SafeWriter(output, **kwargs)


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every text cell goes through `escape_cell` (lines end in `\\n`)."""

    def __init__(self, output: TextOutput, fieldnames, **kwargs):
        super().__init__(output, fieldnames, lineterminator="\n", **kwargs)

    def writerow(self, rowdict) -> Any:
        return super().writerow({key: escape_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts) -> None:
        # csv.DictWriter.writerows would bypass writerow, and with it the escaping
        for rowdict in rowdicts:
            self.writerow(rowdict)
