from django.apps import AppConfig


class SponsorshipsConfig(AppConfig):
    name = "rangkul.sponsorships"
    label = "sponsorships"
    verbose_name = "Sponsorships"
