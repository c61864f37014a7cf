from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rangkul.audit"
    label = "audit"
    verbose_name = "Audit"
