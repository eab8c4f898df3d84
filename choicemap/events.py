"""Events a lower app announces and a higher app subscribes to, so dependencies only run downward.

`services`, `areas` and `openreferral` call `catalogue_changed()` after a write; `reach` connects
its recompute in `ReachConfig.ready()`. The announcing app never imports the one that listens.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[], None]

_catalogue_handlers: list[Handler] = []


def on_catalogue_changed(handler: Handler) -> Handler:
    """Register a handler to run after a transaction that changed the catalogue or localities commits.

    Usable as a decorator; registering the same handler twice keeps one.
    """
    if handler not in _catalogue_handlers:
        _catalogue_handlers.append(handler)
    return handler


def disconnect_catalogue_changed(handler: Handler) -> None:
    if handler in _catalogue_handlers:
        _catalogue_handlers.remove(handler)


def catalogue_changed() -> None:
    """Announce that the catalogue or the localities changed; handlers run once the transaction commits.

    A rolled-back transaction (an import's dry run, a failed import) announces nothing.
    """
    for handler in list(_catalogue_handlers):
        transaction.on_commit(handler)
