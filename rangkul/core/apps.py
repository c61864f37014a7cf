from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rangkul.core"
    label = "core"
    verbose_name = "Rangkul core"

    def ready(self) -> None:
        from rangkul.core import checks  # noqa: F401  (registers system checks)
