"""A person's own preferences: the language Candor speaks to them and their time zone.

The language is also what notifications and emails use, so it is saved on the person;
the language cookie is set too, so the page header's switcher and this page agree.
"""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.services import preferences_save
from advocacy.core.errors import ApplicationError

_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/")


def _zones(current: str) -> list[tuple[str, str]]:
    zones = {zone for zone in available_timezones() if zone.startswith(_REGIONS)} | {"UTC"}
    if current:
        zones.add(current)
    return [(zone, zone.replace("_", " ")) for zone in sorted(zones)]


def _languages() -> list[tuple[str, str]]:
    return [(code, translation.get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"))
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("Times on every page, and the times you type, are in this zone."),
    )

    def __init__(self, *args: Any, current_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = _languages()
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _zones(current_zone)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={"language": translation.get_language(), "time_zone": user.time_zone},
        current_zone=user.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = preferences_save(
                actor=user, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
            )
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return render(request, "accounts/preferences.html", {"form": form}, status=400)
        translation.activate(user.language)
        messages.success(request, gettext("Your preferences are saved."))
        response = redirect("preferences")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "accounts/preferences.html", {"form": form})
