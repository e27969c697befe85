"""Form glue shared by every HTML page that calls a service."""

from __future__ import annotations

from django import forms

from advocacy.core.errors import ApplicationError


def form_errors_from(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's error on the form fields it names (or on the form itself)."""
    placed = False
    for name, messages in exc.fields.items():
        # A dotted name ("variants.x") goes on the form's field of that name with an
        # underscore ("variant_x", see portal.forms.variant_field) where the form has
        # one, else on the field of its first part ("variants").
        head, _, rest = name.partition(".")
        nested = f"{head.removesuffix('s')}_{rest}" if rest else ""
        field = nested if nested in form.fields else head
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
