from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "rangkul.outreach"
    label = "outreach"
    verbose_name = "Outreach"
