from django.contrib import admin

from advocacy.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only everywhere, including here."""

    list_display = ["sequence", "created_at", "actor", "action", "target_type", "target_id", "via"]
    list_filter = ["action", "via"]
    search_fields = ["target_id", "request_id", "task_id", "hash"]
    ordering = ["-sequence"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
