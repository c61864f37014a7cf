from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rangkul.portal"
    label = "portal"
    verbose_name = "Worker portal"

    def ready(self) -> None:
        # Texts to Rangkul's number are answered with the SMS keywords (the messaging layer cannot
        # import the apps that know members and bills, so the answerer is handed down to it).
        from rangkul.messaging.inbound import inbound_answerer_set
        from rangkul.portal.sms_keywords import sms_answer

        inbound_answerer_set(sms_answer)
