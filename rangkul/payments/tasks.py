"""Follow-up work after a payment commits. Arguments are database ids only."""

from __future__ import annotations

import logging

from django_tasks import task

from rangkul.payments.services import receipt_issue, receipt_notify

logger = logging.getLogger("rangkul.payments")


@task()
def payment_receipt_issue(payment_id: int) -> None:
    """Number the receipt and text the member; safe to run twice (one receipt, one message)."""
    receipt = receipt_issue(payment_id=payment_id)
    if receipt is None:
        return
    receipt_notify(receipt=receipt)
    logger.info("receipt %s issued", receipt.number)
