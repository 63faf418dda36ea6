"""Origin validation of WebSocket handshakes (shoutout.origins)."""

import logging

import pytest
from channels.testing import WebsocketCommunicator

from shoutout.origins import allowed_hosts, normalize_origin, origin_allowed
from shoutout.routing import websocket_application

# Seconds to wait for one handshake; generous, so a slow machine does not fail a test.
TIMEOUT = 5


def scope(host=None, scheme="ws", **headers):
    """Return a WebSocket scope with a ``Host`` header and any other headers given."""
    pairs = [] if host is None else [(b"host", host.encode("latin1"))]
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "example.com"]
    settings.DEBUG = False
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SHOUTOUT = {}
    return settings


# normalize_origin.


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("http://example.com", ("http", "example.com", 80)),
        ("https://example.com", ("https", "example.com", 443)),
        ("http://example.com:8080", ("http", "example.com", 8080)),
        ("https://example.com:443", ("https", "example.com", 443)),
        ("HTTPS://Example.COM", ("https", "example.com", 443)),
        ("http://example.com/", ("http", "example.com", 80)),
        ("http://[::1]:8000", ("http", "[::1]", 8000)),
        ("http://[::1]", ("http", "[::1]", 80)),
        ("https://[2001:DB8::1]", ("https", "[2001:db8::1]", 443)),
        ("ws://example.com", ("ws", "example.com", 80)),
        ("wss://example.com", ("wss", "example.com", 443)),
    ],
)
def test_normalize_origin_parts(origin, expected):
    assert normalize_origin(origin) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "",
        "null",
        "example.com",
        "http://",
        "ftp://example.com",
        "file:///etc/passwd",
        "http://example.com/page",
        "http://example.com:99999",
        "http://example.com:port",
        "http://[::1",
        "http://example.com?next=1",
        "http://example.com#top",
        "http://user@example.com",
        "http://evil.example@example.com",
        "http://example.com:0",
    ],
)
def test_normalize_origin_rejects_non_origin(origin):
    assert normalize_origin(origin) is None


# Same origin as the request.


def test_same_origin_is_allowed():
    assert origin_allowed(scope("127.0.0.1:8000"), "http://127.0.0.1:8000")


def test_same_origin_with_other_case_is_allowed():
    assert origin_allowed(scope("EXAMPLE.com:8000"), "http://example.COM:8000")


def test_other_host_is_rejected():
    assert not origin_allowed(scope("127.0.0.1:8000"), "http://evil.example:8000")


def test_other_port_is_rejected():
    assert not origin_allowed(scope("127.0.0.1:8000"), "http://127.0.0.1:8001")


def test_https_page_on_ws_connection_is_rejected():
    assert not origin_allowed(scope("127.0.0.1:8000"), "https://127.0.0.1:8000")


def test_http_page_on_wss_connection_is_rejected():
    assert not origin_allowed(scope("example.com", scheme="wss"), "http://example.com")


def test_https_page_on_wss_connection_is_allowed():
    assert origin_allowed(scope("example.com", scheme="wss"), "https://example.com")


def test_host_outside_allowed_hosts_is_rejected():
    # Same origin as the Host header, but a DNS-rebound name the project does not serve.
    assert not origin_allowed(scope("rebound.example:8000"), "http://rebound.example:8000")


def test_missing_host_header_is_rejected():
    assert not origin_allowed(scope(None), "http://127.0.0.1:8000")


def test_invalid_host_header_is_rejected():
    assert not origin_allowed(scope("127.0.0.1:abc"), "http://127.0.0.1")


def test_origin_that_is_not_an_origin_is_rejected():
    assert not origin_allowed(scope("127.0.0.1:8000"), "null")


# Default ports.


@pytest.mark.parametrize(
    "host, origin",
    [
        ("example.com", "http://example.com"),
        ("example.com", "http://example.com:80"),
        ("example.com:80", "http://example.com"),
    ],
)
def test_default_http_port_matches_explicit_port(host, origin):
    assert origin_allowed(scope(host), origin)


@pytest.mark.parametrize(
    "host, origin",
    [
        ("example.com", "https://example.com"),
        ("example.com", "https://example.com:443"),
        ("example.com:443", "https://example.com"),
    ],
)
def test_default_https_port_matches_explicit_port(host, origin):
    assert origin_allowed(scope(host, scheme="wss"), origin)


def test_https_default_port_differs_from_http_default_port():
    assert not origin_allowed(scope("example.com:80", scheme="wss"), "https://example.com")


# IPv6 hosts.


def test_ipv6_origin_with_port_is_allowed():
    assert origin_allowed(scope("[::1]:8000"), "http://[::1]:8000")


def test_ipv6_origin_with_default_port_is_allowed():
    assert origin_allowed(scope("[::1]"), "http://[::1]")


def test_ipv6_origin_with_other_port_is_rejected():
    assert not origin_allowed(scope("[::1]:8000"), "http://[::1]:8001")


def test_ipv6_origin_of_other_address_is_rejected():
    assert not origin_allowed(scope("[::1]:8000"), "http://[::2]:8000")


def test_ipv6_host_outside_allowed_hosts_is_rejected(hosts):
    hosts.ALLOWED_HOSTS = ["127.0.0.1"]
    assert not origin_allowed(scope("[::1]:8000"), "http://[::1]:8000")


# SECURE_PROXY_SSL_HEADER.


@pytest.fixture
def behind_proxy(hosts):
    hosts.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return hosts


def test_proxy_header_makes_https_page_same_origin(behind_proxy):
    assert origin_allowed(scope("example.com", x_forwarded_proto="https"), "https://example.com")


def test_proxy_header_rejects_http_page(behind_proxy):
    assert not origin_allowed(scope("example.com", x_forwarded_proto="https"), "http://example.com")


def test_without_proxy_header_https_page_is_rejected(behind_proxy):
    assert not origin_allowed(scope("example.com"), "https://example.com")


def test_proxy_header_with_other_value_is_ignored(behind_proxy):
    assert not origin_allowed(scope("example.com", x_forwarded_proto="http"), "https://example.com")


def test_proxy_header_is_ignored_when_not_configured():
    assert not origin_allowed(scope("example.com", x_forwarded_proto="https"), "https://example.com")


# DEBUG with an empty ALLOWED_HOSTS.


@pytest.fixture
def debug_without_hosts(hosts):
    hosts.ALLOWED_HOSTS = []
    hosts.DEBUG = True
    return hosts


@pytest.mark.parametrize(
    "host, origin",
    [
        ("localhost:8000", "http://localhost:8000"),
        ("app.localhost:8000", "http://app.localhost:8000"),
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_debug_without_allowed_hosts_allows_local_names(debug_without_hosts, host, origin):
    assert origin_allowed(scope(host), origin)


def test_debug_without_allowed_hosts_rejects_other_names(debug_without_hosts):
    assert not origin_allowed(scope("example.com:8000"), "http://example.com:8000")


def test_empty_allowed_hosts_without_debug_allows_nothing(hosts):
    hosts.ALLOWED_HOSTS = []
    assert allowed_hosts() == []
    assert not origin_allowed(scope("localhost:8000"), "http://localhost:8000")


# SHOUTOUT['ALLOWED_ORIGINS'].


def test_listed_origin_is_allowed_from_any_host(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net:8443"]}
    assert origin_allowed(scope("127.0.0.1:8000"), "https://app.example.net:8443")


def test_listed_origin_matches_case_insensitively(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://App.Example.net"]}
    assert origin_allowed(scope("127.0.0.1:8000"), "https://app.example.net")


def test_listed_origin_matches_its_default_port(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net"]}
    assert origin_allowed(scope("127.0.0.1:8000"), "https://app.example.net:443")


def test_listed_origin_needs_same_port(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net:8443"]}
    assert not origin_allowed(scope("127.0.0.1:8000"), "https://app.example.net")


def test_listed_origin_needs_same_scheme(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net"]}
    assert not origin_allowed(scope("127.0.0.1:8000"), "http://app.example.net")


def test_listed_origin_does_not_allow_subdomains(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net"]}
    assert not origin_allowed(scope("127.0.0.1:8000"), "https://evil.app.example.net")


def test_invalid_listed_origin_allows_nothing(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["not an origin"]}
    assert not origin_allowed(scope("127.0.0.1:8000"), "https://app.example.net")


# OriginValidator in front of the consumer.


async def handshake(headers):
    """Open a socket through the full WebSocket application; return whether it was accepted."""
    communicator = WebsocketCommunicator(websocket_application(), "/ws/shoutout/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    if connected:
        await communicator.disconnect(timeout=TIMEOUT)
    return connected


@pytest.mark.django_db(transaction=True)
async def test_validator_rejects_foreign_origin():
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://evil.example")]
    assert not await handshake(headers)


@pytest.mark.django_db(transaction=True)
async def test_validator_logs_rejected_origin(caplog):
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://evil.example")]
    with caplog.at_level(logging.WARNING, logger="shoutout.security"):
        await handshake(headers)
    assert any("https://evil.example" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
async def test_validator_truncates_long_logged_origin(caplog):
    origin = "https://" + "a" * 5000 + ".example"
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
    with caplog.at_level(logging.WARNING, logger="shoutout.security"):
        await handshake(headers)
    assert all(len(record.getMessage()) < 1000 for record in caplog.records)


@pytest.mark.django_db(transaction=True)
async def test_validator_accepts_same_origin():
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    assert await handshake(headers)


@pytest.mark.django_db(transaction=True)
async def test_validator_accepts_handshake_without_origin():
    assert await handshake([(b"host", b"127.0.0.1:8000")])


@pytest.mark.django_db(transaction=True)
async def test_validator_accepts_listed_origin(hosts):
    hosts.SHOUTOUT = {"ALLOWED_ORIGINS": ["https://app.example.net"]}
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://app.example.net")]
    assert await handshake(headers)
