"""Teams in the Django admin. Nothing here writes a team: creating, renaming,
deleting and membership each go through ``accounts.teams``, which checks and audits
them. A refusal is shown as a message and changes nothing."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team, User
from accounts.teams import team_create, team_delete, team_members_set, team_rename
from advocacy.core.errors import ApplicationError


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        label=_("members"),
        help_text=_("A person is in one team at most: choosing someone here moves them out of their other team."),
        widget=FilteredSelectMultiple(_("members"), is_stacked=False),
    )

    class Meta:
        model = Team
        fields = ("name",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.values_list("pk", flat=True))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ("name", "member_count", "created_at")
    search_fields = ("name",)

    @admin.display(description=_("members"))
    def member_count(self, team: Team) -> int:
        return team.members.count()

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        actor = cast("AuthenticatedHttpRequest", request).user
        members = [person.pk for person in form.cleaned_data.get("members") or []]
        try:
            with transaction.atomic():
                if change:
                    if "name" in form.changed_data:
                        team_rename(actor=actor, team_id=obj.pk, name=obj.name)
                    team = obj
                else:
                    team = team_create(actor=actor, name=obj.name)
                    obj.pk, obj.created_at = team.pk, team.created_at
                    obj._state.adding, obj._state.db = False, team._state.db
                if not change or "members" in form.changed_data:
                    team_members_set(actor=actor, team_id=team.pk, user_ids=members)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            if change:
                obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Members are saved by ``save_model`` through the service."""

    def delete_model(self, request: HttpRequest, obj: Team) -> None:
        self.delete_queryset(request, Team.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Team]) -> None:
        actor = cast("AuthenticatedHttpRequest", request).user
        for team in queryset:
            try:
                team_delete(actor=actor, team_id=team.pk)
            except ApplicationError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Members are taken out of the team, never deleted with it: the confirmation
        # page lists only the teams (Django would call the PROTECT link a blocker).
        deleted, model_count, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, perms_needed, []
