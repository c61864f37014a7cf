from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rangkul.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from rangkul.payments import checks  # noqa: F401  (registers system checks)
