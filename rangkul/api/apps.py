from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "rangkul.api"
    label = "api"
    verbose_name = "API"
