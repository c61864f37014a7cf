"""System check: some rule version must cover today, or nothing can be priced."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections
from django.utils import timezone

from rangkul.contributions.models import RuleSet


@register(Tags.database)
def check_rules_cover_today(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Tagged "database": runs only when a command checks databases (``check --database default``,
    # ``migrate``), never during ``makemigrations --check`` or import-time checks.
    messages: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        try:
            if RuleSet._meta.db_table not in connection.introspection.table_names():
                # Not migrated yet: `migrate` runs this check before it creates the tables, and
                # Django already reports unapplied migrations; the rules are checked once they exist.
                continue
            today = timezone.localdate()
            covered = (
                RuleSet.objects.using(alias).filter(effective_from__lte=today).exclude(effective_to__lt=today).exists()
            )
        except DatabaseError:
            messages.append(
                Warning("The contribution rules could not be read from the database.", id="contributions.W002")
            )
            continue
        if not covered:
            messages.append(
                Error(
                    "No contribution rule version covers today: quotes and bills cannot be priced.",
                    hint="Add a rule file in rangkul/contributions/rules/ and run "
                    "`python manage.py load_contribution_rules`.",
                    id="contributions.E001",
                )
            )
    return messages
