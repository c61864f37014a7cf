"""Agent rules as dated data: the 2018 Perisai scheme."""

import datetime as dt

from django.db import migrations

RULES = [
    {
        "version": "perisai-2018",
        "effective_from": dt.date(2018, 1, 1),
        "source": "BPJS Ketenagakerjaan Perisai agent scheme (2018)",
        "inactive_after_months": 3,
        "return_after_months": 6,
        "default_cash_limit_idr": 5_000_000,
    },
]


def load(apps, schema_editor):
    AgentRule = apps.get_model("agents", "AgentRule")
    for data in RULES:
        AgentRule.objects.update_or_create(
            version=data["version"], defaults={k: v for k, v in data.items() if k != "version"}
        )


def unload(apps, schema_editor):
    apps.get_model("agents", "AgentRule").objects.filter(version__in=[r["version"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_agents_operations_collections")]

    operations = [migrations.RunPython(load, unload)]
