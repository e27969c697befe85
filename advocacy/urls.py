from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import preferences as account_preferences
from advocacy.audit import views as audit_views
from advocacy.core import views as core_views
from advocacy.ops import views as ops_views
from advocacy.portal import employee as portal_employee
from advocacy.portal import media as portal_media
from advocacy.portal import pwa

api_patterns = [
    path("auth/", include("accounts.api_urls")),
    path("", include("advocacy.api.urls")),
]

urlpatterns = [
    path("", portal_employee.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # The installable portal; the service worker sits at the root so its scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("metrics", ops_views.metrics, name="metrics"),
    path(".well-known/candor-audit-key", audit_views.audit_key, name="audit_key"),
    path("diagnostics/", core_views.diagnostics, name="diagnostics"),
    path("preferences/", account_preferences.preferences, name="preferences"),
    path("", include("advocacy.portal.urls")),
    path("", include("advocacy.analytics.urls")),
    path("", include("advocacy.notifications.urls")),
    path("", include("advocacy.public.urls")),
    path("", include("advocacy.watch.urls")),
    path("", include("advocacy.linkcards.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # SCIM 2.0 provisioning by the company's identity provider (docs/identity.md).
    path("scim/v2", include("advocacy.identity.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Uploaded media are draft images only, and never served as plain files (not even
    # in development): each request is checked against who may see that draft.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", portal_media.draft_image, name="draft_image"),
]
