from rest_framework import serializers

from accounts.models import User
from accounts.permissions import capabilities_for


class MeSerializer(serializers.ModelSerializer):
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "role", "time_zone", "language", "capabilities"]
        read_only_fields = fields

    def get_capabilities(self, user: User) -> list[str]:
        return sorted(capabilities_for(user))
