"""`issue_group_bill CODE --months N`: one bill for a cooperative's active members."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.audit.actors import Actor
from rangkul.contributions.models import Bill
from rangkul.partners.services import membership_add

pytestmark = pytest.mark.django_db


def test_one_bill_for_every_member_of_the_organisation(organisation, registered) -> None:
    membership_add(actor=Actor.system("test"), organisation=organisation, worker=registered)
    out = StringIO()
    call_command("issue_group_bill", "kopmaju", "--months", "2", stdout=out)
    summary = json.loads(out.getvalue())
    bill = Bill.objects.get(payment_code=summary["payment_code"])
    assert bill.worker is None and summary["members"] == 1
    assert summary["amount_idr"] == bill.amount_idr == sum(line.amount_idr for line in bill.lines.all())
    assert {line.worker_id for line in bill.lines.all()} == {registered.pk}
    assert len({line.period for line in bill.lines.all()}) == 2


def test_nothing_to_bill_is_a_clear_error(organisation) -> None:
    with pytest.raises(CommandError):
        call_command("issue_group_bill", "kopmaju", "--months", "1", stdout=StringIO())
