"""Cash held becomes a running balance on the agent's row, filled from each agent's ledger account."""

from django.db import migrations, models
from django.db.models import Sum

PREFIX = "clearing:agent:"


def fill_from_ledger(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    JournalLine = apps.get_model("contributions", "JournalLine")
    totals = (
        JournalLine.objects.filter(account__code__startswith=PREFIX)
        .values("account__code")
        .annotate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
        .values_list("account__code", "debit", "credit")
    )
    for code, debit, credit in totals:
        Agent.objects.filter(code=code.removeprefix(PREFIX)).update(
            cash_held_idr=int(debit or 0) - int(credit or 0)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0006_load_fraud_rules"),
        ("contributions", "0001_rules_and_ledger"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="cash_held_idr",
            field=models.BigIntegerField(default=0, verbose_name="cash held (Rp)"),
        ),
        migrations.RunPython(fill_from_ledger, migrations.RunPython.noop),
    ]
