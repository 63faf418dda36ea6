"""Origin validation for the WebSocket route.

Browsers send an ``Origin`` header with every WebSocket handshake and attach
the user's cookies whatever the page, so without this check any site could
open a socket with the user's session (cross-site WebSocket hijacking).

An origin is accepted when it is the same origin as the request (same host
and port as the ``Host`` header, a host in ``ALLOWED_HOSTS``, and the
matching scheme: ``http`` with ``ws``, ``https`` with ``wss``), or when it is
listed exactly, scheme and port included, in ``SHOUTOUT['ALLOWED_ORIGINS']``.
A handshake without ``Origin`` does not come from a browser and is accepted;
it can only carry credentials its own client holds.
"""

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from shoutout.conf import shoutout_settings

logger = logging.getLogger("shoutout.security")

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
PAGE_SCHEME = {"ws": "http", "wss": "https"}
MAX_LOGGED_ORIGIN = 200


def normalize_origin(origin: str):
    """Return ``(scheme, host, port)`` of an origin string, or None when it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    # An origin is scheme, host and port only: user info, a query or a fragment
    # mean the value is some other URL, and port 0 is no port a page can have.
    if "@" in parts.netloc or parts.query or parts.fragment or port == 0:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6, written as in a Host header
    return scheme, host, DEFAULT_PORTS[scheme] if port is None else port


def _header(scope, name: bytes):
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _request_scheme(scope):
    """Return the page scheme that matches this connection, honouring SECURE_PROXY_SSL_HEADER."""
    scheme = PAGE_SCHEME.get(scope.get("scheme", "ws"), "http")
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        meta_name, secure_value = proxy_header
        header_name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        if _header(scope, header_name) == secure_value:
            scheme = "https"
    return scheme


def origin_allowed(scope, origin: str) -> bool:
    """Return whether a handshake with this ``Origin`` header may proceed."""
    parsed = normalize_origin(origin)
    if parsed is None:
        return False

    extra = {normalize_origin(o) for o in shoutout_settings.ALLOWED_ORIGINS}
    if parsed in extra:
        return True

    scheme, host, port = parsed
    request_host = _header(scope, b"host")
    if request_host is None:
        return False
    domain, request_port = split_domain_port(request_host.lower())
    request_scheme = _request_scheme(scope)
    request_port = int(request_port) if request_port.isdigit() else DEFAULT_PORTS[request_scheme]
    return (
        scheme == request_scheme
        and host == domain
        and port == request_port
        and validate_host(host, allowed_hosts())
    )


def allowed_hosts():
    """Return ALLOWED_HOSTS as Django applies it: with DEBUG and an empty list, the local names."""
    if not settings.ALLOWED_HOSTS and settings.DEBUG:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


class OriginValidator:
    """ASGI middleware that closes WebSocket handshakes from foreign origins before anything else runs."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = _header(scope, b"origin")
            if origin is not None and not origin_allowed(scope, origin):
                logger.warning(
                    "WebSocket handshake rejected: origin %r is not allowed (host %r)",
                    origin[:MAX_LOGGED_ORIGIN], (_header(scope, b"host") or "")[:MAX_LOGGED_ORIGIN],
                )
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
