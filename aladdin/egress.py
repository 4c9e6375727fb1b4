"""The one way out: every outbound HTTP request made on a user's behalf.

HTTP tools (and webhooks) send requests to URLs that staff typed into the
admin. Without a guard such a URL reaches the server's own loopback services,
the private network or the cloud metadata endpoint (SSRF). This module:

- resolves the host name itself and refuses loopback, private, link-local,
  multicast, reserved and metadata addresses unless a setting allows them
  (ALADDIN_EGRESS_ALLOW: CIDR list; ALADDIN_EGRESS_ALLOW_PRIVATE: RFC 1918
  and IPv6 unique-local ranges);
- connects to the address it checked, so a DNS answer that changes between
  check and connect (DNS rebinding) cannot redirect the connection; TLS still
  verifies the certificate against the host name;
- follows redirects itself, checking every hop the same way;
- reads the answer as a stream and stops at a byte cap, asks for uncompressed
  answers, and caps the whole call (connect, redirects, body) with one deadline.

Use `fetch` from async code and `fetch_sync` from sync code; `check_url`
validates a URL when it is typed in (forms), without sending anything.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from asgiref.sync import async_to_sync
from django.conf import settings

from aladdin import jsonlimits

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
USER_AGENT = "Aladdin-egress/1"
PRIVATE = "a private address"

# Addresses of cloud instance metadata services; refused even where their
# range is allowed as private (AWS IPv6 sits inside fc00::/7).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EgressError(Exception):
    """An outbound request that did not succeed; the message can be shown to users."""


class EgressRefused(EgressError):
    """The destination is not allowed (address, scheme or too many redirects)."""


class ResponseTooLarge(EgressError):
    """The answer is larger than the cap; reading stopped at the cap."""


class EgressTimeout(EgressError):
    """The whole call took longer than its deadline."""


class EgressUnreachable(EgressError):
    """The destination could not be reached or answered with broken HTTP."""


@dataclass(frozen=True)
class Policy:
    allow: tuple[IPNetwork, ...] = ()
    allow_private: bool = False

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            allow=tuple(parse_networks(settings.ALADDIN_EGRESS_ALLOW)),
            allow_private=settings.ALADDIN_EGRESS_ALLOW_PRIVATE,
        )

    def refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` may not be contacted, or None when it may."""
        if any(ip.version == net.version and ip in net for net in self.allow):
            return None
        reason = classify(ip)
        if reason == PRIVATE and self.allow_private:
            return None
        return reason


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """CIDR strings to networks; ValueError names the one that is malformed."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IP address or CIDR range ({exc}).") from exc
    return networks


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is, or None for a public address."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return classify(embedded)
    if ip.version == 6 and ip.scope_id:  # type: ignore[union-attr]
        ip = ipaddress.IPv6Address(str(ip).split("%")[0])
    checks: list[tuple[bool, str]] = [
        (ip in METADATA_ADDRESSES, "a cloud metadata address"),
        (ip.is_unspecified or (ip.version == 4 and ip in THIS_NETWORK), "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (any(ip.version == n.version and ip in n for n in PRIVATE_NETWORKS), PRIVATE),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "an address that is not publicly routable"),
    ]
    return next((reason for matched, reason in checks if matched), None)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refused_message(host: str, ip: IPAddress, reason: str) -> str:
    where = f"{host} resolves to {ip}," if host != str(ip) else f"{ip} is"
    return (
        f"Refused: {where} {reason}. Outbound requests go only to public addresses; "
        "an operator can allow a range with ALADDIN_EGRESS_ALLOW."
    )


def checked_addresses(host: str, addresses: Iterable[str], policy: Policy) -> list[IPAddress]:
    """Every address, if all are allowed; a name with any refused address is refused."""
    checked = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        reason = policy.refusal(ip)
        if reason is not None:
            raise EgressRefused(_refused_message(host, ip, reason))
        checked.append(ip)
    if not checked:
        raise EgressUnreachable(f"{host} has no address.")
    return checked


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host, then connects to the checked address itself."""

    def __init__(self, policy: Policy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            resolved = await self._resolver(host.strip("[]"), port)
        except OSError as exc:
            raise EgressUnreachable(f"{host} could not be resolved: {exc}.") from exc
        failure: Exception | None = None
        for ip in checked_addresses(host, resolved, self._policy):
            try:
                stream = await self._inner.connect_tcp(
                    str(ip), port, timeout=timeout, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            self._check_peer(host, stream)
            return stream
        raise EgressUnreachable(f"{host} could not be reached: {failure}")

    def _check_peer(self, host: str, stream: httpcore.AsyncNetworkStream) -> None:
        peer = stream.get_extra_info("server_addr")
        if peer is None:
            return
        ip = ipaddress.ip_address(peer[0])
        reason = self._policy.refusal(ip)
        if reason is not None:
            raise EgressRefused(_refused_message(host, ip, reason))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("Unix sockets are not an outbound destination.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Stream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class _GuardedTransport(httpx.AsyncBaseTransport):
    """httpx over an httpcore pool whose every connection goes through the guard."""

    def __init__(self, backend: _GuardedBackend) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend, retries=0
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Stream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@dataclass(frozen=True)
class EgressResponse:
    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, with the same size and depth limits as every input."""
        return jsonlimits.loads(self.content)


def _check_scheme(url: httpx.URL) -> None:
    if url.scheme not in ("http", "https"):
        raise EgressRefused(f"Refused: {url.scheme or 'no'} scheme; only http and https.")
    if not url.host:
        raise EgressRefused("Refused: the URL has no host.")


def _next_request(request: httpx.Request, response: httpx.Response) -> httpx.Request:
    """The request a redirect asks for, following the browsers' rules (RFC 9110 15.4)."""
    try:
        url = request.url.join(response.headers["location"])
    except httpx.InvalidURL as exc:
        raise EgressRefused(f"Refused: a redirect to an invalid URL ({exc}).") from exc
    method = request.method
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method = "GET"
    headers = httpx.Headers(request.headers)
    headers.pop("host", None)
    if (url.scheme, url.host, url.port) != (request.url.scheme, request.url.host, request.url.port):
        for name in ("authorization", "cookie"):
            headers.pop(name, None)
    if method != request.method:
        for name in ("content-type", "content-length", "transfer-encoding"):
            headers.pop(name, None)
        return httpx.Request(method, url, headers=headers)
    return httpx.Request(method, url, headers=headers, content=request.content)


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    too_large = ResponseTooLarge(
        f"{response.url.host} answered with more than {limit} bytes; "
        "the answer was refused without reading further."
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise EgressUnreachable(
            f"{response.url.host} answered with Content-Encoding {encoding!r}; "
            "only uncompressed answers are accepted."
        )
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, limit: int, max_redirects: int
) -> EgressResponse:
    for _hop in range(max_redirects + 1):
        _check_scheme(request.url)
        response = await client.send(request, stream=True)
        try:
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                request = _next_request(request, response)
                continue
            body = await _read_capped(response, limit)
        finally:
            await response.aclose()
        return EgressResponse(str(response.url), response.status_code, response.headers, body)
    raise EgressRefused(f"Refused: more than {max_redirects} redirects.")


def _build(
    method: str, url: str, *, json: Any, content: bytes | None, headers: dict[str, str] | None
) -> httpx.Request:
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise EgressRefused(f"Refused: {url!r} is not a valid URL ({exc}).") from exc
    _check_scheme(target)
    base = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    return httpx.Request(
        method, target, json=json, content=content, headers={**base, **(headers or {})}
    )


async def fetch(
    method: str,
    url: str,
    *,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 (one deadline for the whole call, below)
    max_bytes: int | None = None,
    max_redirects: int = MAX_REDIRECTS,
    policy: Policy | None = None,
    resolver: Resolver | None = None,
) -> EgressResponse:
    """Send one request to a user-chosen URL under the egress policy.

    `timeout` (default ALADDIN_EGRESS_TIMEOUT) bounds the whole call, redirects and
    body included; `max_bytes` (default ALADDIN_EGRESS_MAX_BYTES) bounds the body.
    Raises an EgressError subclass whose message says what happened.
    """
    request = _build(method, url, json=json, content=content, headers=headers)
    seconds = settings.ALADDIN_EGRESS_TIMEOUT if timeout is None else timeout
    limit = settings.ALADDIN_EGRESS_MAX_BYTES if max_bytes is None else max_bytes
    backend = _GuardedBackend(policy or Policy.from_settings(), resolver or system_resolver)
    client = httpx.AsyncClient(
        transport=_GuardedTransport(backend), trust_env=False, timeout=seconds
    )
    try:
        async with client, asyncio.timeout(seconds):
            return await _send(client, request, limit, max_redirects)
    except (TimeoutError, httpcore.TimeoutException, httpx.TimeoutException) as exc:
        raise EgressTimeout(f"{request.url.host} did not answer within {seconds:g} s.") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpx.HTTPError) as exc:
        detail = str(exc) or type(exc).__name__
        raise EgressUnreachable(f"{request.url.host} could not be reached: {detail}") from exc


def fetch_sync(
    method: str,
    url: str,
    *,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    max_redirects: int = MAX_REDIRECTS,
    policy: Policy | None = None,
    resolver: Resolver | None = None,
) -> EgressResponse:
    """`fetch` for sync code (Celery tasks, commands); not from a running event loop."""
    return async_to_sync(fetch)(
        method,
        url,
        json=json,
        content=content,
        headers=headers,
        timeout=timeout,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        policy=policy,
        resolver=resolver,
    )


def check_url(url: str, *, policy: Policy | None = None) -> None:
    """Refuse a URL whose scheme or host is not an allowed destination (for forms).

    A host name that does not resolve now is let through: it is resolved and
    checked again on every request.
    """
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise EgressRefused(f"{url!r} is not a valid URL ({exc}).") from exc
    _check_scheme(target)
    host = target.host
    try:
        infos = socket.getaddrinfo(host, target.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    checked_addresses(host, [str(info[4][0]) for info in infos], policy or Policy.from_settings())
