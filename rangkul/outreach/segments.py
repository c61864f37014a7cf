"""Campaign segments: who a campaign is for, as one set-based query over the member tables.

A segment is stored as JSON on the campaign (``Segment.as_dict``) and evaluated when it
is counted (the create and preview pages) and again when the campaign is approved, so
the count staff approve is the live one. Every segment leaves out merged records,
members without a mobile number and numbers that opted out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rangkul.contributions.models import MemberStatusValue
from rangkul.core.errors import ValidationFailed
from rangkul.messaging.optout import opted_out_numbers
from rangkul.registry.models import Worker, WorkerStatus


class SegmentStatus:
    NEVER_PAID = "never_paid"
    ACTIVE = "active"
    IN_ARREARS = "in_arrears"
    LAPSED = "lapsed"
    CHOICES = (
        (NEVER_PAID, _("Registered, never paid")),
        (ACTIVE, _("Active")),
        (IN_ARREARS, _("In arrears")),
        (LAPSED, _("Membership ended recently")),
    )
    VALUES = frozenset(value for value, _label in CHOICES)


@dataclass(frozen=True)
class Segment:
    regions: tuple[str, ...] = ()  # province, regency, district or village codes (dotted)
    occupations: tuple[str, ...] = ()
    sex: str = ""  # "M", "F" or "" for both
    min_age: int | None = None
    max_age: int | None = None
    statuses: tuple[str, ...] = ()
    lapsed_within_days: int = 90
    partner: str = ""  # organisation code the members were registered through (stored lower case)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regions"] = list(self.regions)
        data["occupations"] = list(self.occupations)
        data["statuses"] = list(self.statuses)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        segment = cls(
            regions=tuple(str(c).strip() for c in data.get("regions") or () if str(c).strip()),
            occupations=tuple(str(c).strip() for c in data.get("occupations") or () if str(c).strip()),
            sex=str(data.get("sex") or ""),
            min_age=_int_or_none(data.get("min_age")),
            max_age=_int_or_none(data.get("max_age")),
            statuses=tuple(str(s) for s in data.get("statuses") or ()),
            lapsed_within_days=_int_or_none(data.get("lapsed_within_days")) or 90,
            partner=str(data.get("partner") or "").strip().lower(),
        )
        segment.validate()
        return segment

    def validate(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.sex not in {"", "M", "F"}:
            errors["sex"] = [_("Choose male, female or both.")]
        if any(s not in SegmentStatus.VALUES for s in self.statuses):
            errors["statuses"] = [_("Unknown membership status.")]
        for name in ("min_age", "max_age"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 120:
                errors[name] = [_("An age is between 0 and 120.")]
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["max_age"] = [_("The highest age must not be below the lowest.")]
        if not 1 <= self.lapsed_within_days <= 3660:
            errors["lapsed_within_days"] = [_("Enter a number of days between 1 and 3660.")]
        if errors:
            raise ValidationFailed(_("Check the segment."), fields=errors)


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter whole numbers for ages and days.")) from None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def segment_workers(segment: Segment, *, today: dt.date) -> QuerySet[Worker]:
    """The members the segment reaches today (opt-outs and unreachable records left out)."""
    members = Worker.objects.filter(status=WorkerStatus.ACTIVE).exclude(phone="").exclude(phone__in=opted_out_numbers())
    if segment.regions:
        where = Q()
        for code in segment.regions:
            where |= Q(village_id=code) | Q(village__code__startswith=f"{code}.")
        members = members.filter(where)
    if segment.occupations:
        members = members.filter(occupation__code__in=segment.occupations)
    if segment.sex:
        members = members.filter(sex=segment.sex)
    if segment.min_age is not None:
        # At least min_age years old today: born on or before today minus min_age years.
        members = members.filter(birth_date__lte=_years_before(today, segment.min_age))
    if segment.max_age is not None:
        # At most max_age: the (max_age + 1)th birthday is still to come.
        members = members.filter(birth_date__gt=_years_before(today, segment.max_age + 1))
    if segment.partner:
        members = members.filter(registered_by_organisation=segment.partner.strip().lower())
    if segment.statuses:
        where = Q()
        if SegmentStatus.NEVER_PAID in segment.statuses:
            where |= Q(contribution_status__isnull=True) | Q(contribution_status__status=MemberStatusValue.REGISTERED)
        if SegmentStatus.ACTIVE in segment.statuses:
            where |= Q(contribution_status__status=MemberStatusValue.ACTIVE)
        if SegmentStatus.IN_ARREARS in segment.statuses:
            where |= Q(contribution_status__status=MemberStatusValue.IN_ARREARS)
        if SegmentStatus.LAPSED in segment.statuses:
            where |= Q(
                contribution_status__status=MemberStatusValue.ENDED,
                contribution_status__since__gte=today - dt.timedelta(days=segment.lapsed_within_days),
            )
        members = members.filter(where)
    return members.order_by()


def segment_count(segment: Segment, *, today: dt.date) -> int:
    return segment_workers(segment, today=today).count()
