"""Claimants' bank account numbers move from a plain column to a sealed one (like the NIK).

Existing numbers are sealed, hashed and cut to their last four digits in place; the plain
column is dropped in the same migration, so no plain number outlives it. Reversible: going
back opens the sealed numbers into the plain column again.
"""

import re

from django.db import migrations, models

from rangkul.core.crypto import lookup_hash, seal, unseal

PURPOSE = "claim_bank_account"
_SEPARATORS = re.compile(r"[\s.\-]+")


def seal_accounts(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    for claim in Claim.objects.exclude(bank_account_number="").only("pk", "bank_account_number").iterator():
        number = _SEPARATORS.sub("", claim.bank_account_number)
        Claim.objects.filter(pk=claim.pk).update(
            bank_account_sealed=seal(number, purpose=PURPOSE),
            bank_account_hash=lookup_hash(number, purpose=PURPOSE),
            bank_account_last4=number[-4:],
            bank_account_number="",
        )


def open_accounts(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    for claim in Claim.objects.exclude(bank_account_sealed="").only("pk", "bank_account_sealed").iterator():
        Claim.objects.filter(pk=claim.pk).update(
            bank_account_number=unseal(claim.bank_account_sealed, purpose=PURPOSE)
        )


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0002_claim_documents"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="bank_account_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="claim",
            name="bank_account_last4",
            field=models.CharField(blank=True, editable=False, max_length=4),
        ),
        migrations.AddField(
            model_name="claim",
            name="bank_account_sealed",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(seal_accounts, open_accounts),
        migrations.RemoveField(
            model_name="claim",
            name="bank_account_number",
        ),
    ]
