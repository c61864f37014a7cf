"""Record, for member-months enrolled before split payers existed, which programs the sponsor pays."""

from django.db import migrations

MANDATORY = ("JKK", "JKM")


def forwards(apps, schema_editor):
    SponsoredMonth = apps.get_model("sponsorships", "SponsoredMonth")
    MonthShare = apps.get_model("contributions", "MonthShare")
    taken = set(MonthShare.objects.values_list("worker_id", "period"))
    rows = []
    months = SponsoredMonth.objects.select_related("sponsorship", "worker").order_by("pk")
    for month in months.iterator(chunk_size=5000):
        if (month.worker_id, month.period) in taken:
            continue
        sponsor = set(month.sponsorship.programs)
        member = (*MANDATORY, "JHT") if month.worker.jht else MANDATORY
        programs = [p for p in member if p in sponsor]
        rows.append(
            MonthShare(
                worker_id=month.worker_id,
                period=month.period,
                programs=programs,
                payer_kind=month.sponsorship.payer_kind,
                source=f"sponsorship:{month.sponsorship.code}"[:60],
            )
        )
    MonthShare.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("sponsorships", "0001_sponsorships_budgets_bills_handover"),
        ("contributions", "0009_month_payer_and_shares"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
