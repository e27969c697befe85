"""A real SAML 2.0 identity provider on loopback for tests: pysaml2's ``Server`` (it
needs the ``xmlsec1`` binary) behind a small WSGI app. Pure Python, no Django.

``GET /sso`` takes the service provider's AuthnRequest (HTTP-Redirect binding) and
shows a sign-in form; ``POST /sso`` checks the password and answers with pysaml2's
signed Response, as the auto-posting HTML form (HTTP-POST binding) a browser would
carry back to the service provider's ACS URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

XMLSEC = shutil.which("xmlsec1")
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"


class SamlIdpUnavailable(RuntimeError):
    """pysaml2 or xmlsec1 is missing here."""


def self_signed(workdir: Path, common_name: str) -> tuple[Path, Path, str]:
    """A key and certificate for signing; returns their paths and the certificate's
    base64 body (what a service provider is configured with)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = workdir / f"{common_name}.key", workdir / f"{common_name}.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(pem)
    body = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
    return key_path, cert_path, body


@dataclass
class SamlIdp:
    url: str
    entity_id: str
    sso_url: str
    certificate: str  # base64 body, for SAML_IDP_X509CERT
    workdir: Path
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    sp_metadata: list[str] = field(default_factory=list)
    signing_key: Path | None = None
    signing_cert: Path | None = None

    def add_person(self, login: str, *, password: str = "idp-password-123", **attributes: str) -> None:
        self.people[login] = {"password": password, "attributes": attributes}

    def trust(self, sp_metadata: str) -> None:
        """Register a service provider (its metadata XML), as an IdP admin would."""
        self.sp_metadata[:] = [sp_metadata]

    def server(self) -> Any:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS
        from saml2.server import Server

        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                        "want_authn_requests_signed": False,
                    }
                },
                "key_file": str(self.signing_key),
                "cert_file": str(self.signing_cert),
                "metadata": {"inline": list(self.sp_metadata)},
                "xmlsec_binary": XMLSEC,
                "debug": False,
            }
        )
        return Server(config=config)

    # -- the WSGI app --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] != "/sso":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if environ["REQUEST_METHOD"] == "GET":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            return self._page(start_response, self._login_form(query))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        person = self.people.get(form.get("login", ""))
        if person is None or person["password"] != form.get("password"):
            return self._page(
                start_response, "<p id='idp-error'>Wrong login or password.</p>", status="401 Unauthorized"
            )
        return self._page(start_response, self._respond(form, person))

    def _login_form(self, query: dict[str, str]) -> str:
        hidden = "".join(
            f"<input type='hidden' name='{name}' value='{html.escape(query.get(name, ''), quote=True)}'>"
            for name in ("SAMLRequest", "RelayState")
        )
        return (
            f"<form method='post' action='{self.sso_url}'>{hidden}"
            "<input id='idp-login' name='login'><input id='idp-password' name='password' type='password'>"
            "<button id='idp-submit'>Sign in</button></form>"
        )

    def _respond(self, form: dict[str, str], person: dict[str, Any]) -> str:
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        server = self.server()
        request = server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        attributes = person["attributes"]
        response = server.create_authn_response(
            identity={name: [value] for name, value in attributes.items()},
            in_response_to=request.id,
            destination=request.assertion_consumer_service_url,
            sp_entity_id=request.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=attributes.get(EMAIL, form["login"])),
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.entity_id},
            sign_response=True,
            sign_assertion=True,
            # python3-saml refuses SHA-1, pysaml2's default.
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        binding = server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            request.assertion_consumer_service_url,
            form.get("RelayState", ""),
            response=True,
        )
        return binding["data"]

    @staticmethod
    def _page(start_response: Any, body: str, status: str = "200 OK") -> list[bytes]:
        start_response(status, [("Content-Type", "text/html; charset=utf-8")])
        return [f"<!doctype html><html><body>{body}</body></html>".encode()]


def posted_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the auto-posting form an IdP answers with."""
    action = html.unescape(re.search(r'<form[^>]+action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    fields = {
        name: html.unescape(value) for name, value in re.findall(r'<input[^>]+name="([^"]+)"[^>]+value="([^"]*)"', page)
    }
    return action, fields


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def running_saml_idp(*, workdir: Path) -> Iterator[SamlIdp]:
    try:
        import saml2  # noqa: F401
    except ImportError as exc:
        raise SamlIdpUnavailable("pysaml2 is not installed (pip install -r requirements/dev.txt)") from exc
    if XMLSEC is None:
        raise SamlIdpUnavailable("xmlsec1 is not installed (apt-get install xmlsec1)")
    httpd: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: idp(e, s), handler_class=_QuietHandler)
    url = f"http://127.0.0.1:{httpd.server_port}"
    key, cert, body = self_signed(workdir, "saml-idp")
    idp = SamlIdp(
        url=url,
        entity_id=f"{url}/metadata",
        sso_url=f"{url}/sso",
        certificate=body,
        workdir=workdir,
        signing_key=key,
        signing_cert=cert,
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        httpd.shutdown()
        httpd.server_close()
