from django.apps import AppConfig

from choicemap.events import on_catalogue_changed


class ReachConfig(AppConfig):
    name = "reach"
    verbose_name = "Reach runs"

    def ready(self) -> None:
        from .services import queue_default_recompute  # noqa: PLC0415  (models must be loaded first)

        # The catalogue and locality apps announce changes; reach listens, so they never import reach.
        on_catalogue_changed(queue_default_recompute)
