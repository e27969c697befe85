from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, cast

from allauth.account.admin import EmailAddressAdmin
from allauth.account.decorators import secure_admin_login
from allauth.account.models import EmailAddress
from allauth.socialaccount.admin import SocialAccountAdmin, SocialTokenAdmin
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts import team_admin  # noqa: F401  (registers the teams' admin page)
from accounts.http import AuthenticatedHttpRequest
from accounts.models import ApiToken, User
from accounts.permissions import Capability, user_can
from accounts.services import (
    PROFILE_FIELDS,
    token_revoke,
    user_create,
    user_password_set,
    user_privileges_set,
    user_profile_update,
    user_reactivate,
    user_role_set,
)
from accounts.teams import user_team_set
from advocacy.core.errors import ApplicationError

# The Django admin's own password-only login would skip allauth's MFA step and rate
# limits; send it to allauth's sign-in instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

DELETE_REFUSED = _(
    "%(people)s cannot be deleted: the audit trail or the ownership ledger refers to them. "
    "Deactivate and hand back instead; to erase their personal data afterwards, pseudonymise them."
)


# The admin that is changing a password, for the password form (Django's password view
# builds the form without the request). Set only for the duration of that view.
_password_actor: contextvars.ContextVar[User | None] = contextvars.ContextVar("password_actor", default=None)
# Set on the request when a service refused the admin's save, so that no "changed
# successfully" message or admin log entry claims otherwise.
REFUSED = "_candor_save_refused"


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """Django's admin password form, saving through ``user_password_set`` so that the
    change is checked and audited like every other one."""

    def clean(self) -> dict[str, Any] | None:
        actor = _password_actor.get()
        if actor is None or (actor.pk != self.user.pk and not user_can(actor, Capability.OFFBOARD)):
            raise ValidationError(gettext("Only admins can set someone else's password."))
        return super().clean()

    def save(self, commit: bool = True) -> User:
        actor = _password_actor.get()
        assert actor is not None  # clean() refused otherwise
        password = self.cleaned_data.get("password1") if self.cleaned_data["set_usable_password"] else None
        # Django's view then keeps the admin signed in if they changed their own.
        self.user = user_password_set(actor=actor, user_id=self.user.pk, password=password or None)
        return self.user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. A person the audit trail or the ledger refers to is never deleted (the
    foreign keys are PROTECT); the admin says so and points to deactivation instead
    of showing Django's list of protected rows."""

    ordering = ["email"]
    list_display = ["email", "display_name", "role", "team", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "team"]
    search_fields = ["email", "display_name"]
    actions = ["deactivate_and_hand_back", "erase_personal_data", "delete_selected"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name", "time_zone", "language", "team")}),
        (_("Role"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    change_password_form = AuditedPasswordChangeForm

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Nothing here saves the form: each kind of change goes to the service that
        checks and audits it (profile, role, privileges, and deactivation, which hands
        everything back at once). All or nothing: a refusal undoes the other changes of
        the same save and says which rule was broken."""
        signed_in = cast("AuthenticatedHttpRequest", request)  # the admin site admits only signed-in staff
        try:
            with transaction.atomic():
                if change:
                    self._save_changes(signed_in, obj, form)
                else:
                    self._create(signed_in, obj, form)
        except ApplicationError as exc:
            setattr(request, REFUSED, True)
            self.message_user(request, exc.message, level=messages.ERROR)
            if change:
                obj.refresh_from_db()

    @staticmethod
    def _create(request: AuthenticatedHttpRequest, obj: User, form: Any) -> None:
        data = form.cleaned_data
        created = user_create(
            actor=request.user,
            email=obj.email,
            role=obj.role,
            password=data.get("password1") if data.get("set_usable_password", True) else None,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        obj.pk, obj.password, obj.email = created.pk, created.password, created.email
        obj._state.adding, obj._state.db = False, created._state.db

    @staticmethod
    def _save_changes(request: AuthenticatedHttpRequest, obj: User, form: Any) -> None:
        from advocacy.ledger.offboarding import user_deactivate

        actor, changed = request.user, set(form.changed_data)
        profile = {field: getattr(obj, field) for field in PROFILE_FIELDS if field in changed}
        if profile:
            user_profile_update(actor=actor, user_id=obj.pk, changes=profile)
        if "team" in changed:
            user_team_set(actor=actor, user_id=obj.pk, team_name=obj.team.name if obj.team else "")
        if "role" in changed:
            user_role_set(actor=actor, user_id=obj.pk, role=obj.role)
        if changed & {"is_staff", "is_superuser"}:
            user_privileges_set(
                actor=actor,
                user_id=obj.pk,
                is_staff=obj.is_staff if "is_staff" in changed else None,
                is_superuser=obj.is_superuser if "is_superuser" in changed else None,
            )
        if "is_active" in changed:
            if obj.is_active:
                user_reactivate(actor=actor, user_id=obj.pk)
            else:
                user_deactivate(actor=actor, user_id=obj.pk)
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not getattr(request, REFUSED, False):
            super().save_related(request, form, formsets, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if getattr(request, REFUSED, False) else super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if getattr(request, REFUSED, False) else super().log_change(request, obj, message)

    def response_add(self, request: HttpRequest, obj: User, post_url_continue: str | None = None) -> HttpResponse:
        if getattr(request, REFUSED, False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: User) -> HttpResponse:
        if getattr(request, REFUSED, False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        marker = _password_actor.set(request.user)  # type: ignore[arg-type]
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(marker)

    def _protected(self, request: HttpRequest, people: list[User] | QuerySet[User]) -> list[User]:
        """The people among ``people`` that something refers to with PROTECT."""
        refused = []
        for person in people:
            *_rest, protected = self.get_deleted_objects([person], request)
            if protected:
                refused.append(person)
        return refused

    def _refuse_delete(self, request: HttpRequest, people: list[User]) -> None:
        names = ", ".join(str(person) for person in people)
        self.message_user(request, DELETE_REFUSED % {"people": names}, level=messages.ERROR)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        user = self.get_object(request, unquote(object_id))
        if user is not None and self._protected(request, [user]):
            self._refuse_delete(request, [user])
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    @admin.action(permissions=["delete"], description=_("Delete selected people"))
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        refused = self._protected(request, queryset)
        if refused:
            self._refuse_delete(request, refused)
            return None
        return django_delete_selected(self, request, queryset)

    @admin.action(permissions=["change"], description=_("Deactivate and hand back their accounts"))
    def deactivate_and_hand_back(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from advocacy.ledger.offboarding import user_deactivate

        self._for_each(
            request,
            queryset,
            user_deactivate,
            lambda person: _("%(person)s is deactivated; hand-back started.") % {"person": person},
        )

    @admin.action(permissions=["change"], description=_("Erase personal data (pseudonymise)"))
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        """GDPR erasure, after a confirmation page: it cannot be undone."""
        from accounts.services import user_pseudonymise

        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "people": list(queryset),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": _("Erase personal data"),
            }
            return TemplateResponse(request, "admin/accounts/user/erase_personal_data.html", context)
        # By number: the message outlives the erasure in the session.
        self._for_each(
            request,
            queryset,
            user_pseudonymise,
            lambda person: _("Person #%(id)s: personal data erased.") % {"id": person.pk},
        )
        return None

    def _for_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[User],
        service: Callable[..., object],
        done: Callable[[User], str],
    ) -> None:
        """Run ``service(actor=..., user_id=...)`` for each selected person and say how
        each went: a refusal names the person and the rule, the others ``done``."""
        for person in queryset:
            try:
                service(actor=request.user, user_id=person.pk)
            except ApplicationError as exc:
                self.message_user(request, f"{person}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, done(person))


# DRF's own registration would show every key and offer an add form.
admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class TokenAdmin(DrfTokenAdmin):
    """API tokens, to see who has one and to revoke it. Never to create one: a token
    acts as its owner everywhere, so only the person may create it, for themselves
    (``accounts.services.token_issue``). The key is never shown."""

    list_display = ("user", "created")
    fields = ("user", "created")
    readonly_fields = ("user", "created")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and user_can(request.user, Capability.OFFBOARD)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        token_revoke(actor=request.user, user_id=obj.user_id)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for token in queryset:
            self.delete_model(request, token)


class ReadOnlyAdmin:
    """No add, change or bulk action. Deleting stays allowed: it cannot make anyone
    someone else, and deleting a person must be able to cascade to these rows."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# allauth's own admins would let an admin become someone else without a trace: add a
# verified email address to their account and reset its password, or link their own
# SSO identity to it. A person's addresses and SSO links change only through allauth's
# pages, which the person uses themselves; admins see them here and deactivate or
# erase a person through the services above.
for _model, _base in (
    (EmailAddress, EmailAddressAdmin),
    (SocialAccount, SocialAccountAdmin),
    (SocialToken, SocialTokenAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, type(f"ReadOnly{_base.__name__}", (ReadOnlyAdmin, _base), {}))
