from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "rangkul.partners"
    label = "partners"
    verbose_name = "Partners"
