from django.db import migrations


def load(apps, schema_editor):
    from rangkul.contributions.ledger import CHART
    from rangkul.contributions.rules import rules_load

    rules_load(get_model=apps.get_model)
    Account = apps.get_model("contributions", "Account")
    for code, (name, kind, per_member) in CHART.items():
        Account.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "per_member": per_member})


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_rules_and_ledger")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
