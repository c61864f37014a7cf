from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "rangkul.regions"
    label = "regions"
    verbose_name = "Regions"
