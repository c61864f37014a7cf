"""``core.bulk``: rows written from plain values, import batches that commit without waiting for the disk,
the garbage collector relaxed for bulk work, and arrays passed as one literal."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import weakref
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from rangkul.audit.models import AuditEvent
from rangkul.core.bulk import (
    BULK_GC_THRESHOLD,
    _binary_copy_types,
    array_literal,
    atomic_unflushed,
    collector_relaxed,
    insert_many_unless_conflict,
    insert_rows,
)

_COLUMNS = (
    *("occurred_at", "actor_label", "action", "subject_type", "subject_id", "subject_label"),
    *("before", "after", "reason", "request_id", "ip"),
)


@pytest.mark.django_db
def test_insert_rows_stores_what_the_model_would() -> None:
    now = timezone.now()
    same_instant_elsewhere = now.astimezone(dt.timezone(dt.timedelta(hours=7)))
    rows = [
        (now, "bulk", "test.one", "t", "1", "", None, {"nik": "3374 •••• •••• ••••", "n": 3}, "", "req", "10.0.0.1"),
        (same_instant_elsewhere, "bulk", "test.one", "t", "2", "", {"a": [1, 2]}, ["x", None], "", "req", None),
        (now - dt.timedelta(days=400), "bulk", "test.two", "t", "3", "", None, None, "why", "", "2001:db8::1"),
    ]
    insert_rows(AuditEvent, _COLUMNS, rows)
    stored = list(AuditEvent.objects.filter(action__startswith="test.").order_by("subject_id"))
    assert [e.subject_id for e in stored] == ["1", "2", "3"]
    assert stored[0].occurred_at == now and stored[1].occurred_at == now
    assert stored[2].occurred_at == now - dt.timedelta(days=400)
    assert stored[0].before is None and stored[0].after == {"nik": "3374 •••• •••• ••••", "n": 3}
    assert stored[1].before == {"a": [1, 2]} and stored[1].after == ["x", None]
    assert stored[2].after is None and stored[2].reason == "why"
    assert [e.ip for e in stored] == ["10.0.0.1", None, "2001:db8::1"]
    assert AuditEvent.objects.filter(after__nik="3374 •••• •••• ••••").count() == 1  # stored as JSON, not text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY's formats are PostgreSQL's")
@pytest.mark.django_db
def test_the_bulk_tables_are_copied_in_binary_and_other_types_fall_back_to_text() -> None:
    from rangkul.contributions.models import ProgramRule, RuleSet
    from rangkul.partners.models import ImportRowResult, Membership
    from rangkul.registry.models import Worker

    connection.ensure_connection()
    for model in (AuditEvent, Worker, ImportRowResult, Membership):
        assert _binary_copy_types(connection, model._meta.concrete_fields) is not None, model
    by_name = {f.name: f for f in ProgramRule._meta.concrete_fields}
    fields = [by_name[name] for name in ("ruleset", "code", "rate")]
    assert _binary_copy_types(connection, fields) is None  # numeric: no binary path here, text COPY instead

    ruleset = RuleSet.objects.order_by("pk").first()
    assert ruleset is not None  # the rule tables are loaded by a migration
    columns = ("ruleset_id", "code", "name", "available", "mandatory", "basis", "flat_idr", "rate", "citation")
    row = (ruleset.pk, "TXT", "Text copy", True, False, "rate", None, Decimal("0.01250"), "")
    insert_rows(ProgramRule, columns, [row])
    stored = ProgramRule.objects.get(ruleset=ruleset, code="TXT")
    assert stored.rate == Decimal("0.01250") and stored.flat_idr is None and stored.available is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY's formats are PostgreSQL's")
@pytest.mark.django_db
def test_a_value_of_the_wrong_kind_fails_the_binary_copy_whole() -> None:
    """Binary COPY takes no text for a number: the batch fails as a whole, writing nothing."""
    now = timezone.now()
    good = (now, "bulk", "test.kind", "t", "1", "", None, None, "", "req", None)
    with pytest.raises(TypeError), transaction.atomic():
        insert_rows(AuditEvent, ("actor_id", *_COLUMNS), [(None, *good), ("seven", *good)])
    assert not AuditEvent.objects.filter(action="test.kind").exists()


@pytest.mark.django_db
def test_insert_rows_with_no_rows_sends_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        insert_rows(AuditEvent, _COLUMNS, [])


def _durability() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
        else:
            cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_an_unflushed_batch_commits_and_leaves_the_connection_as_it_was() -> None:
    before = _durability()
    with atomic_unflushed():
        inside = _durability()
        insert_rows(
            AuditEvent, _COLUMNS, [(timezone.now(), "bulk", "test.batch", "t", "1", "", None, None, "", "", None)]
        )
    assert AuditEvent.objects.filter(action="test.batch").count() == 1  # committed
    assert _durability() == before
    if connection.vendor == "postgresql":
        assert (before, inside) == ("on", "off")
    else:
        assert (before, inside) == ("2", "1")  # FULL outside, NORMAL for the batch


@pytest.mark.django_db(transaction=True)
def test_an_unflushed_batch_that_fails_writes_nothing_and_restores_the_connection() -> None:
    before = _durability()

    def crash_mid_batch() -> None:
        with atomic_unflushed():
            row = (timezone.now(), "bulk", "test.lost", "t", "1", "", None, None, "", "", None)
            insert_rows(AuditEvent, _COLUMNS, [row])
            raise RuntimeError("crash mid-batch")

    with pytest.raises(RuntimeError):
        crash_mid_batch()
    assert not AuditEvent.objects.filter(action="test.lost").exists()
    assert _durability() == before


@pytest.mark.django_db
def test_inside_another_transaction_the_batch_keeps_full_durability() -> None:
    """Nested (here in the test's transaction), it is a savepoint: nothing else of the outer one goes unflushed."""
    before = _durability()
    with atomic_unflushed():
        inside = _durability()
    assert inside == before == ("on" if connection.vendor == "postgresql" else "2")
    assert _durability() == before


class _Node:
    """An object that keeps itself alive through a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_collector_relaxed_freezes_what_lives_and_raises_the_threshold_for_the_block_only() -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collector_relaxed():
        assert gc.get_threshold() == (BULK_GC_THRESHOLD, *threshold[1:])
        assert gc.get_freeze_count() > frozen  # what lived before the block is out of collection
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_collector_relaxed_restores_the_collector_when_the_work_fails() -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), collector_relaxed():
        raise RuntimeError("batch failed")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_collector_relaxed_still_collects_garbage_in_cycles() -> None:
    with collector_relaxed(threshold=100):
        first = _Node()
        alive = weakref.ref(first)
        del first
        # Far more new objects than the threshold: the collector runs on its own, no gc.collect().
        for _ in range(1000):
            _Node()
        assert alive() is None


def test_nested_collector_relaxed_keeps_the_collector_relaxed_until_the_outer_block_ends() -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collector_relaxed():
        with collector_relaxed(threshold=10_000):
            assert gc.get_threshold()[0] == BULK_GC_THRESHOLD  # the first block's
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_freeze_count() > frozen
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_collector_relaxed_in_two_threads_restores_the_defaults_when_the_last_one_ends() -> None:
    # Runs that overlap without nesting (two bulk jobs in a threaded server): A starts, B starts,
    # A ends, B ends. Python's own settings must come back at the end, not A's relaxed ones.
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    a_started, b_started, a_ended = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def run_a() -> None:
        with collector_relaxed():
            a_started.set()
            b_started.wait(5)
        a_ended.set()

    def run_b() -> None:
        a_started.wait(5)
        with collector_relaxed():
            b_started.set()
            a_ended.wait(5)
            seen["b after a ended"] = gc.get_threshold()[0]

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"b after a ended": BULK_GC_THRESHOLD}
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_array_literal_quotes_text_and_writes_numbers_dates_and_nulls_as_they_are() -> None:
    assert array_literal([]) == "{}"
    assert array_literal(["ab12", "Budi Santoso", "a,b", "{x}", 'say "hi"', "back\\slash", ""]) == (
        '{"ab12","Budi Santoso","a,b","{x}","say \\"hi\\"","back\\\\slash",""}'
    )
    assert array_literal([3, -7, None, dt.date(1990, 1, 12)]) == "{3,-7,NULL,1990-01-12}"
    for wrong in (True, 1.5, timezone.now(), b"raw"):
        with pytest.raises(TypeError):
            array_literal([wrong])  # type: ignore[list-item]


# Text as the registry can hold it: no NUL (refused before it reaches a query), any other character.
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="array literals are PostgreSQL's syntax")
@settings(deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), _TEXT), max_size=20),
    numbers=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=20),
    dates=st.lists(st.one_of(st.none(), st.dates()), max_size=20),
)
def test_array_literal_reaches_postgresql_as_the_list_itself(texts, numbers, dates) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::varchar[], %s::bigint[], %s::date[]",
            [array_literal(texts), array_literal(numbers), array_literal(dates)],
        )
        assert cursor.fetchone() == (texts, numbers, dates)


@pytest.mark.django_db
def test_insert_many_unless_conflict_inserts_the_new_rows_and_leaves_the_existing_ones() -> None:
    from rangkul.contributions.models import Account

    Account.objects.create(code="test:kept", name="first", kind="asset")
    rows = [
        Account(code="test:new-1", name="new", kind="asset"),
        Account(code="test:kept", name="second", kind="liability"),
        Account(code="test:new-2", name="new", kind="income"),
    ]
    inserted = insert_many_unless_conflict(rows, conflict=["code"])
    assert [row.code for row in inserted] == ["test:new-1", "test:new-2"]
    assert all(row.pk and not row._state.adding for row in inserted) and rows[1].pk is None
    assert {a.code: (a.pk, a.name) for a in Account.objects.filter(code__startswith="test:")} == {
        "test:kept": (Account.objects.get(code="test:kept").pk, "first"),
        "test:new-1": (rows[0].pk, "new"),
        "test:new-2": (rows[2].pk, "new"),
    }
    assert (
        insert_many_unless_conflict(rows, conflict=["code"]) == []
        and insert_many_unless_conflict([], conflict=["code"]) == []
    )
