"""Policy versions, enrollment and consent, group participation figures."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from advocacy.api.serializers.common import ReadModelSerializer, UTCDateTimeField, id_field
from advocacy.program.models import ConsentEvent, Enrollment, PolicyVersion
from advocacy.program.selectors import GroupFigure


class PolicyTextSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=50_000)


class PolicyVersionSerializer(ReadModelSerializer):
    texts = serializers.DictField(
        child=PolicyTextSerializer(), help_text="Title and body by language (en, de, id, it); English is always there."
    )

    class Meta:
        model = PolicyVersion
        fields = ["id", "number", "effective_date", "texts", "published_at"]
        read_only_fields = fields


class PolicyPublishSerializer(serializers.Serializer):
    texts = serializers.DictField(
        child=PolicyTextSerializer(), help_text="Title and body by language; `en` is required."
    )
    effective_date = serializers.DateField(required=False, help_text="Defaults to today.")


class EnrollmentStatusSerializer(serializers.Serializer):
    """The caller's participation, from ``participation_state``."""

    enrolled = serializers.BooleanField(help_text="Taking part now.")
    needs_reconsent = serializers.BooleanField(help_text="The policy changed since they agreed to it.")
    can_share = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices, source="enrollment.status", allow_null=True)
    policy_version = serializers.IntegerField(
        source="enrollment.policy_version_id", allow_null=True, help_text="The policy version they agreed to."
    )
    current_policy_version = serializers.IntegerField(source="current_policy.pk", allow_null=True)
    joined_at = UTCDateTimeField(source="enrollment.joined_at", allow_null=True)
    left_at = UTCDateTimeField(source="enrollment.left_at", allow_null=True)


class OptInSerializer(serializers.Serializer):
    policy_version = id_field(help_text="Id of the policy version the person has read (the current one).")
    accept = serializers.BooleanField(help_text="The person's own explicit consent; must be true.")


class LeaveResultSerializer(serializers.Serializer):
    cancelled_shares = serializers.IntegerField(help_text="Scheduled shares cancelled by leaving.")


class ConsentEventSerializer(ReadModelSerializer):
    policy_number = serializers.IntegerField(source="policy_version.number", read_only=True)

    class Meta:
        model = ConsentEvent
        fields = ["id", "kind", "policy_version", "policy_number", "created_at"]
        read_only_fields = fields


class GroupFigureSerializer(serializers.Serializer):
    """One group. Below the minimum size ``shown`` is false and there are no counts at all."""

    group = serializers.CharField(help_text="Team name, or `all` for the whole organisation.")
    shown = serializers.BooleanField()
    members = serializers.IntegerField(required=False)
    participating = serializers.IntegerField(required=False)
    percent = serializers.IntegerField(required=False)

    def to_representation(self, instance: GroupFigure) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.shown:
            return {"group": data["group"], "shown": False}
        return data


class ParticipationSerializer(serializers.Serializer):
    minimum_group_size = serializers.IntegerField(help_text="Smaller groups are not shown.")
    groups = GroupFigureSerializer(many=True)


class ProgrammeSettingsSerializer(serializers.Serializer):
    edited_shares_need_review = serializers.BooleanField(
        help_text="When true, a share whose text differs from the approved post waits in state `review` "
        "until a comms reviewer other than the employee approves it."
    )
