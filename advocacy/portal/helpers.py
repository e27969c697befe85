"""Small glue shared by the portal's HTML views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accounts.permissions import Capability, user_can
from advocacy.core.errors import ApplicationError
from advocacy.portal.forms import variant_field


def requires(capability: Capability) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not user_can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def form_errors_from(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's error on the form fields it names (or on the form itself)."""
    placed = False
    for name, messages in exc.fields.items():
        # "variants.x" is the form's "variant_x" where it has one, else its "variants".
        field = variant_field(name.split(".", 1)[1]) if name.startswith("variants.") else name
        field = field if field in form.fields else name.split(".")[0]
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
