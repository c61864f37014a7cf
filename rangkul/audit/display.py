"""The audit log in words: action names, kinds of subject and changed fields as people read them.

Services write machine names (``registry.worker_updated``, ``declared_income_idr``);
the pages show these labels instead. A name without a label is shown as written,
so a new action is never hidden, only less readable until it gets one here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.core.money import format_rupiah

# App prefix → (group name, "every action of this group").
ACTION_GROUPS: dict[str, tuple[Promise, Promise]] = {
    "registry.": (_("Members"), _("All member actions")),
    "contributions.": (_("Contributions"), _("All contribution actions")),
    "payments.": (_("Payments"), _("All payment actions")),
    "partners.": (_("Partners"), _("All partner actions")),
    "accounts.": (_("Staff accounts"), _("All staff account actions")),
    "analytics.": (_("Analytics"), _("All analytics actions")),
    "regions.": (_("Regions"), _("All region actions")),
}

ACTION_LABELS: dict[str, Promise] = {
    "registry.worker_registered": _("Member registered"),
    "registry.worker_updated": _("Member data changed"),
    "registry.worker_phone_changed": _("Mobile number changed"),
    "registry.worker_nik_revealed": _("Full NIK shown"),
    "registry.worker_data_exported": _("Member data downloaded"),
    "registry.worker_merged": _("Duplicate record merged"),
    "registry.duplicate_dismissed": _("Possible duplicate dismissed"),
    "registry.heir_added": _("Heir added"),
    "registry.heir_updated": _("Heir changed"),
    "registry.heir_removed": _("Heir removed"),
    "contributions.bill_issued": _("Bill issued"),
    "contributions.group_bill_issued": _("Group bill issued"),
    "contributions.payment_allocated": _("Payment allocated to months"),
    "contributions.paid_months_repriced": _("Paid months repriced"),
    "contributions.adjustment_proposed": _("Ledger adjustment proposed"),
    "contributions.adjustment_approved": _("Ledger adjustment approved"),
    "contributions.adjustment_rejected": _("Ledger adjustment rejected"),
    "payments.payment_recorded": _("Payment recorded"),
    "payments.receipt_issued": _("Receipt issued"),
    "payments.exception_proposed": _("Payment exception resolution proposed"),
    "payments.exception_resolved": _("Payment exception resolved"),
    "payments.exception_rejected": _("Payment exception resolution rejected"),
    "partners.organisation_created": _("Partner organisation created"),
    "partners.organisation_user_added": _("User added to a partner organisation"),
    "partners.member_added": _("Member added to a partner organisation"),
    "partners.phone_attestation_changed": _("Phone attestation changed"),
    "partners.import_created": _("Import uploaded"),
    "partners.import_resumed": _("Import resumed"),
    "partners.import_completed": _("Import finished"),
    "partners.import_failed": _("Import failed"),
    "partners.import_cancelled": _("Import cancelled"),
    "accounts.user_locked": _("Staff account locked"),
    "accounts.totp_enabled": _("Authenticator app set up"),
    "accounts.totp_reset": _("Authenticator app reset"),
    "accounts.api_key_created": _("API key created"),
    "accounts.api_key_revoked": _("API key revoked"),
    "analytics.coverage_snapshot_taken": _("Coverage snapshot taken"),
    "regions.loaded": _("Region list loaded"),
}

SUBJECT_LABELS: dict[str, Promise] = {
    "registry.worker": _("Member"),
    "registry.heir": _("Heir"),
    "registry.possibleduplicate": _("Possible duplicate"),
    "contributions.bill": _("Bill"),
    "contributions.ledgeradjustment": _("Ledger adjustment"),
    "payments.payment": _("Payment"),
    "payments.receipt": _("Receipt"),
    "payments.paymentexception": _("Payment exception"),
    "partners.organisation": _("Partner organisation"),
    "partners.importjob": _("Import"),
    "partners.membership": _("Partner membership"),
    "accounts.user": _("Staff account"),
    "accounts.apikey": _("API key"),
    "analytics.coveragesnapshot": _("Coverage snapshot"),
    "regions": _("Regions"),
}

FIELD_LABELS: dict[str, Promise] = {
    "nik": _("NIK"),
    "heir_nik": _("Heir's NIK"),
    "full_name": _("Full name"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "phone": _("Mobile number"),
    "phone_verified": _("Mobile number verified"),
    "email": _("Email"),
    "village_code": _("Village"),
    "address": _("Address"),
    "postal_code": _("Postal code"),
    "occupation": _("Occupation"),
    "second_occupation": _("Second occupation"),
    "declared_income_idr": _("Declared monthly income"),
    "jht": _("Old-age savings (JHT)"),
    "payment_period_months": _("Preferred payment period (months)"),
    "branch": _("Branch office"),
    "status": _("Status"),
    "merged_into": _("Merged into"),
    "other": _("Other record"),
    "reason": _("Reason"),
    "relationship": _("Relationship"),
    "amount_idr": _("Amount"),
    "credited_idr": _("Credited"),
    "months": _("Months"),
    "organisation": _("Partner organisation"),
    "name": _("Name"),
    "code": _("Code"),
    "kind": _("Kind"),
    "region": _("Region"),
    "user": _("User"),
}

_SEX = {"M": _("Male"), "F": _("Female")}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def subject_label(subject_type: str) -> str:
    label = SUBJECT_LABELS.get(subject_type)
    return str(label) if label is not None else subject_type


def action_choices() -> list[tuple[Any, Any]]:
    """The action filter's choices: all, then per group "every action" and each action by name."""
    choices: list[tuple[Any, Any]] = [("", _("All actions"))]
    for prefix, (group, every) in ACTION_GROUPS.items():
        actions = sorted(
            ((code, label) for code, label in ACTION_LABELS.items() if code.startswith(prefix)),
            key=lambda item: str(item[1]),
        )
        choices.append((group, [(prefix, every), *actions]))
    return choices


def subject_choices() -> list[tuple[str, Any]]:
    return [("", _("All kinds")), *sorted(SUBJECT_LABELS.items(), key=lambda item: str(item[1]))]


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def format_value(key: str, value: Any) -> str:
    """One stored value as a person reads it (the stored values are already masked)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key.endswith("_idr") and isinstance(value, int):
        return format_rupiah(value)
    if key == "sex" and value in _SEX:
        return str(_SEX[value])
    if isinstance(value, str) and key.endswith(("_date", "_at", "day")):
        try:
            return date_format(dt.date.fromisoformat(value[:10]), "j F Y")
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return "; ".join(f"{field_label(k)}: {format_value(k, v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, item) for item in value)
    return str(value)


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """Each field of an audit row, before and after, in the order the service wrote them."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            field=field_label(key),
            before=format_value(key, before[key]) if key in before else "",
            after=format_value(key, after[key]) if key in after else "",
        )
        for key in keys
    ]
