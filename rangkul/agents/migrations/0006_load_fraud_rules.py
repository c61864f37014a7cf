"""Fraud signal thresholds as dated data. No regulation sets them: they are the operator's
supervision settings, changed by adding a row from a later date."""

import datetime as dt

from django.db import migrations

RULES = [
    {
        "version": "signals-2026",
        "effective_from": dt.date(2018, 1, 1),
        "source": "Rangkul supervision settings for Perisai agents (operator's choice, not regulation)",
        "window_days": 30,
        "burst_registrations": 10,
        "burst_minutes": 15,
        "late_sync_hours": 72,
        "cash_hold_days": 7,
        "receipt_reports": 1,
    },
]


def load(apps, schema_editor):
    FraudRule = apps.get_model("agents", "FraudRule")
    for data in RULES:
        FraudRule.objects.update_or_create(
            version=data["version"], defaults={k: v for k, v in data.items() if k != "version"}
        )


def unload(apps, schema_editor):
    apps.get_model("agents", "FraudRule").objects.filter(version__in=[r["version"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0005_fraud_signals_and_receipt_reports")]

    operations = [migrations.RunPython(load, unload)]
