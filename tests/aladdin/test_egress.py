"""The egress guard: outbound requests reach public addresses only, within limits.

Receivers are real HTTP servers on loopback. Tests that must reach them allow
loopback explicitly (a Policy or the egress_allows_loopback fixture); the
refusal tests run with the default policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aladdin import egress
from aladdin.egress import EgressRefused, EgressTimeout, Policy, ResponseTooLarge

LOOPBACK_ONLY = Policy(allow=(ipaddress.ip_network("127.0.0.1/32"),))
FIFTY_MB = 50 * 1024 * 1024


@dataclass
class Partner:
    """A partner's server: what it received and how much it sent."""

    port: int = 0
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    bytes_sent: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def partner_app(partner: Partner) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        partner.paths.append(request.path)
        partner.hosts.append(request.headers.get("Host", ""))
        return web.json_response({"method": request.method, "body": await request.text()})

    async def redirect(request: web.Request) -> web.Response:
        partner.paths.append(request.path)
        raise web.HTTPFound(request.query["to"])

    async def loop(request: web.Request) -> web.Response:
        partner.paths.append(request.path)
        raise web.HTTPFound("/loop")

    async def huge(request: web.Request) -> web.StreamResponse:
        partner.paths.append(request.path)
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"x" * (1024 * 1024)
        try:
            while partner.bytes_sent < FIFTY_MB:
                await response.write(chunk)
                partner.bytes_sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up: that is the point
        return response

    async def declared_huge(request: web.Request) -> web.Response:
        partner.paths.append(request.path)
        return web.Response(body=b"x" * 10, headers={"Content-Length": str(FIFTY_MB)})

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        while True:  # each read is quick; only a deadline for the whole call ends this
            await response.write(b".")
            await asyncio.sleep(0.05)

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/huge", huge)
    app.router.add_get("/declared-huge", declared_huge)
    app.router.add_get("/drip", drip)
    return app


@pytest.fixture
async def partner() -> AsyncIterator[Partner]:
    state = Partner()
    server = TestServer(partner_app(state), host="127.0.0.1")
    await server.start_server()
    state.port = server.port or 0
    yield state
    await server.close()


# --- reaching an allowed destination -------------------------------------------------


async def test_an_allowed_destination_is_reached_and_answers(partner: Partner) -> None:
    response = await egress.fetch(
        "POST", f"{partner.url}/echo", json={"a": 1}, policy=LOOPBACK_ONLY
    )
    assert response.status_code == 200
    assert response.json() == {"method": "POST", "body": '{"a":1}'}


async def test_settings_can_allow_loopback_for_test_receivers(
    partner: Partner, egress_allows_loopback: None
) -> None:
    response = await egress.fetch("GET", f"{partner.url}/echo")
    assert response.json()["method"] == "GET"


async def test_a_redirect_to_an_allowed_address_is_followed(partner: Partner) -> None:
    target = f"{partner.url}/echo"
    response = await egress.fetch(
        "GET", f"{partner.url}/redirect?to={target}", policy=LOOPBACK_ONLY
    )
    assert response.json()["method"] == "GET"
    assert partner.paths == ["/redirect", "/echo"]


async def test_sync_code_can_fetch_too(partner: Partner) -> None:
    # fetch_sync is for threads without an event loop (Celery tasks, commands).
    response = await asyncio.to_thread(
        egress.fetch_sync, "GET", f"{partner.url}/echo", policy=LOOPBACK_ONLY
    )
    assert response.status_code == 200


# --- refusals under the default policy -------------------------------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("localhost", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("[fd00:ec2::254]", "metadata"),
        ("224.0.0.1", "multicast"),
    ],
)
async def test_internal_destinations_are_refused_before_anything_is_sent(
    partner: Partner, host: str, reason: str
) -> None:
    with pytest.raises(EgressRefused, match=reason):
        await egress.fetch("POST", f"http://{host}:{partner.port}/echo", json={})
    assert partner.paths == []


async def test_a_redirect_to_loopback_is_refused(partner: Partner) -> None:
    # The first hop is allowed; the hop it redirects to (another loopback address) is not.
    target = f"http://127.0.0.2:{partner.port}/echo"
    with pytest.raises(EgressRefused, match=r"127\.0\.0\.2 is a loopback address"):
        await egress.fetch("GET", f"{partner.url}/redirect?to={target}", policy=LOOPBACK_ONLY)
    assert partner.paths == ["/redirect"]


async def test_a_host_name_resolving_to_loopback_is_refused(partner: Partner) -> None:
    async def dns(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with pytest.raises(EgressRefused, match=re.escape("partner.example resolves to 127.0.0.1")):
        await egress.fetch("GET", f"http://partner.example:{partner.port}/echo", resolver=dns)
    assert partner.paths == []


async def test_a_name_with_any_internal_address_is_refused() -> None:
    async def dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(EgressRefused, match=re.escape("10.0.0.5, a private address")):
        await egress.fetch("GET", "http://mixed.example/", resolver=dns)


async def test_the_connection_goes_to_the_address_that_was_checked(partner: Partner) -> None:
    # A rebinding DNS answers an allowed address first and an internal one after.
    answers = [["127.0.0.1"], ["127.0.0.2"]]
    calls: list[str] = []

    async def rebinding_dns(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), 2) - 1]

    response = await egress.fetch(
        "GET",
        f"http://partner.example:{partner.port}/echo",
        policy=LOOPBACK_ONLY,
        resolver=rebinding_dns,
    )
    assert response.status_code == 200
    assert calls == ["partner.example"]  # resolved once, connected to that answer
    assert partner.hosts == [f"partner.example:{partner.port}"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.com/", "ftp://x/"])
async def test_schemes_other_than_http_are_refused(url: str) -> None:
    with pytest.raises(EgressRefused, match="only http and https"):
        await egress.fetch("GET", url)


async def test_endless_redirects_are_refused(partner: Partner) -> None:
    with pytest.raises(EgressRefused, match="more than 2 redirects"):
        await egress.fetch("GET", f"{partner.url}/loop", policy=LOOPBACK_ONLY, max_redirects=2)
    assert partner.paths == ["/loop"] * 3


# --- size and time ----------------------------------------------------------------------


async def test_a_50_mb_answer_is_cut_at_the_cap(partner: Partner) -> None:
    with pytest.raises(ResponseTooLarge, match="more than 1048576 bytes"):
        await egress.fetch("GET", f"{partner.url}/huge", policy=LOOPBACK_ONLY)
    await asyncio.sleep(0.2)  # let the server notice the hang-up
    assert partner.bytes_sent < FIFTY_MB


async def test_a_declared_oversized_answer_is_refused_without_reading(partner: Partner) -> None:
    with pytest.raises(ResponseTooLarge):
        await egress.fetch(
            "GET", f"{partner.url}/declared-huge", policy=LOOPBACK_ONLY, max_bytes=1000
        )


async def test_the_deadline_covers_the_whole_call_not_each_read(partner: Partner) -> None:
    with pytest.raises(EgressTimeout, match=re.escape("did not answer within 0.5 s")):
        await egress.fetch("GET", f"{partner.url}/drip", policy=LOOPBACK_ONLY, timeout=0.5)


# --- the policy itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
        ("127.0.0.53", "a loopback address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("172.16.5.4", "a private address"),
        ("fc00::1", "a private address"),
        ("100.64.0.1", "an address that is not publicly routable"),
        ("240.0.0.1", "a reserved address"),
        ("ff02::1", "a multicast address"),
        ("64:ff9b::7f00:1", "a loopback address"),
        ("2002:7f00:1::1", "a loopback address"),
    ],
)
def test_addresses_are_classified(address: str, reason: str | None) -> None:
    assert egress.classify(ipaddress.ip_address(address)) == reason


def test_allowing_private_ranges_still_refuses_loopback_and_metadata() -> None:
    policy = Policy(allow_private=True)
    assert policy.refusal(ipaddress.ip_address("10.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) == "a loopback address"
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"


def test_check_url_refuses_internal_targets_and_lets_unknown_names_through() -> None:
    with pytest.raises(
        EgressRefused, match=re.escape("169.254.169.254 is a cloud metadata address")
    ):
        egress.check_url("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(EgressRefused, match="localhost resolves to"):
        egress.check_url("http://localhost:8000/")
    egress.check_url("https://partner.invalid/hook")  # checked again on every request
