"""Load the informal-occupation catalogue from rangkul/registry/data/occupations.csv.

The agency has not published an official occupation list (DOMAIN.md, open
questions); the file is the one place to change it, and re-running the load
updates names and sectors by code.
"""

import csv
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "occupations.csv"


def load(apps: Any, schema_editor: Any) -> None:
    Occupation = apps.get_model("registry", "Occupation")
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Occupation.objects.update_or_create(
                code=row["code"].strip(),
                defaults={
                    "name": row["name"].strip(),
                    "name_en": row["name_en"].strip(),
                    "sector": row["sector"].strip(),
                    "is_active": True,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
