"""The OpenAPI schema clients and fuzzers rely on."""

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_it_generates_a_valid_schema_without_warnings():
    GENERATOR_STATS.reset()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)


def test_every_operation_documents_the_error_shape(openapi):
    for path, operations in openapi["paths"].items():
        if not path.startswith("/api/") or path.startswith(("/api/auth/", "/api/schema/")):
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "404"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_no_schema_has_a_credentials_field(openapi):
    for name, component in openapi["components"]["schemas"].items():
        for field in component.get("properties", {}):
            secret = "credential" in field or "password" in field or field.endswith("token")
            assert not secret, (name, field)
