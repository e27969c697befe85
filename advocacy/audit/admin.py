from django.contrib import admin
from django.http import HttpRequest

from advocacy.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only everywhere, including here."""

    list_display = ["sequence", "created_at", "actor", "action", "target_type", "target_id", "via"]
    list_filter = ["action", "via"]
    search_fields = ["target_id", "request_id", "task_id", "hash"]
    ordering = ["-sequence"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
