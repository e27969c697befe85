from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "advocacy.invitations"
    label = "invitations"
    verbose_name = "Invitations (CSV upload)"
