"""System check (production): every active payment channel has its secret configured."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, connections

from rangkul.payments.channels import channel_secret
from rangkul.payments.models import Channel, ChannelKind


@register(Tags.database)
def check_channels(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Tagged "database": runs with ``check --database default`` and ``migrate``, not at import.
    messages: list[CheckMessage] = []
    if getattr(settings, "ENV", "") != "production":
        return messages  # development and tests run without gateway secrets on purpose
    for alias in databases or ():
        connection = connections[alias]
        try:
            if Channel._meta.db_table not in connection.introspection.table_names():
                continue
            channels = list(Channel.objects.using(alias).filter(is_active=True))
        except DatabaseError:
            messages.append(Warning("Payment channels could not be read.", id="payments.W001"))
            continue
        for channel in channels:
            if channel.kind == ChannelKind.AGENT_CASH:
                continue  # agents' cash arrives through their sync, never by a callback
            if channel.kind == ChannelKind.SANDBOX and not settings.PAYMENTS_SANDBOX_ENABLED:
                continue
            if not channel_secret(channel):
                messages.append(
                    Warning(
                        f"Payment channel {channel.code} has no secret: every callback will be refused (401).",
                        hint=f"Set {channel.secret_env}, or deactivate the channel in the admin.",
                        id="payments.W002",
                    )
                )
    return messages
