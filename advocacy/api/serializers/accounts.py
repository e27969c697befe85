"""Connected social accounts and their ownership ledger. Credentials never appear
here: every serializer lists its fields explicitly, and none of them is a secret."""

from __future__ import annotations

from rest_framework import serializers

from advocacy.api.serializers.common import NetworkField, PersonSerializer, ReadModelSerializer, id_field
from advocacy.ledger.models import AccountEvent, ConnectedAccount


class AccountSerializer(ReadModelSerializer):
    network = NetworkField(read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ConnectedAccount
        fields = [
            "id", "network", "handle", "display_name", "service_url", "ownership", "status", "status_detail",
            "connected_at", "scopes", "token_expires_at", "max_characters", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class AccountEventSerializer(ReadModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True, help_text="Null when Candor itself acted.")
    detail = serializers.DictField(read_only=True)

    class Meta:
        model = AccountEvent
        fields = ["id", "kind", "actor", "detail", "created_at"]
        read_only_fields = fields


class ReassignSerializer(serializers.Serializer):
    new_owner = id_field(help_text="The person the account would be given to.")
