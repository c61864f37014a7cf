"""Commission rules as dated data: the 2018 Perisai scheme."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RULES = [
    {
        "version": "perisai-2018",
        "effective_from": dt.date(2018, 1, 1),
        "source": "BPJS Ketenagakerjaan Perisai agent scheme (2018): 7.5% of contributions collected, "
        "Rp500,000 per 50 new members in a month, 90% agent / 10% organisation",
        "collection_rate": Decimal("0.0750"),
        "acquisition_bonus_idr": 500_000,
        "acquisition_bonus_members": 50,
        "agent_share": Decimal("0.9000"),
        "first_payment_deducted": True,
    },
]


def load(apps, schema_editor):
    CommissionRule = apps.get_model("agents", "CommissionRule")
    for data in RULES:
        CommissionRule.objects.update_or_create(
            version=data["version"], defaults={k: v for k, v in data.items() if k != "version"}
        )


def unload(apps, schema_editor):
    apps.get_model("agents", "CommissionRule").objects.filter(version__in=[r["version"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0003_commission_rules_statements")]

    operations = [migrations.RunPython(load, unload)]
