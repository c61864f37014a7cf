from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "rangkul.messaging"
    label = "messaging"
    verbose_name = "Messaging"
