"""The one reviewed list of axe findings the tests accept: third-party widgets that cannot be fixed here.

Each entry names the axe rule, the page paths (a regular expression) and the element (a regular expression
on axe's CSS selector for the node), and why it cannot be fixed in choicemap. Anything else axe reports at
WCAG 2.2 AA fails tests/accessibility/test_axe.py. The accessibility statement (templates/accessibility.html)
lists the same items in words: keep the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AxeException:
    rule: str
    pages: str
    selector: str
    reason: str

    def covers(self, *, path: str, rule: str, target: str) -> bool:
        return (
            rule == self.rule
            and re.search(self.pages, path) is not None
            and re.search(self.selector, target) is not None
        )


SWAGGER = r"^/api/schema/swagger/$"
ADMIN = r"^/admin/"

EXCEPTIONS: list[AxeException] = [
    AxeException(
        rule="nested-interactive",
        pages=SWAGGER,
        selector=r"\.opblock-summary-control$",
        reason="Swagger UI (drf-spectacular-sidecar) draws each operation's summary as a button holding the "
        "operation's path link and copy button; its React markup cannot be changed from outside. "
        "The same operations are described in ReDoc and in docs/api.md.",
    ),
    AxeException(
        rule="aria-prohibited-attr",
        pages=ADMIN,
        selector=r"\.help-tooltip\.search-label-icon$",
        reason="Django's own two-list picker (SelectFilter2.js, filter_horizontal) builds a help icon with an "
        "aria-label and no role at run time; the filter box beside it keeps its placeholder and title.",
    ),
    AxeException(
        rule="label",
        pages=ADMIN,
        selector=r"\.select2-search__field$",
        reason="Django's autocomplete widget (the Select2 it vendors) adds a search box with no label to "
        "multiple-choice fields; the field's own label is beside it and the choices are read out.",
    ),
    AxeException(
        rule="aria-input-field-name",
        pages=ADMIN,
        selector=r"select2-id_[a-z_]+-container",
        reason="Django's autocomplete widget (the Select2 it vendors) names its single-choice box by its current "
        "value, so an empty box on an add form has no name; the field's own label is beside it.",
    ),
]
