from typing import Any

import factory
from allauth.account.models import EmailAddress

from accounts.models import Role, Team, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    role = Role.EMPLOYEE
    time_zone = "Europe/Berlin"

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        # Tests name teams: UserFactory(team="Warehouse") puts the person in that team.
        if isinstance(kwargs.get("team"), str):
            kwargs["team"] = Team.objects.get_or_create(name=kwargs["team"])[0]
        return kwargs

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )
