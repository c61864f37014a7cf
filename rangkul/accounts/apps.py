from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "rangkul.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from rangkul.accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="rangkul.accounts.roles")
