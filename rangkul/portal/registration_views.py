"""The worker portal's registration wizard: mobile number first, then identity, address, work, heirs, review.

The mobile number is verified by a one-time code before anything else, so that every answer about
a NIK ("already registered") goes to a verified number and is counted against it
(``nik_answers``; ADR 0043). Views are thin: they validate forms, call the registry and OTP
services, and show a service's errors on the step that holds the field. Every step is a plain
form flow that works with JavaScript off; htmx (the region picker) only makes it smoother.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from rangkul.accounts.otp import otp_issue, otp_verify
from rangkul.audit.actors import Actor
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import pay_options_for_worker
from rangkul.core.crypto import mask_nik, mask_phone
from rangkul.core.errors import ApplicationError
from rangkul.core.forms import add_field_errors
from rangkul.core.middleware import client_ip
from rangkul.core.periods import Period, period_range
from rangkul.portal import nik_answers
from rangkul.portal import wizard as wz
from rangkul.portal.forms import AddressForm, CodeForm, HeirForm, IdentityForm, PhoneForm, WorkForm
from rangkul.regions.forms import REFRESH_FIELD
from rangkul.regions.selectors import district_exists, village_get
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import Relationship, Sex, programs_for
from rangkul.registry.selectors import branch_office_find, occupation_find, occupation_list, worker_find_by_id
from rangkul.registry.services import HeirInput, RegistrationInput, worker_register
from rangkul.registry.sessions import portal_login, portal_worker

STEP_TITLES = {
    "kontak": gettext_lazy("Mobile number"),
    "identitas": gettext_lazy("Identity"),
    "alamat": gettext_lazy("Address"),
    "pekerjaan": gettext_lazy("Work and contributions"),
    "ahli-waris": gettext_lazy("Heirs"),
    "periksa": gettext_lazy("Check and send"),
}
REGISTERED_KEY = "portal_registered_id"


def _step_context(step: str, **extra: Any) -> dict[str, Any]:
    index = wz.STEPS.index(step)
    steps = [{"slug": slug, "title": STEP_TITLES[slug], "number": i + 1} for i, slug in enumerate(wz.STEPS)]
    return {
        "step": step,
        "step_title": STEP_TITLES[step],
        "step_number": index + 1,
        "step_count": len(wz.STEPS),
        "steps": steps,
        "previous_step": wz.STEPS[index - 1] if index else None,
        **extra,
    }


def _next(step: str) -> HttpResponse:
    return redirect("portal:register_step", step=wz.STEPS[wz.STEPS.index(step) + 1])


@require_http_methods(["GET"])
def register_start(request: HttpRequest) -> HttpResponse:
    wizard = wz.Wizard(request.session)
    if request.GET.get("ref"):
        # The referral code of a flyer's QR code or a shared link, kept until the registration is sent.
        wizard.state["ref"] = request.GET["ref"][:20]
        wizard.save()
    return redirect("portal:register_step", step=wizard.first_open_step())


@require_http_methods(["GET", "POST"])
def register_step(request: HttpRequest, step: str) -> HttpResponse:
    if step not in wz.STEPS:
        raise Http404
    wizard = wz.Wizard(request.session)
    if not wizard.can_open(step):
        return redirect("portal:register_step", step=wizard.first_open_step())
    handler = {
        "kontak": _step_contact,
        "identitas": _step_identity,
        "alamat": _step_address,
        "pekerjaan": _step_work,
        "ahli-waris": _step_heirs,
        "periksa": _step_review,
    }[step]
    return handler(request, wizard)


def _identity_data(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "nik": wz.open_nik(stored.get("nik_sealed", "")),
        "full_name": stored.get("full_name", ""),
        "birth_date": stored.get("birth_date", ""),
        "sex": stored.get("sex", ""),
    }


def _step_identity(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "identitas"
    if not wizard.verified_phone():
        # Nothing about a NIK is said, or even checked, before a number is verified by a code.
        return redirect("portal:register_step", step="kontak")
    if request.method == "POST":
        form = IdentityForm(request.POST)
        if form.is_valid() and nik_answers.taken_early(request, wizard, form.cleaned_data["nik"]):
            if nik_answers.code_allowance_spent(wizard):
                messages.error(request, _("For your safety, please verify your mobile number again."))
                return redirect("portal:register_step", step="kontak")
            form.add_error("nik", _nik_taken_message())
            return render(request, "portal/register/identity.html", _identity_context(wizard, form, nik_taken=True))
        if form.is_valid():
            data = form.cleaned_data
            wizard.put(
                step,
                {
                    "nik_sealed": wz.seal_nik(data["nik"]),
                    "full_name": data["full_name"],
                    "birth_date": data["birth_date"].isoformat(),
                    "sex": data["sex"],
                },
            )
            return _next(step)
    else:
        stored = _identity_data(wizard.get(step))
        errors = wizard.pop_errors(step)
        nik_taken = _nik_taken_message() in errors.get("nik", [])
        form = IdentityForm(stored) if errors else IdentityForm(initial=stored)
        add_field_errors(form, errors)
        return render(request, "portal/register/identity.html", _identity_context(wizard, form, nik_taken=nik_taken))
    return render(request, "portal/register/identity.html", _identity_context(wizard, form))


def _identity_context(wizard: wz.Wizard, form: IdentityForm, *, nik_taken: bool = False) -> dict[str, Any]:
    return _step_context("identitas", form=form, nik_taken=nik_taken, phone_masked=mask_phone(wizard.verified_phone()))


def _nik_taken_message() -> str:
    return _("This NIK cannot be registered again: log in, or contact the branch office.")


def _step_contact(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "kontak"
    stored = wizard.get(step)
    phone = stored.get("phone", "")
    phone_form = PhoneForm(initial={"phone": phone})
    code_form = CodeForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "send":
            phone_form = PhoneForm(request.POST)
            if phone_form.is_valid():
                new_phone = phone_form.cleaned_data["phone"]
                try:
                    otp_issue(phone=new_phone, purpose="register", client_ip=client_ip(request))
                except ApplicationError as error:
                    error.add_to_form(phone_form)
                else:
                    # A new code, even to the same number: the NIK and any answer about it go.
                    wizard.phone_unverified(phone=new_phone, sent=True)
                    messages.info(
                        request,
                        _("We sent a code to %(phone)s. It may take a minute.") % {"phone": mask_phone(new_phone)},
                    )
                    return redirect("portal:register_step", step=step)
        elif action == "verify" and phone:
            code_form = CodeForm(request.POST)
            if code_form.is_valid():
                try:
                    otp_verify(phone=phone, purpose="register", code=code_form.cleaned_data["code"])
                except ApplicationError as error:
                    error.add_to_form(code_form)
                else:
                    wizard.put(step, {"phone": phone, "sent": True, "verified": True})
                    return _next(step)
        elif action == "continue" and stored.get("verified"):
            wizard.put(step, stored)
            return _next(step)
    else:
        errors = wizard.pop_errors(step)
        if errors:
            phone_form = PhoneForm({"phone": phone})
            add_field_errors(phone_form, errors)
    context = _step_context(
        step,
        phone_form=phone_form,
        code_form=code_form,
        phone=phone,
        phone_masked=mask_phone(phone),
        sent=bool(stored.get("sent")),
        verified=bool(stored.get("verified")),
    )
    return render(request, "portal/register/contact.html", context)


def _step_address(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "alamat"
    stored = wizard.get(step)
    if request.method == "POST":
        if REFRESH_FIELD in request.POST:
            # No-JS region picker: show the next level's choices, save nothing.
            form = AddressForm(initial=request.POST.dict())
        else:
            form = AddressForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                wizard.put(
                    step,
                    {
                        "village": data["village"],
                        "address": data["address"],
                        "postal_code": data["postal_code"],
                        "email": data["email"],
                    },
                )
                return _next(step)
    else:
        errors = wizard.pop_errors(step)
        proposed = {} if stored else _region_from_nik(wz.open_nik(wizard.get("identitas").get("nik_sealed", "")))
        form = AddressForm(stored) if errors else AddressForm(initial=stored or proposed)
        add_field_errors(form, errors)
        return render(
            request,
            "portal/register/address.html",
            _step_context(step, form=form, region_proposed=bool(proposed.get("district"))),
        )
    return render(request, "portal/register/address.html", _step_context(step, form=form))


def _region_from_nik(nik: str) -> dict[str, str]:
    """The province, regency and district a NIK's first six digits name (where the KTP was issued).

    Only a proposal: most people still live there, and the picker lets them change it. Codes not
    in the region list fall away in the picker itself.
    """
    digits = nik[:6]
    if len(digits) != 6 or not digits.isdigit():
        return {}
    district = f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}"
    if not district_exists(district):
        return {}
    return {"province": district[:2], "regency": district[:5], "district": district}


def _work_initial(stored: dict[str, Any]) -> dict[str, Any]:
    if not stored:
        return {"payment_period_months": 1}
    return {**stored, "jht": "yes" if stored.get("jht") else "no"}


def _step_work(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "pekerjaan"
    stored = wizard.get(step)
    if request.method == "POST":
        form = WorkForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            wizard.put(
                step,
                {
                    "occupation": data["occupation"],
                    "second_occupation": data["second_occupation"] or "",
                    "declared_income_idr": data["declared_income_idr"],
                    "jht": bool(data["jht"]),
                    "payment_period_months": int(data["payment_period_months"]),
                    "branch": data["branch"].code if data["branch"] else "",
                },
            )
            return _next(step)
    else:
        errors = wizard.pop_errors(step)
        initial = _work_initial(stored)
        form = WorkForm(initial) if errors else WorkForm(initial=initial)
        add_field_errors(form, errors)
    return render(request, "portal/register/work.html", _step_context(step, form=form))


def _heir_rows(heirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = dict(Relationship.choices)
    return [
        {
            "index": index,
            "full_name": heir["full_name"],
            "relationship": labels.get(heir["relationship"], heir["relationship"]),
            "birth_date": wz.parse_date(heir.get("birth_date")),
            "nik_masked": mask_nik(wz.open_nik(heir.get("nik_sealed", ""))),
        }
        for index, heir in enumerate(heirs)
    ]


def _heir_error_lines(errors: dict[str, list[str]]) -> list[str]:
    """``heirs.1.nik: [...]`` from the registration service → "Heir 2: …" lines."""
    lines: list[str] = []
    for name, field_messages in errors.items():
        parts = name.split(".")
        prefix = ""
        if len(parts) >= 2 and parts[1].isdigit():
            prefix = _("Heir %(number)s: ") % {"number": int(parts[1]) + 1}
        lines.extend(f"{prefix}{message}" for message in field_messages)
    return lines


def _step_heirs(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "ahli-waris"
    heirs: list[dict[str, Any]] = wizard.state.setdefault("heirs", [])
    form = HeirForm()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add":
            form = HeirForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                heirs.append(
                    {
                        "full_name": data["full_name"],
                        "relationship": data["relationship"],
                        "birth_date": data["birth_date"].isoformat() if data["birth_date"] else "",
                        "nik_sealed": wz.seal_nik(data.get("nik") or ""),
                        "phone": data.get("phone") or "",
                    }
                )
                wizard.undo(step)
                messages.success(request, _("Heir added."))
                return redirect("portal:register_step", step=step)
        elif action == "remove":
            with contextlib.suppress(ValueError, IndexError):
                heirs.pop(int(request.POST.get("index", "")))
            wizard.undo(step)
            return redirect("portal:register_step", step=step)
        elif action == "next":
            wizard.put(step, {"count": len(heirs)})
            return _next(step)
    else:
        errors = wizard.pop_errors(step)
    context = _step_context(step, form=form, heirs=_heir_rows(heirs), service_errors=_heir_error_lines(errors))
    return render(request, "portal/register/heirs.html", context)


def _registration_input(wizard: wz.Wizard) -> RegistrationInput:
    identity = wizard.get("identitas")
    address = wizard.get("alamat")
    work = wizard.get("pekerjaan")
    return RegistrationInput(
        nik=wz.open_nik(identity.get("nik_sealed", "")),
        full_name=identity.get("full_name", ""),
        birth_date=wz.parse_date(identity.get("birth_date")),
        sex=identity.get("sex", ""),
        phone=wizard.get("kontak").get("phone", ""),
        village_code=address.get("village", ""),
        address=address.get("address", ""),
        postal_code=address.get("postal_code", ""),
        email=address.get("email", ""),
        occupation_code=work.get("occupation", ""),
        second_occupation_code=work.get("second_occupation", ""),
        declared_income_idr=int(work.get("declared_income_idr") or 0),
        jht=bool(work.get("jht")),
        payment_period_months=int(work.get("payment_period_months") or 1),
        heirs=[
            HeirInput(
                full_name=heir["full_name"],
                relationship=heir["relationship"],
                birth_date=wz.parse_date(heir.get("birth_date")),
                nik=wz.open_nik(heir.get("nik_sealed", "")),
                phone=heir.get("phone", ""),
            )
            for heir in wizard.state.get("heirs", [])
        ],
    )


def _summary(wizard: wz.Wizard) -> dict[str, Any]:
    data = _registration_input(wizard)
    occupations = {o.code: o.name for o in occupation_list(active_only=False)}
    village = village_get(data.village_code)
    branch_code = wizard.get("pekerjaan").get("branch", "")
    branch = branch_office_find(code=branch_code)
    return {
        "data": data,
        "nik_masked": mask_nik(data.nik),
        "phone_masked": mask_phone(data.phone),
        "sex_label": dict(Sex.choices).get(data.sex, ""),
        "village": village,
        "occupation": occupations.get(data.occupation_code, ""),
        "second_occupation": occupations.get(data.second_occupation_code, ""),
        "programs": programs_for(jht=data.jht),
        "branch": branch,
        "heirs": _heir_rows(wizard.state.get("heirs", [])),
        "price": _registration_price(data),
    }


def _registration_price(data: RegistrationInput) -> dict[str, Any] | None:
    """What the worker will pay: the first month's amount and one payment of their chosen period."""
    occupation = occupation_find(code=data.occupation_code)
    if occupation is None:
        return None
    months = data.payment_period_months or 1
    try:
        quotes = [
            contribution_quote(
                declared_income_idr=data.declared_income_idr, jht=data.jht, sector=occupation.sector, month=period
            )
            for period in period_range(Period.of(timezone.localdate()), months)
        ]
    except ApplicationError:
        return None
    total = sum(q.total_idr for q in quotes)
    return {
        "monthly": quotes[0],
        "months": months,
        "total_idr": total,
        # When a discount ends within the period the months differ: each is then listed.
        "uniform": total == months * quotes[0].total_idr,
        "per_month": [{"period": q.period, "total_idr": q.total_idr} for q in quotes],
    }


def _step_review(request: HttpRequest, wizard: wz.Wizard) -> HttpResponse:
    step = "periksa"
    phone = wizard.verified_phone()
    if not phone:
        return redirect("portal:register_step", step="kontak")
    error_message = ""
    if request.method == "POST" and nik_answers.phone_allowance_spent(phone=phone):
        # Whatever the NIK: this number has been told "already registered" often enough today.
        error_message = _(
            "This mobile number cannot be used for more registrations today. "
            "Please try again tomorrow, or contact the branch office."
        )
    elif request.method == "POST":
        branch_code = wizard.get("pekerjaan").get("branch", "")
        branch = branch_office_find(code=branch_code, active_only=True)
        try:
            worker = worker_register(
                actor=Actor.system("portal"),
                data=_registration_input(wizard),
                channel="portal",
                phone_verified=True,
                branch=branch,
                referral_code=str(wizard.state.get("ref", "")),
            )
        except ApplicationError as error:
            fields = error.fields
            if error.code == RegistryErrorCode.NIK_REGISTERED:
                nik_answers.phone_answer_given(phone=phone)
                if nik_answers.code_allowance_spent(wizard):
                    messages.error(request, _("For your safety, please verify your mobile number again."))
                    return redirect("portal:register_step", step="kontak")
                fields = {"nik": [_nik_taken_message()]}
            grouped = wz.errors_by_step(fields)
            first = next((s for s in wz.STEPS if s in grouped and s != step), None)
            if first is None:
                error_message = str(error.message)
            else:
                wizard.set_errors({s: e for s, e in grouped.items() if s != step})
                messages.error(request, _("Please correct the marked fields."))
                return redirect("portal:register_step", step=first)
        else:
            wizard.clear()
            # The mobile number was verified with a code on the way: the new member is signed in
            # and can pay at once, without a second code.
            portal_login(request, worker)
            request.session[REGISTERED_KEY] = worker.pk
            return redirect("portal:register_done")
    context = _step_context(step, error_message=error_message, **_summary(wizard))
    return render(request, "portal/register/review.html", context)


@require_http_methods(["GET"])
def register_done(request: HttpRequest) -> HttpResponse:
    worker_id = request.session.get(REGISTERED_KEY)
    worker = worker_find_by_id(worker_id=worker_id)
    if worker is None:
        return redirect("portal:register")
    try:
        prices = pay_options_for_worker(worker=worker, lengths=[worker.payment_period_months])
    except ApplicationError:
        prices = {"monthly": None, "options": []}
    context = {
        "worker": worker,
        "programs": worker.programs,
        "signed_in": portal_worker(request) is not None,
        "phone_masked": mask_phone(worker.phone),
        "monthly": prices["monthly"],
        "option": prices["options"][0] if prices["options"] else None,
    }
    return render(request, "portal/register/done.html", context)
