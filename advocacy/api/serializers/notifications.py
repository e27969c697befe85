"""In-app notifications, and the export of everything Candor holds about me."""

from __future__ import annotations

from rest_framework import serializers

from advocacy.api.serializers.common import ReadModelSerializer, UTCDateTimeField, id_field
from advocacy.notifications.models import Notification


class NotificationSerializer(ReadModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Only unread ones.")


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=id_field(), required=False, max_length=1000, help_text="Which to mark read; omit for all."
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


# The export: the shape of advocacy.portal.exports.my_data_export, declared field by
# field so the schema is exact and nothing undeclared (let alone a credential) leaks.


class ExportPersonSerializer(serializers.Serializer):
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    time_zone = serializers.CharField()
    language = serializers.CharField()


class ExportConsentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    policy_version = serializers.IntegerField(help_text="Policy version number.")
    at = UTCDateTimeField()


class ExportAccountSerializer(serializers.Serializer):
    network = serializers.CharField()
    handle = serializers.CharField()
    ownership = serializers.CharField()
    status = serializers.CharField()
    connected_at = UTCDateTimeField()
    scopes = serializers.ListField(child=serializers.CharField())


class ExportShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    draft = serializers.CharField(help_text="The post's title.")
    network = serializers.CharField()
    account = serializers.CharField(help_text="The account's handle.")
    text = serializers.CharField()
    state = serializers.CharField()
    scheduled_at = UTCDateTimeField()
    sent_at = UTCDateTimeField(allow_null=True)
    url = serializers.CharField(allow_blank=True, help_text="Link to the post on the network, once sent.")
    error = serializers.CharField(allow_blank=True)
    cancelled_reason = serializers.CharField(allow_blank=True)


class ExportNotificationSerializer(serializers.Serializer):
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    at = UTCDateTimeField()
    read = serializers.BooleanField()


class MyDataSerializer(serializers.Serializer):
    person = ExportPersonSerializer()
    consent_history = ExportConsentSerializer(many=True)
    connected_accounts = ExportAccountSerializer(many=True, help_text="Never with credentials.")
    shares = ExportShareSerializer(many=True)
    notifications = ExportNotificationSerializer(many=True)
