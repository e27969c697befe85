"""Reading a page or an image from the open web, for the server only, within limits.

Each request: http or https only; the host's addresses must all be public (a loopback
address only when ``allow_loopback``, for tests and ``make run``), and the address
actually connected to is checked again before the body is read, so a name that
changes its answer between the two looks (DNS rebinding) is still refused; at most
``max_redirects`` redirects, each checked the same way; ``timeout`` seconds for the
whole request, not per read; at most ``max_bytes`` of body; only the content types the
caller accepts. No proxy from the environment is used: a proxy would hide the address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

USER_AGENT = "Candor-LinkCards/1.0 (reads a shared page's Open Graph tags once)"


class FetchRefused(Exception):
    """The page or image was not read; ``str()`` says which limit, in English, for operators."""


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int
    max_redirects: int
    allow_loopback: bool


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # lower case, without parameters
    charset: str | None
    body: bytes


def fetch(url: str, *, limits: Limits, accept: tuple[str, ...]) -> Fetched:
    """GET ``url`` within ``limits``; ``accept`` lists the content types (or ``image/``
    prefixes) that may come back. Raises ``FetchRefused`` for anything else."""
    deadline = time.monotonic() + limits.timeout
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=limits.timeout) as client:
        for _hop in range(limits.max_redirects + 1):
            if time.monotonic() > deadline:
                raise FetchRefused(f"no answer within {limits.timeout:g} seconds")
            host, port = _check_url(url)
            _check_addresses(_resolve(host, port), allow_loopback=limits.allow_loopback, host=host)
            headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept)}
            try:
                with client.stream("GET", url, headers=headers) as response:
                    _check_peer(response, allow_loopback=limits.allow_loopback, host=host)
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _read(response, url=url, limits=limits, accept=accept, deadline=deadline)
            except httpx.TimeoutException as exc:
                raise FetchRefused(f"no answer within {limits.timeout:g} seconds") from exc
            except httpx.HTTPError as exc:
                raise FetchRefused(f"could not be read ({type(exc).__name__})") from exc
    raise FetchRefused(f"more than {limits.max_redirects} redirects")


def _check_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https addresses are read, not {parts.scheme or 'this'}")
    if not parts.hostname:
        raise FetchRefused("the address has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused("the address has an invalid port") from exc
    return parts.hostname, port


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"the host {host} could not be found") from exc
    return [str(info[4][0]) for info in infos]


def address_allowed(address: str, *, allow_loopback: bool) -> bool:
    """Only addresses on the public internet, and loopback when allowed. Private,
    link-local (cloud metadata at 169.254.169.254), shared, reserved and multicast
    addresses are always refused."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def _check_addresses(addresses: list[str], *, allow_loopback: bool, host: str) -> None:
    refused = [a for a in addresses if not address_allowed(a, allow_loopback=allow_loopback)]
    if refused or not addresses:
        raise FetchRefused(f"{host} is a private or local address ({', '.join(refused) or 'none'}), which is not read")


def _check_peer(response: httpx.Response, *, allow_loopback: bool, host: str) -> None:
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer:
        _check_addresses([str(peer[0])], allow_loopback=allow_loopback, host=host)


def _read(response: httpx.Response, *, url: str, limits: Limits, accept: tuple[str, ...], deadline: float) -> Fetched:
    if response.status_code != 200:
        raise FetchRefused(f"the server answered {response.status_code}")
    content_type, _, params = response.headers.get("content-type", "").partition(";")
    content_type = content_type.strip().lower()
    if not any(content_type == a or (a.endswith("/") and content_type.startswith(a)) for a in accept):
        raise FetchRefused(f"it is {content_type or 'of no stated type'}, not {' or '.join(accept)}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchRefused(f"it is larger than {limits.max_bytes} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limits.max_bytes:
            raise FetchRefused(f"it is larger than {limits.max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchRefused(f"no answer within {limits.timeout:g} seconds")
    charset = next(
        (p.split("=", 1)[1].strip().strip('"') for p in params.split(";") if p.strip().lower().startswith("charset=")),
        None,
    )
    return Fetched(url=url, content_type=content_type, charset=charset, body=bytes(body))
