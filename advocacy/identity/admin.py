"""Provisioning clients in the Django admin: an admin names one and gets its bearer
token, shown on the next page only (Candor keeps its hash); revoking is an action.
Both go through ``advocacy.identity.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from advocacy.core.errors import ApplicationError
from advocacy.identity.models import ScimClient
from advocacy.identity.services import scim_client_create, scim_client_revoke

_NEW_TOKEN = "_candor_scim_token"


@admin.register(ScimClient)
class ScimClientAdmin(admin.ModelAdmin):
    list_display = ("name", "token_hint", "created_by", "created_at", "revoked_at")
    fields = ("name",)
    actions = ["revoke"]

    def _admin(self, request: HttpRequest) -> bool:
        return user_can(request.user, Capability.OFFBOARD)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a client's token cannot change: revoke it and create another

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail refers to it

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return super().get_actions(request) if self._admin(request) else {}

    def save_model(self, request: HttpRequest, obj: ScimClient, form: Any, change: bool) -> None:
        client, token = scim_client_create(actor=request.user, name=obj.name)  # type: ignore[arg-type]
        obj.pk, obj.token_hint, obj.created_at = client.pk, client.token_hint, client.created_at
        setattr(request, _NEW_TOKEN, token)

    def response_add(self, request: HttpRequest, obj: ScimClient, post_url_continue: str | None = None) -> HttpResponse:
        token = getattr(request, _NEW_TOKEN, None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "client": obj, "token": token, "title": obj.name}
        response = TemplateResponse(request, "identity/scim_client_token.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the token of the selected clients"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ScimClient]) -> None:
        for client in queryset:
            try:
                scim_client_revoke(actor=request.user, client_id=client.pk)  # type: ignore[arg-type]
            except ApplicationError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return
        self.message_user(request, gettext("Revoked. The identity provider's next request is refused."))
