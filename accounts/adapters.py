from __future__ import annotations

from typing import Any, cast

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess, Provider
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedHttpRequest
from accounts.services import user_inactive_seen, user_password_set, user_role_from_provider, user_signed_up
from accounts.sso import IdentityClaims, asserts_mfa, role_for, sign_in_refusal
from advocacy.core.security import IDP_MFA_SESSION_KEY

# Set on the request by the social adapter when the identity provider asserted more
# than one factor; the account adapter moves it into the session once signed in.
_IDP_MFA_ATTRIBUTE = "_candor_idp_mfa"


class CandorAccountAdapter(DefaultAccountAdapter):
    """Self sign-up is off unless CANDOR_SIGNUP_OPEN is set, and then limited to the
    organisation's email domains when CANDOR_SIGNUP_DOMAINS lists them."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.CANDOR_SIGNUP_OPEN

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        domains = settings.CANDOR_SIGNUP_DOMAINS
        if domains and email.rsplit("@", 1)[-1].lower() not in domains:
            raise ValidationError(_("Use your work email address (%(domains)s).") % {"domains": ", ".join(domains)})
        return email

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """Self sign-up (and SSO sign-up with a form): saved and recorded together."""
        if not commit:
            return super().save_user(request, user, form, commit=False)
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=True)
            user_signed_up(user=user, source="signup")
        return user

    def set_password(self, user: Any, password: str) -> None:
        """allauth's password change, set and reset pages: through the service that
        audits it. The person themselves is the actor (a reset link proves that)."""
        user.password = user_password_set(actor=user, user_id=user.pk, password=password).password

    def login(self, request: HttpRequest, user: Any) -> None:
        """Every sign-in. The session remembers for whom the identity provider vouched
        for a second factor (``advocacy.core.security`` lets reviewers and admins in
        without Candor's own authenticator then); any other sign-in forgets it."""
        super().login(request, user)
        if getattr(request, _IDP_MFA_ATTRIBUTE, False):
            request.session[IDP_MFA_SESSION_KEY] = user.pk
        else:
            request.session.pop(IDP_MFA_SESSION_KEY, None)

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        """allauth refuses a deactivated person here, on every sign-in path (SSO
        included). Someone deactivated outside Candor's services (the IdP sync, a
        shell) may still hold accounts: start their hand-back before answering."""
        user_inactive_seen(user_id=user.pk)
        return super().respond_user_inactive(request, user)


# The social networks staff connect to post from, by allauth provider id, mapped to
# Candor's network keys. They are never a way to sign in to Candor: only a signed-in
# person may connect one, and only to record it in the ownership ledger.
NETWORK_PROVIDERS: dict[str, str] = {"linkedin": "linkedin", "twitter_oauth2": "x"}


def network_provider_id(network: str) -> str:
    """The allauth provider id for a Candor network key ("x" -> "twitter_oauth2")."""
    return next(provider for provider, key in NETWORK_PROVIDERS.items() if key == network)


def _is_oidc(request: HttpRequest, sociallogin: SocialLogin) -> bool:
    """The company's OpenID Connect provider, whose claims ``accounts.sso`` reads.
    SAML keeps allauth's own handling, but for the email domain (docs/identity.md)."""
    return sociallogin.account.get_provider(request).id == "openid_connect"


def _is_saml(request: HttpRequest, sociallogin: SocialLogin) -> bool:
    return sociallogin.account.get_provider(request).id == "saml"


def _refuse_sign_in(request: HttpRequest, refusal: str) -> ImmediateHttpResponse:
    messages.error(request, refusal)
    return ImmediateHttpResponse(redirect(settings.LOGIN_URL))


def _network_name(network: str) -> str:
    from advocacy.networks.registry import NETWORKS

    return NETWORKS.get(network, network)


def _back_to_connections(request: HttpRequest, level: int, message: str) -> HttpResponse:
    messages.add_message(request, level, message)
    return redirect("portal:connections")


class CandorSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Enterprise SSO (OpenID Connect, SAML) behaves as allauth intends. LinkedIn and X
    are different: they only *connect* a posting account for someone already signed
    in. The token they bring is captured in memory here and handed to the ledger,
    which stores it encrypted; allauth never saves it (``SOCIALACCOUNT_STORE_TOKENS``
    is off) and no allauth ``SocialAccount`` row is created for them either, so the
    ledger stays the one record of who connected what."""

    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Provider:
        network = NETWORK_PROVIDERS.get(provider)
        if network is None or request is None:
            return super().get_provider(request, provider, client_id=client_id)
        # Reached from allauth's login and callback views: refuse before anyone is sent
        # to the network (allauth's views turn ImmediateHttpResponse into the response).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise ImmediateHttpResponse(self._refuse_login(request, network))
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ImmediateHttpResponse(
                _back_to_connections(
                    request,
                    messages.ERROR,
                    _("%(network)s is not set up in Candor yet. An administrator must configure it first.")
                    % {"network": _network_name(network)},
                )
            ) from None

    def _refuse_login(self, request: HttpRequest, network: str) -> HttpResponse:
        name = _network_name(network)
        messages.error(
            request,
            _(
                "%(network)s is not a way to sign in to Candor. Sign in with your work account first; "
                "then you can connect your %(network)s account under My accounts."
            )
            % {"network": name},
        )
        user = getattr(request, "user", None)
        return redirect("portal:connections" if user is not None and user.is_authenticated else settings.LOGIN_URL)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Posting networks never create anyone. The company's identity provider does,
        on a person's first sign-in (``CANDOR_SSO_SIGNUP``), once ``pre_social_login``
        has accepted their email."""
        if sociallogin.account.provider in NETWORK_PROVIDERS:
            return False
        return settings.CANDOR_SSO_SIGNUP

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> Any:
        """A first SSO sign-in: the person's name as the provider gives it, and the
        role its groups claim maps to (an employee when nothing maps)."""
        user = super().populate_user(request, sociallogin, data)
        if sociallogin.account.provider not in NETWORK_PROVIDERS and _is_oidc(request, sociallogin):
            claims = IdentityClaims.from_extra_data(sociallogin.account.extra_data)
            user.display_name = (claims.name or data.get("name") or "")[:150]
            user.role = role_for(claims) or user.role
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        """A first SSO sign-in that provisions the person: saved and recorded together.
        With a sign-up form, the account adapter's ``save_user`` records it instead."""
        if form is not None:
            return super().save_user(request, sociallogin, form)
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            user_signed_up(user=user, source=sociallogin.account.provider)
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        network = NETWORK_PROVIDERS.get(sociallogin.account.provider)
        if network is None:
            if _is_oidc(request, sociallogin):
                self._accept_identity(request, sociallogin)
            elif _is_saml(request, sociallogin):
                # The company's SAML IdP vouches for the address it asserts (the
                # ``verified_email`` app setting); it must still be one of the organisation's.
                email = (sociallogin.user.email or "").strip().lower()
                refusal = sign_in_refusal(IdentityClaims(email=email, email_verified=True))
                if refusal is not None:
                    raise _refuse_sign_in(request, refusal)
            return super().pre_social_login(request, sociallogin)
        if not request.user.is_authenticated or sociallogin.state.get("process") != AuthProcess.CONNECT:
            # A sign-in (or "redirect") attempt through a posting network: never honoured,
            # and never allowed to switch who is signed in.
            raise ImmediateHttpResponse(self._refuse_login(request, network))
        signed_in = cast("AuthenticatedHttpRequest", request)  # checked just above
        raise ImmediateHttpResponse(self._record_connection(signed_in, sociallogin, network))

    def _accept_identity(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A sign-in through the company's identity provider: refused (with the reason)
        unless it vouches for a work email; a known person's role follows the groups
        claim when a mapping is configured; a second factor it asserts is noted."""
        claims = IdentityClaims.from_extra_data(sociallogin.account.extra_data)
        refusal = sign_in_refusal(claims)
        if refusal is not None:
            raise _refuse_sign_in(request, refusal)
        setattr(request, _IDP_MFA_ATTRIBUTE, asserts_mfa(claims))
        role = role_for(claims)
        user = sociallogin.user
        if sociallogin.is_existing and role is not None and user.is_active and user.role != role:
            user.role = user_role_from_provider(user_id=user.pk, role=role, provider=sociallogin.account.provider).role

    def _record_connection(
        self, request: AuthenticatedHttpRequest, sociallogin: SocialLogin, network: str
    ) -> HttpResponse:
        from advocacy.core.errors import ApplicationError
        from advocacy.ledger.connect import account_connect_oauth

        token = sociallogin.token
        if token is None or not token.token:
            return _back_to_connections(
                request,
                messages.ERROR,
                _("%(network)s did not hand Candor any access. Please try again.")
                % {"network": _network_name(network)},
            )
        try:
            account = account_connect_oauth(
                actor=request.user,
                network=network,
                access_token=token.token,
                refresh_token=token.token_secret or "",
                expires_at=token.expires_at,
                # Both networks grant all of the requested scopes or nothing.
                scopes=sociallogin.provider.get_scope(),
            )
        except ApplicationError as exc:
            return _back_to_connections(request, messages.ERROR, exc.message)
        finally:
            sociallogin.token = None  # nothing downstream may keep it
        return _back_to_connections(request, messages.SUCCESS, _("Connected %(account)s.") % {"account": account})

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Provider,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        network = NETWORK_PROVIDERS.get(provider.sub_id)
        if network is None:
            return super().on_authentication_error(
                request, provider, error=error, exception=exception, extra_context=extra_context
            )
        name = _network_name(network)
        if error == AuthError.CANCELLED:
            message = _("You did not allow Candor to post to %(network)s, so nothing was connected.")
        elif (extra_context or {}).get("state") is None and exception is None:
            message = _("This %(network)s sign-in link has expired or was already used. Please connect again.")
        else:
            message = _("%(network)s did not complete the connection. Please try again in a moment.")
        raise ImmediateHttpResponse(_back_to_connections(request, messages.ERROR, message % {"network": name}))
