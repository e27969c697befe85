from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "advocacy.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from advocacy.audit import signals  # noqa: F401 - connects Celery task context
