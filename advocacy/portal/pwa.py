"""The installable portal: web app manifest, service worker and offline page.

All three are public and hold nothing personal: the browser fetches the manifest
without cookies, the service worker script is the same for everyone, and the offline
page is a fixed sentence. What the service worker keeps (the app shell and the
participant's feed) is cleared on sign-out and whenever a page is shown to someone
who is not taking part (static/js/offline.js).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# A page the service worker may keep for reading offline says so with this header (the
# feed, for someone taking part); any other answer is never stored.
OFFLINE_COPY_HEADER = "X-Candor-Offline-Copy"
THEME_COLOUR = "#2f5bd3"  # --brand in candor.css
BACKGROUND_COLOUR = "#f6f7fb"  # --bg
ICONS = [
    ("icons/candor-192.png", "192x192", "any"),
    ("icons/candor-512.png", "512x512", "any"),
    ("icons/candor-maskable-192.png", "192x192", "maskable"),
    ("icons/candor-maskable-512.png", "512x512", "maskable"),
]
# What the portal needs to draw a saved page: kept by the service worker at install.
SHELL_STATIC = ["css/candor.css", "js/candor.js", "js/offline.js", *(icon for icon, _size, _purpose in ICONS)]
SERVICE_WORKER_TEMPLATE = "pwa/sw.js"
OFFLINE_TEMPLATE = "pwa/offline.html"
# Never answered from the service worker's cache (and never stored there): the admin,
# the API and sign-in pages carry secrets or act on the account; the rest are live status.
NEVER_CACHED_PREFIXES = [
    "/admin/",
    "/api/",
    "/accounts/",
    "/scim/",
    "/i18n/",
    "/healthz",
    "/metrics",
    "/diagnostics/",
]


def _language(request: HttpRequest) -> str:
    """The ``lang`` the page asked for (the manifest and offline page are fetched
    without the person's cookies), else the request's language."""
    asked = request.GET.get("lang", "")
    return asked if asked in dict(settings.LANGUAGES) else translation.get_language() or settings.LANGUAGE_CODE


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        document = {
            "id": "/",
            "name": _("Candor at %(organisation)s") % {"organisation": settings.CANDOR_ORGANISATION_NAME},
            "short_name": "Candor",
            "description": _("Posts your company asks you to share, with your own voice and a visible disclosure."),
            "lang": translation.get_language(),
            "dir": "ltr",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": [
                {"src": static(src), "sizes": sizes, "type": "image/png", "purpose": p} for src, sizes, p in ICONS
            ],
        }
    response = JsonResponse(document, content_type="application/manifest+json", json_dumps_params={"indent": 1})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        return render(request, OFFLINE_TEMPLATE, {"languages": settings.LANGUAGES})


@functools.cache
def cache_version() -> str:
    """Changes whenever what the service worker keeps or does changes (a deploy), so
    browsers install the new worker and drop the old caches."""
    digest = hashlib.sha256()
    files: list[Path] = [Path(found) for found in map(finders.find, SHELL_STATIC) if isinstance(found, str)]
    files += sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.mo"))
    for path in files:
        digest.update(path.read_bytes())
    for template in (SERVICE_WORKER_TEMPLATE, OFFLINE_TEMPLATE):
        digest.update(render_to_string(template, {"languages": settings.LANGUAGES}).encode())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    offline_pages = [f"{reverse('offline')}?lang={code}" for code, _name in settings.LANGUAGES]
    config = {
        "version": cache_version(),
        "shell": [static(path) for path in SHELL_STATIC] + offline_pages,
        "offlinePage": reverse("offline"),
        "languages": [code for code, _name in settings.LANGUAGES],
        "offlineReadable": [reverse("portal:feed")],
        "offlineCopyHeader": OFFLINE_COPY_HEADER,
        "mediaPrefix": "/" + settings.MEDIA_URL.lstrip("/"),
        "neverCached": NEVER_CACHED_PREFIXES,
        "icon": static("icons/candor-192.png"),
    }
    script = render_to_string(SERVICE_WORKER_TEMPLATE, {"config": json.dumps(config)})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    # Root scope; and always checked with the server, so a deploy reaches browsers at once.
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
