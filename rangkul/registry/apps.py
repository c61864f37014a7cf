from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "rangkul.registry"
    label = "registry"
    verbose_name = "Registry"
