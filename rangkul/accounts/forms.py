from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from rangkul.accounts import services


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is wrong. Please try again."),
        "locked": _("Too many failed attempts. This account is locked for %(minutes)s minutes."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            user = services.user_for_login(username)
            if user is not None and user.is_locked():
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
                )
        cleaned = super().clean()
        return cleaned


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
