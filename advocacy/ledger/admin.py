from django.contrib import admin
from django.http import HttpRequest

from advocacy.ledger.models import AccountEvent, ConnectedAccount, Offboarding


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changes go through the portal's services (which audit them), never raw edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdmin):
    list_display = ["network", "handle", "ownership", "owner", "status", "connected_at"]
    list_filter = ["network", "ownership", "status"]
    search_fields = ["handle", "owner__email"]
    # credentials_encrypted is editable=False and excluded: never shown, even encrypted.
    exclude = ["credentials_encrypted"]


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "actor"]
    list_filter = ["kind"]


@admin.register(Offboarding)
class OffboardingAdmin(ReadOnlyAdmin):
    list_display = ["user", "state", "started_by", "started_at", "completed_at"]
    list_filter = ["state"]
