"""What every API view shares: the schema that documents the error responses,
bounded pagination, and ids in URLs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_parameter_type, is_serializer
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics, parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.http import AuthenticatedRequest
from advocacy.api.serializers.common import MAX_ID, ErrorSerializer

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ApiSchema(AutoSchema):
    """Documents the error responses each operation can give, all in the one error
    shape, so a client (or a fuzzer) finds every status it receives in the schema."""

    def _error_statuses(self) -> list[str]:
        statuses = {"401", "403", "404", "429"}
        if self.method in UNSAFE_METHODS:
            statuses |= {"400", "409", "415"}
        elif any(is_serializer(p) for p in self.get_override_parameters()):
            statuses.add("400")  # validated query parameters
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                responses[status] = self._get_response_for_code(ErrorSerializer, status, direction=direction)
        return responses

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        # Every variable in this API's URLs is a row id (see IdConverter).
        return [
            build_parameter_type(
                name=variable, location=OpenApiParameter.PATH, schema={"type": "integer"}, description="Id."
            )
            for variable in variables
        ]


class IdConverter:
    """A row id in a URL. Anything numeric matches, so a wrong id is a JSON 404 from
    the view rather than an HTML 404 from the URL resolver; ids no row can have
    (zero, negative, beyond 64 bits) become 0, which finds nothing."""

    regex = "-?[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if 0 < number <= MAX_ID else 0

    def to_url(self, value: int) -> str:
        return str(value)


class ApiPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200
    max_offset = 1_000_000_000  # far beyond any real list; keeps SQL OFFSET in range

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), self.max_offset)


class JSONParser(parsers.JSONParser):
    """DRF's parser, plus: JSON nested too deep for Python's parser is a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer, plus: a reply holding an unpaired surrogate (a validation message
    quoting the input, e.g. an invalid choice) is sent with ASCII escapes instead of failing,
    as UTF-8 cannot encode it."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True


# The stubs type the setting as the dotted paths it is written with; DRF has
# imported the classes by the time anyone reads it.
_DEFAULT_RENDERERS = cast("Sequence[type[renderers.BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES)
RENDERERS: list[type[renderers.BaseRenderer]] = [
    JSONRenderer,
    *(r for r in _DEFAULT_RENDERERS if not issubclass(r, renderers.JSONRenderer)),
]


class _InputOutput:
    request: AuthenticatedRequest  # every API view needs a signed-in user (IsAuthenticated)

    def input(self, serializer_class: type[Serializer], data: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Validate request input (the body unless ``data`` is given); 400 when invalid."""
        serializer = serializer_class(
            data=self.request.data if data is None else data, context={"request": self.request}, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def output(self, serializer_class: type[Serializer], instance: Any, **kwargs: Any) -> Any:
        return serializer_class(instance, context={"request": self.request}, **kwargs).data


class ApiView(_InputOutput, APIView):
    request: AuthenticatedRequest
    schema = ApiSchema()
    parser_classes = [JSONParser]  # views taking uploads add MultiPartParser
    renderer_classes = RENDERERS


class ApiListView(_InputOutput, generics.ListAPIView):
    """A paginated list; subclasses implement ``get_queryset`` with a selector."""

    request: AuthenticatedRequest
    schema = ApiSchema()
    parser_classes = [JSONParser]
    renderer_classes = RENDERERS
    pagination_class = ApiPagination
