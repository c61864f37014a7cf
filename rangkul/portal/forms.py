"""Portal forms. Plain Django forms: every one works with JavaScript off.

Field-level checks here give early, friendly feedback; the registration service
re-checks everything (one implementation of every rule) and its errors are shown
on the step that holds the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.core.money import format_rupiah, parse_rupiah
from rangkul.regions.forms import RegionPickerMixin
from rangkul.registry import identity
from rangkul.registry.eligibility import registration_rules
from rangkul.registry.models import Relationship, Sex
from rangkul.registry.selectors import occupation_list

PAYMENT_PERIODS = [
    (1, _("Every month")),
    (3, _("Every 3 months")),
    (6, _("Every 6 months")),
    (12, _("Every 12 months")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# A browser without a date picker shows a text box: accept the day-first dates people write.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
OLDEST_BIRTH_YEAR = 1900


class RupiahField(forms.IntegerField):
    """Whole rupiah typed the Indonesian way: ``1500000``, ``1.500.000`` or ``Rp1.500.000``."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        amount = parse_rupiah(str(value))
        if amount is None:
            raise forms.ValidationError(
                _("Write the amount in rupiah, for example 1.500.000 or Rp1.500.000."), code="invalid"
            )
        return amount


def _digits_attrs(maxlength: int, autocomplete: str = "off") -> dict[str, str]:
    return {"inputmode": "numeric", "autocomplete": autocomplete, "maxlength": str(maxlength)}


class PhoneField(forms.CharField):
    """An Indonesian mobile number, cleaned to E.164 with the registry's rules."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("help_text", _("We send a 6-digit code to this number by SMS."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(max_length=20, **kwargs)

    def clean(self, value: Any) -> str:
        raw = super().clean(value)
        if not raw:
            return ""
        try:
            return identity.phone_normalize(raw)
        except identity.PhoneInvalid as exc:
            raise forms.ValidationError(str(exc.message)) from None


class IdentityForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK (16 digits on your KTP)"),
        max_length=20,
        widget=forms.TextInput(attrs=_digits_attrs(20)),
    )
    full_name = forms.CharField(
        label=_("Full name as on the KTP"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), input_formats=DATE_INPUT_FORMATS, widget=DateInput(attrs={"autocomplete": "bday"})
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)

    def clean_full_name(self) -> str:
        value: str = self.cleaned_data["full_name"]
        errors = identity.name_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return identity.name_normalize(value)

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        limits = registration_rules(today)
        errors = identity.age_errors(value, today=today, min_age=limits.min_age, max_age=limits.max_age)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "nik" not in cleaned:
            return cleaned
        check = identity.nik_check(cleaned["nik"], birth_date=cleaned.get("birth_date"), sex=cleaned.get("sex", ""))
        for name, messages in check.fields.items():
            target = name if name in self.fields else "nik"
            if target in self.errors:
                continue
            for message in messages:
                self.add_error(target, str(message))
        if check.facts is not None:
            cleaned["nik"] = check.facts.nik
        return cleaned


class PhoneForm(forms.Form):
    phone = PhoneField()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        help_text=_("6 digits, valid for 5 minutes."),
        widget=forms.TextInput(attrs=_digits_attrs(12, "one-time-code")),
    )


class AddressForm(RegionPickerMixin):
    address = forms.CharField(
        label=_("Address as on the KTP (street, RT/RW)"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=5,
        min_length=5,
        required=False,
        widget=forms.TextInput(attrs=_digits_attrs(5, "postal-code")),
    )

    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_postal_code(self) -> str:
        value: str = (self.cleaned_data.get("postal_code") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("A postal code has 5 digits."))
        return value


class WorkForm(forms.Form):
    occupation = forms.ChoiceField(label=_("Main occupation"))
    second_occupation = forms.ChoiceField(label=_("Second occupation (optional)"), required=False)
    declared_income_idr = RupiahField(
        label=_("Monthly income (Rp)"),
        max_value=1_000_000_000,
        help_text=_(
            "At least Rp1.000.000, for example 1.500.000. Contributions are counted on the income level at or "
            "below this amount."
        ),
    )
    jht = forms.TypedChoiceField(
        label=_("Join old-age savings (JHT)?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=_("JHT is optional savings for old age: 2% of your income each month, paid back to you later."),
    )
    payment_period_months = forms.TypedChoiceField(
        label=_("How often will you pay?"), choices=PAYMENT_PERIODS, coerce=int, widget=forms.RadioSelect, initial=1
    )
    branch = forms.ModelChoiceField(
        label=_("Branch office (optional)"),
        queryset=BranchOffice.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— the branch for my region —"),
        to_field_name="code",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        occupations = [(o.code, o.name) for o in occupation_list()]
        self.fields["occupation"].choices = [("", _("— choose —")), *occupations]  # type: ignore[attr-defined]
        self.fields["second_occupation"].choices = [("", _("— none —")), *occupations]  # type: ignore[attr-defined]

    def clean_declared_income_idr(self) -> Any:
        value = self.cleaned_data["declared_income_idr"]
        lowest = registration_rules(timezone.localdate()).lowest_income_idr  # the rule table's lowest level
        if value is not None and value < lowest:
            raise forms.ValidationError(
                _("The declared income must be at least %(amount)s.") % {"amount": format_rupiah(lowest)}
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("occupation"), cleaned.get("second_occupation")
        if first and second and first == second:
            self.add_error("second_occupation", _("The second occupation must differ from the first."))
        return cleaned


class HeirForm(forms.Form):
    full_name = forms.CharField(label=_("Heir's full name"), max_length=150)
    relationship = forms.ChoiceField(
        label=_("Relationship to you"), choices=[("", _("— choose —")), *Relationship.choices]
    )
    birth_date = forms.DateField(
        label=_("Heir's date of birth (optional)"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )
    nik = forms.CharField(
        label=_("Heir's NIK (optional)"), max_length=20, required=False, widget=forms.TextInput(attrs=_digits_attrs(20))
    )
    phone = forms.CharField(
        label=_("Heir's mobile number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    def clean_full_name(self) -> str:
        value: str = self.cleaned_data["full_name"]
        errors = identity.name_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return identity.name_normalize(value)

    def clean_birth_date(self) -> Any:
        # Checked here, where the date is typed, not only when the whole registration is sent.
        value = self.cleaned_data.get("birth_date")
        if value is None:
            return None
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if value.year < OLDEST_BIRTH_YEAR:
            raise forms.ValidationError(_("Check the year of birth."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        nik = (cleaned.get("nik") or "").strip()
        if nik:
            check = identity.nik_check(nik, birth_date=cleaned.get("birth_date"), sex="")
            for name, messages in check.fields.items():
                target = name if name in self.fields else "nik"
                for message in messages:
                    self.add_error(target, str(message))
            if check.facts is not None:
                cleaned["nik"] = check.facts.nik
        phone = (cleaned.get("phone") or "").strip()
        if phone:
            normalized, messages = identity.phone_errors(phone)
            for message in messages:
                self.add_error("phone", str(message))
            cleaned["phone"] = normalized
        return cleaned


class ProfileForm(AddressForm, WorkForm):
    """What a member may change about themselves: where they live, their work, income and JHT.

    Identity (NIK, name, date of birth, sex) is changed only at the branch, with the KTP;
    the mobile number has its own page, because a new one must receive a code first.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["branch"]
        del self.fields["email"]
