from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from advocacy.core.errors import ApplicationError

# The Django admin's own password-only login would skip allauth's MFA step and rate
# limits; send it to allauth's sign-in instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

DELETE_REFUSED = _(
    "%(people)s cannot be deleted: the audit trail or the ownership ledger refers to them. "
    "Deactivate and hand back instead; to erase their personal data afterwards, pseudonymise them."
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. A person the audit trail or the ledger refers to is never deleted (the
    foreign keys are PROTECT); the admin says so and points to deactivation instead
    of showing Django's list of protected rows."""

    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    actions = ["deactivate_and_hand_back", "erase_personal_data", "delete_selected"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name", "time_zone", "language")}),
        (_("Role"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Role and active-state changes go through the services that audit them (and,
        for deactivation, hand everything back); the rest of the form saves as usual."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        from accounts.services import user_reactivate, user_role_set
        from advocacy.core.errors import ApplicationError
        from advocacy.ledger.offboarding import user_deactivate

        original = User.objects.get(pk=obj.pk)
        wanted_role, wanted_active = obj.role, obj.is_active
        obj.role, obj.is_active = original.role, original.is_active
        super().save_model(request, obj, form, change)
        try:
            if wanted_role != original.role:
                user_role_set(actor=request.user, user_id=obj.pk, role=wanted_role)
            if original.is_active and not wanted_active:
                user_deactivate(actor=request.user, user_id=obj.pk)
            elif wanted_active and not original.is_active:
                user_reactivate(actor=request.user, user_id=obj.pk)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
        obj.refresh_from_db()

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
