from django.conf import settings
from django.http import HttpRequest

from accounts.permissions import capabilities_for


def candor(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "organisation_name": settings.CANDOR_ORGANISATION_NAME,
        "caps": capabilities_for(user) if user is not None else frozenset(),
    }
