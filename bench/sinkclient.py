"""A network plug-in for the benchmark only: it posts to the local HTTP sink
(``bench.sink``). It is never registered in ``advocacy.networks.registry``; the
benchmark's worker processes swap it in (``bench.celeryapp``).

It behaves as a plug-in must (``advocacy.networks.base.NetworkClient``): one HTTP
request per post carrying the share's idempotency key, errors classified, and a
lookup by key for reconciliation. It keeps one keep-alive HTTP session per
process, as a plug-in built on ``requests`` would.
"""

from __future__ import annotations

import requests

from advocacy.networks import base as net

_http = requests.Session()
TIMEOUT = (5.0, 30.0)


class SinkClient:
    key = "sink"
    display_name = "Bench sink"

    def verify(self, session: net.AccountSession) -> net.ConnectedAccount:
        return net.ConnectedAccount(
            handle=session.handle,
            external_id=session.external_id,
            service_url=session.service_url,
            credentials=dict(session.credentials),
        )

    def publish(self, session: net.AccountSession, request: net.PublishRequest) -> net.PublishResult:
        try:
            response = _http.post(
                f"{session.service_url}/api/v1/statuses",
                json={"status": request.text, "language": request.language},
                headers={
                    "Idempotency-Key": request.idempotency_key,
                    "Authorization": f"Bearer {session.credentials.get('access_token', '')}",
                },
                timeout=TIMEOUT,
            )
        except requests.ConnectionError as exc:
            raise net.OutcomeUnknown(f"The sink connection broke off: {exc}") from exc
        if response.status_code >= 500:
            raise net.OutcomeUnknown(f"Sink error {response.status_code}", status=response.status_code)
        if response.status_code >= 400:
            raise net.PermanentError(response.text, status=response.status_code)
        body = response.json()
        return net.PublishResult(external_id=body["id"], url=body["url"])

    def find_existing(
        self, session: net.AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> net.PublishResult | None:
        response = _http.get(f"{session.service_url}/lookup", params={"key": idempotency_key}, timeout=TIMEOUT)
        if response.status_code == 404:
            return None
        body = response.json()
        return net.PublishResult(external_id=body["id"], url=body["url"])

    def delete(self, session: net.AccountSession, external_id: str) -> None:
        return None

    def revoke(self, session: net.AccountSession) -> net.RevokeResult:
        return net.RevokeResult(revoked=True, detail="Bench sink: nothing to revoke.")


client = SinkClient()


def get_client(network_key: str) -> net.NetworkClient:
    """Stands in for ``advocacy.networks.registry.get_client`` in bench workers."""
    return client
