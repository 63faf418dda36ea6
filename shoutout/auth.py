"""Authentication of WebSocket clients that have no browser session.

A DRF token authenticates a connection in one of two ways, so that the
secret never has to be in the URL (where proxies would log it):

- the handshake header ``Authorization: Token <key>``, read by
  :class:`TokenAuthMiddleware`;
- a first frame ``{"type": "auth", "token": "<key>"}``, handled by the
  consumer through :func:`user_for_token`.

Both need ``rest_framework.authtoken`` in ``INSTALLED_APPS``. Capability
tokens are different: they are sent per ``subscribe`` or write frame.
"""

import logging

from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger("shoutout.security")

KEYWORD = "token"


def _lookup(key):
    if not apps.is_installed("rest_framework.authtoken"):
        return None
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


@database_sync_to_async
def user_for_token(key):
    """Return the active user of a DRF token key, or None."""
    if not isinstance(key, str) or not key or len(key) > 128:
        return None
    user = _lookup(key)
    if user is None:
        logger.warning("WebSocket authentication with an unknown or inactive DRF token was rejected")
    return user


def _authorization_key(scope):
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            keyword, _, key = value.decode("latin1").partition(" ")
            if keyword.lower() == KEYWORD and key.strip():
                return key.strip()
    return None


class TokenAuthMiddleware:
    """Sets ``scope["user"]`` from an ``Authorization: Token <key>`` handshake header.

    Place it inside Channels' ``AuthMiddlewareStack`` so that a session user
    is replaced only when the header is present. An invalid key leaves the
    connection anonymous, and the consumer's error frames then name what is missing.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = _authorization_key(scope) if scope["type"] == "websocket" else None
        if key is not None:
            scope = dict(scope, user=await user_for_token(key) or AnonymousUser())
        return await self.app(scope, receive, send)
