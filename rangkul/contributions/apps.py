from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "rangkul.contributions"
    label = "contributions"
    verbose_name = "Contributions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rangkul.contributions import checks  # noqa: F401  (registers system checks)
