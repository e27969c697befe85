from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy


class Role(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    COMMS_AUTHOR = "comms_author", _("Comms author")
    COMMS_REVIEWER = "comms_reviewer", _("Comms reviewer")
    ADMIN = "admin", _("Admin / auditor")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create(email, password, **fields)


class Team(models.Model):
    """A group of people, used for audiences and for group-level figures only, never
    to single anyone out. A person is in at most one team, so teams split the
    organisation without overlap and a hidden team cannot be worked out from the
    others (``advocacy.program.selectors.participation_by_team``). Written only by
    ``accounts.teams``; SCIM Groups are teams (``advocacy.identity.scim``)."""

    name = models.CharField(_("name"), max_length=80)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            # "Warehouse" and "warehouse" are one team, whoever writes the row.
            models.UniqueConstraint(
                Lower("name"),
                name="team_name_unique_ci",
                violation_error_message=_("There is already a team of this name (whatever its case)."),
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="team_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person at the organisation. Email is the login; ``role`` decides what they may do
    (see ``accounts.permissions``, the one place that maps roles to capabilities)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=8, default="en")
    # Used only for group-level participation figures, never to single anyone out.
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs expect Django's username UserManager; sign-in here is by email.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email.split("@")[0]


class ApiToken(TokenProxy):
    """DRF's token as the Django admin shows it: named by its owner, never by its key
    (Django puts an object's name in page titles and in its own admin log)."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return gettext("API token of %(person)s") % {"person": self.user}
