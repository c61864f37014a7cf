"""Queuing many texts at once: one insert per batch, handed to delivery only when the transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from rangkul.messaging.backends import locmem
from rangkul.messaging.models import MessageStatus, OutboundMessage
from rangkul.messaging.queue import messages_queue_many

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield
    locmem.clear()


def _items(count: int) -> list[tuple[str, str]]:
    return [(f"+62812300{n:05d}", f"Rangkul: pesan {n}") for n in range(count)]


def test_many_texts_are_queued_in_batches_and_sent_after_commit(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_max_num_queries(3):
        assert messages_queue_many(channel="sms", items=_items(5), purpose="handover", batch_size=2) == 5
    assert len(callbacks) == 3  # one delivery task per batch
    assert OutboundMessage.objects.filter(status=MessageStatus.QUEUED, purpose="handover").count() == 5
    assert locmem.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.body for m in locmem.outbox) == sorted(body for _to, body in _items(5))
    assert {m.purpose for m in locmem.outbox} == {"handover"}
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 5
    # The text is sealed at rest.
    assert all("pesan" not in row.body_sealed for row in OutboundMessage.objects.all())


def test_a_rolled_back_run_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                messages_queue_many(channel="sms", items=_items(3), purpose="handover")
                raise RuntimeError("the run failed")
        except RuntimeError:
            pass
    assert locmem.outbox == [] and not OutboundMessage.objects.exists()


def test_whatsapp_is_refused_in_bulk():
    with pytest.raises(ValueError, match="template"):
        messages_queue_many(channel="whatsapp", items=_items(1), purpose="campaign")
