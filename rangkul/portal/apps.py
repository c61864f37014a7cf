from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rangkul.portal"
    label = "portal"
    verbose_name = "Worker portal"
