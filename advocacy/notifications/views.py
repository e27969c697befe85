from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import requires
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.core.forms import form_errors_from
from advocacy.notifications.forms import PreferenceForm
from advocacy.notifications.selectors import notification_preference_for
from advocacy.notifications.services import notification_preference_set


@requires(Capability.PARTICIPATE)
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = notification_preference_for(user=request.user)
    form = PreferenceForm(request.POST or None, initial={"digest": current.digest})
    if request.method == "POST" and form.is_valid():
        try:
            notification_preference_set(user=request.user, digest=form.cleaned_data["digest"])
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form, "preference": current})
