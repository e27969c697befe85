"""DRF wiring: schema, docs without a CDN, token auth, one error format."""

import pytest
import yaml
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert "/api/auth/me/" in schema["paths"]


@pytest.mark.django_db
def test_docs_ui_is_served_without_any_cdn(client):
    html = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in html
    # Every script and stylesheet comes from our own /static/, none from a CDN.
    assert 'src="http' not in html and 'href="http' not in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_errors_share_one_json_shape(api):
    response = api.get("/api/auth/me/")

    assert response.status_code in (401, 403)
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert "credentials" in error["message"]
    assert error["fields"] == {}


@pytest.mark.django_db
def test_a_session_user_gets_a_token_and_the_token_works(api, employee):
    api.force_login(employee)
    token = api.post("/api/auth/token/").json()["token"]
    api.logout()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/auth/me/").json()

    assert me["email"] == employee.email
    assert me["capabilities"] == ["participate"]


@pytest.mark.django_db
def test_unknown_api_urls_get_json_not_a_500(api, employee):
    api.force_authenticate(employee)
    response = api.get("/api/auth/me/?format=bogus")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
