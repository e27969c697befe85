from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "advocacy.identity"
    label = "identity"
    verbose_name = "Identity provider (SCIM provisioning)"
