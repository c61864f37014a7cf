from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "rangkul.contributions"
    label = "contributions"
    verbose_name = "Contributions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rangkul.contributions import checks  # noqa: F401  (registers system checks)
        from rangkul.contributions.rules import registration_rules_on
        from rangkul.registry.eligibility import registration_rules_source

        # The registry applies the rule book's age limits and lowest income (one home for each rule).
        registration_rules_source(registration_rules_on)
