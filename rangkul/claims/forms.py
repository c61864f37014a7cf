from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.claims.models import CheckEvidence, ChildSchoolStatus, ClaimEvent, ClaimProgram, DocumentKind

RELATIONSHIP_CHOICES = [
    ("self", _("The member")),
    ("spouse", _("Spouse")),
    ("child", _("Child")),
    ("parent", _("Parent")),
    ("grandchild", _("Grandchild")),
    ("grandparent", _("Grandparent")),
    ("sibling", _("Brother or sister")),
    ("parent_in_law", _("Parent-in-law")),
    ("named_in_will", _("Person named in a will")),
    ("funeral_arranger", _("Whoever arranged the funeral")),
]


class ClaimFileForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"), choices=ClaimProgram.choices)
    event = forms.ChoiceField(label=_("Event"), choices=ClaimEvent.choices)
    event_date = forms.DateField(label=_("Event date"), widget=forms.DateInput(attrs={"type": "date"}))
    event_place = forms.CharField(label=_("Event place"), max_length=200, required=False)
    event_description = forms.CharField(
        label=_("What happened"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    months_unable = forms.IntegerField(label=_("Months unable to work (JKK)"), min_value=1, max_value=120, initial=1)
    claimant_name = forms.CharField(label=_("Claimant's full name"), max_length=150)
    claimant_relationship = forms.ChoiceField(label=_("Claimant's relationship"), choices=RELATIONSHIP_CHOICES)
    claimant_phone = forms.CharField(label=_("Claimant's mobile number"), max_length=20, required=False)
    claimant_npwp = forms.CharField(label=_("Claimant's tax number (NPWP)"), max_length=20, required=False)
    bank_code = forms.CharField(label=_("Bank"), max_length=20, required=False)
    bank_account_number = forms.CharField(label=_("Account number"), max_length=30, required=False)


class ProposeForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Propose approval")), ("reject", _("Propose rejection"))])
    note = forms.CharField(label=_("Documents checked and reason"), max_length=1000)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Reason"), max_length=1000)


class RetryForm(forms.Form):
    bank_code = forms.CharField(label=_("Bank"), max_length=20)
    bank_account_number = forms.CharField(label=_("Account number"), max_length=30)
    note = forms.CharField(label=_("Reason"), max_length=1000)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("Photo or PDF"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf", "capture": "environment"}),
    )


def _photo(label: Any) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf", "capture": "environment"}),
    )


class HeirClaimForm(forms.Form):
    membership_number = forms.CharField(label=_("Member's membership number (KPJ)"), max_length=11)
    member_birth_date = forms.DateField(
        label=_("Member's date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    program = forms.ChoiceField(
        label=_("Program"), choices=[("JKM", _("Death (JKM)")), ("JKK", _("Work accident (JKK)"))]
    )
    event = forms.ChoiceField(label=_("Event"), choices=[("death", _("Death"))])
    event_date = forms.DateField(label=_("Date of death"), widget=forms.DateInput(attrs={"type": "date"}))
    event_place = forms.CharField(label=_("Place of death"), max_length=200, required=False)
    claimant_name = forms.CharField(label=_("Your full name"), max_length=150)
    claimant_relationship = forms.ChoiceField(
        label=_("You are the member's"), choices=[c for c in RELATIONSHIP_CHOICES if c[0] != "self"]
    )
    claimant_phone = forms.CharField(label=_("Your mobile number"), max_length=20)
    claimant_npwp = forms.CharField(
        label=_("Your tax number (NPWP), for payouts above Rp50.000.000"), max_length=20, required=False
    )
    bank_code = forms.CharField(label=_("Bank"), max_length=20)
    bank_account_number = forms.CharField(label=_("Account number in your name"), max_length=30)
    death_certificate = _photo(_("Photo of the death certificate"))
    ktp_heir = _photo(_("Photo of your identity card (KTP)"))
    family_card = _photo(_("Photo of the family card (KK)"))
    bank_book = _photo(_("Photo of your bank book"))


class TrackForm(forms.Form):
    claim_number = forms.CharField(label=_("Claim number"), max_length=20)
    phone = forms.CharField(label=_("Your mobile number"), max_length=20)


LEVEL_CHOICES = [
    ("tk_sd", _("Kindergarten or primary school (TK/SD)")),
    ("smp", _("Junior secondary school (SMP)")),
    ("sma", _("Senior secondary school (SMA/SMK)")),
    ("university", _("University or vocational college")),
]


class ScholarshipCheckForm(forms.Form):
    """The yearly check of one scholarship year: evidence, then each child's situation and level."""

    instalment = forms.IntegerField(widget=forms.HiddenInput, min_value=2)
    evidence = forms.ChoiceField(label=_("How the check was made"), choices=CheckEvidence.choices)
    document = forms.TypedChoiceField(
        label=_("Proof of school enrolment on this claim"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label=_("What was checked"), max_length=1000)

    def __init__(self, *args: Any, children: Sequence[int] = (), documents: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.children = list(children)
        document = self.fields["document"]
        assert isinstance(document, forms.TypedChoiceField)  # noqa: S101 - narrows the type for mypy
        document.choices = [("", "—"), *((d.pk, f"{d.get_kind_display()} #{d.pk}") for d in documents)]
        for child in self.children:
            self.fields[f"child_{child}_status"] = forms.ChoiceField(
                label=_("Child %(n)s") % {"n": child}, choices=ChildSchoolStatus.choices
            )
            self.fields[f"child_{child}_level"] = forms.ChoiceField(
                label=_("Child %(n)s: level now") % {"n": child}, choices=LEVEL_CHOICES, required=False
            )


class RecalculateForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=1000)
