"""Shapes shared by every area: the error body, people, ids and times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.timezones import user_zone
from advocacy.drafts.models import NETWORK_CHOICES

# Primary keys are 64-bit; a larger number can name no row, and some databases
# raise (instead of finding nothing) when asked for one.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input field holding the id of a row."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def named_choice_field(name: str, choices: Any) -> Callable[..., serializers.ChoiceField]:
    """A choice field class documented as its own schema component ``name``, for choice
    sets used in many places or whose field name another choice set also uses
    (drafts and shares both have a ``state``), which would otherwise get hashed names."""

    @extend_schema_field({"type": "string", "enum": [value for value, _ in choices]}, component_name=name)
    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices, **kwargs)

    NamedChoiceField.__name__ = f"{name}Field"
    return NamedChoiceField


NetworkField = named_choice_field("Network", NETWORK_CHOICES)


class UTCDateTimeField(serializers.DateTimeField):
    """Always written in UTC (``...Z``), whatever time zone the request runs in."""

    # The stubs say str | None; DRF's own default_timezone returns a tzinfo, as this does.
    def default_timezone(self) -> dt.tzinfo:  # type: ignore[override]
        return dt.UTC


class LocalDateTimeField(serializers.DateTimeField):
    """Input time. Without an offset it means the requesting person's own time zone
    (``User.time_zone``); the result is always an aware UTC datetime."""

    def default_timezone(self) -> dt.tzinfo:  # type: ignore[override]  # as above
        return user_zone(self.context["request"].user)

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        # Near year 1 or 9999 a zone's offset leaves the representable range; DRF's
        # own check for nonexistent local times overflows there too.
        try:
            return super().enforce_timezone(value).astimezone(dt.UTC)
        except OverflowError:
            self.fail("overflow")


class ReadModelSerializer(serializers.ModelSerializer):
    """Output-only model serializer whose times are UTC."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DateTimeField):
            field_class = UTCDateTimeField
        return field_class, kwargs


class PersonSerializer(serializers.Serializer):
    """Who did something: an id and a name, never contact details."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `validation_failed`.")
    message = serializers.CharField(help_text="Plain words for a person.")
    # DRF's metaclass moves declared fields off the class, so this does not hide
    # Serializer.fields; the stubs cannot see that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Inputs at fault, by (dotted) field name.",
    )
    retry_after = serializers.IntegerField(required=False, help_text="Seconds to wait (rate limits only).")


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the whole API."""

    error = ErrorDetailSerializer()
