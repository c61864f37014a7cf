from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "rangkul.agents"
    label = "agents"
    verbose_name = "Field agents"
