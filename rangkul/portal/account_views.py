"""Akun saya: the logged-in member's own record — profile, heirs, mobile number and their data.

Thin views over the registry's services: every change is audited with the member as the actor,
and follows the same rules as registration.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from rangkul.accounts.otp import otp_issue, otp_verify
from rangkul.core.crypto import mask_nik, mask_phone
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.forms import add_service_error
from rangkul.portal.forms import CodeForm, HeirForm, PhoneForm, ProfileForm
from rangkul.regions.forms import REFRESH_FIELD
from rangkul.registry.models import Heir, Relationship, Sex, Worker
from rangkul.registry.selectors import heir_get, heir_list
from rangkul.registry.services import (
    HeirInput,
    heir_add,
    heir_remove,
    heir_update,
    worker_change_phone,
    worker_export_data,
    worker_update,
)
from rangkul.registry.sessions import worker_actor, worker_required

NEW_PHONE_KEY = "portal_new_phone"


# --- Akun saya ----------------------------------------------------------------------------


@worker_required
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    context = {"worker": worker, "programs": worker.programs, "heirs": heir_list(worker=worker)}
    return render(request, "portal/account.html", context)


def _heir_input(data: dict[str, Any]) -> HeirInput:
    return HeirInput(
        full_name=data["full_name"],
        relationship=data["relationship"],
        birth_date=data.get("birth_date"),
        nik=data.get("nik") or "",
        phone=data.get("phone") or "",
    )


@worker_required
@require_http_methods(["GET", "POST"])
def heir_create(request: HttpRequest) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    form = HeirForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            heir_add(actor=worker_actor(worker), worker=worker, data=_heir_input(form.cleaned_data))
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("Heir added."))
            return redirect("portal:account")
    return render(request, "portal/heir_form.html", {"form": form, "heir": None})


def _own_heir(worker: Worker, heir_id: int) -> Heir:
    try:
        return heir_get(worker=worker, heir_id=heir_id)
    except NotFound:
        raise Http404 from None


@worker_required
@require_http_methods(["GET", "POST"])
def heir_edit(request: HttpRequest, heir_id: int) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    heir = _own_heir(worker, heir_id)
    initial = {
        "full_name": heir.full_name,
        "relationship": heir.relationship,
        "birth_date": heir.birth_date,
        "phone": heir.phone,
    }
    form = HeirForm(request.POST or None, initial=initial)
    form.fields["nik"].help_text = _("Leave empty to keep the NIK already recorded (%(nik)s).") % {
        "nik": heir.nik_masked or "—"
    }
    if request.method == "POST" and form.is_valid():
        try:
            heir_update(actor=worker_actor(worker), worker=worker, heir=heir, data=_heir_input(form.cleaned_data))
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("Heir updated."))
            return redirect("portal:account")
    return render(request, "portal/heir_form.html", {"form": form, "heir": heir})


@worker_required
@require_http_methods(["GET", "POST"])
def heir_delete(request: HttpRequest, heir_id: int) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    heir = _own_heir(worker, heir_id)
    if request.method == "POST":
        heir_remove(actor=worker_actor(worker), worker=worker, heir=heir)
        messages.success(request, _("Heir removed."))
        return redirect("portal:account")
    return render(request, "portal/heir_delete.html", {"heir": heir})


PROFILE_FIELDS = {
    # form field → registry field
    "village": "village_code",
    "address": "address",
    "postal_code": "postal_code",
    "occupation": "occupation_code",
    "second_occupation": "second_occupation_code",
    "declared_income_idr": "declared_income_idr",
    "jht": "jht",
    "payment_period_months": "payment_period_months",
}


def _profile_initial(worker: Worker) -> dict[str, Any]:
    return {
        "village": worker.village_id,
        "address": worker.address,
        "postal_code": worker.postal_code,
        "occupation": worker.occupation.code,
        "second_occupation": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "jht": "yes" if worker.jht else "no",
        "payment_period_months": worker.payment_period_months,
    }


@worker_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """The member changes their address, work, income, JHT and payment period (audited, same rules as registering)."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    if request.method == "POST" and REFRESH_FIELD in request.POST:
        form = ProfileForm(initial=request.POST.dict())  # no-JS region picker: next level's choices
    elif request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            changes = {target: data[source] or "" for source, target in PROFILE_FIELDS.items()}
            changes["jht"] = bool(data["jht"])
            changes["payment_period_months"] = int(data["payment_period_months"])
            try:
                worker_update(
                    actor=worker_actor(worker), worker=worker, changes=changes, reason="changed by the member"
                )
            except ApplicationError as error:
                form_names = {v: k for k, v in PROFILE_FIELDS.items()}
                add_service_error(form, error, rename=lambda name: form_names.get(name, name))
            else:
                messages.success(request, _("Your data was saved. Changes apply to the months you pay from now on."))
                return redirect("portal:account")
    else:
        form = ProfileForm(initial=_profile_initial(worker))
    return render(request, "portal/profile_form.html", {"form": form, "worker": worker})


@worker_required
@require_http_methods(["GET", "POST"])
def phone_change(request: HttpRequest) -> HttpResponse:
    """A new number counts only once the code sent to that new number is entered."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    new_phone = request.session.get(NEW_PHONE_KEY, "")
    phone_form = PhoneForm(label_suffix="")
    phone_form.fields["phone"].label = _("New mobile number")
    code_form = CodeForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "send":
            phone_form = PhoneForm(request.POST)
            phone_form.fields["phone"].label = _("New mobile number")
            if phone_form.is_valid():
                candidate = phone_form.cleaned_data["phone"]
                if candidate == worker.phone:
                    phone_form.add_error("phone", _("This is already your number."))
                else:
                    try:
                        otp_issue(phone=candidate, purpose="change_phone")
                    except ApplicationError as error:
                        error.add_to_form(phone_form)
                    else:
                        request.session[NEW_PHONE_KEY] = candidate
                        messages.info(request, _("We sent a code to %(phone)s.") % {"phone": mask_phone(candidate)})
                        return redirect("portal:phone_change")
        elif action == "verify" and new_phone:
            code_form = CodeForm(request.POST)
            if code_form.is_valid():
                try:
                    otp_verify(phone=new_phone, purpose="change_phone", code=code_form.cleaned_data["code"])
                    worker_change_phone(actor=worker_actor(worker), worker=worker, phone=new_phone)
                except ApplicationError as error:
                    error.add_to_form(code_form)
                else:
                    request.session.pop(NEW_PHONE_KEY, None)
                    messages.success(request, _("Your mobile number was changed."))
                    return redirect("portal:account")
    context = {
        "worker": worker,
        "phone_form": phone_form,
        "code_form": code_form,
        "new_phone_masked": mask_phone(new_phone),
    }
    return render(request, "portal/phone_change.html", context)


# What happened to a member's record, in the member's words (the summary beside the JSON file).
HISTORY_LABELS = {
    "registry.worker_registered": gettext_lazy("Registered"),
    "registry.worker_updated": gettext_lazy("Data changed"),
    "registry.worker_phone_changed": gettext_lazy("Mobile number changed"),
    "registry.heir_added": gettext_lazy("Heir added"),
    "registry.heir_updated": gettext_lazy("Heir changed"),
    "registry.heir_removed": gettext_lazy("Heir removed"),
    "registry.worker_data_exported": gettext_lazy("Data downloaded"),
    "registry.worker_nik_revealed": gettext_lazy("NIK shown in full to branch staff"),
    "registry.worker_merged": gettext_lazy("Duplicate record merged"),
    "registry.duplicate_dismissed": gettext_lazy("Possible duplicate checked: not the same person"),
    "partners.member_added": gettext_lazy("Joined through a partner organisation"),
    "contributions.bill_issued": gettext_lazy("Payment code issued"),
}


def _summary_context(worker: Worker, data: dict[str, Any]) -> dict[str, Any]:
    relationships = dict(Relationship.choices)
    history = []
    for event in data["history"]:
        at = dt.datetime.fromisoformat(event["at"])
        history.append({"at": at, "label": HISTORY_LABELS.get(event["action"], event["action"]), "by": event["by"]})
    return {
        "worker": worker,
        "data": data,
        "sex_label": dict(Sex.choices).get(data["sex"], data["sex"]),
        "birth_date": dt.date.fromisoformat(data["birth_date"]),
        "registered_at": dt.datetime.fromisoformat(data["registered_at"]),
        "exported_at": dt.datetime.fromisoformat(data["exported_at"]),
        "heirs": [
            {
                **heir,
                "relationship": relationships.get(heir["relationship"], heir["relationship"]),
                "birth_date": dt.date.fromisoformat(heir["birth_date"]) if heir["birth_date"] else None,
            }
            for heir in data["heirs"]
        ],
        "history": history,
    }


@worker_required
@require_POST
def data_download(request: HttpRequest) -> HttpResponse:
    """All data held about the worker (UU 27/2022 access right): a readable page, or the JSON file.

    The NIK is masked in both: a download lands on a phone that may be shared
    or lost, and the worker has their KTP. Staff can give the full record on request.
    """
    worker: Worker = request.worker  # type: ignore[attr-defined]
    data = worker_export_data(actor=worker_actor(worker), worker=worker)
    data["nik"] = mask_nik(data.get("nik", ""))
    if request.POST.get("format") == "html":
        response = render(request, "portal/my_data.html", _summary_context(worker, data))
        response["Cache-Control"] = "no-store"
        return response
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rangkul-data-{worker.membership_number}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
