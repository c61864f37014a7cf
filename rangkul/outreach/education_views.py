"""Education pages: the public ``/edukasi/`` (no JavaScript, small) and the staff editor with preview."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.outreach.campaigns import RUN_PERMISSION
from rangkul.outreach.education import (
    HOTLINE,
    PLACEHOLDERS,
    comparison_sentence,
    comparisons,
    education_get_published,
    education_page_publish,
    education_page_save,
    education_page_unpublish,
    education_published,
    page_text,
)
from rangkul.outreach.facts import facts_current
from rangkul.outreach.models import EducationPage


@require_GET
def education_index(request: HttpRequest) -> HttpResponse:
    """What the programmes pay (from the rules), what a month costs compared with everyday things, the pages."""
    facts = facts_current()
    pages = list(education_published())
    context = {
        "facts": facts,
        "comparisons": [comparison_sentence(facts.price_idr, c) for c in comparisons(facts.price_idr)] if facts else [],
        "guides": [(p, page_text(p, None).title) for p in pages if not p.occupation],
        "examples": [(p, page_text(p, None).title) for p in pages if p.occupation],
        "hotline": HOTLINE,
    }
    return render(request, "outreach/education_index.html", context)


@require_GET
def education_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = education_get_published(slug=slug)
    if page is None:
        raise Http404(_("Page not found."))
    return render(request, "outreach/education_page.html", {"page": page_text(page, facts_current()), "draft": False})


class EducationForm(forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Address"), max_length=60, help_text="/edukasi/…/")
    title_id = forms.CharField(label=gettext_lazy("Title (Indonesian)"), max_length=150)
    body_id = forms.CharField(label=gettext_lazy("Text (Indonesian)"), widget=forms.Textarea(attrs={"rows": 14}))
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=150, required=False)
    body_en = forms.CharField(
        label=gettext_lazy("Text (English)"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    occupation = forms.CharField(
        label=gettext_lazy("Example for occupation"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("An occupation code (e.g. ojek_online) to list the page among the examples."),
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=999, initial=0)


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_GET
def education_list(request: HttpRequest) -> HttpResponse:
    return render(request, "outreach/education_list.html", {"pages": EducationPage.objects.all()})


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def education_edit(request: HttpRequest, slug: str = "") -> HttpResponse:
    page = EducationPage.objects.filter(slug=slug).first() if slug else None
    if slug and page is None:
        raise Http404(_("Page not found."))
    initial = {name: getattr(page, name) for name in EducationForm.base_fields} if page else {}
    form = EducationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            page = education_page_save(actor=Actor.for_user(request.user), **form.cleaned_data)
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Draft saved. The public sees it once it is published."))
            return redirect("outreach_office:education_edit", slug=page.slug)
    preview = page_text(page, facts_current(), draft=True) if page else None
    context = {"form": form, "page": page, "preview": preview, "placeholders": PLACEHOLDERS}
    return render(request, "outreach/education_form.html", context)


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_POST
def education_publish(request: HttpRequest, slug: str) -> HttpResponse:
    page = EducationPage.objects.filter(slug=slug).first()
    if page is None:
        raise Http404(_("Page not found."))
    try:
        if request.POST.get("action") == "unpublish":
            education_page_unpublish(actor=Actor.for_user(request.user), page=page)
            messages.success(request, _("The page is no longer public."))
        else:
            education_page_publish(actor=Actor.for_user(request.user), page=page)
            messages.success(request, _("Published."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("outreach_office:education_edit", slug=slug)
